// POST /v1/events in real workerd: dedup by id in D1, receipt checks
// (forged, altered, expired, other partner), batch validation like the
// core, size limits, sendBeacon bodies, CORS and the rate limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answer, b64url, event, ORIGINS, partnersConfig, receipt, RECEIPT_KEY, startEdge } from "./harness.js";

const count = async (edge, partner) => (await edge.sql("SELECT COUNT(*) AS n FROM events WHERE partner = ?", partner))[0]?.n ?? 0;

test("events are stored once: a resent batch and a repeat inside a batch count as duplicates", async (t) => {
  const edge = await startEdge(t);
  const events = [1, 2, 3].map((i) => event("impression", receipt("acme", `offer-${i}`)));
  const first = await answer(await edge.post("/v1/events", { events }));
  assert.equal(first.status, 200, first.text);
  assert.deepEqual([first.body.accepted, first.body.duplicate, first.body.rejected], [3, 0, 0]);
  const again = await answer(await edge.post("/v1/events", { events: [...events, events[0]] }));
  assert.deepEqual([again.body.accepted, again.body.duplicate, again.body.rejected], [0, 4, 0]);
  const mixed = event("decline", receipt("acme", "offer-4"));
  const third = await answer(await edge.post("/v1/events", { events: [mixed, mixed, events[1]] }));
  assert.deepEqual([third.body.accepted, third.body.duplicate], [1, 2]);
  assert.equal(await count(edge, "acme"), 4);
  const rows = await edge.sql("SELECT id, type, offer_id, receipt_signed FROM events WHERE partner = 'acme' ORDER BY offer_id");
  assert.deepEqual(rows.map((r) => [r.type, r.offer_id, r.receipt_signed]), [
    ["impression", "offer-1", 1], ["impression", "offer-2", 1], ["impression", "offer-3", 1], ["decline", "offer-4", 1],
  ]);
});

test("forged, altered, expired and other-partner receipts are rejected and counted; the rest is stored", async (t) => {
  const edge = await startEdge(t);
  const good = event("impression", receipt("acme", "offer-1"));
  // Forged: signed with another key.
  const forged = event("impression", receipt("acme", "offer-2"), { key: new Uint8Array(32).fill(9) });
  // Altered: the payload names another offer (event fields follow it), the MAC is the original one.
  const original = receipt("acme", "offer-3");
  const mac = event("accept", original).receipt.split(".")[1];
  const altered = event("accept", { ...original, offerId: "offer-99", creativeId: "cr-offer-99" });
  altered.receipt = `${b64url(JSON.stringify({ ...original, offerId: "offer-99", creativeId: "cr-offer-99" }))}.${mac}`;
  // Expired: genuine but past expiresAt.
  const expired = event("impression", receipt("acme", "offer-4", {
    issuedAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    expiresAt: new Date(Date.now() - 86_400_000).toISOString(),
  }));
  // Other partner: acme's genuine receipt rewritten to name globex.
  const acmeReceipt = receipt("acme", "offer-5");
  const acmeMac = event("impression", acmeReceipt).receipt.split(".")[1];
  const otherPartner = event("impression", { ...acmeReceipt, partner: "globex" });
  otherPartner.receipt = `${b64url(JSON.stringify({ ...acmeReceipt, partner: "globex" }))}.${acmeMac}`;
  const res = await answer(await edge.post("/v1/events", { events: [good, forged, altered, expired, otherPartner] }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.accepted, res.body.duplicate, res.body.rejected], [1, 0, 4]);
  assert.deepEqual(res.body.rejections.map((r) => [r.index, r.code]), [
    [1, "RECEIPT_INVALID"], [2, "RECEIPT_INVALID"], [3, "RECEIPT_EXPIRED"], [4, "RECEIPT_INVALID"],
  ]);
  assert.equal(await count(edge, "acme"), 1);
  assert.equal(await count(edge, "globex"), 0);
  const counted = await edge.sql("SELECT partner, code, count FROM event_rejections ORDER BY partner, code");
  assert.deepEqual(counted.map((r) => [r.partner, r.code, r.count]), [
    ["acme", "RECEIPT_EXPIRED", 1], ["acme", "RECEIPT_INVALID", 2], ["globex", "RECEIPT_INVALID", 1],
  ]);
});

