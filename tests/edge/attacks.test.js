// The attacks of the attestation issue, replayed against worker.js in real
// workerd. Each must now yield 0 emails, 0 billable events and 0 history
// changes, and the edge must say why with a stable code. docs/EDGE.md's
// threat model points at these tests line by line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  answer, backend, checkoutToken, engagement, event, oe, poll, receipt, seed, startEdge,
} from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const SHOPPER_EMAIL = "ada.lovelace@example.com";
const ATTACKER_EMAIL = "victim@example.net";

let pageEngine;
/** The engine a page holds (the public bundle): what an attacker seals with. */
function sealer() {
  if (!pageEngine) {
    const s = seed();
    pageEngine = new oe.Engine(s.acme.trust);
    pageEngine.load(s.acme.signed, Date.now());
  }
  return pageEngine;
}

const offersOf = (d) => d.placements.flatMap((p) => p.offers);
const couponOf = (d) => offersOf(d).find((o) => o.needsConfirmationEmail);

async function decide(edge, body, headers = {}) {
  const res = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT, ...body }, headers));
  assert.equal(res.status, 200, res.text);
  return res.body;
}

const count = async (edge, sql, ...binds) => (await edge.sql(sql, ...binds))[0]?.n ?? 0;
const emails = (edge) => count(edge, "SELECT COUNT(*) AS n FROM outbox");
const billable = (edge) => count(edge, "SELECT COUNT(*) AS n FROM billable_events");

/** Sends an accept for a fresh attested order of acme and waits for its email: the queue has drained up to here. */
async function drain(edge) {
  const token = checkoutToken("acme", { email: SHOPPER_EMAIL });
  const coupon = couponOf(await decide(edge, { checkoutToken: token }));
  const e = engagement("accept", coupon, { checkout: token, fulfilment: sealer().sealForFulfilment(SHOPPER_EMAIL, coupon.receipt) });
  const res = await answer(await edge.post("/v1/events", { events: [e] }));
  assert.equal(res.body.fulfilment.queued, 1, res.text);
  await poll(async () => count(edge, "SELECT COUNT(*) AS n FROM outbox WHERE decision_id = ?", coupon.receipt.decisionId), "the marker email");
}

test("open relay: a fabricated accept sealed to any address sends nothing, whatever receipt it carries", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" } });
  // (a) A plain receipt the attacker wrote, email sealed to the bundle's public key, no token.
  const shown = couponOf(await decide(edge, {}));
  const fake = receipt("acme", shown.offerId, { creativeId: shown.creativeId });
  const plain = event("accept", fake, { signed: false, fulfilment: sealer().sealForFulfilment(ATTACKER_EMAIL, fake) });
  // (b) A genuine signed receipt from an anonymous decide (no Origin), no token.
  const anon = couponOf(await decide(edge, {}));
  const signed = engagement("accept", anon, { fulfilment: sealer().sealForFulfilment(ATTACKER_EMAIL, anon.receipt) });
  const res = await answer(await edge.post("/v1/events", { events: [plain, signed] }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.unverifiedReasons.map((u) => [u.index, u.code]), [[0, "ATTESTATION_MISSING"]]);
  assert.deepEqual(res.body.fulfilment, { queued: 0, refused: [{ index: 1, id: signed.id, code: "ATTESTATION_REQUIRED" }] });
  await drain(edge);
  assert.deepEqual(await edge.sql("SELECT to_addr FROM outbox WHERE to_addr = ?", ATTACKER_EMAIL), []);
  assert.equal(await emails(edge), 1, "only the attested marker's email");
  assert.equal(await count(edge, "SELECT COUNT(*) AS n FROM billable_events WHERE id = ?", plain.id), 0);
});

