// offer-edge checkout snippet. One module, one global (`OfferEdge`):
//
//   <script type="module" src="/offer-edge.js"></script>   (async, never blocks the page)
//   const launcher = await OfferEdge.createLauncher({ partnerId, bundleUrl, trustedKeys, collectorUrl });
//   const selection = await launcher.selectPlacements({ attributes: { email, firstname, state, amount }, target: "#offers" });
//   selection.on("accept", async (offer) => { if (offer.needsConfirmationEmail) await selection.setAttributes({ email }); });
//
// Offers are decided in the page by the WebAssembly engine (pkg/) from a
// signed bundle verified against the keys pinned here, never against keys
// from the network. The snippet fails closed: every public entry point
// catches, warns once (console.warn) and resolves to an empty selection, so no
// exception or rejection reaches the host page and the checkout keeps working.
//
// PII: the raw email is hashed (emailsha256) before deciding; names stay in
// the page (the placement greets the shopper) and are never sent. The
// plaintext email is used only after an accept of an offer that needs a
// confirmation email, sealed in WASM to the partner's key (HPKE).
//
// Attestation: `checkoutToken` (createLauncher, or per selectPlacements call)
// is the order's checkout token, minted by the partner's backend
// (docs/ATTESTATION.md). Every event of the selection carries it; only such
// events can trigger a confirmation email. The edge verifies it; the page
// only checks its shape.
import { renderPlacement } from "./placement.js";
import { EventQueue } from "./oe-queue.js";
import { BundleCache, KeyValue, base64 } from "./oe-storage.js";
import { Selection } from "./oe-selection.js";
import { codeOf, messageOf, warn } from "./oe-log.js";

const PKG_URL = new URL("./pkg/browser.js", import.meta.url).href;
const DAY_MS = 86_400_000;
/** A JWS compact token: three base64url parts (docs/ATTESTATION.md); the edge allows 2,048 bytes. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const TOKEN_MAX_BYTES = 2048;

/**
 * The checkout token to send, or null (none given, or not shaped like one:
 * warned once as TOKEN_INVALID and left out, so the events still go, unverified).
 * A shape check only: the edge verifies the signature, partner and lifetime.
 */
function checkoutToken(value) {
  if (value === undefined || value === null || value === "") return null;
  // The shape is ASCII, so its length in characters is its size in bytes.
  if (typeof value === "string" && value.length <= TOKEN_MAX_BYTES && TOKEN_SHAPE.test(value)) return value;
  warn("TOKEN_INVALID", "checkoutToken is not a JWS compact token of at most 2048 bytes; events are sent without it");
  return null;
}


const engines = new Map();
/** Imports pkg/ (the WASM engine) once per URL and waits until it is instantiated. */
function loadEngine(url = PKG_URL) {
  if (!engines.has(url)) {
    const loading = import(url).then(async (m) => {
      await m.ready;
      return m;
    });
    loading.catch(() => engines.delete(url)); // a later call may try again
    engines.set(url, loading);
  }
  return engines.get(url);
}

/** The context to decide on: `email` replaced by `emailsha256` (core normalization), empties dropped. */
function contextFrom(oe, attributes) {
  const out = {};
  for (const [k, v] of Object.entries(attributes && typeof attributes === "object" ? attributes : {})) {
    if (k === "email" || v === undefined || v === null || v === "") continue;
    out[k] = v;
  }
  const email = attributes && attributes.email;
  if (typeof email === "string" && email.trim() && !out.emailsha256) {
    try {
      if (oe) out.emailsha256 = oe.hashIdentifier("email", email);
    } catch (e) {
      warn(codeOf(e), `the email could not be hashed: ${messageOf(e)}`);
    }
  }
  return out;
}

/**
 * The attributes with `email` replaced by its normalized SHA-256 hex
 * (`emailsha256`), exactly as the core hashes it. Resolves (never rejects);
 * without the engine, the email is just dropped.
 */
