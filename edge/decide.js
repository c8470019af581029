// POST /v1/decide: an edge decision with HMAC-signed receipts.
//
// Who may do what (docs/EDGE.md, "Threat model"):
// - anyone: decide with advisory history in a signed partner-scoped cookie;
// - the partner's page with a checkout token its backend minted: decide for
//   that order; the token's `sub` (an attested, pseudonymous shopper
//   reference) names the shopper's authoritative history (Durable Object);
// - the partner's backend (API secret): decide for any `shopperId` it names.
// A raw `shopperId` from anyone else is refused: it would be a bearer handle
// on another shopper's history.
import { MAX_CHECKOUT_TOKEN_BYTES } from "../pkg/limits.js";
import { cookieName, historyCookie, historyFromCookie } from "./cookie.js";
import { partnerOr404 } from "./config.js";
import { callCore, isOfferEdgeError, oe, withEngine } from "./engine.js";
import { HttpError, json, parseJson, readBody, unwrap } from "./http.js";
import { currentReceiptKey, isPartnerBackend, verifyCheckout } from "./keys.js";
import { sha256Hex, utf8 } from "./util.js";

/** Largest decide body: a checkout context is small. */
export const MAX_DECIDE_BYTES = 16 * 1024;
const MAX_SHOPPER_ID = 256;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const FIELDS = new Set(["partner", "placement", "placements", "attributes", "shopperId", "checkoutToken", "consent"]);
/** ISO 3166-1 alpha-2, as Cloudflare's `request.cf.country` names it. */
const COUNTRY = /^[A-Z]{2}$/;
/** Cloudflare's codes for "no country": unknown, Tor. Passed as no country at all (licensed cohorts then fail closed). */
const NO_COUNTRY = new Set(["XX", "T1"]);
/** Placements one decide may ask for (a page has a few; each shown offer reserves a cap at the edge). */
const MAX_PLACEMENTS = 8;
/**
 * Raw identifiers a decide never takes: pages and servers send their hashes
 * (`emailsha256`, with the engine's one normalization: pkg's
 * `hashIdentifier`), so the edge never receives, stores or logs them.
 */
const RAW_IDENTIFIERS = new Set(["email", "phone", "dob"]);

/** Error codes of the core that mean the edge, not the caller, is at fault: never answered as a 400. */
const SERVER_CODES = new Set(["NO_BUNDLE", "KEY_INVALID", "INTERNAL"]);

function bad(message) {
  return new HttpError(400, "DECIDE_INVALID", message);
}

/** The validated decide request. */
export function parseDecideRequest(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw bad("body must be a JSON object");
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) throw bad(`unknown field ${k}`);
  if (typeof body.partner !== "string") throw bad("partner must be a string");
  if (body.placement !== undefined && (typeof body.placement !== "string" || !ID.test(body.placement))) {
    throw bad("placement must be an id");
  }
  if (body.placements !== undefined) {
    const list = body.placements;
    if (body.placement !== undefined) throw bad("send placement or placements, not both");
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_PLACEMENTS
      || list.some((p) => typeof p !== "string" || !ID.test(p)) || new Set(list).size !== list.length) {
      throw bad(`placements must be 1..=${MAX_PLACEMENTS} distinct ids`);
    }
  }
  const placements = body.placements ?? (body.placement !== undefined ? [body.placement] : undefined);
  const attributes = body.attributes ?? {};
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes)) {
    throw bad("attributes must be an object");
  }
  for (const k of Object.keys(attributes)) {
    if (RAW_IDENTIFIERS.has(k.toLowerCase())) {
      throw new HttpError(400, "RAW_IDENTIFIER_REFUSED", `attribute ${k} is a raw identifier: send its hash (hashIdentifier) instead`);
    }
  }
  // The shopper's consent (docs/PRIVACY.md): the core checks its members; here only its shape.
  if (body.consent !== undefined && (typeof body.consent !== "object" || body.consent === null || Array.isArray(body.consent))) {
    throw bad("consent must be an object");
  }
  const { shopperId, checkoutToken } = body;
  if (shopperId !== undefined && (typeof shopperId !== "string" || shopperId.length === 0 || utf8(shopperId).length > MAX_SHOPPER_ID)) {
    throw bad(`shopperId must be a string of 1..=${MAX_SHOPPER_ID} bytes`);
  }
  if (checkoutToken !== undefined && (typeof checkoutToken !== "string" || checkoutToken.length === 0 || checkoutToken.length > MAX_CHECKOUT_TOKEN_BYTES)) {
    throw bad(`checkoutToken must be a string of 1..=${MAX_CHECKOUT_TOKEN_BYTES} bytes`);
  }
  return { partner: body.partner, placements, attributes, shopperId, checkoutToken, consent: body.consent };
}

/**
 * The consent the engine applies: the body's, with Global Privacy Control
 * from the `Sec-GPC: 1` header ORed in (a body cannot turn it off), and the
 * request's country (Cloudflare geo) so a licensed cohort never matches a
 * shopper in the EU or the UK whatever the page says.
 */
export function requestConsent(request, input) {
  const consent = input.consent ? { ...input.consent } : {};
  if (request.headers.get("sec-gpc")?.trim() === "1") consent.gpc = true;
  const country = request.cf?.country;
  return {
    consent: Object.keys(consent).length ? consent : undefined,
    requestCountry: typeof country === "string" && COUNTRY.test(country) && !NO_COUNTRY.has(country) ? country : undefined,
  };
}

/** Whether a decision may write history and keep per-event rows (the engine's resolved consent). */
export const measured = (decision) => decision.privacy?.measurement !== false;

