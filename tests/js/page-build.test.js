// The page build (pkg/page/, feature "wasm" without "full": what the
// snippet's engine worker loads) against the edge and preview build (pkg/).
// The page build loads compiled forms only (`*.oeb`, written by `offer-edge
// sign` next to the signed JSON) and refuses JSON with ENVELOPE_MALFORMED;
// a form verifies and is refused with the same codes in both builds; the
// page build loading the form decides byte-identically (same seed) to the
// full build loading the JSON — over the acme fixture and every shared
// decide fixture; with explanations, the same verdicts — and seals; and it carries none of the edge's and
// preview's entry points (checkout tokens, receipts, drafts, events,
// confirmation emails, page editions, form checks, rule evaluation).
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
import { assembleForm, resignForm, signManifest, splitForm, tamperBody } from "./form.js";
import { bundleFor, caseEntries, caseStoredHistory, root } from "./helpers.js";

page.initSync({ module: readFileSync(new URL("pkg/page/offer_edge_bg.wasm", root)) });

const json = (path) => JSON.parse(readFileSync(new URL(`tests/fixtures/${path}`, root), "utf8"));
const fixturePath = (name) => fileURLToPath(new URL(`tests/fixtures/bundles/${name}`, root));
const bundleFile = (name) => new Uint8Array(readFileSync(fixturePath(name)));
const KEY = { k1: fixturePath("k1.key"), k2: fixturePath("k2.key"), k3: fixturePath("k3.key") };
const cases = json("bundles/cases.json");
const NOW = Date.parse("2026-06-01T00:00:00Z");
const CONTEXTS = [
  { firstname: "Ada", state: "CA", amount: "64.50", paymenttype: "visa" },
  { firstname: "Grace", state: "NY", country: "US", amount: "182.00", customertype: "new", emailsha256: full.hashIdentifier("email", "grace@example.com") },
  { state: "TX", amount: "23.99", paymenttype: "paypal" },
];

