// Shared harness of the browser suites: a test partner seeded with the CLI
// (real keys, real signed bundles, a checkout key), the backend serving www/,
// collecting events and minting checkout tokens (the partner's backend), and
// headless Chromium (playwright-core) with every request, console message and
// dialog recorded. What the edge, browser and preview suites share is in
// tests/harness/.
import assert from "node:assert/strict";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fulfilmentSecretName, formOf, pageBundleOf, uploadBundle } from "../../scripts/lib/edge.mjs";
import { writeCheckoutPage } from "../../scripts/lib/www-build.mjs";
import { partnerBackend } from "../../scripts/lib/partner-backend.mjs";
import { cliWorkspace, threeOffers } from "../harness/bundles.js";
import { launchChromium } from "../harness/chromium.js";
import { copyOfWww, d1Rows, startServingEdge } from "../harness/edge.js";
import { poll, root } from "../harness/util.js";

export { ARTIFACTS, poll, root } from "../harness/util.js";
export const PARTNER = "acme";

/**
 * The test bundle: three always-eligible offers of different advertisers in
 * the `confirmation` placement (all three shown): a coupon that needs a
 * confirmation email, a link capped at 2 impressions a day, an addToCart.
 * Declines suppress for 30 days. Images point at www/img/ (same origin).
 */
export function browserBundle(b) {
  // None of the three names an audience: no lists (and so no page edition of the bundle).
  const offers = threeOffers(b, { subject: "{{firstname|there}}, your code is inside",
    html: "<p>Hi {{firstname|there}}, your code is <b>{{couponCode}}</b>.</p>" });
  for (const o of offers) o.suppressAfterDecline = "30d";
  offers[1].caps = [{ scope: "offer", max: 2, window: "day" }];
  return b;
}

let seeded;
/**
 * The test partner: signing key, fulfilment key (X25519), checkout key
 * (its backend's: signs checkout tokens), trust, and
 * `sign(version, {issuedAt, expiresAt, transform})` → `{json, page, form}`:
 * the signed file (what the edge decides with), its page edition (a bundle
 * with confidential audiences; else null) and its compiled form (what the
 * page engine loads). `signed` is version 1's.
 */
export function seed() {
  if (seeded) return seeded;
  const { dir, keys, run, keygen, trust: pinTrust } = cliWorkspace("offer-edge-www-");
  keygen(`${PARTNER}-1`);
  keygen(`${PARTNER}-fulfilment`, "fulfilment");
  keygen(`${PARTNER}-checkout`, "checkout");
  // trust.json in `dir`: tests/browser/rotation.test.js rotates from it.
  const trust = pinTrust(PARTNER, [`${PARTNER}-1`]);
  // `key`: another signing key file (key rotation: tests/browser/rotation.test.js).
  const sign = (version, { issuedAt, expiresAt, transform = browserBundle, key } = {}) => {
    const bundlePath = join(dir, `bundle.v${version}.json`);
    const args = ["demo-bundle", "--partner", PARTNER, "--offers", "12", "--seed", "3", "--bundle-version", String(version),
      "--fulfilment-pub", join(keys, `${PARTNER}-fulfilment.pub`), "-o", bundlePath];
    if (issuedAt) args.push("--issued-at", issuedAt);
    if (expiresAt) args.push("--expires-at", expiresAt);
    run(...args);
    const bundle = JSON.parse(readFileSync(bundlePath, "utf8"));
    writeFileSync(bundlePath, JSON.stringify(transform(bundle) ?? bundle, null, 2));
    const signedPath = join(dir, `bundle.v${version}.signed.json`);
    // What sign writes next to it is only ever this sign's (a version may be signed twice).
    for (const path of [pageBundleOf(signedPath), formOf(signedPath)]) if (path) rmSync(path);
    run("sign", "--key", key ?? join(keys, `${PARTNER}-1.key`), bundlePath, "-o", signedPath);
    const page = pageBundleOf(signedPath);
    return { json: readFileSync(signedPath), page: page && readFileSync(page), form: readFileSync(formOf(signedPath)) };
  };
  const signed = sign(1);
  const draft = JSON.parse(readFileSync(join(dir, "bundle.v1.json"), "utf8"));
  const [coupon, link, addToCart] = draft.offers.map((o) => o.id);
  const checkoutPub = JSON.parse(readFileSync(join(keys, `${PARTNER}-checkout.pub`), "utf8"));
  seeded = { dir, keys, run, trust, sign, signed, draft, offers: { coupon, link, addToCart },
    fulfilmentKey: readFileSync(join(keys, `${PARTNER}-fulfilment.key`), "utf8"),
    checkoutKeyPath: join(keys, `${PARTNER}-checkout.key`),
    checkoutKeys: { [checkoutPub.keyid]: checkoutPub.publicKey } };
  return seeded;
}

/** Bundle `version` signed to expire `ms` from now (issued a minute ago): `{json, page, form, expiresAt}` (epoch ms). */
export function signExpiringIn(version, ms) {
  const expiresAt = Date.now() + ms;
  const signed = seed().sign(version, { issuedAt: new Date(Date.now() - 60_000).toISOString(), expiresAt: new Date(expiresAt).toISOString() });
  return { ...signed, expiresAt };
}

