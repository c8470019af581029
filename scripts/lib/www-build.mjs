// The checkout page's production files (docs/BROWSER.md, "Delivery"): one minified
// snippet, the engine's glue and its WASM (the page build, pkg/page/), the stylesheet and the demo's own
// script and styles, each under a content-hashed name in www/oe/ (served
// `Cache-Control: immutable`, www/_headers), and www/index.html, the demo
// checkout, written from www/checkout.html with those names and the page
// config inline — so a repeat visit needs no request at all before the
// offers are painted. www/checkout.html itself stays the unbuilt page
// (source modules) for development.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const root = fileURLToPath(new URL("../../", import.meta.url));
const www = join(root, "www");
const out = join(www, "oe");

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 12);

/** Writes `bytes` as `oe/<stem>.<hash><ext>`; returns the file name. */
function emit(stem, ext, bytes) {
  const name = `${stem}.${hash(bytes)}${ext}`;
  writeFileSync(join(out, name), bytes);
  return name;
}

async function bundle(options) {
  const result = await build({
    bundle: true,
    format: "esm",
    minify: true,
    target: ["es2022"],
    write: false,
    legalComments: "none",
    logLevel: "warning",
    ...options,
  });
  return result.outputFiles[0].contents;
}

/**
 * Builds www/oe/ from www/ sources and pkg/ (which must exist). Returns the
 * manifest `{snippet, worker, engine, wasm, css, demo, demoCss, strings}` (file
 * names in oe/; `strings`: language → its texts' module, loaded only by pages
 * in that language).
 */
export async function buildAssets() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const wasm = emit("offer_edge_bg", ".wasm", readFileSync(join(root, "pkg/page/offer_edge_bg.wasm")));
  // The glue, bundled with wasm-bindgen's inline helpers, instantiating the hashed WASM (streaming).
  const engine = emit("engine", ".js", await bundle({
    stdin: {
      contents: `import init from "./offer_edge.js";
export * from "./offer_edge.js";
export { init };
export const ready = init({ module_or_path: new URL("./${wasm}", import.meta.url) });`,
      resolveDir: join(root, "pkg/page"),
      loader: "js",
    },
    // wasm-bindgen's glue lists one inline helper module twice in its imports object (same namespace: harmless).
    logOverride: { "duplicate-object-key": "silent" },
  }));
  const css = emit("offer-edge", ".css", readFileSync(join(www, "offer-edge.css")));
  // The engine worker carries the glue itself and starts compiling the WASM
  // as it starts (one fetch less, no message to wait for); it still answers
  // for the engine's own URL, which the snippet passes.
  const worker = emit("worker", ".js", await bundle({
    stdin: {
      contents: `import init, * as glue from ${JSON.stringify(join(root, "pkg/page/offer_edge.js"))};
import { engineCalls } from ${JSON.stringify(join(www, "oe-engine-calls.js"))};
import { serve } from ${JSON.stringify(join(www, "oe-worker-loop.js"))};
const module = init({ module_or_path: new URL("./${wasm}", import.meta.url) }).then(() => glue);
module.catch(() => {}); // reported by the first call that needs it
serve(engineCalls({ pkgUrl: new URL("./${engine}", import.meta.url).href, module }));`,
      resolveDir: www,
      loader: "js",
    },
    logOverride: { "duplicate-object-key": "silent" },
  }));
  // The snippet's texts in other languages (www/strings/<lang>.js): one
  // small module each, imported by the snippet only on a page in that language.
  const strings = {};
  for (const file of readdirSync(join(www, "strings")).filter((f) => f.endsWith(".js")).sort()) {
    const lang = file.slice(0, -3);
    strings[lang] = emit(`strings-${lang}`, ".js", await bundle({ entryPoints: [join(www, "strings", file)] }));
  }
  const snippet = emit("offer-edge", ".js", await bundle({
    entryPoints: [join(www, "offer-edge.js")],
    define: {
      __OE_ENGINE_URL__: JSON.stringify(`./${engine}`),
      __OE_STYLESHEET_URL__: JSON.stringify(`./${css}`),
      __OE_STYLESHEET_TEXT__: JSON.stringify(readFileSync(join(www, "offer-edge.css"), "utf8")),
      __OE_WORKER_URL__: JSON.stringify(`./${worker}`),
      __OE_STRINGS_URLS__: JSON.stringify(Object.fromEntries(Object.entries(strings).map(([k, v]) => [k, `./${v}`]))),
    },
  }));
  const demo = emit("demo", ".js", await bundle({ entryPoints: [join(www, "demo.js")] }));
  const demoCss = emit("demo", ".css", readFileSync(join(www, "demo.css")));
  const manifest = { snippet, worker, engine, wasm, css, demo, demoCss, strings };
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The manifest of the last build (null when www/oe/ was never built). */
export function readManifest(dir = www) {
  const file = join(dir, "oe/manifest.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
}

/** `<` and `&` escaped so a JSON value cannot end its script element. */
const inlineJson = (value) => JSON.stringify(value).replace(/</g, "\\u003c").replace(/&/g, "\\u0026");

/**
 * Writes `<dir>/index.html` from `<dir>/checkout.html`: the hashed files of
 * the manifest, their preload hints, and `config` (the page config: partner
 * id, pinned keys, URLs) inline when given. `dir`: www/ or a served copy.
 */
export function writeCheckoutPage({ dir = www, config = null } = {}) {
  const manifest = readManifest(dir);
  if (!manifest) throw new Error(`${dir}/oe/manifest.json is missing: run scripts/build-www first`);
  let html = readFileSync(join(dir, "checkout.html"), "utf8");
  const replace = (from, to) => {
    if (!html.includes(from)) throw new Error(`checkout.html no longer contains ${from}`);
    html = html.replace(from, to);
  };
  replace('<link rel="stylesheet" href="demo.css">', `<link rel="stylesheet" href="oe/${manifest.demoCss}">`);
  replace('<script type="module" src="offer-edge.js"></script>',
    `<link rel="modulepreload" href="oe/${manifest.snippet}">\n  <script type="module" src="oe/${manifest.snippet}"></script>`);
  replace('<script type="module" src="demo.js"></script>', [
    `<script type="module" src="oe/${manifest.demo}"></script>`,
    ...(config ? [`<script type="application/json" id="offer-edge-config">${inlineJson(config)}</script>`] : []),
  ].join("\n  "));
  writeFileSync(join(dir, "index.html"), html.replace("<!doctype html>", "<!doctype html>\n<!-- Generated from checkout.html by scripts/build-www: edit that file. -->"));
}

/**
 * Gzip -9 sizes of the built files (bytes), for scripts/build-www's summary
 * and the size check; `strings`: the largest language's texts (what one page loads).
 */
export function builtSizes(gzip) {
  const manifest = readManifest();
  const size = (name) => gzip(readFileSync(join(out, name)));
  return Object.fromEntries(Object.entries(manifest).map(([k, name]) => [k,
    typeof name === "string" ? size(name) : Math.max(0, ...Object.values(name).map(size))]));
}
