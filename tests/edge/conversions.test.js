// POST /v1/conversions in real workerd, tried as an attacker would: forged,
// tampered, replayed-late and other-advertiser postbacks are refused with a
// code and change nothing; a genuine conversion counts once however often it
// is posted, and only after a billable accept of the advertiser's own offer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { acmeAdvertisers, answer, backend, engagement, partnersConfig, seed, startEdge } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const KEYS = {};
const keyName = (adv) => `ADVERTISER_POSTBACK_KEY_${adv.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

async function edgeWithAdvertisers(t) {
  // The first two are listed by acme and hold postback keys; the third holds a key but is not listed.
  const [a, b, c] = acmeAdvertisers();
  for (const adv of [a, b, c]) KEYS[adv] = `${adv}-postback-key-0123456789abcdef0123456789`;
  const edge = await startEdge(t, {
    partners: partnersConfig(seed(), { acme: { advertisers: [a, b] } }),
    vars: Object.fromEntries([a, b, c].map((adv) => [keyName(adv), KEYS[adv]])),
  });
  return { edge, a, b, c };
}

/** Decides, then reports an impression and an accept of every shown offer; returns the offers. */
async function accepted(edge) {
  const res = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT }));
  const offers = res.body.placements[0].offers;
  const out = await answer(await edge.post("/v1/events", { events: offers.flatMap((o) => [engagement("impression", o), engagement("accept", o)]) }));
  assert.equal(out.body.accepted, offers.length * 2, out.text);
  return offers;
}

/** A postback as the advertiser's server signs it (options forge it). */
function postback(edge, advertiser, body, { key = KEYS[advertiser], timestamp = Math.floor(Date.now() / 1000), tamper, headers = {} } = {}) {
  const text = JSON.stringify(body);
  const mac = createHmac("sha256", key).update(`offer-edge/conversion/v1\n${advertiser}\n${timestamp}\n${text}`).digest("hex");
  return edge.post("/v1/conversions", tamper ? tamper(text) : text, {
    "offer-edge-advertiser": advertiser, "offer-edge-timestamp": String(timestamp), "offer-edge-signature": `v1=${mac}`, ...headers,
  }).then(answer);
}

const conversions = async (edge) => (await edge.sql("SELECT COUNT(*) AS n FROM billable_events WHERE type = 'conversion'"))[0].n;
const reported = async (edge) => (await answer(await edge.fetch("/v1/reports/acme?groupBy=", { headers: backend("acme") }))).body.totals.conversions;

test("a conversion posted twice counts once; a second id for the same accept is a duplicate; one id cannot name two accepts", async (t) => {
  const { edge, a } = await edgeWithAdvertisers(t);
  const offers = await accepted(edge);
  const mine = offers.find((o) => o.advertiser === a);
  const body = { partner: "acme", conversionId: "order-77", offerId: mine.offerId, decisionId: mine.receipt.decisionId };
  const first = await postback(edge, a, body);
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.status, "recorded");
  const again = await postback(edge, a, body);
  assert.deepEqual([again.status, again.body.status, again.body.eventId], [200, "duplicate", first.body.eventId]);
  const otherId = await postback(edge, a, { ...body, conversionId: "order-77-retry" });
  assert.deepEqual([otherId.status, otherId.body.status], [200, "duplicate"]);
  assert.equal(await conversions(edge), 1);
  assert.equal(await reported(edge), 1);
  // The conversion is bound like the accept: same decision, placement and facts.
  const [row] = await edge.sql("SELECT * FROM billable_events WHERE type = 'conversion'");
  const [acc] = await edge.sql("SELECT * FROM billable_events WHERE type = 'accept' AND offer_id = ?", mine.offerId);
  assert.deepEqual([row.binding, row.decision_id, row.placement, row.advertiser, row.propensity],
    [acc.binding, acc.decision_id, acc.placement, acc.advertiser, acc.propensity]);

  // The same conversion id for another accept is a conflict, not a silent second count.
  const [next] = (await accepted(edge)).filter((o) => o.advertiser === a);
  const conflict = await postback(edge, a, { ...body, decisionId: next.receipt.decisionId });
  assert.deepEqual([conflict.status, conflict.body.error?.code], [409, "CONVERSION_CONFLICT"]);
  assert.equal(await conversions(edge), 1);
});

test("forged, tampered, late, unbound and other-advertiser postbacks are refused with a code and count nothing", async (t) => {
  const { edge, a, b, c } = await edgeWithAdvertisers(t);
  const offers = await accepted(edge);
  const of = (adv) => offers.find((o) => o.advertiser === adv);
  const body = (o, extra = {}) => ({ partner: "acme", conversionId: `c-${Math.random()}`, offerId: o.offerId, decisionId: o.receipt.decisionId, ...extra });
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ["no signature", postback(edge, a, body(of(a)), { headers: { "offer-edge-signature": "" } }), 401, "SIGNATURE_INVALID"],
    ["signed with another key", postback(edge, a, body(of(a)), { key: KEYS[b] }), 401, "SIGNATURE_INVALID"],
    ["body changed after signing", postback(edge, a, body(of(a)), { tamper: (t) => t.replace("acme", "acme ") }), 401, "SIGNATURE_INVALID"],
    ["advertiser header swapped", postback(edge, a, body(of(b)), { headers: { "offer-edge-advertiser": b } }), 401, "SIGNATURE_INVALID"],
    ["an advertiser without a key", postback(edge, "nobody", body(of(a)), { key: "x".repeat(40) }), 401, "SIGNATURE_INVALID"],
    ["a genuine signature ten minutes old", postback(edge, a, body(of(a)), { timestamp: now - 600 }), 401, "SIGNATURE_EXPIRED"],
    ["a genuine signature from the future", postback(edge, a, body(of(a)), { timestamp: now + 600 }), 401, "SIGNATURE_EXPIRED"],
    ["another advertiser's offer", postback(edge, a, body(of(b))), 403, "OFFER_NOT_ADVERTISERS"],
    ["an advertiser the partner does not list", postback(edge, c, body(of(c))), 403, "ADVERTISER_NOT_ALLOWED"],
    ["a decision that never was", postback(edge, a, body(of(a), { decisionId: "0".repeat(32) })), 404, "CONVERSION_UNBOUND"],
    ["an order that was never attested", postback(edge, a, { partner: "acme", conversionId: "x", offerId: of(a).offerId, order: "ORD-1" }), 404, "CONVERSION_UNBOUND"],
    ["both decision and order", postback(edge, a, body(of(a), { order: "ORD-1" })), 400, "CONVERSION_INVALID"],
    ["an unknown field", postback(edge, a, body(of(a), { value: 10 })), 400, "CONVERSION_INVALID"],
    ["an unknown partner", postback(edge, a, body(of(a), { partner: "nobody" })), 404, "UNKNOWN_PARTNER"],
    ["an oversize body", postback(edge, a, body(of(a), { conversionId: "x".repeat(5000) })), 413, "LIMIT_EXCEEDED"],
  ];
  for (const [what, pending, status, code] of cases) {
    const res = await pending;
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.body.error.code, code, what);
  }
  const text = await answer(await edge.fetch("/v1/conversions", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }));
  assert.deepEqual([text.status, text.body.error.code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  assert.equal(await conversions(edge), 0);

  // A decline is not an accept: no conversion binds to it.
  const res = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT }));
  const declined = res.body.placements[0].offers.find((o) => o.advertiser === a);
  await edge.post("/v1/events", { events: [engagement("decline", declined)] });
  const unbound = await postback(edge, a, body(declined));
  assert.equal(unbound.body.error?.code, "CONVERSION_UNBOUND");
  // A page's own conversion event stays unverified, whatever it claims.
  const page = await answer(await edge.post("/v1/events", { events: [engagement("conversion", of(a))] }));
  assert.deepEqual(page.body.unverifiedReasons.map((u) => u.code), ["CONVERSION_NOT_ATTESTED"]);
  assert.equal(await conversions(edge), 0);
});
