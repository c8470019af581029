// The demo partner's backend: it holds the partner's checkout signing key
// (the page never sees it) and mints one short-lived checkout token per
// order (docs/ATTESTATION.md). This file is the Node example that
// docs/ATTESTATION.md shows, verbatim (tests/js/attest-jose.test.js keeps the
// two equal); scripts/edge.mjs binds it as the worker's PARTNER_BACKEND.
//
//   POST /demo/partner/checkout-token  {"email", "order"?}  →  {"order", "token"}
//
// A real backend mints the token when it places the order, for that order's
// own email, and renders it into the confirmation page. The demo checkout is
// a static page whose shopper can be switched, so here the page names the
// email (and may name its order number).
import { createHash, createPrivateKey, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignJWT, importJWK } from "jose";

/** How long a token is valid (the edge refuses lifetimes over 1 h). */
export const TOKEN_TTL = "15m";
const ORDER = /^[A-Za-z0-9._-]{1,64}$/;
/** PKCS #8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

const sha256hex = (text) => createHash("sha256").update(text, "utf8").digest("hex");

/** `eh`: lower-case hex SHA-256 of "offer-edge/eh/v1\n" + partner + "\n" + the trimmed, lower-cased email. */
export function attestedEmailHash(partner, email) {
  return sha256hex(`offer-edge/eh/v1\n${partner}\n${email.trim().toLowerCase()}`);
}

/**
 * Reads a checkout key file (`offer-edge keygen --kind checkout`:
 * `{"keyid", "kind": "checkout", "secretKey": base64 of the Ed25519 seed}`)
 * → `{kid, key}`, the key ready for jose.
 */
export async function readCheckoutKey(path) {
  const file = JSON.parse(readFileSync(path, "utf8"));
  const seed = Buffer.from(file.secretKey ?? "", "base64");
  if (file.kind !== "checkout" || seed.length !== 32) throw new Error(`${path}: not a checkout key file`);
  // Node derives the public half (x) from the seed (d).
  const { d, x } = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" })
    .export({ format: "jwk" });
  return { kid: file.keyid, key: await importJWK({ kty: "OKP", crv: "Ed25519", d, x }, "EdDSA") };
}

/**
 * A checkout token (JWS compact, EdDSA) attesting `order` and `email` for
 * `partner`, valid for `ttl`. `sub` is a pseudonymous shopper reference (the
 * edge keys the shopper's history by it); this one derives it from `eh`.
 */
export function mintCheckoutToken({ partner, kid, key }, { order, email, ttl = TOKEN_TTL }) {
  const eh = attestedEmailHash(partner, email);
  const sub = sha256hex(`demo-sub\n${eh}`).slice(0, 32);
  return new SignJWT({ ord: order, eh, sub })
    .setProtectedHeader({ alg: "EdDSA", kid })
    .setIssuer(partner)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .setJti(randomUUID())
    .sign(key);
}

const answer = (status, body) => new Response(JSON.stringify(body), {
  status,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
});

/** The backend of `partner` with its checkout key file at `keyPath`: `async (request) => Response`. */
export function partnerBackend({ partner, keyPath }) {
  const signing = readCheckoutKey(keyPath);
  signing.catch(() => {}); // reported per request below
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== "/demo/partner/checkout-token") return answer(404, { error: { code: "NOT_FOUND" } });
    if (request.method !== "POST") return answer(405, { error: { code: "METHOD_NOT_ALLOWED" } });
    let body;
    try {
      const text = await request.text();
      if (text.length > 4096) throw new Error("too large");
      body = JSON.parse(text);
    } catch {
      return answer(400, { error: { code: "BAD_REQUEST", message: "send JSON {email, order?}" } });
    }
    const { email, order = `ORD-${randomBytes(6).toString("hex").toUpperCase()}` } = body ?? {};
    if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email.trim()) || email.length > 254) {
      return answer(400, { error: { code: "EMAIL_INVALID", message: "email must be an address" } });
    }
    if (typeof order !== "string" || !ORDER.test(order)) {
      return answer(400, { error: { code: "ORDER_INVALID", message: "order: 1-64 of A-Z a-z 0-9 . _ -" } });
    }
    let key;
    try {
      key = await signing;
    } catch (e) {
      return answer(503, { error: { code: "KEY_UNAVAILABLE", message: e.message } });
    }
    return answer(200, { order, token: await mintCheckoutToken({ partner, ...key }, { order, email }) });
  };
}
