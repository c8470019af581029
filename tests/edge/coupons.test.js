// Unique coupon codes in real workerd (docs/EDGE.md, "Unique coupon codes"):
// a coupon offer with a code source shows no code in the bundle or any
// decision; the collector issues one only in the answer to an attested
// accept (derived with the partner's coupon key, or claimed from a pool the
// partner uploads), the same code to a resend, never a code to a forged,
// unattested, foreign or non-coupon accept; the confirmation email prints
// it; erasure removes who it went to. acme's coupon is derived, globex's
// comes from a pool.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  answer, backend, engagement, event, oe, partnersConfig, poll, RECEIPT_KEY, receipt, startEdge, testBundle,
  uploadBundle,
} from "./harness.js";
import { seedPartner, fulfilmentSecretName } from "../../scripts/lib/edge.mjs";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const EMAIL = "ada.lovelace@example.com";
const URL_ = "https://redeem.example/coupon";
const CODES = {
  acme: { source: "derived", prefix: "ACME-", length: 10 },
  globex: { source: "pool", pool: "spring-2026" },
};

let seeded;
/** acme and globex with their coupon offer turned into a unique coupon (own keys, own bundles). */
function couponSeed() {
  if (!seeded) {
    const dir = mkdtempSync(join(tmpdir(), "offer-edge-coupons-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const unique = (partner) => (b) => {
      testBundle(b);
      const coupon = b.offers.find((o) => o.action.type === "coupon");
      coupon.action = { type: "coupon", codes: CODES[partner], url: URL_ };
      coupon.caps = [];
      return b;
    };
    seeded = { acme: seedPartner(dir, "acme", { transform: unique("acme"), seed: 3 }), globex: seedPartner(dir, "globex", { transform: unique("globex"), seed: 4 }) };
  }
  return seeded;
}

async function couponEdge(t, vars = {}) {
  const s = couponSeed();
  const edge = await startEdge(t, {
    partners: partnersConfig(s),
    upload: false,
    vars: { [fulfilmentSecretName("acme")]: s.acme.fulfilmentKey, [fulfilmentSecretName("globex")]: s.globex.fulfilmentKey, REMINDER_DELAY_MS: "3600000", ...vars },
  });
  for (const p of ["acme", "globex"]) await uploadBundle(edge.mf, p, s[p].signed, s[p].page, s[p].form);
  return edge;
}

const tokenOf = (partner, extra = {}) => couponSeed()[partner].checkoutToken({ order: `ORD-${randomUUID().slice(0, 8)}`, email: EMAIL, ...extra });

const hosts = {};
/** The page's Engine of the coupon bundle (seals the email). */
function host(partner) {
  if (!hosts[partner]) {
    const s = couponSeed()[partner];
    hosts[partner] = new oe.Engine(s.trust);
    hosts[partner].load(s.signed, Date.now());
  }
  return hosts[partner];
}

/** One edge decision for `token`'s order: its raw text and the coupon and link offers. */
async function decide(edge, partner, token) {
  const res = await answer(await edge.post("/v1/decide", { partner, placement: "confirmation", attributes: CONTEXT, checkoutToken: token }));
  assert.equal(res.status, 200, res.text);
  const offers = res.body.placements[0].offers;
  return { text: res.text, coupon: offers.find((o) => o.action.type === "coupon"), link: offers.find((o) => o.action.type === "link") };
}

const send = async (edge, events) => answer(await edge.post("/v1/events", { events }));

/** The derived code the edge must issue, computed from the documented derivation (docs/EDGE.md). */
function expectedCode(partner, offerId, decisionId) {
  const key = oe.deriveReceiptKey(RECEIPT_KEY, partner, "coupon/v1");
  const mac = createHmac("sha256", Buffer.from(key)).update(`offer-edge/coupon/v1\n${partner}\n${offerId}\n${decisionId}`).digest();
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let bits = "";
  for (const b of mac) bits += b.toString(2).padStart(8, "0");
  let out = "";
  for (let i = 0; i < CODES.acme.length; i++) out += alphabet[parseInt(bits.slice(i * 5, i * 5 + 5), 2)];
  return CODES.acme.prefix + out;
}

/** An attested accept of `offer` (with the sealed email when it needs one). */
function acceptOf(partner, offer, token, extra = {}) {
  const fulfilment = offer.needsConfirmationEmail ? host(partner).sealForFulfilment(EMAIL, offer.receipt) : undefined;
  return engagement("accept", offer, { checkout: token, ...(fulfilment ? { fulfilment } : {}), ...extra });
}

test("a derived code: only after an attested accept, the same for its resend, another per decision, never in bundle or decision", async (t) => {
  const edge = await couponEdge(t);
  const token = tokenOf("acme", { sub: "shopper-ada" });
  const { text, coupon } = await decide(edge, "acme", token);
  assert.deepEqual(coupon.action, { type: "coupon", unique: true, url: URL_ });
  const code = expectedCode("acme", coupon.offerId, coupon.receipt.decisionId);
  const bundle = await (await edge.fetch("/v1/bundles/acme")).text();
  for (const published of [text, bundle]) assert.ok(!published.includes(code), "the code is in no public answer");

  const accept = acceptOf("acme", coupon, token);
  const res = await send(edge, [engagement("impression", coupon, { checkout: token }), accept]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.coupons, [{ index: 1, id: accept.id, offerId: coupon.offerId, code }]);
  assert.match(code, /^ACME-[0-9A-HJKMNP-TV-Z]{10}$/);

  // The same accept re-sent, or re-sent under a new id: the same code, no second one.
  for (const again of [accept, { ...accept, id: randomUUID() }]) {
    const r = await send(edge, [again]);
    assert.deepEqual([r.body.accepted, r.body.duplicate], [0, 1]);
    assert.deepEqual(r.body.coupons, [{ index: 0, id: again.id, offerId: coupon.offerId, code }]);
  }
  // Another order's decision gets another code.
  const other = tokenOf("acme");
  const second = (await decide(edge, "acme", other)).coupon;
  const r2 = await send(edge, [acceptOf("acme", second, other)]);
  assert.notEqual(r2.body.coupons[0].code, code);
  assert.equal(r2.body.coupons[0].code, expectedCode("acme", second.offerId, second.receipt.decisionId));

  // The confirmation email prints the issued code.
  const [mail] = await poll(async () => {
    const rows = await edge.sql("SELECT html, text FROM outbox WHERE kind = 'confirmation' AND decision_id = ?", coupon.receipt.decisionId);
    return rows.length ? rows : null;
  }, "the confirmation email");
  assert.ok(mail.html.includes(`<b>${code}</b>`), mail.html);
  assert.ok(mail.text.includes(code), mail.text);

  // The partner's redemption check, behind its API secret only.
  const lookup = await answer(await edge.fetch(`/v1/coupons/acme?code=${code}`, { headers: backend("acme") }));
  assert.deepEqual([lookup.status, lookup.body.offerId, lookup.body.decisionId], [200, coupon.offerId, coupon.receipt.decisionId]);
  assert.equal((await edge.fetch(`/v1/coupons/acme?code=${code}`)).status, 401);
  assert.equal((await edge.fetch(`/v1/coupons/acme?code=${code}`, { headers: backend("globex") })).status, 401);
  assert.equal((await edge.fetch(`/v1/coupons/globex?code=${code}`, { headers: backend("globex") })).status, 404);

  // Erasure of the shopper removes who the code went to.
  const erased = await answer(await edge.fetch("/v1/shoppers/acme", { method: "DELETE", headers: { "content-type": "application/json", ...backend("acme") }, body: JSON.stringify({ shopperRef: "shopper-ada" }) }));
  assert.equal(erased.status, 200, erased.text);
  assert.equal(erased.body.erased.couponClaims, 1);
  assert.deepEqual(await edge.sql("SELECT code FROM coupon_claims WHERE decision_id = ?", coupon.receipt.decisionId), []);
  assert.equal((await edge.fetch(`/v1/coupons/acme?code=${code}`, { headers: backend("acme") })).status, 404);
  assert.equal((await edge.sql("SELECT COUNT(*) AS n FROM coupon_claims"))[0].n, 1, "the other order's claim stays");
});

test("no code for forged, unattested, foreign, unknown-decision, non-coupon or non-accept events", async (t) => {
  const edge = await couponEdge(t);
  const token = tokenOf("acme");
  const { coupon, link } = await decide(edge, "acme", token);
  // Unattested: the edge's own signed receipt, no checkout token.
  const plain = engagement("accept", coupon);
  // Forged: a receipt MACed with a key the attacker made up.
  const forged = event("accept", receipt("acme", coupon.offerId, { creativeId: coupon.creativeId }), { key: new Uint8Array(32).fill(9), checkout: token });
  // Another partner's order (its token), and a decision the edge never made (a well-signed receipt of an unknown decision).
  const foreign = acceptOf("acme", coupon, tokenOf("globex"));
  const unknown = event("accept", receipt("acme", coupon.offerId, { creativeId: coupon.creativeId }), { checkout: token });
  const res = await send(edge, [plain, forged, foreign, unknown, engagement("decline", coupon, { checkout: token }),
    engagement("impression", coupon, { checkout: token }), engagement("close", coupon, { checkout: token }), acceptOf("acme", link, token)]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.coupons, [{ index: 0, id: plain.id, offerId: coupon.offerId, refused: "ATTESTATION_REQUIRED" }], res.text);
  assert.ok(!res.text.includes("ACME-"), res.text);
  assert.equal((await edge.sql("SELECT COUNT(*) AS n FROM coupon_claims"))[0].n, 0);
  // The attested accept afterwards still gets its code (nothing above used it up).
  const ok = await send(edge, [acceptOf("acme", coupon, token)]);
  assert.equal(ok.body.coupons[0].code, expectedCode("acme", coupon.offerId, coupon.receipt.decisionId), ok.text);
});

test("an aggregate-only accept (no measurement consent) still gets its code when attested; the row keeps no shopper", async (t) => {
  const edge = await couponEdge(t);
  const token = tokenOf("acme", { sub: "shopper-grace" });
  const res = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT, checkoutToken: token, consent: { measurement: false } }));
  assert.equal(res.body.privacy.measurement, false, res.text);
  const coupon = res.body.placements[0].offers.find((o) => o.action.type === "coupon");
  const r = await send(edge, [engagement("accept", coupon, { checkout: token })]);
  assert.equal(r.body.coupons[0].code, expectedCode("acme", coupon.offerId, coupon.receipt.decisionId), r.text);
  const [row] = await edge.sql("SELECT aggregate_only, shopper_key FROM billable_events WHERE decision_id = ?", coupon.receipt.decisionId);
  assert.deepEqual([row.aggregate_only, row.shopper_key], [1, null]);
});

