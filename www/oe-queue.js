// The engagement event queue: batched, persisted in localStorage (so it
// survives a reload or a crash), bounded, and flushed to the collector.
//
// An event leaves the queue only when the collector acknowledged the batch
// that carried it (a 2xx answer). Until then it is re-sent with the same id
// (fetch with backoff, sendBeacon when the page is hidden); the collector
// deduplicates by id, so a beacon whose answer we never see and the later
// retry of the same event count once.
//
// It validates nothing (the collector reads batches with the core's parser)
// and runs without WebAssembly: it packs bodies by their UTF-8 bytes against
// the core's limits (pkg/limits.js, generated from src/limits.rs), as the
// core's splitEventBatch does (tests/js/event-batch.test.js).
import { MAX_EVENTS_PER_BATCH, MAX_EVENT_BATCH_BYTES } from "./pkg/limits.js";

/** Defaults: what localStorage keeps (characters), and one batch's limits. */
export const QUEUE_LIMITS = { maxEvents: 200, maxBytes: 60 * 1024, batchBytes: MAX_EVENT_BATCH_BYTES, batchEvents: MAX_EVENTS_PER_BATCH };
const BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];

export class EventQueue {
  /**
   * `store`: a KeyValue; `url`: the collector; `warn(code, message)`;
   * `flushDelayMs`: how long events gather before a fetch.
   */
  constructor({ store, url, warn, flushDelayMs = 250, limits = {} }) {
    this.store = store;
    this.url = url;
    this.warn = warn;
    this.flushDelayMs = flushDelayMs;
    this.limits = { ...QUEUE_LIMITS, ...limits };
    this.events = this.load();
    this.timer = null;
    this.inflight = null;
    this.attempt = 0;
    this.listeners = [];
  }

  load() {
    try {
      const list = JSON.parse(this.store.get("queue") ?? "[]");
      return Array.isArray(list) ? list.filter((e) => e && typeof e.id === "string") : [];
    } catch {
      this.warn("QUEUE_CORRUPT", "discarded an unreadable event queue");
      return [];
    }
  }

  save() {
    this.store.set("queue", this.events.length ? JSON.stringify(this.events) : null);
  }

  /** Drops the oldest events beyond the bounds (with a warning). */
  trim() {
    let bytes = JSON.stringify(this.events).length;
    let dropped = 0;
    while (this.events.length && (this.events.length > this.limits.maxEvents || bytes > this.limits.maxBytes)) {
      bytes -= JSON.stringify(this.events.shift()).length + 1;
      dropped++;
    }
    if (dropped) this.warn("QUEUE_FULL", `dropped ${dropped} oldest unsent event(s)`);
  }

  push(event) {
    this.events = this.load().concat([event]); // another tab may have changed it
    this.trim();
    this.save();
    this.schedule(this.flushDelayMs);
  }

  /**
   * Drops every queued event, stored and in memory, and the retry timer
   * (launcher.forget). A batch already on its way is not called back; its
   * acknowledgement finds nothing left to remove.
   */
  clear() {
    clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    this.events = [];
    this.save();
  }

  get size() {
    return this.events.length;
  }

  schedule(ms) {
    if (this.timer !== null || !this.url) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
  }

  /** The oldest events that fit one batch, and its body (the collector counts UTF-8 bytes). */
  batch() {
    const out = [];
    let bytes = '{"events":[]}'.length;
    for (const e of this.events) {
      const n = new Blob([JSON.stringify(e)]).size + (out.length ? 1 : 0);
      if (out.length >= this.limits.batchEvents || bytes + n > this.limits.batchBytes) break;
      out.push(e);
      bytes += n;
    }
    return { events: out, body: JSON.stringify({ events: out }) };
  }

  /** Removes acknowledged events (by id) from memory and storage. */
  acknowledge(ids) {
    const done = new Set(ids);
    this.events = this.load().filter((e) => !done.has(e.id));
    this.save();
  }

  /** Sends everything with fetch, batch by batch; retries with backoff on failure. */
  flush() {
    if (this.inflight || !this.url) return this.inflight ?? Promise.resolve();
    this.inflight = this.send()
      .catch((e) => this.warn("QUEUE_ERROR", `sending events failed: ${e && e.message}`))
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  async send() {
    // Offline: don't fire requests that cannot succeed; the launcher's
    // "online" listener flushes again on reconnect.
    if (typeof navigator !== "undefined" && navigator.onLine === false) return;
    this.events = this.load();
    while (this.events.length) {
      const { events, body } = this.batch();
      if (!events.length) {
        // One event over the batch limit can never be sent: drop it.
        this.warn("EVENT_TOO_LARGE", "dropped an event larger than a batch");
        this.acknowledge([this.events[0].id]);
        continue;
      }
      let res;
      try {
        res = await fetch(this.url, {
          method: "POST",
          body,
          headers: { "content-type": "text/plain;charset=UTF-8" },
          keepalive: body.length < 60_000,
          credentials: "omit",
        });
      } catch {
        res = null; // offline, DNS, CORS: retry later
      }
      if (res && res.ok) {
        const answer = await res.json().catch(() => ({}));
        if (answer.rejected) this.warn("EVENTS_REJECTED", `the collector rejected ${answer.rejected} event(s)`);
        this.acknowledge(events.map((e) => e.id));
        this.attempt = 0;
        for (const f of this.listeners) f(answer, events.map((e) => e.id));
        continue;
      }
      if (res && res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        // The batch itself is refused and would be refused again.
        this.warn("EVENTS_REFUSED", `the collector refused a batch (HTTP ${res.status})`);
        this.acknowledge(events.map((e) => e.id));
        continue;
      }
      const delay = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)];
      this.schedule(delay);
      return;
    }
  }

  /**
   * Sends now (fetch: a beacon has no answer) and resolves to the
   * collector's `coupons` entry for event `id` (a unique coupon's code or
   * its refusal), or null when the batch carrying it was answered without
   * one, or nothing answered within `timeoutMs`. Never rejects.
   */
  answerFor(id, timeoutMs) {
    return new Promise((resolve) => {
      const on = (answer, ids) => {
        const entry = Array.isArray(answer.coupons) ? answer.coupons.find((c) => c && c.id === id) : null;
        if (entry || ids.includes(id)) done(entry ?? null);
      };
      const done = (value) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((f) => f !== on);
        resolve(value);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.listeners.push(on);
      clearTimeout(this.timer);
      this.timer = null;
      this.flush();
    });
  }

  /** On page hide: hand everything to sendBeacon (kept until a later fetch is acknowledged). */
  beacon() {
    if (!this.url || typeof navigator === "undefined" || !navigator.sendBeacon || navigator.onLine === false) return;
    this.events = this.load();
    let rest = this.events;
    while (rest.length) {
      const saved = this.events;
      this.events = rest;
      const { events, body } = this.batch();
      this.events = saved;
      if (!events.length) break;
      try {
        if (!navigator.sendBeacon(this.url, new Blob([body], { type: "text/plain;charset=UTF-8" }))) break;
      } catch {
        break;
      }
      rest = rest.slice(events.length);
    }
  }
}
