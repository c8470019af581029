// Key rotation at the edge: a partner's trust is its PINNED trust (PARTNERS,
// edge/config.js) with the chain of signed keyset updates the worker applied,
// re-applied in order by the Engine (`Engine.rotateKeys`: each update signed
// by a threshold of the keys in force AND of its new keys, same partner,
// version above; src/bundle/keyset.rs). Nothing stored can add a key: every
// key must verify from the pinned ones, in every isolate.
//
// KV keys (binding BUNDLES):
//   keyset:<partner>   the latest upload: one signed keyset update (`offer-edge rotate -o`)
//                      or a JSON array of them in order (scripts/upload-bundle --keyset)
//   keysets:<partner>  the applied chain, written by the worker:
//                      {partner, version, chain: [update JSON text…], mac}, MACed with the
//                      partner's state key (domain KEYSET_DOMAIN)
// The keyset version in force is also in the MACed bundle state
// (`state:<partner>`, edge/engine.js), so dropping or truncating the chain
// is seen: a cold isolate whose kept chain does not verify, or reaches a
// lower version than the state says was applied, refuses every bundle
// (KEYSET_STATE_INVALID / KEYSET_ROLLBACK, fail closed: falling back to the
// pinned keys would re-trust retired ones) until the whole chain is uploaded
// again and verifies from the pinned keys.
//
// An update at or below the version in force is refused (VERSION_ROLLBACK,
// or KEYSET_ROLLBACK for an upload ending on an older update of the kept
// chain), as is one the Engine refuses; a refused update changes nothing: the
// keys and the active bundle stay. An applied rotation retires the old keys
// at once (`retireKeys`): a bundle signed only by them is no longer served.
import * as oe from "../pkg/workerd.js";
import { bundleFor, isOfferEdgeError, putState } from "./engine.js";
import { intSetting } from "./config.js";
import { HttpError, cacheable } from "./http.js";
import { partnerKey } from "./keys.js";
import { fromBase64, fromUtf8, hmac, hmacVerify, sha256Hex, toBase64Url, utf8 } from "./util.js";

/** A keyset upload above this is refused unread (each update is at most 64 KiB: the core's MAX_KEYSET_BYTES). */
export const MAX_KEYSET_UPLOAD_BYTES = 256 * 1024;
/** Updates in one upload, and in the kept chain. */
export const MAX_KEYSET_CHAIN = 32;

const KEYSET_DOMAIN = "offer-edge/keyset-chain/v1";
const chainMacKey = (env, partner) => partnerKey(env, partner, "v1", "state");
const chainMessage = (partner, version, chainSha) => utf8(`${KEYSET_DOMAIN}\n${partner}\n${version}\n${chainSha}`);
/** Rethrows what an Engine call threw; anything but an OfferEdgeError is marked a trap (edge/engine.js resets the instance). */
export function engineThrew(e) {
  if (!isOfferEdgeError(e) && e && typeof e === "object") e.engineTrap = true;
  throw e;
}

/** The keyset part of a partner's entry: the pinned version and no update applied yet. */
export function newKeysets(partner) {
  const pinned = Number.isSafeInteger(partner.trust.keysetVersion) ? partner.trust.keysetVersion : 0;
  // version: in force; chain: applied updates (JSON text); required: what the MACed state says was reached.
  return { pinned, version: pinned, chain: [], required: 0, frozen: null, lastError: null, seen: new Map() };
}

/**
 * An Engine of `partner`'s pinned trust with `chain` applied in order. A
 * deployment that pinned a rotated trust (its `keysetVersion`) supersedes
 * the updates at or below it: `Engine.rotateKeys` skips those (the version
 * stays), and they are left out of the chain kept.
 */
export function engineWithChain(partner, chain) {
  const engine = new oe.Engine(partner.trust);
  let version = newKeysets(partner).pinned;
  const applied = [];
  for (const text of chain) {
    try {
      const next = engine.rotateKeys(text);
      if (next === version) continue;
      version = next;
      applied.push(text);
    } catch (e) {
      engine.free();
      throw e;
    }
  }
  return { engine, version, chain: applied };
}

function report(entry, code, message, nowMs, sha256 = null) {
  entry.keysets.lastError = { code, message, sha256, at: new Date(nowMs).toISOString() };
  console.warn(`keyset update for ${entry.partner} refused (${code}): ${message}; keeping keyset version ${entry.keysets.version}`);
}

/** Refuses every bundle of the partner until a chain reaching `required` is uploaded. */
function freeze(entry, partner, code, message, nowMs) {
  const ks = entry.keysets;
  entry.engine.free();
  entry.engine = new oe.Engine(partner.trust);
  Object.assign(ks, { version: ks.pinned, chain: [], frozen: { code, message } });
  report(entry, code, `${message}: no bundle is served until the whole keyset chain is uploaded again (keyset:${entry.partner})`, nowMs);
}

