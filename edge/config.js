// The worker's configuration, read from env (wrangler.toml [vars] and
// secrets). Everything partner-specific is keyed by partner id; nothing of
// partner A is ever looked up with partner B's id.
import { HttpError } from "./http.js";
import { fromBase64 } from "./util.js";

const PARTNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

let cachedSource;
let cachedPartners;

/**
 * Map partner id → {id, trust, origins, requireSignedReceipts}, from
 * `env.PARTNERS` (a JSON object or its text):
 * `{"acme": {"trust": {...trust.json...}, "origins": ["https://shop.acme.com"],
 *   "requireSignedReceipts": false}}`. The trust config is pinned here, in
 * the deployment, never taken from the bundle store.
 */
export function partners(env) {
  const source = env.PARTNERS;
  if (source === cachedSource && cachedPartners) return cachedPartners;
  let raw = source ?? {};
  if (typeof raw === "string") raw = JSON.parse(raw);
  const map = new Map();
  const secrets = new Map();
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
      requireSignedReceipts: conf.requireSignedReceipts === true,
    });
  }
  cachedSource = source;
  cachedPartners = map;
  return map;
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
 * The receipt HMAC key: `env.RECEIPT_KEY`, base64 of at least 32 bytes
 * (`openssl rand -base64 32 | wrangler secret put RECEIPT_KEY`).
 */
export function receiptKey(env) {
  const text = env.RECEIPT_KEY;
  if (text === cachedKeyText && cachedKey) return cachedKey;
  let key;
  try {
    key = typeof text === "string" ? fromBase64(text.trim()) : new Uint8Array(0);
  } catch {
    key = new Uint8Array(0);
  }
  if (key.length < 32) throw new HttpError(500, "CONFIG_INVALID", "RECEIPT_KEY must be base64 of at least 32 bytes");
  cachedKeyText = text;
  cachedKey = key;
  return key;
}

/** Name of the secret holding partner `id`'s fulfilment private key file JSON. */
export function fulfilmentSecretName(id) {
  return `FULFILMENT_KEY_${id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** A non-negative integer setting from env, or `fallback`. */
export function intSetting(env, name, fallback) {
  const v = env[name];
  if (v === undefined || v === null || v === "") return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}
