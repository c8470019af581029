// The verified bundle per partner: one `Engine` per partner per isolate,
// loaded from KV and verified with the partner's PINNED trust before any
// byte of it is served or used.
//
// KV keys (binding BUNDLES), all carrying the partner:
//   bundle:<partner>       the latest upload (scripts/upload-bundle, or
//                          `wrangler kv key put --binding BUNDLES bundle:<partner> --path signed.json`)
//   good:<partner>         the last upload that verified (written by the worker)
//   state:<partner>        {partner, lastVersion, sha256, mac}: the rollback floor and the SHA-256 of
//                          the good bytes it belongs to, MACed with the partner's state key
//   page-bundle:<partner>  the latest upload of the PAGE bundle (`sign` writes it next to the
//                          bundle when the bundle has confidential audiences: docs/BUNDLES.md)
//   good-page:<partner>    the last page bundle that verified (written by the worker)
//   page-form:<partner>    the latest upload of the COMPILED FORM (`sign` writes it as *.oeb: what
//                          the page build loads instead of JSON; src/bundle/form.rs)
//   good-form:<partner>    the last compiled form that verified (written by the worker)
// The worker decides with the bundle of `bundle:` (the full edition) and
// serves pages only a page bundle the Engine verified as the page edition
// of exactly that bundle (`Engine.verifyPageBundle`: pinned trust, same
// partner, version and dates). A bundle with confidential audiences is
// never served: without its page bundle, GET answers 404 NO_PAGE_BUNDLE.
// A page bundle needs no state of its own: its version must equal the
// active bundle's, whose floor is MACed; a stale `good-page:` is refused.
// A compiled form is served only when its body is byte for byte what the
// Engine compiles the bundle pages get to (`Engine.verifyCompiledForm`), so
// a page never runs a rule or template the edge did not compile itself.
// A failed upload never replaces what is served: the Engine keeps the
// previous bundle active on a failed load, and the worker keeps the
// previous bytes, ETag and version with it.
//
// The rollback floor is only ever raised by this worker after a bundle
// verified, and it is authenticated: a cold isolate applies the floor
// BEFORE it loads `good:`, and serves `good:` only when the MACed state
// names exactly those bytes. A forged or unreadable state is refused and
// reported (STATE_INVALID) and `good:` is not served until an upload
// verifies; a `good:` that is not the state's (a stale copy under a higher
// floor, or a partial write) is refused and reported (STALE_GOOD), and the
// upload in `bundle:` (which verifies against the floor) takes over. The
// state is written before `good:`, so a write cut in half leaves the pair
// inconsistent in the safe direction.
//
// Key rotation (edge/keysets.js): the partner's trust is its pinned trust
// with the kept chain of keyset updates (`keysets:`) applied; the chain is
// re-derived before `good:` loads, an upload (`keyset:`) is applied before
// the bundle upload of the same refresh, and the state carries the keyset
// version in force (`keysetVersion`, MACed) so the chain cannot be dropped.
import * as oe from "../pkg/workerd.js";
import { intSetting, partnerOr404 } from "./config.js";
import { HttpError, cacheable } from "./http.js";
import { partnerKey } from "./keys.js";
import { applyKeysetUpload, keysetRefusal, keysetStatus, newKeysets, readChain, restoreKeysets, retireKeys } from "./keysets.js";
import { fromBase64, hmac, hmacVerify, sha256Hex, toBase64Url, utf8 } from "./util.js";

/** partner id → entry; per isolate, for the current WebAssembly instance. */
const entries = new Map();

// A trap is fatal to its instance, never shared with another partner
// (docs/EDGE.md, "A trap is fatal to its instance"). All partners' Engines
// live in one WebAssembly instance per isolate; after a trap (an error that is not an OfferEdgeError: a
// RuntimeError, a stack overflow) its memory and stack pointer can no longer
// be trusted, so the worker throws the instance away at once
// (`__wbg_reset_state`, a fresh instance of the same compiled module),
// forgets every Engine made in it (`generation`), and lets each partner
// reload from KV on its next request. A bundle that trapped
// QUARANTINE_AFTER times is refused (BUNDLE_QUARANTINED) until a new upload
// replaces it, so one partner's bundle cannot keep resetting the others.
let generation = 0;
/** `${partner}\n${sha}` → traps seen; survives resets (per isolate). */
const traps = new Map();
const QUARANTINE_AFTER = 3;

function quarantined(partner, sha) {
  return (traps.get(`${partner}\n${sha}`) ?? 0) >= QUARANTINE_AFTER;
}

