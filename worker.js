// offer-edge at the edge (Cloudflare Worker, ES modules): the verified bundle
// cache, edge decisions, the event collector and fulfilment. Bindings are
// declared in wrangler.toml; the local demo runs this file in workerd
// through miniflare (scripts/edge.mjs). Routes:
//   GET  /                       JSON index (static files of www/ take precedence when present)
//   GET  /v1/bundles/:partner    the partner's verified signed bundle (ETag, Cache-Control, X-Bundle-Version)
//   GET  /v1/bundles/:partner/compiled  its compiled form, what the page build loads (same headers)
//   GET  /v1/keysets/:partner    the applied chain of signed keyset updates (key rotation; edge/keysets.js)
//   POST /v1/decide              {partner, placement?, attributes, checkoutToken?, shopperId? (partner backend only)}
//                                → Decision with signed receipts
//   POST /v1/events              {events: [...]} (JSON or text/plain, ≤ 64 KiB)
//                                → {accepted, duplicate, rejected, unverified, rejections, unverifiedReasons, fulfilment}
//   POST /v1/conversions         an advertiser's conversion postback (HMAC-signed; edge/conversions.js)
//   GET  /v1/reports/:partner    aggregates of billable engagement (partner or advertiser secret; edge/reports.js)
//   GET  /v1/reports/:partner/events  billable events as NDJSON or CSV (partner secret)
//   DELETE /v1/shoppers/:partner  erase one shopper (partner secret; edge/erasure.js)
//   POST|GET /v1/coupons/:partner/:pool  upload / count a coupon code pool (partner secret; edge/coupons.js)
//   GET  /v1/coupons/:partner?code=  which accept a unique coupon code was issued to (partner secret)
//   GET  /v1/status              per-partner bundle status (operators: ADMIN_TOKEN bearer)
//   GET  /v1/trust/:partner      pinned trust config (only with EXPOSE_TRUST=1: the local demo)
//   *    /demo/partner/…         the local demo's partner backend (only when the PARTNER_BACKEND
//                                service binding exists: scripts/edge.mjs; never in production)
import { anyPartnerOrigin, checkDeployment, isAdmin, partnerOr404, partners } from "./edge/config.js";
import { handleConversion } from "./edge/conversions.js";
import { handleDecide } from "./edge/decide.js";
import { handleErasure } from "./edge/erasure.js";
import { handleCodeLookup, handlePool } from "./edge/coupons.js";
import { bundleStatus, handleGetBundle, handleGetCompiled, oe } from "./edge/engine.js";
import { handleEvents } from "./edge/events.js";
import { handleGetKeysets } from "./edge/keysets.js";
import { handleFault } from "./edge/fault.js";
import { FulfilmentReminder, handleQueue } from "./edge/fulfilment.js";
import { ShopperHistory } from "./edge/history.js";
import { corsHeaders, errorResponse, HttpError, json, preflight, withHeaders } from "./edge/http.js";
import { rateLimit } from "./edge/ratelimit.js";
import { handleExport, handleReport } from "./edge/reports.js";
import { applyRetention } from "./edge/retention.js";
import { ensureSchema } from "./edge/schema.js";

export { FulfilmentReminder, ShopperHistory };

// `/v1/bundle/:partner` (the singular spelling) is an alias.
const BUNDLE_PATH = /^\/v1\/bundles?\/([^/]+)(\/compiled)?$/;
const KEYSETS_PATH = /^\/v1\/keysets\/([^/]+)$/;
const TRUST_PATH = /^\/v1\/trust\/([^/]+)$/;
const REPORT_PATH = /^\/v1\/reports\/([^/]+)(\/events)?$/;
const SHOPPERS_PATH = /^\/v1\/shoppers\/([^/]+)$/;
const FAULT_PATH = /^\/v1\/_fault\/trap\/([^/]+)$/;
const COUPONS_PATH = /^\/v1\/coupons\/([^/]+)(?:\/([^/]+))?$/;

function index(url) {
  const base = url.origin;
  return {
    service: "offer-edge",
    version: oe.version(),
    routes: {
      bundle: `GET ${base}/v1/bundles/{partner}`,
      compiled: `GET ${base}/v1/bundles/{partner}/compiled`,
      keysets: `GET ${base}/v1/keysets/{partner}`,
      decide: `POST ${base}/v1/decide`,
      events: `POST ${base}/v1/events`,
      conversions: `POST ${base}/v1/conversions`,
      reports: `GET ${base}/v1/reports/{partner}`,
      export: `GET ${base}/v1/reports/{partner}/events`,
      erase: `DELETE ${base}/v1/shoppers/{partner}`,
      coupons: `POST|GET ${base}/v1/coupons/{partner}/{pool}`,
      status: `GET ${base}/v1/status`,
    },
  };
}

