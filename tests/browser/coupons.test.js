// Unique coupon codes on the demo checkout, in headless Chromium against the
// real local edge (docs/EDGE.md, "Unique coupon codes"): the offer shows no
// code (not in the page, the bundle or the decision) until the shopper
// accepts; the accept goes by fetch and the placement shows the code from
// the collector's answer; an order without a checkout token gets a clear
// refusal and no code; the host hears of it (`coupon` event).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { browserBundle, click, closeBrowser, newContext, openDemo, poll, seed, startBackend, waitForPlacement } from "./harness.js";

after(closeBrowser);

const URL_ = "https://redeem.example/coupon";

/** The browser bundle with its coupon's code derived at the edge (no confirmation email: the code shows in the page). */
function uniqueCoupon(b) {
  browserBundle(b);
  const coupon = b.offers.find((o) => o.action.type === "coupon");
  coupon.action = { type: "coupon", codes: { source: "derived", prefix: "ACME-", length: 10 }, url: URL_ };
  coupon.creative.confirmationEmail = null;
  return b;
}

const isEvents = (r) => new URL(r.url()).pathname === "/v1/events" && r.request().method() === "POST";
const batchOf = (r) => JSON.parse(r.request().postData()).events;

/** The coupon's note in the placement (its text after an accept), or null. */
const noteOf = (page, offerId) => page.evaluate((id) => {
  const root = document.querySelector("#offers [data-offer-edge-placement]")?.shadowRoot;
  return root?.querySelector(`li[data-offer-id="${id}"] .oe-accepted`)?.textContent ?? null;
}, offerId);

const placementText = (page) => page.evaluate(() => document.querySelector("#offers [data-offer-edge-placement]")?.shadowRoot?.textContent ?? "");

/** Accepts the coupon; returns the collector's answer to the batch that carried the accept (a fetch: it has an answer). */
async function acceptCoupon(page) {
  const answered = page.waitForResponse((r) => isEvents(r) && batchOf(r).some((e) => e.type === "accept"), { timeout: 15_000 });
  await click(page, "accept", seed().offers.coupon);
  const response = await answered;
  const accept = batchOf(response).find((e) => e.type === "accept");
  return { accept, answer: await response.json() };
}

test("the code appears only after an attested accept, from the collector's answer", async (t) => {
  const signed = seed().sign(2, { transform: uniqueCoupon });
  const edge = await startBackend(t, { bundle: signed });
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  const published = [];
  page.on("response", async (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/v1/bundles") || path === "/v1/decide") published.push(await r.text().catch(() => ""));
  });
  await openDemo(page, edge.url);
  await waitForPlacement(page);
  const coupon = seed().offers.coupon;
  assert.equal(await noteOf(page, coupon), null);
  assert.ok(!(await placementText(page)).includes("ACME-"), "no code before the accept");

  const { accept, answer } = await acceptCoupon(page);
  assert.ok(accept.checkout, "the demo's order is attested");
  const [issued] = answer.coupons;
  assert.deepEqual(Object.keys(issued).sort(), ["code", "id", "index", "offerId"]);
  assert.equal(issued.id, accept.id);
  assert.match(issued.code, /^ACME-[0-9A-HJKMNP-TV-Z]{10}$/);
  await poll(async () => (await noteOf(page, coupon)) === `Your code: ${issued.code}`, "the code in the placement");
  // The host heard of it too (the demo shows it in its status line).
  await poll(async () => (await page.textContent("#track-status")).includes(issued.code), "the host's coupon event");
  for (const text of published) assert.ok(!text.includes(issued.code), "the code was in no bundle or decision");
  assert.deepEqual(record.problems, []);
});

test("an order without a checkout token: a clear refusal, never a code", async (t) => {
  const signed = seed().sign(2, { transform: uniqueCoupon });
  const edge = await startBackend(t, { bundle: signed });
  const { newPage } = await newContext(t);
  const page = await newPage();
  // The partner's backend is down: the order has no token, its events are unverified.
  await page.route("**/demo/partner/**", (route) => route.abort());
  await openDemo(page, edge.url);
  await waitForPlacement(page);
  const { accept, answer } = await acceptCoupon(page);
  assert.equal(accept.checkout, undefined);
  assert.deepEqual(answer.coupons, [{ index: answer.coupons[0].index, id: accept.id, offerId: seed().offers.coupon, refused: "ATTESTATION_REQUIRED" }]);
  await poll(async () => /could not be issued/.test((await noteOf(page, seed().offers.coupon)) ?? ""), "the refusal in the placement");
  assert.ok(!(await placementText(page)).includes("ACME-"));
  assert.equal((await edge.events()).filter((e) => e.type === "accept").length, 1);
});
