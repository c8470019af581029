// The Engine class of pkg/ in Node: signed bundle loads with their error
// codes (tests/fixtures/bundles/cases.json), the previous bundle staying
// active after a failed load, rollback state, and the two-step PII flow
// (seal in the page → confirmation email at fulfilment).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Engine, hashIdentifier, memoryBytes } from "../../pkg/node.js";
import { root, throwsCode } from "./helpers.js";

const bundleFile = (name) => readFileSync(new URL(`tests/fixtures/bundles/${name}`, root));
const json = (path) => JSON.parse(readFileSync(new URL(`tests/fixtures/${path}`, root), "utf8"));
const trust = json("bundles/trust.json");
const cases = json("bundles/cases.json");
const NOW = Date.parse("2026-06-01T00:00:00Z");
const CONTEXT = { firstname: "Ada", state: "CA", amount: "64.50", paymenttype: "visa" };

for (const c of cases) {
  test(`bundle fixture ${c.file} (${c.description}) → ${c.expect}`, () => {
    const engine = new Engine(json(`bundles/${c.trust}`));
    if (c.lastVersion !== null) engine.importState({ partner: "acme", lastVersion: c.lastVersion });
    const bytes = new Uint8Array(bundleFile(c.file));
    if (c.expect === "ok" || c.expect === "unchanged") {
      const out = engine.load(bytes, Date.parse(c.now));
      assert.equal(out.status, c.expect === "ok" ? "loaded" : "unchanged");
    } else {
      throwsCode(() => engine.load(bytes, Date.parse(c.now)), c.expect, c.description);
      assert.equal(engine.info(), null, "nothing became active");
    }
  });
}

test("a failed load leaves the previous bundle active and deciding", () => {
  const engine = new Engine(trust);
  throwsCode(() => engine.decide(CONTEXT, null, NOW), "NO_BUNDLE");
  assert.deepEqual(engine.load(bundleFile("acme-v1.signed.json"), NOW), { status: "loaded", version: 1 });
  for (const [file, code] of [
    ["acme-v2-tampered-payload.signed.json", "SIGNATURE_INVALID"],
    ["globex-v2.signed.json", "PARTNER_MISMATCH"],
    ["acme-v2-k1-only.signed.json", "THRESHOLD_NOT_MET"],
    ["acme-v2-expired.signed.json", "BUNDLE_EXPIRED"],
    ["not-an-envelope.json", "ENVELOPE_MALFORMED"],
  ]) {
    // Bytes and text both load.
    throwsCode(() => engine.load(bundleFile(file).toString("utf8"), NOW), code, file);
    const { decision } = engine.decide(CONTEXT, null, NOW, { seed: 5 });
    assert.equal(decision.bundleVersion, 1, `after ${file}`);
    assert.ok(decision.placements.some((p) => p.offers.length > 0));
  }
  assert.equal(engine.info().version, 1);
  assert.deepEqual(engine.load(bundleFile("acme-v2.signed.json"), NOW), { status: "loaded", version: 2 });
  // The active version again is a no-op.
  assert.deepEqual(engine.load(bundleFile("acme-v2.signed.json"), NOW), { status: "unchanged", version: 2 });
  throwsCode(() => engine.load(bundleFile("acme-v1.signed.json"), NOW), "VERSION_ROLLBACK");
  assert.equal(engine.decide(CONTEXT, null, NOW).decision.bundleVersion, 2);
  assert.deepEqual(engine.exportState(), { partner: "acme", lastVersion: 2 });
});

test("imported state survives a restart: an old bundle is a rollback", () => {
  const engine = new Engine(trust);
  engine.importState({ partner: "acme", lastVersion: 2 });
  throwsCode(() => engine.load(bundleFile("acme-v1.signed.json"), NOW), "VERSION_ROLLBACK");
  throwsCode(() => engine.importState({ partner: "globex", lastVersion: 9 }), "PARTNER_MISMATCH");
  assert.deepEqual(engine.exportState(), { partner: "acme", lastVersion: 2 });
});

