#!/usr/bin/env node
// The local edge: worker.js in real workerd (miniflare) on 127.0.0.1:8787,
// with KV, D1, Durable Objects (alarms) and the queue persisted under
// .state/edge/data, so state survives restarts. Partners come from the
// state folder (scripts/demo lays it out):
//   .state/edge/partners/<id>/trust.json           pinned trust config
//   .state/edge/partners/<id>/keys/<id>-fulfilment.key   fulfilment private key (secret)
//   .state/edge/partners/<id>/keys/*.pub           checkout public keys (kind "checkout") → checkoutKeys
//   .state/edge/partners/<id>/keys/<id>-checkout.key     checkout private key: only the demo's
//                                                   partner backend (PARTNER_BACKEND) reads it
//   .state/edge/partners/<id>/bundle.signed.json   uploaded at start when it changed
//   .state/edge/partners/<id>/bundle.signed.page.json  its page bundle (written by `sign` when the
//                                                   bundle has confidential audiences), uploaded with it
//   .state/edge/partners/<id>/bundle.signed.oeb    its compiled form (written by `sign`: what the
//                                                   snippet's page engine loads), uploaded with it
//   .state/edge/partners/<id>/origins.json         optional: extra allowed page origins
//   .state/edge/secrets.json                       RECEIPT_KEY, ADMIN_TOKEN (generated once)
// Usage: node scripts/edge.mjs [--state DIR] [--host 127.0.0.1] [--port 8787] [--rate-limit N]
//        [--demo-partner ID]   whose backend answers /demo/partner/* (default: the first with a checkout key)
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { advertiserApiSecretName, advertiserPostbackKeyName } from "../edge/config.js";
import { apiSecretName, edgeOptions, formOf, fulfilmentSecretName, pageBundleOf, root, uploadKeys } from "./lib/edge.mjs";
import { partnerBackend } from "./lib/partner-backend.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

const { values: args } = parseArgs({
  options: {
    state: { type: "string", default: join(root, ".state/edge") },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8787" },
    "rate-limit": { type: "string", default: "600" },
    "demo-partner": { type: "string" },
  },
});
const state = resolve(args.state);
const port = Number(args.port);
mkdirSync(join(state, "data"), { recursive: true });

// Secrets: generated once, kept in the (git-ignored) state folder.
const secretsPath = join(state, "secrets.json");
const secrets = existsSync(secretsPath) ? JSON.parse(readFileSync(secretsPath, "utf8")) : {};
let generated = false;
/** `name` from the state folder's secrets, generated (`bytes` random bytes) and saved the first time. */
function secret(name, bytes, encoding = "base64url") {
  if (!secrets[name]) {
    secrets[name] = randomBytes(bytes).toString(encoding);
    generated = true;
  }
  return secrets[name];
}
secret("RECEIPT_KEY", 32, "base64");
// State folders from before GET /v1/status needed an operator token get one now.
secret("ADMIN_TOKEN", 24);

const self = [`http://${args.host}:${port}`, `http://localhost:${port}`];
const partners = {};
const fulfilmentKeys = {};
const uploads = [];
const partnersDir = join(state, "partners");
const read = (path) => path && new Uint8Array(readFileSync(path));
for (const id of existsSync(partnersDir) ? readdirSync(partnersDir).sort() : []) {
  const dir = join(partnersDir, id);
  const trustPath = join(dir, "trust.json");
  if (!existsSync(trustPath)) continue;
  const originsPath = join(dir, "origins.json");
  const origins = existsSync(originsPath) ? JSON.parse(readFileSync(originsPath, "utf8")) : [];
  // The demo partner takes conversions from, and shows reports to, every advertiser of its bundle.
  const advertisers = advertisersOf(join(dir, "bundle.json"));
  partners[id] = { trust: JSON.parse(readFileSync(trustPath, "utf8")), origins: [...self, ...origins],
    checkoutKeys: checkoutKeys(join(dir, "keys")), advertisers };
  // The partner backend's API secret (server-to-server decides, reports); each advertiser's report
  // secret and postback key (scripts/demo-traffic signs conversions with it).
  secret(apiSecretName(id), 24);
  for (const adv of advertisers) {
    secret(advertiserApiSecretName(adv), 24);
    secret(advertiserPostbackKeyName(adv), 32);
  }
  const keyPath = join(dir, "keys", `${id}-fulfilment.key`);
  if (existsSync(keyPath)) fulfilmentKeys[fulfilmentSecretName(id)] = readFileSync(keyPath, "utf8");
  const signed = join(dir, "bundle.signed.json");
  if (existsSync(signed)) uploads.push(uploadKeys(id, read(signed), read(pageBundleOf(signed)), read(formOf(signed))));
}
if (generated) writeFileSync(secretsPath, JSON.stringify(secrets, null, 2), { mode: 0o600 });
const vars = { ...secrets, ...fulfilmentKeys };
if (!Object.keys(partners).length) {
  console.error(`no partners under ${partnersDir}: run scripts/demo (it seeds one)`);
  process.exit(1);
}

/** The distinct advertisers of the offers of an unsigned bundle file (none when it is missing). */
function advertisersOf(path) {
  if (!existsSync(path)) return [];
  const bundle = JSON.parse(readFileSync(path, "utf8"));
  return [...new Set((bundle.offers ?? []).map((o) => o.advertiser))].sort();
}

/** kid → base64 public key of every checkout key (`keygen --kind checkout`) in `keys`: all pinned, so kids can rotate. */
function checkoutKeys(keys) {
  const out = {};
  for (const name of existsSync(keys) ? readdirSync(keys).filter((n) => n.endsWith(".pub")).sort() : []) {
    const file = JSON.parse(readFileSync(join(keys, name), "utf8"));
    if (file.kind === "checkout") out[file.keyid] = file.publicKey;
  }
  return out;
}

