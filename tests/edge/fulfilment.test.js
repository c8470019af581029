// Fulfilment in real workerd: an attested accept (checkout token) with a
// sealed email → queue → consumer opens it with the partner's key → exactly
// one confirmation email in the outbox; the reminder fires once from a
// Durable Object alarm; decline/close send nothing; partner A's key never
// opens B's request. The attacks on fulfilment are in attacks.test.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answer, checkoutToken, engagement, oe, poll, seed, startEdge } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const EMAIL = "Ada.Lovelace@Example.com";

let engines;
/** Host-side Engines (as the browser snippet holds them) to seal emails with. */
function engineFor(partner) {
  if (!engines) {
    const s = seed();
    engines = {};
    for (const p of ["acme", "globex"]) {
      engines[p] = new oe.Engine(s[p].trust);
      engines[p].load(s[p].signed, Date.now());
    }
  }
  return engines[partner];
}

async function decideCoupon(edge, partner, token) {
  const res = await answer(await edge.post("/v1/decide", { partner, placement: "confirmation", attributes: CONTEXT, checkoutToken: token }));
  assert.equal(res.status, 200, res.text);
  const coupon = res.body.placements[0].offers.find((o) => o.action.type === "coupon");
  assert.ok(coupon?.needsConfirmationEmail, "the test bundle's coupon offer needs a confirmation email");
  return coupon;
}

/** Decides for an attested order, then reports an accept of the coupon carrying the sealed email. */
async function accept(edge, partner, { sealWith = partner, expect = 1 } = {}) {
  const token = checkoutToken(partner, { email: EMAIL });
  const coupon = await decideCoupon(edge, partner, token);
  const fulfilment = engineFor(sealWith).sealForFulfilment(EMAIL, coupon.receipt);
  const e = engagement("accept", coupon, { fulfilment, checkout: token });
  const res = await answer(await edge.post("/v1/events", { events: [e] }));
  assert.equal(res.body.accepted, expect, res.text);
  return { coupon, event: e, res };
}

const outbox = (edge, kind, decisionId) =>
  edge.sql("SELECT partner, offer_id, kind, to_addr, subject, html, text FROM outbox WHERE kind = ? AND decision_id = ?", kind, decisionId);

test("an accept sends exactly one confirmation email with the rendered coupon, despite resends and queue redelivery", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" } });
  const { coupon, event } = await accept(edge, "acme");
  const decisionId = coupon.receipt.decisionId;
  const [mail] = await poll(async () => {
    const rows = await outbox(edge, "confirmation", decisionId);
    return rows.length ? rows : null;
  }, "the confirmation email");
  assert.equal(mail.to_addr, "ada.lovelace@example.com");
  assert.equal(mail.offer_id, coupon.offerId);
  assert.ok(mail.html.includes(`<b>${coupon.action.code}</b>`), mail.html);
  assert.ok(mail.text.includes(coupon.action.code), mail.text);

  const resent = await answer(await edge.post("/v1/events", { events: [event] }));
  assert.deepEqual([resent.body.accepted, resent.body.duplicate], [0, 1]);
  const queue = await edge.mf.getQueueProducer("FULFILMENT_QUEUE");
  const redelivery = { partner: "acme", eventId: event.id, acceptedAtMs: Date.now(), request: event.fulfilment, order: "redelivered", eh: oe.attestedEmailHash("acme", EMAIL) };
  await queue.send(redelivery);
  // A later accept as a marker: once its email is out, the redelivery was processed.
  const marker = await accept(edge, "acme");
  await poll(async () => (await outbox(edge, "confirmation", marker.coupon.receipt.decisionId)).length, "the marker email");
  assert.equal((await outbox(edge, "confirmation", decisionId)).length, 1, "one email per accept");
});

test("the reminder is sent once when its alarm fires", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "300" } });
  const { coupon, event } = await accept(edge, "acme");
  const decisionId = coupon.receipt.decisionId;
  const [reminder] = await poll(async () => {
    const rows = await outbox(edge, "reminder", decisionId);
    return rows.length ? rows : null;
  }, "the reminder");
  assert.match(reminder.subject, /^Reminder: /);
  assert.ok(reminder.html.includes(coupon.action.code));
  // Redelivering the job neither re-sends the confirmation nor re-arms the reminder.
  const queue = await edge.mf.getQueueProducer("FULFILMENT_QUEUE");
  await queue.send({ partner: "acme", eventId: event.id, acceptedAtMs: Date.now(), request: event.fulfilment, order: "redelivered", eh: oe.attestedEmailHash("acme", EMAIL) });
  const marker = await accept(edge, "acme");
  await poll(async () => (await outbox(edge, "reminder", marker.coupon.receipt.decisionId)).length, "the marker reminder");
  assert.equal((await outbox(edge, "reminder", decisionId)).length, 1);
  assert.equal((await outbox(edge, "confirmation", decisionId)).length, 1);
});