async function hashAttributes(attributes, { pkgUrl } = {}) {
  let oe = null;
  try {
    oe = await loadEngine(pkgUrl);
  } catch (e) {
    warn("ENGINE_UNAVAILABLE", `the WebAssembly engine did not load: ${messageOf(e)}`);
  }
  try {
    return contextFrom(oe, attributes);
  } catch {
    return {};
  }
}

function options(o) {
  if (!o || typeof o !== "object") throw Object.assign(new Error("createLauncher needs options"), { code: "CONFIG_INVALID" });
  const { partnerId, trustedKeys } = o;
  if (typeof partnerId !== "string" || !partnerId) throw Object.assign(new Error("partnerId is required"), { code: "CONFIG_INVALID" });
  if (!trustedKeys || typeof trustedKeys.keys !== "object") {
    throw Object.assign(new Error("trustedKeys {keys, threshold} is required (pinned in the page)"), { code: "CONFIG_INVALID" });
  }
  const abs = (u) => (u ? new URL(u, globalThis.location ? location.href : undefined).href : null);
  return {
    partnerId,
    trust: {
      partner: partnerId,
      keys: trustedKeys.keys,
      threshold: trustedKeys.threshold ?? 1,
      ...(trustedKeys.maxBundleBytes ? { maxBundleBytes: trustedKeys.maxBundleBytes } : {}),
      ...(trustedKeys.maxAgeSeconds ? { maxAgeSeconds: trustedKeys.maxAgeSeconds } : {}),
    },
    bundleUrl: abs(o.bundleUrl),
    collectorUrl: abs(o.collectorUrl),
    bootstrapBundle: o.bootstrapBundle ?? null,
    maxBundleAgeMs: Number.isFinite(o.maxBundleAgeMs) ? o.maxBundleAgeMs : 7 * DAY_MS,
    pkgUrl: o.pkgUrl ? abs(o.pkgUrl) : PKG_URL,
    flushDelayMs: Number.isFinite(o.flushDelayMs) ? o.flushDelayMs : 250,
    checkoutToken: checkoutToken(o.checkoutToken),
  };
}

/** A launcher for one partner: the engine, the bundle, history and the event queue. */
class Launcher {
  constructor(o) {
    this.o = o;
    this.partnerId = o.partnerId;
    this.store = new KeyValue("localStorage", `offer-edge:${o.partnerId}:`);
    this.session = new KeyValue("sessionStorage", `offer-edge:${o.partnerId}:`);
    this.queue = new EventQueue({ store: this.store, url: o.collectorUrl, warn, flushDelayMs: o.flushDelayMs });
    this.cache = o.bundleUrl ? new BundleCache(o.partnerId, o.bundleUrl) : null;
    this.cached = null;
    this.oe = null;
    this.engine = null;
    this.selections = new Set();
    /** Settles when the network refresh of the bundle is done (tests, previews). */
    this.refreshed = Promise.resolve();
  }

  async start() {
    this.hooks();
    this.queue.flush(); // what an earlier page view left unacknowledged
    this.oe = await loadEngine(this.o.pkgUrl);
    this.engine = new this.oe.Engine(this.o.trust);
    this.restoreState();
    await this.loadBundles();
  }

  /** Flush on hide/unload (sendBeacon), retry when the network is back. */
  hooks() {
    if (typeof addEventListener !== "function") return;
    const hidden = () => {
      try {
        if (document.visibilityState === "hidden") this.queue.beacon();
      } catch {
        // never into the host page
      }
    };
    const unload = () => {
      try {
        for (const s of this.selections) s.finishPending();
        this.queue.beacon();
      } catch {
        // never into the host page
      }
    };
    document.addEventListener("visibilitychange", hidden);
    addEventListener("pagehide", unload);
    addEventListener("online", () => this.queue.flush());
  }

  restoreState() {
    const saved = this.store.get("state");
    if (!saved) return;
    try {
      const state = JSON.parse(saved);
      // Anything older than the restored floor fails as VERSION_ROLLBACK;
      // the same version loads again (no bundle is active yet after a reload).
      if (Number.isSafeInteger(state.lastVersion) && state.lastVersion > 0) {
        this.engine.importState({ partner: state.partner, lastVersion: state.lastVersion });
      }
    } catch (e) {
      warn("STATE_DISCARDED", `stored rollback state ignored: ${codeOf(e)}`);
    }
  }