/** Throws the shared instance away: a fresh one of the same compiled module, no Engine of the old one kept. */
function resetInstance() {
  generation++;
  entries.clear();
  oe.__wbg_reset_state();
}

/** Resets the instance after `error` trapped while `entry`'s bundle (`sha`) was in use. */
function trapped(entry, sha, error) {
  const key = `${entry.partner}\n${sha}`;
  traps.set(key, (traps.get(key) ?? 0) + 1);
  console.error(`engine trapped on ${entry.partner}'s bundle ${sha} (${traps.get(key)}×): ${error && error.message}; restarting the instance`);
  resetInstance();
}

/**
 * Runs `fn()`, a call of one of pkg's free functions (receipts, tokens,
 * keys) on request data, with the same rule as `withEngine`: anything
 * thrown that is not an OfferEdgeError is a trap, so the instance is reset
 * and the call fails with 503 ENGINE_TRAPPED.
 */
export function callCore(fn) {
  try {
    return fn();
  } catch (e) {
    if (isOfferEdgeError(e)) throw e;
    console.error(`engine trapped in a core call: ${e && e.message}; restarting the instance`);
    resetInstance();
    throw trapError("a core call");
  }
}

/** The error a request sees when its engine call trapped (the next request gets a fresh instance). */
const trapError = (what) => new HttpError(503, "ENGINE_TRAPPED", `the engine failed on ${what} and was restarted; retry`, { "retry-after": "1" });

/**
 * Runs `fn(engine)` synchronously on the partner's active, unexpired
 * Engine of the current instance. OfferEdgeErrors and HttpErrors pass
 * through; anything else is a trap: the instance is reset (see above) and
 * the call fails with 503 ENGINE_TRAPPED. Always call the Engine through
 * this: an Engine held across an `await` may belong to an instance that
 * another request has since reset.
 */
export async function withEngine(env, partnerId, nowMs, fn) {
  let entry = await activeBundle(env, partnerId, nowMs);
  // Another request may have reset the instance while this one awaited.
  for (let i = 0; entry.generation !== generation; i++) {
    if (i === 3) throw trapError(`${partnerId}'s bundle`);
    entry = await activeBundle(env, partnerId, nowMs);
  }
  try {
    return fn(entry.engine);
  } catch (e) {
    if (isOfferEdgeError(e) || e instanceof HttpError) throw e;
    trapped(entry, entry.sha, e);
    throw trapError(`${entry.partner}'s bundle`);
  }
}

/** The re-exported binding, for callers that need free functions. */
export { oe };

/** Errors the Engine throws are OfferEdgeErrors with a stable `code`. */
export const isOfferEdgeError = (e) => e instanceof Error && e.name === "OfferEdgeError" && typeof e.code === "string";

function newEntry(partner) {
  return {
    partner: partner.id,
    generation,
    engine: new oe.Engine(partner.trust),
    bytes: null, // the active signed bytes (what GET serves, unless a page bundle is due)
    sha: null, // hex SHA-256 of `bytes` (the ETag)
    info: null,
    seen: new Map(), // sha of an upload already tried → its outcome code
    page: null, // {bytes, sha, version, bundleSha256}: the page bundle of the active bundle
    form: null, // {bytes, sha, version, bundleSha256}: the compiled form pages load
    served: { page: new Map(), form: new Map() }, // per kind: uploads already tried → outcome code
    pageError: null,
    formError: null,
    lastError: null,
    checkedAt: 0,
    pending: null,
    keysets: newKeysets(partner), // the keyset in force (edge/keysets.js)
  };
}