/** Where pages fetch the partner's bundle: its compiled form, the only thing the page engine loads. */
export const BUNDLE_PATH = `/v1/bundles/${PARTNER}/compiled`;

/** The page config, as the demo seeding writes it. */
export function pageConfig(s = seed()) {
  return {
    partnerId: PARTNER,
    bundleUrl: BUNDLE_PATH,
    collectorUrl: "/v1/events",
    trustedKeys: { keys: s.trust.keys, threshold: s.trust.threshold },
    flushDelayMs: 50,
  };
}

/**
 * The backend of the page (www/ + bundle + collector + the partner's
 * checkout-token backend) with the test bundle uploaded: the real local edge
 * (worker.js in workerd via miniflare). Returns `{url, setBundle(partner,
 * {json, page, form}), events(), outbox()}` (`setBundle` uploads what
 * `seed().sign` returns); `events()` → stored events `{id, type,
 * offerId, decisionId, order, hasFulfilment, stream}` (`stream`: "billable" |
 * "unverified", with its `reason`), `outbox()` → emails `{to, subject, kind,
 * decisionId, offerId}`.
 */
export async function startBackend(t, { bundle } = {}) {
  const s = seed();
  const edge = await startRealEdge(s);
  t.after(() => edge.close());
  await edge.setBundle(PARTNER, bundle ?? s.signed);
  return edge;
}

/** worker.js in workerd, serving a copy of www/ (+ the test pages and the page config) as its static assets. */
async function startRealEdge(s) {
  const assets = copyOfWww("offer-edge-assets-");
  cpSync(join(root, "tests/browser/pages"), join(assets, "__test__"), { recursive: true });
  writeFileSync(join(assets, "demo-config.json"), JSON.stringify(pageConfig(s)));
  // The served checkout (index.html) with this partner's config inline, as scripts/demo writes the demo's.
  writeCheckoutPage({ dir: assets, config: pageConfig(s) });
  const { mf, url, close } = await startServingEdge({
    assets,
    partners: { [PARTNER]: { trust: s.trust, origins: [], checkoutKeys: s.checkoutKeys } },
    vars: { [fulfilmentSecretName(PARTNER)]: s.fulfilmentKey },
    serviceBindings: { PARTNER_BACKEND: partnerBackend({ partner: PARTNER, keyPath: s.checkoutKeyPath }) },
  });
  const db = await mf.getD1Database("DB");
  const rows = (query) => d1Rows(db, query, PARTNER);
  return {
    url,
    setBundle: (partner, { json, page = null, form = null }) => {
      const bytes = (b) => b && new Uint8Array(b);
      return uploadBundle(mf, partner, bytes(json), bytes(page), bytes(form));
    },
    /** Uploads a signed keyset update (or a list of them) to `keyset:<partner>` (edge/keysets.js). */
    setKeyset: async (partner, bytes) => (await mf.getKVNamespace("BUNDLES")).put(`keyset:${partner}`, new Uint8Array(bytes)),
    events: async () => [
      ...(await rows("SELECT id, type, offer_id, decision_id, order_ref, has_fulfilment FROM billable_events WHERE partner = ?"))
        .map((r) => ({ id: r.id, type: r.type, offerId: r.offer_id, decisionId: r.decision_id, order: r.order_ref,
          hasFulfilment: r.has_fulfilment === 1, stream: "billable" })),
      ...(await rows("SELECT id, type, offer_id, reason FROM unverified_events WHERE partner = ?"))
        .map((r) => ({ id: r.id, type: r.type, offerId: r.offer_id, decisionId: null, order: null, hasFulfilment: false,
          stream: "unverified", reason: r.reason })),
    ],
    outbox: async () => (await rows("SELECT to_addr, subject, kind, decision_id, offer_id FROM outbox WHERE partner = ?"))
      .map((r) => ({ to: r.to_addr, subject: r.subject, kind: r.kind, decisionId: r.decision_id, offerId: r.offer_id })),
    close,
  };
}

/**
 * Serves `bytes` (a compiled form, or anything else) at the bundle URL for
 * every page of `context` (an attacker or a broken CDN between the edge and
 * the page: the edge itself only ever serves forms it verified).
 */
export async function serveAtBundleUrl(context, bytes) {
  await unserveBundleUrl(context);
  const etag = `"${createHash("sha256").update(bytes).digest("hex")}"`;
  await context.route(`**${BUNDLE_PATH}`, (route) => route.fulfill({
    status: 200, body: Buffer.from(bytes), headers: { "content-type": "application/vnd.offer-edge.compiled", etag },
  }));
}

/** The bundle URL answered by the edge again. */
export function unserveBundleUrl(context) {
  return context.unroute(`**${BUNDLE_PATH}`).catch(() => {});
}

/** Every context's record in this process, for the plaintext-PII scan. */
export const allRecords = [];

/** The shop's own backend (the demo partner's): it placed the order, so it knows its shopper's email. */
export const OWN_BACKEND = "/demo/partner/";

