// The report page (www/report.html) in real Chromium against the real edge
// (worker.js in workerd, serving www/): a load run (scripts/lib/traffic.mjs:
// edge decides, signed and attested engagement, sealed confirmations,
// page-style unverified events, resends) goes in over HTTP, and every figure
// the page shows — KPI tiles, per day, per offer, per advertiser, accept
// rates and their intervals, the unverified stream — must equal a direct
// count over the raw rows in D1 (billable_events, unverified_events, outbox),
// with no resend counted twice. Also: a refused secret shows its code, an
// empty range says so, offer and advertiser ids written as markup stay text,
// the secret never reaches a URL or localStorage, and no console error or
// CSP violation happens. Saves test-artifacts/report.png (docs/screenshots/
// holds the committed copy).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_SECRETS, partnersConfig, poll, seed, startEdge, testBundle, uploadBundle } from "../edge/harness.js";
import { ARTIFACTS, closeBrowser, newContext, root } from "./harness.js";
import { advertiserApiSecretName, advertiserPostbackKeyName } from "../../edge/config.js";
import { apiSecretName, seedPartner } from "../../scripts/lib/edge.mjs";
import { partnerBackend } from "../../scripts/lib/partner-backend.mjs";
import { runTraffic } from "../../scripts/lib/traffic.mjs";

after(closeBrowser);

const TYPES = { impression: "impressions", accept: "accepts", decline: "declines", close: "closes", conversion: "conversions" };
/** A partner whose signed bundle names an offer and an advertiser in markup (a bundle signer is not the report's reader). */
const MALLORY = "mallory";
const XSS_OFFER = "<img src=x onerror=alert(1)>";
const XSS_ADVERTISER = "\"><svg onload=alert(2)>";
const MALLORY_SECRET = "mallory-backend-secret-0123456789";

const CSP_LOG = () => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
};

/** testBundle with its second offer's id and advertiser written as markup. */
function xssBundle(b) {
  testBundle(b);
  const offer = b.offers[1];
  const old = offer.id;
  offer.id = XSS_OFFER;
  offer.advertiser = XSS_ADVERTISER;
  if (b.model.offers?.[old]) {
    b.model.offers[XSS_OFFER] = b.model.offers[old];
    delete b.model.offers[old];
  }
  const priors = b.model.exploration?.priors;
  if (priors?.[old]) {
    priors[XSS_OFFER] = priors[old];
    delete priors[old];
  }
  return b;
}

