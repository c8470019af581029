// Storage for the snippet: a fail-soft key/value store over localStorage (or
// sessionStorage). (The last verified bundle is kept in the Cache API by the
// engine worker: oe-bundle-cache.js.)
//
// Everything here is untrusted and optional: storage may be disabled
// (privacy modes, sandboxed iframes), full (QuotaExceededError) or wiped at
// any time (Safari's 7-day rule). Every call catches and falls back to an
// in-memory copy, so the page keeps working for this view; bundles read back
// are verified again by the engine before use.

import { warn as warnHook } from "./oe-log.js";

/**
 * A string store under `prefix` in `area` ("localStorage" | "sessionStorage"),
 * with an in-memory fallback when the area is missing, disabled or full.
 */
export class KeyValue {
  constructor(area, prefix) {
    this.prefix = prefix;
    this.memory = new Map();
    try {
      this.area = globalThis[area] ?? null; // the getter itself throws when disabled
    } catch {
      this.area = null;
    }
    if (!this.area) warnHook("STORAGE_UNAVAILABLE", `${area} is unavailable; using memory for this page view`);
  }

  get(name) {
    const key = this.prefix + name;
    if (this.memory.has(key)) return this.memory.get(key);
    try {
      return this.area ? this.area.getItem(key) : null;
    } catch {
      return null;
    }
  }

  /** Stores `value` (a string; null removes). Returns false when only memory holds it. */
  set(name, value) {
    const key = this.prefix + name;
    try {
      if (!this.area) throw new Error("no storage");
      if (value === null) this.area.removeItem(key);
      else this.area.setItem(key, value);
      this.memory.delete(key);
      return true;
    } catch (e) {
      warnHook(e && e.name === "QuotaExceededError" ? "STORAGE_FULL" : "STORAGE_UNAVAILABLE",
        `could not persist ${key}; keeping it in memory for this page view`);
      if (value === null) this.memory.delete(key);
      else this.memory.set(key, value);
      return false;
    }
  }
}

/** Bytes ↔ base64 (history blobs are small, ≤ 4 KB). */
export const base64 = {
  encode(bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  },
  decode(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  },
};
