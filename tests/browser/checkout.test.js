// The demo checkout in headless Chromium: offers decided in the page render
// with the shopper's first name, engagement reaches the collector once, and
// history (declines, caps) holds across page views.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { click, closeBrowser, newContext, openDemo, poll, shownOffers, startBackend, waitForPlacement } from "./harness.js";

after(closeBrowser);

test("the offer renders with the shopper's first name; no console errors", async (t) => {
  const edge = await startBackend(t);
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url);
  await waitForPlacement(page);
  const title = await page.locator("#offers [data-offer-edge-placement] >> .oe-title").textContent();
  assert.match(title, /^Ada, here are some extra perks/);
  assert.equal((await shownOffers(page)).length, 3);
  const events = await poll(async () => {
    const list = (await edge.events()).filter((e) => e.type === "impression");
    return list.length === 3 && list;
  }, "three impressions");
  assert.equal(new Set(events.map((e) => e.offerId)).size, 3);
  assert.deepEqual(record.problems, []);
});
