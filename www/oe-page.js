// The page engine: the WebAssembly engine (pkg/) with the partner's last
// verified bundle, in a Web Worker (oe-worker.js) so that none of its work —
// compiling the WASM, verifying and compiling a bundle, deciding — is a
// long task on the page's main thread (measured in BENCHMARKS.md: the same
// work in idle time on the main thread made 110–130 ms tasks on the phone
// profile). Where a worker cannot start, the same calls run in the page.
//
// Warming is: start the worker, import the engine's glue there (its WASM is
// content-hashed and served immutable, so a repeat visit compiles it from
// the browser's cache with no request), restore the rollback floor, then
// load the bundle kept from an earlier visit (Cache API, read in the
// worker), else the bootstrap bundle, else the network. A bundle here is
// always a compiled form (`*.oeb`, bytes): the page build loads no JSON. A kept bundle is
// used until its own expiry (the engine refuses an expired one) and
// refreshed in the background after the offers are on screen.
import { base64 } from "./oe-storage.js";
import { codeOf, codedError, messageOf, warn } from "./oe-log.js";
import { engineCalls, isTrap } from "./oe-engine-calls.js";
import { measures } from "./oe-consent.js";
import { allowScriptURL, trustedScriptURL } from "./oe-trusted.js";

/* global __OE_WORKER_URL__ */
// Content-hashed next to the built snippet (scripts/build-www), else next to this file.
const WORKER_URL = new URL(typeof __OE_WORKER_URL__ === "string" ? __OE_WORKER_URL__ : "./oe-worker.js", import.meta.url).href;
allowScriptURL(WORKER_URL);

/** Runs `fn` when the main thread is idle (after the current frame), or after `ms` at the latest. */
export function whenIdle(fn, ms = 2000) {
  if (typeof requestIdleCallback === "function") requestIdleCallback(() => fn(), { timeout: ms });
  else setTimeout(fn, 50);
}

/** An Error with the code (and trap flag) a call failed with. */
function callError({ code, message, trap }) {
  return Object.assign(codedError(code ?? (trap ? "ENGINE_TRAPPED" : "INTERNAL"), message), { trap: Boolean(trap) });
}

/** The engine's calls (oe-engine-calls.js) in a worker, or in the page when no worker starts. */
class EngineClient {
  constructor() {
    this.pending = new Map();
    this.next = 1;
    this.local = null;
    try {
      this.worker = new Worker(trustedScriptURL(WORKER_URL), { type: "module", name: "offer-edge" });
      this.worker.onmessage = ({ data }) => this.answer(data);
      // A worker that cannot load (blocked by a CSP, offline): the calls run in the page.
      this.worker.onerror = (event) => {
        event.preventDefault?.();
        this.inPage(`the engine worker failed to start (${event.message || "error"})`);
      };
    } catch (e) {
      this.inPage(`no engine worker: ${messageOf(e)}`);
    }
  }

  inPage(why) {
    if (this.local) return;
    warn("WORKER_UNAVAILABLE", `${why}; the engine runs in the page`);
    this.worker?.terminate();
    this.worker = null;
    this.local = engineCalls();
    // Calls already sent to the worker are replayed here, in order.
    const queued = [...this.pending.values()];
    this.pending.clear();
    for (const p of queued) this.runLocal(p.op, p.args).then(p.resolve, p.reject);
  }

  async runLocal(op, args) {
    try {
      return await this.local[op](args);
    } catch (e) {
      throw callError({ code: e?.code, message: String(e?.message ?? e), trap: isTrap(e) });
    }
  }