/**
 * Asserts no request URL or body of `records` contains any of `secrets`
 * (as is, lower-cased or URL-encoded), except requests to the shop's own
 * backend (`OWN_BACKEND`): neither offer-edge nor anyone else gets them.
 */
export function assertNoPlaintext(records, secrets) {
  const forms = secrets.flatMap((s) => [s, s.toLowerCase(), encodeURIComponent(s)]);
  for (const r of records.flatMap((x) => x.requests)) {
    if (new URL(r.url).pathname.startsWith(OWN_BACKEND)) continue;
    for (const f of forms) {
      assert.ok(!r.url.includes(f), `request URL carries ${f}: ${r.url}`);
      assert.ok(!r.body.includes(f), `request body to ${r.url} carries ${f}`);
    }
  }
}

let browser;
/** One headless Chromium per test file (fresh temporary profile); a new context per test. */
export async function newContext(t, options = {}) {
  if (!browser) {
    browser = await launchChromium();
    process.on("beforeExit", () => browser && browser.close().then(() => (browser = null)));
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 1600 }, ...options });
  t.after(() => context.close());
  const record = { requests: [], problems: [], dialogs: [], warnings: [] };
  allRecords.push(record);
  context.on("request", (r) => record.requests.push({ url: r.url(), body: r.postData() ?? "" }));
  context.on("page", (page) => watch(page, record));
  return { context, record, newPage: async () => context.newPage() };
}

/** Records console errors, page errors and dialogs (dismissed) of `page`. */
function watch(page, record) {
  page.on("console", (m) => {
    if (m.type() === "error") record.problems.push(`console: ${m.text()}`);
    if (m.type() === "warning") record.warnings.push(m.text());
  });
  page.on("pageerror", (e) => record.problems.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => {
    record.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
}

/** Closes the browser at the end of the file. */
export async function closeBrowser() {
  if (browser) await browser.close();
  browser = null;
}

/** Opens the demo and waits until its offers are decided (or known absent). */
export async function openDemo(page, base, query = "") {
  await page.goto(`${base}/${query}`);
  await page.waitForSelector("html[data-offers-ready]", { timeout: 30_000 });
}

/**
 * The start most tests share: the backend (with `bundle`, as `startBackend`),
 * a context (`contextOptions`, as `newContext`), a page on the demo (`query`)
 * with its placement shown. Returns `{edge, context, record, page}`.
 */
export async function openShop(t, { query = "", bundle, ...contextOptions } = {}) {
  const edge = await startBackend(t, { bundle });
  const { context, record, newPage } = await newContext(t, contextOptions);
  const page = await newPage();
  await openDemo(page, edge.url, query);
  await waitForPlacement(page);
  return { edge, context, record, page };
}

/** Offer ids rendered in the confirmation placement (shadow DOM). */
export function shownOffers(page) {
  return page.evaluate(() => {
    const host = document.querySelector('#offers [data-offer-edge-placement="confirmation"]');
    const root = host && host.shadowRoot;
    return root ? [...root.querySelectorAll("li[data-offer-id]")].map((n) => n.getAttribute("data-offer-id")) : [];
  });
}

/** Waits until the placement is rendered and styled (shown). */
export async function waitForPlacement(page) {
  await page.waitForFunction(() => {
    const host = document.querySelector("#offers [data-offer-edge-placement]");
    return host && host.shadowRoot && host.shadowRoot.querySelector(".oe-root:not([hidden])");
  }, null, { timeout: 15_000 });
}

/** Waits until the page's event queue is empty: every event it queued was acknowledged by the collector. */
export function queueDrained(page) {
  return poll(async () => (await page.evaluate((p) => localStorage.getItem(`offer-edge:${p}:queue`), PARTNER)) === null, "the event queue drained");
}

/** Clicks a control (`accept` | `decline` | `close`) of an offer inside the placement. */
export function click(page, action, offerId) {
  const sel = offerId ? `[data-action="${action}"][data-offer-id="${offerId}"]` : `[data-action="${action}"]`;
  return page.locator(`#offers [data-offer-edge-placement] >> ${sel}`).first().click();
}

/** localStorage, sessionStorage, IndexedDB and Cache API contents of the page's origin, as one string. */
export function storageDump(page) {
  return page.evaluate(async () => {
    const parts = [];
    for (const area of [localStorage, sessionStorage]) {
      for (let i = 0; i < area.length; i++) parts.push(area.key(i), area.getItem(area.key(i)));
    }
    if (indexedDB.databases) {
      for (const { name } of await indexedDB.databases()) {
        parts.push(`idb:${name}`);
        const db = await new Promise((res, rej) => {
          const r = indexedDB.open(name);
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        for (const store of db.objectStoreNames) {
          const all = await new Promise((res) => {
            const r = db.transaction(store).objectStore(store).getAll();
            r.onsuccess = () => res(r.result);
          });
          parts.push(JSON.stringify(all));
        }
        db.close();
      }
    }
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) parts.push(req.url, await (await cache.match(req)).text());
    }
    return parts.join("\n");
  });
}
