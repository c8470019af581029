// POST /v1/events in real workerd: billable events bound to edge decisions,
// stored once per (decision, offer, type); receipt checks (forged, altered,
// expired, other partner, unknown key id); page events without attestation
// go to the unverified stream; batch validation like the core, size limits,
// sendBeacon bodies, CORS and the rate limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answer, b64url, engagement, event, ORIGINS, partnersConfig, receipt, RECEIPT_KEY, startEdge } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const billable = async (edge, partner) => (await edge.sql("SELECT COUNT(*) AS n FROM billable_events WHERE partner = ?", partner))[0]?.n ?? 0;

/** An anonymous edge decision's shown offers (signed receipts). */
async function decided(edge, partner = "acme") {
  const res = await answer(await edge.post("/v1/decide", { partner, placement: "confirmation", attributes: CONTEXT }));
  assert.equal(res.status, 200, res.text);
  return res.body.placements.flatMap((p) => p.offers);
}

test("billable events are stored once per (decision, offer, type): resends, repeats and new ids for the same engagement are duplicates", async (t) => {
  const edge = await startEdge(t);
  const offers = await decided(edge);
  const events = offers.map((o) => engagement("impression", o));
  const first = await answer(await edge.post("/v1/events", { events }));
  assert.equal(first.status, 200, first.text);
  assert.deepEqual([first.body.accepted, first.body.duplicate, first.body.rejected], [3, 0, 0]);
  assert.equal(first.headers.get("cache-control"), "no-store");
  const again = await answer(await edge.post("/v1/events", { events: [...events, events[0], engagement("impression", offers[1])] }));
  assert.deepEqual([again.body.accepted, again.body.duplicate, again.body.rejected], [0, 5, 0]);
  const decline = engagement("decline", offers[2]);
  const third = await answer(await edge.post("/v1/events", { events: [decline, decline] }));
  assert.deepEqual([third.body.accepted, third.body.duplicate], [1, 1]);
  const rows = await edge.sql("SELECT type, offer_id, receipt_signed, binding FROM billable_events WHERE partner = 'acme' ORDER BY type, offer_id");
  assert.equal(rows.length, 4);
  assert.ok(rows.every((r) => r.receipt_signed === 1 && r.binding === `decision:${offers[0].receipt.decisionId}`));
});

test("forged, altered, expired, other-partner and unknown-key receipts are rejected and counted; nothing of them is stored", async (t) => {
  const edge = await startEdge(t);
  const [good] = await decided(edge);
  const forged = event("impression", receipt("acme", "offer-2"), { key: new Uint8Array(32).fill(9) });
  // Signed with the master secret itself instead of acme's derived key.
  const master = event("impression", receipt("acme", "offer-2"), { key: RECEIPT_KEY });
  // Altered: the payload names another offer, the MAC is the original one.
  const original = { ...good.receipt };
  const mac = good.signedReceipt.split(".")[1];
  const altered = engagement("accept", { ...good, offerId: "offer-99", creativeId: "cr-offer-99", receipt: { ...original, offerId: "offer-99", creativeId: "cr-offer-99" } });
  altered.receipt = `${b64url(JSON.stringify({ ...original, offerId: "offer-99", creativeId: "cr-offer-99" }))}.${mac}`;
  const expired = event("impression", receipt("acme", "offer-4", {
    issuedAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    expiresAt: new Date(Date.now() - 86_400_000).toISOString(),
  }));
  // Other partner: acme's genuine receipt rewritten to name globex (globex's key does not verify it).
  const otherPartner = event("impression", { ...original, partner: "globex" });
  otherPartner.receipt = `${b64url(JSON.stringify({ ...original, partner: "globex" }))}.${mac}`;
  // A kid acme does not accept.
  const unknownKid = event("impression", { ...receipt("acme", "offer-5"), kid: "r9" });
  // Genuine MAC, but no such decision was recorded by this edge.
  const unrecorded = event("impression", receipt("acme", "offer-6"));
  const res = await answer(await edge.post("/v1/events", { events: [engagement("impression", good), forged, master, altered, expired, otherPartner, unknownKid, unrecorded] }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.accepted, res.body.duplicate, res.body.rejected], [1, 0, 7]);
  assert.deepEqual(res.body.rejections.map((r) => [r.index, r.code]), [
    [1, "RECEIPT_INVALID"], [2, "RECEIPT_INVALID"], [3, "RECEIPT_INVALID"], [4, "RECEIPT_EXPIRED"], [5, "RECEIPT_INVALID"],
    [6, "RECEIPT_INVALID"], [7, "DECISION_UNKNOWN"],
  ]);
  assert.equal(await billable(edge, "acme"), 1);
  assert.equal(await billable(edge, "globex"), 0);
  const counted = await edge.sql("SELECT partner, code, count FROM event_rejections ORDER BY partner, code");
  assert.deepEqual(counted.map((r) => [r.partner, r.code, r.count]), [
    ["acme", "DECISION_UNKNOWN", 1], ["acme", "RECEIPT_EXPIRED", 1], ["acme", "RECEIPT_INVALID", 4], ["globex", "RECEIPT_INVALID", 1],
  ]);
});