/** 95 % Wilson score interval, computed here independently of the edge. */
function wilson(k, n) {
  if (!n) return null;
  const z = 1.959963984540054;
  const p = Math.min(1, k / n);
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const zero = () => ({ impressions: 0, accepts: 0, declines: 0, closes: 0, conversions: 0, confirmations: 0, reminders: 0 });

/** Direct counts over the raw rows of `partner`: totals, per day, offer and advertiser; the unverified stream. */
async function directCounts(edge, partner) {
  const totals = zero();
  const by = { day: new Map(), offer: new Map(), advertiser: new Map() };
  const bump = (row, field) => {
    totals[field]++;
    for (const key of Object.keys(by)) {
      const map = by[key];
      if (!map.has(row[key])) map.set(row[key], zero());
      map.get(row[key])[field]++;
    }
  };
  const events = await edge.sql(`SELECT type, offer_id AS offer, advertiser, strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch') AS day
    FROM billable_events WHERE partner = ?`, partner);
  for (const e of events) bump(e, TYPES[e.type]);
  // An email counts for the billable accept it confirms, on that accept's day.
  const mails = await edge.sql(`SELECT o.kind, b.offer_id AS offer, b.advertiser, strftime('%Y-%m-%d', b.time_ms / 1000, 'unixepoch') AS day
    FROM outbox o JOIN billable_events b ON b.partner = o.partner AND b.decision_id = o.decision_id AND b.offer_id = o.offer_id AND b.type = 'accept'
    WHERE o.partner = ? AND o.status = 'sent'`, partner);
  for (const m of mails) bump(m, m.kind === "confirmation" ? "confirmations" : "reminders");
  const unverified = { impression: 0, accept: 0, decline: 0, close: 0, conversion: 0 };
  for (const r of await edge.sql("SELECT type, COUNT(*) AS n FROM unverified_events WHERE partner = ? GROUP BY type", partner)) unverified[r.type] = r.n;
  return { totals, by, unverified, events: events.length };
}

/** Everything the page shows, read from its `data-figure` / `data-value` attributes. */
function readFigures(page) {
  return page.evaluate(() => {
    const num = (v) => (v === undefined || v === "" ? null : Number(v));
    const tile = (name) => {
      const el = document.querySelector(`.kpi[data-figure="${name}"]`);
      return { value: num(el.dataset.value), text: el.querySelector(".kpi-value").textContent };
    };
    const rows = (table, key) => Object.fromEntries([...document.querySelectorAll(`#${table} tbody tr`)].map((tr) => [
      tr.getAttribute(`data-${key}`),
      { label: tr.querySelector("th").textContent,
        ...Object.fromEntries([...tr.querySelectorAll("td[data-figure]")].flatMap((td) => [
          [td.dataset.figure, num(td.dataset.value)],
          ...(td.dataset.ciLow ? [["ci", [num(td.dataset.ciLow), num(td.dataset.ciHigh)]]] : []),
        ])) },
    ]));
    const rate = document.querySelector('.kpi[data-figure="acceptRate"]');
    return {
      tiles: Object.fromEntries(["impressions", "accepts", "declines", "closes", "conversions", "confirmations", "reminders"].map((n) => [n, tile(n)])),
      rate: { value: num(rate.dataset.value), ci: [num(rate.dataset.ciLow), num(rate.dataset.ciHigh)], text: rate.textContent },
      unverified: Object.fromEntries(["impression", "accept", "decline", "close", "conversion"].map((n) => [n, tile(`unverified-${n}`).value])),
      days: rows("daily-table", "day"),
      offers: rows("offers-table", "offer"),
      advertisers: rows("advertisers-table", "advertiser"),
      bars: Object.fromEntries([...document.querySelectorAll("#daily-chart g[data-day]")].map((g) => [g.dataset.day,
        Object.fromEntries([...g.querySelectorAll("rect")].map((r) => [r.dataset.series, num(r.dataset.value)]))])),
      rateRows: Object.fromEntries([...document.querySelectorAll("#rate-chart g[data-offer]")].map((g) => [g.dataset.offer,
        { value: num(g.dataset.value), ci: [num(g.dataset.ciLow), num(g.dataset.ciHigh)], label: g.querySelector("text.label").textContent }])),
      emptyShown: !document.querySelector('[data-figure="empty"]').hidden,
    };
  });
}

const near = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);
const fmt = new Intl.NumberFormat("en");

/** Opens the report with `fragment` and waits until it settles (`ready`, `empty` or `error`). */
async function openReport(page, url, fragment) {
  await page.goto(`${url}/report.html#${new URLSearchParams(fragment)}`);
  await page.waitForSelector('html[data-report="ready"], html[data-report="empty"], html[data-report="error"]', { timeout: 20_000 });
  return page.evaluate(() => document.documentElement.dataset.report);
}

