// Shared helpers for the node --test suites: paths, fixtures, and the
// assertion that a thrown value is an OfferEdgeError (never a wasm trap).
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

export const root = new URL("../../", import.meta.url);
export const pkgDir = new URL("pkg/", root);

/** The crate version from Cargo.toml. */
export function cargoVersion() {
  const toml = readFileSync(new URL("Cargo.toml", root), "utf8");
  return toml.match(/^version = "([^"]+)"/m)[1];
}

/** Every `tests/fixtures/<dir>/*.json` as `[name, parsed]`, sorted by name. */
export function fixtures(dir) {
  const base = new URL(`tests/fixtures/${dir}/`, root);
  return readdirSync(base)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => [n, JSON.parse(readFileSync(new URL(n, base), "utf8"))]);
}

/** Runs `fn`, asserting it throws an OfferEdgeError with `code`. */
export function throwsCode(fn, code, what = "") {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `${what}: expected ${code}, nothing was thrown`);
  assertOfferEdgeError(thrown, what);
  assert.equal(thrown.code, code, `${what}: ${thrown.message}`);
  return thrown;
}

/** A real Error named OfferEdgeError with a SCREAMING_SNAKE_CASE code. */
export function assertOfferEdgeError(e, what = "") {
  // A panic under panic=abort surfaces as WebAssembly.RuntimeError ("unreachable").
  assert.ok(!(e instanceof WebAssembly.RuntimeError), `${what}: wasm trapped (panic?): ${e}`);
  assert.ok(e instanceof Error, `${what}: not an Error: ${e}`);
  assert.equal(e.name, "OfferEdgeError", `${what}: ${e}`);
  assert.match(e.code, /^[A-Z][A-Z0-9_]*$/, `${what}: code ${e.code}`);
}

/** base64url (no padding) of text, and back. */
export const b64url = {
  encode: (text) => Buffer.from(text, "utf8").toString("base64url"),
  decode: (part) => Buffer.from(part, "base64url").toString("utf8"),
};

/** The shared decide fixtures' base bundle (tests/fixtures/decide/bundle.json). */
export function decideFixtureBundle() {
  return JSON.parse(readFileSync(new URL("tests/fixtures/decide/bundle.json", root), "utf8"));
}

/** RFC 7386 JSON merge patch of `patch` onto `target` (returns the result). */
export function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The case's bundle: base + bundlePatch (merge patch) + offersPatch (fields replaced wholesale). */
export function bundleFor(c) {
  let bundle = structuredClone(decideFixtureBundle());
  if (c.bundlePatch !== undefined) bundle = mergePatch(bundle, c.bundlePatch);
  for (const offer of bundle.offers ?? []) {
    Object.assign(offer, structuredClone(c.offersPatch?.[offer.id] ?? {}));
  }
  return bundle;
}

/** A shared decide case's stored `historyBlob` as bytes (null for none). */
export const caseStoredHistory = (c) => (c.historyBlob ? new Uint8Array(Buffer.from(c.historyBlob, "base64")) : null);

/** A shared decide case's `history` (`{kind, offerId, at}`) as `record`/`replay` entries `{type, offerId, at}`. */
export const caseEntries = (c) => (c.history ?? []).map((e) => ({ type: e.kind, offerId: e.offerId, at: Date.parse(e.at) }));

/**
 * A shared decide case's history: its stored blob with its entries replayed
 * by the engine (`engine.replay`: the full build; the page build records
 * one engagement at a time).
 */
export const caseHistory = (engine, c) => engine.replay(caseStoredHistory(c), caseEntries(c));