const upload = (edge, partner, pool, body, headers = backend(partner), type = "text/plain") =>
  edge.fetch(`/v1/coupons/${partner}/${pool}`, { method: "POST", headers: { "content-type": type, ...headers }, body }).then(answer);
const counts = async (edge, partner = "globex", pool = "spring-2026") =>
  (await answer(await edge.fetch(`/v1/coupons/${partner}/${pool}`, { headers: backend(partner) }))).body;

test("a pool: uploads behind the partner's secret, one code per accept, the last code to exactly one of two racing accepts", async (t) => {
  const edge = await couponEdge(t);
  // The attacker's uploads: no secret, another partner's secret, junk, the wrong type, too much.
  assert.equal((await upload(edge, "globex", "spring-2026", "X1", {})).status, 401);
  assert.equal((await upload(edge, "globex", "spring-2026", "X1", backend("acme"))).status, 401);
  const junk = await upload(edge, "globex", "spring-2026", "GOOD-1\n<script>\n");
  assert.deepEqual([junk.status, junk.body.error.code], [400, "COUPON_CODES_INVALID"]);
  assert.match(junk.body.error.message, /line 2/);
  assert.equal((await upload(edge, "globex", "spring-2026", "X1", backend("globex"), "application/json")).status, 415);
  // Over 512 KiB, streamed in 64 KiB chunks (no Content-Length): the worker reads every chunk up to
  // the one that crosses the limit, so the answer never races an unsent body (a connection reset).
  const chunk = new TextEncoder().encode("A\n".repeat(32 * 1024));
  const stream = new ReadableStream({ start(c) { for (let i = 0; i < 9; i++) c.enqueue(chunk); c.close(); } });
  const tooBig = await answer(await edge.fetch("/v1/coupons/globex/spring-2026", { method: "POST", body: stream, duplex: "half", headers: { "content-type": "text/plain", ...backend("globex") } }));
  assert.deepEqual([tooBig.status, tooBig.body.error.code], [413, "LIMIT_EXCEEDED"]);
  const tooMany = Array.from({ length: 10_001 }, (_, i) => `CODE-${i}`).join("\n");
  assert.deepEqual([(await upload(edge, "globex", "spring-2026", tooMany)).status], [413], "more than 10,000 codes");
  assert.equal((await upload(edge, "globex", "bad%2Fpool", "X1")).status, 400);
  assert.equal((await counts(edge)).total, 0, "nothing of a refused upload was kept");

  const first = await upload(edge, "globex", "spring-2026", "SPRING-A\r\nSPRING-B\n\nSPRING-A\n");
  assert.deepEqual([first.status, first.body.received, first.body.added, first.body.total, first.body.remaining], [200, 2, 2, 2, 2], first.text);
  const again = await upload(edge, "globex", "spring-2026", "SPRING-B\nSPRING-A");
  assert.deepEqual([again.body.added, again.body.duplicate, again.body.total], [0, 2, 2], "re-uploading is idempotent");

  const token = tokenOf("globex");
  const { coupon, text } = await decide(edge, "globex", token);
  assert.deepEqual(coupon.action, { type: "coupon", unique: true, url: URL_ });
  assert.ok(!text.includes("SPRING-"));
  const accept = acceptOf("globex", coupon, token);
  const got = await send(edge, [accept]);
  const code = got.body.coupons[0].code;
  assert.ok(["SPRING-A", "SPRING-B"].includes(code), got.text);
  assert.equal((await send(edge, [accept])).body.coupons[0].code, code, "a resend gets the same code");
  assert.deepEqual([(await counts(edge)).claimed, (await counts(edge)).remaining], [1, 1]);
  const [mail] = await poll(async () => {
    const rows = await edge.sql("SELECT html FROM outbox WHERE kind = 'confirmation' AND decision_id = ?", coupon.receipt.decisionId);
    return rows.length ? rows : null;
  }, "the pool coupon's confirmation email");
  assert.ok(mail.html.includes(`<b>${code}</b>`), mail.html);

  // Two orders race for the last code: exactly one gets it.
  const racers = await Promise.all([tokenOf("globex"), tokenOf("globex")].map(async (tok) => ({ tok, coupon: (await decide(edge, "globex", tok)).coupon })));
  const results = await Promise.all(racers.map((r) => send(edge, [acceptOf("globex", r.coupon, r.tok)])));
  const outcomes = results.map((r) => r.body.coupons[0]);
  const winners = outcomes.filter((o) => o.code);
  assert.equal(winners.length, 1, JSON.stringify(outcomes));
  assert.equal(winners[0].code, code === "SPRING-A" ? "SPRING-B" : "SPRING-A");
  const loser = outcomes.find((o) => o.refused);
  assert.equal(loser.refused, "COUPON_POOL_EMPTY");
  assert.equal(loser.code, undefined);
  assert.deepEqual(await counts(edge), { pool: "spring-2026", total: 2, claimed: 2, remaining: 0, waiting: 1 }, "the partner sees the empty pool and who waits");

  // Restocked: the waiting accept's resend gets a code; nothing is issued twice.
  await upload(edge, "globex", "spring-2026", "SPRING-C");
  const loserEvent = racers[outcomes.indexOf(loser)];
  const retry = await send(edge, [acceptOf("globex", loserEvent.coupon, loserEvent.tok)]);
  assert.equal(retry.body.coupons[0].code, "SPRING-C", retry.text);
  assert.deepEqual(await counts(edge), { pool: "spring-2026", total: 3, claimed: 3, remaining: 0, waiting: 0 });
  const issued = await edge.sql("SELECT code FROM coupon_claims WHERE partner = 'globex' ORDER BY code");
  assert.deepEqual(issued.map((r) => r.code), ["SPRING-A", "SPRING-B", "SPRING-C"]);
});

test("the coupon tables are migrated and covered by retention", async (t) => {
  const edge = await couponEdge(t);
  await upload(edge, "globex", "p1", "P1-CODE");
  const tables = (await edge.sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'coupon%' ORDER BY name")).map((r) => r.name);
  assert.deepEqual(tables, ["coupon_claims", "coupon_pool"]);
  const { RETENTION } = await import("../../edge/retention.js");
  assert.ok(RETENTION.some((r) => r.table === "coupon_claims"));
});
