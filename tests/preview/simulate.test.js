// The 1,000-shopper simulation, the template check, keyboard access and the
// desktop screenshot of the preview.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, assertNoProblems, openPreview, root, seed, settled, shownIn, startServer, waitForRow } from "./harness.js";

// Each offer's shown rate over 1,000 seeded decisions vs the mean propensity
// the engine logged when it showed it. Sampling error of a rate is at most
// sqrt(0.25/1000) ≈ 0.016; each logged propensity is computed by quadrature
// (within 0.004 of exact), and its mean is taken over the runs that showed the
// offer. 0.05 absolute is three standard errors of the rate plus room.
const TOLERANCE = 0.05;
const MIN_IMPRESSIONS = 50;

test("simulating 1,000 shoppers: shares sum to 100% and match the logged propensities", async (t) => {
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  await settled(page);
  await page.click("#simulate");
  await page.waitForSelector("#sim-results[data-state='done'] .sim-placement", { timeout: 120_000 });
  const results = await page.locator("#sim-results .sim-placement").evaluateAll((sections) => sections.map((s) => ({
    placement: s.dataset.placement,
    slots: Number(s.dataset.slots),
    bars: s.querySelectorAll("svg .sim-bar").length,
    offers: [...s.querySelectorAll("tbody tr")].map((r) => ({ offerId: r.dataset.offer, count: Number(r.dataset.count),
      share: Number(r.dataset.share), rate: Number(r.dataset.rate), conditionalRate: Number(r.dataset.conditionalRate),
      available: Number(r.dataset.available), propensity: Number(r.dataset.propensity) })),
  })));
  assert.deepEqual(results.map((r) => r.placement).sort(), ["confirmation", "sidebar"]);
  for (const r of results) {
    assert.equal(r.bars, r.offers.length, "one bar per offer");
    const shares = r.offers.reduce((s, o) => s + o.share, 0);
    assert.ok(Math.abs(shares - 1) < 1e-9, `${r.placement}: shares sum to ${shares}`);
    assert.equal(r.offers.reduce((s, o) => s + o.count, 0), r.slots);
    const checked = r.offers.filter((o) => o.count >= MIN_IMPRESSIONS);
    assert.ok(checked.length >= 1, `${r.placement}: some offer is shown at least ${MIN_IMPRESSIONS} times`);
    for (const o of checked) {
      // The first placement's propensity is unconditional: its rate over all
      // 1,000 runs. A later placement's is given the offer was not taken by
      // an earlier one: its rate over those runs.
      const rate = r.placement === results[0].placement ? o.rate : o.conditionalRate;
      t.diagnostic(`${r.placement} ${o.offerId}: shown ${o.count}/${o.available} = ${rate.toFixed(3)}, mean logged propensity ${o.propensity.toFixed(3)}`);
      assert.ok(Math.abs(rate - o.propensity) <= TOLERANCE,
        `${r.placement} ${o.offerId}: shown ${o.count}/${o.available} = ${rate} vs mean logged propensity ${o.propensity}`);
    }
  }
  assertNoProblems(problems);
});

test("template check: a broken field shows TEMPLATE_INVALID with line:column; a fixed one re-renders live", async (t) => {
  const { bundle } = seed();
  const offer = bundle.offers[3];
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  await settled(page);
  await page.selectOption("#tpl-offer", offer.id);
  assert.equal(await page.inputValue("#tpl-field-headline"), offer.creative.fields.headline);
  await page.waitForSelector("#tpl-rendered dd[data-field='headline']");

  await page.fill("#tpl-field-body", "Line one\nand {{#firstname}} never closed");
  await page.waitForSelector("#tpl-error:not([hidden])");
  const error = await page.locator("#tpl-error").innerText();
  assert.match(error, /^TEMPLATE_INVALID: body line 2, column 5 — /);
  assert.match(error, new RegExp(`template "offers\\[${offer.id}\\]\\.creative\\.fields\\.body" at 2:5`));
  assert.equal(await page.getAttribute("#tpl-field-body", "aria-invalid"), "true");
  assert.equal(await page.locator("#tpl-frames").isHidden(), true, "nothing renders from a broken draft");

  await page.fill("#tpl-field-body", "Hello {{firstname|there}}, spend {{amount}} again!");
  await page.waitForSelector("#tpl-error[hidden]", { state: "attached" });
  assert.equal(await page.locator("#tpl-rendered dd[data-field='body']").innerText(), "Hello Ada, spend 64.5 again!");
  assert.equal(await page.getAttribute("#tpl-field-body", "aria-invalid"), null);
  // The edited creative, rendered by the snippet's component.
  await page.frameLocator("#tpl-frames iframe[data-width='desktop']").locator(".oe-body", { hasText: "Hello Ada, spend 64.5 again!" }).waitFor();
  assertNoProblems(problems);
});

