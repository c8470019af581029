// Browser entry: fetches and instantiates offer_edge_bg.wasm (streaming) next
// to this file. `await ready` (or `await init()`) before calling the API.
import init from "./offer_edge.js";
export * from "./offer_edge.js";
export { init };
export const ready = init({ module_or_path: new URL("./offer_edge_bg.wasm", import.meta.url) });
