// Retention and erasure in real workerd (docs/PRIVACY.md): the cron removes
// rows past their time to live and nothing younger, and keeps the report
// counts; DELETE /v1/shoppers removes everything of one identity (history,
// events, decisions, emails, reminders) and nothing of anyone else's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answer, backend, checkoutToken, engagement, hostEngine, oe, poll, startEdge } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const DAY = 86_400_000;

/** Row counts of every table erasure or retention touches, for one partner. */
async function counts(edge, partner = "acme") {
  const out = {};
  for (const table of ["billable_events", "decision_records", "decision_offers", "outbox", "fulfilment_claims", "unverified_events",
    "conversion_postbacks", "fulfilment_failures", "report_daily"]) {
    out[table] = (await edge.sql(`SELECT COUNT(*) AS n FROM ${table} WHERE partner = ?`, partner))[0]?.n ?? 0;
  }
  return out;
}

const erase = (edge, partner, body, headers = backend(partner)) =>
  edge.fetch(`/v1/shoppers/${partner}`, { method: "DELETE", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }).then(answer);

/**
 * One shopper's checkout: an attested decide (token with `sub`), an
 * impression of every offer and an accept of the coupon with its sealed
 * email, so a confirmation and a reminder are scheduled.
 */
async function checkout(edge, partner, sub, email) {
  const token = checkoutToken(partner, { email, sub });
  const res = await answer(await edge.post("/v1/decide", { partner, placement: "confirmation", attributes: CONTEXT, checkoutToken: token }));
  assert.equal(res.status, 200, res.text);
  const offers = res.body.placements[0].offers;
  const coupon = offers.find((o) => o.needsConfirmationEmail);
  const host = hostEngine(partner);
  const events = [...offers.map((o) => engagement("impression", o, { checkout: token })),
    engagement("accept", coupon, { checkout: token, fulfilment: host.sealForFulfilment(email, coupon.receipt) })];
  const sent = await answer(await edge.post("/v1/events", { events }));
  assert.equal(sent.body.accepted, events.length, sent.text);
  await poll(async () => (await edge.sql("SELECT 1 FROM outbox WHERE decision_id = ? AND status = 'sent'", coupon.receipt.decisionId)).length,
    "the confirmation email");
  return { decisionId: coupon.receipt.decisionId, coupon };
}

test("erasure needs the partner's secret and a well-formed identity", async (t) => {
  const edge = await startEdge(t);
  for (const [what, headers] of [["no secret", {}], ["another partner's secret", backend("globex")]]) {
    const res = await erase(edge, "acme", { shopperRef: "ada" }, headers);
    assert.deepEqual([res.status, res.body.error?.code], [401, "ERASURE_AUTH_REQUIRED"], what);
  }
  for (const body of [{}, { shopperRef: "" }, { eh: "ABC" }, { email: "ada@example.com" }, { shopperRef: "x".repeat(300) }]) {
    const res = await erase(edge, "acme", body);
    assert.deepEqual([res.status, res.body.error?.code], [400, "ERASURE_INVALID"], JSON.stringify(body).slice(0, 60));
  }
  const get = await answer(await edge.fetch("/v1/shoppers/acme", { headers: backend("acme") }));
  assert.equal(get.status, 405);
});

test("erasing one shopper removes its history, events, decisions, emails and reminder, and nothing of anyone else", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" } });
  const ada = await checkout(edge, "acme", "shopper-ada", "ada.lovelace@example.com");
  const grace = await checkout(edge, "acme", "shopper-grace", "grace.hopper@example.com");
  const globex = await checkout(edge, "globex", "shopper-ada", "ada.lovelace@example.com");
  const before = { acme: await counts(edge), globex: await counts(edge, "globex") };
  const adaRows = (await edge.sql("SELECT COUNT(*) AS n FROM billable_events WHERE decision_id = ?", ada.decisionId))[0].n;
  assert.equal(adaRows, 4);
  const reminderOf = (partner, d) => edge.mf.getDurableObjectNamespace("REMINDERS")
    .then((ns) => ns.get(ns.idFromName(`${partner}:${d.decisionId}:${d.coupon.offerId}`)).describe());
  assert.equal((await reminderOf("acme", ada)).status, "scheduled");

  const res = await erase(edge, "acme", { shopperRef: "shopper-ada" });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.erased.events, res.body.erased.decisions, res.body.erased.emails, res.body.erased.reminders, res.body.erased.history],
    [4, 1, 1, 1, true]);
  const after = await counts(edge);
  assert.equal(after.billable_events, before.acme.billable_events - 4);
  assert.equal(after.decision_records, before.acme.decision_records - 1);
  assert.equal(after.outbox, before.acme.outbox - 1);
  assert.equal(after.fulfilment_claims, before.acme.fulfilment_claims - 1);
  assert.equal(after.report_daily, before.acme.report_daily, "aggregates are counts, not personal data: they stay");
  assert.equal((await edge.sql("SELECT COUNT(*) AS n FROM billable_events WHERE decision_id = ?", ada.decisionId))[0].n, 0);
  assert.equal((await reminderOf("acme", ada)), null, "the sealed request of the reminder is gone");
  // Grace, and the same shopper reference at another partner, are untouched.
  assert.equal((await edge.sql("SELECT COUNT(*) AS n FROM billable_events WHERE decision_id = ?", grace.decisionId))[0].n, 4);
  assert.equal((await reminderOf("acme", grace)).status, "scheduled");
  assert.deepEqual(await counts(edge, "globex"), before.globex);
  assert.equal((await reminderOf("globex", globex)).status, "scheduled");
  const report = await answer(await edge.fetch("/v1/reports/acme?groupBy=", { headers: backend("acme") }));
  assert.equal(report.body.totals.impressions, 6, "the report still counts what was erased");

  // By the attested email hash: Grace's events go; a second erasure finds nothing.
  const eh = oe.attestedEmailHash("acme", "grace.hopper@example.com");
  const byEmail = await erase(edge, "acme", { eh });
  assert.equal(byEmail.body.erased.events, 4, byEmail.text);
  const again = await erase(edge, "acme", { eh });
  assert.deepEqual([again.body.erased.events, again.body.erased.history], [0, false]);
  assert.equal((await counts(edge)).billable_events, 0);
});

