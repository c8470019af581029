// Hybrid decisions (docs/BROWSER.md, "Where offers are decided"): the same
// checkout decided at the edge, in the page, and by "auto" on a first and a
// repeat visit — with what each sends over the network, in real Chromium
// against the real edge (workerd), using the built snippet (www/oe/).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { browserBundle, closeBrowser, newContext, openDemo, poll, root, seed, serveAtBundleUrl, shownOffers, signExpiringIn, startBackend } from "./harness.js";

after(closeBrowser);

const DECIDE = "/v1/decide";
const isDecide = (r) => new URL(r.url).pathname === DECIDE;
const isWasm = (r) => new URL(r.url).pathname.endsWith(".wasm");

/** Requests of `record` from index `from` on. */
const since = (record, from) => record.requests.slice(from);

/**
 * Resources of the current page view that went to the network (not the
 * browser's cache) before the demo's first offers were shown, except the
 * page's own request for its checkout token (a partner renders it inline).
 */
function networkBeforeOffers(page) {
  return page.evaluate(() => {
    const [shown] = performance.getEntriesByName("offers-shown");
    return performance.getEntriesByType("resource")
      .filter((e) => e.startTime < shown.startTime && e.transferSize > 0 && !e.name.includes("/demo/partner/"))
      .map((e) => new URL(e.name).pathname);
  });
}

/** When the offers were first shown in this page view (ms since the epoch). */
function offersShownAt(page) {
  return page.evaluate(() => performance.timeOrigin + performance.getEntriesByName("offers-shown")[0].startTime);
}

const kept = (page) => page.evaluate(() => localStorage.getItem("offer-edge:acme:kept"));

test("decideAt edge: one decide request without names or the raw email, signed receipts, billable attested events; no engine loaded", async (t) => {
  const edge = await startBackend(t);
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url, "?decideAt=edge");
  assert.equal((await shownOffers(page)).length, 3);
  const decides = record.requests.filter(isDecide);
  assert.equal(decides.length, 1);
  const body = JSON.parse(decides[0].body);
  assert.deepEqual(Object.keys(body).sort(), ["attributes", "checkoutToken", "partner", "placements"]);
  assert.deepEqual(body.placements, ["confirmation"]);
  assert.match(body.attributes.emailsha256, /^[0-9a-f]{64}$/);
  assert.equal(body.attributes.email, undefined, "the email goes as its hash");
  // Names stay in the page: the edge gets markers, and the page fills them in.
  assert.deepEqual([body.attributes.firstname, body.attributes.lastname], ["\ue000firstname\ue001", "\ue000lastname\ue001"]);
  assert.ok(!decides[0].body.includes("Ada") && !decides[0].body.includes("Lovelace"));
  const text = await page.evaluate(() => document.querySelector("#offers [data-offer-edge-placement]").shadowRoot.textContent);
  assert.ok(text.includes("Ada,") && !/undefined|\ue000/.test(text), text);
  const impressions = await poll(async () => {
    const rows = (await edge.events()).filter((e) => e.type === "impression");
    return rows.length === 3 && rows;
  }, "three impressions");
  for (const e of impressions) assert.equal(e.stream, "billable", JSON.stringify(e));
  await page.waitForTimeout(1500); // idle time passes: "edge" never warms the page engine
  assert.equal(record.requests.filter(isWasm).length, 0, "no WebAssembly was fetched");
  assert.deepEqual(record.problems, []);
});

test("decideAt page: decided in the page from the verified bundle, no decide request", async (t) => {
  const edge = await startBackend(t);
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url, "?decideAt=page");
  assert.equal((await shownOffers(page)).length, 3);
  assert.equal(record.requests.filter(isDecide).length, 0);
  assert.equal(record.requests.filter(isWasm).length, 1);
  await poll(async () => (await edge.events()).filter((e) => e.type === "impression" && e.stream === "billable").length === 3,
    "three attested impressions");
  assert.deepEqual(record.problems, []);
});

test("auto: a first visit decides at the edge and loads the engine only after the offers are shown; the repeat visit decides in the page with no request before the offers", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  const wasmRequested = [];
  context.on("request", (r) => { if (isWasm({ url: r.url() })) wasmRequested.push(Date.now()); });
  const page = await newPage();
  await openDemo(page, edge.url);
  assert.equal((await shownOffers(page)).length, 3);
  assert.equal(record.requests.filter(isDecide).length, 1, "the first visit asks the edge");
  // Warm-up in idle time, after the paint (in the engine worker): the WASM, then the bundle, kept for the next visit.
  await poll(() => kept(page), "the verified bundle kept");
  const shownAt = await offersShownAt(page);
  assert.equal(wasmRequested.length, 1);
  assert.ok(wasmRequested[0] >= shownAt, `the WASM is fetched ${wasmRequested[0] - shownAt} ms after the offers are shown`);

  const before = record.requests.length;
  await openDemo(page, edge.url);
  assert.equal((await shownOffers(page)).length, 3);
  assert.deepEqual(await networkBeforeOffers(page), [], "nothing goes to the network before the offers are shown");
  assert.equal(since(record, before).filter(isDecide).length, 0, "decided in the page");
  // Its events still arrive (after the paint), and are attested.
  await poll(async () => (await edge.events()).filter((e) => e.type === "impression").length === 6, "six impressions");
  assert.deepEqual(record.problems, []);
});

