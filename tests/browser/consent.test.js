// Consent signals and forgetting (issue 17; docs/BROWSER.md, "Consent and
// forgetting"), in real Chromium against the real edge, with the built
// snippet: per consent state, what the decide request carries, what the
// Decision's `privacy` says (the demo shows it), what is stored and what is
// sent, on a first visit (decided at the edge) and a repeat visit (decided
// in the page); and `launcher.forget()`.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { click, closeBrowser, newContext, openDemo, PARTNER, poll, queueDrained, seed, shownOffers, startBackend } from "./harness.js";

after(closeBrowser);

const isDecide = (r) => new URL(r.url).pathname === "/v1/decide";
const isEvents = (r) => new URL(r.url).pathname === "/v1/events";
/** What an opt-out of sale and sharing removes (the contract with the core). */
const OPT_OUT = ["eventDetail", "historyWrites", "licensedCohorts", "lookalike"];
/** Keys of the partner that hold nothing about the shopper: the kept bundle's marker and the rollback floor. */
const BUNDLE_KEYS = new Set([`offer-edge:${PARTNER}:kept`, `offer-edge:${PARTNER}:state`]);

/** Global Privacy Control as a browser that supports it exposes it (Chromium has no switch for it). */
const GPC = () => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true, configurable: true });
/** An IAB CMP in the page answering US Privacy `1YYN` (opted out of sale and sharing). */
const CMP_1YYN = () => {
  window.__uspapi = (command, version, callback) => {
    if (command === "getUSPData") setTimeout(() => callback({ version: 1, uspString: "1YYN" }, true), 5);
  };
};

/** localStorage and sessionStorage entries of the page's origin: `{key: value}`. */
function webStorage(page) {
  return page.evaluate(() => {
    const out = {};
    for (const area of [localStorage, sessionStorage]) {
      for (let i = 0; i < area.length; i++) out[area.key(i)] = area.getItem(area.key(i));
    }
    return out;
  });
}

/** The partner's stored keys that are about the shopper (history, unrecorded, queue, session). */
async function personalKeys(page) {
  return Object.keys(await webStorage(page)).filter((k) => k.startsWith(`offer-edge:${PARTNER}:`) && !BUNDLE_KEYS.has(k)).sort();
}

/** IndexedDB databases of the origin (the snippet keeps none). */
const databases = (page) => page.evaluate(async () => (indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : []));

/** The Decision's `privacy`, as the demo shows it (selection.privacy). */
async function privacyShown(page) {
  const raw = await page.getAttribute("#privacy-status", "data-privacy");
  return raw ? JSON.parse(raw) : null;
}

const STATES = [
  { name: "no signal", query: "", consent: undefined, measured: true, toggle: true,
    privacy: { saleOptOut: false, personalization: true, measurement: true }, removed: [] },
  { name: "Global Privacy Control (navigator.globalPrivacyControl)", init: GPC, query: "", consent: { gpc: true }, measured: false,
    privacy: { saleOptOut: true, personalization: false, measurement: false }, removed: OPT_OUT },
  { name: "a CMP's US Privacy string 1YYN (__uspapi)", init: CMP_1YYN, query: "", consent: { usPrivacy: "1YYN" }, measured: false,
    privacy: { saleOptOut: true, personalization: false, measurement: false }, removed: OPT_OUT },
  { name: "consent {personalization: false}", query: "?personalization=0", consent: { personalization: false }, measured: true,
    privacy: { saleOptOut: false, personalization: false, measurement: true }, removed: ["licensedCohorts", "lookalike"] },
  { name: "consent {measurement: false}", query: "?measurement=0", consent: { measurement: false }, measured: false,
    privacy: { saleOptOut: false, personalization: true, measurement: false }, removed: ["eventDetail", "historyWrites"] },
];

