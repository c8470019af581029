// Page entry (offer-edge/page): the page build, which pages run in
// browsers. As the main browser entry: fetches and instantiates
// offer_edge_bg.wasm next to this file on import; `await ready` (or
// `await init()`) before calling the API. `initSync` instantiates given
// bytes instead (Node, tests).
import wasmInit from "./offer_edge.js";
export * from "./offer_edge.js";
export { default } from "./offer_edge.js";
export const ready = wasmInit({ module_or_path: new URL("./offer_edge_bg.wasm", import.meta.url) });
// A host that instantiates with initSync (no fetch: Node) never awaits
// `ready`: its failed fetch must not surface as an unhandled rejection.
ready.catch(() => {});
export const init = () => ready;
