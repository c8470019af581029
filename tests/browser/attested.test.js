// Partner-attested checkouts on the demo checkout, in headless Chromium
// against the real local edge (docs/ATTESTATION.md): the page gets its order's
// checkout token from the partner's backend, every event carries it, and only
// an attested accept whose sealed email is the attested one sends a
// confirmation — once per order and offer. Forged, mismatched and
// unattested accepts send nothing.
//
// "Nothing was sent" is shown with a barrier: after the edge answered the
// event, another shopper places an order and accepts; once that confirmation
// is in the outbox, the fulfilment queue has handled everything before it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import * as oe from "../../pkg/node.js";
import { click, closeBrowser, newContext, openDemo, openShop, poll, queueDrained, seed, startBackend, storageDump, waitForPlacement } from "./harness.js";

after(closeBrowser);
await oe.ready;

const ADA = "ada.lovelace@example.com";
const GRACE = "grace.hopper@example.com";

const isEvents = (r) => new URL(r.url()).pathname === "/v1/events" && r.request().method() === "POST";
const batchOf = (r) => JSON.parse(r.request().postData()).events;
const claimsOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
/** An event's receipt fields: the plain receipt (page decision) or the signed one's payload (edge decision). */
const receiptOf = (event) => (typeof event.receipt === "string"
  ? JSON.parse(Buffer.from(event.receipt.split(".")[0], "base64url").toString("utf8"))
  : event.receipt);
const orderRef = (page) => page.locator("[data-bind='confirmationref']").first().textContent();

/** Accepts the coupon (needs a confirmation email) and returns the collector's answer to the batch carrying the accept. */
async function acceptCoupon(page, submitEmail) {
  const answered = page.waitForResponse((r) => isEvents(r) && batchOf(r).some((e) => e.type === "accept"), { timeout: 15_000 });
  await click(page, "accept", seed().offers.coupon);
  if (submitEmail) {
    await page.locator("#offers [data-offer-edge-placement] >> input[type=email]").fill(submitEmail);
    await page.locator("#offers [data-offer-edge-placement] >> .oe-email button[type=submit]").click();
  }
  const response = await answered;
  const batch = batchOf(response);
  const index = batch.findIndex((e) => e.type === "accept");
  return { accept: batch[index], index, answer: await response.json(), status: response.status() };
}

/** Posts `events` to the collector from the page (a script in the checkout page: same origin, no credentials needed). */
function postFromPage(page, events) {
  return page.evaluate(async (body) => {
    const res = await fetch("/v1/events", { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body });
    return { status: res.status, answer: await res.json() };
  }, JSON.stringify({ events }));
}

/**
 * The barrier: Grace places an order in a fresh browser and accepts the
 * coupon; resolves with the outbox once her confirmation is in it.
 */
async function barrier(t, edge) {
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url, "?persona=grace");
  await waitForPlacement(page);
  const { answer } = await acceptCoupon(page);
  assert.deepEqual(answer.rejections, [], "the barrier order is attested");
  const mails = await poll(async () => {
    const rows = await edge.outbox();
    return rows.some((m) => m.to === GRACE) && rows;
  }, "the barrier's confirmation");
  assert.deepEqual(record.problems, []);
  return mails;
}

test("an attested order: exactly one confirmation, to the attested address; a forged second accept sends nothing", async (t) => {
  const { edge, record, page } = await openShop(t);
  const order = await orderRef(page);
  const { accept, answer } = await acceptCoupon(page);
  assert.deepEqual(answer.rejections, []);
  assert.equal(answer.fulfilment.queued, 1, "the confirmation is queued");
  // The token is the one the partner's backend minted for this order and email.
  assert.equal(typeof accept.checkout, "string");
  const claims = claimsOf(accept.checkout);
  assert.equal(claims.iss, "acme");
  assert.equal(claims.ord, order);
  assert.equal(claims.eh, oe.attestedEmailHash("acme", ADA));
  assert.ok(claims.exp - claims.iat <= 3600);

  const mails = await poll(async () => {
    const rows = await edge.outbox();
    return rows.length && rows;
  }, "the confirmation email");
  assert.deepEqual(mails.map((m) => [m.to, m.offerId, m.decisionId]), [[ADA, accept.offerId, receiptOf(accept).decisionId]]);
  await queueDrained(page);
  const stored = (await edge.events()).filter((e) => e.type === "accept");
  assert.deepEqual(stored.map((e) => [e.id, e.stream, e.order]), [[accept.id, "billable", order]]);
  // Every event of the order carried the token: impressions are attested too.
  const impressions = (await edge.events()).filter((e) => e.type === "impression");
  assert.ok(impressions.length === 3 && impressions.every((e) => e.stream === "billable" && e.order === order), JSON.stringify(impressions));

  // The queue's retry of the same event: counted once.
  const retry = await postFromPage(page, [accept]);
  assert.equal(retry.status, 200);
  assert.equal(retry.answer.duplicate, 1, JSON.stringify(retry.answer));
  // A forged second accept for the same order: a new event id, the email freshly sealed (to the attested address).
  const forged = { ...accept, id: randomUUID(), fulfilment: oe.sealForFulfilment(seed().draft.fulfilmentKey, receiptOf(accept), ADA) };
  const second = await postFromPage(page, [forged]);
  assert.equal(second.status, 200);
  assert.equal(second.answer.fulfilment.queued, 0, JSON.stringify(second.answer));
  t.diagnostic(`forged second accept → ${JSON.stringify(second.answer)}`);

  const after = await barrier(t, edge);
  assert.deepEqual(after.map((m) => m.to).sort(), [ADA, GRACE], "one confirmation per order: nothing for the forged accept");
  // The token lived only in the queued events: none are left, so it is gone from storage.
  assert.ok(!(await storageDump(page)).includes(accept.checkout), "the token outlived its events in storage");
  assert.deepEqual(record.problems, []);
});