test("auto: a kept bundle is never used past its expiry — the edge decides instead", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  const { form, expiresAt } = signExpiringIn(9, 12_000);
  await serveAtBundleUrl(context, form);
  const page = await newPage();
  await openDemo(page, edge.url);
  await poll(async () => JSON.parse((await kept(page)) ?? "null")?.version === 9, "bundle 9 kept");
  const before = record.requests.length;
  await openDemo(page, edge.url);
  assert.equal(since(record, before).filter(isDecide).length, 0, "decided in the page while bundle 9 is valid");
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 300)));
  const later = record.requests.length;
  await openDemo(page, edge.url);
  // Two of the three offers: the link offer (capped at 2 a day) was shown on both earlier visits.
  assert.deepEqual((await shownOffers(page)).sort(), [seed().offers.coupon, seed().offers.addToCart].sort(), "the edge's bundle decides");
  assert.equal(since(record, later).filter(isDecide).length, 1, "the expired kept bundle sent the decision to the edge");
  assert.deepEqual(record.problems, []);
});

test("caps reserved at the edge: three page views of one attested shopper at once show an offer capped at 2 at most twice", async (t) => {
  const edge = await startBackend(t);
  const { offers } = seed();
  const { record, newPage } = await newContext(t);
  const pages = await Promise.all([newPage(), newPage(), newPage()]);
  await Promise.all(pages.map((p) => openDemo(p, edge.url, "?decideAt=edge&persona=grace")));
  const shown = await Promise.all(pages.map((p) => shownOffers(p)));
  const link = shown.filter((ids) => ids.includes(offers.link)).length;
  assert.ok(link <= 2, `the capped offer was shown ${link} times: ${JSON.stringify(shown)}`);
  assert.equal(shown.filter((ids) => ids.includes(offers.coupon)).length, 3, "uncapped offers show in every view");
  assert.equal(record.requests.filter(isDecide).length, 3);
  assert.deepEqual(record.problems, []);
});

test("the snippet's email hash is the engine's (hashIdentifier) wherever it computes one, and defers to the engine elsewhere", async (t) => {
  const edge = await startBackend(t);
  const { newPage } = await newContext(t);
  const page = await newPage();
  await page.goto(`${edge.url}/checkout.html`);
  // The shared fixture of emails (tests/fixtures/checkout/emails.json) and whitespace and case edge cases.
  const fixture = JSON.parse(readFileSync(join(root, "tests/fixtures/checkout/emails.json"), "utf8")).map((c) => c.email);
  const emails = [...new Set(fixture.concat(["ada@example.com", " \tAda@Example.COM\r\n", "A@B", "x\u00a0@example.com",
    "\ufeffada@example.com", "ada@example.com\u0085", "ΣΊΣΥΦΟΣ@example.gr", "İstanbul@example.com"]))];
  const rows = await page.evaluate(async (list) => {
    const { emailHash } = await import("/oe-edge.js");
    const oe = await import("/pkg/browser.js");
    await oe.ready;
    return Promise.all(list.map(async (email) => ({ email, js: await emailHash(email), engine: oe.hashIdentifier("email", email) })));
  }, emails);
  for (const { email, js, engine } of rows) {
    if (/^[\t\n\v\f\r\x20-\x7e]*$/.test(email)) assert.equal(js, engine, `JS hashes ${JSON.stringify(email)} as the engine does`);
    else assert.equal(js, null, `${JSON.stringify(email)} is left to the engine`);
  }
});

