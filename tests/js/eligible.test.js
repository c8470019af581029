// Engine.eligibleOffers over the shared decide fixtures: the ids, in bundle
// order, of the offers the explain output does not call ineligible (shown,
// outranked, or shown in another placement of the same decision).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Engine } from "../../pkg/node.js";
import { bundleFor, caseHistory, root, throwsCode } from "./helpers.js";

const read = (path) => JSON.parse(readFileSync(new URL(`tests/fixtures/${path}`, root), "utf8"));
const { cases } = read("decide/cases.json");

/** The offers explain calls eligible, in bundle order. */
function explainedEligible(bundle, decision) {
  const ok = new Set(
    decision.explanations
      .filter((e) => e.verdict !== "ineligible" || e.reason.kind === "shownInOtherPlacement")
      .map((e) => e.offerId),
  );
  return bundle.offers.map((o) => o.id).filter((id) => ok.has(id));
}

for (const c of cases.filter((c) => !c.expect.error)) {
  test(`eligibleOffers matches explain: ${c.description}`, () => {
    const bundle = bundleFor(c);
    const engine = Engine.fromDraft(bundle);
    const history = caseHistory(engine, c);
    const now = Date.parse(c.now);
    const { decision } = engine.decide(c.context, history, now, { seed: c.seed ?? 1, explain: true });
    const ids = engine.eligibleOffers(c.context, history, now);
    assert.ok(Array.isArray(ids) && ids.every((id) => typeof id === "string"));
    assert.deepEqual(ids, explainedEligible(bundle, decision), c.description);
    // Asking again (ids cached per bundle) gives the same answer.
    assert.deepEqual(engine.eligibleOffers(c.context, history, now), ids);
  });
}

test("eligibleOffers refuses what decide refuses", () => {
  const engine = Engine.fromDraft(bundleFor(cases[0]));
  const now = Date.parse(cases[0].now);
  throwsCode(() => engine.eligibleOffers("{not json", null, now), "CONTEXT_INVALID");
  throwsCode(() => engine.eligibleOffers(cases[0].context, null, Date.now), "CONTEXT_INVALID");
  const empty = new Engine(read("bundles/trust.json"));
  throwsCode(() => empty.eligibleOffers(cases[0].context, null, now), "NO_BUNDLE");
});

test("a context object is held to the same byte limit as its JSON text, before it is read", () => {
  // A page script could hand the engine any object: 16 KiB of context JSON is
  // the limit however it arrives (an object used to skip the check).
  const engine = Engine.fromDraft(bundleFor(cases[0]));
  const now = Date.parse(cases[0].now);
  const huge = { firstname: "Ada", city: "x".repeat(17 * 1024) };
  for (const context of [huge, JSON.stringify(huge)]) {
    throwsCode(() => engine.eligibleOffers(context, null, now), "LIMIT_EXCEEDED");
    throwsCode(() => engine.decide(context, null, now), "LIMIT_EXCEEDED");
  }
  // Deep custom attributes keep their own code, whichever way they come in.
  let deep = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  throwsCode(() => engine.eligibleOffers({ custom: { deep } }, null, now), "LIMIT_EXCEEDED");
  // A check's words reach the page whole: no reader position tacked on.
  try {
    engine.eligibleOffers({ custom: { deep } }, null, now);
    assert.fail("accepted a context past the depth limit");
  } catch (e) {
    assert.equal(e.code, "LIMIT_EXCEEDED");
    assert.match(e.message, /context nests deeper than 32 levels$/);
  }
  // One bad attribute is left out, not the context (docs/RULES.md): the decision names it, whole.
  assert.ok(Array.isArray(engine.eligibleOffers({ amount: "lots" }, null, now)));
  const { warnings } = engine.decide({ amount: "lots" }, null, now, { seed: 1 }).decision;
  assert.deepEqual(warnings, [{ code: "ATTRIBUTE_INVALID", attribute: "amount", message: "amount has no digits" }]);
});

test("eligibleOffers follows the active bundle across loads", () => {
  const trust = read("bundles/trust.json");
  const engine = new Engine(trust);
  const now = Date.parse("2026-06-01T00:00:00Z");
  const context = { firstname: "Ada", state: "CA", amount: "64.50", paymenttype: "visa" };
  for (const file of ["acme-v1.signed.json", "acme-v2.signed.json"]) {
    engine.load(readFileSync(new URL(`tests/fixtures/bundles/${file}`, root)), now);
    const ids = engine.eligibleOffers(context, null, now);
    const { decision } = engine.decide(context, null, now, { seed: 1, explain: true });
    const known = new Set(decision.explanations.map((e) => e.offerId));
    assert.ok(ids.length > 0 && ids.every((id) => known.has(id)), file);
    const shown = decision.placements.flatMap((p) => p.offers.map((o) => o.offerId));
    assert.ok(shown.every((id) => ids.includes(id)), `${file}: every winner is eligible`);
  }
});
