// Checkout tokens minted the way a partner's backend mints them — npm `jose`,
// through the demo partner backend (scripts/lib/partner-backend.mjs, the code
// docs/ATTESTATION.md shows) — verify with the core's verifyCheckoutToken,
// and every way a token can be wrong has its own code. Also runs the shared
// fixtures of tests/fixtures/checkout/ (the Rust suites run the same cases).
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, importJWK } from "jose";
import * as oe from "../../pkg/node.js";
import { attestedEmailHash, mintCheckoutToken, partnerBackend, readCheckoutKey } from "../../scripts/lib/partner-backend.mjs";
import { root, throwsCode } from "./helpers.js";

await oe.ready;

const PARTNER = "demo-outfitters";
const KID = "demo-outfitters-checkout-1";

/** A checkout key pair in the CLI's file format (`keygen --kind checkout`): the key file's path and the public key. */
function checkoutKeyFile(dir, kid) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = Buffer.from(privateKey.export({ format: "jwk" }).d, "base64url");
  const path = join(dir, `${kid}.key`);
  writeFileSync(path, JSON.stringify({ keyid: kid, kind: "checkout", secretKey: seed.toString("base64") }), { mode: 0o600 });
  return { path, publicKey: Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url").toString("base64") };
}

const dir = mkdtempSync(join(tmpdir(), "offer-edge-attest-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const key = checkoutKeyFile(dir, KID);
const keys = { [KID]: key.publicKey };
const signing = { partner: PARTNER, ...(await readCheckoutKey(key.path)) };

/** Asks the demo partner backend (a Node handler, as miniflare calls it) for a token. */
async function fromBackend(body) {
  const handler = partnerBackend({ partner: PARTNER, keyPath: key.path });
  const res = await handler(new Request("http://shop.test/demo/partner/checkout-token", { method: "POST", body: JSON.stringify(body) }));
  return { status: res.status, body: await res.json() };
}

const claimsOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));

