// The learning loop end to end: edge decisions in real workerd log what the
// model saw (banded features, each placement's eligible offers) with their
// impressions; the export carries it; `offer-edge evaluate` re-scores the
// exported log and, for the bundle that made the decisions, gets exactly
// the on-policy value back (every weight 1); `offer-edge train` fits a model
// from it that `sign` accepts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../../scripts/lib/edge.mjs";
import { answer, backend, engagement, seed, startEdge } from "./harness.js";

const STATES = ["NY", "CA", "TX", "WA"];
const DEVICES = ["mobile", "desktop"];

test("edge decisions log their features and eligible sets; evaluate re-scores the export; train fits from it", async (t) => {
  const edge = await startEdge(t);
  for (let i = 0; i < 24; i++) {
    const attributes = { firstname: "Ada", state: STATES[i % 4], country: "US", amount: `${40 + i * 9}.00`, device: DEVICES[i % 2] };
    const res = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes }));
    assert.equal(res.status, 200, res.text);
    const offers = res.body.placements[0].offers;
    // The decision says what it saw; the edge keeps it, and the page never sends it.
    assert.equal(res.body.features.state, STATES[i % 4]);
    assert.deepEqual(res.body.placements[0].eligible.slice().sort(), offers.map((o) => o.offerId).sort());
    const events = offers.map((o) => engagement("impression", o));
    if (i % 3 === 0) events.push(engagement("accept", offers[i % offers.length]));
    await edge.post("/v1/events", { events });
  }
  const exported = await edge.fetch("/v1/reports/acme/events", { headers: backend("acme") });
  const text = await exported.text();
  const records = text.trim().split("\n").map((l) => JSON.parse(l));
  const impressions = records.filter((r) => r.type === "impression");
  assert.equal(impressions.length, 72);
  for (const r of impressions) {
    assert.ok(r.features && typeof r.features.state === "string" && r.features.device, JSON.stringify(r.features));
    assert.ok(Array.isArray(r.eligible) && r.eligible.includes(r.offerId));
    assert.ok(r.propensity > 0 && r.propensity <= 1);
  }
  assert.ok(records.filter((r) => r.type === "accept").every((r) => r.features === null && r.eligible === null));

  const dir = mkdtempSync(join(tmpdir(), "offer-edge-learn-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const events = join(dir, "events.ndjson");
  const bundle = join(dir, "acme.signed.json");
  writeFileSync(events, text);
  writeFileSync(bundle, seed().acme.signed);
  const evaluation = JSON.parse(execFileSync(cli(), ["evaluate", "--bundle", bundle, "--events", events, "--json"], { encoding: "utf8" }));
  const result = evaluation.evaluation ?? evaluation;
  assert.equal(result.decisions, 24);
  const accepts = records.filter((r) => r.type === "accept").length;
  // The bundle that decided, re-scored on its own log: IPS is the on-policy mean.
  assert.ok(Math.abs(result.ips.value - accepts / 24) < 1e-9, JSON.stringify(result));
  assert.ok(Math.abs(result.logged.value - accepts / 24) < 1e-9, JSON.stringify(result));

  const trained = join(dir, "trained.json");
  execFileSync(cli(), ["train", "--bundle", bundle, "--events", events, "-o", trained], { encoding: "utf8" });
  const model = JSON.parse(readFileSync(trained, "utf8")).model;
  assert.ok(Object.keys(model.global.features).some((k) => k.startsWith("state=")), JSON.stringify(model.global));
});