test("open relay: a valid token cannot send to another address, nor more than once per (order, offer)", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" } });
  const order = `ORD-${randomBytes(4).toString("hex")}`;
  const token = checkoutToken("acme", { order, email: SHOPPER_EMAIL });
  const coupon = couponOf(await decide(edge, { checkoutToken: token }));
  // The attested shopper's own page seals someone else's address.
  const mismatch = engagement("accept", coupon, { checkout: token, fulfilment: sealer().sealForFulfilment(ATTACKER_EMAIL, coupon.receipt) });
  const refused = await answer(await edge.post("/v1/events", { events: [mismatch] }));
  assert.deepEqual(refused.body.rejections.map((r) => r.code), ["EMAIL_MISMATCH"]);
  // The genuine accept sends one email.
  const genuine = engagement("accept", coupon, { checkout: token, fulfilment: sealer().sealForFulfilment(SHOPPER_EMAIL, coupon.receipt) });
  const ok = await answer(await edge.post("/v1/events", { events: [genuine] }));
  assert.deepEqual([ok.body.accepted, ok.body.fulfilment.queued], [1, 1], ok.text);
  // A 64 KiB batch of further accepts on fabricated decision ids with the same token: each a duplicate of the order's accept.
  const forged = Array.from({ length: 40 }, () => {
    const r = receipt("acme", coupon.offerId, { creativeId: coupon.creativeId, placement: "confirmation" });
    return event("accept", r, { signed: false, checkout: token, fulfilment: sealer().sealForFulfilment(SHOPPER_EMAIL, r) });
  });
  const flood = await answer(await edge.post("/v1/events", { events: forged }));
  assert.deepEqual([flood.body.accepted, flood.body.duplicate, flood.body.fulfilment.queued], [0, 40, 0], flood.text);
  await drain(edge);
  const rows = await edge.sql("SELECT to_addr FROM outbox WHERE decision_id = ? AND kind = 'confirmation'", coupon.receipt.decisionId);
  assert.deepEqual(rows, [{ to_addr: SHOPPER_EMAIL }]);
  assert.equal(await emails(edge), 2, "the order's one email and the marker's");
});

test("the per-order cap bounds confirmations across offers", async (t) => {
  const s = seed();
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" }, partners: {
    acme: { trust: s.acme.trust, checkoutKeys: s.acme.checkoutKeys, maxConfirmationsPerOrder: 1 },
  } });
  const token = checkoutToken("acme", { email: SHOPPER_EMAIL });
  const first = couponOf(await decide(edge, { checkoutToken: token }));
  const e1 = engagement("accept", first, { checkout: token, fulfilment: sealer().sealForFulfilment(SHOPPER_EMAIL, first.receipt) });
  assert.equal((await answer(await edge.post("/v1/events", { events: [e1] }))).body.fulfilment.queued, 1);
  // Another offer id of the same order (here: the claim table already holds the order's one allowed email).
  await edge.sql("INSERT INTO fulfilment_claims (partner, order_ref, offer_id, event_id, created_ms) VALUES ('acme', 'ORD-CAP', 'other-offer', 'x', 0)");
  const capped = checkoutToken("acme", { order: "ORD-CAP", email: SHOPPER_EMAIL });
  const second = couponOf(await decide(edge, { checkoutToken: capped }));
  const e2 = engagement("accept", second, { checkout: capped, fulfilment: sealer().sealForFulfilment(SHOPPER_EMAIL, second.receipt) });
  const res = await answer(await edge.post("/v1/events", { events: [e2] }));
  assert.deepEqual(res.body.fulfilment.refused.map((r) => r.code), ["ORDER_CAP_REACHED"]);
});