test("decline and close never send an email", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "100" } });
  const coupon = await decideCoupon(edge, "acme");
  const res = await answer(await edge.post("/v1/events", { events: [engagement("decline", coupon), engagement("close", coupon)] }));
  assert.equal(res.body.accepted, 2, res.text);
  const marker = await accept(edge, "acme");
  await poll(async () => (await outbox(edge, "reminder", marker.coupon.receipt.decisionId)).length, "the marker reminder");
  const rows = await edge.sql("SELECT kind FROM outbox WHERE decision_id = ?", coupon.receipt.decisionId);
  assert.deepEqual(rows, []);
});

test("partner separation: a globex request sealed to acme's key is not opened and sends nothing", async (t) => {
  const edge = await startEdge(t, { vars: { REMINDER_DELAY_MS: "3600000" } });
  const { coupon, res } = await accept(edge, "globex", { sealWith: "acme", expect: 0 });
  assert.deepEqual(res.body.rejections.map((r) => r.code), ["SEAL_FAILED"], "refused at intake: globex's key does not open it");
  // A job that reached the queue anyway (defence in depth) is recorded as failed, not sent.
  const queue = await edge.mf.getQueueProducer("FULFILMENT_QUEUE");
  const sealed = engineFor("acme").sealForFulfilment(EMAIL, coupon.receipt);
  await queue.send({ partner: "globex", eventId: "job-1", acceptedAtMs: Date.now(), request: { ...sealed, partner: "globex" }, order: "o-1", eh: oe.attestedEmailHash("globex", EMAIL) });
  const [failure] = await poll(async () => {
    const rows = await edge.sql("SELECT partner, kind, code FROM fulfilment_failures");
    return rows.length ? rows : null;
  }, "the recorded failure");
  assert.deepEqual(failure, { partner: "globex", kind: "confirmation", code: "SEAL_FAILED" });
  assert.deepEqual(await edge.sql("SELECT kind FROM outbox WHERE decision_id = ?", coupon.receipt.decisionId), []);
  // And acme's own accept still works on the same edge.
  const own = await accept(edge, "acme");
  await poll(async () => (await outbox(edge, "confirmation", own.coupon.receipt.decisionId)).length, "acme's email");
});

test("the http email adapter sends once; a failed send is retried and still sends exactly once", async (t) => {
  const calls = [];
  const edge = await startEdge(t, {
    vars: { EMAIL_ADAPTER: "http", EMAIL_API_URL: "https://mail.api.test/emails", EMAIL_API_TOKEN: "test-token", REMINDER_DELAY_MS: "3600000", FULFILMENT_RETRY_DELAY_S: "0" },
    extra: {
      outboundService: async (request) => {
        calls.push({ url: request.url, auth: request.headers.get("authorization"), key: request.headers.get("idempotency-key"), body: await request.json() });
        return new Response(null, { status: calls.length === 1 ? 500 : 200 });
      },
    },
  });
  const { coupon } = await accept(edge, "acme");
  const [row] = await poll(async () => {
    const rows = await edge.sql("SELECT adapter, status, to_addr, html FROM outbox WHERE decision_id = ?", coupon.receipt.decisionId);
    return rows.length && rows[0].status === "sent" ? rows : null;
  }, "the email marked sent");
  assert.deepEqual(row, { adapter: "http", status: "sent", to_addr: null, html: null }, "no email content is kept with a real adapter");
  assert.equal(calls.length, 2, "the first attempt failed (500) and was retried");
  assert.equal(calls[1].url, "https://mail.api.test/emails");
  assert.equal(calls[1].auth, "Bearer test-token");
  assert.equal(calls[1].key, `acme:${coupon.receipt.decisionId}:${coupon.offerId}:confirmation`);
  assert.deepEqual(calls[1].body.to, ["ada.lovelace@example.com"]);
  assert.ok(calls[1].body.html.includes(coupon.action.code));
});