test("an unaltered receipt of partner A inside an event for partner B is refused like the core refuses it", async (t) => {
  const edge = await startEdge(t);
  const e = event("impression", receipt("acme", "offer-1"), { partner: "globex" });
  const res = await answer(await edge.post("/v1/events", { events: [e] }));
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, "EVENT_INVALID");
  assert.match(res.body.error.message, /^event 0: receipt is for another partner/);
  assert.equal(await billable(edge, "globex"), 0);
});

test("sendBeacon text/plain bodies are accepted; other media types are refused", async (t) => {
  const edge = await startEdge(t);
  const [offer] = await decided(edge);
  const body = JSON.stringify({ events: [engagement("close", offer)] });
  const beacon = await answer(await edge.post("/v1/events", body, { "content-type": "text/plain;charset=UTF-8" }));
  assert.equal(beacon.status, 200, beacon.text);
  assert.equal(beacon.body.accepted, 1);
  const form = await answer(await edge.post("/v1/events", body, { "content-type": "application/x-www-form-urlencoded" }));
  assert.equal(form.status, 415);
  assert.equal(form.body.error.code, "UNSUPPORTED_MEDIA_TYPE");
});

test("malformed and oversize batches are refused with a code and store nothing", async (t) => {
  const edge = await startEdge(t);
  const [offer] = await decided(edge);
  const stored = engagement("impression", offer);
  assert.equal((await answer(await edge.post("/v1/events", { events: [stored] }))).body.accepted, 1);
  const valid = () => event("impression", receipt("acme", "offer-2"));
  const cases = [
    ["not JSON", "{not json", 400, "EVENT_INVALID"],
    ["not a batch", [valid()], 400, "EVENT_INVALID"],
    ["unknown top-level field", { events: [], email: "ada@example.com" }, 400, "EVENT_INVALID"],
    ["an event carrying PII", { events: [valid(), { ...valid(), email: "ada@example.com" }] }, 400, "EVENT_INVALID"],
    ["bad id", { events: [{ ...valid(), id: "1234" }] }, 400, "EVENT_INVALID"],
    ["bad type", { events: [{ ...valid(), type: "click" }] }, 400, "EVENT_INVALID"],
    ["propensity out of range", { events: [{ ...valid(), propensity: 1.5 }] }, 400, "EVENT_INVALID"],
    ["fulfilment on a decline", { events: [{ ...valid(), type: "decline", fulfilment: {} }] }, 400, "EVENT_INVALID"],
    ["a receipt key id over 64 bytes (33 characters of 2 bytes)", { events: [event("impression", { ...receipt("acme", "offer-2"), kid: "é".repeat(33) }, { signed: false })] }, 400, "EVENT_INVALID"],
    ["a checkout token that is not a compact JWS", { events: [{ ...valid(), checkout: "not a token" }] }, 400, "EVENT_INVALID"],
    ["a checkout token over 2048 bytes", { events: [{ ...valid(), checkout: `${"a".repeat(1500)}.${"b".repeat(500)}.${"c".repeat(100)}` }] }, 400, "EVENT_INVALID"],
    ["too many events (counted before each is checked)", { events: Array.from({ length: 257 }, () => 1) }, 400, "LIMIT_EXCEEDED"],
    ["over 64 KiB", JSON.stringify({ events: [] }).replace("[]", `[]${" ".repeat(64 * 1024)}`), 413, "LIMIT_EXCEEDED"],
  ];
  for (const [what, body, status, code] of cases) {
    const res = await answer(await edge.post("/v1/events", body));
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.body.error.code, code, what);
  }
  // Chunked (no Content-Length) oversize bodies are cut off too.
  const big = new TextEncoder().encode(`{"events":[]${" ".repeat(70 * 1024)}}`);
  const stream = new ReadableStream({ start(c) { c.enqueue(big); c.close(); } });
  const chunked = await answer(await edge.fetch("/v1/events", { method: "POST", body: stream, duplex: "half", headers: { "content-type": "text/plain" } }));
  assert.equal(chunked.status, 413);
  assert.deepEqual((await edge.sql("SELECT id FROM billable_events")).map((r) => r.id), [stored.id], "the stored event is untouched and nothing else was stored");
  assert.deepEqual(await edge.sql("SELECT id FROM unverified_events"), []);
});

