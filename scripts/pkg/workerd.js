// workerd / Cloudflare Workers entry: Workers refuse to compile WebAssembly
// from bytes, so the module is imported statically (CompiledWasm rule) and
// instantiated synchronously.
import wasmModule from "./offer_edge_bg.wasm";
import { initSync } from "./offer_edge.js";
export * from "./offer_edge.js";
initSync({ module: wasmModule });
export const ready = Promise.resolve();
export const init = () => ready;
