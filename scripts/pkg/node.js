// Node entry: compiles the module synchronously from disk, so the API is
// usable as soon as the import resolves.
import { readFileSync } from "node:fs";
import { initSync } from "./offer_edge.js";
export * from "./offer_edge.js";
initSync({ module: readFileSync(new URL("./offer_edge_bg.wasm", import.meta.url)) });
export const ready = Promise.resolve();
export const init = () => ready;