test("forgeable billing: one receipt is one engagement per type, facts come from the edge, conversions and expired receipts are refused", async (t) => {
  const edge = await startEdge(t);
  const offer = offersOf(await decide(edge, {}))[0];
  const lies = { campaign: "someone-else", advertiser: "rival-advertiser", propensity: 1e-9, time: "2001-01-01T00:00:00Z" };
  const accepts = Array.from({ length: 26 }, () => engagement("accept", offer, lies));
  const conversions = Array.from({ length: 25 }, () => engagement("conversion", offer, lies));
  const res = await answer(await edge.post("/v1/events", { events: [...accepts, ...conversions] }));
  assert.deepEqual([res.body.accepted, res.body.duplicate, res.body.unverified], [1, 25, 25], res.text);
  assert.ok(res.body.unverifiedReasons.every((u) => u.code === "CONVERSION_NOT_ATTESTED"));
  const [row] = await edge.sql("SELECT campaign, advertiser, propensity, claimed_propensity, time_ms FROM billable_events");
  assert.deepEqual([row.campaign, row.advertiser, row.propensity, row.claimed_propensity], [offer.campaign, offer.advertiser, offer.propensity, null]);
  assert.ok(row.time_ms >= Date.parse(offer.receipt.issuedAt), "the time is clamped to the receipt's issue time");
  // Far-future times are clamped to now + 5 min.
  const later = engagement("decline", offer, { time: "2099-01-01T00:00:00Z" });
  await edge.post("/v1/events", { events: [later] });
  const [declined] = await edge.sql("SELECT time_ms FROM billable_events WHERE id = ?", later.id);
  assert.ok(declined.time_ms <= Date.now() + 5 * 60_000);
  // 100 conversions on random decision ids with expired plain receipts.
  const stale = Array.from({ length: 100 }, () => event("conversion", receipt("acme", offer.offerId, {
    issuedAt: "2026-01-01T00:00:00Z", expiresAt: "2026-01-02T00:00:00Z",
  }), { signed: false }));
  const refused = await answer(await edge.post("/v1/events", { events: stale }));
  assert.deepEqual([refused.body.accepted, refused.body.rejected], [0, 100]);
  assert.ok(refused.body.rejections.every((r) => r.code === "RECEIPT_EXPIRED"));
  assert.equal(await billable(edge), 2);
});

test("shopperId is no bearer handle: a page cannot read or decline another shopper's offers", async (t) => {
  const edge = await startEdge(t);
  for (const headers of [{}, { authorization: "Bearer guess" }, backend("globex")]) {
    const res = await answer(await edge.post("/v1/decide", { partner: "acme", attributes: CONTEXT, shopperId: "customer-1001" }, headers));
    assert.deepEqual([res.status, res.body.error.code], [400, "SHOPPER_ID_REFUSED"], JSON.stringify(headers));
  }
  // Declines from a page with plain receipts naming the offers everyone sees change nothing.
  const seen = offersOf(await decide(edge, {}));
  const declines = seen.map((o) => event("decline", { ...o.receipt, decisionId: randomBytes(16).toString("hex") }, { signed: false }));
  const res = await answer(await edge.post("/v1/events", { events: declines }));
  assert.deepEqual([res.body.accepted, res.body.unverified], [0, 3]);
  const victim = await decide(edge, { shopperId: "customer-1001" }, backend("acme"));
  assert.deepEqual(offersOf(victim).map((o) => o.offerId).sort(), seen.map((o) => o.offerId).sort(), "the victim still sees every offer");
  // A token's sub is the attested shopper: its page's declines do count, for that shopper only.
  const token = checkoutToken("acme", { email: SHOPPER_EMAIL, sub: "customer-2002" });
  const own = await decide(edge, { checkoutToken: token });
  const ownDeclines = offersOf(own).map((o) => engagement("decline", o, { checkout: token }));
  assert.equal((await answer(await edge.post("/v1/events", { events: ownDeclines }))).body.accepted, 3);
  assert.equal(offersOf(await decide(edge, { checkoutToken: token })).length, 0, "the attested shopper's declines hold");
  assert.equal(offersOf(await decide(edge, { shopperId: "customer-3003" }, backend("acme"))).length, 3, "nobody else's");
});

test("one seal, one recipient: lists and display names are refused before sealing, and by the MIME builder", async () => {
  const engine = sealer();
  const r = receipt("acme", "offer-1");
  for (const bad of ["a@x.com,b@y.com", "<a@x.com>", "\"a b\"@x.com", "a@x.com\r\nBcc: c@y.com", "a@x.com;b@y.com", "Ada <a@x.com>"]) {
    assert.throws(() => engine.sealForFulfilment(bad, r), { code: "EMAIL_INVALID" }, bad);
  }
  const { mimeMessage } = await import("../../edge/mime.js");
  const mail = { from: "offers@example.com", subject: "s", text: "t", html: "<p>h</p>", messageId: "m@example.com", date: new Date() };
  for (const to of ["a@x.com,b@y.com", "a@x.com\r\nBcc: c@y.com", "<a@x.com>", "a@x.com b@y.com"]) {
    assert.throws(() => mimeMessage({ ...mail, to }), { code: "EMAIL_INVALID" }, to);
  }
  assert.match(mimeMessage({ ...mail, to: "ada@example.com" }), /^To: ada@example\.com\r$/m);
});

