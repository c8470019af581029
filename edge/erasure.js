// DELETE /v1/shoppers/:partner: the partner erases one shopper
// (docs/PRIVACY.md, "Erasure"). Behind the partner's API secret; the
// identity travels in the body, never in a URL that logs keep:
//   {"shopperRef": "<the reference its checkout tokens name as sub, or its shopperId>"}
//   {"eh": "<the attested email hash of its checkout tokens>"}   (one or both)
// Removes, for that identity and partner only: the shopper's Durable Object
// history, its billable events, its decision records, the outbox rows,
// fulfilment claims, failures and scheduled reminders of its decisions, the
// unique coupon codes issued to its orders (edge/coupons.js), and
// conversion postbacks of its events. Aggregates stay (they are counts, not
// personal data); unverified events name nobody. Idempotent.
import { partnerOr404 } from "./config.js";
import { shopperKey } from "./decide.js";
import { HttpError, json, parseJson, readBody, unwrap } from "./http.js";
import { isPartnerBackend } from "./keys.js";
import { utf8 } from "./util.js";

const MAX_BODY = 1024;
const MAX_REF = 256;
const EH = /^[0-9a-f]{64}$/;
/** Ids bound per statement (D1 allows 100 parameters). */
const IN_CHUNK = 90;

const invalid = (message) => new HttpError(400, "ERASURE_INVALID", message);

function parseIdentity(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalid("body must be a JSON object");
  for (const k of Object.keys(body)) if (k !== "shopperRef" && k !== "eh") throw invalid(`unknown field ${k.slice(0, 40)}`);
  const { shopperRef, eh } = body;
  if (shopperRef === undefined && eh === undefined) throw invalid("send shopperRef, eh or both");
  if (shopperRef !== undefined && (typeof shopperRef !== "string" || !shopperRef || utf8(shopperRef).length > MAX_REF)) {
    throw invalid(`shopperRef must be a string of 1..=${MAX_REF} bytes`);
  }
  if (eh !== undefined && (typeof eh !== "string" || !EH.test(eh))) throw invalid("eh must be 64 lower-case hex digits (attestedEmailHash)");
  return { shopperRef: shopperRef ?? null, eh: eh ?? null };
}

/** Runs `sql`, whose `(…)` is filled with `ids`, in chunks; returns the rows it deleted. */
async function inChunks(db, sql, fixed, ids) {
  let total = 0;
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    const chunk = ids.slice(i, i + IN_CHUNK);
    total += (await db.prepare(sql.replace("(…)", `(${chunk.map(() => "?").join(",")})`)).bind(...fixed, ...chunk).run()).meta.changes;
  }
  return total;
}

/** DELETE /v1/shoppers/:partner. */
export async function handleErasure(request, env, partnerId) {
  const partner = partnerOr404(env, partnerId);
  if (!isPartnerBackend(env, request, partner)) {
    throw new HttpError(401, "ERASURE_AUTH_REQUIRED", "erasure takes the partner's API secret as a bearer token", { "www-authenticate": "Bearer" });
  }
  const { shopperRef, eh } = parseIdentity(parseJson(await readBody(request, MAX_BODY), "ERASURE_INVALID"));
  const key = shopperRef === null ? null : await shopperKey(partner.id, shopperRef);
  const db = env.DB;

  // Everything keyed by the identity, then everything keyed by what that found.
  const events = (await db.prepare(`SELECT id, type, decision_id, order_ref, offer_id, has_fulfilment FROM billable_events
    WHERE partner = ? AND ((shopper_key IS NOT NULL AND shopper_key = ?) OR (eh IS NOT NULL AND eh = ?))`)
    .bind(partner.id, key, eh).all()).results;
  const decisionRows = key === null ? [] : (await db.prepare("SELECT decision_id FROM decision_records WHERE partner = ? AND shopper_key = ?")
    .bind(partner.id, key).all()).results;
  const eventIds = events.map((e) => e.id);
  const decisions = [...new Set([...events.map((e) => e.decision_id), ...decisionRows.map((d) => d.decision_id)])];
  const orders = [...new Set(events.map((e) => e.order_ref).filter((o) => o !== null))];
  const reminders = events.filter((e) => e.type === "accept" && e.has_fulfilment === 1)
    .map((e) => `${partner.id}:${e.decision_id}:${e.offer_id}`);

  const erased = {
    events: await inChunks(db, "DELETE FROM billable_events WHERE partner = ? AND id IN (…)", [partner.id], eventIds),
    conversions: await inChunks(db, "DELETE FROM conversion_postbacks WHERE partner = ? AND event_id IN (…)", [partner.id], eventIds),
    decisions: await inChunks(db, "DELETE FROM decision_records WHERE partner = ? AND decision_id IN (…)", [partner.id], decisions),
    decisionOffers: await inChunks(db, "DELETE FROM decision_offers WHERE partner = ? AND decision_id IN (…)", [partner.id], decisions),
    emails: await inChunks(db, "DELETE FROM outbox WHERE partner = ? AND decision_id IN (…)", [partner.id], decisions),
    fulfilmentFailures: await inChunks(db, "DELETE FROM fulfilment_failures WHERE partner = ? AND event_id IN (…)", [partner.id], eventIds),
    fulfilmentClaims: await inChunks(db, "DELETE FROM fulfilment_claims WHERE partner = ? AND order_ref IN (…)", [partner.id], orders),
    // Unique coupon codes: who a code went to is erased; a pool code stays spent (never issued twice).
    couponClaims: await inChunks(db, "DELETE FROM coupon_claims WHERE partner = ? AND order_ref IN (…)", [partner.id], orders)
      + await inChunks(db, "DELETE FROM coupon_claims WHERE partner = ? AND decision_id IN (…)", [partner.id], decisions),
    couponPoolLinks: await inChunks(db, "UPDATE coupon_pool SET claim_key = NULL, decision_id = NULL WHERE partner = ? AND decision_id IN (…)", [partner.id], decisions),
    reminders: 0,
    history: false,
  };
  for (const name of reminders) {
    if (unwrap(await env.REMINDERS.get(env.REMINDERS.idFromName(name)).forget(partner.id)).erased) erased.reminders += 1;
  }
  if (key !== null) {
    erased.history = unwrap(await env.HISTORY.get(env.HISTORY.idFromName(`${partner.id}:${key}`)).forget(partner.id)).erased;
  }
  return json({ partner: partner.id, erased }, 200, { "cache-control": "no-store" });
}