test("page events without attestation are counted in the unverified stream, never billable; expired plain receipts and unknown partners are refused", async (t) => {
  const edge = await startEdge(t, { partners: partnersConfig(undefined, { globex: { requireAttestation: true } }) });
  const acme = event("impression", receipt("acme", "offer-1"), { signed: false });
  const globexOffers = await decided(edge, "globex");
  const globexSigned = engagement("impression", globexOffers[0]);
  const unknown = event("impression", receipt("initech", "offer-1"));
  const expired = event("impression", receipt("acme", "offer-2", {
    issuedAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    expiresAt: new Date(Date.now() - 86_400_000).toISOString(),
  }), { signed: false });
  const res = await answer(await edge.post("/v1/events", { events: [acme, globexSigned, unknown, expired] }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.accepted, res.body.unverified, res.body.rejected], [0, 2, 2]);
  assert.deepEqual(res.body.rejections.map((r) => [r.index, r.code]), [[2, "UNKNOWN_PARTNER"], [3, "RECEIPT_EXPIRED"]]);
  assert.deepEqual(res.body.unverifiedReasons.map((r) => [r.index, r.code]), [[0, "ATTESTATION_MISSING"], [1, "ATTESTATION_REQUIRED"]]);
  assert.deepEqual((await edge.sql("SELECT partner, reason FROM unverified_events ORDER BY partner")).map((r) => [r.partner, r.reason]),
    [["acme", "ATTESTATION_MISSING"], ["globex", "ATTESTATION_REQUIRED"]]);
  assert.equal(await billable(edge, "acme") + await billable(edge, "globex"), 0);
});

test("CORS: partner origins only; an event from another partner's page is rejected", async (t) => {
  const edge = await startEdge(t);
  const pre = await edge.fetch("/v1/events", { method: "OPTIONS", headers: { origin: ORIGINS.acme, "access-control-request-method": "POST" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), ORIGINS.acme);
  assert.match(pre.headers.get("access-control-allow-methods"), /POST/);
  const stranger = await edge.fetch("/v1/events", { method: "OPTIONS", headers: { origin: "https://evil.test" } });
  assert.equal(stranger.status, 403);
  assert.equal(stranger.headers.get("access-control-allow-origin"), null);

  const offers = await decided(edge);
  const res = await edge.post("/v1/events", { events: [engagement("impression", offers[0])] }, { origin: ORIGINS.acme });
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGINS.acme);
  assert.equal((await answer(res)).body.accepted, 1);
  const cross = await answer(await edge.post("/v1/events", { events: [engagement("impression", offers[1])] }, { origin: ORIGINS.globex }));
  assert.deepEqual(cross.body.rejections.map((r) => r.code), ["ORIGIN_NOT_ALLOWED"]);
  const evil = await edge.post("/v1/events", { events: [] }, { origin: "https://evil.test" });
  assert.equal(evil.headers.get("access-control-allow-origin"), null);
});

test("the write routes are rate-limited per client", async (t) => {
  const edge = await startEdge(t, { rateLimit: 3 });
  const send = (ip) => edge.post("/v1/events", { events: [] }, { "cf-connecting-ip": ip });
  for (let i = 0; i < 3; i++) assert.equal((await send("203.0.113.1")).status, 200);
  const limited = await answer(await send("203.0.113.1"));
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, "RATE_LIMITED");
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  assert.equal((await send("203.0.113.2")).status, 200, "another client is not limited");
});

test("unknown routes and wrong methods answer JSON errors; GET / is an index of routes", async (t) => {
  const edge = await startEdge(t);
  const index = await answer(await edge.fetch("/"));
  assert.equal(index.status, 200);
  assert.match(index.body.routes.events, /POST .*\/v1\/events$/);
  const missing = await answer(await edge.fetch("/v2/nothing"));
  assert.deepEqual([missing.status, missing.body.error.code], [404, "NOT_FOUND"]);
  const demoBackend = await answer(await edge.fetch("/demo/partner/checkout-token", { method: "POST" }));
  assert.deepEqual([demoBackend.status, demoBackend.body.error.code], [404, "NOT_FOUND"], "no demo backend without its binding");
  const wrong = await answer(await edge.fetch("/v1/events"));
  assert.deepEqual([wrong.status, wrong.body.error.code, wrong.headers.get("allow")], [405, "METHOD_NOT_ALLOWED", "POST"]);
  const unknown = await answer(await edge.fetch("/v1/bundles/initech"));
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, "UNKNOWN_PARTNER"]);
});

test("without the Rate Limiting binding a per-isolate token bucket limits each client", async (t) => {
  const edge = await startEdge(t, { vars: { RATE_LIMIT_PER_MINUTE: "2" }, extra: { ratelimits: {} } });
  const send = () => edge.post("/v1/events", { events: [] }, { "cf-connecting-ip": "198.51.100.7" });
  assert.equal((await send()).status, 200);
  assert.equal((await send()).status, 200);
  const limited = await answer(await send());
  assert.deepEqual([limited.status, limited.body.error.code], [429, "RATE_LIMITED"]);
});