test("checkout tokens: a jose-minted token verifies at the edge; another partner's, an expired one and an unknown kid are refused with their own codes", async (t) => {
  const { SignJWT, importJWK } = await import("jose");
  const edge = await startEdge(t);
  const s = seed();
  const keyOf = (partner) => {
    const file = JSON.parse(readFileSync(s[partner].checkoutKeyPath, "utf8"));
    const seedBytes = Buffer.from(file.secretKey, "base64");
    const x = Buffer.from(Object.values(s[partner].checkoutKeys)[0], "base64").toString("base64url");
    return { kid: file.keyid, jwk: { kty: "OKP", crv: "Ed25519", d: seedBytes.toString("base64url"), x } };
  };
  const mint = async (partner, { kid, iss = partner, exp = "15m", iat } = {}) => {
    const k = keyOf(partner);
    const key = await importJWK(k.jwk, "EdDSA");
    let jwt = new SignJWT({ ord: "ORD-JOSE-1", eh: oe.attestedEmailHash(iss, SHOPPER_EMAIL), sub: "jose-shopper" })
      .setProtectedHeader({ alg: "EdDSA", kid: kid ?? k.kid }).setIssuer(iss).setJti(randomUUID());
    jwt = iat === undefined ? jwt.setIssuedAt() : jwt.setIssuedAt(iat);
    return jwt.setExpirationTime(exp).sign(key);
  };
  const ok = await answer(await edge.post("/v1/decide", { partner: "acme", attributes: CONTEXT, checkoutToken: await mint("acme") }));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers.get("x-history-source"), "durable-object", "the token's sub names the history");
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ["another partner's token", await mint("globex"), "TOKEN_PARTNER_MISMATCH"],
    ["expired", await mint("acme", { iat: now - 7200, exp: now - 3600 }), "TOKEN_EXPIRED"],
    ["unknown kid", await mint("acme", { kid: "acme-checkout-9" }), "TOKEN_KEY_UNKNOWN"],
    ["signed by globex's key as acme", await mint("globex", { iss: "acme", kid: "acme-checkout-1" }), "TOKEN_INVALID"],
  ];
  for (const [what, token, code] of cases) {
    const res = await answer(await edge.post("/v1/decide", { partner: "acme", attributes: CONTEXT, checkoutToken: token }));
    assert.deepEqual([res.status, res.body.error?.code], [401, code], what);
  }
  // On events the same refusals are per event.
  const offer = offersOf(ok.body)[0];
  const bad = engagement("impression", offer, { checkout: cases[1][1] });
  const res = await answer(await edge.post("/v1/events", { events: [bad] }));
  assert.deepEqual(res.body.rejections.map((r) => r.code), ["TOKEN_EXPIRED"]);
});

test("receipt keys are per partner and rotate with an overlap window", async (t) => {
  const s = seed();
  const conf = (acme) => ({ acme: { trust: s.acme.trust, checkoutKeys: s.acme.checkoutKeys, ...acme }, globex: { trust: s.globex.trust } });
  const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-rotation-"));
  t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
  const first = await startEdge(t, { partners: conf({}), persistRoot });
  const before = offersOf(await decide(first, {}));
  assert.equal(before[0].receipt.kid, "r1");
  await first.dispose();
  // Rotate acme to r2, still accepting r1 receipts during the overlap; globex is untouched.
  const rotated = await startEdge(t, { partners: conf({ receiptKid: "r2", acceptReceiptKids: ["r1"] }), persistRoot });
  const after = offersOf(await decide(rotated, {}));
  assert.equal(after[0].receipt.kid, "r2");
  const overlap = await answer(await rotated.post("/v1/events", { events: [engagement("impression", before[0]), engagement("impression", after[0])] }));
  assert.equal(overlap.body.accepted, 2, overlap.text);
  await rotated.dispose();
  const closed = await startEdge(t, { partners: conf({ receiptKid: "r2" }), persistRoot });
  const gone = await answer(await closed.post("/v1/events", { events: [engagement("decline", before[1]), engagement("decline", after[1])] }));
  assert.deepEqual(gone.body.rejections.map((r) => [r.index, r.code]), [[0, "RECEIPT_INVALID"]], "after the overlap, r1 receipts no longer verify");
  assert.equal(gone.body.accepted, 1);
});