async function tryLoad(entry, bytes, sha, nowMs) {
  const frozen = keysetRefusal(entry);
  if (frozen) {
    // Not remembered in `seen`: the same upload is tried again once the chain is restored.
    entry.lastError = { code: frozen.code, message: frozen.message, sha256: sha, at: new Date(nowMs).toISOString() };
    return false;
  }
  if (quarantined(entry.partner, sha)) {
    entry.seen.set(sha, "BUNDLE_QUARANTINED");
    entry.lastError = { code: "BUNDLE_QUARANTINED", message: "this bundle made the engine trap; upload a new one", sha256: sha, at: new Date(nowMs).toISOString() };
    return false;
  }
  try {
    const result = entry.engine.load(bytes, nowMs);
    if (result.status === "loaded") {
      entry.bytes = bytes;
      entry.sha = sha;
      entry.info = entry.engine.info();
      entry.seen.set(sha, "LOADED");
      // The page bundle and compiled form of the previous version are not this one's.
      entry.page = null;
      entry.form = null;
      if (entry.info.edition === "page") {
        console.warn(`${entry.partner} decides with a page bundle: its ${entry.info.edgeOnly.length} edge-only offer(s) are never shown; upload the full bundle to bundle:${entry.partner}`);
      }
      return true;
    }
    entry.seen.set(sha, "UNCHANGED");
    return false;
  } catch (e) {
    if (!isOfferEdgeError(e)) {
      trapped(entry, sha, e);
      throw trapError(`${entry.partner}'s bundle`);
    }
    entry.seen.set(sha, e.code);
    entry.lastError = { code: e.code, message: e.message, sha256: sha, at: new Date(nowMs).toISOString() };
    console.warn(`bundle for ${entry.partner} refused (${e.code}): ${e.message}; keeping version ${entry.info?.version ?? "none"}`);
    return false;
  }
}

/**
 * What each file pages may get is checked with, before it is served:
 * `page` — the page bundle (signed JSON), as the page edition of the active
 * bundle; `form` — the compiled form the page build loads, as byte for
 * byte what the Engine compiles the bundle pages get to (the page bundle
 * when the active bundle has confidential audiences).
 */
const SERVED = {
  page: (entry, bytes, nowMs) => entry.engine.verifyPageBundle(bytes, nowMs),
  form: (entry, bytes, nowMs) => entry.engine.verifyCompiledForm(bytes, nowMs, currentPage(entry)?.bytes ?? null),
};

/** The page bundle of the active version, if one verified. */
function currentPage(entry) {
  return entry.page && entry.page.version === entry.info?.version ? entry.page : null;
}

/**
 * Verifies `bytes` (SHA-256 `sha`) as the `kind` ("page" or "form") file of
 * the active bundle (see SERVED); on success they are what GET serves. Each
 * upload is tried once per active bundle (and page bundle). Returns whether
 * they were taken.
 */
function tryServed(entry, kind, bytes, sha, nowMs) {
  if (!entry.info || entry[kind]?.sha === sha) return false;
  const seen = entry.served[kind];
  const key = `${entry.sha}\n${currentPage(entry)?.sha ?? ""}\n${sha}`;
  if (seen.has(key)) return false;
  if (quarantined(entry.partner, sha)) {
    seen.set(key, "BUNDLE_QUARANTINED");
    return false;
  }
  const what = kind === "page" ? "page bundle" : "compiled form";
  try {
    const { version, bundleSha256 } = SERVED[kind](entry, bytes, nowMs);
    entry[kind] = { bytes, sha, version, bundleSha256 };
    seen.set(key, "LOADED");
    entry[`${kind}Error`] = null;
    return true;
  } catch (e) {
    if (!isOfferEdgeError(e)) {
      trapped(entry, sha, e);
      throw trapError(`${entry.partner}'s ${what}`);
    }
    seen.set(key, e.code);
    entry[`${kind}Error`] = { code: e.code, message: e.message, sha256: sha, at: new Date(nowMs).toISOString() };
    console.warn(`${what} for ${entry.partner} refused (${e.code}): ${e.message}`);
    return false;
  }
}

const STATE_DOMAIN = "offer-edge/bundle-state/v1";
const stateKey = (env, partner) => partnerKey(env, partner, "v1", "state");
// The keyset version in force is part of the message once a rotation applied (edge/keysets.js).
const stateMessage = (s) => utf8(`${STATE_DOMAIN}\n${s.partner}\n${s.lastVersion}\n${s.sha256}${s.keysetVersion ? `\n${s.keysetVersion}` : ""}`);

/** The MACed state record for `partner` at `lastVersion` with good bytes `sha256`, under keyset `keysetVersion`. */
async function signedState(env, partner, lastVersion, sha256, keysetVersion = 0) {
  const state = { partner, lastVersion, sha256, ...(keysetVersion ? { keysetVersion } : {}) };
  return { ...state, mac: toBase64Url(await hmac(stateKey(env, partner), stateMessage(state))) };
}

/** The state record if it is this partner's and its MAC verifies, else null. */
async function verifiedState(env, partner, state) {
  if (!state || typeof state !== "object" || state.partner !== partner || !Number.isSafeInteger(state.lastVersion)
    || typeof state.sha256 !== "string" || typeof state.mac !== "string"
    || (state.keysetVersion !== undefined && !(Number.isSafeInteger(state.keysetVersion) && state.keysetVersion > 0))) return null;
  try {
    const mac = fromBase64(state.mac);
    return mac.length === 32 && (await hmacVerify(stateKey(env, partner), stateMessage(state), mac)) ? state : null;
  } catch {
    return null;
  }
}

