// POST /v1/decide `placements`: the snippet asks for exactly the placements
// it renders (every offer an edge decision shows reserves its caps in the
// shopper's Durable Object, so deciding a placement nobody renders would
// spend a shopper's caps on offers never seen).
import { test } from "node:test";
import assert from "node:assert/strict";
import { answer, startEdge } from "./harness.js";

const CONTEXT = { state: "NY", country: "US", amount: "120.00" };
const decide = async (edge, body) => answer(await edge.post("/v1/decide", { partner: "acme", attributes: CONTEXT, ...body }));

test("placements: a list of 1 to 8 distinct ids, not with placement; refused otherwise with DECIDE_INVALID", async (t) => {
  const edge = await startEdge(t);
  const cases = [
    ["not a list", { placements: "confirmation" }],
    ["empty", { placements: [] }],
    ["nine", { placements: Array.from({ length: 9 }, (_, i) => `p${i}`) }],
    ["a duplicate", { placements: ["confirmation", "confirmation"] }],
    ["not an id", { placements: ["<script>"] }],
    ["not a string", { placements: [7] }],
    ["both fields", { placement: "confirmation", placements: ["confirmation"] }],
  ];
  for (const [what, body] of cases) {
    const res = await decide(edge, body);
    assert.deepEqual([res.status, res.body.error?.code], [400, "DECIDE_INVALID"], `${what}: ${res.text}`);
  }
  const unknown = await decide(edge, { placements: ["confirmation", "sidebar-404"] });
  assert.deepEqual([unknown.status, unknown.body.error?.code], [400, "PLACEMENT_UNKNOWN"], unknown.text);
});

test("placements decides exactly the placements asked for, as placement does for one", async (t) => {
  const edge = await startEdge(t);
  const one = await decide(edge, { placement: "confirmation" });
  const list = await decide(edge, { placements: ["confirmation"] });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.body.placements.map((p) => p.id), ["confirmation"]);
  assert.deepEqual(list.body.placements[0].offers.map((o) => o.offerId).sort(), one.body.placements[0].offers.map((o) => o.offerId).sort());
});
