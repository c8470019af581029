// Fulfilment at intake: which accepts may send a confirmation email.
// Only an attested order (checkout token) may, only when the sealed email
// opens with the partner's key and its attested hash equals the token's
// `eh` (the page cannot pick the recipient), only for an offer whose
// confirmation email the bundle requires, and only once per
// (partner, order, offer), at most `maxConfirmationsPerOrder` per order.
import { fulfilmentSecretName } from "./config.js";
import { isOfferEdgeError } from "./engine.js";
import { HttpError } from "./http.js";

/**
 * Checks the sealed email of billable accept `c`. Returns `c` with
 * `email: true` (may be sent), `c` with `emailRefused: code` (the event
 * counts, no email: ATTESTATION_REQUIRED, FULFILMENT_NOT_OFFERED), or a
 * rejection of the whole event (`EMAIL_MISMATCH`, `SEAL_FAILED`,
 * `EMAIL_INVALID`: the page sealed something the partner did not attest).
 */
export function checkSealedEmail(env, partner, engine, c, v) {
  if (!c.claims) return { ...c, email: false, emailRefused: "ATTESTATION_REQUIRED" };
  if (!c.needsConfirmationEmail) return { ...c, email: false, emailRefused: "FULFILMENT_NOT_OFFERED" };
  const secret = env[fulfilmentSecretName(partner.id)];
  if (!secret) throw new HttpError(503, "CONFIG_INVALID", `secret ${fulfilmentSecretName(partner.id)} is not set`);
  try {
    engine.confirmationEmail(secret, v.event.fulfilment, c.timeMs, c.claims.eh);
  } catch (e) {
    if (isOfferEdgeError(e)) return { outcome: "rejected", code: e.code };
    throw e;
  }
  return { ...c, email: true };
}

const CLAIM = `INSERT OR IGNORE INTO fulfilment_claims (partner, order_ref, offer_id, event_id, created_ms)
  SELECT ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM fulfilment_claims WHERE partner = ? AND order_ref = ?) < ?`;

/**
 * Claims the one confirmation of (partner, order, offer) for fresh event
 * `b`, atomically under the per-order cap (one SQL statement). Returns null
 * when claimed, else `ORDER_ALREADY_CONFIRMED` or `ORDER_CAP_REACHED`.
 */
export async function claimFulfilment(env, partner, b, nowMs) {
  const e = b.v.event;
  const r = await env.DB.prepare(CLAIM)
    .bind(partner.id, b.order, e.offerId, e.id, nowMs, partner.id, b.order, partner.maxConfirmationsPerOrder)
    .run();
  if (r.meta.changes === 1) return null;
  const same = await env.DB.prepare("SELECT 1 AS x FROM fulfilment_claims WHERE partner = ? AND order_ref = ? AND offer_id = ?")
    .bind(partner.id, b.order, e.offerId).first();
  return same ? "ORDER_ALREADY_CONFIRMED" : "ORDER_CAP_REACHED";
}

/** Gives back the claims of `jobs` (their enqueue failed; the host retries). */
export async function releaseClaims(env, jobs) {
  if (!jobs.length) return;
  await env.DB.batch(jobs.map((b) => env.DB.prepare("DELETE FROM fulfilment_claims WHERE partner = ? AND event_id = ?")
    .bind(b.partner, b.v.event.id)));
}

/** Sends the confirmation jobs of `jobs` to the fulfilment queue (throws when the queue refuses). */
export async function enqueueFulfilment(env, jobs) {
  if (!jobs.length) return;
  await env.FULFILMENT_QUEUE.sendBatch(jobs.map((b) => ({
    body: {
      partner: b.partner,
      eventId: b.v.event.id,
      acceptedAtMs: b.timeMs,
      request: b.v.event.fulfilment,
      order: b.order,
      eh: b.claims.eh,
    },
    contentType: "json",
  })));
}