function refuseStored(entry, code, message, nowMs) {
  entry.lastError = { code, message, sha256: null, at: new Date(nowMs).toISOString() };
  console.warn(`stored bundle state for ${entry.partner} refused (${code}): ${message}`);
}

/** The KV keys of the files pages may get: the latest upload and the last one that verified. */
const SERVED_KEYS = {
  page: { upload: "page-bundle", good: "good-page" },
  form: { upload: "page-form", good: "good-form" },
};

async function coldStart(env, entry, nowMs) {
  const kv = env.BUNDLES;
  const [state, good, goodPage, goodForm, chain] = await Promise.all([
    kv.get(`state:${entry.partner}`, "json").catch(() => ({ unreadable: true })),
    kv.get(`good:${entry.partner}`, "arrayBuffer"),
    kv.get(`${SERVED_KEYS.page.good}:${entry.partner}`, "arrayBuffer"),
    kv.get(`${SERVED_KEYS.form.good}:${entry.partner}`, "arrayBuffer"),
    readChain(env, entry.partner),
  ]);
  // The keys first: `good:` must verify under the trust the kept chain derives from the pinned one.
  const verified = state ? await verifiedState(env, entry.partner, state) : null;
  await keysetCall(entry, () => restoreKeysets(env, entry, partnerOr404(env, entry.partner), chain, verified?.keysetVersion ?? 0, nowMs));
  if (state === null) {
    if (good) refuseStored(entry, "STALE_GOOD", "a last-good copy without its state: not served until an upload verifies", nowMs);
    return;
  }
  const floor = verified;
  if (!floor) {
    refuseStored(entry, "STATE_INVALID", "the stored rollback state does not verify: not trusted, last-good copy not served", nowMs);
    return;
  }
  // The floor first: a `good:` below it can never load.
  entry.engine.importState({ partner: floor.partner, lastVersion: floor.lastVersion });
  // A partner whose kept keyset chain was refused loads nothing (edge/keysets.js), the floor held.
  if (!good || keysetRefusal(entry)) return;
  const bytes = new Uint8Array(good);
  const sha = await sha256Hex(bytes);
  if (sha !== floor.sha256) {
    refuseStored(entry, "STALE_GOOD", `the last-good copy is not the one the state names (version ${floor.lastVersion})`, nowMs);
    return;
  }
  if (!(await tryLoad(entry, bytes, sha, nowMs))) return;
  // The page bundle before the form: a form is checked against it.
  for (const [kind, stored] of [["page", goodPage], ["form", goodForm]]) {
    if (stored) tryServed(entry, kind, new Uint8Array(stored), await sha256Hex(new Uint8Array(stored)), nowMs);
  }
}

async function refresh(env, entry, nowMs) {
  const [upload, pageUpload, formUpload, keysetUpload] = await Promise.all([
    env.BUNDLES.get(`bundle:${entry.partner}`, "arrayBuffer"),
    env.BUNDLES.get(`${SERVED_KEYS.page.upload}:${entry.partner}`, "arrayBuffer"),
    env.BUNDLES.get(`${SERVED_KEYS.form.upload}:${entry.partner}`, "arrayBuffer"),
    env.BUNDLES.get(`keyset:${entry.partner}`, "arrayBuffer"),
  ]);
  entry.checkedAt = nowMs;
  // Keys before the bundle: an upload of both (scripts/upload-bundle --keyset) swaps in one refresh.
  if (keysetUpload && (await keysetCall(entry, () => applyKeysetUpload(env, entry, new Uint8Array(keysetUpload), nowMs)))) {
    await keysetCall(entry, () => retireKeys(env, entry, partnerOr404(env, entry.partner), nowMs));
  }
  if (upload) await refreshBundle(env, entry, new Uint8Array(upload), nowMs);
  // After the bundle, in this order: a page bundle is checked against the
  // active bundle, a compiled form against both.
  for (const [kind, uploaded] of [["page", pageUpload], ["form", formUpload]]) {
    if (!uploaded) continue;
    const bytes = new Uint8Array(uploaded);
    if (tryServed(entry, kind, bytes, await sha256Hex(bytes), nowMs)) {
      await env.BUNDLES.put(`${SERVED_KEYS[kind].good}:${entry.partner}`, bytes);
    }
  }
}

