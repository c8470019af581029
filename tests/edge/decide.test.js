// POST /v1/decide in real workerd: decisions with receipts signed by the
// partner's own derived key; history authoritative in the shopper's Durable
// Object (named by the partner backend or a checkout token's sub; caps hold
// across cleared browsers), advisory in a signed partner-scoped cookie
// otherwise. A page's raw shopperId is refused (attacks.test.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { answer, backend, engagement, keepOffers, oe, ORIGINS, receiptKeyOf, seed, startEdge, testBundle, uploadBundle } from "./harness.js";
import { seedPartner } from "../../scripts/lib/edge.mjs";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00", currency: "USD", age: "34" };

async function decide(edge, body, headers = {}) {
  return answer(await edge.post("/v1/decide", { placement: "confirmation", attributes: CONTEXT, ...body }, headers));
}

const offersOf = (decision) => decision.placements.flatMap((p) => p.offers);
const couponOf = (decision) => offersOf(decision).find((o) => o.action.type === "coupon");

test("a decision carries rendered HTML and receipts signed with the edge key", async (t) => {
  const edge = await startEdge(t);
  const res = await decide(edge, { partner: "acme" });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.partner, "acme");
  assert.equal(res.body.placements[0].id, "confirmation");
  assert.match(res.body.placements[0].html, /Ada/);
  const offers = offersOf(res.body);
  assert.equal(offers.length, 3);
  for (const offer of offers) {
    assert.equal(offer.receipt.kid, "r1", "the receipt names the partner key it was signed with");
    assert.deepEqual(oe.verifyReceipt(offer.signedReceipt, receiptKeyOf("acme"), Date.now(), "acme", offer.offerId), offer.receipt);
    assert.throws(() => oe.verifyReceipt(offer.signedReceipt, receiptKeyOf("globex"), Date.now(), "acme", offer.offerId), { code: "RECEIPT_INVALID" });
    assert.equal(offer.receipt.decisionId, res.body.decisionId);
  }
  assert.equal(res.headers.get("x-history-source"), "new");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.match(res.headers.get("set-cookie"), /^oe_h_acme=r1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/v1\/; .*HttpOnly/);
  assert.match(res.headers.get("server-timing"), /^decide;dur=/);
  const rows = await edge.sql("SELECT partner, shopper_key, order_ref FROM decision_records WHERE decision_id = ?", res.body.decisionId);
  assert.deepEqual(rows, [{ partner: "acme", shopper_key: null, order_ref: null }]);
  const shown = await edge.sql("SELECT offer_id, campaign, advertiser, propensity FROM decision_offers WHERE decision_id = ? ORDER BY offer_id", res.body.decisionId);
  assert.deepEqual(shown, offers.map((o) => ({ offer_id: o.offerId, campaign: o.campaign, advertiser: o.advertiser, propensity: o.propensity }))
    .sort((a, b) => a.offer_id.localeCompare(b.offer_id)), "what was shown, as the edge decided it");
});