const dir = mkdtempSync(join(tmpdir(), "offer-edge-page-build-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/**
 * Signs `bundleText` (a bundle's exact bytes) with `keys` (fixture key names)
 * as `offer-edge sign` does for a partner: `{json, form}`, the signed file
 * and the compiled form written next to it.
 */
function signBundle(name, bundleText, keys = ["k1", "k2"]) {
  const source = join(dir, `${name}.json`);
  writeFileSync(source, bundleText);
  execFileSync(cli(), ["sign", ...keys.flatMap((k) => ["--key", KEY[k]]), source, "-o", join(dir, `${name}.signed.json`)], { stdio: ["ignore", "pipe", "pipe"] });
  const read = (ext) => new Uint8Array(readFileSync(join(dir, `${name}.signed.${ext}`)));
  return { json: read("json"), form: read("oeb") };
}

/** The bundle bytes a signed fixture carries, verbatim (format v2: after `,"bundle":`; v1: the payload). */
function bundleOf(name) {
  const text = readFileSync(fixturePath(name), "utf8");
  if (text.startsWith('{"manifest":')) return text.slice(text.indexOf(',"bundle":') + ',"bundle":'.length, -1);
  return Buffer.from(JSON.parse(text).payload, "base64").toString("utf8");
}

/** What a call gives: its value as JSON, or its error code. */
function outcome(fn) {
  try {
    return { value: JSON.stringify(fn()) };
  } catch (e) {
    return { code: e.code ?? e.name };
  }
}

/**
 * `outcome` of a decide with `explain`, less what only the full build can
 * say: for a false eligibility rule it names the first false conjunct of a
 * top-level `and` (it compiles each one afresh), the page build — no rule
 * compiler; the preview and the CLI explain, pages do not — the whole rule
 * (src/decide/explain.rs). Verdicts and reasons are the same.
 */
function explained(fn) {
  return outcome(() => {
    const out = fn();
    for (const e of out.decision?.explanations ?? []) {
      if (e.reason.kind === "ruleFalse") {
        delete e.reason.rule;
        delete e.reason.seen;
        delete e.message;
      }
    }
    return out;
  });
}

/** Loads `bytes` into a new Engine of build `m` with `trust` (fixture name or object) after `lastVersion`. */
function load(m, bytes, { trust = "trust.json", lastVersion = null, now = NOW } = {}) {
  const engine = new m.Engine(typeof trust === "string" ? json(`bundles/${trust}`) : trust);
  if (lastVersion !== null) engine.importState({ partner: "acme", lastVersion });
  return { engine, outcome: outcome(() => engine.load(bytes, now)) };
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
  for (const name of ["event", "confirmationEmail", "offer", "verifyPageBundle", "verifyCompiledForm"]) {
    assert.equal(typeof full.Engine.prototype[name], "function");
    assert.equal(page.Engine.prototype[name], undefined, `the page Engine has no ${name}`);
  }
  assert.equal(page.Engine.fromDraft, undefined, "no drafts in the page build");
});

test("JSON into the page build is refused with ENVELOPE_MALFORMED, every bundle fixture alike; the full build still loads JSON", () => {
  for (const c of cases) {
    const what = `${c.file}: ${c.description}`;
    const { engine, outcome: got } = load(page, bundleFile(c.file), { trust: c.trust, lastVersion: c.lastVersion, now: Date.parse(c.now) });
    assert.deepEqual(got, { code: "ENVELOPE_MALFORMED" }, what);
    assert.equal(engine.info(), null, `${what}: nothing loaded`);
  }
  assert.ok(load(full, bundleFile("acme-v1.manifest.json")).outcome.value);
});

test("a compiled form verifies, and is refused, with the same code in the page build and the full build", () => {
  const v1 = signBundle("acme-v1", bundleOf("acme-v1.manifest.json"));
  const v2 = signBundle("acme-v2", bundleOf("acme-v2.manifest.json"));
  const { envelope, body } = splitForm(v2.form);
  // A manifest signed before compiled forms existed names none.
  const oldManifest = JSON.parse(readFileSync(fixturePath("acme-v2.manifest.json"), "utf8")).manifest;
  const forms = [
    ["good v2", v2.form, {}, "ok"],
    ["good v2 over v1", v2.form, { lastVersion: 1 }, "ok"],
    ["v1 after v2 (rollback)", v1.form, { lastVersion: 2 }, "VERSION_ROLLBACK"],
    ["larger than maxBundleBytes", v2.form, { trust: "trust-small.json" }, "BUNDLE_TOO_LARGE"],
    ["1 of 2 signatures", signBundle("acme-v2-k1", bundleOf("acme-v2.manifest.json"), ["k1"]).form, {}, "THRESHOLD_NOT_MET"],
    ["untrusted signer", signBundle("acme-v2-k3", bundleOf("acme-v2.manifest.json"), ["k3"]).form, {}, "UNKNOWN_KEY"],
    ["other partner's bundle", signBundle("globex-v2", bundleOf("globex-v2.signed.json")).form, {}, "PARTNER_MISMATCH"],
    ["expired", v2.form, { now: Date.parse("2099-12-31T00:00:00Z") }, "BUNDLE_EXPIRED"],
    ["one body byte changed", tamperBody(v2.form), {}, "DIGEST_MISMATCH"],
    ["signature bit flipped", assembleForm({ ...envelope, signatures: envelope.signatures.map((s, i) => (i ? s : { ...s, sig: flipBase64(s.sig) })) }, body), {}, "SIGNATURE_INVALID"],
    ["cut inside its envelope", v2.form.subarray(0, 40), {}, "ENVELOPE_MALFORMED"],
    ["no magic", v2.form.subarray(1), {}, "ENVELOPE_MALFORMED"],
    ["a manifest naming no compiled form", assembleForm(oldManifest, body), {}, "PAYLOAD_MALFORMED"],
    ["a signed body that is no compiled bundle", resignForm(v2.form, new TextEncoder().encode("not a compiled bundle"), KEY.k1, KEY.k2), {}, "PAYLOAD_MALFORMED"],
    ["a manifest under a bundle payloadType", assembleForm({ ...signManifest(splitForm(v2.form).manifest, [KEY.k1, KEY.k2]), payloadType: "application/vnd.offer-edge.bundle+json" }, body), {}, "ENVELOPE_MALFORMED"],
  ];
  for (const [what, bytes, options, expect] of forms) {
    const got = load(page, bytes, options).outcome;
    assert.deepEqual(load(full, bytes, options).outcome, got, `${what}: both builds agree`);
    if (expect === "ok") assert.ok(got.value, `${what}: ${JSON.stringify(got)}`);
    else assert.equal(got.code, expect, `${what}: ${JSON.stringify(got)}`);
  }
});

/** `sig` (base64) with one bit of its first byte flipped. */
function flipBase64(sig) {
  const bytes = Buffer.from(sig, "base64");
  bytes[0] ^= 1;
  return bytes.toString("base64");
}

test("the page build loading the form decides byte-identically to the full build loading the JSON, and seals to the bundle's key", () => {
  const v1 = signBundle("acme-v1-decide", bundleOf("acme-v1.manifest.json"));
  const [pageEngine, fullEngine] = [load(page, v1.form), load(full, v1.json)].map(({ engine, outcome: o }) => {
    assert.ok(o.value, JSON.stringify(o));
    return engine;
  });
  assert.equal(JSON.stringify(pageEngine.info()), JSON.stringify(fullEngine.info()));
  for (const context of CONTEXTS) {
    const [a, b] = [pageEngine, fullEngine].map((e) => outcome(() => e.decide(context, null, NOW, { seed: 7 })));
    assert.deepEqual(a, b, JSON.stringify(context));
    assert.ok(a.value, `decided: ${JSON.stringify(a)}`);
    const [x, y] = [pageEngine, fullEngine].map((e) => explained(() => e.decide(context, null, NOW, { seed: 7, explain: true })));
    assert.deepEqual(x, y, `explained: ${JSON.stringify(context)}`);
  }
  const { decision } = pageEngine.decide(CONTEXTS[0], null, NOW, { seed: 7 });
  const offer = decision.placements.flatMap((p) => p.offers)[0];
  const sealed = pageEngine.sealForFulfilment("ada@example.com", offer.receipt);
  assert.equal(sealed.offerId, offer.offerId);
});

test("learningLog: the full build names the features and eligible sets without changing the winners; the page build refuses it", () => {
  const v1 = signBundle("acme-v1-learning", bundleOf("acme-v1.manifest.json"));
  const { engine: fullEngine } = load(full, v1.json);
  const { engine: pageEngine } = load(page, v1.form);
  for (const context of CONTEXTS) {
    const plain = fullEngine.decide(context, null, NOW, { seed: 7 }).decision;
    const logged = fullEngine.decide(context, null, NOW, { seed: 7, learningLog: true }).decision;
    assert.equal(plain.features, undefined);
    assert.equal(logged.features.state, context.state);
    for (const [i, p] of logged.placements.entries()) {
      const { eligible, ...rest } = p;
      assert.deepEqual(rest, plain.placements[i], "same winners, propensities and html");
      for (const o of p.offers) assert.ok(eligible.includes(o.offerId), `${o.offerId} shown from its eligible set`);
    }
    // Pages are never the logging policy of record: the option is unknown there (bad options: CONTEXT_INVALID).
    assert.equal(outcome(() => pageEngine.decide(context, null, NOW, { seed: 7, learningLog: true })).code, "CONTEXT_INVALID");
  }
});

test("every shared decide fixture decides byte-identically from the compiled form in the page build and from the JSON in the full build", () => {
  const k1 = JSON.parse(readFileSync(fixturePath("k1.pub"), "utf8"));
  // The fixtures' bundle was issued 2026-11-01 and is decided up to a month later.
  const trust = { partner: "fixture-outfitters", keys: { k1: k1.publicKey }, threshold: 1, maxAgeSeconds: 10 * 365 * 86_400 };
  const { cases: decideCases } = json("decide/cases.json");
  let compared = 0;
  for (const [i, c] of decideCases.entries()) {
    const name = c.description;
    const signed = signBundle(`decide-${i}`, JSON.stringify(bundleFor(c)), ["k1"]);
    const now = Date.parse(c.now);
    const engines = [[page, signed.form], [full, signed.json]].map(([m, bytes]) => {
      const engine = new m.Engine(trust);
      engine.load(bytes, now);
      return engine;
    });
    const decide = (engine, options) => () => {
      // One record per entry: the page build has no replay.
      let history = caseStoredHistory(c);
      for (const entry of caseEntries(c)) history = engine.record(history, entry, entry.at);
      const { decision, history: next } = engine.decide(c.context, history, now, { ...options, seed: c.seed ?? 1 });
      return { decision, history: Buffer.from(next).toString("base64") };
    };
    // Byte-identical as pages decide (no explanations), and the same verdicts as the case asks for them.
    const [a, b] = engines.map((engine) => outcome(decide(engine, { ...(c.options ?? {}), explain: false })));
    assert.deepEqual(a, b, name);
    if (c.expect.error) assert.equal(a.code, c.expect.error, name);
    else assert.ok(a.value, `${name}: ${JSON.stringify(a)}`);
    const [x, y] = engines.map((engine) => explained(decide(engine, c.options ?? {})));
    assert.deepEqual(x, y, `${name} (as the case asks)`);
    engines.forEach((e) => e.free());
    compared++;
  }
  assert.equal(compared, decideCases.length);
  assert.ok(compared >= 30);
});