  persistState() {
    try {
      const state = this.engine.exportState();
      if (state) this.store.set("state", JSON.stringify(state));
    } catch {
      // rollback protection is best effort when storage fails
    }
  }

  /**
   * After a trap (an error that is not an OfferEdgeError: a RuntimeError or a
   * stack overflow inside the WebAssembly engine) the instance's memory can
   * no longer be trusted: replace it with a fresh instance of the same
   * compiled module, make a new Engine, and reload the last verified bundle
   * we hold. Warns ENGINE_TRAPPED; returns whether `e` was a trap.
   */
  recover(e) {
    const trap = e instanceof WebAssembly.RuntimeError || e instanceof RangeError || (e instanceof Error && /stale object/.test(e.message));
    if (!trap || !this.oe) return false;
    warn("ENGINE_TRAPPED", `the offer engine failed (${messageOf(e)}) and was restarted`);
    try {
      this.oe.__wbg_reset_state();
      this.engine = new this.oe.Engine(this.o.trust);
      this.restoreState();
      if (this.cached) this.tryLoad(this.cached.bytes, "cached");
      if (this.o.bootstrapBundle) this.tryLoad(this.o.bootstrapBundle, "bootstrap");
    } catch (again) {
      this.engine = null; // fails closed: selections stay empty
      warn("ENGINE_UNAVAILABLE", `the offer engine could not be restarted: ${messageOf(again)}`);
    }
    return true;
  }

  /** Verifies `bytes` into the engine; on failure the last good bundle stays active. */
  tryLoad(bytes, source) {
    try {
      this.engine.load(typeof bytes === "string" || bytes instanceof Uint8Array ? bytes : JSON.stringify(bytes), Date.now());
      this.persistState();
      return true;
    } catch (e) {
      // An older bootstrap or cached copy under a newer active bundle is expected.
      if (!(source !== "network" && codeOf(e) === "VERSION_ROLLBACK" && this.engine.info())) {
        warn(codeOf(e), `${source} bundle rejected: ${messageOf(e)}`);
      }
      return false;
    }
  }

  /**
   * Cached (if younger than maxBundleAgeMs) and bootstrap bundles first, so
   * the first render does not wait for the network; then the bundle URL with
   * If-None-Match, awaited only when nothing verified yet.
   */
  async loadBundles() {
    const now = Date.now();
    const cached = this.cache ? await this.cache.get() : null;
    if (cached) {
      if (now - cached.storedAt <= this.o.maxBundleAgeMs && this.tryLoad(cached.bytes, "cached")) this.cached = cached;
      else await this.cache.remove();
    }
    if (this.o.bootstrapBundle) this.tryLoad(this.o.bootstrapBundle, "bootstrap");
    if (!this.o.bundleUrl) return;
    const active = Boolean(this.engine.info());
    this.refreshed = this.fetchBundle(this.cached ? this.cached.etag : null).catch((e) => {
      warn("BUNDLE_FETCH_FAILED", messageOf(e));
    });
    if (!active) await this.refreshed;
  }

