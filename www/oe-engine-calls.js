// What the page engine does, as named calls on plain data: run in the
// snippet's Web Worker (oe-worker.js), so that compiling the WASM, reading
// the kept bundle, fetching, verifying and compiling a new one and deciding
// never block the page's main thread; or in the page itself where a worker
// cannot start (the same calls, in-thread).
//
// The calls hold one Engine of the WebAssembly module (pkg/page/: it loads
// compiled forms only, `*.oeb`, binary) for one partner, and the partner's
// kept bundle (Cache API). Bundle bytes stay a Uint8Array from the fetch
// (arrayBuffer) through the cache to `Engine.load`: never decoded as text. localStorage is not
// available to workers: the rollback floor and the history blob come in as
// arguments, and every call that loads a bundle answers `{info, state, kept,
// warnings}` for the page to store and report.
//
// Key rotation (oe-worker-keysets.js, `hooks.Keys`): in the engine worker
// only, so the snippet carries none of it; `init` re-applies the kept chain
// from the pinned keys, `refresh` fetches a newer one, and the applied chain
// comes back as `keysets` in the outcome for the page to keep.
import { BundleCache } from "./oe-bundle-cache.js";
import { codedError } from "./oe-log.js";

/** Whether `e` is a trap of the WebAssembly instance (its memory can no longer be trusted). */
export function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError || e instanceof RangeError || (e instanceof Error && /stale object/.test(e.message));
}

/** `Keys` (oe-worker-keysets.js), set by the worker's message loop: key rotation runs in the worker only. */
export const hooks = { Keys: null };

/** The stable code of what an engine call threw (INTERNAL when it has none). */
export const codeOf = (e) => (e && typeof e.code === "string" ? e.code : "INTERNAL");

/**
 * The calls, over a fresh state: `init` first. `preloaded`: `{pkgUrl,
 * module}` when the worker carries the engine's glue itself (the built
 * worker), `module` resolving once its WASM is instantiated.
 */
