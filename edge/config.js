// The worker's configuration, read from env (wrangler.toml [vars] and
// secrets). Everything partner-specific is keyed by partner id; nothing of
// partner A is ever looked up with partner B's id.
import { HttpError } from "./http.js";
import { fromBase64 } from "./util.js";

const PARTNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

let cachedSource;
let cachedPartners;

const KID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Map partner id → partner config, from `env.PARTNERS` (a JSON object or
 * its text):
 * `{"acme": {"trust": {...trust.json...}, "origins": ["https://shop.acme.com"],
 *   "checkoutKeys": {"acme-checkout-1": "<base64 Ed25519 public key>"},
 *   "requireAttestation": false, "maxConfirmationsPerOrder": 3,
 *   "receiptKid": "r1", "acceptReceiptKids": ["r0"], "advertisers": ["freshbox"]}}`.
 * The trust config and the checkout keys are pinned here, in the
 * deployment, never taken from the bundle store or a request.
 * - `checkoutKeys`: the partner backend's checkout-token keys by kid
 *   (docs/ATTESTATION.md); without them no event of the partner is
 *   attested, so none can trigger an email.
 * - `requireAttestation`: only events carrying a valid checkout token are
 *   billable (edge-decision receipts alone are not).
 * - `receiptKid`: the key id receipts and history cookies are signed under
 *   now; `acceptReceiptKids`: older ids still verified during a rotation.
 * - `advertisers`: the advertisers the partner lets read their own
 *   aggregates and post conversions (docs/REPORTS.md), each with its
 *   secrets ADVERTISER_API_SECRET_<ADV> and ADVERTISER_POSTBACK_KEY_<ADV>.
 */
export function partners(env) {
  const source = env.PARTNERS;
  if (source === cachedSource && cachedPartners) return cachedPartners;
  let raw = source ?? {};
  if (typeof raw === "string") raw = JSON.parse(raw);
  const map = new Map();
  const secrets = new Map();
  const advertiserSecrets = new Map();
  for (const [id, conf] of Object.entries(raw)) {
    if (!PARTNER_ID.test(id)) throw new Error(`PARTNERS: bad partner id ${JSON.stringify(id)}`);
    if (!conf || typeof conf.trust !== "object") throw new Error(`PARTNERS.${id}: trust config missing`);
    if (conf.trust.partner !== id) throw new Error(`PARTNERS.${id}: trust is pinned to ${conf.trust.partner}`);
    // Two partners must never share a secret (e.g. "a-b" and "a_b").
    const secret = fulfilmentSecretName(id);
    if (secrets.has(secret)) throw new Error(`PARTNERS: ${id} and ${secrets.get(secret)} would share ${secret}`);
    secrets.set(secret, id);
    map.set(id, {
      id,
      trust: conf.trust,
      origins: new Set(Array.isArray(conf.origins) ? conf.origins : []),
      checkoutKeys: checkoutKeys(id, conf.checkoutKeys),
      requireAttestation: conf.requireAttestation === true,
      maxConfirmationsPerOrder: positiveInt(id, "maxConfirmationsPerOrder", conf.maxConfirmationsPerOrder, 3),
      ...receiptKids(id, conf),
      advertisers: advertisers(id, conf.advertisers, advertiserSecrets),
    });
  }
  cachedSource = source;
  cachedPartners = map;
  return map;
}

function checkoutKeys(id, keys) {
  if (keys === undefined) return {};
  if (!keys || typeof keys !== "object" || Array.isArray(keys)) throw new Error(`PARTNERS.${id}.checkoutKeys must map kid → public key`);
  for (const [kid, key] of Object.entries(keys)) {
    if (!KID.test(kid) || typeof key !== "string" || !BASE64_KEY.test(key)) {
      throw new Error(`PARTNERS.${id}.checkoutKeys.${kid}: not a kid → base64 Ed25519 public key`);
    }
  }
  return { ...keys };
}

function advertisers(id, list, seen) {
  if (list === undefined) return new Set();
  if (!Array.isArray(list)) throw new Error(`PARTNERS.${id}.advertisers must be a list of advertiser ids`);
  for (const adv of list) {
    if (typeof adv !== "string" || !PARTNER_ID.test(adv)) throw new Error(`PARTNERS.${id}.advertisers: bad advertiser id ${JSON.stringify(adv)}`);
    // Two advertisers must never share a secret (e.g. "a-b" and "a_b").
    const secret = advertiserPostbackKeyName(adv);
    if (seen.has(secret) && seen.get(secret) !== adv) throw new Error(`PARTNERS: advertisers ${adv} and ${seen.get(secret)} would share ${secret}`);
    seen.set(secret, adv);
  }
  return new Set(list);
}

function positiveInt(id, name, value, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`PARTNERS.${id}.${name} must be a positive integer`);
  return value;
}

function receiptKids(id, conf) {
  const current = conf.receiptKid ?? "r1";
  const older = conf.acceptReceiptKids ?? [];
  if (!Array.isArray(older)) throw new Error(`PARTNERS.${id}.acceptReceiptKids must be a list`);
  for (const kid of [current, ...older]) {
    if (typeof kid !== "string" || !KID.test(kid)) throw new Error(`PARTNERS.${id}: bad receipt key id ${JSON.stringify(kid)}`);
  }
  return { receiptKid: current, receiptKids: new Set([current, ...older]) };
}

