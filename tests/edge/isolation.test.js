// One partner's bundle cannot take down the others (docs/EDGE.md: a trap is
// fatal to its instance, never shared with another partner). In real
// workerd: a hostile bundle of globex (a layout nesting 32 sections, signed
// with globex's own key, bypassing `sign`'s checks) and 1,000 hostile
// decides, while every acme decide and acme's confirmation email succeed;
// then genuine traps (fault injection) reset the instance and quarantine the
// bundle that caused them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { admin, answer, checkoutToken, engagement, oe, poll, seed, startEdge, uploadBundle } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const EMAIL = "ada.lovelace@example.com";

/** A format v1 (DSSE) file of `bundle` signed with `partner`'s own key, with none of `sign`'s checks. */
function signUnchecked(partner, bundle) {
  const s = seed();
  const keyFile = JSON.parse(readFileSync(join(s.dir, "keys", `${partner}-1.key`), "utf8"));
  const pub = JSON.parse(readFileSync(join(s.dir, "keys", `${partner}-1.pub`), "utf8"));
  const key = createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: Buffer.from(keyFile.secretKey, "base64").toString("base64url"),
    x: Buffer.from(pub.publicKey, "base64").toString("base64url") }, format: "jwk" });
  const type = "application/vnd.offer-edge.bundle+json";
  const body = Buffer.from(JSON.stringify(bundle));
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${body.length} `), body]);
  return new TextEncoder().encode(JSON.stringify({
    payloadType: type, payload: body.toString("base64"), signatures: [{ keyid: keyFile.keyid, sig: sign(null, pae, key).toString("base64") }],
  }));
}

async function decide(edge, partner, extra = {}) {
  return answer(await edge.post("/v1/decide", { partner, placement: "confirmation", attributes: CONTEXT, ...extra }));
}

/** acme's whole flow: an attested decide, an accept with the sealed email, the email in the outbox. */
async function acmeSendsEmail(edge, engine) {
  const token = checkoutToken("acme", { email: EMAIL });
  const res = await decide(edge, "acme", { checkoutToken: token });
  assert.equal(res.status, 200, res.text);
  const coupon = res.body.placements[0].offers.find((o) => o.needsConfirmationEmail);
  const e = engagement("accept", coupon, { checkout: token, fulfilment: engine.sealForFulfilment(EMAIL, coupon.receipt) });
  const ack = await answer(await edge.post("/v1/events", { events: [e] }));
  assert.equal(ack.body.fulfilment.queued, 1, ack.text);
  await poll(async () => (await edge.sql("SELECT 1 FROM outbox WHERE decision_id = ?", coupon.receipt.decisionId)).length, "acme's email");
}

function acmeSealer() {
  const s = seed();
  const engine = new oe.Engine(s.acme.trust);
  engine.load(s.acme.signed, Date.now());
  return engine;
}

test("a hostile bundle and 1,000 hostile decides of one partner: every decide and email of another partner succeeds", async (t) => {
  const s = seed();
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" } });
  const hostile = JSON.parse(readFileSync(s.globex.bundlePath(1), "utf8"));
  hostile.version = 2;
  for (const p of hostile.placements) p.layout = `${"{{#offers}}".repeat(32)}x${"{{/offers}}".repeat(32)}`;
  assert.equal((await decide(edge, "globex")).status, 200, "globex's genuine v1 is active first");
  await uploadBundle(edge.mf, "globex", signUnchecked("globex", hostile));
  const engine = acmeSealer();
  const codes = new Map();
  for (let i = 0; i < 1000; i++) {
    const res = await decide(edge, "globex");
    assert.notEqual(res.status, 500, res.text);
    codes.set(`${res.status} ${res.body.error?.code ?? "ok"}`, (codes.get(`${res.status} ${res.body.error?.code ?? "ok"}`) ?? 0) + 1);
    if (i % 50 === 0) {
      const acme = await decide(edge, "acme");
      assert.equal(acme.status, 200, `acme decide after ${i} hostile decides: ${acme.text}`);
    }
    if (i % 250 === 0) await acmeSendsEmail(edge, engine);
  }
  // The hostile bundle is refused when it loads (its cost is bounded statically: globex keeps its
  // previous bundle), or — should a trap slip past the static bounds — it costs at most
  // QUARANTINE_AFTER resets and is then quarantined; either way nothing ever answers 500.
  assert.ok([...codes.keys()].every((k) => /^(200 ok|503 ENGINE_TRAPPED|503 NO_BUNDLE)$/.test(k)), JSON.stringify([...codes]));
  assert.ok((codes.get("503 ENGINE_TRAPPED") ?? 0) <= 3, JSON.stringify([...codes]));
  const status = (await answer(await edge.fetch("/v1/status", { headers: admin }))).body.partners.globex;
  if (status.lastError.code === "TEMPLATE_INVALID") assert.equal(status.version, 1, "the hostile version never became the served one");
  else assert.equal(status.lastError.code, "BUNDLE_QUARANTINED");
  await acmeSendsEmail(edge, engine);
});

test("a trap resets the shared instance: the partner that trapped is quarantined after 3, the others never notice", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000", FAULT_INJECTION: "1" } });
  const engine = acmeSealer();
  assert.equal((await decide(edge, "globex")).status, 200);
  for (let i = 0; i < 3; i++) {
    const trap = await answer(await edge.post("/v1/_fault/trap/globex", {}));
    assert.deepEqual([trap.status, trap.body.error.code], [503, "ENGINE_TRAPPED"], trap.text);
    const acme = await decide(edge, "acme");
    assert.equal(acme.status, 200, `acme right after trap ${i + 1}: ${acme.text}`);
    if (i < 2) assert.equal((await decide(edge, "globex")).status, 200, "globex reloads on a fresh instance");
  }
  const quarantined = await decide(edge, "globex");
  assert.deepEqual([quarantined.status, quarantined.body.error.code], [503, "NO_BUNDLE"]);
  assert.equal((await answer(await edge.fetch("/v1/status", { headers: admin }))).body.partners.globex.lastError.code, "BUNDLE_QUARANTINED");
  await acmeSendsEmail(edge, engine);
  // A new upload replaces the quarantined bundle.
  await uploadBundle(edge.mf, "globex", seed().globex.sign(2));
  assert.equal((await decide(edge, "globex")).status, 200);
  // Without FAULT_INJECTION the route does not exist.
  const plain = await startEdge(t);
  assert.equal((await edge.post("/v1/_fault/trap/acme", {})).status, 503);
  assert.equal((await plain.post("/v1/_fault/trap/acme", {})).status, 404);
});
