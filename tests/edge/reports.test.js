// GET /v1/reports/:partner and /events in real workerd: who may read what
// (partner secret, an advertiser's own secret for its own offers, nobody
// else), bad queries refused with REPORT_INVALID, and figures that equal a
// direct count over the raw billable events (D1) whatever the grouping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { acmeAdvertisers, answer, API_SECRETS, backend, checkoutToken, engagement, event, hostEngine, partnersConfig, poll, receipt, seed, startEdge } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const ADVERTISER_SECRET = "freshbox-report-secret-0123456789";

async function decided(edge, partner = "acme", attributes = CONTEXT) {
  const res = await answer(await edge.post("/v1/decide", { partner, placement: "confirmation", attributes }));
  assert.equal(res.status, 200, res.text);
  return res.body.placements.flatMap((p) => p.offers);
}

const report = (edge, partner, query, headers = backend(partner)) =>
  edge.fetch(`/v1/reports/${partner}${query}`, { headers }).then(answer);

/** Traffic of several decisions: every offer shown, a mix of accepts, declines, closes, resends and page events. */
async function traffic(edge) {
  for (let i = 0; i < 6; i++) {
    const offers = await decided(edge, "acme", { ...CONTEXT, state: ["NY", "CA", "TX"][i % 3] });
    const events = offers.map((o) => engagement("impression", o));
    events.push(engagement(["accept", "decline", "close"][i % 3], offers[i % offers.length]));
    if (i % 2 === 0) events.push(engagement("decline", offers[(i + 1) % offers.length]));
    const res = await answer(await edge.post("/v1/events", { events: [...events, events[0]] }));
    assert.equal(res.body.duplicate, 1, res.text);
  }
  // A page's unsigned events: the unverified stream, never billable.
  const page = receipt("acme", "offer-x");
  await edge.post("/v1/events", { events: [event("impression", page, { signed: false }), event("accept", page, { signed: false })] });
  // globex's traffic must never show in acme's figures.
  const [g] = await decided(edge, "globex");
  await edge.post("/v1/events", { events: [engagement("impression", g), engagement("accept", g)] });
}

function direct(rows, key) {
  const out = new Map();
  for (const r of rows) {
    const k = key(r);
    const o = out.get(k) ?? { impressions: 0, accepts: 0, declines: 0, closes: 0, conversions: 0 };
    o[`${r.type}s`] += 1;
    out.set(k, o);
  }
  return out;
}

test("reports answer only to the partner's secret, an operator, or a listed advertiser's own secret", async (t) => {
  const advertisers = acmeAdvertisers();
  const s = seed();
  const edge = await startEdge(t, {
    partners: partnersConfig(s, { acme: { advertisers: [advertisers[0]] } }),
    vars: { [`ADVERTISER_API_SECRET_${advertisers[0].toUpperCase().replace(/[^A-Z0-9]/g, "_")}`]: ADVERTISER_SECRET },
  });
  const bearer = (secret) => ({ authorization: `Bearer ${secret}` });
  const refused = [
    ["no credentials", "", {}],
    ["another partner's secret", "", backend("globex")],
    ["the secret with a byte changed", "", bearer(`${API_SECRETS.acme.slice(0, -1)}x`)],
    ["an advertiser secret without naming the advertiser", "", bearer(ADVERTISER_SECRET)],
    ["an advertiser secret naming another advertiser", `?advertiser=${advertisers[1]}`, bearer(ADVERTISER_SECRET)],
    ["the partner secret as an advertiser's", `?advertiser=${advertisers[0]}x`, bearer(ADVERTISER_SECRET)],
  ];
  for (const [what, query, headers] of refused) {
    const res = await report(edge, "acme", query, headers);
    assert.equal(res.status, 401, `${what}: ${res.text}`);
    assert.equal(res.body.error.code, "REPORT_AUTH_REQUIRED", what);
  }
  // The advertiser's view of another partner, which does not list it.
  const other = await report(edge, "globex", `?advertiser=${advertisers[0]}`, bearer(ADVERTISER_SECRET));
  assert.equal(other.body.error?.code, "REPORT_AUTH_REQUIRED");
  // Its own view works; the raw export never does (orders and decisions are the partner's).
  assert.equal((await report(edge, "acme", `?advertiser=${advertisers[0]}`, bearer(ADVERTISER_SECRET))).status, 200);
  const exported = await answer(await edge.fetch("/v1/reports/acme/events", { headers: bearer(ADVERTISER_SECRET) }));
  assert.equal(exported.body.error?.code, "REPORT_AUTH_REQUIRED");
  assert.equal((await report(edge, "nobody", "")).body.error?.code, "UNKNOWN_PARTNER");
  const post = await answer(await edge.fetch("/v1/reports/acme", { method: "POST", headers: backend("acme") }));
  assert.equal(post.status, 405);
});