/** The stored chain record if it is this partner's and its MAC verifies, else null. */
async function verifiedChain(env, partner, stored) {
  if (!stored || typeof stored !== "object" || stored.partner !== partner || !Number.isSafeInteger(stored.version)
    || !Array.isArray(stored.chain) || stored.chain.length > MAX_KEYSET_CHAIN
    || !stored.chain.every((t) => typeof t === "string") || typeof stored.mac !== "string") return null;
  try {
    const mac = fromBase64(stored.mac);
    const message = chainMessage(partner, stored.version, await sha256Hex(JSON.stringify(stored.chain)));
    return mac.length === 32 && (await hmacVerify(chainMacKey(env, partner), message, mac)) ? stored : null;
  } catch {
    return null;
  }
}

/** Reads the kept chain record (null when none; `{unreadable: true}` when it is not JSON). */
export function readChain(env, partner) {
  return env.BUNDLES.get(`keysets:${partner}`, "json").catch(() => ({ unreadable: true }));
}

/**
 * Cold start: re-derives the trust from the pinned keys and the kept chain
 * (`stored`, from readChain) into `entry.engine` (fresh, pinned trust),
 * BEFORE any bundle is loaded. `required`: the keyset version the MACed
 * bundle state says was in force (0 without one). Freezes the partner when
 * the chain is forged or shorter than that.
 */
export async function restoreKeysets(env, entry, partner, stored, required, nowMs) {
  const ks = entry.keysets;
  ks.required = required;
  if (stored) {
    const chain = await verifiedChain(env, entry.partner, stored);
    if (!chain) return freeze(entry, partner, "KEYSET_STATE_INVALID", "the kept keyset chain does not verify", nowMs);
    let derived;
    try {
      derived = engineWithChain(partner, chain.chain);
    } catch (e) {
      if (!isOfferEdgeError(e)) engineThrew(e);
      return freeze(entry, partner, "KEYSET_STATE_INVALID", `the kept keyset chain does not apply to the pinned keys (${e.code}: ${e.message})`, nowMs);
    }
    entry.engine.free();
    entry.engine = derived.engine;
    Object.assign(ks, { version: derived.version, chain: derived.chain });
  }
  if (ks.version < required) {
    freeze(entry, partner, "KEYSET_ROLLBACK", `the kept keyset chain reaches version ${ks.version}, below the ${required} the bundle state says was applied`, nowMs);
  }
}

const refusal = (code, message) => Object.assign(new Error(message), { code });

