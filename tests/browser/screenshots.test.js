// Screenshots of the demo checkout at mobile and desktop width, saved under
// test-artifacts/ (git-ignored; docs/screenshots/ holds a committed copy).
// Also checks the layout is responsive: no horizontal scrolling on mobile.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, closeBrowser, newContext, openDemo, shownOffers, startBackend, waitForPlacement } from "./harness.js";

after(closeBrowser);

for (const [name, viewport, mobile] of [["mobile", { width: 390, height: 844 }, true], ["desktop", { width: 1280, height: 900 }, false]]) {
  test(`demo screenshot at ${name} width (${viewport.width}×${viewport.height})`, async (t) => {
    const edge = await startBackend(t);
    const { record, newPage } = await newContext(t, { viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: mobile ? 2 : 1 });
    const page = await newPage();
    await openDemo(page, edge.url);
    await waitForPlacement(page);
    assert.equal((await shownOffers(page)).length, 3);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    // Keyboard: Tab reaches the offer's buttons inside the shadow root.
    const reachable = await page.evaluate(() => {
      const root = document.querySelector("#offers [data-offer-edge-placement]").shadowRoot;
      return [...root.querySelectorAll("button")].every((b) => b.tabIndex === 0 && !b.disabled);
    });
    assert.ok(reachable);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `demo-${name}.png`), fullPage: true });
    assert.deepEqual(record.problems, []);
  });
}
