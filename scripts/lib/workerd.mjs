// Starting a Worker in real workerd (miniflare): the one place that says how
// this repository's Worker modules load (compatibility date, module rules)
// and that calls `new Miniflare`. It lives in scripts/lib, not tests/: the
// local edge (scripts/edge.mjs), scripts/upload-bundle and scripts/load-edge
// start workerd as the test suites do, and tooling must not import tests/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** wrangler.toml's `compatibility_date`: local runs and tests use the date production runs with. */
export const COMPATIBILITY_DATE = readFileSync(join(root, "wrangler.toml"), "utf8").match(/^compatibility_date\s*=\s*"([^"]+)"/m)[1];

/**
 * Miniflare options for an ES-module Worker at `scriptPath`, its imports
 * resolved under `modulesRoot`: `.js` files are ES modules and `.wasm` files
 * compiled modules (Workers refuse to compile WebAssembly from bytes, so
 * pkg/workerd.js imports its .wasm statically). `rules` adds module rules.
 */
export function workerModules(scriptPath, { modulesRoot = root, rules = [] } = {}) {
  return {
    modules: true,
    modulesRoot,
    scriptPath,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
      ...rules,
    ],
    compatibilityDate: COMPATIBILITY_DATE,
  };
}

/**
 * Starts workerd with miniflare `options`; resolves `{mf, url}` once it
 * serves (`url`: where, when options give a host and port). A workerd that
 * fails to start is disposed before the error is thrown.
 */
export async function startWorkerd(options) {
  // Loaded here, not at the top: importers that only build options (or only
  // need scripts/lib/edge.mjs's CLI helpers) do not pay for miniflare.
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare(options);
  try {
    return { mf, url: await mf.ready };
  } catch (e) {
    await mf.dispose().catch(() => {});
    throw e;
  }
}
