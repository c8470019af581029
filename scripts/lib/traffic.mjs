// A load run against a running edge, over HTTP, shaped like real checkout
// traffic — what feeds the report page (www/report.html) in the demo and in
// its test (tests/browser/report.test.js):
//   1. decides: POST /v1/decide for the `confirmation` placement with varied
//      shopper attributes (state, country, device, amount, age, payment);
//      a share of them for an attested order (a checkout token from the
//      partner's backend), the rest anonymous (cookie mode, a new shopper each);
//   2. engagement: for each shown offer an impression, then an accept,
//      decline or close (or nothing), with the decision's signed receipt —
//      and the order's token for attested decisions; an accept of an offer
//      that needs a confirmation email carries the shopper's email sealed to
//      the partner's fulfilment key (the edge then sends one email);
//   3. page-style events nothing vouches for (a plain receipt, no token):
//      stored in the unverified stream, never billable;
//   4. resends: some events again with the same id (a beacon retried) and
//      some with a new id (a page that lost its queue): the edge must count
//      every one of them as a duplicate;
//   5. conversions: for advertisers whose postback key it is given, a share
//      of the accepts of their offers converts — POST /v1/conversions signed
//      as the advertiser's server signs it (docs/REPORTS.md) — and some
//      postbacks are sent twice (the edge counts each conversion once).
// Every choice comes from a PRNG seeded with `seed`; event ids are derived
// from the seed and the edge's decision ids, so a second run never collides
// with the first, and a resend is byte for byte the same event.
//
// The run tallies what it sent — the unique billable engagements by type are
// what a report over the same time range must count — and what the edge
// answered (accepted, duplicate, rejected, unverified, fulfilment queued).
import { createHash, createHmac } from "node:crypto";

const PLACEMENT = "confirmation";
const TYPES = ["impression", "accept", "decline", "close"];
/** What one POST /v1/events may carry (the edge: ≤ 256 events, ≤ 64 KiB). */
const BATCH_EVENTS = 50;
const BATCH_BYTES = 56 * 1024;

const STATES = ["NY", "NJ", "CA", "WA", "TX", "FL", "IL", "MA", "CO", "GA", "OR", "PA"];
const COUNTRIES = ["US", "US", "US", "US", "CA", "GB"];
const DEVICES = ["mobile", "mobile", "desktop", "tablet"];
const PAYMENTS = ["visa", "mastercard", "amex", "paypal", "applepay"];
const NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"];

