// offer-edge checkout snippet. One module, one global (`OfferEdge`):
//
//   <script type="module" src="/offer-edge.js"></script>   (never blocks the page)
//   const launcher = await OfferEdge.createLauncher({ partnerId, bundleUrl, trustedKeys, collectorUrl, checkoutToken });
//   const selection = await launcher.selectPlacements({ attributes: { email, firstname, state, amount }, target: "#offers" });
//   selection.on("accept", async (offer) => { if (offer.needsConfirmationEmail) await selection.setAttributes({ email }); });
//
// Where offers are decided (`decideAt`, docs/BROWSER.md):
// - "auto" (default): in the page when its engine is warm — a repeat visit
//   with a verified bundle kept from an earlier visit, or any re-decision —
//   with no request before the offers are painted; at the edge
//   (POST /v1/decide) while it is cold (first visit): one small request
//   instead of the WebAssembly engine, which then warms up in idle time.
// - "page": always in the page (waits for the engine and the bundle).
// - "edge": always at the edge (its caps and history hold across devices).
// The Decision, the rendering and the events are the same either way.
//
// Page decisions come from a signed bundle verified against the keys pinned
// here, never against keys from the network. The snippet fails closed: every
// public entry point catches, warns once (console.warn) and resolves to an
// empty selection, so no exception reaches the host page.
//
// PII: the raw email is replaced by its hash (emailsha256) before any
// decision; it is used in clear only after an accept of an offer that needs a
// confirmation email, sealed in WASM to the partner's key (HPKE). Names,
// phone and date of birth never leave the page: an edge decision renders
// name markers that the page fills in (oe-edge.js, fillNames).
//
// Attestation: `checkoutToken` (a string, or a promise of one, per launcher
// or per selectPlacements call) is the order's checkout token, minted by the
// partner's backend (docs/ATTESTATION.md). Edge decisions and every event
// carry it; the edge verifies it, the page only checks its shape.
//
// Consent (oe-consent.js): Global Privacy Control, the partner's `consent`,
// `usPrivacy` and `gpp`, and the page's CMP go to the engine as one
// `consent` object, in the page and at the edge alike; the Decision's
// `privacy` says what was removed, and when it does not let the page
// measure, nothing is stored and no event is sent. `launcher.forget()`
// erases what the snippet keeps about the shopper.
import { renderPlacement } from "./placement.js";
import { EventQueue } from "./oe-queue.js";
import { MAX_CHECKOUT_TOKEN_BYTES } from "./pkg/limits.js";
import { KeyValue } from "./oe-storage.js";
import { consentNow, measures, statedConsent } from "./oe-consent.js";
import { Selection, within } from "./oe-selection.js";
import { codeOf, codedError, fail, listen, messageOf, warn } from "./oe-log.js";
import { decideAtEdge, edgeContext, emailHash, offerEvent, uuidV4 } from "./oe-edge.js";
import { PageEngine, discardEarly, startEarly, whenIdle } from "./oe-page.js";
import { formatMoney, loadStrings, pageLocale } from "./oe-strings.js";

/* global __OE_ENGINE_URL__ */
// The engine's glue: content-hashed next to the built snippet (scripts/build-www), else pkg/ next to this file.
const PKG_URL = new URL(typeof __OE_ENGINE_URL__ === "string" ? __OE_ENGINE_URL__ : "./pkg/browser.js", import.meta.url).href;
const DAY_MS = 86_400_000;
const MODES = new Set(["auto", "page", "edge"]);
/**
 * A JWS compact token: three base64url parts (docs/ATTESTATION.md). Checked
 * here because the collector refuses a whole batch holding a malformed one.
 */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The checkout token to send, or null (none given, or not shaped like one:
 * warned once as TOKEN_INVALID and left out, so the events still go, unverified).
 * A shape check only: the edge verifies the signature, partner and lifetime.
 */
function checkoutToken(value) {
  if (value === undefined || value === null || value === "") return null;
  // The shape is ASCII, so its length in characters is its size in bytes.
  if (typeof value === "string" && value.length <= MAX_CHECKOUT_TOKEN_BYTES && TOKEN_SHAPE.test(value)) return value;
  warn("TOKEN_INVALID", `checkoutToken is not a JWS compact token of at most ${MAX_CHECKOUT_TOKEN_BYTES} bytes; events are sent without it`);
  return null;
}

/**
 * A checkout token that may still be on its way (the host passed a
 * promise): `{value, settled, promise}`; `promise` never rejects.
 */