test("keyboard: every control is labelled and reachable; desktop screenshot", async (t) => {
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url, { viewport: { width: 1280, height: 900 } });
  await settled(page);
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select, textarea, button")]
    .filter((n) => !(n.labels?.length || n.getAttribute("aria-label") || (n.tagName === "BUTTON" && n.textContent.trim())))
    .map((n) => n.id || n.outerHTML.slice(0, 60)));
  assert.deepEqual(unlabelled, []);
  // Tab from the top reaches the first load button, then the persona form, in document order.
  const order = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
  }
  assert.ok(order.indexOf("edge-partner") < order.indexOf("load-edge") && order.indexOf("load-edge") >= 0, order.join(" → "));
  // Sorting by the keyboard: Enter on the Score header sorts descending.
  await page.locator("#explain-head th[data-key='score'] button").focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.getAttribute("#explain-head th[data-key='score']", "aria-sort"), "descending");
  const scores = await page.locator("#explain-rows tr td:nth-child(6)").evaluateAll((tds) => tds.map((td) => td.textContent).filter((x) => x !== "—").map(Number));
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));

  // For the screenshot: a decline (history, the would-be-sent events, a suppressed row) and a simulation.
  const [first] = await shownIn(page, "confirmation", "desktop");
  await page.frameLocator("#placements iframe[data-placement='confirmation'][data-width='desktop']")
    .locator(`button[data-action='decline'][data-offer-id='${first}']`).click();
  await waitForRow(page, first, "confirmation", (r) => r.kind === "suppressedAfterDecline", `${first} suppressed after its decline`);
  await page.click("#simulate");
  await page.waitForSelector("#sim-results[data-state='done'] .sim-placement", { timeout: 120_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, "preview-desktop.png");
  await page.screenshot({ path: shot, fullPage: true });
  if (process.env.OFFER_EDGE_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(join(root, "docs/screenshots"), { recursive: true });
    copyFileSync(shot, join(root, "docs/screenshots/preview-desktop.png"));
  }
  assertNoProblems(problems);
});

// Once loaded, deciding, engaging, simulating and checking templates need no
// network. The only requests are the placement component's own: it links
// its stylesheet in every shadow root it renders, and creatives' images.
test("once loaded, the preview itself makes no request: persona, engagement, simulation, template check", async (t) => {
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  const before = await settled(page);
  const requests = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  await page.fill("#p-state", "NY");
  assert.notEqual(await settled(page), before, "the placements re-rendered");
  const [first] = await shownIn(page, "confirmation", "desktop");
  await page.frameLocator("#placements iframe[data-placement='confirmation'][data-width='mobile']")
    .locator(`button[data-action='accept'][data-offer-id='${first}']`).click();
  // The frame posts the click to the page, which logs the event and re-decides in one step.
  await page.waitForSelector("#event-log li[data-type='accept']", { state: "attached" });
  await settled(page);
  assert.equal(await page.locator("#event-log li[data-type='accept']").count(), 1);
  await page.click("#simulate");
  await page.waitForSelector("#sim-results[data-state='done'] .sim-placement", { timeout: 120_000 });
  await page.fill("#tpl-field-headline", "Offline {{firstname|there}}");
  await page.waitForFunction(() => document.querySelector("#tpl-rendered dd[data-field='headline']")?.textContent === "Offline Ada");
  assert.deepEqual(requests.filter((p) => p !== "/offer-edge.css" && !p.startsWith("/img/")), []);
  // The listener does see the page's requests (the re-rendered placements may
  // all come from the cache: no request is no proof by itself).
  await page.evaluate(() => fetch("/preview-frame.css", { cache: "no-store" }).then((r) => r.text()));
  assert.ok(requests.includes("/preview-frame.css"), requests.join());
  assertNoProblems(problems);
});
