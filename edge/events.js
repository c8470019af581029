// POST /v1/events: the collector. Validates the batch like the core, checks
// each event's partner, origin and receipt, deduplicates by event id with a
// D1 primary key (INSERT OR IGNORE), updates the shopper's history, and
// enqueues sealed fulfilment requests of accepts.
import { historyCookie, historyFromCookie } from "./cookie.js";
import { partners, receiptKey } from "./config.js";
import { activeBundle, isOfferEdgeError, oe } from "./engine.js";
import { HttpError, json, mediaType, readBody, unwrap } from "./http.js";
import { MAX_EVENT_BATCH_BYTES, parseBatch } from "./validate.js";

const MEDIA_TYPES = new Set(["application/json", "text/plain", ""]);
/** How far in the future an event time may be (host clocks drift). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Checks one validated event against config and keys. Returns null when it
 * may be stored, else the rejection code.
 */
function rejection(env, v, origin, ownOrigin, key, nowMs) {
  const partner = partners(env).get(v.event.partner);
  if (!partner) return "UNKNOWN_PARTNER";
  if (origin && origin !== ownOrigin && !partner.origins.has(origin)) return "ORIGIN_NOT_ALLOWED";
  if (!v.signed) return partner.requireSignedReceipts ? "RECEIPT_UNSIGNED" : null;
  try {
    // MAC (constant time), then partner, offer, expiry: forged, altered,
    // other-partner and moved-to-another-offer receipts all fail here.
    oe.verifyReceipt(v.event.receipt, key, nowMs, v.event.partner, v.event.offerId);
    return null;
  } catch (e) {
    if (isOfferEdgeError(e)) return e.code;
    throw e;
  }
}

const INSERT_EVENT = `INSERT OR IGNORE INTO events
  (partner, id, type, decision_id, placement, offer_id, creative_id, campaign, advertiser,
   time_ms, propensity, receipt_signed, has_fulfilment, received_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function insertEvent(db, v, nowMs) {
  const e = v.event;
  return db.prepare(INSERT_EVENT).bind(e.partner, e.id, e.type, v.receipt.decisionId, e.placement, e.offerId, e.creativeId,
    e.campaign, e.advertiser, v.timeMs, e.propensity, v.signed ? 1 : 0, e.fulfilment ? 1 : 0, nowMs);
}

/** Counts rejections per partner, code and day (observability; never blocks). */
async function countRejections(env, rejected, nowMs) {
  if (!rejected.length) return;
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const counts = new Map();
  for (const r of rejected) {
    const partner = partners(env).has(r.partner) ? r.partner : "(unknown)";
    const k = `${partner}\n${r.code}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const stmt = env.DB.prepare(`INSERT INTO event_rejections (partner, code, day, count) VALUES (?, ?, ?, ?)
    ON CONFLICT (partner, code, day) DO UPDATE SET count = count + excluded.count`);
  await env.DB.batch([...counts].map(([k, n]) => stmt.bind(...k.split("\n"), day, n)));
}

/**
 * Applies newly stored, receipt-verified engagements to history: the
 * shopper's Durable Object when the decision was made for a shopper id,
 * else the request's history cookie (returned as Set-Cookie).
 */