test("the cron removes rows past their time to live, and nothing younger; the report keeps its counts", async (t) => {
  const edge = await startEdge(t);
  await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT }); // applies the schema
  const now = Date.now();
  const old = now - 400 * DAY;
  const row = (id, receivedMs, aggregateOnly = 0) => edge.db.prepare(`INSERT INTO billable_events (partner, id, type, binding, decision_id,
      placement, offer_id, creative_id, campaign, advertiser, time_ms, receipt_signed, attested, has_fulfilment, received_ms, aggregate_only)
      VALUES ('acme', ?, 'impression', ?, 'd', 'confirmation', 'o', 'c', 'camp', 'adv', ?, 1, 0, 0, ?, ?)`)
    .bind(id, `decision:${id}`, receivedMs, receivedMs, aggregateOnly);
  await edge.db.batch([
    row("ancient", old), row("recent", now - DAY), row("opted-out-3d", now - 3 * DAY, 1), row("opted-out-1h", now - 3_600_000, 1),
    edge.db.prepare(`INSERT INTO unverified_events (partner, id, type, offer_id, reason, received_ms) VALUES
      ('acme', 'u-old', 'impression', 'o', 'ATTESTATION_MISSING', ?), ('acme', 'u-new', 'impression', 'o', 'ATTESTATION_MISSING', ?)`)
      .bind(now - 31 * DAY, now - 29 * DAY),
    edge.db.prepare(`INSERT INTO event_rejections (partner, code, day, count) VALUES ('acme', 'RECEIPT_INVALID', '2020-01-01', 3),
      ('acme', 'RECEIPT_INVALID', ?, 1)`).bind(new Date(now).toISOString().slice(0, 10)),
    edge.db.prepare(`INSERT INTO outbox (partner, decision_id, offer_id, kind, adapter, status, created_ms) VALUES
      ('acme', 'd-old', 'o', 'confirmation', 'outbox', 'sent', ?), ('acme', 'd-new', 'o', 'confirmation', 'outbox', 'sent', ?)`)
      .bind(now - 31 * DAY, now - DAY),
    edge.db.prepare(`INSERT INTO decision_records (partner, decision_id, created_ms) VALUES ('acme', 'dr-old', ?), ('acme', 'dr-new', ?)`)
      .bind(now - 3 * DAY, now - 3_600_000),
  ]);
  const reported = async () => (await edge.sql("SELECT SUM(impressions) AS n FROM report_daily WHERE partner = 'acme'"))[0].n;
  const countedBefore = await reported();
  assert.equal(countedBefore, 4);
  const worker = await edge.mf.getWorker();
  await worker.scheduled({ cron: "23 * * * *" });
  const ids = async (table, column = "id") => (await edge.sql(`SELECT ${column} AS id FROM ${table} WHERE partner = 'acme' ORDER BY 1`)).map((r) => r.id);
  assert.deepEqual(await ids("billable_events"), ["opted-out-1h", "recent"]);
  assert.deepEqual(await ids("unverified_events"), ["u-new"]);
  assert.deepEqual(await ids("event_rejections", "day"), [new Date(now).toISOString().slice(0, 10)]);
  assert.deepEqual(await ids("outbox", "decision_id"), ["d-new"]);
  assert.ok(!(await ids("decision_records", "decision_id")).includes("dr-old"));
  assert.ok((await ids("decision_records", "decision_id")).includes("dr-new"));
  assert.equal(await reported(), countedBefore, "pruned events stay counted");

  // A shorter time to live from the deployment applies at the next run.
  const short = await startEdge(t, { vars: { RETENTION_EVENTS_DAYS: "0" } });
  await short.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT });
  await short.db.prepare(`INSERT INTO billable_events (partner, id, type, binding, decision_id, placement, offer_id, creative_id, campaign,
      advertiser, time_ms, receipt_signed, attested, has_fulfilment, received_ms) VALUES
      ('acme', 'x', 'impression', 'decision:x', 'd', 'confirmation', 'o', 'c', 'camp', 'adv', ?, 1, 0, 0, ?)`).bind(now - 1000, now - 1000).run();
  await (await short.mf.getWorker()).scheduled({ cron: "23 * * * *" });
  assert.equal((await short.sql("SELECT COUNT(*) AS n FROM billable_events"))[0].n, 0);
});
