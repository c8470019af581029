// Harness of the preview's browser tests: a demo partner seeded with the CLI
// (real keys, a real signed demo bundle, tampered and expired copies), the
// real local edge serving the page with the site's strict CSP, and headless
// Chromium (playwright-core) with every console error, page error and failed
// request recorded. What the edge, browser and preview suites share is in
// tests/harness/.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { uploadBundle } from "../../scripts/lib/edge.mjs";
import { cliWorkspace } from "../harness/bundles.js";
import { openProfile, recordProblems } from "../harness/chromium.js";
import { copyOfWww, startServingEdge } from "../harness/edge.js";
import { root } from "../harness/util.js";

export { ARTIFACTS, root } from "../harness/util.js";
export const PARTNER = "demo-outfitters";
export const ISSUED_AT = "2026-05-25T00:00:00Z";
export const EXPIRES_AT = "2099-01-01T00:00:00Z";
/** The simulated "now" of the tests (?now=): 15:00 UTC, 10:00 in the bundle's UTC-5. */
export const FIXED_NOW = "2026-06-01T15:00:00Z";

let seeded;
/**
 * The demo partner: two signing keys (threshold 2), trust, the demo bundle
 * (60 offers) signed (`signed`, the edge's full bundle, and `pageBundle`,
 * what the edge serves pages: its confidential suppression list withheld),
 * a tampered copy (one headline changed after signing), and the bundle JSON
 * for the tests to find offers by their rules.
 */
export function seed() {
  if (seeded) return seeded;
  const { dir, keys, run, keygen, trust: pinTrust } = cliWorkspace("offer-edge-preview-");
  keygen(`${PARTNER}-1`);
  keygen(`${PARTNER}-2`);
  const trust = pinTrust(PARTNER, [`${PARTNER}-1`, `${PARTNER}-2`], { threshold: 2 });
  const bundlePath = join(dir, "bundle.json");
  // Fixed times: the same bundle bytes every run, decided at FIXED_NOW (rules and the model read the local hour).
  run("demo-bundle", "--partner", PARTNER, "--offers", "60", "--seed", "1", "--issued-at", ISSUED_AT, "--expires-at", EXPIRES_AT, "-o", bundlePath);
  // The demo bundle's images are same-origin (/img/<vertical>.svg from www/img/).
  const bundle = JSON.parse(readFileSync(bundlePath, "utf8"));
  run("sign", "--key", join(keys, `${PARTNER}-1.key`), "--key", join(keys, `${PARTNER}-2.key`), bundlePath, "-o", join(dir, "bundle.signed.json"));
  const signed = readFileSync(join(dir, "bundle.signed.json"));
  // The demo's suppression list is confidential: sign wrote the page bundle
  // (no filter, no salt for it) next to the edge's, and the edge serves it.
  const pageBundle = readFileSync(join(dir, "bundle.signed.page.json"));
  // Format v2: {"manifest":<signed envelope>,"bundle":<the bundle bytes, verbatim>}.
  const { manifest, bundle: payload } = JSON.parse(signed.toString("utf8"));
  payload.offers[0].creative.fields.headline = "Tampered after signing"; // one field, everything else as signed
  const tampered = Buffer.from(`{"manifest":${JSON.stringify(manifest)},"bundle":${JSON.stringify(payload)}}`);
  // Expired 3 hours ago (issued 7 days before that), properly signed.
  const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const expiredPath = join(dir, "expired.json");
  run("demo-bundle", "--partner", PARTNER, "--offers", "5", "--seed", "2", "--issued-at", iso(Date.now() - 7 * 86_400_000 - 3 * 3_600_000),
    "--expires-at", iso(Date.now() - 3 * 3_600_000), "-o", expiredPath);
  run("sign", "--key", join(keys, `${PARTNER}-1.key`), "--key", join(keys, `${PARTNER}-2.key`), expiredPath, "-o", join(dir, "expired.signed.json"));
  const expired = readFileSync(join(dir, "expired.signed.json"));
  seeded = { dir, trust, signed, pageBundle, tampered, expired, draft: readFileSync(bundlePath), bundle };
  return seeded;
}

/** The page config as the demo seeding writes it (www/demo-config.json). */
export function pageConfig(s = seed()) {
  return { partnerId: PARTNER, bundleUrl: `/v1/bundles/${PARTNER}`, collectorUrl: "/v1/events",
    trustedKeys: { keys: s.trust.keys, threshold: s.trust.threshold } };
}

