// Consent and licensed cohorts (docs/PRIVACY.md) through the JS API of both
// builds — pkg/ (the edge and preview) and pkg/page/ (what the checkout
// snippet's engine worker loads) — from the same signed bundle (the JSON
// in the full build, its compiled form in the page build): every shared
// consent case (tests/fixtures/decide/cases.json, `consent:` and `licensed
// cohort:`) gives the same Decision in both, with the `privacy` the case
// states; without measurement `decide` hands the stored history back byte
// for byte (no impression reservations, no session write); malformed
// strings warn and fail closed; unknown consent members are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as full from "../../pkg/node.js";
import * as page from "../../pkg/page/offer_edge.js";
import { cli } from "../../scripts/lib/edge.mjs";
import { bundleFor, caseEntries, root, throwsCode } from "./helpers.js";

page.initSync({ module: readFileSync(new URL("pkg/page/offer_edge_bg.wasm", root)) });

const fixture = (path) => JSON.parse(readFileSync(new URL(`tests/fixtures/${path}`, root), "utf8"));
const { cases } = fixture("decide/cases.json");
const consentCases = cases.filter((c) => c.expect.privacy !== undefined);
const k1 = fileURLToPath(new URL("tests/fixtures/bundles/k1.key", root));
const k1pub = JSON.parse(readFileSync(new URL("tests/fixtures/bundles/k1.pub", root), "utf8")).publicKey;
// The fixtures' bundle was issued 2026-11-01 and is decided up to a month later.
const TRUST = { partner: "fixture-outfitters", keys: { k1: k1pub }, threshold: 1, maxAgeSeconds: 10 * 365 * 86_400 };