/** The Durable Object name of a shopper: SHA-256(partner, attested shopper reference). */
export async function shopperKey(partner, shopperRef) {
  return sha256Hex(`offer-edge/shopper/v1\n${partner}\n${shopperRef}`);
}

/**
 * Runs the Engine for `input` on `historyBlob` and signs every receipt with
 * the partner's current receipt key (its kid inside the receipt). Returns
 * `{decision, history}`; used by the worker (cookie mode) and by the
 * ShopperHistory Durable Object.
 */
export async function runDecision(env, input, historyBlob, nowMs) {
  const partner = partnerOr404(env, input.partner);
  const { kid, key } = currentReceiptKey(env, partner);
  // learningLog: the decision also names the model features it saw and each
  // placement's eligible offers, so `offer-edge evaluate` can re-score it
  // (docs/LEARNING.md); indexDecision keeps them with the decision.
  const options = { learningLog: true };
  // Unset: receipts last the engine's own default (24 h, DecideOptions).
  if (env.RECEIPT_TTL) options.receiptTtl = env.RECEIPT_TTL;
  // Only the placements asked for: every offer a decision shows reserves its caps.
  if (input.placements) options.placements = input.placements;
  if (input.consent) options.consent = input.consent;
  if (input.requestCountry) options.requestCountry = input.requestCountry;
  let out;
  try {
    out = await withEngine(env, partner.id, nowMs,
      (engine) => engine.decide(input.attributes, historyBlob && historyBlob.length ? historyBlob : null, nowMs, options));
  } catch (e) {
    if (isOfferEdgeError(e) && !SERVER_CODES.has(e.code)) throw new HttpError(400, e.code, e.message);
    throw e;
  }
  for (const placement of out.decision.placements) {
    for (const offer of placement.offers) {
      offer.receipt.kid = kid;
      offer.signedReceipt = callCore(() => oe.signReceipt(offer.receipt, key));
    }
  }
  return out;
}

/** Who is asking: the attested order and the shopper reference whose history is used. */
async function identify(request, env, partner, input, nowMs) {
  if (input.shopperId !== undefined && !(await isPartnerBackend(env, request, partner))) {
    throw new HttpError(400, "SHOPPER_ID_REFUSED",
      "a shopperId is taken only from the partner backend (API secret); pages send a checkout token whose sub names the shopper");
  }
  const claims = input.checkoutToken === undefined ? null : verifyCheckout(partner, input.checkoutToken, nowMs);
  const shopperRef = input.shopperId ?? claims?.sub ?? null;
  return { order: claims ? claims.ord : null, shopperRef };
}

/**
 * Most offers a placement's logged eligible set may name: past it the
 * decision is not logged for learning (docs/LEARNING.md), so a row stays
 * small whatever the bundle.
 */
export const MAX_LOGGED_ELIGIBLE = 256;

/**
 * Records the decision and what it showed, so events derive their facts
 * from it, never from the page; with what the learning loop needs to
 * re-score it offline (the banded model features and, per placement, the
 * offers it chose from: `learningLog`).
 */
async function indexDecision(env, partner, decision, shopper, order, nowMs) {
  // Without measurement consent nothing links the decision to the shopper or
  // feeds learning: its events are counted and deduplicated, no more.
  const measure = measured(decision);
  const features = measure && decision.features ? JSON.stringify(decision.features) : null;
  const rows = [env.DB.prepare(`INSERT OR IGNORE INTO decision_records
    (partner, decision_id, shopper_key, order_ref, created_ms, features, measurement) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .bind(partner, decision.decisionId, measure ? shopper : null, order, nowMs, features, measure ? 1 : 0)];
  const offer = env.DB.prepare(`INSERT OR IGNORE INTO decision_offers
    (partner, decision_id, offer_id, placement, creative_id, campaign, advertiser, propensity, created_ms, eligible)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const p of decision.placements) {
    const eligible = measure && Array.isArray(p.eligible) && p.eligible.length <= MAX_LOGGED_ELIGIBLE ? JSON.stringify(p.eligible) : null;
    for (const o of p.offers) {
      rows.push(offer.bind(partner, decision.decisionId, o.offerId, p.id, o.creativeId, o.campaign, o.advertiser, o.propensity, nowMs, eligible));
    }
  }
  await env.DB.batch(rows);
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
  const { order, shopperRef } = await identify(request, env, partner, input, nowMs);
  const headers = { "cache-control": "no-store" };
  let decision;
  let key = null;
  const engineInput = { partner: partner.id, placements: input.placements, attributes: input.attributes, ...requestConsent(request, input) };
  if (shopperRef !== null) {
    key = await shopperKey(partner.id, shopperRef);
    const stub = env.HISTORY.get(env.HISTORY.idFromName(`${partner.id}:${key}`));
    decision = unwrap(await stub.decide(engineInput, key, nowMs)).decision;
    headers["x-history-source"] = "durable-object";
  } else {
    const fromCookie = await historyFromCookie(env, request, partner);
    const out = await runDecision(env, engineInput, fromCookie.blob, nowMs);
    decision = out.decision;
    // Without measurement consent the history is not written, not even to the shopper's own cookie.
    const cookie = measured(decision) ? await historyCookie(env, request, partner, out.history) : null;
    if (cookie) headers["set-cookie"] = cookie;
    headers["x-history-source"] = fromCookie.status === "ok" ? "cookie" : fromCookie.status === "rejected" ? "cookie-rejected" : "new";
  }
  headers["server-timing"] = `decide;dur=${(performance.now() - started).toFixed(1)}`;
  // Awaited: an engagement reported right after the decision must find it.
  await indexDecision(env, partner.id, decision, key, order, nowMs);
  return json(decision, 200, headers);
}

export { cookieName };
