// pkg/ in headless Chromium: a page loads browser.js as a module script
// under a strict CSP (script-src 'self' 'wasm-unsafe-eval'), awaits `ready`
// (streaming instantiation from a real HTTP server), calls the API, and
// logs no console errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { openProfile, recordProblems } from "../harness/chromium.js";
import { cargoVersion, fixtures, pkgDir, root } from "./helpers.js";

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src data:";

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>offer-edge</title></head>
<body><script type="module" src="/js/chromium-page.js"></script></body></html>`;

/** Serves `/` (the page), `/js/*.js` (tests/js/: the test module and what it imports) and `/pkg/*`. */
function serve() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    let body;
    let type = "text/html";
    try {
      if (path === "/") body = PAGE;
      else if (/^\/js\/[\w-]+\.js$/.test(path)) [body, type] = [await readFile(new URL(`tests${path}`, root)), TYPES[".js"]];
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
  const { context, close } = await openProfile();
  t.after(close);
  const page = await context.newPage();
  const problems = recordProblems(page);

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