async function applyHistory(env, request, fresh, nowMs) {
  const verified = fresh.filter((v) => v.signed);
  if (!verified.length) return {};
  const byPartner = new Map();
  for (const v of verified) {
    if (!byPartner.has(v.event.partner)) byPartner.set(v.event.partner, []);
    byPartner.get(v.event.partner).push(v);
  }
  const headers = {};
  const updates = [];
  for (const [partner, list] of byPartner) {
    const ids = [...new Set(list.map((v) => v.receipt.decisionId))];
    const owners = new Map();
    // D1 allows 100 bound parameters per statement.
    for (let i = 0; i < ids.length; i += 90) {
      const chunk = ids.slice(i, i + 90);
      const { results } = await env.DB.prepare(
        `SELECT decision_id, shopper_key FROM decisions WHERE partner = ? AND decision_id IN (${chunk.map(() => "?").join(",")})`,
      ).bind(partner, ...chunk).all();
      for (const row of results) owners.set(row.decision_id, row.shopper_key);
    }
    const perShopper = new Map();
    const cookieMode = [];
    for (const v of list) {
      if (!owners.has(v.receipt.decisionId)) continue; // not an edge decision of ours
      const engagement = { type: v.event.type, offerId: v.event.offerId, timeMs: Math.min(v.timeMs, nowMs) };
      const shopper = owners.get(v.receipt.decisionId);
      if (shopper === null) cookieMode.push(engagement);
      else {
        if (!perShopper.has(shopper)) perShopper.set(shopper, []);
        perShopper.get(shopper).push(engagement);
      }
    }
    for (const [shopper, engagements] of perShopper) {
      const stub = env.HISTORY.get(env.HISTORY.idFromName(`${partner}:${shopper}`));
      updates.push(stub.record(partner, engagements).then(unwrap));
    }
    if (cookieMode.length) {
      const fromCookie = await historyFromCookie(env, request, partner);
      if (fromCookie.status === "ok") {
        const entry = await activeBundle(env, partner, nowMs);
        let blob = fromCookie.blob;
        for (const e of cookieMode.sort((a, b) => a.timeMs - b.timeMs)) {
          try {
            blob = entry.engine.record(blob, { type: e.type, offerId: e.offerId }, e.timeMs);
          } catch (err) {
            if (!isOfferEdgeError(err)) throw err;
          }
        }
        const cookie = await historyCookie(env, request, partner, blob);
        if (cookie) headers["set-cookie"] = cookie;
      }
    }
  }
  await Promise.all(updates);
  return headers;
}

/** POST /v1/events. */
export async function handleEvents(request, env) {
  if (!MEDIA_TYPES.has(mediaType(request))) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json or text/plain (sendBeacon)");
  }
  const validated = parseBatch(await readBody(request, MAX_EVENT_BATCH_BYTES));
  const nowMs = Date.now();
  const key = receiptKey(env);
  const origin = request.headers.get("origin");
  const ownOrigin = new URL(request.url).origin;
  const rejected = [];
  const storable = [];
  validated.forEach((v, index) => {
    let code = rejection(env, v, origin, ownOrigin, key, nowMs);
    if (!code && v.timeMs > nowMs + CLOCK_SKEW_MS) code = "EVENT_IN_FUTURE";
    if (code) rejected.push({ index, id: v.event.id, partner: v.event.partner, code });
    else storable.push(v);
  });

  let fresh = [];
  let duplicate = 0;
  if (storable.length) {
    const results = await env.DB.batch(storable.map((v) => insertEvent(env.DB, v, nowMs)));
    storable.forEach((v, i) => {
      if (results[i].meta.changes === 1) fresh.push(v);
      else duplicate++;
    });
  }

  // Sealed emails of new accepts go to the fulfilment queue. If the queue
  // refuses, the rows just stored are removed again, so the host's retry
  // (same ids) is processed in full instead of being counted a duplicate.
  const jobs = fresh.filter((v) => v.event.type === "accept" && v.event.fulfilment);
  if (jobs.length) {
    try {
      await env.FULFILMENT_QUEUE.sendBatch(jobs.map((v) => ({
        body: { partner: v.event.partner, eventId: v.event.id, acceptedAtMs: Math.min(v.timeMs, nowMs), request: v.event.fulfilment },
        contentType: "json",
      })));
    } catch (e) {
      console.error("fulfilment queue refused a batch", e);
      await env.DB.batch(fresh.map((v) => env.DB.prepare("DELETE FROM events WHERE partner = ? AND id = ?").bind(v.event.partner, v.event.id)));
      throw new HttpError(503, "QUEUE_UNAVAILABLE", "try again with the same event ids", { "retry-after": "5" });
    }
  }

  let headers = {};
  try {
    headers = await applyHistory(env, request, fresh, nowMs);
  } catch (e) {
    // The events are stored; a history update that fails is logged, not
    // retried by the host (its retry would be a duplicate).
    console.error("history update failed", e);
  }
  await countRejections(env, rejected, nowMs);
  return json({
    accepted: fresh.length,
    duplicate,
    rejected: rejected.length,
    rejections: rejected.map(({ index, id, code }) => ({ index, id, code })),
  }, 200, headers);
}
