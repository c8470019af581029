// Types of the package's entry points (browser.js, node.js, workerd.js): the
// engine's API as wasm-bindgen types it (offer_edge.d.ts) plus the entries'
// own `ready` and `init`.
export * from "./offer_edge.js";

/**
 * Settles once the WebAssembly module is instantiated. The browser entry
 * fetches it on import: `await ready` before the first call. Node and
 * workerd instantiate it synchronously: already resolved.
 *
 * @example
 * ```js
 * import { Engine, ready } from "offer-edge";
 * await ready;
 * const engine = new Engine(trust);
 * ```
 */
export declare const ready: Promise<unknown>;

/**
 * Instantiates the module (the browser entry: from offer_edge_bg.wasm next
 * to it, once) and settles with `ready`.
 *
 * @example
 * ```js
 * import { init } from "offer-edge";
 * await init();
 * ```
 */
export declare function init(): Promise<unknown>;
