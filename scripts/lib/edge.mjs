// Node-side helpers for running worker.js locally in workerd (miniflare):
// the miniflare options mirroring wrangler.toml, seeding a partner with the
// CLI (keys, demo bundle, signature), and writing bundle uploads into the
// local KV state. Used by scripts/edge.mjs (the demo), scripts/upload-bundle,
// scripts/load-edge and tests/edge.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { workerModules } from "./workerd.mjs";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const QUEUE = "offer-edge-fulfilment";

/**
 * The CLI binary: the newer of the release and debug builds, built when
 * missing. Newest, not "release first": a release binary left from an older
 * checkout would otherwise sign with a format the current engine has moved on
 * from (`cargo test` keeps the debug one current, `scripts/demo` the release one).
 */
export function cli() {
  const built = ["target/release/offer-edge", "target/debug/offer-edge"].map((p) => join(root, p)).filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (built.length) return built[0];
  execFileSync("cargo", ["build", "--quiet", "--locked", "--bin", "offer-edge"], { cwd: root, stdio: "inherit" });
  return join(root, "target/debug/offer-edge");
}

/** Env var names of a partner's secrets: the worker's own rule (edge/config.js), not a copy. */
export { apiSecretName, fulfilmentSecretName } from "../../edge/config.js";

/**
 * Miniflare options for worker.js with the bindings of wrangler.toml.
 * `persistRoot`: directory for KV/D1/DO/queue state (undefined: in memory).
 * `vars`: extra env vars and secrets (RECEIPT_KEY, FULFILMENT_KEY_*, …).
 * `rateLimit`: requests per minute per client on the write routes.
 */
export function edgeOptions({ persistRoot, vars = {}, partners = {}, host, port, rateLimit = 600, assets = true, queueBatchTimeout = 0.05 } = {}) {
  const www = join(root, "www");
  const options = {
    name: "offer-edge",
    // edge/schema.js imports the D1 migrations as text.
    ...workerModules(join(root, "worker.js"), { rules: [{ type: "Text", include: ["**/*.sql"] }] }),
    kvNamespaces: { BUNDLES: "bundles" },
    d1Databases: { DB: "offer-edge" },
    durableObjects: {
      HISTORY: { className: "ShopperHistory", useSQLite: true },
      REMINDERS: { className: "FulfilmentReminder", useSQLite: true },
    },
    queueProducers: { FULFILMENT_QUEUE: { queueName: QUEUE } },
    queueConsumers: { [QUEUE]: { maxBatchSize: 10, maxBatchTimeout: queueBatchTimeout, maxRetries: 10, retryDelay: 0 } },
    ratelimits: { RATE_LIMITER: { namespace_id: "1001", simple: { limit: rateLimit, period: 60 } } },
    bindings: {
      PARTNERS: JSON.stringify(partners),
      RECEIPT_TTL: "24h",
      BUNDLE_REFRESH_MS: "0",
      BUNDLE_MAX_AGE_S: "60",
      EMAIL_ADAPTER: "outbox",
      // The outbox adapter (emails as D1 rows) is refused outside demo mode.
      DEMO_MODE: "1",
      EMAIL_FROM: "offers@offer-edge.local",
      ...vars,
    },
  };
  if (persistRoot) options.defaultPersistRoot = persistRoot;
  if (host) options.host = host;
  if (port !== undefined) options.port = port;
  if (assets && existsSync(www)) {
    options.assets = { directory: www, routerConfig: { has_user_worker: true } };
  }
  return options;
}

/**
 * Generates a partner with the CLI into `dir`: signing key, fulfilment key
 * (X25519), checkout-token key (Ed25519, the partner backend's), trust.json,
 * and a signed demo bundle of `offers` offers.
 * `transform(bundle)` may edit the generated bundle before it is signed.
 * Returns `{partner, trust, signed, page, form, fulfilmentKey, checkoutKeys, checkoutKeyPath,
 * checkoutToken({order, email, sub, ttl, now}), sign(version, extra), pageOf(version), formOf(version),
 * signKey}` (`signKey`: the signing key file, for tests that sign by hand):
 * `page` / `pageOf(v)` is the signed page bundle `sign` wrote next to the
 * bundle when it has confidential audiences (the demo's suppression list
 * is), else null; `form` / `formOf(v)` the compiled form it wrote (X.oeb:
 * what the page build loads, of the page bundle when there is one).
 */