test("bad report queries are refused with REPORT_INVALID, never run", async (t) => {
  const edge = await startEdge(t);
  for (const query of ["?from=2026-13-01", "?from=2026-02-30", "?to=yesterday", "?from=2026-12-05&to=2026-12-01",
    "?from=2024-01-01&to=2026-01-01", "?groupBy=day;DROP TABLE billable_events", "?groupBy=offer,offer",
    "?groupBy=offer_id", "?limit=5", "?from=2026-12-01&from=2026-12-02", "?advertiser=%3Cx%3E"]) {
    const res = await report(edge, "acme", query);
    assert.equal(res.status, 400, `${query}: ${res.text}`);
    assert.equal(res.body.error.code, "REPORT_INVALID", query);
  }
  for (const query of ["?format=xlsx", "?groupBy=day"]) {
    const res = await answer(await edge.fetch(`/v1/reports/acme/events${query}`, { headers: backend("acme") }));
    assert.equal(res.body.error?.code, "REPORT_INVALID", query);
  }
  assert.ok((await edge.sql("SELECT name FROM sqlite_master WHERE name = 'billable_events'")).length);
});

test("report figures equal a direct count over the raw billable events, per day, offer and advertiser", async (t) => {
  const advertisers = acmeAdvertisers();
  const edge = await startEdge(t, {
    partners: partnersConfig(seed(), { acme: { advertisers } }),
    vars: { [`ADVERTISER_API_SECRET_${advertisers[1].toUpperCase().replace(/[^A-Z0-9]/g, "_")}`]: ADVERTISER_SECRET },
  });
  await traffic(edge);
  const raw = await edge.sql("SELECT * FROM billable_events WHERE partner = 'acme'");
  assert.ok(raw.length > 20, `traffic stored ${raw.length} billable events`);
  const day = (r) => new Date(r.time_ms).toISOString().slice(0, 10);

  const totals = await report(edge, "acme", "?groupBy=");
  assert.equal(totals.status, 200, totals.text);
  const all = direct(raw, () => "all").get("all");
  for (const k of Object.keys(all)) assert.equal(totals.body.totals[k], all[k], k);
  assert.equal(totals.body.totals.acceptRate, all.accepts / all.impressions);
  const [lo, hi] = totals.body.totals.acceptRateCi;
  assert.ok(lo < totals.body.totals.acceptRate && totals.body.totals.acceptRate < hi);
  assert.deepEqual(totals.body.rows, []);
  assert.equal(totals.headers.get("cache-control"), "private, no-store");

  const byDayOffer = await report(edge, "acme", "?groupBy=day,offer");
  const want = direct(raw, (r) => `${day(r)}|${r.offer_id}`);
  assert.equal(byDayOffer.body.rows.length, want.size);
  for (const row of byDayOffer.body.rows) {
    const w = want.get(`${row.day}|${row.offer}`);
    for (const k of Object.keys(w)) assert.equal(row[k], w[k], `${row.day} ${row.offer} ${k}`);
  }
  const keys = byDayOffer.body.rows.map((r) => `${r.day}|${r.offer}`);
  assert.deepEqual(keys, [...keys].sort(), "rows sorted by their keys");

  // The unverified stream, counted beside and never inside.
  const unverified = await edge.sql("SELECT type, COUNT(*) AS n FROM unverified_events WHERE partner = 'acme' GROUP BY type");
  for (const { type, n } of unverified) assert.equal(totals.body.unverified[type], n, type);
  assert.ok(unverified.length > 0);

  // An advertiser sees its own offers' aggregates only, and nothing of the unverified stream.
  const mine = await report(edge, "acme", `?groupBy=offer,advertiser&advertiser=${advertisers[1]}`, { authorization: `Bearer ${ADVERTISER_SECRET}` });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.view, "advertiser");
  assert.equal(mine.body.unverified, null);
  assert.ok(mine.body.rows.length > 0 && mine.body.rows.every((r) => r.advertiser === advertisers[1]));
  assert.equal(mine.body.totals.impressions, raw.filter((r) => r.advertiser === advertisers[1] && r.type === "impression").length);

  // Nothing before the range, nothing of another partner.
  const past = await report(edge, "acme", "?from=2020-01-01&to=2020-12-31");
  assert.equal(past.body.totals.impressions, 0);
  assert.equal(past.body.totals.acceptRate, null);
  const globex = await report(edge, "globex", "");
  assert.equal(globex.body.totals.impressions, 1);
});

