// Deciding at the edge (POST /v1/decide, docs/EDGE.md) for a page whose
// engine is not ready yet: first visits and cold caches. Nothing here needs
// the WebAssembly engine, so an edge decision costs one small request and no
// megabytes of code: the decision comes back rendered (the same Decision
// the page engine returns, with `signedReceipt` on every offer), and its
// events carry that signed receipt, which the collector verifies.

import { codedError } from "./oe-log.js";

/** How long an edge decision may take before `auto` falls back to the page engine. */
export const EDGE_TIMEOUT_MS = 5000;

const enc = new TextEncoder();

/**
 * The `emailsha256` of `email` exactly as the engine computes it
 * (`hashIdentifier("email", …)`: Unicode trim, Unicode lower-case,
 * SHA-256, lower-case hex) — computed here only where JavaScript's `trim`
 * and `toLowerCase` provably agree with Rust's: printable ASCII with ASCII
 * whitespace around it. Anything else (or no WebCrypto: an insecure
 * context) resolves to null and the caller asks the engine instead.
 * tests/browser/hybrid.test.js checks it against the engine on the shared
 * fixture of emails.
 */
export async function emailHash(email) {
  if (typeof email !== "string" || !/^[\t\n\v\f\r\x20-\x7e]*$/.test(email)) return null;
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest("SHA-256", enc.encode(email.trim().toLowerCase())));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Attributes that never leave the page: raw identifiers (the edge refuses
 * them: RAW_IDENTIFIER_REFUSED; the email goes as its hash) and names.
 */
export const PAGE_ONLY_ATTRIBUTES = new Set(["email", "phone", "dob", "firstname", "lastname"]);
/**
 * Names go to the edge as markers (Unicode private-use characters around
 * the attribute's name) and are filled into the rendered placement here
 * (`fillNames`), so an edge decision greets "Ada, …" without the edge ever
 * seeing "Ada". A marker is non-empty exactly when the name is, so rules
 * and `{{#firstname}}` sections decide the same.
 */
const NAMES = ["firstname", "lastname"];
const marker = (name) => `\ue000${name}\ue001`;
/** How the edge's templates write a marker inside a URL (percent-encoded UTF-8). */
const urlMarker = (name) => new RegExp(`%EE%80%80${name}%EE%80%81`, "gi");
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "srcset", "poster", "xlink:href"]);

/** The context an edge decision gets: `context` without the page-only attributes, names as markers. */
export function edgeContext(context) {
  const out = {};
  for (const [k, v] of Object.entries(context)) {
    if (NAMES.includes(k)) {
      if (typeof v === "string" && v.trim()) out[k] = marker(k);
    } else if (!PAGE_ONLY_ATTRIBUTES.has(k)) out[k] = v;
  }
  return out;
}

/**
 * Fills the name markers of an edge-rendered placement under `root` with
 * the shopper's names from `attributes` (trimmed, as the engine normalizes
 * them), through the DOM only: text nodes take the name as text, URL
 * attributes its percent-encoding (so no name can become a scheme), other
 * attributes the name as a value. Nothing is parsed as HTML.
 */
export function fillNames(root, attributes) {
  const names = NAMES.map((k) => [k, typeof attributes?.[k] === "string" ? attributes[k].trim() : ""]);
  const fill = (text, url) => names.reduce((t, [k, name]) => {
    const value = url ? encodeURIComponent(name) : name;
    return t.split(marker(k)).join(value).replace(urlMarker(k), value);
  }, text);
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.data.includes("\ue000")) node.data = fill(node.data, false);
  }
  for (const element of root.querySelectorAll("*")) {
    for (const a of [...element.attributes]) {
      if (a.value.includes("\ue000") || /%EE%80%80/i.test(a.value)) a.value = fill(a.value, URL_ATTRIBUTES.has(a.name.toLowerCase()));
    }
  }
}

/**
 * Asks the edge for a decision: `{url, partner, placements, attributes,
 * checkoutToken, consent}` → the Decision (`consent`: the same object the
 * page engine gets, oe-consent.js; the edge also honours `Sec-GPC: 1`).
 * Throws an Error with a `code`:
 * `EDGE_UNAVAILABLE` (network, timeout, 5xx, 429: worth falling back to the
 * page engine) or the edge's own code for a refusal (4xx).
 */
export async function decideAtEdge({ url, partner, placements, attributes, checkoutToken, consent, timeoutMs = EDGE_TIMEOUT_MS }) {
  const body = { partner, attributes };
  if (placements && placements.length) body.placements = placements;
  if (checkoutToken) body.checkoutToken = checkoutToken;
  if (consent) body.consent = consent;
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
      // The edge keeps the shopper's advisory history in its own signed,
      // partitioned cookie (attested shoppers: a Durable Object).
      credentials: "include",
      signal: AbortSignal.timeout ? AbortSignal.timeout(timeoutMs) : undefined,
    });
  } catch (e) {
    throw codedError("EDGE_UNAVAILABLE", `the edge did not answer: ${e && e.message}`);
  }
  let answer = null;
  try {
    answer = await res.json();
  } catch {
    // an HTML error page or a cut-off body: treated by status below
  }
  if (res.ok && answer && Array.isArray(answer.placements)) return answer;
  // The edge's refusals: `{error: {code, message}}` (docs/EDGE.md).
  const refusal = answer && answer.error;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429 && refusal && typeof refusal.code === "string") {
    throw codedError(refusal.code, `the edge refused the decision: ${refusal.message ?? res.status}`);
  }
  throw codedError("EDGE_UNAVAILABLE", `the edge answered HTTP ${res.status}`);
}

/** A lower-case UUID v4 (the collector's dedup key; also outside secure contexts, where randomUUID is missing). */
export function uuidV4() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The engagement event of a decided offer (docs/EVENTS.md), as the engine's
 * `Engine.event` builds it: made here so that an event never waits for the
 * engine (an impression of an edge decision on a first visit, an accept at
 * page unload). An edge decision's event carries the edge's compact signed
 * receipt, a page decision's the plain receipt; the collector checks every
 * field and takes billable facts from its own records, never from these.
 */
export function offerEvent(type, offer, partner, nowMs, { fulfilment, checkout } = {}) {
  const r = offer.receipt;
  const event = {
    id: uuidV4(),
    type,
    partner,
    receipt: offer.signedReceipt ?? r,
    placement: r.placement,
    offerId: offer.offerId,
    creativeId: offer.creativeId,
    campaign: offer.campaign,
    advertiser: offer.advertiser,
    time: new Date(nowMs).toISOString(),
    propensity: offer.propensity,
  };
  if (fulfilment) event.fulfilment = fulfilment;
  if (checkout) event.checkout = checkout;
  return event;
}