export function seedPartner(dir, partner, { offers = 12, version = 1, seed = 1, transform } = {}) {
  const bin = cli();
  const keys = join(dir, "keys");
  mkdirSync(keys, { recursive: true });
  const run = (...args) => execFileSync(bin, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const signKey = join(keys, `${partner}-1.key`);
  const fulKey = join(keys, `${partner}-fulfilment.key`);
  if (!existsSync(signKey)) run("keygen", "--out-dir", keys, "--keyid", `${partner}-1`);
  if (!existsSync(fulKey)) run("keygen", "--out-dir", keys, "--keyid", `${partner}-fulfilment`, "--kind", "fulfilment");
  const checkoutKid = `${partner}-checkout-1`;
  const checkoutKeyPath = join(keys, `${checkoutKid}.key`);
  if (!existsSync(checkoutKeyPath)) run("keygen", "--out-dir", keys, "--keyid", checkoutKid, "--kind", "checkout");
  const checkoutPub = JSON.parse(readFileSync(join(keys, `${checkoutKid}.pub`), "utf8"));
  /** A checkout token minted by the CLI, as the partner's backend would mint it. */
  const checkoutToken = ({ order, email, sub, ttl, now, key = checkoutKeyPath, as = partner } = {}) => {
    const args = ["checkout-token", "--key", key, "--partner", as, "--order", order, "--email", email];
    if (sub) args.push("--sub", sub);
    if (ttl) args.push("--ttl", ttl);
    if (now) args.push("--now", now);
    return run(...args).toString("utf8").trim();
  };
  const trustPath = join(dir, `${partner}.trust.json`);
  run("trust", "--partner", partner, "--pub", join(keys, `${partner}-1.pub`), "-o", trustPath);
  /** Generates and signs bundle `version`; returns the signed bytes. */
  const sign = (v, { issuedAt, expiresAt } = {}) => {
    const bundlePath = join(dir, `${partner}.v${v}.json`);
    const args = ["demo-bundle", "--partner", partner, "--offers", String(offers), "--seed", String(seed),
      "--fulfilment-pub", join(keys, `${partner}-fulfilment.pub`), "--bundle-version", String(v), "-o", bundlePath];
    if (issuedAt) args.push("--issued-at", issuedAt);
    if (expiresAt) args.push("--expires-at", expiresAt);
    run(...args);
    if (transform) {
      const bundle = JSON.parse(readFileSync(bundlePath, "utf8"));
      writeFileSync(bundlePath, JSON.stringify(transform(bundle) ?? bundle, null, 2));
    }
    // A page bundle or form is only ever the one this sign wrote.
    for (const path of [pagePath(v), formPath(v)]) rmSync(path, { force: true });
    run("sign", "--minify", "--key", signKey, bundlePath, "-o", signedPath(v));
    return new Uint8Array(readFileSync(signedPath(v)));
  };
  const signedPath = (v) => join(dir, `${partner}.v${v}.signed.json`);
  /** `sign -o X.json` writes the page bundle to X.page.json and the compiled form to X.oeb. */
  const pagePath = (v) => pageBundlePath(signedPath(v));
  const formPath = (v) => compiledFormPath(signedPath(v));
  const readIf = (path) => (existsSync(path) ? new Uint8Array(readFileSync(path)) : null);
  const pageOf = (v) => readIf(pagePath(v));
  const formOf = (v) => readIf(formPath(v));
  const signed = sign(version);
  return {
    partner,
    trust: JSON.parse(readFileSync(trustPath, "utf8")),
    signed,
    page: pageOf(version),
    form: formOf(version),
    sign,
    pageOf,
    formOf,
    signKey,
    fulfilmentKey: readFileSync(fulKey, "utf8"),
    checkoutKeys: { [checkoutKid]: checkoutPub.publicKey },
    checkoutKeyPath,
    checkoutToken,
    bundlePath: (v) => join(dir, `${partner}.v${v}.json`),
  };
}

/**
 * Writes a signed bundle upload for `partner` into the worker's KV
 * (`bundle:<partner>`), with its signed page bundle (`page-bundle:<partner>`)
 * and its compiled form (`page-form:<partner>`, the *.oeb file the page build
 * loads) when given: the worker decides with the bundle and serves pages only
 * a page bundle and a compiled form of the same version, checked against it
 * (edge/engine.js). The bundle goes last, so a refresh between the writes
 * never finds a new bundle without its page files (the old ones stay served).
 */
export async function uploadBundle(mf, partner, bytes, page = null, form = null) {
  const kv = await mf.getKVNamespace("BUNDLES");
  for (const [key, value] of uploadKeys(partner, bytes, page, form)) await kv.put(key, value);
}

/** The KV writes of one upload, in the order they must happen: `[[key, bytes]]` (absent files left out). */
export function uploadKeys(partner, bytes, page = null, form = null) {
  return [[`page-bundle:${partner}`, page], [`page-form:${partner}`, form], [`bundle:${partner}`, bytes]].filter(([, v]) => v);
}

/** `signedPath` with its `.json` replaced by `.${ext}`, as `offer-edge sign -o` names the files it writes next to it. */
function beside(signedPath, ext) {
  return `${signedPath.endsWith(".json") ? signedPath.slice(0, -5) : signedPath}.${ext}`;
}
const pageBundlePath = (signedPath) => beside(signedPath, "page.json");
const compiledFormPath = (signedPath) => beside(signedPath, "oeb");

/** The page bundle `offer-edge sign -o <signedPath>` wrote next to it (X.json → X.page.json), or null. */
export function pageBundleOf(signedPath) {
  const path = pageBundlePath(signedPath);
  return existsSync(path) ? path : null;
}

/** The compiled form `offer-edge sign -o <signedPath>` wrote next to it (X.json → X.oeb), or null. */
export function formOf(signedPath) {
  const path = compiledFormPath(signedPath);
  return existsSync(path) ? path : null;
}