test("an accept whose sealed email is not the attested one: EMAIL_MISMATCH, nothing sent", async (t) => {
  const { edge, record, page } = await openShop(t, { query: "?hostEmail=0" }); // the placement asks the shopper
  const { accept, index, answer } = await acceptCoupon(page, "mallory@example.com");
  assert.ok(accept.fulfilment && accept.checkout);
  assert.deepEqual(answer.rejections, [{ index, id: accept.id, code: "EMAIL_MISMATCH" }]);
  // The same from the page's context: the right order and token, another address sealed.
  const forged = { ...accept, id: randomUUID(), fulfilment: oe.sealForFulfilment(seed().draft.fulfilmentKey, receiptOf(accept), "Mallory@Example.com") };
  const posted = await postFromPage(page, [forged]);
  assert.deepEqual(posted.answer.rejections, [{ index: 0, id: forged.id, code: "EMAIL_MISMATCH" }]);

  const mails = await barrier(t, edge);
  assert.deepEqual(mails.map((m) => m.to), [GRACE]);
  assert.ok(!(await edge.events()).some((e) => e.id === accept.id || e.id === forged.id), "mismatched accepts are not stored");
  assert.ok(record.warnings.some((w) => w.includes("EVENTS_REJECTED")));
  assert.deepEqual(record.problems, []);
});

test("no valid token (the backend answers garbage): TOKEN_INVALID once, events unverified, nothing sent", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  await context.route("**/demo/partner/checkout-token", (route) => route.fulfill({
    status: 200, contentType: "application/json", body: JSON.stringify({ order: "DO-1", token: "not a token" }),
  }));
  const page = await newPage();
  // Decided in the page: its events have no edge decision to bind them either.
  await openDemo(page, edge.url, "?decideAt=page");
  await waitForPlacement(page);
  const { accept, answer } = await acceptCoupon(page);
  assert.equal(accept.checkout, undefined, "sent without the malformed token");
  assert.ok(accept.fulfilment, "still sealed: the edge decides what an accept may do");
  assert.deepEqual(answer.rejections, []);
  assert.ok(answer.unverified >= 1 && answer.accepted === 0, JSON.stringify(answer));
  await queueDrained(page);
  const events = await edge.events();
  assert.ok(events.length >= 4 && events.every((e) => e.stream === "unverified"), JSON.stringify(events));
  assert.equal(record.warnings.filter((w) => w.includes("TOKEN_INVALID")).length, 1, record.warnings.join("\n"));

  const mails = await barrier(t, edge);
  assert.deepEqual(mails.map((m) => m.to), [GRACE], "an unattested accept sends nothing");
  assert.deepEqual(record.problems, []);
});

test("a new order in the same page: its own token, passed per call, wins over the launcher's", async (t) => {
  const edge = await startBackend(t);
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  const batches = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/v1/events") batches.push(...JSON.parse(r.postData()).events);
  });
  await openDemo(page, edge.url);
  await waitForPlacement(page);
  const first = await orderRef(page);
  await queueDrained(page);
  await page.click('[data-persona="grace"]');
  await poll(async () => (await orderRef(page)) !== first && (await page.locator("html[data-offers-ready]").count()) === 1, "Grace's order");
  const second = await orderRef(page);
  await waitForPlacement(page);
  await poll(async () => (await edge.events()).filter((e) => e.type === "impression" && e.order === second).length === 3, "impressions of the new order");
  const orders = new Set(batches.map((e) => claimsOf(e.checkout).ord));
  assert.deepEqual([...orders].sort(), [first, second].sort());
  const forSecond = batches.filter((e) => claimsOf(e.checkout).ord === second);
  assert.ok(forSecond.every((e) => claimsOf(e.checkout).eh === oe.attestedEmailHash("acme", GRACE)));
  assert.deepEqual(record.problems, []);
});