test("a token from the partner backend (jose) verifies: kid and claims come back", async () => {
  const { status, body } = await fromBackend({ email: " Ada.Lovelace@Example.com ", order: "DO-104821" });
  assert.equal(status, 200);
  assert.equal(body.order, "DO-104821");
  const header = JSON.parse(Buffer.from(body.token.split(".")[0], "base64url").toString("utf8"));
  assert.deepEqual(header, { alg: "EdDSA", kid: KID });
  const now = Date.now();
  const verified = oe.verifyCheckoutToken(body.token, PARTNER, keys, now);
  const eh = oe.attestedEmailHash(PARTNER, "ada.lovelace@example.com");
  assert.deepEqual({ ...verified, iat: 0, exp: 0, jti: "" }, { kid: KID, iss: PARTNER, ord: "DO-104821", eh,
    sub: claimsOf(body.token).sub, iat: 0, exp: 0, jti: "" });
  assert.match(verified.sub, /^[0-9a-f]{32}$/);
  assert.equal(verified.exp - verified.iat, 15 * 60);
  assert.ok(Math.abs(verified.iat * 1000 - now) < 5_000);
  assert.match(verified.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("the backend makes up an order id when none is given, and refuses bad requests", async () => {
  const { status, body } = await fromBackend({ email: "grace.hopper@example.com" });
  assert.equal(status, 200);
  assert.match(body.order, /^ORD-[0-9A-F]{12}$/);
  assert.equal(oe.verifyCheckoutToken(body.token, PARTNER, keys, Date.now()).ord, body.order);
  for (const [request, code] of [[{ email: "not an address" }, "EMAIL_INVALID"], [{ email: "a@b.example", order: "two words" }, "ORDER_INVALID"], [{}, "EMAIL_INVALID"]]) {
    const res = await fromBackend(request);
    assert.deepEqual([res.status, res.body.error.code], [400, code], JSON.stringify(request));
  }
});

test("the backend's eh formula is the core's attestedEmailHash", () => {
  for (const email of ["ada@example.com", "  Ada.Lovelace@Example.COM\t", "grace+offers@sub.example.org", "jörg.müller@bücher.example", "O'Brien@Example.ie"]) {
    assert.equal(attestedEmailHash(PARTNER, email), oe.attestedEmailHash(PARTNER, email), email);
  }
  // Salted by partner: the same shopper has another eh at another partner.
  assert.notEqual(oe.attestedEmailHash("acme", "ada@example.com"), oe.attestedEmailHash(PARTNER, "ada@example.com"));
});

test("another partner's token: TOKEN_PARTNER_MISMATCH (even when that partner pins the same key)", async () => {
  const token = await mintCheckoutToken(signing, { order: "DO-1", email: "ada@example.com" });
  throwsCode(() => oe.verifyCheckoutToken(token, "acme", keys, Date.now()), "TOKEN_PARTNER_MISMATCH");
});

test("expired: TOKEN_EXPIRED from exp + 60 s on; a minute of skew is allowed", async () => {
  const token = await mintCheckoutToken(signing, { order: "DO-1", email: "ada@example.com" });
  const { exp } = claimsOf(token);
  assert.equal(oe.verifyCheckoutToken(token, PARTNER, keys, (exp + 59) * 1000).ord, "DO-1");
  throwsCode(() => oe.verifyCheckoutToken(token, PARTNER, keys, (exp + 60) * 1000), "TOKEN_EXPIRED");
  throwsCode(() => oe.verifyCheckoutToken(token, PARTNER, keys, (exp + 3600) * 1000), "TOKEN_EXPIRED");
});

test("a kid the partner did not pin: TOKEN_KEY_UNKNOWN; the right kid on another key: TOKEN_INVALID", async () => {
  const token = await mintCheckoutToken(signing, { order: "DO-1", email: "ada@example.com" });
  throwsCode(() => oe.verifyCheckoutToken(token, PARTNER, { "demo-outfitters-checkout-2": key.publicKey }, Date.now()), "TOKEN_KEY_UNKNOWN");
  throwsCode(() => oe.verifyCheckoutToken(token, PARTNER, {}, Date.now()), "TOKEN_KEY_UNKNOWN");
  const other = checkoutKeyFile(dir, "other");
  throwsCode(() => oe.verifyCheckoutToken(token, PARTNER, { [KID]: other.publicKey }, Date.now()), "TOKEN_INVALID");
  // Rotation: both kids pinned, a token of either verifies.
  const next = { partner: PARTNER, ...(await readCheckoutKey(other.path)) };
  const rotated = await mintCheckoutToken(next, { order: "DO-2", email: "ada@example.com" });
  const both = { [KID]: key.publicKey, other: other.publicKey };
  assert.equal(oe.verifyCheckoutToken(token, PARTNER, both, Date.now()).kid, KID);
  assert.equal(oe.verifyCheckoutToken(rotated, PARTNER, both, Date.now()).kid, "other");
});

test("tokens jose can mint but the edge refuses: TOKEN_INVALID", async () => {
  const claims = { ord: "DO-1", eh: oe.attestedEmailHash(PARTNER, "ada@example.com") };
  const now = Math.floor(Date.now() / 1000);
  const build = (edit = (j) => j) => edit(new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: KID }).setIssuer(PARTNER)
    .setIssuedAt(now).setExpirationTime(now + 900).setJti("j-1"));
  const cases = {
    "a lifetime over one hour": build((j) => j.setExpirationTime(now + 3601)),
    "issued in the future (beyond the skew)": build((j) => j.setIssuedAt(now + 120).setExpirationTime(now + 900)),
    "no jti": new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: KID }).setIssuer(PARTNER).setIssuedAt(now).setExpirationTime(now + 900),
    "eh not a hash": new SignJWT({ ...claims, eh: "ada@example.com" }).setProtectedHeader({ alg: "EdDSA", kid: KID })
      .setIssuer(PARTNER).setIssuedAt(now).setExpirationTime(now + 900).setJti("j-1"),
    "an embedded key in the header": new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: KID, jwk: { kty: "OKP", crv: "Ed25519", x: "AA" } })
      .setIssuer(PARTNER).setIssuedAt(now).setExpirationTime(now + 900).setJti("j-1"),
  };
  throwsCode(() => oe.verifyCheckoutToken("", PARTNER, keys, Date.now()), "TOKEN_INVALID", "empty");
  for (const [what, jwt] of Object.entries(cases)) {
    const token = await jwt.sign(signing.key);
    throwsCode(() => oe.verifyCheckoutToken(token, PARTNER, keys, now * 1000), "TOKEN_INVALID", what);
  }
  // Algorithm confusion: HS256 with the pinned public key as the HMAC secret.
  const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: KID }).setIssuer(PARTNER).setIssuedAt(now)
    .setExpirationTime(now + 900).setJti("j-1").sign(Buffer.from(key.publicKey, "base64"));
  throwsCode(() => oe.verifyCheckoutToken(hs, PARTNER, keys, now * 1000), "TOKEN_INVALID", "HS256");
  // Over 2,048 bytes.
  const big = await new SignJWT({ ...claims, pad: "x".repeat(2000) }).setProtectedHeader({ alg: "EdDSA", kid: KID }).setIssuer(PARTNER)
    .setIssuedAt(now).setExpirationTime(now + 900).setJti("j-1").sign(signing.key);
  throwsCode(() => oe.verifyCheckoutToken(big, PARTNER, keys, now * 1000), "TOKEN_INVALID", "over 2048 bytes");
});