  async fetchBundle(etag) {
    let res;
    try {
      res = await fetch(this.o.bundleUrl, {
        headers: etag ? { "if-none-match": etag } : {},
        cache: "no-store",
        credentials: "omit",
      });
    } catch (e) {
      warn("BUNDLE_FETCH_FAILED", `the bundle could not be fetched: ${messageOf(e)}`);
      return;
    }
    if (res.status === 304 && this.cached) {
      await this.cache.put(this.cached.bytes, etag, Date.now());
      return;
    }
    if (!res.ok) {
      warn("BUNDLE_FETCH_FAILED", `the bundle URL answered HTTP ${res.status}`);
      return;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (this.tryLoad(bytes, "network") && this.cache) {
      this.cached = { bytes, etag: res.headers.get("etag"), storedAt: Date.now() };
      await this.cache.put(bytes, this.cached.etag, this.cached.storedAt);
    }
  }

  /** The stored history blob, or null (new shopper, wiped or corrupt storage). */
  history() {
    const text = this.store.get("history");
    if (!text) return null;
    try {
      return base64.decode(text);
    } catch {
      warn("HISTORY_DISCARDED", "stored history was not readable");
      return null;
    }
  }

  saveHistory(bytes) {
    if (bytes) this.store.set("history", base64.encode(bytes));
  }

  sessionId() {
    let id = this.session.get("session");
    if (!id) {
      id = this.oe.uuidV4();
      this.session.set("session", id);
    }
    return id;
  }

  /** Placement id → element, from `target` (selector/element, or `{placementId: selector}`). */
  targets(target, placements) {
    const find = (t) => (typeof t === "string" ? document.querySelector(t) : t instanceof Element ? t : null);
    const out = new Map();
    if (target && typeof target === "object" && !(target instanceof Element)) {
      for (const [id, t] of Object.entries(target)) {
        if (!placements || placements.includes(id)) out.set(id, find(t));
      }
    } else {
      const ids = placements && placements.length ? placements : [this.engine.info().placements[0].id];
      const element = find(target);
      for (const id of ids) out.set(id, element);
    }
    for (const [id, element] of out) {
      if (!element) {
        warn("TARGET_NOT_FOUND", `no element for placement ${id}`);
        out.delete(id);
      }
    }
    return out;
  }

  async selectPlacements(request = {}) {
    try {
      if (!this.engine || !this.engine.info()) {
        warn("NO_BUNDLE", "no verified bundle: the placement stays empty");
        return Selection.empty();
      }
      const targets = this.targets(request.target, request.placements);
      if (!targets.size) return Selection.empty();
      const context = contextFrom(this.oe, request.attributes);
      const { decision, history } = this.engine.decide(context, this.history(), Date.now(), {
        placements: [...targets.keys()],
        sessionId: this.sessionId(),
      });
      this.saveHistory(history);
      for (const w of decision.warnings ?? []) warn(w.code, w.message);
      // A token given with this call wins over the launcher's (null: none for this selection).
      const token = request.checkoutToken !== undefined ? checkoutToken(request.checkoutToken) : this.o.checkoutToken;
      const selection = new Selection(this, decision, request, token);
      this.selections.add(selection);
      selection.render(targets, renderPlacement);
      return selection;
    } catch (e) {
      if (!this.recover(e)) warn(codeOf(e), `selectPlacements failed, showing nothing: ${messageOf(e)}`);
      return Selection.empty();
    }
  }

  /** Summary of the active bundle (null when none). */
  bundleInfo() {
    try {
      return this.engine ? this.engine.info() : null;
    } catch {
      return null;
    }
  }

  /** Sends queued events now (fetch); resolves when done or scheduled for retry. */
  flush() {
    return this.queue.flush().catch(() => {});
  }
}

/** A launcher that decides nothing (configuration or engine failure). */
const inert = {
  partnerId: null,
  selectPlacements: async () => Selection.empty(),
  bundleInfo: () => null,
  flush: async () => {},
  refreshed: Promise.resolve(),
};

/**
 * `{partnerId, bundleUrl, trustedKeys: {keys, threshold}, collectorUrl,
 * bootstrapBundle?, maxBundleAgeMs?, pkgUrl?, flushDelayMs?, checkoutToken?}` → a launcher.
 * Never rejects: on any failure it warns and resolves to a launcher whose
 * selections are empty.
 */
async function createLauncher(opts) {
  let launcher;
  try {
    launcher = new Launcher(options(opts));
    await launcher.start();
    return launcher;
  } catch (e) {
    warn(codeOf(e), `offers are disabled on this page: ${messageOf(e)}`);
    return launcher && launcher.engine ? launcher : { ...inert, partnerId: opts && opts.partnerId };
  }
}

export const OfferEdge = Object.freeze({ createLauncher, hashAttributes, renderPlacement });
export { createLauncher, hashAttributes, renderPlacement };
export default OfferEdge;
if (!globalThis.OfferEdge) globalThis.OfferEdge = OfferEdge;