test("decide refuses bad requests with a code", async (t) => {
  const edge = await startEdge(t);
  const cases = [
    ["unknown partner", { partner: "initech" }, 404, "UNKNOWN_PARTNER"],
    ["attributes not an object", { partner: "acme", attributes: ["x"] }, 400, "DECIDE_INVALID"],
    ["unknown field", { partner: "acme", email: "ada@example.com" }, 400, "DECIDE_INVALID"],
    ["empty shopperId", { partner: "acme", shopperId: "" }, 400, "DECIDE_INVALID"],
    ["bad placement id", { partner: "acme", placement: "<script>" }, 400, "DECIDE_INVALID"],
    ["a raw email", { partner: "acme", attributes: { ...CONTEXT, email: "ada@example.com" } }, 400, "RAW_IDENTIFIER_REFUSED"],
    ["a raw phone", { partner: "acme", attributes: { ...CONTEXT, Phone: "+1 555 0100" } }, 400, "RAW_IDENTIFIER_REFUSED"],
    ["a raw date of birth", { partner: "acme", attributes: { ...CONTEXT, dob: "1815-12-10" } }, 400, "RAW_IDENTIFIER_REFUSED"],
    ["a checkout token that is not a string", { partner: "acme", checkoutToken: 7 }, 400, "DECIDE_INVALID"],
    ["a malformed checkout token", { partner: "acme", checkoutToken: "a.b" }, 401, "TOKEN_INVALID"],
  ];
  for (const [what, body, status, code] of cases) {
    const res = await decide(edge, body);
    assert.deepEqual([res.status, res.body.error?.code], [status, code], `${what}: ${res.text}`);
  }
  const notJson = await answer(await edge.post("/v1/decide", "{"));
  assert.deepEqual([notJson.status, notJson.body.error.code], [400, "DECIDE_INVALID"]);
  const unknownPlacement = await decide(edge, { partner: "acme", placement: "sidebar-404" });
  assert.equal(unknownPlacement.status, 400, unknownPlacement.text);
  const big = await answer(await edge.post("/v1/decide", { partner: "acme", attributes: { custom: "x".repeat(20_000) } }));
  assert.deepEqual([big.status, big.body.error.code], [413, "LIMIT_EXCEEDED"]);
  const get = await answer(await edge.fetch("/v1/decide"));
  assert.equal(get.status, 405);
  const badEscape = await answer(await edge.fetch("/v1/bundles/%E0%A4%A"));
  assert.deepEqual([badEscape.status, badEscape.body.error.code], [400, "BAD_REQUEST"], "a malformed % escape is a 400, never a 500");
  const foreignPage = await decide(edge, { partner: "acme" }, { origin: ORIGINS.globex });
  assert.deepEqual([foreignPage.status, foreignPage.body.error.code], [403, "ORIGIN_NOT_ALLOWED"]);
  const ownPage = await decide(edge, { partner: "acme" }, { origin: ORIGINS.acme });
  assert.equal(ownPage.status, 200);
  assert.equal(ownPage.headers.get("access-control-allow-origin"), ORIGINS.acme);
});

test("with the partner backend's shopperId the Durable Object holds the history: a capped offer stays capped without any cookie", async (t) => {
  const edge = await startEdge(t);
  const first = await decide(edge, { partner: "acme", shopperId: "shopper-1" }, backend("acme"));
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers.get("x-history-source"), "durable-object");
  assert.equal(first.headers.get("set-cookie"), null);
  const coupon = couponOf(first.body);
  assert.ok(coupon, "the coupon offer is shown to a new shopper");
  const key = (await edge.sql("SELECT shopper_key FROM decision_records WHERE decision_id = ?", first.body.decisionId))[0].shopper_key;
  assert.match(key, /^[0-9a-f]{64}$/, "the shopper id is stored hashed");

  const events = offersOf(first.body).map((o) => engagement("impression", o));
  const res = await answer(await edge.post("/v1/events", { events }));
  assert.equal(res.body.accepted, 3, res.text);

  const again = await decide(edge, { partner: "acme", shopperId: "shopper-1" }, backend("acme"));
  assert.equal(couponOf(again.body), undefined, "capped at 1 impression a day");
  const other = await decide(edge, { partner: "acme", shopperId: "shopper-2" }, backend("acme"));
  assert.ok(couponOf(other.body), "another shopper is not capped");
  const globex = await decide(edge, { partner: "globex", shopperId: "shopper-1" }, backend("globex"));
  assert.ok(couponOf(globex.body), "the same shopper id at another partner is another history");
});