/** The updates of an upload, as JSON texts in order; throws an Error with `code` for a malformed one. */
function uploadedUpdates(bytes) {
  if (bytes.length > MAX_KEYSET_UPLOAD_BYTES) throw refusal("KEYSET_TOO_LARGE", `a keyset upload is at most ${MAX_KEYSET_UPLOAD_BYTES} bytes`);
  let parsed;
  try {
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    throw refusal("KEYSET_INVALID", "the keyset upload is not JSON");
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (!list.length || list.length > MAX_KEYSET_CHAIN || !list.every((u) => u && typeof u === "object" && !Array.isArray(u))) {
    throw refusal("KEYSET_INVALID", `a keyset upload is one signed keyset update or a list of 1 to ${MAX_KEYSET_CHAIN}`);
  }
  // Re-serialized: a DSSE signature covers the payload, not the envelope's JSON.
  return list.map((u) => JSON.stringify(u));
}

/**
 * Applies a `keyset:` upload to the partner's trust in `entry.engine`, in
 * order, and persists the chain. Returns whether the trust changed (the
 * caller then re-checks the active bundle and re-MACs the bundle state).
 * Each upload is tried once per keyset version; a refused one is reported.
 */
export async function applyKeysetUpload(env, entry, bytes, nowMs) {
  const ks = entry.keysets;
  const sha = await sha256Hex(bytes);
  const seenKey = `${ks.version}\n${sha}`;
  if (ks.seen.has(seenKey)) return false;
  if (ks.seen.size > 64) ks.seen.clear();
  let updates;
  try {
    updates = uploadedUpdates(bytes);
  } catch (e) {
    ks.seen.set(seenKey, e.code);
    report(entry, e.code, e.message, nowMs, sha);
    return false;
  }
  let applied = 0;
  let known = -1;
  let refused = null;
  for (const text of updates) {
    const index = ks.chain.indexOf(text);
    if (index >= 0) {
      known = index; // applied before: a re-upload of the chain
      continue;
    }
    if (ks.chain.length >= MAX_KEYSET_CHAIN) {
      refused = { code: "KEYSET_TOO_LARGE", message: `the kept chain holds at most ${MAX_KEYSET_CHAIN} updates: pin the current trust in PARTNERS` };
      break;
    }
    try {
      const next = entry.engine.rotateKeys(text);
      if (next === ks.version) continue; // at or below the pinned trust: superseded, skipped by the Engine
      ks.version = next;
      ks.chain.push(text);
      applied++;
    } catch (e) {
      if (!isOfferEdgeError(e)) engineThrew(e);
      // Later updates build on this one: stop here (the trust keeps what applied).
      refused = { code: e.code, message: e.message };
      break;
    }
  }
  if (!applied && !refused && known < ks.chain.length - 1) {
    refused = { code: "KEYSET_ROLLBACK", message: `the upload ends on an update older than keyset version ${ks.version} in force` };
  }
  ks.seen.set(seenKey, refused?.code ?? "APPLIED");
  if (refused) report(entry, refused.code, refused.message, nowMs, sha);
  if (!applied) return false;
  if (ks.frozen && ks.version >= ks.required) ks.frozen = null;
  if (!refused) ks.lastError = null;
  const chainSha = await sha256Hex(JSON.stringify(ks.chain));
  const mac = toBase64Url(await hmac(chainMacKey(env, entry.partner), chainMessage(entry.partner, ks.version, chainSha)));
  await env.BUNDLES.put(`keysets:${entry.partner}`, JSON.stringify({ partner: entry.partner, version: ks.version, chain: ks.chain, mac }));
  console.log(`keyset of ${entry.partner} rotated to version ${ks.version}`);
  return true;
}

/**
 * After a rotation applied: the old keys are retired at once, so the active
 * bundle stays only if the new keys signed it (its reload is a no-op then);
 * else the partner has no bundle until one signed by the new keys is
 * uploaded. The bundle state is re-MACed with the new keyset version.
 */
export async function retireKeys(env, entry, partner, nowMs) {
  const sha = entry.sha;
  // Uploads refused under the old keys (a new-key bundle that came first) are tried again.
  entry.seen.clear();
  entry.served.page.clear();
  entry.served.form.clear();
  if (entry.bytes) {
    try {
      entry.engine.load(entry.bytes, nowMs);
    } catch (e) {
      if (!isOfferEdgeError(e)) engineThrew(e);
      if (e.code === "UNKNOWN_KEY" || e.code === "THRESHOLD_NOT_MET") {
        const floor = entry.engine.exportState();
        const derived = engineWithChain(partner, entry.keysets.chain);
        entry.engine.free();
        entry.engine = derived.engine;
        if (floor) entry.engine.importState(floor);
        Object.assign(entry, { bytes: null, sha: null, info: null, page: null, form: null });
        entry.lastError = { code: e.code, message: `the active bundle is signed by retired keys (keyset version ${entry.keysets.version}): upload one signed by the new keys`, sha256: sha, at: new Date(nowMs).toISOString() };
        console.warn(`${entry.partner}: ${entry.lastError.message}`);
      }
    }
  }
  const state = entry.engine.exportState();
  if (state && sha) await putState(env, entry, state.lastVersion, sha);
}

/** Why a bundle may not load now (the partner is frozen), or null. */
export function keysetRefusal(entry) {
  return entry.keysets.frozen;
}

/** Status of the partner's keyset (GET /v1/status). */
export function keysetStatus(entry) {
  const ks = entry.keysets;
  return { version: ks.version, pinned: ks.pinned, applied: ks.chain.length, frozen: ks.frozen?.code ?? null, lastError: ks.lastError };
}

/**
 * GET /v1/keysets/:partner — the applied chain, oldest first:
 * `{partner, keysetVersion, keysets: [signed keyset update…]}`. A page
 * applies them in order from ITS pinned keys (each must verify there), so
 * serving them grants nothing; cacheable like the bundle. 503 while frozen.
 */
export async function handleGetKeysets(request, env, partnerId) {
  const entry = await bundleFor(env, partnerId);
  const ks = entry.keysets;
  if (ks.frozen) throw new HttpError(503, ks.frozen.code, ks.frozen.message, { "retry-after": "30" });
  const body = JSON.stringify({ partner: entry.partner, keysetVersion: ks.version, keysets: ks.chain.map((t) => JSON.parse(t)) });
  const etag = `"${await sha256Hex(body)}"`;
  const headers = { "offer-edge-keyset-version": String(ks.version) };
  return cacheable(request, etag, intSetting(env, "BUNDLE_MAX_AGE_S", 60), headers, body, "application/json");
}