function tokenCell(given) {
  const cell = { value: null, settled: true, promise: null };
  if (given && typeof given.then === "function") {
    cell.settled = false;
    cell.promise = Promise.resolve(given).then(checkoutToken, () => null).then((value) => {
      Object.assign(cell, { value, settled: true });
      return value;
    });
  } else {
    cell.value = checkoutToken(given);
    cell.promise = Promise.resolve(cell.value);
  }
  return cell;
}

/**
 * The context to decide on: `email` replaced by `emailsha256` (the engine's
 * normalization; computed in JS where that is exact, else by `hashIn`, the
 * engine), empties dropped, and `amountformatted` (the amount in its
 * `currency` for the shopper's `locale`, Intl) unless the page gave one: the
 * same text for page and edge decisions (templates' `amountFormatted`).
 */
async function contextFrom(attributes, hashIn, locale = null) {
  const out = {};
  const given = attributes && typeof attributes === "object" ? attributes : {};
  for (const [k, v] of Object.entries(given)) {
    if (k === "email" || v === undefined || v === null || v === "") continue;
    out[k] = v;
  }
  if (typeof out.amountformatted === "string") out.amountformatted = out.amountformatted.slice(0, 64);
  else if (locale) {
    const formatted = formatMoney(given.amount, given.currency, locale);
    if (formatted) out.amountformatted = formatted;
  }
  if (typeof given.email === "string" && given.email.trim() && !out.emailsha256) {
    try {
      const hash = (await emailHash(given.email)) ?? (await hashIn(given.email));
      if (hash) out.emailsha256 = hash;
    } catch (e) {
      warn(codeOf(e), `the email could not be hashed: ${messageOf(e)}`);
    }
  }
  return out;
}

/**
 * The attributes with `email` replaced by its normalized SHA-256 hex
 * (`emailsha256`), exactly as the core hashes it. Resolves (never rejects);
 * when it cannot be hashed, the email is just dropped.
 */
async function hashAttributes(attributes, { pkgUrl = PKG_URL } = {}) {
  try {
    return await contextFrom(attributes, async (email) => {
      const oe = await import(pkgUrl);
      await oe.ready;
      return oe.hashIdentifier("email", email);
    });
  } catch {
    return {};
  }
}

const configError = (message) => codedError("CONFIG_INVALID", message);

/**
 * The bootstrap bundle as the page engine loads it: the compiled form's
 * bytes (the `*.oeb` file `offer-edge sign` writes; the page build loads no
 * JSON), as a Uint8Array or ArrayBuffer. Anything else (a signed JSON file,
 * text) could never load: warned once as CONFIG_INVALID and left out, so
 * the kept bundle and the network still work.
 */
function bootstrapBundle(value) {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  warn("CONFIG_INVALID", "bootstrapBundle must be a compiled form's bytes (Uint8Array of the *.oeb file `offer-edge sign` writes); ignored");
  return null;
}