// The demo checkout's partner backend (mints checkout tokens with the private key).
const checkoutKeyOf = (id) => join(partnersDir, id, "keys", `${id}-checkout.key`);
const demoPartner = args["demo-partner"] ?? Object.keys(partners).find((id) => existsSync(checkoutKeyOf(id)));
const options = edgeOptions({
  persistRoot: join(state, "data"),
  host: args.host,
  port,
  partners,
  rateLimit: Number(args["rate-limit"]),
  vars: { ...vars, BUNDLE_REFRESH_MS: "2000", EXPOSE_TRUST: "1" },
});
if (demoPartner && existsSync(checkoutKeyOf(demoPartner))) {
  options.serviceBindings = { ...options.serviceBindings, PARTNER_BACKEND: partnerBackend({ partner: demoPartner, keyPath: checkoutKeyOf(demoPartner) }) };
} else if (demoPartner) {
  console.error(`no checkout key ${checkoutKeyOf(demoPartner)}: the demo checkout gets no checkout tokens (events stay unverified)`);
}
let mf;
let url;
try {
  ({ mf, url } = await startWorkerd(options));
} catch (e) {
  console.error(`could not start workerd on ${args.host}:${port}: ${e.message}`);
  process.exit(1);
}
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// Upload each partner's signed bundle (and page bundle, and compiled form)
// when it differs from the stored upload; the bundle last (see uploadBundle).
const kv = await mf.getKVNamespace("BUNDLES");
for (const writes of uploads) {
  for (const [key, value] of writes) {
    const current = await kv.get(key, "arrayBuffer");
    if (!current || Buffer.compare(Buffer.from(current), Buffer.from(value)) !== 0) {
      await kv.put(key, value);
      console.log(`uploaded ${key} (${value.length} bytes)`);
    }
  }
}

const base = url.href.replace(/\/$/, "");
// Load (verify) each partner's bundle and compiled form now, so problems show at start.
const problems = {};
for (const id of Object.keys(partners)) {
  const res = await fetch(`${base}/v1/bundles/${id}/compiled`);
  if (!res.ok) problems[id] = (await res.json()).error;
  else await res.arrayBuffer();
}
const after = await (await fetch(`${base}/v1/status`, { headers: { authorization: `Bearer ${vars.ADMIN_TOKEN}` } })).json();
console.log(`\noffer-edge local edge (workerd) on ${base}  — state in ${state}/data`);
for (const [id, s] of Object.entries(after.partners)) {
  const why = s.lastError ?? problems[id];
  const pages = s.served ? `pages get its ${s.served} bundle` : `pages get nothing (NO_PAGE_BUNDLE${s.pageError ? `, ${s.pageError.code}` : ""})`;
  const form = s.compiled?.version === s.version ? "and its compiled form"
    : `but no compiled form (NO_COMPILED_FORM${s.compiledError ? `, ${s.compiledError.code}` : ""}: pages decide at the edge only)`;
  const line = s.loaded ? `bundle v${s.version}, expires ${s.expiresAt}; ${pages} ${form}` : `no bundle${why ? ` (${why.code}: ${why.message})` : ""}`;
  console.log(`  partner ${id}: ${line}${s.loaded && s.lastError ? ` (latest upload refused: ${s.lastError.code})` : ""}`);
}
console.log(`
  GET  ${base}/                      index (www/ pages when present)
  GET  ${base}/v1/bundles/<partner>  verified signed bundle (its page bundle when it has confidential audiences)
  GET  ${base}/v1/bundles/<partner>/compiled  its compiled form: what the checkout's page engine loads
  POST ${base}/v1/decide             {"partner","placement","attributes","checkoutToken"?}
  POST ${base}/v1/events             {"events":[...]}  (with a checkout token: may send a confirmation email)
  POST ${base}/v1/conversions        an advertiser's signed conversion postback (docs/REPORTS.md)
  GET  ${base}/v1/reports/<partner>  aggregates of billable engagement (Authorization: Bearer <API_SECRET_<PARTNER> of ${secretsPath}>)
  GET  ${base}/v1/reports/<partner>/events?format=csv|ndjson   billable events for a warehouse
  GET  ${base}/v1/status             bundle status per partner (Authorization: Bearer <ADMIN_TOKEN of ${secretsPath}>)
  GET  ${base}/v1/trust/<partner>    pinned trust config (demo pages read the public keys here)${options.serviceBindings?.PARTNER_BACKEND ? `
  POST ${base}/demo/partner/checkout-token   {"email","order"?} → {"order","token"}: ${demoPartner}'s backend (demo)` : ""}
`);
const www = join(root, "www");
if (existsSync(www)) {
  for (const f of readdirSync(www).filter((n) => n.endsWith(".html")).sort()) {
    console.log(`  page ${base}/${f === "index.html" ? "" : f}${f === "index.html" ? "   demo checkout" : ""}`);
  }
}
const first = Object.keys(partners)[0];
// The fragment never reaches a server: the page reads the secret from it and drops it from the address bar.
console.log(`  report ${base}/report#partner=${encodeURIComponent(first)}&secret=${encodeURIComponent(vars[apiSecretName(first)])}
         (scripts/demo-traffic sends a load run to report on)`);
console.log(`try: curl -s ${base}/v1/decide -H 'content-type: application/json' \\
       -d '{"partner":"${first}","placement":"confirmation","attributes":{"firstname":"Ada","state":"NY","country":"US","amount":"120.00"}}'
Ctrl-C stops; state persists.`);
