// POST /v1/conversions: an advertiser's server reports that a shopper who
// accepted one of its offers converted (docs/REPORTS.md, "Conversion
// postback"). Pages can never do this (their conversion events stay
// unverified, CONVERSION_NOT_ATTESTED); an advertiser can only for its own
// offers, at partners that list it, and only after a billable accept.
//
// Authentication: HMAC-SHA256 under the advertiser's own key (secret
// ADVERTISER_POSTBACK_KEY_<ADV>, >= 32 bytes) over
//   "offer-edge/conversion/v1\n" advertiser "\n" timestamp "\n" body
// sent as `Offer-Edge-Advertiser`, `Offer-Edge-Timestamp` (Unix seconds,
// within 5 minutes of the edge's clock) and `Offer-Edge-Signature: v1=<hex>`.
// Idempotent: a conversion id counts once per (partner, advertiser); a
// decision's or order's accept converts at most once, whatever the ids.
import { CLOCK_SKEW_MS } from "./attested.js";
import { advertiserPostbackKeyName, partnerOr404 } from "./config.js";
import { withEngine } from "./engine.js";
import { HttpError, json, mediaType, parseJson, readBody } from "./http.js";
import { inserted } from "./sql.js";
import { hmacVerify, sha256Hex, utf8 } from "./util.js";

/** Largest postback body: a handful of ids. */
export const MAX_CONVERSION_BYTES = 4096;
/** How far the signed timestamp may be from the edge's clock. */
export const SIGNATURE_WINDOW_S = 300;
const MIN_KEY_BYTES = 32;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Conversion ids and order refs: printable ASCII without spaces, as checkout tokens' `ord`. */
const REF = /^[\x21-\x7e]{1,128}$/;
const DECISION_ID = /^[0-9a-f]{32}$/;
const FIELDS = new Set(["partner", "conversionId", "offerId", "decisionId", "order", "time"]);
const SIGNATURE = /^v1=([0-9a-f]{64})$/;

const invalid = (message) => new HttpError(400, "CONVERSION_INVALID", message);
const unauthenticated = (message) => new HttpError(401, "SIGNATURE_INVALID", message);

/** The message an advertiser signs. */
export const signedMessage = (advertiser, timestamp, body) =>
  `offer-edge/conversion/v1\n${advertiser}\n${timestamp}\n${body}`;

const hexBytes = (hex) => Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));

/**
 * The advertiser whose key signed this request, or 401: SIGNATURE_INVALID
 * for a missing, malformed or wrong signature or an advertiser without a
 * key (one code, so a caller cannot tell which advertisers exist);
 * SIGNATURE_EXPIRED for a genuine signature outside the window (checked
 * after the MAC, so it says nothing to a forger).
 */
async function authenticate(env, request, bodyText, nowMs) {
  const advertiser = request.headers.get("offer-edge-advertiser") ?? "";
  const timestamp = request.headers.get("offer-edge-timestamp") ?? "";
  const signature = SIGNATURE.exec((request.headers.get("offer-edge-signature") ?? "").trim());
  if (!ID.test(advertiser) || !/^\d{1,12}$/.test(timestamp) || !signature) {
    throw unauthenticated("send Offer-Edge-Advertiser, Offer-Edge-Timestamp and Offer-Edge-Signature: v1=<hex HMAC-SHA256>");
  }
  const secret = env[advertiserPostbackKeyName(advertiser)];
  const key = typeof secret === "string" ? utf8(secret) : null;
  if (!key || key.length < MIN_KEY_BYTES
    || !(await hmacVerify(key, signedMessage(advertiser, timestamp, bodyText), hexBytes(signature[1])))) {
    throw unauthenticated("the signature does not verify");
  }
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_S) {
    throw new HttpError(401, "SIGNATURE_EXPIRED", `the signed timestamp is more than ${SIGNATURE_WINDOW_S} s from the edge's clock`);
  }
  return advertiser;
}

function parseConversion(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalid("body must be a JSON object");
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) throw invalid(`unknown field ${k.slice(0, 40)}`);
  const { partner, conversionId, offerId, decisionId, order, time } = body;
  if (typeof partner !== "string" || !ID.test(partner)) throw invalid("partner must be an id");
  if (typeof conversionId !== "string" || !REF.test(conversionId)) throw invalid("conversionId must be 1-128 printable ASCII characters");
  if (typeof offerId !== "string" || !ID.test(offerId)) throw invalid("offerId must be an id");
  if ((decisionId === undefined) === (order === undefined)) throw invalid("send decisionId or order (the attested order), one of them");
  if (decisionId !== undefined && (typeof decisionId !== "string" || !DECISION_ID.test(decisionId))) throw invalid("decisionId must be 32 hex digits");
  if (order !== undefined && (typeof order !== "string" || !REF.test(order))) throw invalid("order must be 1-128 printable ASCII characters");
  let timeMs = null;
  if (time !== undefined) {
    timeMs = typeof time === "string" && time.length <= 40 ? Date.parse(time) : NaN;
    if (!Number.isFinite(timeMs)) throw invalid("time must be an RFC 3339 date-time");
  }
  return { partner, conversionId, offerId, decisionId: decisionId ?? null, order: order ?? null, timeMs };
}

