// The last bundle the engine verified, per partner, in the Cache API: read
// and written by the engine worker (oe-engine-calls.js), so its bytes never
// cross to the page's main thread. The bytes are a compiled form (binary,
// `*.oeb`: what the page build loads), kept and read back as bytes, never
// as text. Untrusted like all storage: every bundle read back is verified
// again before use.

const STORED_AT = "x-offer-edge-stored-at";

/**
 * The last bundle the engine verified, per partner, in the Cache API
 * (`{bytes, etag, storedAt}`); absent in insecure contexts, where the
 * bootstrap bundle and the network still work.
 */
export class BundleCache {
  /** `warn(code, message)`: how problems are reported (the worker hands them to the page). */
  constructor(partner, bundleUrl, warn) {
    this.name = `offer-edge:${partner}`;
    this.key = bundleUrl;
    this.warn = warn;
  }

  async open() {
    if (typeof caches === "undefined") return null;
    try {
      return await caches.open(this.name);
    } catch {
      return null;
    }
  }

  async get() {
    const cache = await this.open();
    if (!cache) return null;
    try {
      const res = await cache.match(this.key);
      if (!res) return null;
      const storedAt = Number(res.headers.get(STORED_AT));
      return { bytes: new Uint8Array(await res.arrayBuffer()), etag: res.headers.get("etag"), storedAt };
    } catch {
      return null;
    }
  }

  async put(bytes, etag, storedAt) {
    const cache = await this.open();
    if (!cache) return;
    const headers = { "content-type": "application/vnd.offer-edge.compiled", [STORED_AT]: String(storedAt) };
    if (etag) headers.etag = etag;
    try {
      await cache.put(this.key, new Response(bytes, { headers }));
    } catch (e) {
      this.warn("STORAGE_FULL", `could not cache the bundle: ${e && e.name}`);
      return;
    }
    // One bundle per partner: what an older snippet kept under another URL
    // (the signed JSON of /v1/bundles/<partner>) is never read again.
    try {
      for (const req of await cache.keys()) if (req.url !== this.key) await cache.delete(req);
    } catch {
      // Only space is lost.
    }
  }

  async remove() {
    const cache = await this.open();
    try {
      if (cache) await cache.delete(this.key);
    } catch {
      // Nothing to do: the entry is re-verified on every load anyway.
    }
  }
}
