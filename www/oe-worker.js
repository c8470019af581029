// The snippet's engine worker, unbuilt (development: www/checkout.html): it
// imports the engine's glue by the URL the page gives it. The built worker
// (scripts/lib/www-build.mjs) carries the glue itself and starts compiling
// the WASM as soon as it starts.
import { engineCalls } from "./oe-engine-calls.js";
import { serve } from "./oe-worker-loop.js";

serve(engineCalls());
