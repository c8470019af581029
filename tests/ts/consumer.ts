// A TypeScript consumer of pkg/, as a partner's code would be written:
// `tsc --noEmit -p tests/ts` (scripts/test) checks it against the
// generated `.d.ts` of both entries, `offer-edge` and `offer-edge/page`.
// Never run: it only has to type-check.
import {
  Engine, ready, init, hashIdentifier, parseEventBatch, splitEventBatch,
  type Decision, type DecidedOffer, type ErrorCode, type OfferEdgeError, type OfferEvent, type WarningCode,
} from "offer-edge";
import * as page from "offer-edge/page";
import { MAX_EVENT_BATCH_BYTES } from "offer-edge/limits";

declare const trust: { partner: string; keys: Record<string, string>; threshold: number };
declare const signedBytes: Uint8Array;
declare const stored: Uint8Array | null;

/** What a host tells the shopper, by stable code: every code handled or defaulted. */
function advice(code: ErrorCode): string {
  switch (code) {
    case "BUNDLE_EXPIRED":
    case "VERSION_ROLLBACK":
      return "keep the previous bundle";
    case "SIGNATURE_INVALID":
    case "THRESHOLD_NOT_MET":
      return "refuse the upload";
    case "NO_BUNDLE":
      return "load a bundle first";
    default:
      return code;
  }
}

/** Warnings are a closed union too: a misspelt code does not compile. */
function warningAdvice(code: WarningCode): string {
  return code === "ATTRIBUTE_UNKNOWN" || code === "ATTRIBUTE_INVALID" ? "check the context" : code;
}

/** A collector in a JS host: the core reads the batch; a sender packs with the core's split. */
export function collect(body: Uint8Array, queued: OfferEvent[]): string[] {
  if (body.length > MAX_EVENT_BATCH_BYTES) return [];
  const accepts = parseEventBatch(body).filter((r) => r.event.type === "accept" && r.signed);
  console.log(accepts.map((r) => `${r.receipt.decisionId} ${r.timeMs}`));
  return splitEventBatch(queued);
}

function isOfferEdgeError(e: unknown): e is OfferEdgeError {
  return e instanceof Error && e.name === "OfferEdgeError";
}

export async function checkout(): Promise<string[]> {
  await ready;
  await init();
  const engine = new Engine(trust);
  try {
    const { status, version } = engine.load(signedBytes, Date.now());
    console.log(status === "loaded" ? `v${version}` : "unchanged");
  } catch (e) {
    if (isOfferEdgeError(e)) console.warn(advice(e.code), e.message);
  }
  const { decision, history }: { decision: Decision; history: Uint8Array } = engine.decide(
    { firstname: "Ada", state: "NY", amount: "120.00" },
    stored,
    Date.now(),
    { placements: ["confirmation"], explain: true, seed: 7, receiptTtl: "24h", consent: { gpc: true } },
  );
  const shown: DecidedOffer[] = decision.placements.flatMap((p) => p.offers);
  const first = shown[0];
  if (first) {
    engine.record(history, { type: "impression", offerId: first.offerId }, Date.now());
    const receiptExpires: string = first.receipt.expiresAt;
    console.log(first.fields.headline, first.action.type, first.propensity, receiptExpires);
  }
  for (const e of decision.explanations ?? []) {
    if (e.verdict === "ineligible") console.log(e.offerId, e.reason.kind, e.message);
  }
  if (!decision.privacy.measurement) console.log("store nothing back", decision.privacy.because);
  console.log(decision.decisionId, decision.bundleVersion, decision.warnings?.length ?? 0);
  for (const w of decision.warnings ?? []) console.log(warningAdvice(w.code), w.attribute ?? "");
  console.log(hashIdentifier("email", " Ada@Example.com "));
  return shown.map((o) => o.offerId);
}

// The page build: the same Engine and Decision types, its own `ready`.
export async function pageCheckout(form: Uint8Array): Promise<number> {
  await page.ready;
  await page.init();
  const engine = new page.Engine(trust);
  engine.load(form, Date.now());
  const { decision }: { decision: page.Decision } = engine.decide({ state: "NY" }, null, Date.now(), {});
  return decision.placements.length;
}