test("a seed imported as the JWK of docs/ATTESTATION.md signs what the core verifies", async () => {
  // The doc's recipe by hand: {kty, crv, d: seed, x: public key} → importJWK(…, "EdDSA").
  const seed = Buffer.from(JSON.parse(readFileSync(key.path, "utf8")).secretKey, "base64");
  const jwk = { kty: "OKP", crv: "Ed25519", d: seed.toString("base64url"), x: Buffer.from(key.publicKey, "base64").toString("base64url") };
  const token = await new SignJWT({ ord: "DO-9", eh: oe.attestedEmailHash(PARTNER, "ada@example.com") })
    .setProtectedHeader({ alg: "EdDSA", kid: KID }).setIssuer(PARTNER).setIssuedAt().setExpirationTime("15m").setJti("jti-9")
    .sign(await importJWK(jwk, "EdDSA"));
  assert.equal(oe.verifyCheckoutToken(token, PARTNER, keys, Date.now()).jti, "jti-9");
});

test("docs/ATTESTATION.md shows scripts/lib/partner-backend.mjs verbatim, and its eh example is right", () => {
  const doc = readFileSync(new URL("docs/ATTESTATION.md", root), "utf8");
  const source = readFileSync(new URL("scripts/lib/partner-backend.mjs", root), "utf8");
  const block = /<!-- scripts\/lib\/partner-backend\.mjs -->\n```js\n([\s\S]*?)```\n/.exec(doc);
  assert.ok(block, "the doc has the backend's code block");
  assert.equal(block[1], source, "docs/ATTESTATION.md's backend example drifted from scripts/lib/partner-backend.mjs");
  const example = /<!-- eh example -->\n```\n([^\n]+)\n([0-9a-f]{64})\n```/.exec(doc);
  assert.ok(example, "the doc has the eh example");
  const [partner, email] = JSON.parse(`[${example[1]}]`);
  assert.equal(oe.attestedEmailHash(partner, email), example[2]);
});

// The shared cases of tests/fixtures/checkout/ (README.md there): the same tokens, verdicts and
// codes as the native and wasm32 suites.
const fixture = (name) => JSON.parse(readFileSync(new URL(`tests/fixtures/checkout/${name}`, root), "utf8"));
const pinned = fixture("keys.json");

for (const c of fixture("tokens.json")) {
  test(`checkout fixture: ${c.description}`, () => {
    if (c.expect.error) throwsCode(() => oe.verifyCheckoutToken(c.token, c.partner, pinned, c.nowMs), c.expect.error, c.description);
    else assert.deepEqual(oe.verifyCheckoutToken(c.token, c.partner, pinned, c.nowMs), c.expect);
  });
}

test("checkout fixture emails.json: the core and the backend's formula give each eh", () => {
  for (const v of fixture("emails.json")) {
    assert.equal(oe.attestedEmailHash(v.partner, v.email), v.eh, JSON.stringify(v));
    assert.equal(attestedEmailHash(v.partner, v.email), v.eh, `backend: ${JSON.stringify(v)}`);
  }
});

test("checkout fixture signing-keys.json: jose signs with the fixture seeds what the core verifies with keys.json", async () => {
  for (const k of fixture("signing-keys.json")) {
    const path = join(dir, `${k.kid}.key`);
    writeFileSync(path, JSON.stringify({ keyid: k.kid, kind: "checkout", secretKey: k.seed }));
    const token = await mintCheckoutToken({ partner: k.partner, ...(await readCheckoutKey(path)) }, { order: "ORD-7", email: "ada@example.com" });
    if (pinned[k.kid] === k.publicKey) {
      assert.equal(oe.verifyCheckoutToken(token, k.partner, pinned, Date.now()).kid, k.kid);
    } else {
      // Another partner's key: not pinned for acme.
      throwsCode(() => oe.verifyCheckoutToken(token, k.partner, pinned, Date.now()), "TOKEN_KEY_UNKNOWN", k.kid);
      throwsCode(() => oe.verifyCheckoutToken(token, "acme", pinned, Date.now()), "TOKEN_PARTNER_MISMATCH", k.kid);
      assert.equal(oe.verifyCheckoutToken(token, k.partner, { [k.kid]: k.publicKey }, Date.now()).iss, k.partner);
    }
  }
});