/** The billable accept the conversion follows, or null. */
async function acceptOf(env, c) {
  const column = c.decisionId !== null ? "decision_id" : "order_ref";
  return env.DB.prepare(`SELECT binding, order_ref, decision_id, placement, offer_id, creative_id, campaign, advertiser,
      time_ms, propensity, receipt_signed, attested
    FROM billable_events WHERE partner = ? AND type = 'accept' AND offer_id = ? AND ${column} = ? AND aggregate_only = 0
    ORDER BY time_ms LIMIT 1`)
    .bind(c.partner, c.offerId, c.decisionId ?? c.order).first();
}

/** POST /v1/conversions. */
export async function handleConversion(request, env) {
  if (mediaType(request) !== "application/json") throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send application/json");
  const bytes = await readBody(request, MAX_CONVERSION_BYTES);
  const nowMs = Date.now();
  const bodyText = new TextDecoder().decode(bytes);
  const advertiser = await authenticate(env, request, bodyText, nowMs);
  const c = parseConversion(parseJson(bytes, "CONVERSION_INVALID"));
  const partner = partnerOr404(env, c.partner);
  if (!partner.advertisers.has(advertiser)) {
    throw new HttpError(403, "ADVERTISER_NOT_ALLOWED", `partner ${partner.id} does not take conversions from ${advertiser}`);
  }
  const accept = await acceptOf(env, c);
  // Whose offer it is: the accept's facts (the edge's record), else the active bundle's.
  const owner = accept ? accept.advertiser
    : await withEngine(env, partner.id, nowMs, (engine) => engine.offer(c.offerId)?.advertiser ?? null);
  if (owner !== null && owner !== advertiser) {
    throw new HttpError(403, "OFFER_NOT_ADVERTISERS", `offer ${c.offerId} is not ${advertiser}'s`);
  }
  if (!accept) {
    throw new HttpError(404, "CONVERSION_UNBOUND", `no billable accept of ${c.offerId} for that ${c.decisionId !== null ? "decision" : "order"}`);
  }
  // One conversion per accept: the id is the accept's binding and offer.
  const eventId = `conversion-${(await sha256Hex(`${accept.binding}\n${accept.offer_id}`)).slice(0, 32)}`;
  const previous = await env.DB.prepare("SELECT event_id FROM conversion_postbacks WHERE partner = ? AND advertiser = ? AND conversion_id = ?")
    .bind(partner.id, advertiser, c.conversionId).first();
  if (previous && previous.event_id !== eventId) {
    throw new HttpError(409, "CONVERSION_CONFLICT", `conversion ${c.conversionId} was already reported for another accept`);
  }
  const timeMs = Math.min(Math.max(c.timeMs ?? nowMs, accept.time_ms), nowMs + CLOCK_SKEW_MS);
  const [, event] = await env.DB.batch([
    env.DB.prepare(`INSERT OR IGNORE INTO conversion_postbacks (partner, advertiser, conversion_id, event_id, received_ms)
      VALUES (?, ?, ?, ?, ?)`).bind(partner.id, advertiser, c.conversionId, eventId, nowMs),
    env.DB.prepare(`INSERT OR IGNORE INTO billable_events
      (partner, id, type, binding, order_ref, decision_id, placement, offer_id, creative_id, campaign, advertiser,
       time_ms, propensity, claimed_propensity, receipt_signed, attested, has_fulfilment, received_ms)
      VALUES (?, ?, 'conversion', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 0, ?)`).bind(partner.id, eventId, accept.binding,
      accept.order_ref, accept.decision_id, accept.placement, accept.offer_id, accept.creative_id, accept.campaign,
      accept.advertiser, timeMs, accept.propensity, accept.receipt_signed, accept.attested, nowMs),
  ]);
  const recorded = inserted(event);
  return json({ status: recorded ? "recorded" : "duplicate", conversionId: c.conversionId, eventId },
    recorded ? 201 : 200, { "cache-control": "no-store" });
}
