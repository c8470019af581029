// One fresh-process sample for bench/wasm.mjs (spawned once per sample), on
// the page build (pkg/page/) and the compiled form `sign` writes (*.oeb),
// what a checkout page runs:
//   node bench/cold.mjs start <form> <trust>   instantiate + load + first decide
//   node bench/cold.mjs load  <form> <trust>   one load in a fresh (JIT-cold) process
//   node bench/cold.mjs memory <form> <trust>  memoryBytes() after loading
// Prints one JSON line of timings (ms) measured inside the process.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const [mode, signedPath, trustPath] = process.argv.slice(2);
const signed = readFileSync(signedPath);
const trust = JSON.parse(readFileSync(trustPath, "utf8"));
const NOW = Date.parse("2026-06-01T00:00:00Z");
const CONTEXT = { firstname: "Ada", state: "CA", amount: "64.50", age: 29, paymenttype: "visa", device: "mobile" };

const t0 = performance.now();
const oe = await import("../pkg/page/offer_edge.js");
oe.initSync({ module: readFileSync(new URL("../pkg/page/offer_edge_bg.wasm", import.meta.url)) });
const t1 = performance.now();
const engine = new oe.Engine(trust);
engine.load(signed, NOW);
const t2 = performance.now();
if (mode === "memory") {
  const afterLoad = oe.memoryBytes();
  engine.decide(CONTEXT, null, NOW);
  console.log(JSON.stringify({ afterLoad, afterDecide: oe.memoryBytes() }));
} else {
  engine.decide(CONTEXT, null, NOW);
  const t3 = performance.now();
  console.log(JSON.stringify({ instantiate: t1 - t0, load: t2 - t1, decide: t3 - t2, total: t3 - t0 }));
}
