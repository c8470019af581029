// The event batch rules of the core (src/events.rs `EventBatch::from_json`,
// docs/event.schema.json), in JS: pkg/ does not export the batch parser, and
// the collector must answer the same way a core-built host expects:
// LIMIT_EXCEEDED over 64 KiB or 256 events, EVENT_INVALID "event 3: …" for
// the first bad event. Unknown fields are refused (no PII can ride along).
import { HttpError } from "./http.js";
import { fromBase64, fromUtf8, utf8 } from "./util.js";

/** limits::MAX_EVENT_BATCH_BYTES */
export const MAX_EVENT_BATCH_BYTES = 64 * 1024;
/** limits::MAX_EVENTS_PER_BATCH */
export const MAX_EVENTS_PER_BATCH = 256;
/** limits::MAX_ID_LEN (bytes) */
const MAX_ID_LEN = 128;
const MAX_SIGNED_RECEIPT = 2048;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const SIGNED = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const ENC = /^[A-Za-z0-9+/]{43}=$/;
const CIPHERTEXT = /^[A-Za-z0-9+/]{363}=$/;
const TYPES = new Set(["impression", "accept", "decline", "close", "conversion"]);

const EVENT_FIELDS = new Set(["id", "type", "partner", "receipt", "placement", "offerId", "creativeId", "campaign", "advertiser", "time", "propensity", "fulfilment", "checkout"]);
const OPTIONAL_EVENT_FIELDS = new Set(["fulfilment", "checkout"]);
const RECEIPT_FIELDS = ["decisionId", "partner", "placement", "offerId", "creativeId", "bundleSha256", "issuedAt", "expiresAt"];
const OPTIONAL_RECEIPT_FIELDS = ["kid"];
/** limits::MAX_CHECKOUT_TOKEN_BYTES; a token is three base64url parts (verified later, with the partner's keys). */
const MAX_CHECKOUT_TOKEN = 2048;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Receipt::validate: a kid is 1..=64 bytes. */
const MAX_KID_LEN = 64;
const FULFILMENT_FIELDS = ["partner", "kid", "offerId", "decisionId", "enc", "ciphertext"];

class Invalid extends Error {}
const fail = (message) => {
  throw new Invalid(message);
};

function id(name, value) {
  if (typeof value !== "string" || value.length === 0 || utf8(value).length > MAX_ID_LEN) fail(`${name} must be 1..=${MAX_ID_LEN} bytes`);
  return value;
}

/** Milliseconds of an RFC 3339 instant, or a failure naming `name`. */
function instant(name, value) {
  const ms = typeof value === "string" && INSTANT.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) fail(`${name} must be an RFC 3339 instant`);
  return ms;
}

function exactFields(name, value, fields, optional = []) {
  if (!value || typeof value !== "object" || Array.isArray(value)) fail(`${name} must be an object`);
  for (const k of Object.keys(value)) if (!fields.includes(k) && !optional.includes(k)) fail(`${name}: unknown field ${k}`);
  for (const k of fields) if (!(k in value)) fail(`${name}: missing field ${k}`);
}

/** The receipt's fields, checked like `Receipt::validate`. */
function receiptFields(receipt) {
  exactFields("receipt", receipt, RECEIPT_FIELDS, OPTIONAL_RECEIPT_FIELDS);
  if (receipt.kid !== undefined && (typeof receipt.kid !== "string" || receipt.kid.length === 0 || utf8(receipt.kid).length > MAX_KID_LEN)) {
    fail(`receipt: kid must be 1..=${MAX_KID_LEN} bytes`);
  }
  if (typeof receipt.decisionId !== "string" || !HEX32.test(receipt.decisionId)) fail("receipt: decisionId must be 32 lower-case hex digits");
  if (typeof receipt.bundleSha256 !== "string" || !HEX64.test(receipt.bundleSha256)) fail("receipt: bundleSha256 must be 64 lower-case hex digits");
  for (const k of ["partner", "placement", "offerId", "creativeId"]) id(`receipt: ${k}`, receipt[k]);
  if (instant("receipt: issuedAt", receipt.issuedAt) > instant("receipt: expiresAt", receipt.expiresAt)) fail("receipt: issuedAt is after expiresAt");
  return receipt;
}