export function engineCalls(preloaded = null) {
  let oe = null;
  let engine = null;
  let o = null; // {partnerId, bundleUrl, maxBundleAgeMs, faultInjection}
  let cache = null;
  let kept = null; // {etag, storedAt} of the bundle in the cache, when it is the active one
  let keys = null; // a hooks.Keys: the keyset in force (worker only)
  let warnings = [];
  const warn = (code, message) => warnings.push([code, message]);
  const active = () => {
    if (!engine) throw codedError("ENGINE_UNAVAILABLE", "the engine is not initialized");
    return engine;
  };
  /** What the page stores and reports after a call that may have loaded a bundle. */
  const outcome = (extra = {}) => {
    const out = { info: engine.info(), state: engine.exportState(), kept, warnings, ...extra };
    if (keys?.changed) out.keysets = keys.take();
    warnings = [];
    return out;
  };
  /** Verifies `bytes` into the engine; on failure the last good bundle stays active. */
  const tryLoad = (bytes, source) => {
    try {
      engine.load(bytes, Date.now());
      return true;
    } catch (e) {
      if (isTrap(e)) throw e;
      // An older cached or bootstrap copy under a newer active bundle is expected.
      if (!(source !== "network" && codeOf(e) === "VERSION_ROLLBACK" && engine.info())) warn(codeOf(e), `${source} bundle rejected: ${e.message}`);
      return false;
    }
  };

  let booting = preloaded; // {pkgUrl, module}: the glue being imported
  const boot = (pkgUrl) => {
    if (!booting || booting.pkgUrl !== pkgUrl) {
      booting = { pkgUrl, module: import(pkgUrl).then(async (m) => { await m.ready; return m; }) };
    }
    return booting.module;
  };

  return {
    /**
     * Imports the engine's glue (compiling and instantiating its WASM,
     * streaming) before any partner is known: a repeat visit starts this
     * when the snippet loads, ahead of the host's createLauncher.
     */
    async boot({ pkgUrl }) {
      await boot(pkgUrl);
      return true;
    },

    /** Makes the Engine (booting first if needed), restoring the rollback floor. */
    async init({ pkgUrl, trust, state, keysets, partnerId, bundleUrl, maxBundleAgeMs, faultInjection }) {
      oe = await boot(pkgUrl);
      engine = new oe.Engine(trust);
      keys = hooks.Keys && new hooks.Keys(oe, trust, warn);
      if (keys) engine = keys.restore(engine, keysets);
      o = { partnerId, bundleUrl, maxBundleAgeMs, faultInjection: faultInjection === true };
      cache = bundleUrl ? new BundleCache(partnerId, bundleUrl, warn) : null;
      if (state) {
        try {
          engine.importState(state);
        } catch (e) {
          warn("STATE_DISCARDED", `stored rollback state ignored: ${codeOf(e)}`);
        }
      }
      return outcome();
    },

    /** Loads the bundle an earlier visit kept, if younger than maxBundleAgeMs and still verifying (else drops it). */
    async loadKept() {
      const cached = cache ? await cache.get() : null;
      if (cached && Date.now() - cached.storedAt <= o.maxBundleAgeMs && tryLoad(cached.bytes, "cached")) {
        kept = { etag: cached.etag, storedAt: cached.storedAt };
      } else if (cached) {
        await cache.remove();
        return outcome({ keptDropped: true });
      }
      return outcome();
    },

    /** Loads a bundle the page holds (the bootstrap bundle: a compiled form's bytes, a Uint8Array). */
    loadBytes({ bytes, source }) {
      tryLoad(bytes, source);
      return outcome();
    },

    /** Fetches the bundle URL (If-None-Match the kept copy), loads what is new and keeps it. */
    async refresh() {
      if (!o.bundleUrl) return outcome();
      let res;
      try {
        res = await fetch(o.bundleUrl, { headers: kept?.etag ? { "if-none-match": kept.etag } : {}, cache: "no-store", credentials: "omit" });
      } catch (e) {
        warn("BUNDLE_FETCH_FAILED", `the bundle could not be fetched: ${e && e.message}`);
        return outcome();
      }
      // Keys first: a bundle of rotated keys verifies only after the update.
      await keys?.update(engine, res, o.bundleUrl);
      if (res.status === 304 && kept) {
        const cached = await cache.get();
        if (cached) {
          kept = { etag: kept.etag, storedAt: Date.now() };
          await cache.put(cached.bytes, kept.etag, kept.storedAt);
        }
        return outcome();
      }
      if (!res.ok) {
        // The edge's own code says why (NO_COMPILED_FORM: no form of the active version verified yet).
        const code = await res.json().then((body) => body?.error?.code, () => null);
        warn("BUNDLE_FETCH_FAILED", `the bundle URL answered HTTP ${res.status}${typeof code === "string" ? ` ${code}` : ""}`);
        return outcome();
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (tryLoad(bytes, "network") && cache) {
        kept = { etag: res.headers.get("etag"), storedAt: Date.now() };
        await cache.put(bytes, kept.etag, kept.storedAt);
      }
      return outcome();
    },

    /** `{decision, history}` for `context` on the stored `history` blob. */
    decide({ context, history, nowMs, options }) {
      return active().decide(context, history, nowMs, options);
    },
    /** The history blob with one engagement applied. */
    record({ history, engagement, nowMs }) {
      return active().record(history, engagement, nowMs);
    },
    /** The email sealed to the active bundle's fulfilment key for `receipt`. */
    seal({ email, receipt }) {
      return active().sealForFulfilment(email, receipt);
    },
    /** `hashIdentifier(kind, value)`: the engine's normalization and hash. */
    hash({ kind, value }) {
      if (!oe) throw codedError("ENGINE_UNAVAILABLE", "the engine is not initialized");
      return oe.hashIdentifier(kind, value);
    },
    /**
     * A genuine trap (an out-of-bounds read through a raw export), for the
     * tests of trap recovery; refused unless the launcher was made with
     * `faultInjection: true`. It gives page script nothing it lacks: the
     * page can always terminate its own worker.
     */
    trap() {
      if (!o || !o.faultInjection) throw codedError("FAULT_INJECTION_DISABLED", "trap is for tests (faultInjection)");
      return oe.initSync().engine_info(0xfffffff8);
    },
  };
}