test("info() summarizes the active signed bundle", () => {
  const engine = new Engine(trust);
  assert.equal(engine.info(), null);
  engine.load(bundleFile("acme-v2.signed.json"), NOW);
  const info = engine.info();
  assert.equal(info.partner, "acme");
  assert.equal(info.version, 2);
  assert.equal(info.draft, false);
  assert.deepEqual(info.signers, ["k1", "k2"]);
  assert.equal(info.offers, 12);
  assert.match(info.bundleSha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(info.placements.map((p) => p.id), ["confirmation", "sidebar"]);
});

test("bad trust configs and draft misuse throw their codes", () => {
  throwsCode(() => new Engine({ partner: "acme", keys: {}, threshold: 1 }), "TRUST_INVALID");
  throwsCode(() => new Engine({ partner: "acme", keys: { k1: "bm90IGEga2V5" }, threshold: 1 }), "KEY_INVALID");
  throwsCode(() => Engine.fromDraft("{}"), "SCHEMA_INVALID");
  throwsCode(() => Engine.fromDraft("[".repeat(10000)), "LIMIT_EXCEEDED");
  const draft = json("decide/bundle.json");
  draft.offers[0].eligibility = { nope: [] };
  throwsCode(() => Engine.fromDraft(draft), "RULE_INVALID");
  const preview = Engine.fromDraft(json("decide/bundle.json"));
  assert.equal(preview.info().draft, true);
  throwsCode(() => preview.load(bundleFile("acme-v1.signed.json"), NOW), "TRUST_INVALID");
  throwsCode(() => preview.record(null, { type: "impression", offerId: "nope" }, NOW), "EVENT_INVALID");
  throwsCode(() => preview.record(null, { type: "stare", offerId: "mealbox-50" }, NOW), "EVENT_INVALID");
  throwsCode(() => preview.decide("not json", null, NOW), "CONTEXT_INVALID");
});

test("seal in the page → confirmation email at fulfilment (fixture key fx-2026)", () => {
  const engine = Engine.fromDraft(json("decide/bundle.json"));
  const keyFile = readFileSync(new URL("tests/fixtures/keys/fulfilment-fx-2026.key.json", root), "utf8");
  assert.equal(engine.info().fulfilmentKey.publicKey, JSON.parse(keyFile).publicKey);
  const now = Date.parse("2026-11-29T12:00:00Z");
  const { decision } = engine.decide({ firstname: "Ada", state: "CA", amount: "64.50", age: 29 }, null, now, { seed: 1 });
  const offer = decision.placements.flatMap((p) => p.offers).find((o) => o.needsConfirmationEmail);
  assert.ok(offer, "a shown offer sends a confirmation email");
  throwsCode(() => engine.sealForFulfilment("not an email", offer.receipt), "EMAIL_INVALID");
  const request = engine.sealForFulfilment(" Ada@Example.com ", offer.receipt);
  assert.notEqual(request.enc, engine.sealForFulfilment("ada@example.com", offer.receipt).enc, "fresh entropy");
  const event = engine.event("accept", offer, now + 5000, { fulfilment: request });
  assert.equal(event.type, "accept");
  assert.equal(event.offerId, offer.offerId);
  assert.deepEqual(event.receipt, offer.receipt);
  assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  throwsCode(() => engine.event("impression", offer, now, { fulfilment: request }), "EVENT_INVALID");

  const mail = engine.confirmationEmail(keyFile, event.fulfilment, Date.parse(event.time));
  assert.equal(mail.to, "ada@example.com");
  assert.equal(mail.offerId, offer.offerId);
  assert.equal(mail.decisionId, decision.decisionId);
  for (const part of [mail.subject, mail.html, mail.text]) {
    assert.ok(part.length > 0 && !part.includes("{{"), part);
  }
  const tampered = { ...request, offerId: decision.placements.flatMap((p) => p.offers).find((o) => o !== offer).offerId };
  throwsCode(() => engine.confirmationEmail(keyFile, tampered, now), "SEAL_FAILED");
  throwsCode(() => engine.confirmationEmail("{}", request, now), "KEY_INVALID");
});

test("hashIdentifier normalizes like the core; memoryBytes reports linear memory", () => {
  assert.equal(hashIdentifier("email", " Ada@Example.COM "), hashIdentifier("email", "ada@example.com"));
  assert.equal(hashIdentifier("phone", "+1 (555) 010-0199"), hashIdentifier("phone", "15550100199"));
  assert.match(hashIdentifier("email", "ada@example.com"), /^[0-9a-f]{64}$/);
  throwsCode(() => hashIdentifier("shoesize", "42"), "CONTEXT_INVALID");
  assert.ok(memoryBytes() >= 65536 && memoryBytes() % 65536 === 0);
});