/** mulberry32: a small, fast PRNG → floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped id derived from `parts` (deterministic). */
function derivedId(...parts) {
  const h = createHash("sha256").update(parts.join("\n")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** The shopper of decide `i`: attributes, and for an attested order its number and email. */
function plan(rand, seed, i, attestedShare) {
  const country = pick(rand, COUNTRIES);
  const attributes = {
    firstname: pick(rand, NAMES),
    country,
    state: country === "US" ? pick(rand, STATES) : "",
    amount: (15 + rand() * 385).toFixed(2),
    currency: country === "GB" ? "GBP" : country === "CA" ? "CAD" : "USD",
    age: String(18 + Math.floor(rand() * 60)),
    device: pick(rand, DEVICES),
    paymenttype: pick(rand, PAYMENTS),
    customertype: rand() < 0.4 ? "new" : "returning",
  };
  const attested = rand() < attestedShare;
  return {
    index: i,
    attributes,
    attested,
    order: attested ? `LOAD-${seed}-${i}-${Math.floor(rand() * 1e9).toString(36).toUpperCase()}` : null,
    email: attested ? `shopper.${seed}.${i}@example.com` : null,
    // The engagement choices of this decision, drawn once its offers are known.
    rand: prng(Math.floor(rand() * 2 ** 32)),
  };
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Checkout tokens from the demo partner's backend (`/demo/partner/checkout-token` on the edge). */
export function backendTokens(url) {
  return async ({ order, email }) => {
    const res = await fetch(`${url}/demo/partner/checkout-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ order, email }),
    });
    if (!res.ok) throw new Error(`checkout token: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()).token;
  };
}

/** An Engine holding the partner's served bundle, verified with `trust`: it seals emails as the checkout snippet does. */
async function sealer(url, partner, trust) {
  const { Engine } = await import("../../pkg/node.js");
  const res = await fetch(`${url}/v1/bundles/${encodeURIComponent(partner)}`);
  if (!res.ok) throw new Error(`GET /v1/bundles/${partner}: HTTP ${res.status}`);
  const engine = new Engine(trust);
  engine.load(new Uint8Array(await res.arrayBuffer()), Date.now());
  return engine;
}

/**
 * Drives the edge at `url` for `partner`. Options: `seed`, `decides` (how
 * many), `concurrency`, `attestedShare` (decides for an attested order),
 * `unverifiedShare` (anonymous decisions that also send a page-style
 * impression), `resendShare` (billable events sent again), `trust` (the
 * partner's pinned trust: needed to seal emails; without it accepts carry
 * none), `mintToken({order, email})` (the partner backend; default
 * `backendTokens(url)`), `postbackKey(advertiser)` (that advertiser's
 * ADVERTISER_POSTBACK_KEY, or null: no conversions for it),
 * `conversionShare` (accepts of such advertisers that convert), `log(line)`.
 * Returns `{sent, answers, decides}`: `sent.billable` — unique billable
 * engagements by type, conversions included (what a report must count),
 * `sent.unverified` by type, `sent.resent` / `sent.resentNewId` /
 * `sent.conversionsResent`, `sent.fulfilment` (accepts carrying a sealed
 * email); `answers` — the edge's totals (`accepted`, `duplicate`,
 * `rejected`, `unverified`, `queued`, `refused` from the collector;
 * `conversions: {recorded, duplicate}`; `codes`: rejection and refusal
 * codes → count); `decides` — `{ok, failed, shown, codes}`.
 */
export async function runTraffic({
  url, partner, seed = 1, decides = 200, concurrency = 4, attestedShare = 0.3, unverifiedShare = 0.15,
  resendShare = 0.15, trust = null, mintToken = backendTokens(url), postbackKey = () => null, conversionShare = 0.35,
  log = () => {},
}) {
  const rand = prng(seed);
  const plans = Array.from({ length: decides }, (_, i) => plan(rand, seed, i, attestedShare));
  const engine = trust && attestedShare > 0 ? await sealer(url, partner, trust) : null;

  // 1. decisions
  const decideCodes = {};
  const decided = await pool(plans, concurrency, async (p) => {
    const body = { partner, placement: PLACEMENT, attributes: p.attributes };
    if (p.attested) {
      p.token = await mintToken({ order: p.order, email: p.email });
      body.checkoutToken = p.token;
    }
    const res = await fetch(`${url}/v1/decide`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    const answer = await res.json().catch(() => null);
    if (res.status !== 200) {
      const code = answer?.error?.code ?? `HTTP_${res.status}`;
      decideCodes[code] = (decideCodes[code] ?? 0) + 1;
      return null;
    }
    return answer.placements.flatMap((pl) => pl.offers);
  });
  const ok = decided.filter(Boolean).length;
  const shown = decided.reduce((n, offers) => n + (offers?.length ?? 0), 0);
  log(`decide: ${ok} of ${decides} answered, ${shown} offers shown${Object.keys(decideCodes).length ? `, refused ${JSON.stringify(decideCodes)}` : ""}`);

  // 2. and 3. engagement, billable and page-style
  const billable = [];
  const unverified = [];
  /** Billable accepts with what binds them: a conversion names the same decision or order. */
  const accepts = [];
  const zero = () => Object.fromEntries([...TYPES, "conversion"].map((t) => [t, 0]));
  const sent = { billable: zero(), unverified: zero(), fulfilment: 0 };
  plans.forEach((p, i) => {
    const offers = decided[i];
    if (!offers) return;
    const engaged = (type, o, extra = {}) => ({
      id: derivedId("offer-edge/traffic", seed, o.receipt.decisionId, o.offerId, type),
      type,
      partner,
      receipt: o.signedReceipt,
      placement: o.receipt.placement,
      offerId: o.offerId,
      creativeId: o.creativeId,
      campaign: o.campaign,
      advertiser: o.advertiser,
      time: new Date().toISOString(),
      propensity: o.propensity,
      ...(p.attested ? { checkout: p.token } : {}),
      ...extra,
    });
    for (const o of offers) {
      if (p.rand() < 0.08) continue; // the impression beacon never arrived: nothing to report
      billable.push(engaged("impression", o));
      const r = p.rand();
      const type = r < 0.24 ? "accept" : r < 0.46 ? "decline" : r < 0.6 ? "close" : null;
      if (!type) continue;
      const extra = {};
      if (type === "accept" && p.attested && engine && o.needsConfirmationEmail) {
        extra.fulfilment = engine.sealForFulfilment(p.email, o.receipt);
        sent.fulfilment++;
      }
      const e = engaged(type, o, extra);
      billable.push(e);
      if (type === "accept") accepts.push({ e, binding: p.attested ? { order: p.order } : { decisionId: o.receipt.decisionId } });
    }
    // A page that decided for itself (or a script): a plain receipt and no token.
    if (!p.attested && offers.length && p.rand() < unverifiedShare) {
      const o = offers[0];
      unverified.push({ ...engaged("impression", o), id: derivedId("offer-edge/traffic/page", seed, o.receipt.decisionId, o.offerId), receipt: o.receipt });
    }
  });
  for (const e of billable) sent.billable[e.type]++;
  for (const e of unverified) sent.unverified[e.type]++;

  // 4. resends: the same event again, or the same engagement under a new id
  const resent = billable.filter(() => rand() < resendShare);
  const resentNewId = billable.filter(() => rand() < resendShare / 3)
    .map((e) => ({ ...e, id: derivedId("offer-edge/traffic/retry", seed, e.id) }));
  sent.resent = resent.length;
  sent.resentNewId = resentNewId.length;

  const answers = { accepted: 0, duplicate: 0, rejected: 0, unverified: 0, queued: 0, refused: 0, codes: {} };
  const count = (code) => (answers.codes[code] = (answers.codes[code] ?? 0) + 1);
  const post = async (events) => {
    for (const body of batches(events)) {
      const res = await fetch(`${url}/v1/events`, { method: "POST", headers: { "content-type": "text/plain" }, body });
      const a = await res.json().catch(() => null);
      if (res.status !== 200) throw new Error(`POST /v1/events: HTTP ${res.status} ${JSON.stringify(a)}`);
      answers.accepted += a.accepted;
      answers.duplicate += a.duplicate;
      answers.rejected += a.rejected;
      answers.unverified += a.unverified;
      answers.queued += a.fulfilment?.queued ?? 0;
      answers.refused += a.fulfilment?.refused?.length ?? 0;
      for (const r of a.rejections ?? []) count(r.code);
      for (const r of a.fulfilment?.refused ?? []) count(r.code);
    }
  };
  // Billable and page events interleaved as pages send them, then the retries.
  await post(interleave(billable, unverified));
  await post(interleave(resent, resentNewId));
  // 5. conversions, from the advertisers' servers
  answers.conversions = { recorded: 0, duplicate: 0 };
  const postbacks = [];
  for (const { e, binding } of accepts) {
    const key = postbackKey(e.advertiser);
    if (!key || rand() >= conversionShare) continue;
    const body = { partner, conversionId: derivedId("offer-edge/traffic/conversion", seed, e.id), offerId: e.offerId, ...binding };
    postbacks.push({ advertiser: e.advertiser, key, body: JSON.stringify(body) });
  }
  const convert = async ({ advertiser, key, body }) => {
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac("sha256", key).update(`offer-edge/conversion/v1\n${advertiser}\n${ts}\n${body}`).digest("hex");
    const res = await fetch(`${url}/v1/conversions`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "offer-edge-advertiser": advertiser, "offer-edge-timestamp": ts, "offer-edge-signature": `v1=${sig}` },
    });
    const a = await res.json().catch(() => null);
    if (a?.status === "recorded" || a?.status === "duplicate") answers.conversions[a.status]++;
    else count(a?.error?.code ?? `HTTP_${res.status}`);
  };
  for (const postback of postbacks) await convert(postback);
  // The advertiser's server retried some: counted once.
  const again = postbacks.filter(() => rand() < 0.2);
  for (const postback of again) await convert(postback);
  sent.billable.conversion = postbacks.length;
  sent.conversionsResent = again.length;

  log(`events: ${billable.length} billable (${TYPES.map((t) => `${sent.billable[t]} ${t}`).join(", ")}), ${unverified.length} unverified, `
    + `${resent.length + resentNewId.length} resent → accepted ${answers.accepted}, duplicate ${answers.duplicate}, `
    + `unverified ${answers.unverified}, rejected ${answers.rejected}; ${answers.queued} confirmation email(s) queued`
    + (postbacks.length ? `; conversions: ${postbacks.length + again.length} posted → recorded ${answers.conversions.recorded}, duplicate ${answers.conversions.duplicate}` : ""));
  return { sent, answers, decides: { ok, failed: decides - ok, shown, codes: decideCodes } };
}

/** `a` and `b` merged, one of `b` after every few of `a`. */
function interleave(a, b) {
  if (!b.length) return a;
  const every = Math.max(1, Math.floor(a.length / b.length));
  const out = [];
  let j = 0;
  a.forEach((e, i) => {
    out.push(e);
    if ((i + 1) % every === 0 && j < b.length) out.push(b[j++]);
  });
  return out.concat(b.slice(j));
}

/** Request bodies of at most BATCH_EVENTS events and BATCH_BYTES bytes. */
function* batches(events) {
  let batch = [];
  let bytes = 12;
  for (const e of events) {
    const size = JSON.stringify(e).length + 1;
    if (batch.length && (batch.length === BATCH_EVENTS || bytes + size > BATCH_BYTES)) {
      yield JSON.stringify({ events: batch });
      batch = [];
      bytes = 12;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length) yield JSON.stringify({ events: batch });
}
