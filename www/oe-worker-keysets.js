// Key rotation in the page engine (in the engine worker only: the snippet
// carries none of it). The Engine trusts the keys pinned in the page
// (`trustedKeys`); a bundle answer advertising a higher keyset version
// (`Offer-Edge-Keyset-Version`) makes the worker fetch the edge's chain of
// signed keyset updates (GET /v1/keysets/<partner>) and apply it with
// `Engine.rotateKeys` FROM THE PINNED KEYS: each update must be signed by a
// threshold of the keys before it and of its new keys (src/bundle/keyset.rs),
// so a chain that does not start at the pinned keys is refused, all of it,
// and the engine stays on its current keys. The applied chain goes back to
// the page (kept in localStorage next to the rollback floor) and comes back
// to `restore` on the next visit, which re-applies it from the pinned keys
// before the kept bundle loads: a stored key that does not verify from the
// pinned ones is never trusted, and a tampered chain is dropped.
import { codeOf, isTrap } from "./oe-engine-calls.js";

/** Updates taken from one answer (the edge keeps at most 32). */
const MAX_CHAIN = 32;

export class Keys {
  /** `oe`: the engine's glue; `trust`: the pinned trust; `warn(code, message)`. */
  constructor(oe, trust, warn) {
    this.oe = oe;
    this.trust = trust;
    this.warn = warn;
    /** The keyset version in force and the updates applied to the pinned trust (JSON texts). */
    this.version = trust.keysetVersion ?? 0;
    this.chain = [];
    this.changed = false;
  }

  /**
   * `chain` applied in order to `engine` (of the pinned trust); throws what
   * the Engine refuses. Updates a pinned trust already supersedes (at or
   * below its `keysetVersion`) are skipped by `rotateKeys` itself.
   */
  apply(engine, chain) {
    let version = this.trust.keysetVersion ?? 0;
    for (const text of chain) version = engine.rotateKeys(text);
    return version;
  }

  /**
   * `engine` (fresh, pinned trust) with the kept chain (`text`: its JSON, as
   * the page stored it) re-applied; a chain that does not verify from the
   * pinned keys is dropped (and forgotten by the page): the pinned engine is
   * returned instead.
   */
  restore(engine, text) {
    if (!text) return engine;
    try {
      const chain = JSON.parse(text);
      if (!Array.isArray(chain) || !chain.every((t) => typeof t === "string")) throw Object.assign(new Error("not a keyset chain"), { code: "KEYSET_INVALID" });
      this.version = this.apply(engine, chain);
      this.chain = chain;
      return engine;
    } catch (e) {
      if (isTrap(e)) throw e;
      engine.free();
      this.changed = true;
      this.warn("KEYSET_DISCARDED", `the kept keyset chain does not verify from the pinned keys (${codeOf(e)}); using the pinned keys`);
      return new this.oe.Engine(this.trust);
    }
  }

  /** The applied chain as the page keeps it (JSON text, null for none); clears `changed`. */
  take() {
    this.changed = false;
    return this.chain.length ? JSON.stringify(this.chain) : null;
  }

  /**
   * After a bundle answer `res` of `bundleUrl`: when it advertises a newer
   * keyset, fetches the chain and applies it to `engine` — all or nothing,
   * checked first on a scratch engine of the pinned trust.
   */
  async update(engine, res, bundleUrl) {
    if (!(Number(res.headers.get("offer-edge-keyset-version")) > this.version)) return;
    const url = bundleUrl.replace(/\/v1\/bundles?\/([^/?#]+)(\/compiled)?([?#].*)?$/, "/v1/keysets/$1");
    if (url === bundleUrl) return;
    let chain;
    try {
      const answer = await fetch(url, { cache: "no-store", credentials: "omit" });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      chain = (await answer.json()).keysets.slice(0, MAX_CHAIN).map((u) => JSON.stringify(u));
    } catch (e) {
      this.warn("KEYSET_FETCH_FAILED", `the keyset chain could not be fetched: ${e && e.message}`);
      return;
    }
    const scratch = new this.oe.Engine(this.trust);
    try {
      const version = this.apply(scratch, chain);
      if (version <= this.version) return;
      if (this.chain.some((t, i) => chain[i] !== t)) throw Object.assign(new Error("the chain does not extend the kept one"), { code: "KEYSET_FORK" });
      // The engine holds the kept chain already: only what is new, in order.
      for (const text of chain.slice(this.chain.length)) engine.rotateKeys(text);
      Object.assign(this, { version, chain, changed: true });
    } catch (e) {
      if (isTrap(e)) throw e;
      this.warn(codeOf(e), `keyset update refused, keeping keyset version ${this.version}: ${e.message}`);
    } finally {
      scratch.free();
    }
  }
}
