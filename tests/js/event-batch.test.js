// The event batch rules exist once, in the core: pkg/'s parseEventBatch (the
// collector's reader, edge/events.js) and splitEventBatch, and the checkout
// snippet's queue (www/oe-queue.js), which runs without WebAssembly and packs
// by the limits of pkg/limits.js. The queue's batches must be the core's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Engine, parseEventBatch, splitEventBatch } from "../../pkg/node.js";
import * as limits from "../../pkg/limits.js";
import { EventQueue } from "../../www/oe-queue.js";
import { root, throwsCode } from "./helpers.js";

const NOW = Date.parse("2026-11-29T12:00:00Z");
const draft = () => JSON.parse(readFileSync(new URL("tests/fixtures/decide/bundle.json", root), "utf8"));

/** `n` real events of the shared decide bundle; every third names a campaign of 2-byte characters. */
function events(n) {
  const engine = Engine.fromDraft(draft());
  const { decision } = engine.decide({ firstname: "Ada", state: "CA", amount: "64.50", age: 29 }, null, NOW, { seed: 1 });
  const offers = decision.placements.flatMap((p) => p.offers);
  return Array.from({ length: n }, (_, i) => {
    const event = engine.event(i % 4 === 1 ? "accept" : "impression", offers[i % offers.length], NOW + i);
    if (i % 3 === 0) event.campaign = "é".repeat(64); // 64 characters, 128 bytes: the most an id may hold
    return event;
  });
}

/** The queue's batches over `list`, as event ids per body. */
function queueBatches(list) {
  const queue = new EventQueue({ store: { get: () => null, set() {} }, url: null, warn() {} });
  const out = [];
  let rest = list;
  while (rest.length) {
    queue.events = rest;
    const { events: batch, body } = queue.batch();
    assert.ok(batch.length > 0, "every event fits a batch");
    out.push({ ids: batch.map((e) => e.id), body });
    rest = rest.slice(batch.length);
  }
  return out;
}

const idsOf = (body) => JSON.parse(body).events.map((e) => e.id);

test("pkg/limits.js carries the core's limits", () => {
  assert.equal(limits.MAX_EVENT_BATCH_BYTES, 64 * 1024);
  assert.equal(limits.MAX_EVENTS_PER_BATCH, 256);
  assert.equal(limits.MAX_CHECKOUT_TOKEN_BYTES, 2048);
});

test("the snippet's queue packs events into the same batches as the core's splitEventBatch", () => {
  const list = events(400);
  const core = splitEventBatch(list);
  const queue = queueBatches(list);
  assert.ok(core.length >= 3, `several batches (${core.length})`);
  assert.deepEqual(queue.map((b) => b.ids), core.map(idsOf));
  for (const { body } of queue) {
    // JS string length counts the 2-byte characters once; the collector counts bytes.
    const bytes = Buffer.byteLength(body, "utf8");
    assert.ok(bytes <= limits.MAX_EVENT_BATCH_BYTES, `${bytes} bytes`);
    assert.equal(parseEventBatch(Buffer.from(body)).length, JSON.parse(body).events.length, "the collector reads it whole");
  }
});

test("the collector's reader answers each event with its receipt's fields and time", () => {
  const list = events(3);
  const received = parseEventBatch(new TextEncoder().encode(JSON.stringify({ events: list })));
  assert.deepEqual(received.map((r) => r.event.id), list.map((e) => e.id));
  for (const [i, r] of received.entries()) {
    assert.equal(r.signed, false, "page events carry the plain receipt");
    assert.deepEqual(r.receipt, list[i].receipt);
    assert.equal(r.timeMs, NOW + i);
  }
});

test("the collector's reader refuses what the core refuses, with its codes", () => {
  const [good] = events(1);
  const body = (value) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
  const cases = [
    ["not JSON", "{not json", "EVENT_INVALID"],
    ["not a batch", [good], "EVENT_INVALID"],
    ["an unknown top-level field", { events: [], email: "ada@example.com" }, "EVENT_INVALID"],
    ["an event carrying PII", { events: [good, { ...good, email: "ada@example.com" }] }, "EVENT_INVALID"],
    ["a bad type", { events: [{ ...good, type: "click" }] }, "EVENT_INVALID"],
    ["a receipt for another offer", { events: [{ ...good, offerId: "other-offer" }] }, "EVENT_INVALID"],
    ["257 events, counted before any is read", { events: Array.from({ length: 257 }, () => 1) }, "LIMIT_EXCEEDED"],
    ["over 64 KiB", `{"events":[]}${" ".repeat(limits.MAX_EVENT_BATCH_BYTES)}`, "LIMIT_EXCEEDED"],
  ];
  for (const [what, value, code] of cases) throwsCode(() => parseEventBatch(body(value)), code, what);
  const pii = throwsCode(() => parseEventBatch(body({ events: [good, { ...good, email: "x" }] })), "EVENT_INVALID");
  assert.match(pii.message, /unknown field `email`/, "the message names the field");
  const named = throwsCode(() => parseEventBatch(body({ events: [good, { ...good, offerId: "other-offer" }] })), "EVENT_INVALID");
  assert.match(named.message, /^event 1: receipt is for another/, "the message names the bad event's index");
});

test("splitEventBatch refuses an event that is not one, and one larger than a batch", () => {
  const [good] = events(1);
  throwsCode(() => splitEventBatch([{ ...good, type: "click" }]), "EVENT_INVALID");
  throwsCode(() => splitEventBatch([{ ...good, checkout: `${"a".repeat(70_000)}.b.c` }]), "LIMIT_EXCEEDED");
});