test("a checkout token the edge refuses costs the order its attestation, not its offers: TOKEN_INVALID, decided without it, events without it", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  // Shaped like a token (the page's check passes), signed by nobody the edge knows.
  const forged = `${Buffer.from('{"alg":"EdDSA","kid":"acme-checkout"}').toString("base64url")}.${Buffer.from('{"iss":"acme"}').toString("base64url")}.${"A".repeat(86)}`;
  await context.route("**/demo/partner/checkout-token", (route) => route.fulfill({
    status: 200, contentType: "application/json", body: JSON.stringify({ order: "DO-1", token: forged }),
  }));
  const page = await newPage();
  await openDemo(page, edge.url, "?decideAt=edge");
  assert.equal((await shownOffers(page)).length, 3, record.warnings.join("\n"));
  const decides = record.requests.filter(isDecide).map((r) => JSON.parse(r.body));
  assert.deepEqual(decides.map((b) => "checkoutToken" in b), [true, false]);
  assert.ok(record.warnings.some((w) => /TOKEN_(INVALID|KEY_UNKNOWN)/.test(w)), record.warnings.join("\n"));
  const impressions = await poll(async () => {
    const rows = (await edge.events()).filter((e) => e.type === "impression");
    return rows.length === 3 && rows;
  }, "three impressions");
  // Bound to the edge's own decision (signed receipt), not to an order.
  for (const e of impressions) assert.deepEqual([e.stream, e.order], ["billable", null]);
  assert.ok(!record.requests.some((r) => r.body.includes(forged) && new URL(r.url).pathname === "/v1/events"));
  // Chromium's own line for the refused request (401) is the only console error.
  assert.deepEqual(record.problems.filter((p) => !/Failed to load resource: .* 401/.test(p)), []);
});

/** Bundle 11: the coupon excludes the demo's confidential suppression list (grace@example.com is on it). */
function confidentialBundle() {
  const LIST = "existing-subscribers";
  const signed = seed().sign(11, { transform: (b) => {
    const list = b.audiences.find((a) => a.id === LIST);
    assert.ok(list && list.confidential, "the demo bundle's subscriber list is confidential");
    browserBundle(b);
    b.audiences = [list];
    b.offers.find((o) => o.action.type === "coupon").audiences.exclude = [LIST];
    return b;
  } });
  return { signed, list: JSON.parse(readFileSync(join(seed().dir, "bundle.v11.json"), "utf8")).audiences[0] };
}

/** A selection from the page's own (built) snippet for `email`, deciding where `decideAt` says: the offer ids shown. */
function selectFor(page, decideAt, email) {
  return page.evaluate(async ([mode, address]) => {
    const { createLauncher } = await import(document.querySelector('script[src*="oe/offer-edge."]').src);
    const config = { ...(await (await fetch("/demo-config.json")).json()), decideAt: mode, warmWaitMs: 5000 };
    const target = document.body.appendChild(document.createElement("div"));
    const launcher = await createLauncher(config);
    const selection = await launcher.selectPlacements({ attributes: { email: address, state: "NY", country: "US" }, target });
    const shown = selection.offers.map((o) => o.offerId);
    selection.destroy();
    return { shown, edgeOnly: (launcher.bundleInfo()?.edgeOnly ?? []).map((e) => e.offerId) };
  }, [decideAt, email]);
}

test("a confidential audience: the public bundle answers no membership question; the edge still applies it; the page treats its offers as edge-only", async (t) => {
  const { signed, list } = confidentialBundle();
  assert.ok(signed.page, "sign wrote a page edition");
  const edge = await startBackend(t);
  await edge.setBundle("acme", signed);
  const { offers } = seed();
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url, "?decideAt=edge");
  // What anyone gets at the bundle URLs (the signed page bundle, and the
  // compiled form pages load): neither the list's filter nor its salt, as
  // text or as the bytes they decode to.
  const served = await page.evaluate(async () => (await fetch("/v1/bundles/acme")).text());
  assert.ok(!served.includes(list.salt) && !served.includes(list.filter.slice(0, 64)), "the public bundle holds no trace of the list");
  assert.ok(served.includes('"confidential":true') || served.includes('"confidential": true'));
  const form = Buffer.from(await page.evaluate(async () => [...new Uint8Array(await (await fetch("/v1/bundles/acme/compiled")).arrayBuffer())]));
  assert.ok(form.equals(signed.form), "pages get the form sign wrote (of the page edition)");
  // A compiled form keeps a filter's salt verbatim and its fingerprints (the filter file's tail) raw.
  for (const trace of [Buffer.from(list.salt), Buffer.from(list.filter, "base64").subarray(-32)]) {
    assert.equal(form.indexOf(trace), -1, "the compiled form holds no trace of the list");
  }
  // The edge decides with the list: Grace (on it) never gets the coupon, someone else does.
  assert.ok(!(await selectFor(page, "edge", "grace@example.com")).shown.includes(offers.coupon), "the edge suppresses a listed shopper");
  assert.ok((await selectFor(page, "edge", "nobody@example.com")).shown.includes(offers.coupon), "an unlisted shopper gets it at the edge");
  // In the page the coupon is edge-only, for everyone alike: nothing to learn from it.
  const listed = await selectFor(page, "page", "grace@example.com");
  const unlisted = await selectFor(page, "page", "nobody@example.com");
  assert.deepEqual(listed.edgeOnly, [offers.coupon]);
  assert.ok(!listed.shown.includes(offers.coupon) && !unlisted.shown.includes(offers.coupon));
  assert.deepEqual(listed.shown.sort(), unlisted.shown.sort());
  assert.deepEqual(record.problems, []);
});
