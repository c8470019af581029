// Types of the page entry (offer-edge/page): the page build's API as
// wasm-bindgen types it (offer_edge.d.ts) plus the entry's `ready` and `init`.
export * from "./offer_edge.js";
export { default } from "./offer_edge.js";

/**
 * Settles once the WebAssembly module, fetched on import, is instantiated:
 * `await ready` before the first call.
 *
 * @example
 * ```js
 * import { Engine, ready } from "offer-edge/page";
 * await ready;
 * ```
 */
export declare const ready: Promise<unknown>;

/** `ready`, for callers written against `await init()`. */
export declare function init(): Promise<unknown>;