/** The fields inside a compact signed receipt (parsed, not verified). */
function signedReceiptFields(text) {
  if (text.length > MAX_SIGNED_RECEIPT || !SIGNED.test(text)) fail("receipt: not a compact signed receipt");
  let payload;
  try {
    payload = JSON.parse(fromUtf8(fromBase64(text.slice(0, text.indexOf(".")))));
  } catch {
    fail("receipt: signed receipt payload is not JSON");
  }
  return receiptFields(payload);
}

/** One event, checked like `Event::validate`; returns `{event, receipt, signed, timeMs}`. */
export function validateEvent(event) {
  if (!event || typeof event !== "object" || Array.isArray(event)) fail("not an object");
  for (const k of Object.keys(event)) if (!EVENT_FIELDS.has(k)) fail(`unknown field ${k}`);
  for (const k of EVENT_FIELDS) if (!OPTIONAL_EVENT_FIELDS.has(k) && !(k in event)) fail(`missing field ${k}`);
  if (event.checkout !== undefined && (typeof event.checkout !== "string" || event.checkout.length > MAX_CHECKOUT_TOKEN || !COMPACT_JWS.test(event.checkout))) {
    fail("checkout must be a compact checkout token (three base64url parts, at most 2048 bytes)");
  }
  if (typeof event.id !== "string" || !UUID_V4.test(event.id)) fail("id must be a lower-case UUID v4");
  if (!TYPES.has(event.type)) fail("type must be impression, accept, decline, close or conversion");
  for (const k of ["partner", "placement", "offerId", "creativeId", "campaign", "advertiser"]) id(k, event[k]);
  const timeMs = instant("time", event.time);
  if (typeof event.propensity !== "number" || !(event.propensity >= 0 && event.propensity <= 1)) fail("propensity must be a number in [0, 1]");
  const signed = typeof event.receipt === "string";
  const receipt = signed ? signedReceiptFields(event.receipt) : receiptFields(event.receipt);
  if (receipt.partner !== event.partner || receipt.placement !== event.placement || receipt.offerId !== event.offerId || receipt.creativeId !== event.creativeId) {
    fail("receipt is for another partner, placement, offer or creative");
  }
  if (event.fulfilment !== undefined) {
    if (event.type !== "accept") fail(`a ${event.type} event cannot carry a fulfilment request`);
    const f = event.fulfilment;
    exactFields("fulfilment", f, FULFILMENT_FIELDS);
    if (f.partner !== event.partner || f.offerId !== event.offerId || f.decisionId !== receipt.decisionId) {
      fail("fulfilment request is for another partner, offer or decision");
    }
    id("fulfilment: kid", f.kid);
    if (typeof f.enc !== "string" || !ENC.test(f.enc)) fail("fulfilment: enc must be 32 bytes of base64");
    if (typeof f.ciphertext !== "string" || !CIPHERTEXT.test(f.ciphertext)) fail("fulfilment: ciphertext must be 272 bytes of base64");
  }
  return { event, receipt, signed, timeMs };
}

/**
 * Parses and validates a batch body (bytes). Throws 413 LIMIT_EXCEEDED /
 * 400 EVENT_INVALID exactly where the core's `EventBatch::from_json` fails.
 */
export function parseBatch(bytes) {
  if (bytes.length > MAX_EVENT_BATCH_BYTES) throw new HttpError(413, "LIMIT_EXCEEDED", `event batch is over ${MAX_EVENT_BATCH_BYTES} bytes`);
  let batch;
  try {
    batch = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "EVENT_INVALID", "not an event batch: body is not UTF-8 JSON");
  }
  if (!batch || typeof batch !== "object" || Array.isArray(batch) || !Array.isArray(batch.events)) {
    throw new HttpError(400, "EVENT_INVALID", 'not an event batch: expected {"events": [...]}');
  }
  for (const k of Object.keys(batch)) {
    if (k !== "events") throw new HttpError(400, "EVENT_INVALID", `not an event batch: unknown field ${k}`);
  }
  if (batch.events.length > MAX_EVENTS_PER_BATCH) {
    throw new HttpError(400, "LIMIT_EXCEEDED", `more than ${MAX_EVENTS_PER_BATCH} events in one batch`);
  }
  return batch.events.map((event, index) => {
    try {
      return validateEvent(event);
    } catch (e) {
      if (e instanceof Invalid) throw new HttpError(400, "EVENT_INVALID", `event ${index}: ${e.message}`);
      throw e;
    }
  });
}
