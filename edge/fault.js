// Fault injection for the isolation tests (tests/edge/isolation.test.js):
// `POST /v1/_fault/trap/:partner` makes the engine trap for real — an
// out-of-bounds memory access inside the shared WebAssembly module, as a
// bug the static bounds missed would — while it runs for that partner, so
// the tests can show what a trap costs the other partners (nothing). The
// route exists only with FAULT_INJECTION=1, which config.checkDeployment
// accepts only in demo mode (local demo and tests).
import { oe, withEngine } from "./engine.js";
import { json } from "./http.js";

/** An address far past the end of linear memory (wasm32: 4 GiB − 8). */
const OUT_OF_BOUNDS = 0xfffffff8;

export async function handleFault(env, partnerId) {
  await withEngine(env, partnerId, Date.now(), () => {
    // The raw export, bypassing the glue's checks: reading the Engine at
    // OUT_OF_BOUNDS is a RuntimeError ("memory access out of bounds").
    oe.initSync().engine_info(OUT_OF_BOUNDS);
  });
  return json({ trapped: false });
}