test("without a shopperId the signed cookie carries the history; tampered or foreign cookies are discarded", async (t) => {
  const edge = await startEdge(t);
  const first = await decide(edge, { partner: "acme" });
  const cookie1 = first.headers.get("set-cookie").split(";")[0];
  const events = offersOf(first.body).map((o) => engagement("impression", o));
  const recorded = await answer(await edge.post("/v1/events", { events }, { cookie: cookie1 }));
  assert.equal(recorded.body.accepted, 3);
  const cookie2 = recorded.headers.get("set-cookie").split(";")[0];
  assert.notEqual(cookie2, cookie1);

  const capped = await decide(edge, { partner: "acme" }, { cookie: cookie2 });
  assert.equal(capped.headers.get("x-history-source"), "cookie");
  assert.equal(couponOf(capped.body), undefined, "the cookie's impression caps the coupon");

  const [name, value] = cookie2.split("=");
  const tampered = `${name}=${value[0] === "A" ? "B" : "A"}${value.slice(1)}`;
  const refused = await decide(edge, { partner: "acme" }, { cookie: tampered });
  assert.equal(refused.headers.get("x-history-source"), "cookie-rejected");
  assert.ok(couponOf(refused.body), "a tampered cookie is no history");

  const foreign = await decide(edge, { partner: "globex" }, { cookie: `oe_h_globex=${value}` });
  assert.equal(foreign.headers.get("x-history-source"), "cookie-rejected", "acme's cookie does not verify for globex");

  // Over https (a partner page calling the edge cross-site) the cookie is partitioned per top-level site (CHIPS).
  const secure = await edge.mf.dispatchFetch("https://edge.test/v1/decide", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ partner: "acme", attributes: CONTEXT }),
  });
  assert.match(secure.headers.get("set-cookie"), /; HttpOnly; SameSite=None; Secure; Partitioned$/);
});

test("the hourly cron forgets decision index rows once their receipts can no longer be used", async (t) => {
  const edge = await startEdge(t, { vars: { DECISION_INDEX_TTL_MS: "0" } });
  const res = await decide(edge, { partner: "acme" });
  assert.equal((await edge.sql("SELECT decision_id FROM decision_records")).length, 1);
  assert.equal((await edge.sql("SELECT decision_id FROM decision_offers")).length, 3);
  const worker = await edge.mf.getWorker();
  await worker.scheduled({ cron: "23 * * * *" });
  assert.deepEqual(await edge.sql("SELECT decision_id FROM decision_records WHERE decision_id = ?", res.body.decisionId), []);
  assert.deepEqual(await edge.sql("SELECT decision_id FROM decision_offers"), []);
});

test("caps hold at the edge: 10 concurrent decides for one shopper show an offer capped at 2 at most twice; its impression events are not counted again", async (t) => {
  const s = seed();
  const capTwo = seedPartner(s.dir, "initech", { seed: 5, transform: (b) => {
    const bundle = testBundle(b);
    bundle.offers[0].caps = [{ scope: "offer", max: 2, window: "day" }];
    return bundle;
  } });
  const edge = await startEdge(t, { partners: { initech: { trust: capTwo.trust } }, upload: false,
    vars: { API_SECRET_INITECH: "initech-backend-secret-0123456789" } });
  await uploadBundle(edge.mf, "initech", capTwo.signed);
  const headers = { authorization: "Bearer initech-backend-secret-0123456789" };
  const capped = JSON.parse(readFileSync(capTwo.bundlePath(1), "utf8")).offers[0].id;
  const ask = (shopperId) => decide(edge, { partner: "initech", shopperId }, headers);
  const burst = await Promise.all(Array.from({ length: 10 }, () => ask("busy-shopper")));
  assert.ok(burst.every((r) => r.status === 200), burst.map((r) => r.text).join("\n"));
  const shownIn = burst.filter((r) => offersOf(r.body).some((o) => o.offerId === capped));
  assert.equal(shownIn.length, 2, "shown exactly twice, whatever the interleaving");

  // Reserved, then confirmed once: the impression event does not count a second time.
  const first = await ask("calm-shopper");
  const offer = offersOf(first.body).find((o) => o.offerId === capped);
  assert.ok(offer, "a new shopper sees the offer");
  assert.equal((await answer(await edge.post("/v1/events", { events: [engagement("impression", offer)] }))).body.accepted, 1);
  assert.ok(offersOf((await ask("calm-shopper")).body).some((o) => o.offerId === capped), "1 of 2 used: still shown");
  assert.ok(!offersOf((await ask("calm-shopper")).body).some((o) => o.offerId === capped), "2 of 2 used: capped");
});

