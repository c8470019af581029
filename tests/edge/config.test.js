// The local edge runs with the bindings production declares: wrangler.toml
// (read by wrangler's own parser) and scripts/lib/edge.mjs must agree, and
// the D1 migration must hold exactly the schema the worker applies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";
import { statements } from "../../edge/sql.js";
import { edgeOptions, fulfilmentSecretName, QUEUE, root } from "../../scripts/lib/edge.mjs";
import { answer, partnersConfig, seed, startEdge } from "./harness.js";

test("wrangler.toml and the miniflare options declare the same bindings", () => {
  const config = unstable_readConfig({ config: `${root}/wrangler.toml` }, { hideWarnings: true });
  const local = edgeOptions({ partners: {} });
  assert.equal(config.main.endsWith("worker.js"), true);
  assert.deepEqual(config.kv_namespaces.map((k) => k.binding), Object.keys(local.kvNamespaces));
  assert.deepEqual(config.d1_databases.map((d) => d.binding), Object.keys(local.d1Databases));
  assert.deepEqual(
    config.durable_objects.bindings.map((d) => [d.name, d.class_name]),
    Object.entries(local.durableObjects).map(([name, d]) => [name, d.className]),
  );
  assert.deepEqual(config.migrations.flatMap((m) => m.new_sqlite_classes), Object.values(local.durableObjects).map((d) => d.className));
  assert.deepEqual(config.queues.producers.map((q) => [q.binding, q.queue]), Object.entries(local.queueProducers).map(([b, q]) => [b, q.queueName]));
  assert.deepEqual(config.queues.consumers.map((q) => q.queue), [QUEUE]);
  assert.deepEqual(config.ratelimits.map((r) => r.name), Object.keys(local.ratelimits));
  for (const name of Object.keys(config.vars)) assert.ok(name in local.bindings, `var ${name} is set locally too`);
  assert.ok(config.rules.some((r) => r.type === "CompiledWasm"), "the .wasm import is a CompiledWasm module");
});

test("the worker applies migrations/ itself, in order, recorded where wrangler records them", async (t) => {
  const files = readdirSync(`${root}/migrations`).filter((f) => f.endsWith(".sql")).sort();
  assert.deepEqual(files, ["0001_init.sql", "0002_reports.sql", "0003_privacy.sql", "0004_coupons.sql"]);
  // Each file splits into whole statements (trigger bodies kept together).
  const reports = statements(readFileSync(`${root}/migrations/0002_reports.sql`, "utf8"));
  assert.ok(reports.some((s) => /^CREATE TRIGGER IF NOT EXISTS report_billable_insert[\s\S]*END$/.test(s)));
  const edge = await startEdge(t);
  assert.equal((await edge.fetch("/v1/decide", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ partner: "acme", attributes: {} }) })).status, 200);
  assert.deepEqual((await edge.sql("SELECT name FROM d1_migrations ORDER BY id")).map((r) => r.name), files);
  const tables = (await edge.sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")).map((r) => r.name);
  for (const name of ["billable_events", "report_daily", "report_unverified_daily", "conversion_postbacks", "report_billable_insert"]) {
    assert.ok(tables.includes(name), name);
  }
});

test("an incomplete deployment fails closed: every route answers 503 CONFIG_INVALID", async (t) => {
  const s = seed();
  const cases = [
    ["no EMAIL_ADAPTER", { EMAIL_ADAPTER: "" }],
    ["the outbox adapter outside demo mode", { DEMO_MODE: "0" }],
    ["the http adapter without its URL", { EMAIL_ADAPTER: "http" }],
    ["no RECEIPT_KEY", { RECEIPT_KEY: "" }],
    ["a partner that can send email without its fulfilment key", { [fulfilmentSecretName("globex")]: "" }],
    ["advertisers that would share a secret", {}, { acme: { advertisers: ["fresh-box", "fresh_box"] } }],
    ["advertisers that are not a list", {}, { acme: { advertisers: "freshbox" } }],
    ["an advertiser id that is no id", {}, { globex: { advertisers: ["<b>"] } }],
  ];
  for (const [what, vars, extra] of cases) {
    const edge = await startEdge(t, { vars, upload: false, partners: extra && partnersConfig(s, extra) });
    for (const [path, init] of [["/v1/bundles/acme"], ["/v1/decide", { method: "POST", body: "{}" }], ["/"]]) {
      const res = await answer(await edge.fetch(path, init));
      assert.deepEqual([res.status, res.body.error?.code], [503, "CONFIG_INVALID"], `${what}: ${path}`);
    }
    await edge.dispose();
  }
  assert.ok(s.acme);
});

test("a database made before the reports migration is migrated in place, its events backfilled into the aggregates", async (t) => {
  const edge = await startEdge(t);
  // The state an older worker left: 0001's tables, events, no migration ledger.
  for (const sql of statements(readFileSync(`${root}/migrations/0001_init.sql`, "utf8"))) await edge.db.prepare(sql).run();
  const insert = edge.db.prepare(`INSERT INTO billable_events (partner, id, type, binding, order_ref, decision_id, placement, offer_id,
    creative_id, campaign, advertiser, time_ms, propensity, claimed_propensity, receipt_signed, attested, has_fulfilment, received_ms)
    VALUES ('acme', ?, ?, 'decision:d1', NULL, 'd1', 'confirmation', 'o1', 'c1', 'camp', 'adv', ?, 0.5, NULL, 1, 0, 0, ?)`);
  const day = Date.parse("2026-12-01T10:00:00Z");
  await edge.db.batch([insert.bind("e1", "impression", day, day), insert.bind("e2", "accept", day, day)]);
  await edge.db.prepare(`INSERT INTO unverified_events (partner, id, type, offer_id, reason, received_ms)
    VALUES ('acme', 'u1', 'impression', 'o1', 'ATTESTATION_MISSING', ?)`).bind(day).run();
  const res = await answer(await edge.fetch("/v1/reports/acme?from=2026-12-01&to=2026-12-01&groupBy=offer",
    { headers: { authorization: "Bearer acme-backend-secret-0123456789" } }));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.totals.impressions, res.body.totals.accepts, res.body.unverified.impression], [1, 1, 1]);
  assert.deepEqual(res.body.rows.map((r) => r.offer), ["o1"]);
  assert.deepEqual((await edge.sql("SELECT name FROM d1_migrations ORDER BY id")).map((r) => r.name), ["0001_init.sql", "0002_reports.sql", "0003_privacy.sql", "0004_coupons.sql"]);
});
