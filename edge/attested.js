// What an event proves, decided one event at a time (docs/EDGE.md, "Threat
// model"). Every field a page sends is a claim; an event becomes
// **billable** (stored in `billable_events`, feeds history, caps, reports
// and fulfilment) only when it is bound to something the page cannot forge:
// - an **attested order**: the event carries a checkout token its partner's
//   backend signed (`checkout`), verified with the partner's pinned keys;
// - an **edge decision**: its receipt carries the partner's HMAC and the
//   decision was recorded at decide time (`decision_records`).
// Anything else that is well-formed goes to the **unverified** stream:
// counted, never billable, never history, never an email.
//
// Billable facts come from the edge, not the event: campaign, advertiser,
// creative and propensity from the decision record (edge decisions) or the
// active bundle (page decisions, whose propensity is kept only as a claim);
// the time is clamped to [receipt issued (and token issued), now + 5 min].
import { callCore, isOfferEdgeError, oe } from "./engine.js";
import { receiptKeyFor, tokenCode, verifyCheckout } from "./keys.js";

/** How far in the future an event time may be (host clocks drift); later times are clamped. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** An event that is refused outright (not stored): `{code}`. */
const refuse = (code) => ({ outcome: "rejected", code });
/** An event stored in the unverified stream with the reason it is not billable. */
const unverified = (code) => ({ outcome: "unverified", code });

/**
 * The verified claims of `token`, or `{code}` when it fails: verified once
 * per batch (`seen`: token → outcome), since a page's events share their
 * order's token.
 */
function checkToken(partner, token, nowMs, seen) {
  if (!seen.has(token)) {
    try {
      seen.set(token, verifyCheckout(partner, token, nowMs));
    } catch (e) {
      const code = tokenCode(e);
      if (!code) throw e;
      seen.set(token, { code });
    }
  }
  return seen.get(token);
}

/**
 * Receipt and token checks of one validated event `v` of `partner`
 * (`tokens`: this batch's token outcomes, see `checkToken`).
 * Returns `{outcome: "rejected", code}`, `{outcome: "unverified", code}` or
 * `{outcome: "billable", binding, order, claims, signed}` (facts are
 * filled in by `billableFacts`).
 */
export function classify(env, partner, v, nowMs, origin, ownOrigin, tokens) {
  if (origin && origin !== ownOrigin && !partner.origins.has(origin)) return refuse("ORIGIN_NOT_ALLOWED");
  const receipt = v.receipt;
  if (v.signed) {
    const key = receiptKeyFor(env, partner, receipt.kid);
    if (!key) return refuse("RECEIPT_INVALID");
    try {
      // MAC (constant time), then partner, offer, expiry: forged, altered,
      // other-partner and moved-to-another-offer receipts all fail here.
      callCore(() => oe.verifyReceipt(v.event.receipt, key, nowMs, partner.id, v.event.offerId));
    } catch (e) {
      if (isOfferEdgeError(e)) return refuse(e.code);
      throw e;
    }
  } else if (Date.parse(receipt.expiresAt) <= nowMs) {
    return refuse("RECEIPT_EXPIRED");
  }
  let claims = null;
  if (v.event.checkout !== undefined) {
    claims = checkToken(partner, v.event.checkout, nowMs, tokens);
    if (claims.code) return refuse(claims.code);
  }
  // Conversions are the advertiser's word (a server-to-server postback), never a page's.
  if (v.event.type === "conversion") return unverified("CONVERSION_NOT_ATTESTED");
  if (claims) return { outcome: "billable", binding: `order:${claims.ord}`, order: claims.ord, claims, signed: v.signed };
  if (v.signed && !partner.requireAttestation) {
    return { outcome: "billable", binding: `decision:${receipt.decisionId}`, order: null, claims: null, signed: true };
  }
  return unverified(partner.requireAttestation ? "ATTESTATION_REQUIRED" : "ATTESTATION_MISSING");
}

/** Rows of `decision_offers` (with the decision's shopper and order) for signed events, by `decisionId\nofferId`. */
export async function decisionFacts(env, partnerId, signedEvents) {
  const keys = [...new Set(signedEvents.map((v) => v.receipt.decisionId))];
  const facts = new Map();
  // D1 allows 100 bound parameters per statement.
  for (let i = 0; i < keys.length; i += 90) {
    const chunk = keys.slice(i, i + 90);
    const { results } = await env.DB.prepare(
      `SELECT o.decision_id, o.offer_id, o.placement, o.creative_id, o.campaign, o.advertiser, o.propensity, o.eligible,
              d.shopper_key, d.order_ref, d.created_ms, d.features, d.measurement
         FROM decision_offers o JOIN decision_records d ON d.partner = o.partner AND d.decision_id = o.decision_id
        WHERE o.partner = ? AND o.decision_id IN (${chunk.map(() => "?").join(",")})`,
    ).bind(partnerId, ...chunk).all();
    for (const row of results) facts.set(`${row.decision_id}\n${row.offer_id}`, row);
  }
  return facts;
}

/**
 * Completes a billable classification with facts the edge vouches for, or
 * turns it into a rejection: `DECISION_UNKNOWN` (a signed receipt whose
 * decision or offer the edge did not record), `ORDER_MISMATCH` (the token
 * attests another order than the decision was made for), `OFFER_UNKNOWN`
 * (a page decision naming an offer the active bundle does not have).
 */
export function billableFacts(c, v, engine, facts, nowMs) {
  const e = v.event;
  let fact;
  if (c.signed) {
    fact = facts.get(`${v.receipt.decisionId}\n${e.offerId}`);
    if (!fact || fact.placement !== e.placement || fact.creative_id !== e.creativeId) return refuse("DECISION_UNKNOWN");
    if (c.order !== null && fact.order_ref !== null && fact.order_ref !== c.order) return refuse("ORDER_MISMATCH");
  }
  const offer = engine.offer(e.offerId);
  if (!fact && !offer) return refuse("OFFER_UNKNOWN");
  let lower = Date.parse(v.receipt.issuedAt);
  if (c.claims) lower = Math.max(lower, c.claims.iat * 1000);
  const timeMs = Math.min(Math.max(v.timeMs, lower), nowMs + CLOCK_SKEW_MS);
  return {
    ...c,
    timeMs,
    creativeId: fact ? fact.creative_id : offer.creativeId,
    campaign: fact ? fact.campaign : offer.campaign,
    advertiser: fact ? fact.advertiser : offer.advertiser,
    // Only an edge decision's logged propensity is evidence; a page's is kept as its claim.
    propensity: fact ? fact.propensity : null,
    claimedPropensity: fact ? null : e.propensity,
    // What offline evaluation re-scores (docs/LEARNING.md): kept on the
    // impression, which outlives the 48 h decision index.
    features: fact && e.type === "impression" ? fact.features : null,
    eligible: fact && e.type === "impression" ? fact.eligible : null,
    shopperKey: fact?.shopper_key ?? null,
    // The decision had no measurement consent: count and deduplicate, nothing more (docs/PRIVACY.md).
    aggregateOnly: fact?.measurement === 0,
    cookieMode: Boolean(fact) && fact.shopper_key === null,
    needsConfirmationEmail: offer ? offer.needsConfirmationEmail : false,
  };
}
