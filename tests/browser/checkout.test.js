// The demo checkout in headless Chromium: offers decided in the page render
// with the shopper's first name, engagement reaches the collector once, and
// history (declines, caps) holds across page views.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { click, closeBrowser, newContext, openDemo, openShop, poll, queueDrained, seed, shownOffers, startBackend, waitForPlacement } from "./harness.js";

after(closeBrowser);

test("the offer renders with the shopper's first name; no console errors", async (t) => {
  const { edge, record, page } = await openShop(t);
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

test("accept → the collector stores exactly one accept with the decision's receipt", async (t) => {
  const { edge, record, page } = await openShop(t);
  const { offers } = seed();
  await click(page, "accept", offers.addToCart);
  await page.waitForSelector("#track-status:has-text('Added')");
  // "Exactly one" needs everything the page queued to be acknowledged, not the first accept to arrive.
  await queueDrained(page);
  const accepts = (await edge.events()).filter((e) => e.type === "accept");
  assert.equal((await edge.events()).filter((e) => e.type === "impression").length, 3);
  const decision = (await edge.events()).find((e) => e.type === "impression").decisionId;
  assert.equal(accepts.length, 1);
  assert.equal(accepts[0].offerId, offers.addToCart);
  assert.equal(accepts[0].decisionId, decision);
  assert.equal(accepts[0].hasFulfilment, false);
  // Accepted offers are not offered again.
  await openDemo(page, edge.url);
  assert.ok(!(await shownOffers(page)).includes(offers.addToCart));
  assert.deepEqual(record.problems, []);
});

test("an offer needing confirmation asks for the email only after accept, then sends it sealed", async (t) => {
  const { edge, record, page } = await openShop(t, { query: "?hostEmail=0" });
  const { offers } = seed();
  const emailInputs = () => page.locator("#offers [data-offer-edge-placement] >> input[type=email]").count();
  assert.equal(await emailInputs(), 0, "no email field before the accept");
  await click(page, "accept", offers.coupon);
  await page.locator("#offers [data-offer-edge-placement] >> input[type=email]").fill("not an email");
  await page.locator("#offers [data-offer-edge-placement] >> .oe-email button[type=submit]").click();
  await page.waitForSelector("#offers [data-offer-edge-placement] >> .oe-error:has-text('check')");
  await page.locator("#offers [data-offer-edge-placement] >> input[type=email]").fill("ada.lovelace@example.com");
  await page.locator("#offers [data-offer-edge-placement] >> .oe-email button[type=submit]").click();
  await page.waitForSelector("#offers [data-offer-edge-placement] >> .oe-accepted");
  await queueDrained(page);
  const accepts = (await edge.events()).filter((e) => e.type === "accept");
  assert.equal(accepts.length, 1);
  assert.equal(accepts[0].offerId, offers.coupon);
  assert.equal(accepts[0].hasFulfilment, true);
  await poll(async () => (await edge.outbox()).length, "the confirmation email");
  // The host-provided path (the demo's default): sealed at once on accept.
  const other = await newContext(t);
  const page2 = await other.newPage();
  await openDemo(page2, edge.url, "?persona=grace");
  await waitForPlacement(page2);
  await click(page2, "accept", offers.coupon);
  // Grace's email arriving also shows Ada's was sent once (one queue, in order).
  const mails = await poll(async () => {
    const rows = await edge.outbox();
    return rows.some((m) => m.to === "grace.hopper@example.com") && rows;
  }, "the second confirmation email");
  assert.deepEqual(mails.map((m) => m.to).sort(), ["ada.lovelace@example.com", "grace.hopper@example.com"]);
  assert.deepEqual([...record.problems, ...other.record.problems], []);
});

test("decline → not shown again on reload; a cap of 2 a day holds over 3 page views", async (t) => {
  const edge = await startBackend(t);
  const { offers } = seed();
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  const views = [];
  for (let i = 0; i < 3; i++) {
    await openDemo(page, edge.url);
    views.push(await shownOffers(page));
    if (views[i].length) await waitForPlacement(page);
    // Impressions are recorded when the offers are visible.
    await poll(async () => (await edge.events()).filter((e) => e.type === "impression").length >= views.slice(0, i + 1).flat().length, `impressions of view ${i + 1}`);
    if (i === 0) await click(page, "decline", offers.addToCart);
  }
  assert.deepEqual(views[0].sort(), Object.values(offers).sort(), JSON.stringify(views));
  assert.ok(!views[1].includes(offers.addToCart), "declined offer shown again");
  assert.ok(views[1].includes(offers.link), `capped offer missing before its cap: ${JSON.stringify({ views, offers, w: record.warnings })}`);
  assert.ok(!views[2].includes(offers.link), "cap of 2 a day exceeded");
  assert.ok(views[2].includes(offers.coupon));
  await queueDrained(page);
  const declines = (await edge.events()).filter((e) => e.type === "decline");
  assert.equal(declines.length, 1);
  assert.deepEqual(record.problems, []);
});