/** The partner's config, or 404 `UNKNOWN_PARTNER`. */
export function partnerOr404(env, id) {
  const partner = typeof id === "string" ? partners(env).get(id) : undefined;
  if (!partner) throw new HttpError(404, "UNKNOWN_PARTNER", `unknown partner ${JSON.stringify(String(id)).slice(0, 140)}`);
  return partner;
}

/** Whether `origin` belongs to any configured partner (CORS preflight). */
export function anyPartnerOrigin(env, origin) {
  for (const p of partners(env).values()) if (p.origins.has(origin)) return true;
  return false;
}

let cachedKeyText;
let cachedKey;
/**
 * The edge master secret: `env.RECEIPT_KEY`, base64 of at least 32 bytes
 * (`openssl rand -base64 32 | wrangler secret put RECEIPT_KEY`). Never used
 * as a MAC key itself: see `partnerKey`.
 */
export function masterKey(env) {
  const text = env.RECEIPT_KEY;
  if (text === cachedKeyText && cachedKey) return cachedKey;
  let key;
  try {
    key = typeof text === "string" ? fromBase64(text.trim()) : new Uint8Array(0);
  } catch {
    key = new Uint8Array(0);
  }
  if (key.length < 32) throw new HttpError(503, "CONFIG_INVALID", "RECEIPT_KEY must be base64 of at least 32 bytes");
  cachedKeyText = text;
  cachedKey = key;
  return key;
}

const ADAPTERS = new Set(["send_email", "http", "outbox"]);
let checkedEnv;
/**
 * Fails closed when the deployment is incomplete (docs/EDGE.md, "Fail closed at start"): no
 * explicit EMAIL_ADAPTER, the `outbox` adapter (D1 rows instead of mail:
 * demo and tests only, DEMO_MODE=1) in production, no usable RECEIPT_KEY,
 * or a partner that can send emails (it has checkout keys) without its
 * FULFILMENT_KEY_<PARTNER> secret. Every route answers 503 CONFIG_INVALID
 * until it is fixed, so nothing half-configured ever serves a shopper.
 */
export function checkDeployment(env) {
  if (checkedEnv === env) return;
  const adapter = env.EMAIL_ADAPTER;
  const problem = (message) => new HttpError(503, "CONFIG_INVALID", message);
  if (!ADAPTERS.has(adapter)) throw problem("EMAIL_ADAPTER must be set to send_email, http or outbox");
  if (adapter === "outbox" && env.DEMO_MODE !== "1") throw problem("the outbox email adapter is for the local demo and tests (DEMO_MODE=1)");
  if (adapter === "http" && (!env.EMAIL_API_URL || !env.EMAIL_API_TOKEN)) throw problem("EMAIL_ADAPTER http needs EMAIL_API_URL and EMAIL_API_TOKEN");
  if (env.FAULT_INJECTION === "1" && env.DEMO_MODE !== "1") throw problem("FAULT_INJECTION is for tests (DEMO_MODE=1)");
  masterKey(env);
  let configured;
  try {
    configured = partners(env);
  } catch (e) {
    throw problem(e.message);
  }
  for (const p of configured.values()) {
    if (Object.keys(p.checkoutKeys).length && !env[fulfilmentSecretName(p.id)]) {
      throw problem(`partner ${p.id} can send confirmation emails but secret ${fulfilmentSecretName(p.id)} is not set`);
    }
  }
  checkedEnv = env;
}

/** Constant-time equality of two strings' UTF-8 bytes. */
export function sameSecret(given, want) {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(want);
  return a.length === b.length && crypto.subtle.timingSafeEqual(a, b);
}

/**
 * Whether the request's `Authorization: Bearer …` is `secret`, compared in
 * constant time. A secret that is unset or shorter than 16 bytes matches
 * nothing, so a missing secret never opens a route.
 */
export function bearerIs(request, secret) {
  const header = request.headers.get("authorization") || "";
  return typeof secret === "string" && secret.length >= 16 && header.startsWith("Bearer ") && sameSecret(header.slice(7).trim(), secret);
}

/** Whether the request carries the operators' `ADMIN_TOKEN` (unset: nobody is admin). */
export function isAdmin(env, request) {
  return bearerIs(request, env.ADMIN_TOKEN);
}

/** Name of the secret holding partner `id`'s backend API secret (server-to-server calls). */
export function apiSecretName(id) {
  return secretName("API_SECRET", id);
}

/**
 * The env name of partner `id`'s secret `prefix` (`FULFILMENT_KEY`,
 * `API_SECRET`): the id upper-cased, other characters `_` (config load
 * refuses two partners that would share one).
 */
const secretName = (prefix, id) => `${prefix}_${id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/** Name of the secret advertiser `id` reads its reports with (a bearer secret, >= 16 bytes). */
export function advertiserApiSecretName(id) {
  return secretName("ADVERTISER_API_SECRET", id);
}

/** Name of the secret advertiser `id` signs conversion postbacks with (HMAC-SHA256 key, >= 32 bytes). */
export function advertiserPostbackKeyName(id) {
  return secretName("ADVERTISER_POSTBACK_KEY", id);
}

/** Name of the secret holding partner `id`'s fulfilment private key file JSON. */
export function fulfilmentSecretName(id) {
  return secretName("FULFILMENT_KEY", id);
}

/** A non-negative integer setting from env, or `fallback`. */
export function intSetting(env, name, fallback) {
  const v = env[name];
  if (v === undefined || v === null || v === "") return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}