test("an unaltered receipt of partner A inside an event for partner B is refused like the core refuses it", async (t) => {
  const edge = await startEdge(t);
  const e = event("impression", receipt("acme", "offer-1"), { partner: "globex" });
  const res = await answer(await edge.post("/v1/events", { events: [e] }));
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, "EVENT_INVALID");
  assert.match(res.body.error.message, /^event 0: receipt is for another partner/);
  assert.equal(await count(edge, "globex"), 0);
});

test("sendBeacon text/plain bodies are accepted; other media types are refused", async (t) => {
  const edge = await startEdge(t);
  const body = JSON.stringify({ events: [event("close", receipt("acme", "offer-1"))] });
  const beacon = await answer(await edge.post("/v1/events", body, { "content-type": "text/plain;charset=UTF-8" }));
  assert.equal(beacon.status, 200, beacon.text);
  assert.equal(beacon.body.accepted, 1);
  const form = await answer(await edge.post("/v1/events", body, { "content-type": "application/x-www-form-urlencoded" }));
  assert.equal(form.status, 415);
  assert.equal(form.body.error.code, "UNSUPPORTED_MEDIA_TYPE");
});

test("malformed and oversize batches are refused with a code and store nothing", async (t) => {
  const edge = await startEdge(t);
  const stored = event("impression", receipt("acme", "offer-1"));
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
  assert.equal(await count(edge, "acme"), 1, "the stored event is untouched and nothing else was stored");
  assert.deepEqual((await edge.sql("SELECT id FROM events")).map((r) => r.id), [stored.id]);
});

test("unsigned (browser) receipts are stored as unverified unless the partner requires signed ones", async (t) => {
  const edge = await startEdge(t, { partners: partnersConfig(undefined, { globex: { requireSignedReceipts: true } }) });
  const acme = event("impression", receipt("acme", "offer-1"), { signed: false });
  const globex = event("impression", receipt("globex", "offer-1"), { signed: false });
  const unknown = event("impression", receipt("initech", "offer-1"));
  const future = event("impression", receipt("acme", "offer-2"), { time: new Date(Date.now() + 3_600_000).toISOString() });
  const res = await answer(await edge.post("/v1/events", { events: [acme, globex, unknown, future] }));
  assert.deepEqual(res.body.rejections.map((r) => [r.index, r.code]), [[1, "RECEIPT_UNSIGNED"], [2, "UNKNOWN_PARTNER"], [3, "EVENT_IN_FUTURE"]]);
  assert.deepEqual((await edge.sql("SELECT partner, receipt_signed FROM events")).map((r) => [r.partner, r.receipt_signed]), [["acme", 0]]);
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

  const fromAcme = event("impression", receipt("acme", "offer-1"));
  const fromGlobexPage = event("impression", receipt("acme", "offer-2"));
  const res = await edge.post("/v1/events", { events: [fromAcme] }, { origin: ORIGINS.acme });
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGINS.acme);
  assert.equal((await answer(res)).body.accepted, 1);
  const cross = await answer(await edge.post("/v1/events", { events: [fromGlobexPage] }, { origin: ORIGINS.globex }));
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
  const wrong = await answer(await edge.fetch("/v1/events"));
  assert.deepEqual([wrong.status, wrong.body.error.code, wrong.headers.get("allow")], [405, "METHOD_NOT_ALLOWED", "POST"]);
  const unknown = await answer(await edge.fetch("/v1/bundles/initech"));
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, "UNKNOWN_PARTNER"]);
  assert.equal(RECEIPT_KEY.length, 32);
});

test("without the Rate Limiting binding a per-isolate token bucket limits each client", async (t) => {
  const edge = await startEdge(t, { vars: { RATE_LIMIT_PER_MINUTE: "2" }, extra: { ratelimits: {} } });
  const send = () => edge.post("/v1/events", { events: [] }, { "cf-connecting-ip": "198.51.100.7" });
  assert.equal((await send()).status, 200);
  assert.equal((await send()).status, 200);
  const limited = await answer(await send());
  assert.deepEqual([limited.status, limited.body.error.code], [429, "RATE_LIMITED"]);
});
