// pkg/ in headless Chromium: a page loads browser.js as a module script
// under a strict CSP (script-src 'self' 'wasm-unsafe-eval'), awaits `ready`
// (streaming instantiation from a real HTTP server), calls the API, and
// logs no console errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { cargoVersion, fixtures, pkgDir, root } from "./helpers.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src data:";

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>offer-edge</title></head>
<body><script type="module" src="/page.js"></script></body></html>`;

/** Serves `/` (the page), `/page.js` (the test module) and `/pkg/*`. */
function serve() {
  const pageJs = new URL("tests/js/chromium-page.js", root);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    let body;
    let type = "text/html";
    try {
      if (path === "/") body = PAGE;
      else if (path === "/page.js") [body, type] = [await readFile(pageJs), TYPES[".js"]];
      else if (path.startsWith("/pkg/") && !path.includes("..")) {
        body = await readFile(new URL(path.slice("/pkg/".length), pkgDir));
        type = TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
      }
    } catch {
      body = undefined;
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": type, "content-security-policy": CSP, "cache-control": "no-store" });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("pkg/browser.js imports and runs in headless Chromium", async (t) => {
  const server = await serve();
  t.after(() => server.close());
  const profile = mkdtempSync(join(tmpdir(), "offer-edge-chromium-"));
  t.after(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`));

  const [, suite] = fixtures("receipts")[0];
  const [, kat] = fixtures("hpke")[0];
  await page.exposeFunction("testInput", () => ({
    receipt: suite.receipt,
    key: suite.key,
    now: Date.parse("2026-11-29T12:05:00Z"),
    fulfilmentKey: { kid: "acme-2026-01", publicKey: Buffer.from(kat.pkRm, "hex").toString("base64") },
    draft: readFileSync(new URL("tests/fixtures/decide/bundle.json", root), "utf8"),
    decideNow: Date.parse("2026-11-29T12:00:00Z"),
  }));
  const { port } = server.address();
  await page.goto(`http://127.0.0.1:${port}/`);
  const result = await page.waitForFunction(() => window.__result, null, { timeout: 30_000 }).then((h) => h.jsonValue());

  assert.equal(result.error, undefined, result.error);
  assert.equal(result.version, cargoVersion());
  assert.equal(result.compact.split(".")[1], suite.mac);
  assert.deepEqual(result.verified, suite.receipt);
  assert.equal(result.expired, "OfferEdgeError/RECEIPT_EXPIRED");
  assert.equal(result.instanceofError, true);
  assert.equal(Object.keys(result.sealed).length, 6);
  assert.notEqual(result.sealed.enc, result.sealedAgain.enc);
  // Decides in the page: the shared fixture's first case winners.
  assert.deepEqual(result.decided.shown, ["streamco-trial", "mealbox-50"]);
  assert.match(result.decided.html, /Ada, here are some extra perks/);
  assert.equal(result.decided.historyIsBytes, true);
  assert.ok(result.decided.again.length > 0);
  assert.deepEqual(problems, []);
});
