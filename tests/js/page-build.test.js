// The page build (pkg/page/, feature "wasm" without "full": what the
// snippet's engine worker loads) against the edge and preview build (pkg/):
// it refuses and loads the shared bundle fixtures with the same codes,
// decides byte-identically (same seed) and seals, and it carries none of the
// edge's and preview's entry points (checkout tokens, receipts, drafts,
// events, confirmation emails, page editions, rule evaluation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as full from "../../pkg/node.js";
import * as page from "../../pkg/page/offer_edge.js";
import { root } from "./helpers.js";

page.initSync({ module: readFileSync(new URL("pkg/page/offer_edge_bg.wasm", root)) });

const json = (path) => JSON.parse(readFileSync(new URL(`tests/fixtures/${path}`, root), "utf8"));
const bundleFile = (name) => new Uint8Array(readFileSync(new URL(`tests/fixtures/bundles/${name}`, root)));
const cases = json("bundles/cases.json");
const NOW = Date.parse("2026-06-01T00:00:00Z");
const CONTEXTS = [
  { firstname: "Ada", state: "CA", amount: "64.50", paymenttype: "visa" },
  { firstname: "Grace", state: "NY", country: "US", amount: "182.00", customertype: "new", emailsha256: full.hashIdentifier("email", "grace@example.com") },
  { state: "TX", amount: "23.99", paymenttype: "paypal" },
];

/** What a call gives: its value as JSON, or its error code. */
function outcome(fn) {
  try {
    return { value: JSON.stringify(fn()) };
  } catch (e) {
    return { code: e.code ?? e.name };
  }
}

test("the page build carries the page's entry points and none of the edge's or the preview's", () => {
  for (const name of ["Engine", "hashIdentifier", "version", "uuidV4", "memoryBytes", "initSync"]) {
    assert.equal(typeof page[name], "function", `page build has ${name}`);
  }
  for (const name of ["load", "decide", "record", "info", "sealForFulfilment", "exportState", "importState", "rotateKeys", "eligibleOffers"]) {
    assert.equal(typeof page.Engine.prototype[name], "function", `page Engine has ${name}`);
  }
  for (const name of ["signReceipt", "verifyReceipt", "sealForFulfilment", "verifyCheckoutToken", "attestedEmailHash", "deriveReceiptKey", "evaluateRule"]) {
    assert.equal(typeof full[name], "function", `the full build has ${name}`);
    assert.equal(page[name], undefined, `the page build has no ${name}`);
  }
  for (const name of ["event", "confirmationEmail", "offer", "verifyPageBundle"]) {
    assert.equal(typeof full.Engine.prototype[name], "function");
    assert.equal(page.Engine.prototype[name], undefined, `the page Engine has no ${name}`);
  }
  assert.equal(page.Engine.fromDraft, undefined, "no drafts in the page build");
});

test("the page build loads and refuses every bundle fixture as the full build does", () => {
  for (const c of cases) {
    const run = (m) => {
      const engine = new m.Engine(json(`bundles/${c.trust}`));
      if (c.lastVersion !== null) engine.importState({ partner: "acme", lastVersion: c.lastVersion });
      return outcome(() => engine.load(bundleFile(c.file), Date.parse(c.now)));
    };
    assert.deepEqual(run(page), run(full), `${c.file}: ${c.description}`);
  }
});

test("the page build decides byte-identically to the full build, and seals to the bundle's key", () => {
  const trust = json("bundles/trust.json");
  const engines = [page, full].map((m) => {
    const engine = new m.Engine(trust);
    engine.load(bundleFile("acme-v1.signed.json"), NOW);
    return engine;
  });
  for (const context of CONTEXTS) {
    const [a, b] = engines.map((e) => outcome(() => e.decide(context, null, NOW, { seed: 7, explain: true })));
    assert.deepEqual(a, b, JSON.stringify(context));
    assert.ok(a.value, `decided: ${JSON.stringify(a)}`);
  }
  const { decision } = engines[0].decide(CONTEXTS[0], null, NOW, { seed: 7 });
  const offer = decision.placements.flatMap((p) => p.offers)[0];
  const sealed = engines[0].sealForFulfilment("ada@example.com", offer.receipt);
  assert.equal(sealed.offerId, offer.offerId);
  assert.equal(JSON.stringify(engines[0].info()), JSON.stringify(engines[1].info()));
});
