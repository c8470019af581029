// The shared decision fixtures (tests/fixtures/decide/cases.json) through the
// JS API of pkg/ in Node: the same case semantics as the native runner
// (tests/common/decide_fixture.rs) — bundlePatch is an RFC 7386 merge patch,
// offersPatch replaces an offer's fields wholesale — decided with
// Engine.fromDraft, replay and decide({seed}).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Engine } from "../../pkg/node.js";
import { assertOfferEdgeError, bundleFor, caseEntries, caseHistory, caseStoredHistory, root, throwsCode } from "./helpers.js";

const read = (path) => JSON.parse(readFileSync(new URL(`tests/fixtures/decide/${path}`, root), "utf8"));
const BASE = read("bundle.json");
const { cases } = read("cases.json");

/** Runs one case through the JS API; returns the decision (none when an error was expected). */
function runCase(c) {
  const name = c.description;
  const engine = Engine.fromDraft(bundleFor(c));
  const history = caseHistory(engine, c);
  const options = { ...(c.options ?? {}), seed: c.seed ?? 1 };
  const decide = () => engine.decide(c.context, history, Date.parse(c.now), options);
  if (c.expect.error) {
    throwsCode(decide, c.expect.error, name);
    return undefined;
  }
  let result;
  try {
    result = decide();
  } catch (e) {
    assertOfferEdgeError(e, name);
    assert.fail(`${name}: decide threw ${e.code}: ${e.message}`);
  }
  assert.ok(result.history instanceof Uint8Array, name);
  check(name, c.expect, result.decision);
  return result.decision;
}

function check(name, expect, d) {
  const placement = (id) => {
    const p = d.placements.find((p) => p.id === id);
    assert.ok(p, `${name}: no placement ${id}`);
    return p;
  };
  for (const [id, want] of Object.entries(expect.winners ?? {})) {
    assert.deepEqual(placement(id).offers.map((o) => o.offerId), want, `${name}: winners of ${id}`);
  }
  for (const [key, pick, same] of [
    ["reasons", (e) => e.reason.kind, (got, want) => got === want],
    ["messages", (e) => e.message, (got, want) => got.includes(want)],
  ]) {
    for (const [pl, offers] of Object.entries(expect[key] ?? {})) {
      for (const [offer, want] of Object.entries(offers)) {
        const e = (d.explanations ?? []).find((e) => e.placement === pl && e.offerId === offer);
        assert.ok(e, `${name}: no explanation for ${offer} in ${pl}`);
        assert.ok(same(pick(e), want), `${name}: ${offer} in ${pl}: ${key} ${JSON.stringify(pick(e))}, want ${JSON.stringify(want)}`);
      }
    }
  }
  for (const [id, needles] of Object.entries(expect.htmlContains ?? {})) {
    const html = placement(id).html;
    for (const needle of needles) assert.ok(html.includes(needle), `${name}: ${id} html lacks ${needle}: ${html}`);
  }
  if (expect.warnings) {
    assert.deepEqual((d.warnings ?? []).map((w) => w.code), expect.warnings, `${name}: warnings`);
  }
  if (expect.explainsEveryOffer) {
    for (const p of d.placements) {
      assert.equal(d.explanations.filter((e) => e.placement === p.id).length, 8, `${name}: every offer explained in ${p.id}`);
    }
    assert.ok(d.explanations.every((e) => e.message.length > 0), name);
  }
}

test("the shared decide fixtures hold through the JS API", () => {
  assert.ok(cases.length >= 30);
});

for (const c of cases) {
  test(`decide fixture: ${c.description}`, () => {
    runCase(c);
  });
}

test("the same seed gives the same decision; no seed draws fresh entropy", () => {
  const engine = Engine.fromDraft(JSON.stringify(BASE));
  const { context, now } = cases[0];
  const at = Date.parse(now);
  const a = engine.decide(context, null, at, { seed: 42 }).decision;
  const b = engine.decide(context, null, at, { seed: 42 }).decision;
  assert.deepEqual(a, b);
  const c = engine.decide(context, null, at).decision;
  const d = engine.decide(context, null, at).decision;
  assert.notEqual(c.decisionId, d.decisionId);
  for (const seed of [-1, 1.5, NaN, 2 ** 60]) {
    throwsCode(() => engine.decide(context, null, at, { seed }), "CONTEXT_INVALID", `seed ${seed}`);
  }
  throwsCode(() => engine.decide(context, null, at, { placements: ["nowhere"] }), "PLACEMENT_UNKNOWN");
  throwsCode(() => engine.decide(context, null, at, { bogus: true }), "CONTEXT_INVALID");
});

test("a new sessionId resets session caps; the returned history carries the session", () => {
  const bundle = structuredClone(BASE);
  for (const offer of bundle.offers) offer.caps = [{ scope: "offer", max: 1, window: "session" }];
  const engine = Engine.fromDraft(bundle);
  const { context, now } = cases[0];
  const at = Date.parse(now);
  const first = engine.decide(context, null, at, { seed: 1, sessionId: "s1" });
  const shown = first.decision.placements[0].offers[0].offerId;
  let history = engine.record(first.history, { type: "impression", offerId: shown }, at);
  const again = engine.decide(context, history, at + 1000, { seed: 1, sessionId: "s1" });
  const ids = (r) => r.decision.placements.flatMap((p) => p.offers.map((o) => o.offerId));
  assert.ok(!ids(again).includes(shown), "capped within the session");
  const next = engine.decide(context, again.history, at + 2000, { seed: 1, sessionId: "s2" });
  assert.ok(ids(next).includes(shown), "a new session resets the cap");
});

test("replay stores what one record per entry stores, and refuses an oversized list", () => {
  let replayed = 0;
  for (const c of cases) {
    const engine = Engine.fromDraft(bundleFor(c));
    const stored = caseStoredHistory(c);
    let stepByStep = stored;
    for (const e of caseEntries(c)) stepByStep = engine.record(stepByStep, e, e.at);
    assert.deepEqual(engine.replay(stored, caseEntries(c)), stepByStep ?? new Uint8Array(0), c.description);
    if (c.history?.length) replayed++;
  }
  assert.ok(replayed >= 10, `only ${replayed} cases have a history`);

  const engine = Engine.fromDraft(JSON.stringify(BASE));
  const offerId = BASE.offers[0].id;
  const at = Date.parse(cases[0].now);
  const impressions = (n) => Array.from({ length: n }, (_, i) => ({ type: "impression", offerId, at: at + i }));
  assert.ok(engine.replay(null, impressions(1024)).length > 0);
  throwsCode(() => engine.replay(null, impressions(1025)), "LIMIT_EXCEEDED");
  throwsCode(() => engine.replay(null, [...impressions(2), { type: "impression", offerId: "nope", at }]), "EVENT_INVALID");
  throwsCode(() => engine.replay(null, [{ type: "stare", offerId, at }]), "EVENT_INVALID");
  throwsCode(() => engine.replay(null, [{ type: "impression", offerId, at: at + 0.5 }]), "EVENT_INVALID");
  throwsCode(() => engine.replay(null, { type: "impression", offerId, at }), "EVENT_INVALID");
});