/** Runs a keyset step; an Engine call in it that threw something else than an OfferEdgeError is a trap (see `trapped`). */
async function keysetCall(entry, fn) {
  try {
    return await fn();
  } catch (e) {
    if (!e?.engineTrap) throw e; // a KV failure: bundleFor retries on the next call
    trapped(entry, "keyset", e);
    throw trapError(`${entry.partner}'s keyset`);
  }
}

/** Writes the MACed bundle state: floor `lastVersion`, good bytes `sha`, the keyset version in force. */
export async function putState(env, entry, lastVersion, sha) {
  await env.BUNDLES.put(`state:${entry.partner}`, JSON.stringify(await signedState(env, entry.partner, lastVersion, sha, entry.keysets.version)));
}

async function refreshBundle(env, entry, bytes, nowMs) {
  const sha = await sha256Hex(bytes);
  // Each refused upload is verified once; bytes that were active before and
  // are uploaded again are re-checked (and refused as a rollback).
  if (sha === entry.sha || (entry.seen.has(sha) && entry.seen.get(sha) !== "LOADED")) return;
  if (await tryLoad(entry, bytes, sha, nowMs)) {
    // Persist the rollback floor, then the new last-good bytes, for the next
    // isolate (awaited: a new bundle is rare, and losing it would let a
    // cold isolate fall back to an older one). State first: see the top.
    const { lastVersion } = entry.engine.exportState();
    await putState(env, entry, lastVersion, sha);
    await env.BUNDLES.put(`good:${entry.partner}`, bytes);
  }
}

/**
 * The partner's entry `{engine, bytes, sha, info}` with the newest upload
 * that verifies, re-reading KV at most every BUNDLE_REFRESH_MS (default
 * 30 s). Throws 404 UNKNOWN_PARTNER.
 */
export async function bundleFor(env, partnerId, nowMs = Date.now()) {
  const partner = partnerOr404(env, partnerId);
  let entry = entries.get(partner.id);
  const refreshMs = intSetting(env, "BUNDLE_REFRESH_MS", 30_000);
  if (entry && entry.generation !== generation) entry = null; // made in an instance that was reset
  if (!entry) {
    entry = newEntry(partner);
    entries.set(partner.id, entry);
    entry.pending = coldStart(env, entry, nowMs).then(() => refresh(env, entry, nowMs));
  } else if (!entry.pending && nowMs - entry.checkedAt >= refreshMs) {
    entry.pending = refresh(env, entry, nowMs);
  }
  if (entry.pending) {
    const pending = entry.pending;
    try {
      await pending;
    } catch (e) {
      if (e instanceof HttpError && e.code === "ENGINE_TRAPPED") throw e;
      // A KV failure: keep serving what is active; retry on the next call.
      console.error(`bundle refresh for ${partner.id} failed`, e);
      entry.checkedAt = 0;
    } finally {
      if (entry.pending === pending) entry.pending = null;
    }
  }
  return entry;
}

/**
 * The entry with an active, unexpired bundle, or 503 NO_BUNDLE /
 * BUNDLE_EXPIRED: past `expiresAt` plus the trust config's
 * `decideGraceSeconds` (default 0), as the core's decide refuses it.
 */
export async function activeBundle(env, partnerId, nowMs = Date.now()) {
  const entry = await bundleFor(env, partnerId, nowMs);
  if (!entry.info) throw new HttpError(503, "NO_BUNDLE", `no verified bundle for ${partnerId}`, { "retry-after": "30" });
  const graceMs = (partnerOr404(env, partnerId).trust.decideGraceSeconds ?? 0) * 1000;
  if (Date.parse(entry.info.expiresAt) + graceMs < nowMs) {
    throw new HttpError(503, "BUNDLE_EXPIRED", `the bundle for ${partnerId} expired at ${entry.info.expiresAt}`);
  }
  return entry;
}

/**
 * Applies engagements `[{type, offerId, timeMs}]` to history `blob` with the
 * core's `engine.replay` (in time order; inside `withEngine`). An engagement
 * with an offer the active bundle no longer has is skipped with a warning.
 * Returns `{blob, applied}`.
 */
export function replay(engine, blob, engagements) {
  const entries = [];
  for (const e of [...engagements].sort((a, b) => a.timeMs - b.timeMs)) {
    if (engine.offer(e.offerId)) entries.push({ type: e.type, offerId: e.offerId, at: e.timeMs });
    else console.warn(`history: ${e.type} of ${e.offerId} not recorded (not in the active bundle)`);
  }
  if (!entries.length) return { blob, applied: 0 };
  return { blob: engine.replay(blob, entries), applied: entries.length };
}