/** A path segment decoded, or 400 for a malformed `%` escape (never a 500). */
function segment(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, "BAD_REQUEST", "malformed percent-encoding in the path");
  }
}

function methodNotAllowed(allow) {
  return new HttpError(405, "METHOD_NOT_ALLOWED", `use ${allow}`, { allow });
}

async function route(request, env, url) {
  const { pathname } = url;
  const method = request.method;
  const bundle = BUNDLE_PATH.exec(pathname);
  if (bundle) {
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET");
    const partnerId = segment(bundle[1]);
    return bundle[2] ? handleGetCompiled(request, env, partnerId) : handleGetBundle(request, env, partnerId);
  }
  const keysets = KEYSETS_PATH.exec(pathname);
  if (keysets) {
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET");
    return handleGetKeysets(request, env, segment(keysets[1]));
  }
  const trust = TRUST_PATH.exec(pathname);
  if (trust && method === "GET" && env.EXPOSE_TRUST === "1") {
    // Local demo only: pages of www/ read the demo partner's public keys
    // here. In production a page pins its keys in its own HTML, never
    // fetching them from the server that serves the bundle.
    return json(partnerOr404(env, segment(trust[1])).trust);
  }
  if (pathname === "/v1/decide") {
    if (method !== "POST") throw methodNotAllowed("POST");
    await rateLimit(env, request, "decide");
    await ensureSchema(env);
    return handleDecide(request, env);
  }
  if (pathname === "/v1/events") {
    if (method !== "POST") throw methodNotAllowed("POST");
    await rateLimit(env, request, "events");
    await ensureSchema(env);
    return handleEvents(request, env);
  }
  if (pathname === "/v1/conversions") {
    if (method !== "POST") throw methodNotAllowed("POST");
    await rateLimit(env, request, "conversions");
    await ensureSchema(env);
    return handleConversion(request, env);
  }
  const report = REPORT_PATH.exec(pathname);
  if (report) {
    if (method !== "GET") throw methodNotAllowed("GET");
    await rateLimit(env, request, "reports");
    await ensureSchema(env);
    const partnerId = segment(report[1]);
    return report[2] ? handleExport(request, env, partnerId, url) : handleReport(request, env, partnerId, url);
  }
  const shoppers = SHOPPERS_PATH.exec(pathname);
  if (shoppers) {
    if (method !== "DELETE") throw methodNotAllowed("DELETE");
    await rateLimit(env, request, "shoppers");
    await ensureSchema(env);
    return handleErasure(request, env, segment(shoppers[1]));
  }
  const coupons = COUPONS_PATH.exec(pathname);
  if (coupons) {
    const pool = coupons[2] === undefined ? null : segment(coupons[2]);
    if (method !== "GET" && !(pool !== null && method === "POST")) throw methodNotAllowed(pool === null ? "GET" : "GET, POST");
    await rateLimit(env, request, "coupons");
    const partnerId = segment(coupons[1]);
    return pool === null ? handleCodeLookup(request, env, partnerId, url) : handlePool(request, env, partnerId, pool);
  }
  if (pathname === "/v1/status" && method === "GET") {
    // Operators only: versions, hashes and refusal messages of every partner.
    if (!isAdmin(env, request)) throw new HttpError(401, "ADMIN_REQUIRED", "GET /v1/status needs the ADMIN_TOKEN bearer token");
    return json({ partners: Object.fromEntries([...partners(env).keys()].map((p) => [p, bundleStatus(p)])) }, 200, { "cache-control": "no-store" });
  }
  const fault = FAULT_PATH.exec(pathname);
  if (fault && method === "POST" && env.FAULT_INJECTION === "1") return handleFault(env, segment(fault[1]));
  if (pathname.startsWith("/demo/partner/") && env.PARTNER_BACKEND) {
    // The demo's stand-in for a partner's own backend (it holds the
    // checkout private key, in Node, outside the worker and the page).
    return env.PARTNER_BACKEND.fetch(request);
  }
  if (pathname === "/" && method === "GET") return json(index(url));
  throw new HttpError(404, "NOT_FOUND", `no route for ${method} ${pathname}`);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const origin = request.headers.get("origin");
    const allowed = (o) => o === url.origin || anyPartnerOrigin(env, o);
    if (request.method === "OPTIONS") return preflight(origin, allowed);
    let response;
    try {
      checkDeployment(env);
      response = await route(request, env, url);
    } catch (e) {
      response = errorResponse(e);
    }
    return withHeaders(response, corsHeaders(origin, allowed));
  },

  async queue(batch, env) {
    checkDeployment(env); // throws: the batch is retried once the deployment is fixed
    await handleQueue(batch, env);
  },

  // Cron (wrangler.toml [triggers]): deletes every row past its table's
  // time to live (edge/retention.js, docs/PRIVACY.md).
  async scheduled(controller, env) {
    await ensureSchema(env);
    await applyRetention(env, Date.now());
  },
};