test("the export streams every billable event of the range as NDJSON and as CSV", async (t) => {
  const edge = await startEdge(t);
  await traffic(edge);
  const raw = await edge.sql("SELECT id, type, offer_id, propensity FROM billable_events WHERE partner = 'acme' ORDER BY time_ms, id");
  const nd = await edge.fetch("/v1/reports/acme/events?format=ndjson", { headers: backend("acme") });
  assert.equal(nd.status, 200);
  assert.match(nd.headers.get("content-type"), /^application\/x-ndjson/);
  const records = (await nd.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.id), raw.map((r) => r.id));
  assert.ok(records.every((r) => r.partner === "acme" && typeof r.time === "string" && r.receiptSigned === true));
  const impression = records.find((r) => r.type === "impression");
  assert.equal(impression.propensity, raw.find((r) => r.id === impression.id).propensity);

  const csv = await edge.fetch("/v1/reports/acme/events?format=csv", { headers: backend("acme") });
  assert.match(csv.headers.get("content-type"), /^text\/csv/);
  assert.match(csv.headers.get("content-disposition"), /attachment; filename="acme-events-/);
  const lines = (await csv.text()).trim().split("\r\n");
  assert.equal(lines[0].split(",")[0], "partner");
  assert.equal(lines.length, raw.length + 1);
  const empty = await edge.fetch("/v1/reports/acme/events?from=2020-01-01&to=2020-01-02", { headers: backend("acme") });
  assert.equal(await empty.text(), "");
});

test("confirmations and reminders count when sent, against the accept they follow", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "0" } });
  const host = hostEngine("acme");
  const email = "ada.lovelace@example.com";
  const token = checkoutToken("acme", { email });
  const res = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT, checkoutToken: token }));
  const coupon = res.body.placements[0].offers.find((o) => o.needsConfirmationEmail);
  const fulfilment = host.sealForFulfilment(email, coupon.receipt);
  const sent = await answer(await edge.post("/v1/events", { events: [engagement("impression", coupon, { checkout: token }),
    engagement("accept", coupon, { fulfilment, checkout: token })] }));
  assert.equal(sent.body.fulfilment.queued, 1, sent.text);
  const totals = async () => (await report(edge, "acme", "?groupBy=offer")).body;
  const body = await poll(async () => {
    const b = await totals();
    return b.totals.confirmations === 1 && b.totals.reminders === 1 ? b : null;
  }, "the confirmation and the reminder in the report");
  const mails = await edge.sql("SELECT kind FROM outbox WHERE status = 'sent' ORDER BY kind");
  assert.deepEqual(mails.map((m) => m.kind), ["confirmation", "reminder"]);
  const [row] = body.rows;
  assert.deepEqual([row.offer, row.impressions, row.accepts, row.confirmations, row.reminders], [coupon.offerId, 1, 1, 1, 1]);
});
