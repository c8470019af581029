// The JS-facing API of pkg/ in Node (ESM): what a host calls, the errors it
// branches on, and that no input makes the module trap.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as oe from "../../pkg/node.js";
import { assertOfferEdgeError, b64url, cargoVersion, fixtures, throwsCode } from "./helpers.js";

const utf8 = (text) => new TextEncoder().encode(text);

test("version() is the Cargo.toml version", async () => {
  await oe.ready;
  assert.equal(oe.version(), cargoVersion());
});

/** The compact receipt for `suite`, with `alter`ed fields and the original MAC. */
function compactFor(suite, alter = {}) {
  const genuine = oe.signReceipt(suite.receipt, utf8(suite.key));
  const [, mac] = genuine.split(".");
  return `${b64url.encode(JSON.stringify({ ...suite.receipt, ...alter }))}.${mac}`;
}

for (const [file, suite] of fixtures("receipts")) {
  test(`receipts fixture ${file}: the tag matches the independently computed one`, () => {
    const compact = oe.signReceipt(suite.receipt, utf8(suite.key));
    assert.equal(compact.split(".")[1], suite.mac);
    assert.deepEqual(JSON.parse(b64url.decode(compact.split(".")[0])), suite.receipt);
  });
  for (const c of suite.cases) {
    test(`receipts fixture ${file}: ${c.description} → ${c.expect}`, () => {
      const compact = compactFor(suite, c.alter);
      const key = utf8(c.key ?? suite.key);
      const now = Date.parse(c.now);
      if (c.expect === "ok") {
        assert.deepEqual(oe.verifyReceipt(compact, key, now, c.partner, c.offerId), suite.receipt);
      } else {
        throwsCode(() => oe.verifyReceipt(compact, key, now, c.partner, c.offerId), c.expect, c.description);
      }
    });
  }
}

const [, suite] = fixtures("receipts")[0];
const key = utf8(suite.key);

test("tampering with any byte of the compact receipt gives RECEIPT_INVALID", () => {
  const compact = oe.signReceipt(suite.receipt, key);
  const now = Date.parse("2026-11-29T12:05:00Z");
  for (let i = 0; i < compact.length; i += 3) {
    const flipped = compact[i] === "A" ? "B" : "A";
    const bad = compact.slice(0, i) + flipped + compact.slice(i + 1);
    if (bad === compact) continue;
    throwsCode(() => oe.verifyReceipt(bad, key, now, "acme-shop", "offer-streaming-trial"), "RECEIPT_INVALID", `byte ${i}`);
  }
});

test("nowMs must be whole milliseconds", () => {
  const compact = oe.signReceipt(suite.receipt, key);
  for (const now of [NaN, Infinity, 1.5, 2 ** 60]) {
    throwsCode(() => oe.verifyReceipt(compact, key, now, "acme-shop", "offer-streaming-trial"), "CONTEXT_INVALID", String(now));
  }
});

test("signReceipt refuses malformed receipts and short keys", () => {
  throwsCode(() => oe.signReceipt({ ...suite.receipt, decisionId: "xyz" }, key), "RECEIPT_INVALID");
  throwsCode(() => oe.signReceipt({ ...suite.receipt, extra: 1 }, key), "RECEIPT_INVALID");
  throwsCode(() => oe.signReceipt(undefined, key), "RECEIPT_INVALID");
  throwsCode(() => oe.signReceipt({ ...suite.receipt, issuedAt: "yesterday" }, key), "RECEIPT_INVALID");
  throwsCode(() => oe.signReceipt(suite.receipt, new Uint8Array(16)), "KEY_INVALID");
});

// Any valid X25519 public key will do for sealing: the RFC 9180 A.2.1
// recipient key from the shared fixture. (Opening is tested in tests/wasm.)
const [, kat] = fixtures("hpke")[0];
const fulfilmentKey = { kid: "acme-2026-01", publicKey: Buffer.from(kat.pkRm, "hex").toString("base64") };

test("sealForFulfilment: fresh ciphertext per call, fixed size, no email in the clear", () => {
  const k = fulfilmentKey;
  const r = { ...suite.receipt, offerId: "offer-meal-kit" };
  const one = oe.sealForFulfilment(k, r, "  Ada@Example.COM ");
  const two = oe.sealForFulfilment(k, r, "ada@example.com");
  const long = oe.sealForFulfilment(k, r, `${"a".repeat(64)}@${"b".repeat(150)}.example.com`);
  assert.deepEqual(Object.keys(one).sort(), ["ciphertext", "decisionId", "enc", "kid", "offerId", "partner"]);
  assert.equal(one.partner, "acme-shop");
  assert.equal(one.kid, "acme-2026-01");
  assert.equal(one.offerId, "offer-meal-kit");
  assert.equal(one.decisionId, suite.receipt.decisionId);
  assert.equal(Buffer.from(one.enc, "base64").length, 32);
  assert.notEqual(one.enc, two.enc, "entropy must be fresh per call");
  assert.notEqual(one.ciphertext, two.ciphertext);
  assert.equal(one.ciphertext.length, long.ciphertext.length, "length must not reveal the address");
  assert.ok(!JSON.stringify(one).toLowerCase().includes("example.com"));
});

test("sealForFulfilment error codes", () => {
  const k = fulfilmentKey;
  throwsCode(() => oe.sealForFulfilment(k, suite.receipt, "not-an-email"), "EMAIL_INVALID");
  throwsCode(() => oe.sealForFulfilment(k, suite.receipt, ""), "EMAIL_INVALID");
  throwsCode(() => oe.sealForFulfilment({ ...k, publicKey: "AAAA" }, suite.receipt, "ada@example.com"), "KEY_INVALID");
  throwsCode(() => oe.sealForFulfilment({ kid: "k" }, suite.receipt, "ada@example.com"), "KEY_INVALID");
  throwsCode(() => oe.sealForFulfilment(k, { partner: "acme-shop" }, "ada@example.com"), "RECEIPT_INVALID");
});

test("uuidV4 is fresh and RFC 9562 v4", () => {
  const ids = new Set(Array.from({ length: 100 }, () => oe.uuidV4()));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("hostile inputs never trap the module (no panic reaches JS)", () => {
  const strings = ["", ".", "..", "a.b", "\u0000", "💥".repeat(1000), "x".repeat(100_000), "eyJ9.eyJ9"];
  const objects = [null, {}, [], 42, "str", { decisionId: "💥" }, { ...suite.receipt, issuedAt: "9999-99-99T00:00:00Z" },
    { ...suite.receipt, issuedAt: "2026-11-30T12:00:00Z", expiresAt: "2026-11-29T12:00:00Z" },
    { ...suite.receipt, partner: "p".repeat(100_000) }];
  const keys = [new Uint8Array(0), new Uint8Array(32), new Uint8Array(1 << 16)];
  const calls = [];
  for (const s of strings) for (const k of keys) calls.push(() => oe.verifyReceipt(s, k, 0, s, s));
  for (const o of objects) for (const k of keys) calls.push(() => oe.signReceipt(o, k));
  for (const o of objects) for (const s of strings) calls.push(() => oe.sealForFulfilment(o, o, s));
  let threw = 0;
  for (const call of calls) {
    try {
      call();
    } catch (e) {
      assertOfferEdgeError(e, call.toString());
      threw++;
    }
  }
  assert.ok(threw > 0);
  // The instance still works afterwards.
  assert.equal(oe.verifyReceipt(oe.signReceipt(suite.receipt, key), key, Date.parse("2026-11-29T12:05:00Z"),
    "acme-shop", "offer-streaming-trial").offerId, "offer-streaming-trial");
});
