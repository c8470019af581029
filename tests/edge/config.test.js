// The local edge runs with the bindings production declares: wrangler.toml
// (read by wrangler's own parser) and scripts/lib/edge.mjs must agree, and
// the D1 migration must hold exactly the schema the worker applies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";
import { SCHEMA } from "../../edge/schema.js";
import { edgeOptions, fulfilmentSecretName, QUEUE, root } from "../../scripts/lib/edge.mjs";
import { answer, needsEngine, seed, startEdge } from "./harness.js";

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

test("migrations/0001_init.sql is the schema the worker applies", () => {
  const sql = readFileSync(`${root}/migrations/0001_init.sql`, "utf8").replace(/^--.*\n/gm, "");
  assert.deepEqual(sql.split(";").map((s) => s.trim()).filter(Boolean), SCHEMA.map((s) => s.trim()));
});

test("an incomplete deployment fails closed: every route answers 503 CONFIG_INVALID", needsEngine, async (t) => {
  const s = seed();
  const cases = [
    ["no EMAIL_ADAPTER", { EMAIL_ADAPTER: "" }],
    ["the outbox adapter outside demo mode", { DEMO_MODE: "0" }],
    ["the http adapter without its URL", { EMAIL_ADAPTER: "http" }],
    ["no RECEIPT_KEY", { RECEIPT_KEY: "" }],
    ["a partner that can send email without its fulfilment key", { [fulfilmentSecretName("globex")]: "" }],
  ];
  for (const [what, vars] of cases) {
    const edge = await startEdge(t, { vars, upload: false });
    for (const [path, init] of [["/v1/bundles/acme"], ["/v1/decide", { method: "POST", body: "{}" }], ["/"]]) {
      const res = await answer(await edge.fetch(path, init));
      assert.deepEqual([res.status, res.body.error?.code], [503, "CONFIG_INVALID"], `${what}: ${path}`);
    }
    await edge.dispose();
  }
  assert.ok(s.acme);
});