function options(o) {
  if (!o || typeof o !== "object") throw configError("createLauncher needs options");
  const { partnerId, trustedKeys } = o;
  if (typeof partnerId !== "string" || !partnerId) throw configError("partnerId is required");
  if (!trustedKeys || typeof trustedKeys.keys !== "object") throw configError("trustedKeys {keys, threshold} is required (pinned in the page)");
  const decideAt = o.decideAt ?? "auto";
  if (!MODES.has(decideAt)) throw configError(`decideAt must be "auto", "page" or "edge", not ${JSON.stringify(decideAt)}`);
  const abs = (u) => (u ? new URL(u, globalThis.location ? location.href : undefined).href : null);
  const bundleUrl = abs(o.bundleUrl);
  // The edge that serves the bundle also decides, unless told otherwise.
  const decideUrl = abs(o.decideUrl) ?? (bundleUrl ? new URL("/v1/decide", bundleUrl).href : null);
  if (decideAt === "edge" && !decideUrl) throw configError('decideAt "edge" needs decideUrl (or bundleUrl on the edge)');
  return {
    partnerId,
    decideAt,
    trust: {
      partner: partnerId,
      keys: trustedKeys.keys,
      threshold: trustedKeys.threshold ?? 1,
      ...(trustedKeys.maxBundleBytes ? { maxBundleBytes: trustedKeys.maxBundleBytes } : {}),
      ...(trustedKeys.maxAgeSeconds ? { maxAgeSeconds: trustedKeys.maxAgeSeconds } : {}),
      // A page that pins rotated keys (trust.next.json) names their keyset version: older kept updates are not re-applied.
      ...(trustedKeys.keysetVersion ? { keysetVersion: trustedKeys.keysetVersion } : {}),
    },
    bundleUrl,
    decideUrl,
    collectorUrl: abs(o.collectorUrl),
    bootstrapBundle: bootstrapBundle(o.bootstrapBundle),
    maxBundleAgeMs: Number.isFinite(o.maxBundleAgeMs) ? o.maxBundleAgeMs : 7 * DAY_MS,
    pkgUrl: o.pkgUrl ? abs(o.pkgUrl) : PKG_URL,
    flushDelayMs: Number.isFinite(o.flushDelayMs) ? o.flushDelayMs : 250,
    // How long an edge decision waits for a checkout token still on its way.
    tokenWaitMs: Number.isFinite(o.tokenWaitMs) ? o.tokenWaitMs : 2000,
    // How long "auto" waits for a kept bundle to load before asking the edge.
    warmWaitMs: Number.isFinite(o.warmWaitMs) ? o.warmWaitMs : 1000,
    checkoutToken: o.checkoutToken,
    // The partner's consent statements; the browser's GPC and the page's CMP are read per decision.
    consent: statedConsent(o, warn),
    // How long a decision waits for the page's CMP to answer.
    cmpWaitMs: Number.isFinite(o.cmpWaitMs) ? o.cmpWaitMs : 150,
    // The shopper's language (oe-strings.js): the snippet's texts and the money in templates.
    locale: pageLocale(o.locale),
    strings: o.strings,
    // What the host did with an accepted offer's action (oe-selection.js, `act`), and how long it may take.
    onAction: typeof o.onAction === "function" ? o.onAction : null,
    actionTimeoutMs: Number.isFinite(o.actionTimeoutMs) ? o.actionTimeoutMs : 5000,
    // The host's problem callback (oe-log.js): every failure that leaves a placement empty, and every warning.
    onError: o.onError,
    // Tests only: lets the engine worker be made to trap (oe-engine-calls.js, `trap`).
    faultInjection: o.faultInjection === true,
  };
}

/** A launcher for one partner: where to decide, the page engine, history and the event queue. */
class Launcher {
  constructor(o) {
    this.o = o;
    this.partnerId = o.partnerId;
    this.store = new KeyValue("localStorage", `offer-edge:${o.partnerId}:`);
    this.session = new KeyValue("sessionStorage", `offer-edge:${o.partnerId}:`);
    this.queue = new EventQueue({ store: this.store, url: o.collectorUrl, warn, flushDelayMs: o.flushDelayMs });
    this.page = new PageEngine(o, this.store);
    this.token = tokenCell(o.checkoutToken);
    listen(o.onError);
    /** The snippet's texts: English until the page language's table is in (loading from now, in parallel). */
    this.strings = null;
    this.stringsReady = loadStrings(o.locale, o.strings, warn).then((t) => (this.strings = t));
    this.selections = new Set();
    this.painted = false;
    /** This page view's session id: stored only once a decision lets the page measure. */
    this.sid = null;
    /** How many times forget() was called: an engagement from before a forget is dropped. */
    this.forgotten = 0;
  }

  async start() {
    this.hooks();
    if (this.o.decideAt === "edge") discardEarly();
    if (this.o.decideAt === "page") {
      await this.page.warm();
    } else if (this.o.decideAt === "auto" && this.page.keptBundle()) {
      this.page.warm({ network: false }); // a repeat visit: everything is local
    }
  }