for (const s of STATES) {
  test(`consent: ${s.name} — the edge and the page get it, the Decision's privacy says what went, ${s.measured ? "history and events as usual" : "nothing stored, no event sent"}`, async (t) => {
    const edge = await startBackend(t);
    const { context, record, newPage } = await newContext(t);
    if (s.init) await context.addInitScript(s.init);
    // No checkout token: the edge keeps an unattested shopper's history in its own cookie (an attested
    // one's in a Durable Object), so the browser's cookie jar shows whether the edge wrote history.
    await context.route("**/demo/partner/checkout-token", (route) => route.fulfill({ contentType: "application/json", body: "{}" }));
    const page = await newPage();

    // First visit: decided at the edge, with the consent in the body.
    await openDemo(page, edge.url, s.query);
    assert.equal((await shownOffers(page)).length, 3, "offers still show");
    const decides = record.requests.filter(isDecide);
    assert.equal(decides.length, 1);
    assert.deepEqual(JSON.parse(decides[0].body).consent, s.consent, "the decide request carries the consent");
    const edgePrivacy = await privacyShown(page);
    assert.ok(edgePrivacy, "an edge decision says what the privacy choices removed");
    assert.deepEqual({ saleOptOut: edgePrivacy.saleOptOut, personalization: edgePrivacy.personalization, measurement: edgePrivacy.measurement }, s.privacy);
    assert.deepEqual([...edgePrivacy.removed].sort(), s.removed);
    if (s.removed.length) assert.ok(edgePrivacy.because.length > 0, "and why");
    // The page engine warms up in idle time and keeps the (non-personal) bundle for the next visit.
    await poll(() => page.evaluate((p) => localStorage.getItem(`offer-edge:${p}:kept`), PARTNER), "the verified bundle kept");

    // Repeat visit: decided in the page, by the page engine with the same consent.
    const before = record.requests.length;
    await openDemo(page, edge.url, s.query);
    assert.ok((await shownOffers(page)).length >= 2, "offers still show");
    assert.equal(record.requests.slice(before).filter(isDecide).length, 0, "decided in the page");
    assert.deepEqual(await privacyShown(page), edgePrivacy, "the page engine applies the same consent as the edge");
    await click(page, "decline", (await shownOffers(page))[0]);
    await page.waitForTimeout(1000); // the decline's history write and event would be made by now

    if (s.measured) {
      assert.ok((await personalKeys(page)).includes(`offer-edge:${PARTNER}:history`), "the history is kept");
      await poll(async () => (await edge.events()).some((e) => e.type === "decline"), "the decline event at the collector");
      assert.ok((await context.cookies()).some((c) => c.name === `oe_h_${PARTNER}`), "the edge kept its history cookie");
      if (s.toggle) {
        // The demo's "Do not sell or share": the same page decides again with this call's usPrivacy "1YYN";
        // what is stored stays exactly as it was and nothing more is sent.
        await queueDrained(page);
        const stored = await webStorage(page);
        const sent = record.requests.filter(isEvents).length;
        await page.check("#do-not-sell");
        await page.waitForSelector("html[data-offers-ready]");
        assert.ok((await shownOffers(page)).length >= 1, "offers still show");
        assert.deepEqual((await privacyShown(page)).because, ["usPrivacy"]);
        await page.waitForTimeout(1000);
        assert.deepEqual(await webStorage(page), stored, "storage untouched");
        assert.equal(record.requests.filter(isEvents).length, sent, "no event sent");
      }
    } else {
      assert.deepEqual(await personalKeys(page), [], "no history, engagement, queue or session stored");
      assert.deepEqual(await context.cookies(), [], "no cookie (the edge's history cookie included)");
      assert.deepEqual(await databases(page), [], "no IndexedDB");
      assert.deepEqual(record.requests.filter(isEvents), [], "no event sent: the edge counted the impressions when it decided");
      assert.equal((await edge.events()).length, 0, "no per-event row at the collector");
      // Forgetting with nothing stored is safe.
      await page.click("#forget");
      await page.waitForSelector("#track-status:has-text('forgotten')");
      assert.deepEqual(await personalKeys(page), []);
    }
    assert.deepEqual(record.problems, []);
  });
}