const dir = mkdtempSync(join(tmpdir(), "offer-edge-consent-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** `bundle` signed with k1 as `offer-edge sign` does: `{json, form}` (the form is what pages load). */
function sign(name, bundle) {
  const source = join(dir, `${name}.json`);
  writeFileSync(source, JSON.stringify(bundle));
  execFileSync(cli(), ["sign", "--key", k1, source, "-o", join(dir, `${name}.signed.json`)], { stdio: ["ignore", "pipe", "pipe"] });
  const read = (ext) => new Uint8Array(readFileSync(join(dir, `${name}.signed.${ext}`)));
  return { json: read("json"), form: read("oeb") };
}

/** `[page engine, full engine]` on `bundle`, loaded at `now`. */
function engines(name, bundle, now) {
  const signed = sign(name, bundle);
  return [[page, signed.form], [full, signed.json]].map(([m, bytes]) => {
    const engine = new m.Engine(TRUST);
    engine.load(bytes, now);
    return engine;
  });
}

const BASE = bundleFor({});
const NOW = Date.parse("2026-11-29T12:00:00Z");
const ADA = cases[0].context;
const [pageEngine, fullEngine] = engines("base", BASE, NOW);

test("there are consent cases to run", () => {
  assert.ok(consentCases.length >= 15, `${consentCases.length}`);
});

for (const [i, c] of consentCases.entries()) {
  test(`both builds: ${c.description}`, () => {
    const now = Date.parse(c.now);
    const built = engines(`case-${i}`, bundleFor(c), now);
    const [a, b] = built.map((engine) => {
      // One record per entry: the page build has no replay.
      let history = null;
      for (const e of caseEntries(c)) history = engine.record(history, e, e.at);
      return engine.decide(c.context, history, now, { ...(c.options ?? {}), seed: c.seed ?? 1 }).decision;
    });
    assert.deepEqual(a, b, "the page build decides as the full build");
    assert.deepEqual(a.privacy, c.expect.privacy);
    for (const [id, want] of Object.entries(c.expect.winners ?? {})) {
      assert.deepEqual(a.placements.find((p) => p.id === id).offers.map((o) => o.offerId), want, `winners of ${id}`);
    }
    for (const [pl, offers] of Object.entries(c.expect.reasons ?? {})) {
      for (const [offer, kind] of Object.entries(offers)) {
        const e = a.explanations.find((e) => e.placement === pl && e.offerId === offer);
        assert.equal(e.reason.kind, kind, `${offer} in ${pl}: ${e.message}`);
      }
    }
    assert.deepEqual((a.warnings ?? []).map((w) => w.code), c.expect.warnings ?? []);
    built.forEach((e) => e.free());
  });
}

test("without measurement decide hands the stored history back byte for byte, in both builds", () => {
  for (const engine of [pageEngine, fullEngine]) {
    const shown = engine.decide(ADA, null, NOW, { seed: 1 }).decision.placements[0].offers[0].offerId;
    const stored = engine.record(null, { type: "impression", offerId: shown }, NOW);
    const corrupt = new Uint8Array([1, 2, 3, 4]);
    for (const consent of [{ measurement: false }, { gpc: true }, { usPrivacy: "1YYN" }, { gpp: "DBABLA~BVVVVVVVVWA" }, { gpp: "not gpp" }]) {
      const what = JSON.stringify(consent);
      for (const input of [stored, corrupt]) {
        const { decision, history } = engine.decide(ADA, input, NOW + 1000, { seed: 1, sessionId: "new-tab", consent });
        assert.equal(decision.privacy.measurement, false, what);
        assert.ok(decision.privacy.removed.includes("historyWrites"), what);
        assert.deepEqual(history, input, `${what}: the input bytes, not re-encoded, no session written`);
      }
      const fresh = engine.decide(ADA, null, NOW, { seed: 1, consent });
      assert.equal(fresh.history.length, 0, `${what}: nothing to store for a new shopper`);
      // Reads still apply: the stored impression counts against caps as before.
      const read = engine.decide(ADA, stored, NOW + 1000, { seed: 1, explain: true, consent: { measurement: false } });
      const withWrites = engine.decide(ADA, stored, NOW + 1000, { seed: 1, explain: true });
      assert.deepEqual(read.decision.explanations, withWrites.decision.explanations);
    }
    // With measurement the history comes back re-encoded with the session applied.
    const { history } = engine.decide(ADA, stored, NOW + 1000, { seed: 1, sessionId: "new-tab" });
    assert.notDeepEqual(history, stored);
  }
});

test("consent options: unknown members are refused (CONTEXT_INVALID), strings fail closed with a warning, in both builds", () => {
  for (const engine of [pageEngine, fullEngine]) {
    throwsCode(() => engine.decide(ADA, null, NOW, { consent: { tcf: "CP…" } }), "CONTEXT_INVALID");
    throwsCode(() => engine.decide(ADA, null, NOW, { consent: { gpc: "1" } }), "CONTEXT_INVALID");
    throwsCode(() => engine.decide(ADA, null, NOW, { requestCountry: 250 }), "CONTEXT_INVALID");
    const { decision } = engine.decide(ADA, null, NOW, { seed: 1, consent: { usPrivacy: "1Y", gpp: "DBABLA~BVV" } });
    assert.deepEqual(decision.privacy.because, ["malformed"]);
    assert.deepEqual(decision.warnings.map((w) => w.code), ["CONSENT_MALFORMED", "CONSENT_MALFORMED"]);
    const plain = engine.decide(ADA, null, NOW, { seed: 1 }).decision;
    assert.deepEqual(plain.privacy, { saleOptOut: false, personalization: true, measurement: true, because: [], removed: [] });
  }
});

test("a licensed cohort is never applied to a shopper in the EU or the UK, by context or request country, in both builds", () => {
  const promoted = bundleFor({ offersPatch: { "travelco-points": { tier: 0 } } });
  const built = engines("promoted", promoted, NOW);
  for (const engine of built) {
    const ids = (options, context = ADA) => engine.decide(context, null, NOW, { seed: 1, ...options }).decision.placements.flatMap((p) => p.offers.map((o) => o.offerId));
    assert.ok(ids({}).includes("travelco-points"), "a US member sees it");
    assert.ok(engine.eligibleOffers(ADA, null, NOW).includes("travelco-points"));
    for (const cc of ["FR", "DE", "GB", "IE", "NL", "PL"]) {
      assert.ok(!ids({}, { ...ADA, country: cc }).includes("travelco-points"), `context ${cc}`);
      assert.ok(!ids({ requestCountry: cc }).includes("travelco-points"), `request ${cc}`);
      assert.ok(!engine.eligibleOffers({ ...ADA, country: cc }, null, NOW).includes("travelco-points"), `eligibleOffers ${cc}`);
    }
    const { country: _, ...noCountry } = ADA;
    assert.ok(!ids({}, noCountry).includes("travelco-points"), "unknown country");
    assert.ok(!ids({ consent: { personalization: false } }).includes("travelco-points"), "consent");
  }
  built.forEach((e) => e.free());
});

test("in_audience of a licensed cohort in a rule is false in FR and explained alike in both builds", () => {
  // Not a shared fixture case: the rule codec's tests compile those rules against audiences of their own.
  const gated = bundleFor({ offersPatch: { "insureco-quote": { eligibility: { in_audience: "travel-lovers" } } } });
  const built = engines("in-audience", gated, NOW);
  for (const [country, kind] of [["FR", "licensedCohortRestricted"], ["US", "outranked"]]) {
    const [a, b] = built.map((e) => e.decide({ ...ADA, country }, null, NOW, { seed: 1, explain: true }).decision);
    assert.deepEqual(a, b, country);
    assert.equal(a.explanations.find((e) => e.offerId === "insureco-quote").reason.kind, kind, country);
  }
  built.forEach((e) => e.free());
});
