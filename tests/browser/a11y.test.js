// Accessibility of the demo checkout and its placements in real headless
// Chromium: axe-core (injected through the DevTools protocol, as the page's
// strict CSP with Trusted Types admits no foreign script tag) audits the
// whole page INCLUDING the placements' shadow roots — when the offers show,
// after an accept (the confirmation line and the email form), after a
// decline and after closing — at desktop (1280 × 900) and mobile (390 × 844)
// sizes. Serious and critical violations fail; lesser ones are printed.
// Keyboard: every control is reached by Tab in reading order, Enter accepts,
// Escape closes, and the confirmation is said through a live region.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { click, closeBrowser, openShop, seed } from "./harness.js";

after(closeBrowser);

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, mobile: { width: 390, height: 844 } };
const placement = "#offers [data-offer-edge-placement]";

/** Runs axe over the page (shadow roots included); fails on serious/critical, prints the rest. */
async function audit(page, what) {
  if (!(await page.evaluate(() => typeof globalThis.axe === "object"))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await globalThis.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ""}`.slice(0, 400)) }));
  });
  for (const v of violations) {
    if (v.impact !== "serious" && v.impact !== "critical") console.log(`a11y (${what}): ${v.impact} ${v.id}: ${v.help} — ${v.nodes.length} node(s)`);
  }
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${what}: serious or critical accessibility violations`);
}

/** The placement's shadow-root text of `selector`. */
const shadowText = (page, selector) => page.locator(`${placement} >> ${selector}`).first().textContent();

for (const [name, viewport] of Object.entries(VIEWPORTS)) {
  test(`${name}: no serious or critical violations shown, accepted, declined and closed`, async (t) => {
    const { edge, record, page } = await openShop(t, { query: "?hostEmail=0", viewport });
    const { offers } = seed();
    // The audit must see inside the placement: it has content there to judge.
    assert.equal(await page.evaluate(() => document.querySelector("#offers [data-offer-edge-placement]").shadowRoot.mode), "open");
    await audit(page, `${name}, offers shown`);
    // The audit sees inside the shadow root: a nameless button planted there is found, then removed.
    const planted = await page.evaluate(async () => {
      const root = document.querySelector("#offers [data-offer-edge-placement]").shadowRoot;
      const b = root.querySelector(".oe-content").appendChild(document.createElement("button"));
      const found = (await globalThis.axe.run(document, { runOnly: ["button-name"] })).violations.length;
      b.remove();
      return found;
    });
    assert.equal(planted, 1, "axe audits the placement's shadow root");

    await click(page, "accept", offers.addToCart);
    await page.locator(`${placement} >> .oe-accepted`).first().waitFor();
    await audit(page, `${name}, addToCart accepted`);

    await click(page, "accept", offers.coupon);
    await page.locator(`${placement} >> input[type=email]`).waitFor();
    await audit(page, `${name}, email asked`);

    await click(page, "decline", offers.link);
    await page.waitForFunction((id) => !document.querySelector("#offers [data-offer-edge-placement]")
      .shadowRoot.querySelector(`li[data-offer-id="${id}"]`), offers.link);
    await audit(page, `${name}, declined`);

    await click(page, "close");
    await page.waitForFunction(() => !document.querySelector("#offers [data-offer-edge-placement]")?.shadowRoot?.querySelector(".oe-root"));
    await audit(page, `${name}, closed`);
    assert.deepEqual(record.problems, []);
  });
}

test("keyboard: Tab reaches every control in order, Enter accepts, the live region says it, Escape closes", async (t) => {
  const { edge, record, page } = await openShop(t, { viewport: VIEWPORTS.desktop });
  const { offers } = seed();
  // The focused element, seen through the placement's shadow root.
  const focused = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? { action: el.getAttribute("data-action"), offer: el.getAttribute("data-offer-id"), label: el.getAttribute("aria-label"),
      text: el.textContent.trim(), inPlacement: Boolean(el.getRootNode().host) } : null;
  });
  // From the page control just before the offers, Tab walks into the placement.
  await page.locator("a.button.secondary").focus();
  const order = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    const f = await focused();
    if (!f || !f.inPlacement) break;
    order.push(f.action === "close" ? "close" : `${f.action}:${f.offer}`);
  }
  const shown = await page.evaluate(() => [...document.querySelector("#offers [data-offer-edge-placement]").shadowRoot
    .querySelectorAll("li[data-offer-id]")].map((n) => n.getAttribute("data-offer-id")));
  assert.deepEqual(order, ["close", ...shown.flatMap((id) => [`accept:${id}`, `decline:${id}`])], "reading order");
  // The close control has a name (not just ×).
  await page.locator(`${placement} >> [data-action=close]`).first().focus();
  assert.equal((await focused()).label, "Close offers");

  // Enter on the addToCart's accept button: the shop adds it (the demo's onAction), and says so.
  await page.locator(`${placement} >> [data-action=accept][data-offer-id="${offers.addToCart}"]`).focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /Added to your order/.test(document.querySelector("#offers [data-offer-edge-placement]")
    .shadowRoot.querySelector(".oe-live").textContent));
  assert.equal(await shadowText(page, ".oe-accepted"), "Added to your order. Thank you!");
  const live = await page.evaluate(() => {
    const n = document.querySelector("#offers [data-offer-edge-placement]").shadowRoot.querySelector(".oe-live");
    return { role: n.getAttribute("role"), live: n.getAttribute("aria-live") };
  });
  assert.deepEqual(live, { role: "status", live: "polite" });
  // Focus stays on the accepted offer's line, not lost to the page's start.
  assert.equal((await focused()).inPlacement, true);
  assert.ok(await page.locator(`#items li[data-sku]`).count() === 1, "the demo's order summary has the added line");

  // Escape inside the placement closes it.
  await page.locator(`${placement} >> [data-action=accept]`).first().focus();
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !document.querySelector("#offers [data-offer-edge-placement]")?.shadowRoot?.querySelector(".oe-root"));
  assert.deepEqual(record.problems, []);
});
