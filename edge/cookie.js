// The history cookie for shoppers without an id: the history blob, MACed
// with a key derived from RECEIPT_KEY and bound to the partner, so a
// tampered or another partner's cookie is discarded (new shopper), never
// trusted. Browser-held, hence advisory (like localStorage caps).
import { receiptKey } from "./config.js";
import { fromBase64, hmac, hmacVerify, toBase64Url, utf8 } from "./util.js";

const DOMAIN = "offer-edge/history-cookie/v1";
/** Browsers keep about 4096 bytes per cookie; larger blobs are not sent back. */
export const MAX_COOKIE_VALUE = 3800;

let derived;
async function cookieKey(env) {
  const key = receiptKey(env);
  if (!derived || derived.source !== key) {
    derived = { source: key, key: await hmac(key, DOMAIN) };
  }
  return derived.key;
}

/** Cookie name for `partner` (partner ids are cookie-name safe). */
export const cookieName = (partner) => `oe_h_${partner}`;

const macInput = (partner, blobText) => `${DOMAIN}\n${partner}\n${blobText}`;

/** The value of cookie `name` in the request, or null. */
export function readCookie(request, name) {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The partner's history blob from the request cookie:
 * `{status: "none"}`, `{status: "ok", blob}` or `{status: "rejected"}`.
 */
export async function historyFromCookie(env, request, partner) {
  const value = readCookie(request, cookieName(partner));
  if (!value) return { status: "none", blob: null };
  const dot = value.indexOf(".");
  if (dot < 0) return { status: "rejected", blob: null };
  const blobText = value.slice(0, dot);
  try {
    const mac = fromBase64(value.slice(dot + 1));
    if (mac.length !== 32 || !(await hmacVerify(await cookieKey(env), macInput(partner, blobText), mac))) {
      return { status: "rejected", blob: null };
    }
    return { status: "ok", blob: fromBase64(blobText) };
  } catch {
    return { status: "rejected", blob: null };
  }
}

/** The Set-Cookie header carrying `blob`, or null when it would not fit. */
export async function historyCookie(env, request, partner, blob) {
  const blobText = toBase64Url(blob);
  const mac = toBase64Url(await hmac(await cookieKey(env), utf8(macInput(partner, blobText))));
  const value = `${blobText}.${mac}`;
  if (value.length > MAX_COOKIE_VALUE) return null;
  // Cross-site (a partner page calling the edge) needs SameSite=None, which
  // needs Secure; plain http (the local demo, same origin) gets Lax.
  const secure = new URL(request.url).protocol === "https:";
  const site = secure ? "SameSite=None; Secure" : "SameSite=Lax";
  return `${cookieName(partner)}=${value}; Path=/v1/; Max-Age=31536000; HttpOnly; ${site}`;
}