/**
 * What pages may get of the active bundle: its page bundle when one verified
 * for this version, else the bundle itself when it has no confidential
 * audience, else nothing. `{bytes, sha, bundleSha256, edition}` or null.
 */
function publicBundle(entry) {
  const page = entry.page;
  if (page && page.version === entry.info.version) {
    return { bytes: page.bytes, sha: page.sha, bundleSha256: page.bundleSha256, edition: "page" };
  }
  if (entry.info.confidentialAudiences.length) return null;
  return { bytes: entry.bytes, sha: entry.sha, bundleSha256: entry.info.bundleSha256, edition: entry.info.edition };
}

/** The partner's entry with an active bundle that has not expired, or 404. */
async function servableEntry(env, partnerId) {
  const entry = await bundleFor(env, partnerId);
  if (!entry.info) throw new HttpError(404, "NO_BUNDLE", `no verified bundle for ${partnerId}`);
  if (Date.parse(entry.info.expiresAt) <= Date.now()) {
    throw new HttpError(404, "BUNDLE_EXPIRED", `the bundle for ${partnerId} expired at ${entry.info.expiresAt}`);
  }
  return entry;
}

/** GET /v1/bundles/:partner — the verified signed bytes pages may have, cacheable. */
export async function handleGetBundle(request, env, partnerId) {
  const entry = await servableEntry(env, partnerId);
  const served = publicBundle(entry);
  if (!served) {
    // Fail closed: the full bundle would hand every page the confidential lists.
    throw new HttpError(404, "NO_PAGE_BUNDLE", `the bundle for ${partnerId} (version ${entry.info.version}) has confidential audiences and no page bundle of that version verified; upload its page bundle to page-bundle:${partnerId}`);
  }
  return serveSigned(request, env, entry, served, "application/json");
}

/**
 * GET /v1/bundles/:partner/compiled — the compiled form of the active
 * version (what the snippet's page engine loads), once the Engine checked
 * it is exactly its own compile of the bundle pages get; 404
 * NO_COMPILED_FORM until one is uploaded to page-form:<partner>.
 */
export async function handleGetCompiled(request, env, partnerId) {
  const entry = await servableEntry(env, partnerId);
  const form = entry.form;
  if (!form || form.version !== entry.info.version) {
    throw new HttpError(404, "NO_COMPILED_FORM", `no compiled form of ${partnerId}'s bundle version ${entry.info.version} verified; upload the *.oeb file \`offer-edge sign\` wrote next to it to page-form:${partnerId}`);
  }
  const served = { ...form, edition: currentPage(entry) ? "page" : entry.info.edition };
  return serveSigned(request, env, entry, served, "application/vnd.offer-edge.compiled");
}

/** A verified file `{bytes, sha, bundleSha256, edition}` with its ETag, cacheable; 304 on a match. */
function serveSigned(request, env, entry, served, contentType) {
  const headers = {
    "x-bundle-version": String(entry.info.version),
    "x-bundle-sha256": served.bundleSha256,
    "x-bundle-edition": served.edition,
    // A page whose keys are older fetches GET /v1/keysets/:partner (edge/keysets.js).
    "offer-edge-keyset-version": String(entry.keysets.version),
  };
  return cacheable(request, `"${served.sha}"`, intSetting(env, "BUNDLE_MAX_AGE_S", 60), headers, served.bytes, contentType);
}

/** Status of every configured partner's bundle (for GET /v1/status). */
export function bundleStatus(partnerId) {
  const e = entries.get(partnerId);
  if (!e) return { loaded: false };
  return {
    loaded: Boolean(e.info),
    version: e.info?.version ?? null,
    sha256: e.sha,
    expiresAt: e.info?.expiresAt ?? null,
    lastError: e.lastError,
    edition: e.info?.edition ?? null,
    confidentialAudiences: e.info?.confidentialAudiences ?? [],
    // What GET serves pages: null when nothing may be served (NO_PAGE_BUNDLE).
    served: e.info ? (publicBundle(e)?.edition ?? null) : null,
    page: e.page ? { version: e.page.version, sha256: e.page.sha } : null,
    pageError: e.pageError,
    compiled: e.form ? { version: e.form.version, sha256: e.form.sha } : null,
    compiledError: e.formError,
    keyset: keysetStatus(e),
  };
}