  /** Settles when the background refresh of the bundle is done (tests, previews). */
  get refreshed() {
    return this.page.refreshed;
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

  /**
   * Once the first offers are painted: what an earlier page view left
   * unsent goes out, the page engine warms up and the kept bundle is
   * refreshed, all in idle time — never before the paint.
   */
  afterPaint(measured) {
    if (this.painted) return;
    this.painted = true;
    whenIdle(() => {
      this.queue.flush();
      // "edge" keeps history at the edge and loads the engine only to seal an email.
      if (this.o.decideAt === "edge") return;
      this.page.warm().then((ready) => {
        if (ready) this.page.refresh();
        // Not measured: the history is not written (a later measured decision applies them).
        if (measured) this.page.applyUnrecorded();
      });
    });
  }

  /** `hashIdentifier("email", …)` by the engine (for the emails JavaScript cannot hash exactly), loading it if needed. */
  async engineHash(email) {
    await this.page.warm({ network: false });
    return this.page.hash("email", email);
  }

  /** This page view's session id (the stored one, else a new one, kept in memory until `measured`). */
  sessionId() {
    this.sid ??= this.session.get("session") ?? uuidV4();
    return this.sid;
  }

  /** After a decision: the session id is stored when it lets the page measure. */
  measured(decision, consent) {
    const yes = measures(decision, consent);
    if (yes && this.sid) this.session.set("session", this.sid);
    return yes;
  }

  /**
   * The consent object of one decision (oe-consent.js): the launcher's
   * statements, this call's over them, the browser's GPC and the page's
   * CMP; null when nothing is stated.
   */
  consent(request) {
    return consentNow({ ...this.o.consent, ...statedConsent(request, warn) }, this.o.cmpWaitMs, warn);
  }

  /** Placement id → element, from `target` (selector/element, or `{placementId: selector}`); `first`: the default id; `onError`: the call's. */
  targets(target, placements, first, onError) {
    const find = (t) => (typeof t === "string" ? document.querySelector(t) : t instanceof Element ? t : null);
    const out = new Map();
    if (target && typeof target === "object" && !(target instanceof Element)) {
      for (const [id, t] of Object.entries(target)) {
        if (!placements || placements.includes(id)) out.set(id, find(t));
      }
    } else {
      const ids = placements && placements.length ? placements : [first];
      const element = find(target);
      for (const id of ids) out.set(id, element);
    }
    for (const [id, element] of out) {
      if (!element) {
        fail("TARGET_NOT_FOUND", `no element for placement ${id}`, { placement: id }, onError);
        out.delete(id);
      }
    }
    return out;
  }

  /** Decides in the page: `{decision, targets, token: null, consent}`. Throws (NO_BUNDLE, BUNDLE_EXPIRED, traps…). */
  async decideInPage(request, token, consentAsked) {
    const p = this.page;
    // Expiry is the engine's to judge (BUNDLE_EXPIRED, with the trust's grace).
    if (!p.info) throw codedError("NO_BUNDLE", "no verified bundle is active in the page");
    const targets = this.targets(request.target, request.placements, p.info.placements[0].id, request.onError);
    if (!targets.size) return null;
    const [context, consent] = await Promise.all([contextFrom(request.attributes, (email) => p.hash("email", email), this.o.locale), consentAsked]);
    const options = { placements: [...targets.keys()], sessionId: this.sessionId() };
    if (consent) options.consent = consent;
    const { decision } = await p.decide(context, Date.now(), options);
    return { decision, targets, token: null, consent };
  }

  /**
   * Decides at the edge (waiting briefly for a checkout token on its way):
   * `{decision, targets, token, consent}` (`token`: a replacement cell when
   * the edge refused the order's). Throws with a `code`.
   */
  async decideAtEdge(request, token, consentAsked) {
    const explicit = request.target && typeof request.target === "object" && !(request.target instanceof Element);
    const ids = request.placements && request.placements.length ? request.placements : explicit ? Object.keys(request.target) : null;
    const [context, checkout, consent] = await Promise.all([
      contextFrom(request.attributes, (email) => this.engineHash(email), this.o.locale),
      token.settled ? token.value : within(token.promise, this.o.tokenWaitMs, null),
      consentAsked,
    ]);
    const ask = (checkoutToken) => decideAtEdge({
      url: this.o.decideUrl,
      partner: this.partnerId,
      placements: ids,
      attributes: edgeContext(context),
      checkoutToken,
      consent,
    });
    let decision;
    let refused = false;
    try {
      decision = await ask(checkout);
    } catch (e) {
      // A token the edge refuses (forged, expired, another partner's) costs
      // the order its attestation, not its offers: decide without it, and
      // send this selection's events without it (they would be refused).
      if (!checkout || !/^TOKEN_/.test(codeOf(e))) throw e;
      warn(codeOf(e), `the edge refused checkoutToken, deciding without it: ${messageOf(e)}`);
      decision = await ask(null);
      refused = true;
    }
    const targets = this.targets(request.target, ids, decision.placements[0] && decision.placements[0].id, request.onError);
    return { decision, targets, token: refused ? tokenCell(null) : null, consent };
  }

  /** Where this selection is decided: the page when warm (auto, page), else the edge, with the other as fallback. */
  async decide(request, token) {
    const mode = this.o.decideAt;
    // The consent signals are gathered while the engine warms up.
    const consent = this.consent(request);
    const inPage = () => this.decideInPage(request, token, consent);
    if (mode === "page") {
      await this.page.warm();
      return inPage();
    }
    if (mode === "auto" && !this.page.ready() && this.page.keptBundle()) {
      await within(this.page.warm({ network: false }), this.o.warmWaitMs, false);
    }
    if (mode === "auto" && this.page.ready()) {
      try {
        return await inPage();
      } catch (e) {
        if (this.page.recover(e) || codeOf(e) !== "BUNDLE_EXPIRED") throw e;
        // expired while the page stayed open: the edge has a fresh bundle
      }
    }
    if (!this.o.decideUrl) {
      await this.page.warm();
      return inPage();
    }
    try {
      return await this.decideAtEdge(request, token, consent);
    } catch (e) {
      if (mode === "edge" || codeOf(e) !== "EDGE_UNAVAILABLE") throw e;
      warn("EDGE_UNAVAILABLE", `${messageOf(e)}; deciding in the page`, null, request.onError);
      await this.page.warm();
      return inPage();
    }
  }

  async selectPlacements(request = {}) {
    try {
      // A token given with this call wins over the launcher's (null: none for this selection).
      const token = request.checkoutToken !== undefined ? tokenCell(request.checkoutToken) : this.token;
      const decided = await this.decide(request, token);
      if (!decided || !decided.targets.size) return Selection.empty();
      // Attributes left out (ATTRIBUTE_*), history or consent problems: the offers still show.
      for (const w of decided.decision.warnings ?? []) warn(w.code, w.message, w.attribute ? { attribute: w.attribute } : null, request.onError);
      // `decided.token`: none when the edge refused the order's token.
      const measured = this.measured(decided.decision, decided.consent);
      // The texts are in long before a decision; a table that is not yet is not waited for long.
      await within(this.stringsReady, 1000, null);
      const selection = new Selection(this, decided.decision, request, decided.token ?? token, measured);
      this.selections.add(selection);
      selection.render(decided.targets, renderPlacement);
      this.afterPaint(measured);
      return selection;
    } catch (e) {
      // A trap is warned by `recover` (ENGINE_TRAPPED); either way this selection shows nothing.
      const code = this.page.recover(e) ? "ENGINE_TRAPPED" : codeOf(e);
      fail(code, `selectPlacements failed, showing nothing: ${messageOf(e)}`, null, request && request.onError);
      return Selection.empty();
    }
  }

  /**
   * Records an engagement into the page's history (oe-page.js, `engaged`):
   * at once when the engine is warm, else as soon as it is; kept in storage
   * until then, so a reload right after it loses nothing.
   */
  record(type, offerId) {
    if (this.o.decideAt !== "edge") this.page.engaged({ type, offerId }, Date.now());
  }

  /** The event of an engagement with `offer` (oe-edge.js, `offerEvent`): never waits for the engine. */
  event(type, offer, { fulfilment, checkout }) {
    return offerEvent(type, offer, this.partnerId, Date.now(), { fulfilment, checkout });
  }

  /** Seals `email` to the partner's fulfilment key for `receipt` (needs the page engine and a bundle). */
  async seal(email, receipt) {
    await this.page.warm();
    if (!this.page.ready()) throw codedError("NO_BUNDLE", "no verified bundle to seal with");
    return this.page.seal(email, receipt);
  }

  /** Summary of the active page bundle (null when none, e.g. before the engine warmed up). */
  bundleInfo() {
    try {
      return this.page.info;
    } catch {
      return null;
    }
  }

  /** Sends queued events now (fetch); resolves when done or scheduled for retry. */
  flush() {
    return this.queue.flush().catch(() => {});
  }

  /**
   * Erasure: forgets what the snippet keeps about this partner's shopper in
   * this browser — the history, the engagements not yet in it, the queued
   * events (stored and in memory) and the session id — after any history
   * write in flight; the next decision starts from an empty history. The
   * kept bundle stays (the partner's signed bundle and its rollback floor:
   * the same for every shopper). Other partners' keys are not touched.
   * Idempotent; never rejects.
   */
  async forget() {
    try {
      this.forgotten++;
      this.sid = null;
      this.queue.clear();
      erase(this.store, this.session);
      await this.page.forget();
    } catch (e) {
      warn(codeOf(e), `forget failed: ${messageOf(e)}`);
    }
  }
}

/** The shopper's keys of a partner (`store`: its localStorage, `session`: its sessionStorage), removed. */
function erase(store, session) {
  for (const name of ["history", "unrecorded", "queue"]) store.set(name, null);
  session.set("session", null);
}

/** A launcher that decides nothing (configuration or engine failure). */
const inert = {
  partnerId: null,
  selectPlacements: async () => Selection.empty(),
  bundleInfo: () => null,
  flush: async () => {},
  forget: async () => {},
  refreshed: Promise.resolve(),
};

/**
 * `{partnerId, bundleUrl, trustedKeys: {keys, threshold}, collectorUrl,
 * decideAt?, decideUrl?, bootstrapBundle?, maxBundleAgeMs?, pkgUrl?,
 * flushDelayMs?, checkoutToken?, tokenWaitMs?, warmWaitMs?,
 * consent?: {personalization?: boolean, measurement?: boolean},
 * usPrivacy?: string, gpp?: string, cmpWaitMs?, locale?, strings?,
 * onAction?, actionTimeoutMs?, onError?}` → a launcher
 * (`selectPlacements`, `bundleInfo`, `flush`, `forget`).
 * `bundleUrl` serves the partner's compiled form (the edge's
 * `/v1/bundles/<partner>/compiled`); `bootstrapBundle` is that form's bytes
 * inline (a Uint8Array), for a first render with no request. `consent`,
 * `usPrivacy` and `gpp` are the shopper's privacy signals (GPC and the
 * page's CMP are read per decision; docs/BROWSER.md, "Consent and
 * forgetting"). `locale` (default: `<html lang>`, then the browser's) picks
 * the snippet's texts and formats the amount (`amountformatted`); `strings`
 * overrides texts; `onAction({type, sku, url, offer})` → `{done, message?}`
 * (or a promise) says what the host did with an accepted offer's action, so
 * the placement never claims more (docs/BROWSER.md, "Actions: onAction").
 * `onError({code, level, message, attribute?, placement?})` hears every
 * problem: `level` "error" when a placement stays empty (bundle, context,
 * edge, engine, target), "warning" when the offers still show (an
 * attribute left out: ATTRIBUTE_UNKNOWN / ATTRIBUTE_INVALID); called in a
 * task of its own, never awaited (docs/BROWSER.md, "Problems: onError").
 * Never rejects: on any failure it warns and resolves to a launcher whose
 * selections are empty (and whose `forget()` still erases).
 *
 * @example
 * const launcher = await OfferEdge.createLauncher({ partnerId, bundleUrl, trustedKeys, collectorUrl, consent: { measurement: false } });
 * const selection = await launcher.selectPlacements({ attributes, target: "#offers", usPrivacy: "1YYN" });
 * selection.privacy; // {saleOptOut: true, personalization: false, measurement: false, because: ["usPrivacy", …], removed: […]}
 * await launcher.forget(); // the shopper's history and queued events in this browser: gone
 */
async function createLauncher(opts) {
  let launcher;
  try {
    launcher = new Launcher(options(opts));
    await launcher.start();
    return launcher;
  } catch (e) {
    // A launcher made already hears it through its own `onError`.
    fail(codeOf(e), `offers are disabled on this page: ${messageOf(e)}`, null, launcher ? null : opts && opts.onError);
    if (launcher) return launcher;
    const partnerId = opts && opts.partnerId;
    // Forgetting still works for a partner whose options are wrong this time.
    const forget = typeof partnerId === "string" && partnerId
      ? async () => erase(new KeyValue("localStorage", `offer-edge:${partnerId}:`), new KeyValue("sessionStorage", `offer-edge:${partnerId}:`))
      : inert.forget;
    return { ...inert, partnerId, forget };
  }
}

/**
 * Whether an earlier visit kept a verified, unexpired bundle for any
 * partner on this origin (`offer-edge:<partner>:kept`): then this visit
 * will decide in the page, and its engine can start right now.
 */
function keptAnyBundle(nowMs = Date.now()) {
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!/^offer-edge:.+:kept$/.test(key ?? "")) continue;
      const kept = JSON.parse(localStorage.getItem(key) ?? "null");
      if (kept && Date.parse(kept.expiresAt) > nowMs) return true;
    }
  } catch {
    // storage disabled or unreadable: the launcher starts the engine when it needs it
  }
  return false;
}

if (typeof Worker === "function" && keptAnyBundle()) startEarly(PKG_URL);

export const OfferEdge = Object.freeze({ createLauncher, hashAttributes, renderPlacement });
export { createLauncher, hashAttributes, renderPlacement };
export default OfferEdge;
if (!globalThis.OfferEdge) globalThis.OfferEdge = OfferEdge;
