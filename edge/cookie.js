// The history cookie for shoppers without an attested identity: the
// history blob, MACed with the partner's own cookie key (derived per partner
// and key id, edge/keys.js) and bound to the partner, so a tampered or
// another partner's cookie is discarded (new shopper), never trusted.
// Browser-held, hence advisory (like localStorage caps).
// Value: `<kid>.<base64url blob>.<base64url HMAC>`.
import { partnerKey } from "./keys.js";
import { fromBase64, hmac, hmacVerify, toBase64Url, utf8 } from "./util.js";

const DOMAIN = "offer-edge/history-cookie/v2";
/** Browsers keep about 4096 bytes per cookie; larger blobs are not sent back. */
export const MAX_COOKIE_VALUE = 3800;

const cookieKey = (env, partner, kid) => partnerKey(env, partner, kid, "cookie");

/** Cookie name for `partner` (partner ids are cookie-name safe). */
export const cookieName = (partner) => `oe_h_${partner}`;

const macInput = (partner, kid, blobText) => `${DOMAIN}\n${partner}\n${kid}\n${blobText}`;

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
 * `partner` is the partner's config (its accepted key ids).
 */
export async function historyFromCookie(env, request, partner) {
  const value = readCookie(request, cookieName(partner.id));
  if (!value) return { status: "none", blob: null };
  const parts = value.split(".");
  if (parts.length !== 3 || !partner.receiptKids.has(parts[0])) return { status: "rejected", blob: null };
  const [kid, blobText, macText] = parts;
  try {
    const mac = fromBase64(macText);
    if (mac.length !== 32 || !(await hmacVerify(cookieKey(env, partner.id, kid), macInput(partner.id, kid, blobText), mac))) {
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
  const kid = partner.receiptKid;
  const mac = toBase64Url(await hmac(cookieKey(env, partner.id, kid), utf8(macInput(partner.id, kid, blobText))));
  const value = `${kid}.${blobText}.${mac}`;
  if (value.length > MAX_COOKIE_VALUE) return null;
  // Cross-site (a partner page calling the edge) needs SameSite=None, which
  // needs Secure; plain http (the local demo, same origin) gets Lax.
  const secure = new URL(request.url).protocol === "https:";
  const site = secure ? "SameSite=None; Secure" : "SameSite=Lax";
  // Partitioned (CHIPS): a partner page's edge cookie lives in that
  // top-level site's jar only, never a cross-site tracker.
  const partitioned = secure ? "; Partitioned" : "";
  return `${cookieName(partner.id)}=${value}; Path=/v1/; Max-Age=31536000; HttpOnly; ${site}${partitioned}`;
}
