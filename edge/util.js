// Small byte helpers for the Worker runtime (no Node Buffer in workerd):
// base64 / base64url, hex, SHA-256 and HMAC-SHA256 through WebCrypto.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export const utf8 = (text) => encoder.encode(text);
/** `bytes` decoded as UTF-8 (invalid sequences become U+FFFD). */
export const fromUtf8 = (bytes) => decoder.decode(bytes);

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Bytes of standard or url-safe base64 (padding optional); throws on bad input. */
export function fromBase64(text) {
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** base64url without padding. */
export const toBase64Url = (bytes) => toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** SHA-256 of bytes (or UTF-8 text), lower-case hex. */
export async function sha256Hex(data) {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

const hmacKeys = new WeakMap();
/** An HMAC-SHA256 CryptoKey for raw key bytes, cached per key array. */
async function hmacKey(keyBytes) {
  let key = hmacKeys.get(keyBytes);
  if (!key) {
    key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(keyBytes, key);
  }
  return key;
}

/** HMAC-SHA256(key, message) bytes. */
export async function hmac(keyBytes, message) {
  const key = await hmacKey(keyBytes);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, typeof message === "string" ? utf8(message) : message));
}

/** Constant-time HMAC check (WebCrypto verify). */
export async function hmacVerify(keyBytes, message, mac) {
  const key = await hmacKey(keyBytes);
  return crypto.subtle.verify("HMAC", key, mac, typeof message === "string" ? utf8(message) : message);
}
