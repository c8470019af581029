// Consent at the edge, in real workerd (docs/PRIVACY.md): Global Privacy
// Control from the Sec-GPC header (a body cannot switch it off), an explicit
// consent object, and the request's geo. Under opt-out nothing personal is
// used or stored: no history write (Durable Object or cookie), no shopper
// link or learning log on the decision, its events counted aggregate-only
// (never exported, never in history); a licensed cohort never matches an
// EU/UK shopper, whatever country the page claims.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { seedPartner } from "../../scripts/lib/edge.mjs";
import { answer, backend, engagement, keepOffers, seed, startEdge, uploadBundle } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const GPC = { "sec-gpc": "1" };

const decide = (edge, body, headers = {}, cf) => edge.fetch("/v1/decide", {
  method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), ...(cf ? { cf } : {}),
}).then(answer);

const history = async (edge, partner, ref) => {
  const ns = await edge.mf.getDurableObjectNamespace("HISTORY");
  const key = createHash("sha256").update(`offer-edge/shopper/v1\n${partner}\n${ref}`).digest("hex");
  const { partner: owner, bytes } = await ns.get(ns.idFromName(`${partner}:${key}`)).describe();
  return { partner: owner, bytes };
};

test("Sec-GPC: an opted-out decision writes no history, links no shopper, logs nothing for learning; its events stay aggregate", async (t) => {
  const edge = await startEdge(t);
  // A body cannot switch the header off.
  const res = await decide(edge, { partner: "acme", placement: "confirmation", attributes: CONTEXT, shopperId: "shopper-1", consent: { gpc: false } },
    { ...GPC, ...backend("acme") });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.body.privacy.saleOptOut, res.body.privacy.personalization, res.body.privacy.measurement], [true, false, false]);
  assert.ok(res.body.privacy.because.includes("gpc"));
  assert.equal(res.headers.get("set-cookie"), null);
  assert.deepEqual(await history(edge, "acme", "shopper-1"), { partner: null, bytes: 0 }, "the Durable Object was not even claimed");
  const [record] = await edge.sql("SELECT shopper_key, features, measurement FROM decision_records WHERE decision_id = ?", res.body.decisionId);
  assert.deepEqual(record, { shopper_key: null, features: null, measurement: 0 });
  assert.ok((await edge.sql("SELECT eligible FROM decision_offers WHERE decision_id = ?", res.body.decisionId)).every((r) => r.eligible === null));

  const offers = res.body.placements[0].offers;
  const sent = await answer(await edge.post("/v1/events", { events: [...offers.map((o) => engagement("impression", o)), engagement("accept", offers[0])] }));
  assert.equal(sent.body.accepted, offers.length + 1, sent.text);
  const rows = await edge.sql("SELECT aggregate_only, shopper_key, eh, propensity, features FROM billable_events");
  assert.ok(rows.every((r) => r.aggregate_only === 1 && r.shopper_key === null && r.eh === null && r.propensity === null && r.features === null));
  assert.deepEqual(await history(edge, "acme", "shopper-1"), { partner: null, bytes: 0 }, "engagement did not reach history");
  const report = await answer(await edge.fetch("/v1/reports/acme?groupBy=", { headers: backend("acme") }));
  assert.deepEqual([report.body.totals.impressions, report.body.totals.accepts], [offers.length, 1], "counted");
  const exported = await (await edge.fetch("/v1/reports/acme/events", { headers: backend("acme") })).text();
  assert.equal(exported, "", "never exported");

  // The same shopper without the signal: history is kept as before.
  const plain = await decide(edge, { partner: "acme", placement: "confirmation", attributes: CONTEXT, shopperId: "shopper-1" }, backend("acme"));
  assert.equal(plain.body.privacy.measurement, true);
  assert.ok((await history(edge, "acme", "shopper-1")).bytes > 0);
});

test("explicit consent: measurement off keeps the cookie unwritten; personalization off keeps history but no lookalike", async (t) => {
  const edge = await startEdge(t);
  const off = await decide(edge, { partner: "acme", placement: "confirmation", attributes: CONTEXT, consent: { measurement: false } });
  assert.deepEqual([off.body.privacy.saleOptOut, off.body.privacy.measurement, off.headers.get("set-cookie")], [false, false, null]);
  const personal = await decide(edge, { partner: "acme", placement: "confirmation", attributes: CONTEXT, consent: { personalization: false } });
  assert.deepEqual([personal.body.privacy.personalization, personal.body.privacy.measurement], [false, true]);
  assert.ok(personal.headers.get("set-cookie"), "measurement still on: the cookie history is written");
  assert.ok(personal.body.privacy.removed.includes("lookalike"));
  const usp = await decide(edge, { partner: "acme", placement: "confirmation", attributes: CONTEXT, consent: { usPrivacy: "1YYN" } });
  assert.deepEqual([usp.body.privacy.saleOptOut, usp.body.privacy.because.includes("usPrivacy")], [true, true]);
  const bad = await decide(edge, { partner: "acme", placement: "confirmation", attributes: CONTEXT, consent: "yes" });
  assert.deepEqual([bad.status, bad.body.error?.code], [400, "DECIDE_INVALID"]);
});

let cohort;
/** A partner with two always-eligible offers: one for the demo's licensed cohort of frequent travellers (Ada is in it), one for everyone. */
function travellers() {
  cohort ??= seedPartner(seed().dir, "wanderlust", { seed: 8, transform: (b) => {
    const gated = b.offers.find((o) => o.audiences.include.includes("frequent-travellers"));
    const plain = b.offers.find((o) => !o.audiences.include.length && !o.audiences.exclude.length);
    return keepOffers(b, [gated, plain]);
  } });
  const source = JSON.parse(readFileSync(cohort.bundlePath(1), "utf8"));
  return { ...cohort, gated: source.offers[0].id };
}

test("a licensed cohort never matches a shopper in the EU or the UK, by the page's country or the request's", async (t) => {
  const w = travellers();
  const edge = await startEdge(t, { partners: { wanderlust: { trust: w.trust, origins: [] } }, upload: false });
  await uploadBundle(edge.mf, "wanderlust", w.signed, w.page, w.form);
  const ada = createHash("sha256").update("ada@example.com").digest("hex");
  const shown = async (country, cf, headers) => {
    const res = await decide(edge, { partner: "wanderlust", placement: "confirmation", attributes: { ...CONTEXT, country, emailsha256: ada } }, headers, cf);
    assert.equal(res.status, 200, res.text);
    return res.body.placements.flatMap((p) => p.offers.map((o) => o.offerId)).includes(w.gated);
  };
  assert.equal(await shown("US", { country: "US" }), true, "a US shopper in the cohort");
  for (const [page, geo] of [["FR", "FR"], ["DE", "US"], ["GB", "GB"], ["US", "FR"], ["US", "GB"], ["IE", "IE"]]) {
    assert.equal(await shown(page, { country: geo }), false, `page ${page}, request ${geo}`);
  }
  assert.equal(await shown(undefined, { country: "XX" }), false, "no known country: fail closed");
  assert.equal(await shown("US", { country: "US" }, GPC), false, "opted out: no licensed cohort");
});