  answer({ id, ok, value, error }) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (ok) p.resolve(value);
    else p.reject(callError(error));
  }

  /** Runs `op` with `args`; rejects with an Error carrying `code` (and `trap`). */
  call(op, args = {}) {
    if (this.local) return this.runLocal(op, args);
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { op, args, resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  terminate() {
    this.worker?.terminate();
    for (const p of this.pending.values()) p.reject(callError({ code: "ENGINE_TRAPPED", message: "the engine was restarted" }));
    this.pending.clear();
  }
}

/** Engagements kept for the history while the engine is cold: far more than one page view makes. */
const MAX_UNRECORDED = 64;

/** A worker started when the snippet loaded (`startEarly`), waiting for the first PageEngine. */
let early = null;

/**
 * Starts the engine worker and its WASM now, before any launcher exists —
 * when an earlier visit kept a verified bundle, so the page will decide
 * (a repeat visit): the worker's start-up and the WASM's compilation then
 * overlap the host page's own loading. The first PageEngine of `pkgUrl`
 * adopts it.
 */
export function startEarly(pkgUrl) {
  if (early) return;
  const client = new EngineClient();
  client.call("boot", { pkgUrl }).catch(() => {}); // init reports any failure
  early = { client, pkgUrl };
}

/** Stops the early worker (a launcher that decides at the edge does not need it). */
export function discardEarly() {
  early?.client.terminate();
  early = null;
}

export class PageEngine {
  /** `o`: the launcher's options; `store`: its KeyValue (localStorage). */
  constructor(o, store) {
    this.o = o;
    this.store = store;
    this.client = null;
    /** The active bundle's summary (`Engine.info()`), or null. */
    this.info = null;
    this.warming = null;
    this.refreshing = null;
    /** History reads and writes, one at a time (a decide and an engagement must not both start from the same blob). */
    this.history = Promise.resolve();
    /** The run of `applyUnrecorded` in progress. */
    this.applying = Promise.resolve();
    /** Settles when the background refresh of the bundle is done (tests, previews). */
    this.refreshed = Promise.resolve();
  }

  /**
   * What an earlier visit left: `{version, expiresAt}` of the verified bundle
   * it kept, when that bundle is still valid at `nowMs` — the sign that
   * warming will not need the network. Read synchronously from storage.
   */
  keptBundle(nowMs = Date.now()) {
    try {
      const kept = JSON.parse(this.store.get("kept") ?? "null");
      if (kept && Date.parse(kept.expiresAt) > nowMs && nowMs - kept.storedAt <= this.o.maxBundleAgeMs) return kept;
    } catch {
      // unreadable: as if nothing was kept
    }
    return null;
  }

  /** Whether a verified, unexpired bundle is active (a page decision is possible now). */
  ready(nowMs = Date.now()) {
    return Boolean(this.info) && Date.parse(this.info.expiresAt) > nowMs;
  }

  /**
   * Starts the engine and loads a bundle (once; later calls share the
   * promise). `network`: whether to wait for the bundle URL when nothing
   * kept verifies. Resolves to `ready()`; never rejects.
   */
  warm({ network = true } = {}) {
    if (!this.warming) {
      this.warming = this.start().catch((e) => {
        warn(codeOf(e) === "INTERNAL" ? "ENGINE_UNAVAILABLE" : codeOf(e), `the offer engine did not load: ${messageOf(e)}`);
        this.warming = null; // a later call may try again
        return false;
      });
    }
    return this.warming.then(async (ok) => {
      if (ok && !this.ready() && network) await this.refresh();
      return this.ready();
    });
  }

  async start() {
    this.client?.terminate();
    if (early && early.pkgUrl === this.o.pkgUrl && !this.client) this.client = early.client;
    else {
      early?.client.terminate();
      this.client = new EngineClient();
    }
    early = null;
    this.info = null;
    const o = this.o;
    this.apply(await this.client.call("init", {
      pkgUrl: o.pkgUrl, trust: o.trust, state: this.savedState(), keysets: this.store.get("keysets"), partnerId: o.partnerId,
      bundleUrl: o.bundleUrl, maxBundleAgeMs: o.maxBundleAgeMs, faultInjection: o.faultInjection,
    }));
    this.apply(await this.client.call("loadKept"));
    // A compiled form's bytes (a Uint8Array: offer-edge.js refuses anything else).
    if (o.bootstrapBundle) this.apply(await this.client.call("loadBytes", { bytes: o.bootstrapBundle, source: "bootstrap" }));
    return true;
  }

  /** The stored rollback floor (`{partner, lastVersion}`), or null. */
  savedState() {
    try {
      const state = JSON.parse(this.store.get("state") ?? "null");
      // Anything older than the floor fails as VERSION_ROLLBACK; the same
      // version loads again (no bundle is active yet after a reload).
      return state && Number.isSafeInteger(state.lastVersion) && state.lastVersion > 0
        ? { partner: state.partner, lastVersion: state.lastVersion } : null;
    } catch {
      warn("STATE_DISCARDED", "stored rollback state was not readable");
      return null;
    }
  }

  /** Takes in what a loading call answered: the active bundle, the rollback floor, the keyset chain, what is kept, the warnings. */
  apply({ info, state, keysets, kept, keptDropped, warnings }) {
    for (const [code, message] of warnings ?? []) warn(code, message);
    this.info = info ?? null;
    if (state) this.store.set("state", JSON.stringify(state));
    // The applied keyset chain (JSON text; null: none), re-verified from the pinned keys on every start.
    if (keysets !== undefined) this.store.set("keysets", keysets);
    // The marker `keptBundle()` reads: what the next visit will find in the cache.
    if (info && kept) this.store.set("kept", JSON.stringify({ version: info.version, expiresAt: info.expiresAt, storedAt: kept.storedAt }));
    else if (keptDropped || (info && !kept)) this.store.set("kept", null);
  }

  /**
   * After a trap inside the engine its instance can no longer be trusted:
   * the worker is terminated and a new one started, which reloads the kept
   * bundle. Warns ENGINE_TRAPPED; returns whether `e` was a trap (the
   * restart runs in the background; `warm()` waits for it).
   */
  recover(e) {
    if (!e || !e.trap || !this.client) return false;
    warn("ENGINE_TRAPPED", `the offer engine failed (${messageOf(e)}) and was restarted`);
    this.warming = this.start().catch((again) => {
      warn("ENGINE_UNAVAILABLE", `the offer engine could not be restarted: ${messageOf(again)}`);
      this.warming = null;
      return false;
    });
    return true;
  }

  /** Fetches the bundle URL in the worker and loads what is new; once per warm-up unless `again`. Never rejects. */
  refresh(again = false) {
    if (!this.o.bundleUrl || !this.client) return Promise.resolve();
    if (!this.refreshing || again) {
      this.refreshing = this.client.call("refresh")
        .then((out) => this.apply(out))
        .catch((e) => {
          if (!this.recover(e)) warn(codeOf(e), `the bundle refresh failed: ${messageOf(e)}`);
        });
      this.refreshed = this.refreshing;
    }
    return this.refreshing;
  }

  /** The stored history blob, or null (new shopper, wiped or corrupt storage). */
  storedHistory() {
    const text = this.store.get("history");
    if (!text) return null;
    try {
      return base64.decode(text);
    } catch {
      warn("HISTORY_DISCARDED", "stored history was not readable");
      return null;
    }
  }

  /** Runs `fn(blob)` → `{history, …}` (or the blob) on the stored history and stores what it returns, one at a time. */
  withHistory(fn) {
    const run = this.history.then(async () => {
      const out = await fn(this.storedHistory());
      const blob = out instanceof Uint8Array ? out : out.history;
      if (blob) this.store.set("history", base64.encode(blob));
      return out;
    });
    this.history = run.catch(() => {});
    return run;
  }

  /**
   * A page decision: `{decision, history}`, on the stored history with the
   * unrecorded engagements applied. Both are stored only when the decision
   * lets the page measure (oe-consent.js, `measures`: the engine's
   * `privacy.measurement`); otherwise storage is left as it was.
   */
  async decide(context, nowMs, options) {
    await this.applying; // a run in progress finishes first; the rest are applied here, in memory
    return this.withHistory(async (stored) => {
      const pending = this.unrecorded();
      let history = stored;
      for (const e of pending) {
        try {
          history = await this.client.call("record", { history, engagement: { type: e.type, offerId: e.offerId }, nowMs: e.nowMs });
        } catch (err) {
          if (err.trap) throw err;
          warn(codeOf(err), `history not updated: ${messageOf(err)}`);
        }
      }
      const out = await this.client.call("decide", { context, history, nowMs, options });
      if (!measures(out.decision, options.consent)) return { decision: out.decision, history: null };
      this.dropUnrecorded(pending);
      return out;
    });
  }

  /**
   * Forgets the shopper (launcher.forget): the unrecorded engagements at
   * once, the history after any history write in flight. Resolves when done.
   */
  forget() {
    this.store.set("unrecorded", null);
    return this.withHistory(() => {
      this.store.set("unrecorded", null);
      this.store.set("history", null);
      return {};
    });
  }

  /** Removes `done` (engagements now in the stored history) from the unrecorded ones. */
  dropUnrecorded(done) {
    if (!done.length) return;
    const gone = new Set(done.map((e) => JSON.stringify(e)));
    const rest = this.unrecorded().filter((e) => !gone.has(JSON.stringify(e)));
    this.store.set("unrecorded", rest.length ? JSON.stringify(rest) : null);
  }

  /** Engagements not yet in the stored history, oldest first (`engaged`). */
  unrecorded() {
    try {
      const list = JSON.parse(this.store.get("unrecorded") ?? "[]");
      return Array.isArray(list) ? list.filter((e) => e && typeof e.type === "string" && typeof e.offerId === "string" && Number.isSafeInteger(e.nowMs)) : [];
    } catch {
      return [];
    }
  }

  /**
   * An engagement for the page's history: kept in storage at once (a reload
   * right after a decline must not show the offer again), applied when the
   * engine is warm (`applyUnrecorded`).
   */
  engaged(engagement, nowMs) {
    const list = this.unrecorded();
    list.push({ type: engagement.type, offerId: engagement.offerId, nowMs });
    this.store.set("unrecorded", JSON.stringify(list.slice(-MAX_UNRECORDED)));
    if (this.ready()) this.applyUnrecorded();
  }

  /**
   * Applies the unrecorded engagements in order, one history write at a
   * time; each leaves storage once it is in the history (one the engine
   * refuses is dropped with a warning; after a trap the rest wait for the
   * restarted engine). Resolves when done; never rejects.
   */
  applyUnrecorded() {
    this.applying = this.applying.then(async () => {
      while (this.ready()) {
        const [next] = this.unrecorded();
        if (!next) return;
        try {
          await this.withHistory((history) => this.client.call("record", {
            history, engagement: { type: next.type, offerId: next.offerId }, nowMs: next.nowMs,
          }));
        } catch (e) {
          if (this.recover(e)) return;
          warn(codeOf(e), `history not updated: ${messageOf(e)}`);
        }
        this.dropUnrecorded([next]);
      }
    });
    return this.applying;
  }

  seal(email, receipt) {
    return this.client.call("seal", { email, receipt });
  }

  hash(kind, value) {
    return this.client.call("hash", { kind, value });
  }
}
