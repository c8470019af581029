// POST /v1/events: the collector. Reads the batch with the core's parser
// (`parseEventBatch`: EventBatch::from_json, docs/event.schema.json), decides
// what each event proves (edge/attested.js), stores billable events once per
// (order or decision, offer, type) and the rest in the unverified stream,
// updates the shopper's history from billable engagement only, and enqueues
// a confirmation email only for an attested order whose sealed email is the
// one the partner attested (edge/fulfilment-intake.js).
import { historyCookie, historyFromCookie } from "./cookie.js";
import { partners } from "./config.js";
import { shopperKey } from "./decide.js";
import { callCore, isOfferEdgeError, oe, replay, withEngine } from "./engine.js";
import { billableFacts, classify, decisionFacts } from "./attested.js";
import { claimFulfilment, checkSealedEmail, enqueueFulfilment, releaseClaims } from "./fulfilment-intake.js";
import { issueCoupons } from "./coupons.js";
import { HttpError, json, mediaType, readBody, unwrap } from "./http.js";
import { inserted } from "./sql.js";
import { MAX_EVENT_BATCH_BYTES } from "../pkg/limits.js";

const MEDIA_TYPES = new Set(["application/json", "text/plain", ""]);

const INSERT_BILLABLE = `INSERT OR IGNORE INTO billable_events
  (partner, id, type, binding, order_ref, decision_id, placement, offer_id, creative_id, campaign, advertiser,
   time_ms, propensity, claimed_propensity, receipt_signed, attested, has_fulfilment, received_ms, features, eligible,
   shopper_key, eh, aggregate_only)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_UNVERIFIED = `INSERT OR IGNORE INTO unverified_events (partner, id, type, offer_id, reason, received_ms)
  VALUES (?, ?, ?, ?, ?, ?)`;

/**
 * The billable row of `b`. Who it is about (`shopper_key`, the attested
 * email hash `eh`) is kept so the partner can erase it (DELETE
 * /v1/shoppers); an aggregate-only row (no measurement consent) keeps
 * neither, nor its propensity.
 */
function insertBillable(db, b, nowMs) {
  const e = b.v.event;
  const aggregate = b.aggregateOnly === true;
  return db.prepare(INSERT_BILLABLE).bind(e.partner, e.id, e.type, b.binding, b.order, b.v.receipt.decisionId, e.placement,
    e.offerId, b.creativeId, b.campaign, b.advertiser, b.timeMs, aggregate ? null : b.propensity, b.claimedPropensity,
    b.signed ? 1 : 0, b.claims ? 1 : 0, b.email ? 1 : 0, nowMs, b.features, b.eligible,
    aggregate ? null : b.subjectKey, aggregate ? null : (b.claims?.eh ?? null), aggregate ? 1 : 0);
}

/** Takes back a stored billable row and what the rollup trigger counted for it, in one batch. */
function undoBillable(db, b) {
  const e = b.v.event;
  const is = (type) => (e.type === type ? 1 : 0);
  return [
    db.prepare("DELETE FROM billable_events WHERE partner = ? AND id = ?").bind(b.partner, e.id),
    db.prepare(`UPDATE report_daily SET impressions = impressions - ?, accepts = accepts - ?, declines = declines - ?,
        closes = closes - ?, conversions = conversions - ?
      WHERE partner = ? AND day = ? AND placement = ? AND offer_id = ? AND creative_id = ? AND campaign = ? AND advertiser = ?`)
      .bind(is("impression"), is("accept"), is("decline"), is("close"), is("conversion"), b.partner,
        new Date(b.timeMs).toISOString().slice(0, 10), e.placement, e.offerId, b.creativeId, b.campaign, b.advertiser),
  ];
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

/** The history engagement of a fresh billable event. */
const engagementOf = (b) => ({ type: b.v.event.type, offerId: b.v.event.offerId, timeMs: b.timeMs, decisionId: b.v.receipt.decisionId });

/**
 * Applies fresh billable engagement to history: the shopper's Durable
 * Object (named by the decision's shopper or the token's `sub`), else the
 * request's history cookie for cookie-mode edge decisions.
 */
async function applyHistory(env, request, partner, fresh, nowMs) {
  const perShopper = new Map();
  const cookieMode = [];
  for (const b of fresh) {
    const key = b.subjectKey;
    if (key) {
      if (!perShopper.has(key)) perShopper.set(key, []);
      perShopper.get(key).push(engagementOf(b));
    } else if (b.cookieMode) cookieMode.push(engagementOf(b));
  }
  const updates = [...perShopper].map(([key, engagements]) =>
    env.HISTORY.get(env.HISTORY.idFromName(`${partner.id}:${key}`)).record(partner.id, engagements).then(unwrap));
  let cookie = null;
  if (cookieMode.length) {
    const fromCookie = await historyFromCookie(env, request, partner);
    if (fromCookie.status === "ok") {
      const { blob } = await withEngine(env, partner.id, nowMs, (engine) => replay(engine, fromCookie.blob, cookieMode));
      cookie = await historyCookie(env, request, partner, blob);
    }
  }
  await Promise.all(updates);
  return cookie;
}

/** Classifies every event of one partner; fills `out` (rejected, unverified, billable). */
async function sortPartnerEvents(env, partner, list, nowMs, origin, ownOrigin, out) {
  const tokens = new Map();
  const classified = list.map(({ v, index }) => ({ v, index, c: classify(env, partner, v, nowMs, origin, ownOrigin, tokens) }));
  const pending = classified.filter((x) => x.c.outcome === "billable");
  if (!pending.length) {
    for (const x of classified) out[x.c.outcome === "rejected" ? "rejected" : "unverified"].push({ ...x, partner: partner.id });
    return;
  }
  const facts = await decisionFacts(env, partner.id, pending.filter((x) => x.c.signed).map((x) => x.v));
  await withEngine(env, partner.id, nowMs, (engine) => {
    for (const x of classified) {
      let c = x.c;
      if (c.outcome === "billable") c = billableFacts(c, x.v, engine, facts, nowMs);
      if (c.outcome === "billable" && x.v.event.fulfilment) c = checkSealedEmail(env, partner, engine, c, x.v);
      if (c.outcome === "billable") out.billable.push({ ...c, v: x.v, index: x.index, partner: partner.id });
      else out[c.outcome].push({ v: x.v, index: x.index, partner: partner.id, c });
    }
  });
}

/**
 * The events of a batch body, each `{event, receipt, signed, timeMs}`, as
 * the core reads them: a body that is not a batch, or holds a bad event,
 * is refused whole (400 with the core's code and message: the field, line
 * and column of a parse error, the index of an event that fails its checks).
 */
function parseBatch(body) {
  try {
    return callCore(() => oe.parseEventBatch(body));
  } catch (e) {
    if (isOfferEdgeError(e)) throw new HttpError(400, e.code, e.message);
    throw e;
  }
}

/** POST /v1/events. */
export async function handleEvents(request, env) {
  if (!MEDIA_TYPES.has(mediaType(request))) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json or text/plain (sendBeacon)");
  }
  const validated = parseBatch(await readBody(request, MAX_EVENT_BATCH_BYTES));
  const nowMs = Date.now();
  const origin = request.headers.get("origin");
  const ownOrigin = new URL(request.url).origin;
  const out = { rejected: [], unverified: [], billable: [] };
  const byPartner = new Map();
  validated.forEach((v, index) => {
    const partner = partners(env).get(v.event.partner);
    if (!partner) {
      out.rejected.push({ v, index, partner: v.event.partner, c: { code: "UNKNOWN_PARTNER" } });
      return;
    }
    if (!byPartner.has(partner)) byPartner.set(partner, []);
    byPartner.get(partner).push({ v, index });
  });
  for (const [partner, list] of byPartner) await sortPartnerEvents(env, partner, list, nowMs, origin, ownOrigin, out);
  // Whose event it is: the decision's shopper, else the checkout token's attested `sub`.
  for (const b of out.billable) {
    b.subjectKey = b.shopperKey ?? (b.claims?.sub ? await shopperKey(b.partner, b.claims.sub) : null);
  }

  const statements = [
    ...out.billable.map((b) => insertBillable(env.DB, b, nowMs)),
    ...out.unverified.map((u) => env.DB.prepare(INSERT_UNVERIFIED)
      .bind(u.partner, u.v.event.id, u.v.event.type, u.v.event.offerId, u.c.code, nowMs)),
  ];
  const results = statements.length ? await env.DB.batch(statements) : [];
  const fresh = out.billable.filter((_, i) => inserted(results[i]));
  const duplicate = out.billable.length - fresh.length;
  const unverifiedStored = out.unverified.filter((_, i) => inserted(results[out.billable.length + i])).length;

  // Unique coupon codes, before the emails that print them (edge/coupons.js):
  // attested accepts only, resends read the same code back.
  const coupons = await issueCoupons(env, out.billable, out.unverified, nowMs);

  // One confirmation per (partner, order, offer), at most the partner's cap per order.
  const fulfilment = { queued: 0, refused: [] };
  const jobs = [];
  for (const b of fresh.filter((x) => x.email || x.emailRefused)) {
    const refused = b.emailRefused ?? await claimFulfilment(env, partners(env).get(b.partner), b, nowMs);
    if (refused) fulfilment.refused.push({ index: b.index, id: b.v.event.id, code: refused });
    else jobs.push(b);
  }
  try {
    await enqueueFulfilment(env, jobs);
    fulfilment.queued = jobs.length;
  } catch (e) {
    // Undo what this request stored, so the host's retry (same ids) is processed in full.
    console.error("fulfilment queue refused a batch", e);
    await releaseClaims(env, jobs);
    await env.DB.batch(fresh.flatMap((b) => undoBillable(env.DB, b)));
    throw new HttpError(503, "QUEUE_UNAVAILABLE", "try again with the same event ids", { "retry-after": "5" });
  }

  const headers = { "cache-control": "no-store" };
  for (const partner of byPartner.keys()) {
    // Aggregate-only engagement (no measurement consent) never reaches history.
    const mine = fresh.filter((b) => b.partner === partner.id && b.v.event.type !== "conversion" && !b.aggregateOnly);
    if (!mine.length) continue;
    try {
      const cookie = await applyHistory(env, request, partner, mine, nowMs);
      if (cookie) headers["set-cookie"] = cookie;
    } catch (e) {
      // The events are stored; a history update that fails is logged, not
      // retried by the host (its retry would be a duplicate).
      console.error("history update failed", e);
    }
  }
  const rejected = out.rejected.map((r) => ({ index: r.index, id: r.v.event.id, partner: r.partner, code: r.c.code }));
  await countRejections(env, rejected, nowMs);
  const byIndex = (a, b) => a.index - b.index;
  return json({
    accepted: fresh.length,
    duplicate,
    rejected: rejected.length,
    unverified: unverifiedStored,
    rejections: rejected.sort(byIndex).map(({ index, id, code }) => ({ index, id, code })),
    unverifiedReasons: out.unverified.map((u) => ({ index: u.index, id: u.v.event.id, code: u.c.code })).sort(byIndex),
    fulfilment,
    ...(coupons.length ? { coupons } : {}),
  }, 200, headers);
}