/**
 * The real local edge (worker.js in workerd via miniflare, scripts/lib/edge.mjs)
 * serving a copy of www/ as its static assets (with www/_headers: the site's
 * CSP and Trusted Types), the signed demo bundle and its page bundle uploaded, and `files` under
 * /__test__/. Returns {url}.
 */
export async function startServer(t, { files = {} } = {}) {
  const s = seed();
  const { mf, url, close } = await startServingEdge({ assets: assetsDir(files), partners: { [PARTNER]: { trust: s.trust, origins: [] } } });
  t.after(close);
  await uploadBundle(mf, PARTNER, new Uint8Array(s.signed), new Uint8Array(s.pageBundle));
  return { url };
}

/** A copy of www/ (with pkg/, /demo-config.json and the test files) for the edge to serve. */
function assetsDir(files) {
  const dir = copyOfWww("offer-edge-preview-assets-");
  if (!existsSync(join(dir, "pkg"))) {
    mkdirSync(join(dir, "pkg"));
    for (const f of ["browser.js", "offer_edge.js", "offer_edge_bg.wasm"]) cpSync(join(root, "pkg", f), join(dir, "pkg", f));
    cpSync(join(root, "pkg", "snippets"), join(dir, "pkg", "snippets"), { recursive: true });
  }
  mkdirSync(join(dir, "__test__"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, "__test__", name), bytes);
  writeFileSync(join(dir, "demo-config.json"), JSON.stringify(pageConfig()));
  return dir;
}

/** A fresh Chromium profile per test; `problems` collects console errors, page errors and failed requests. */
export async function openPreview(t, baseUrl, { viewport = { width: 1280, height: 900 }, query = "", now = FIXED_NOW } = {}) {
  const { context, close } = await openProfile({ viewport, timezoneId: "UTC", locale: "en-US" });
  t.after(close);
  const page = await context.newPage();
  const problems = recordProblems(page);
  const params = new URLSearchParams(query);
  if (now) params.set("now", now);
  await page.goto(`${baseUrl}/preview.html?${params}`);
  await page.waitForSelector("body[data-ready='true']", { timeout: 60_000 });
  return { page, problems };
}

/**
 * Waits until the page shows the decision for its current inputs (no
 * re-decision is due: `data-pending` unset) in every placement frame; returns
 * the decision's render token.
 */
export async function settled(page) {
  return page.waitForFunction(() => {
    const id = document.body.dataset.decision;
    const frames = [...document.querySelectorAll("#placements iframe")];
    return !document.body.dataset.pending && id && frames.length > 0 && frames.every((f) => f.dataset.decision === id) ? id : false;
  }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
}

/**
 * One read of the page: whether it is settled (as `settled`) and the table
 * row of `offerId` in `placement` ({verdict, kind, message, detail} or null).
 */
function snapshot(page, offerId, placement) {
  return page.evaluate(([o, p]) => {
    const id = document.body.dataset.decision;
    const frames = [...document.querySelectorAll("#placements iframe")];
    const ready = Boolean(!document.body.dataset.pending && id && frames.length > 0 && frames.every((f) => f.dataset.decision === id));
    const tr = [...document.querySelectorAll("#explain-rows tr")].find((r) => r.dataset.offer === o && r.dataset.placement === p);
    return { ready, row: tr ? { verdict: tr.dataset.verdict, kind: tr.dataset.kind, message: tr.querySelector(".message").textContent,
      detail: tr.querySelector(".detail")?.textContent ?? "" } : null };
  }, [offerId, placement]);
}

/** The table row of `offerId` in `placement`: {verdict, kind, message, detail}, or null. */
export async function row(page, offerId, placement) {
  return (await snapshot(page, offerId, placement)).row;
}

/**
 * Waits until the page is settled and the table row of `offerId` in
 * `placement` satisfies `ok(row)` — the state an assertion needs, never just
 * "the decision changed" (one edit of several, or a re-decision already due,
 * changes it too). Returns the row.
 */
export async function waitForRow(page, offerId, placement, ok, what, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const last = await snapshot(page, offerId, placement);
    if (last.ready && last.row && ok(last.row)) return last.row;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Offer ids shown in `placement` at `width` ("mobile" | "desktop"), read from inside the frame's shadow root. */
export async function shownIn(page, placement, width) {
  const frame = page.frameLocator(`#placements iframe[data-placement="${placement}"][data-width="${width}"]`);
  return frame.locator(".oe-offer").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-offer-id")));
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, []);
}
