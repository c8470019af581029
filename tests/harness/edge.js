// worker.js in real workerd as the suites run it: the edge with wrangler.toml's
// bindings (scripts/lib/edge.mjs) on a loopback port, serving a copy of www/
// as its static assets, and D1 rows read before the worker made its schema.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { edgeOptions } from "../../scripts/lib/edge.mjs";
import { startWorkerd } from "../../scripts/lib/workerd.mjs";
import { root } from "./util.js";

/**
 * A temporary copy of www/ (links followed) named `prefix…`, for an edge to
 * serve with the suite's own files added; the edge's `close()` removes it.
 */
export function copyOfWww(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(root, "www"), dir, { recursive: true, dereference: true });
  return dir;
}

/**
 * Starts the edge on 127.0.0.1 (a free port) serving `assets` (a folder:
 * `copyOfWww`), with `partners` (the PARTNERS config), a random receipt key,
 * bundles re-read on every request, `vars` and `serviceBindings` added.
 * Returns `{mf, url, close}` (`url`: the origin; `close` stops workerd and
 * removes `assets`).
 */
export async function startServingEdge({ assets, partners, vars = {}, serviceBindings = {} }) {
  const options = edgeOptions({
    host: "127.0.0.1",
    port: 0,
    rateLimit: 100_000,
    partners,
    vars: { RECEIPT_KEY: randomBytes(32).toString("base64"), BUNDLE_REFRESH_MS: "0", ...vars },
  });
  options.assets = { ...options.assets, directory: assets };
  if (Object.keys(serviceBindings).length) options.serviceBindings = { ...options.serviceBindings, ...serviceBindings };
  let started;
  try {
    started = await startWorkerd(options);
  } catch (e) {
    rmSync(assets, { recursive: true, force: true });
    throw e;
  }
  const { mf, url } = started;
  return {
    mf,
    url: url.origin,
    close: async () => {
      await mf.dispose();
      rmSync(assets, { recursive: true, force: true });
    },
  };
}

/** The rows of `query` on D1 database `db`; none before the worker's first request created the tables. */
export async function d1Rows(db, query, ...binds) {
  try {
    return (await db.prepare(query).bind(...binds).all()).results;
  } catch (e) {
    if (/no such table/.test(String(e))) return [];
    throw e;
  }
}
