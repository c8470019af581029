// POST /v1/decide: an edge decision with HMAC-signed receipts. History is
// authoritative in the shopper's Durable Object when the partner passes a
// shopperId (hashed before it names anything), else advisory in a signed,
// partner-scoped cookie.
import { cookieName, historyCookie, historyFromCookie } from "./cookie.js";
import { partnerOr404, receiptKey } from "./config.js";
import { activeBundle, isOfferEdgeError, oe } from "./engine.js";
import { HttpError, json, parseJson, readBody, unwrap } from "./http.js";
import { sha256Hex, utf8 } from "./util.js";

/** Largest decide body: a checkout context is small. */
export const MAX_DECIDE_BYTES = 16 * 1024;
const MAX_SHOPPER_ID = 256;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Error codes of the core that mean "the caller sent something wrong". */
const SERVER_CODES = new Set(["NO_BUNDLE", "KEY_INVALID", "INTERNAL"]);

function bad(message) {
  return new HttpError(400, "DECIDE_INVALID", message);
}

/** The validated decide request. */
export function parseDecideRequest(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw bad("body must be a JSON object");
  for (const k of Object.keys(body)) {
    if (!["partner", "placement", "attributes", "shopperId"].includes(k)) throw bad(`unknown field ${k}`);
  }
  if (typeof body.partner !== "string") throw bad("partner must be a string");
  if (body.placement !== undefined && (typeof body.placement !== "string" || !ID.test(body.placement))) {
    throw bad("placement must be an id");
  }
  const attributes = body.attributes ?? {};
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes)) {
    throw bad("attributes must be an object");
  }
  const shopperId = body.shopperId;
  if (shopperId !== undefined && (typeof shopperId !== "string" || shopperId.length === 0 || utf8(shopperId).length > MAX_SHOPPER_ID)) {
    throw bad(`shopperId must be a string of 1..=${MAX_SHOPPER_ID} bytes`);
  }
  return { partner: body.partner, placement: body.placement, attributes, shopperId };
}

/** The Durable Object name of a shopper: partner + SHA-256(partner, shopperId). */
export async function shopperKey(partner, shopperId) {
  return sha256Hex(`offer-edge/shopper/v1\n${partner}\n${shopperId}`);
}

/**
 * Runs the Engine for `input` on `historyBlob` and signs every receipt.
 * Returns `{decision, history}`; used by the worker (cookie mode) and by the
 * ShopperHistory Durable Object.
 */
export async function runDecision(env, input, historyBlob, nowMs) {
  const entry = await activeBundle(env, input.partner, nowMs);
  const key = receiptKey(env);
  const options = { receiptTtl: env.RECEIPT_TTL || "24h" };
  if (input.placement) options.placements = [input.placement];
  let out;
  try {
    out = entry.engine.decide(input.attributes, historyBlob && historyBlob.length ? historyBlob : null, nowMs, options);
  } catch (e) {
    if (isOfferEdgeError(e) && !SERVER_CODES.has(e.code)) throw new HttpError(400, e.code, e.message);
    throw e;
  }
  for (const placement of out.decision.placements) {
    for (const offer of placement.offers) offer.signedReceipt = oe.signReceipt(offer.receipt, key);
  }
  return out;
}

/** POST /v1/decide. */
export async function handleDecide(request, env) {
  const input = parseDecideRequest(parseJson(await readBody(request, MAX_DECIDE_BYTES), "DECIDE_INVALID"));
  const partner = partnerOr404(env, input.partner);
  const origin = request.headers.get("origin");
  if (origin && !partner.origins.has(origin) && origin !== new URL(request.url).origin) {
    throw new HttpError(403, "ORIGIN_NOT_ALLOWED", `origin ${origin} is not one of ${partner.id}'s`);
  }
  const nowMs = Date.now();
  const started = performance.now();
  const headers = {};
  let decision;
  let key = null;
  if (input.shopperId !== undefined) {
    key = await shopperKey(partner.id, input.shopperId);
    const stub = env.HISTORY.get(env.HISTORY.idFromName(`${partner.id}:${key}`));
    const input2 = { partner: partner.id, placement: input.placement, attributes: input.attributes };
    decision = unwrap(await stub.decide(input2, key, nowMs)).decision;
    headers["x-history-source"] = "durable-object";
  } else {
    const fromCookie = await historyFromCookie(env, request, partner.id);
    const out = await runDecision(env, input, fromCookie.blob, nowMs);
    decision = out.decision;
    const cookie = await historyCookie(env, request, partner.id, out.history);
    if (cookie) headers["set-cookie"] = cookie;
    headers["x-history-source"] = fromCookie.status === "ok" ? "cookie" : fromCookie.status === "rejected" ? "cookie-rejected" : "new";
  }
  headers["server-timing"] = `decide;dur=${(performance.now() - started).toFixed(1)}`;
  // Index the decision so /v1/events can find the shopper's history from a
  // receipt. Awaited: an engagement reported right after the decision must
  // find it (one small D1 write per decision).
  await env.DB.prepare("INSERT OR IGNORE INTO decisions (partner, decision_id, shopper_key, created_ms) VALUES (?, ?, ?, ?)")
    .bind(partner.id, decision.decisionId, key, nowMs)
    .run();
  return json(decision, 200, headers);
}

export { cookieName };
