// TEST DOUBLE ONLY — a stand-in for the local edge (worker.js in workerd,
// issue 6) until it lands on main; then the browser suites switch to the
// real edge and this file goes. It implements just what the page uses:
//   GET  /…                     static files of www/ (+ the headers of www/_headers);
//                               /__test__/… from tests/browser/pages/
//   GET  /demo-config.json      the page config (partner, pinned keys, URLs)
//   GET  /v1/bundles/:partner   the current signed bundle bytes, ETag / If-None-Match
//   POST /v1/events             {events:[…]} → {accepted, duplicate, rejected}, dedup by id
// It verifies nothing and sends no email: the real edge does.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { readFileSync, existsSync } from "node:fs";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
};

/** The `/*` block of a Cloudflare-style `_headers` file. */
function staticHeaders(www) {
  const path = join(www, "_headers");
  if (!existsSync(path)) return {};
  const out = {};
  let inAll = false;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) inAll = line.trim() === "/*";
    else if (inAll) {
      const i = line.indexOf(":");
      out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
  }
  return out;
}

export async function startTestEdge({ www, pages, config }) {
  const bundles = new Map(); // partner → bytes
  const events = new Map(); // id → event (first one kept)
  const received = []; // every event as received, duplicates included
  const headers = staticHeaders(www);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const path = decodeURIComponent(url.pathname);
    try {
      const bundle = /^\/v1\/bundles\/([^/]+)$/.exec(path);
      if (bundle && req.method === "GET") {
        const bytes = bundles.get(bundle[1]);
        if (!bytes) return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"code":"NO_BUNDLE"}}');
        const etag = `"${createHash("sha256").update(bytes).digest("hex")}"`;
        if (req.headers["if-none-match"] === etag) return void res.writeHead(304, { etag }).end();
        return void res.writeHead(200, { "content-type": "application/json", etag, "cache-control": "public, max-age=60" }).end(bytes);
      }
      if (path === "/v1/events" && req.method === "POST") {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        let accepted = 0;
        let duplicate = 0;
        for (const e of body.events) {
          received.push(e);
          if (events.has(e.id)) duplicate++;
          else {
            events.set(e.id, e);
            accepted++;
          }
        }
        return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ accepted, duplicate, rejected: 0, rejections: [] }));
      }
      if (path === "/demo-config.json") {
        return void res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(config));
      }
      let rel = normalize(path === "/" ? "/index.html" : path);
      if (rel.includes("..")) return void res.writeHead(404).end();
      let dir = www;
      if (pages && rel.startsWith("/__test__/")) [dir, rel] = [pages, rel.slice("/__test__".length)];
      const body = await readFile(join(dir, rel));
      res.writeHead(200, { "content-type": TYPES[extname(rel)] ?? "application/octet-stream", "cache-control": "no-cache", ...headers });
      res.end(body);
    } catch {
      if (!res.headersSent) res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    setBundle: (partner, bytes) => bundles.set(partner, Buffer.from(bytes)),
    /** Stored (deduplicated) events, like the collector's table. */
    events: async () => [...events.values()].map((e) => ({ id: e.id, type: e.type, offerId: e.offerId,
      decisionId: typeof e.receipt === "object" ? e.receipt.decisionId : null, hasFulfilment: Boolean(e.fulfilment) })),
    received,
    /** No outbox in the double (the real edge sends the email). */
    outbox: null,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