test("an engagement with an offer the active bundle dropped is billed but not replayed into history; the rest of its batch is", async (t) => {
  const s = seed();
  let dropLink = false;
  const umbrella = seedPartner(s.dir, "umbrella", { seed: 6, transform: (b) => {
    const bundle = testBundle(b);
    if (dropLink) keepOffers(bundle, bundle.offers.filter((o) => o.action.type !== "link"));
    return bundle;
  } });
  const edge = await startEdge(t, { partners: { umbrella: { trust: umbrella.trust } }, upload: false,
    vars: { API_SECRET_UMBRELLA: "umbrella-backend-secret-0123456789" } });
  await uploadBundle(edge.mf, "umbrella", umbrella.signed);
  const headers = { authorization: "Bearer umbrella-backend-secret-0123456789" };
  const ask = () => decide(edge, { partner: "umbrella", shopperId: "shopper-1" }, headers);
  const first = await ask();
  const link = offersOf(first.body).find((o) => o.action.type === "link");
  const cart = offersOf(first.body).find((o) => o.action.type === "addToCart");
  assert.ok(link && cart, first.text);

  dropLink = true;
  await uploadBundle(edge.mf, "umbrella", umbrella.sign(2));
  const sent = await answer(await edge.post("/v1/events", { events: [engagement("decline", link), engagement("decline", cart)] }));
  assert.equal(sent.status, 200, sent.text);
  assert.equal(sent.body.accepted, 2, "the edge made both decisions: both declines count");
  const again = await ask();
  assert.equal(again.body.bundleVersion, 2);
  assert.deepEqual(offersOf(again.body).map((o) => o.action.type), ["coupon"], "the cart offer is declined, the link offer gone");
});

test("one attribute never costs the offers: unknown names and malformed values are left out with warnings; engine-sized limits still refuse", async (t) => {
  const edge = await startEdge(t);
  const attributes = { ...CONTEXT, billingzipcode: "94107", amount: "$10.00", age: "old", custom: { segment: "vip", "a.b": 1 } };
  const res = await decide(edge, { partner: "acme", attributes });
  assert.equal(res.status, 200, res.text);
  assert.equal(offersOf(res.body).length, 3);
  assert.deepEqual(res.body.warnings.map(({ code, attribute }) => [code, attribute]).sort(), [
    ["ATTRIBUTE_INVALID", "age"],
    ["ATTRIBUTE_INVALID", "custom.a.b"],
    ["ATTRIBUTE_UNKNOWN", "billingzipcode"],
  ], "the money text is an amount; the rest is named, not refused");
  assert.equal(res.body.warningsOmitted, undefined);

  // A page that sends hundreds of names gets a bounded list and a count.
  const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x${i}`, 1]));
  const flood = await decide(edge, { partner: "acme", attributes: { ...CONTEXT, ...many } });
  assert.equal(flood.status, 200, flood.text);
  assert.equal(flood.body.warnings.length, 8);
  assert.equal(flood.body.warningsOmitted, 292);
  // A long or hostile name comes back cut and without control or direction characters.
  const hostile = await decide(edge, { partner: "acme", attributes: { ...CONTEXT, [`\u202e${"n".repeat(500)}\n`]: 1 } });
  const name = hostile.body.warnings[0].attribute;
  assert.ok(name.length <= 65 && !/[\u202e\n]/.test(name), name);

  // Limits that bound the engine's work refuse the whole context, with a code.
  const custom = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
  const deep = JSON.parse(`${"[".repeat(40)}1${"]".repeat(40)}`);
  for (const [what, extra] of [["65 custom attributes", { custom }], ["nesting past the depth limit", { nested: deep }]]) {
    const refused = await decide(edge, { partner: "acme", attributes: { ...CONTEXT, ...extra } });
    assert.deepEqual([refused.status, refused.body.error?.code], [400, "LIMIT_EXCEEDED"], `${what}: ${refused.text}`);
  }
});