test("launcher.forget(): history, unrecorded engagements, queued events and the session go; the declined offer shows again; another partner's keys stay", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  // The collector is unreachable: events stay queued.
  await context.route("**/v1/events", (route) => route.abort());
  const page = await newPage();
  const { link } = seed().offers;
  await openDemo(page, edge.url, "?decideAt=page");
  assert.equal((await shownOffers(page)).length, 3);
  const others = { "offer-edge:other-shop:history": "b3RoZXI=", "offer-edge:other-shop:queue": "[]", [`offer-edge:${PARTNER}-two:history`]: "dHdv" };
  await page.evaluate((entries) => { for (const [k, v] of Object.entries(entries)) localStorage.setItem(k, v); }, others);
  await poll(async () => (await webStorage(page))[`offer-edge:${PARTNER}:queue`], "impressions queued");
  await click(page, "decline", link);
  await poll(async () => {
    const stored = await webStorage(page);
    return stored[`offer-edge:${PARTNER}:history`] && !stored[`offer-edge:${PARTNER}:unrecorded`];
  }, "the decline in the stored history");
  // The decline holds for the next order of this page view (decided in the page from the stored history).
  await page.click('[data-persona="grace"]');
  await page.waitForSelector("html[data-offers-ready]");
  assert.ok(!(await shownOffers(page)).includes(link), "the declined offer is suppressed");
  assert.deepEqual(await personalKeys(page),
    ["history", "queue", "session"].map((k) => `offer-edge:${PARTNER}:${k}`));

  await page.click("#forget");
  await page.waitForSelector("#track-status:has-text('forgotten')");
  const stored = await webStorage(page);
  assert.deepEqual(await personalKeys(page), [], "nothing about the shopper is left");
  for (const [k, v] of Object.entries(others)) assert.equal(stored[k], v, `${k} is another partner's and stays`);
  assert.ok(stored[`offer-edge:${PARTNER}:kept`], "the kept bundle (the same for every shopper) stays");
  // Idempotent.
  await page.click("#forget");
  assert.deepEqual(await personalKeys(page), []);

  // A new decision starts from an empty history; the forgotten events never reach the collector.
  await context.unroute("**/v1/events");
  await page.click('[data-persona="ada"]');
  await page.waitForSelector("html[data-offers-ready]");
  assert.ok((await shownOffers(page)).includes(link), "the declined offer shows again");
  await poll(async () => (await edge.events()).filter((e) => e.type === "impression").length === 3, "this view's impressions");
  await page.waitForTimeout(500);
  const events = await edge.events();
  assert.deepEqual(events.map((e) => e.type), ["impression", "impression", "impression"], "only what came after forget()");
  assert.deepEqual(record.problems.filter((p) => !/ERR_FAILED|Failed to load resource/.test(p)), []);
});

test("the consent signals in the page: GPC cannot be turned off, unreadable consent counts as none, a silent CMP costs at most cmpWaitMs", async (t) => {
  const edge = await startBackend(t);
  const { context, newPage } = await newContext(t);
  await context.addInitScript(GPC);
  const page = await newPage();
  await page.goto(`${edge.url}/checkout.html`);
  const out = await page.evaluate(async () => {
    const { consentNow, statedConsent } = await import("/oe-consent.js");
    const warned = [];
    const warn = (code) => warned.push(code);
    const gpcOff = await consentNow(statedConsent({ consent: { personalization: true, measurement: true } }, warn), 50, warn);
    const invalid = statedConsent({ consent: { gpc: false } }, warn);
    const wrongType = statedConsent({ consent: { measurement: "yes" } }, warn);
    window.__uspapi = () => {}; // a CMP that never answers
    window.__gpp = (command, callback) => callback({ gppString: "DBABMA~CqQAAAAAAAAA.QA" }, true);
    const started = performance.now();
    const silent = await consentNow({}, 100, warn);
    const waited = performance.now() - started;
    const stated = await consentNow(statedConsent({ usPrivacy: "1YNN" }, warn), 100, warn);
    return { gpcOff, invalid, wrongType, silent, waited, stated, warned };
  });
  assert.deepEqual(out.gpcOff, { gpc: true, personalization: true, measurement: true }, "GPC stays on whatever the page states");
  assert.deepEqual(out.invalid, { personalization: false, measurement: false }, "consent naming gpc is refused: no consent");
  assert.deepEqual(out.wrongType, { personalization: false, measurement: false });
  assert.deepEqual(out.silent, { gpc: true, gpp: "DBABMA~CqQAAAAAAAAA.QA" }, "no US Privacy from a CMP that does not answer");
  assert.ok(out.waited < 400, `waited ${out.waited} ms for the CMP`);
  assert.deepEqual(out.stated, { gpc: true, usPrivacy: "1YNN", gpp: "DBABMA~CqQAAAAAAAAA.QA" }, "the partner's string wins over the CMP's");
  assert.deepEqual(out.warned, ["CONSENT_INVALID", "CONSENT_INVALID", "CMP_TIMEOUT"]);
});
