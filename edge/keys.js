// Per-partner MAC keys and the partner backend's credentials.
//
// Receipts and history cookies are MACed with keys derived per partner and
// key id from the edge master secret (HKDF-SHA256, the core's
// `deriveReceiptKey`): one partner's key rotates on its own (a new
// `receiptKid` in PARTNERS, the old one kept in `acceptReceiptKids` for the
// overlap), and no partner's key ever verifies another partner's MAC.
import { callCore, oe } from "./engine.js";
import { apiSecretName, bearerIs, masterKey } from "./config.js";
import { HttpError } from "./http.js";

const derived = new Map();

/** The MAC key of `partner` under `kid` for `purpose` ("receipt" | "cookie" | "state"). */
export function partnerKey(env, partner, kid, purpose) {
  const master = masterKey(env);
  const name = `${partner}\n${purpose}/${kid}`;
  const hit = derived.get(name);
  if (hit && hit.master === master) return hit.key;
  const key = callCore(() => oe.deriveReceiptKey(master, partner, `${purpose}/${kid}`));
  if (derived.size > 1000) derived.clear(); // bounded: partners × kids is small
  derived.set(name, { master, key });
  return key;
}

/** The key new receipts of `partner` are signed with, and its id. */
export function currentReceiptKey(env, partner) {
  return { kid: partner.receiptKid, key: partnerKey(env, partner.id, partner.receiptKid, "receipt") };
}

/** The key a receipt signed under `kid` verifies with, or null for a kid the partner does not accept. */
export function receiptKeyFor(env, partner, kid) {
  if (typeof kid !== "string" || !partner.receiptKids.has(kid)) return null;
  return partnerKey(env, partner.id, kid, "receipt");
}

/**
 * Whether the request carries the partner backend's API secret
 * (`Authorization: Bearer <API_SECRET_<PARTNER>>`). Compared in constant
 * time; a partner without a configured secret has no server-to-server
 * access at all.
 */
export function isPartnerBackend(env, request, partner) {
  return bearerIs(request, env[apiSecretName(partner.id)]);
}

/**
 * The verified claims of a checkout token for `partner`, or throws
 * HttpError 401 with the core's code (TOKEN_INVALID, TOKEN_EXPIRED,
 * TOKEN_PARTNER_MISMATCH, TOKEN_KEY_UNKNOWN). A partner without pinned
 * checkout keys refuses every token with TOKEN_KEY_UNKNOWN.
 */
export function verifyCheckout(partner, token, nowMs) {
  try {
    return callCore(() => oe.verifyCheckoutToken(token, partner.id, partner.checkoutKeys, nowMs));
  } catch (e) {
    if (e && e.name === "OfferEdgeError" && typeof e.code === "string") throw new HttpError(401, e.code, e.message);
    throw e;
  }
}

/** Whether an error is an HttpError from `verifyCheckout` (for per-event outcomes). */
export const tokenCode = (e) => (e instanceof HttpError && e.status === 401 ? e.code : null);