test("the report page shows a load run's figures, equal to a direct count over the raw billable events", async (t) => {
  const s = seed();
  const dir = mkdtempSync(join(tmpdir(), "offer-edge-report-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mallory = seedPartner(dir, MALLORY, { transform: xssBundle, seed: 5 });
  // acme's advertisers post conversions (their postback keys) and read their own view (their API secrets).
  const advertisers = [...new Set(JSON.parse(readFileSync(s.acme.bundlePath(1), "utf8")).offers.map((o) => o.advertiser))].sort();
  const postbackKeys = Object.fromEntries(advertisers.map((a) => [a, `${a}-postback-key-0123456789abcdefghijklmnop`]));
  const advertiserSecret = (a) => `${a}-report-secret-0123456789`;
  const edge = await startEdge(t, {
    partners: { ...partnersConfig(s, { acme: { advertisers } }), [MALLORY]: { trust: mallory.trust, origins: [] } },
    vars: {
      // Reminders fire during the test, so the report has some to count.
      REMINDER_DELAY_MS: "300",
      [apiSecretName(MALLORY)]: MALLORY_SECRET,
      ...Object.fromEntries(advertisers.flatMap((a) => [[advertiserPostbackKeyName(a), postbackKeys[a]], [advertiserApiSecretName(a), advertiserSecret(a)]])),
    },
    extra: {
      host: "127.0.0.1",
      port: 0,
      // The edge serves www/ as the demo does (the report page is a static file).
      assets: { directory: join(root, "www"), routerConfig: { has_user_worker: true } },
      // acme's backend mints the checkout tokens of the attested orders.
      serviceBindings: { PARTNER_BACKEND: partnerBackend({ partner: "acme", keyPath: s.acme.checkoutKeyPath }) },
    },
  });
  await uploadBundle(edge.mf, MALLORY, mallory.signed, mallory.page, mallory.form);
  const url = (await edge.mf.ready).origin;

  // The load run.
  const run = await runTraffic({ url, partner: "acme", seed: 16, decides: 60, trust: s.acme.trust, postbackKey: (a) => postbackKeys[a] ?? null });
  assert.equal(run.decides.failed, 0, JSON.stringify(run.decides));
  assert.equal(run.answers.rejected, 0, JSON.stringify(run.answers.codes));
  assert.ok(run.answers.queued > 0, "some accepts asked for a confirmation email");
  assert.ok(run.sent.resent + run.sent.resentNewId > 0 && run.sent.unverified.impression > 0);
  // Every confirmation and its reminder are out before the report is read.
  await poll(async () => {
    const [r] = await edge.sql("SELECT SUM(kind = 'confirmation') AS c, SUM(kind = 'reminder') AS r FROM outbox WHERE partner = ? AND status = 'sent'", "acme");
    return r.c === run.answers.queued && r.r === run.answers.queued;
  }, "the confirmation emails and reminders");
  const direct = await directCounts(edge, "acme");

  await t.test("duplicates are not counted: D1 holds each engagement once", () => {
    const unique = Object.values(run.sent.billable).reduce((a, b) => a + b, 0);
    assert.equal(run.answers.accepted, unique - run.sent.billable.conversion, "the collector stored each event sent once");
    assert.equal(run.answers.duplicate, run.sent.resent + run.sent.resentNewId, "every resend was a duplicate");
    assert.equal(direct.events, unique, "billable_events: every engagement and conversion once");
    for (const [type, field] of Object.entries(TYPES)) assert.equal(direct.totals[field], run.sent.billable[type] ?? 0, type);
    assert.equal(direct.totals.confirmations, run.answers.queued);
    assert.ok(run.sent.billable.conversion > 0, "some accepts converted");
    assert.deepEqual(run.answers.conversions, { recorded: run.sent.billable.conversion, duplicate: run.sent.conversionsResent });
    assert.equal(direct.unverified.impression, run.sent.unverified.impression);
  });

  await t.test("every figure equals the direct count; the secret leaves the address bar and never reaches a URL", async (t) => {
    const { context, record, newPage } = await newContext(t, { viewport: { width: 1280, height: 900 } });
    await context.addInitScript(CSP_LOG);
    const page = await newPage();
    assert.equal(await openReport(page, url, { partner: "acme", secret: API_SECRETS.acme }), "ready");
    assert.equal(new URL(page.url()).hash, "", "the fragment is cleared");
    const f = await readFigures(page);

    for (const [name, value] of Object.entries(direct.totals)) {
      assert.equal(f.tiles[name].value, value, `tile ${name}`);
      assert.equal(f.tiles[name].text, fmt.format(value), `tile ${name} as shown`);
    }
    near(f.rate.value, direct.totals.accepts / direct.totals.impressions, "accept rate");
    const ci = wilson(direct.totals.accepts, direct.totals.impressions);
    near(f.rate.ci[0], ci[0], "accept rate CI low");
    near(f.rate.ci[1], ci[1], "accept rate CI high");
    assert.ok(f.rate.text.includes(`${(f.rate.value * 100).toFixed(1)}%`), f.rate.text);
    assert.deepEqual(f.unverified, direct.unverified);
    assert.equal(f.emptyShown, false);

    const compare = (shown, counted, what) => {
      assert.deepEqual(Object.keys(shown).sort(), [...counted.keys()].sort(), `${what}: the rows shown`);
      for (const [key, c] of counted) {
        const row = shown[key];
        assert.equal(row.label, key, `${what} ${key}: label`);
        for (const [field, value] of Object.entries(row)) {
          if (field === "label" || field === "ci" || field === "acceptRate") continue;
          assert.equal(value, c[field], `${what} ${key}: ${field}`);
        }
        if (c.impressions) {
          near(row.acceptRate, c.accepts / c.impressions, `${what} ${key}: accept rate`);
          const w = wilson(c.accepts, c.impressions);
          near(row.ci[0], w[0], `${what} ${key}: CI low`);
          near(row.ci[1], w[1], `${what} ${key}: CI high`);
        } else {
          assert.equal(row.acceptRate, null);
        }
      }
    };
    compare(f.days, direct.by.day, "day");
    compare(f.offers, direct.by.offer, "offer");
    compare(f.advertisers, direct.by.advertiser, "advertiser");
    // The charts draw the same figures.
    for (const [day, c] of direct.by.day) assert.deepEqual(f.bars[day], { impressions: c.impressions, accepts: c.accepts }, `bars of ${day}`);
    assert.equal(Object.keys(f.bars).length, 30, "the default range is the last 30 days, each drawn");
    for (const [offer, c] of direct.by.offer) {
      if (!c.impressions) continue;
      near(f.rateRows[offer].value, c.accepts / c.impressions, `rate dot of ${offer}`);
      near(f.rateRows[offer].ci[0], wilson(c.accepts, c.impressions)[0], `whisker of ${offer}`);
    }

    // The raw export the page offers has one line per billable event.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\r\n");
    assert.equal(csv.length - 1, direct.events, "CSV rows");

    // The secret: only ever a header; in this tab's sessionStorage, not in localStorage.
    for (const r of record.requests) assert.ok(!r.url.includes(API_SECRETS.acme), `the secret in ${r.url}`);
    const storage = await page.evaluate(() => ({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) }));
    assert.ok(!storage.local.includes(API_SECRETS.acme));
    assert.ok(storage.session.includes(API_SECRETS.acme));
    // A reload finds the secret in the tab and shows the same report.
    await page.reload();
    await page.waitForSelector('html[data-report="ready"]');
    assert.equal((await readFigures(page)).tiles.impressions.value, direct.totals.impressions);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
    assert.deepEqual(await page.evaluate(() => window.__csp), [], "CSP violations");
    assert.deepEqual(record.problems, []);
    assert.deepEqual(record.dialogs, []);
  });

  await t.test("on a phone the report does not scroll sideways", async (t) => {
    const { record, newPage } = await newContext(t, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await newPage();
    assert.equal(await openReport(page, url, { partner: "acme", secret: API_SECRETS.acme }), "ready");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    assert.deepEqual(record.problems, []);
  });

  await t.test("a wrong secret shows REPORT_AUTH_REQUIRED; a reversed range REPORT_INVALID; an empty range says so", async (t) => {
    const { context, record, newPage } = await newContext(t);
    await context.addInitScript(CSP_LOG);
    const page = await newPage();
    assert.equal(await openReport(page, url, { partner: "acme", secret: "not-the-secret-0123456789" }), "error");
    assert.equal(await page.getAttribute("#error", "data-code"), "REPORT_AUTH_REQUIRED");
    assert.match(await page.textContent("#error"), /REPORT_AUTH_REQUIRED/);
    assert.ok(await page.isVisible("#error"));
    assert.ok(await page.isHidden("#report"));
    assert.equal(await page.evaluate(() => sessionStorage.getItem("offer-edge:report")), null, "a refused secret is not kept");

    assert.equal(await openReport(page, url, { partner: "acme", secret: API_SECRETS.acme, from: "2026-12-05", to: "2026-11-01" }), "error");
    assert.equal(await page.getAttribute("#error", "data-code"), "REPORT_INVALID");

    assert.equal(await openReport(page, url, { partner: "acme", secret: API_SECRETS.acme, from: "2020-01-01", to: "2020-01-31" }), "empty");
    assert.ok(await page.isVisible('[data-figure="empty"]'));
    assert.equal((await page.textContent('[data-figure="empty"]')).trim(), "No billable events in this range.");
    assert.ok(await page.isHidden("#error"));
    assert.equal(await page.getAttribute('.kpi[data-figure="impressions"]', "data-value"), "0");

    assert.deepEqual(await page.evaluate(() => window.__csp), [], "CSP violations");
    // Chromium logs each refused fetch (401, 400) as a console error; nothing else may appear.
    assert.deepEqual(record.problems.filter((p) => !/Failed to load resource: the server responded with a status of 40[01]/.test(p)), []);
  });

  await t.test("an advertiser's view shows its own offers' figures only, without the unverified stream or the export", async (t) => {
    const adv = advertisers[0];
    const { record, newPage } = await newContext(t);
    const page = await newPage();
    assert.equal(await openReport(page, url, { partner: "acme", advertiser: adv, secret: advertiserSecret(adv) }), "ready");
    const f = await readFigures(page);
    const own = direct.by.advertiser.get(adv);
    for (const [name, value] of Object.entries(own)) assert.equal(f.tiles[name].value, value, `${adv}: tile ${name}`);
    assert.deepEqual(Object.keys(f.advertisers), [adv]);
    const offers = await edge.sql("SELECT DISTINCT offer_id FROM billable_events WHERE partner = ? AND advertiser = ?", "acme", adv);
    assert.deepEqual(Object.keys(f.offers).sort(), offers.map((r) => r.offer_id).sort());
    assert.ok(await page.isHidden("#unverified-block"));
    assert.ok(await page.isHidden("#export"));
    assert.match(await page.textContent('[data-figure="view"]'), new RegExp(`Advertiser view: ${adv}`));
    // Another advertiser's id with this secret is refused.
    assert.equal(await openReport(page, url, { partner: "acme", advertiser: advertisers[1], secret: advertiserSecret(adv) }), "error");
    assert.equal(await page.getAttribute("#error", "data-code"), "REPORT_AUTH_REQUIRED");
    assert.deepEqual(record.problems.filter((p) => !/status of 401/.test(p)), []);
  });

  await t.test("offer and advertiser ids written as markup render as text: no element, no dialog", async (t) => {
    const attack = await runTraffic({ url, partner: MALLORY, seed: 3, decides: 6, attestedShare: 0 });
    assert.equal(attack.answers.rejected, 0);
    const [row] = await edge.sql("SELECT COUNT(*) AS n FROM billable_events WHERE partner = ? AND offer_id = ?", MALLORY, XSS_OFFER);
    assert.ok(row.n > 0, "the markup offer has billable events");
    const { context, record, newPage } = await newContext(t);
    await context.addInitScript(CSP_LOG);
    const page = await newPage();
    assert.equal(await openReport(page, url, { partner: MALLORY, secret: MALLORY_SECRET }), "ready");
    const f = await readFigures(page);
    assert.equal(f.offers[XSS_OFFER].label, XSS_OFFER);
    assert.equal(f.advertisers[XSS_ADVERTISER].label, XSS_ADVERTISER);
    assert.equal(f.rateRows[XSS_OFFER].label, XSS_OFFER);
    const injected = await page.evaluate(() => ({
      img: document.querySelectorAll("img").length,
      svgInHtml: [...document.querySelectorAll("svg")].filter((s) => !s.closest(".chart")).length,
      onHandlers: [...document.querySelectorAll("*")].filter((n) => [...n.attributes].some((a) => a.name.startsWith("on"))).length,
    }));
    assert.deepEqual(injected, { img: 0, svgInHtml: 0, onHandlers: 0 });
    await page.waitForTimeout(200);
    assert.deepEqual(record.dialogs, []);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], "CSP violations");
    assert.deepEqual(record.problems, []);
  });
});
