// The preview loads a signed demo bundle from the edge and shows who signed
// it; a tampered, an expired or an unsigned bundle is refused with its exact
// code and explanation, and nothing is rendered (a draft only behind an
// explicit "not verified" banner).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { PARTNER, assertNoProblems, openPreview, seed, settled, startServer } from "./harness.js";

test("a signed demo bundle loads from the edge, verifies and renders", async (t) => {
  const s = seed();
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  await page.waitForSelector("#verify[data-state='verified']");
  const text = await page.locator("#verify").innerText();
  assert.match(text, new RegExp(`Partner\\s+${PARTNER}`));
  assert.match(text, /Version\s+1/);
  assert.equal(await page.locator("#verify [data-field='signers']").innerText(), `${PARTNER}-1, ${PARTNER}-2`);
  assert.match(text, /Issued\s+2026-05-25 00:00:00 UTC \(7 d 15 h ago\)/);
  assert.match(text, /Expires\s+2099-01-01 00:00:00 UTC \(in \d+ d/);
  assert.match(text, /checked at 2026-06-01 15:00:00 UTC/);
  assert.match(text, new RegExp(`${s.bundle.offers.length} offers`));
  await settled(page);
  // Every offer gets a row per placement it can be in (all, here: both placements).
  assert.equal(await page.locator("#explain-rows tr").count(), s.bundle.offers.length * 2);
  assert.equal(await page.locator("#draft-banner").isHidden(), true);
  assertNoProblems(problems);
});

test("a tampered bundle is refused with DIGEST_MISMATCH and nothing renders", async (t) => {
  const s = seed();
  const { url } = await startServer(t, { files: { "tampered.json": s.tampered } });
  const { page, problems } = await openPreview(t, url, { query: "?autoload=0" });
  await page.click("#trust-demo");
  await page.waitForFunction(() => document.getElementById("trust-json").value.includes("demo-outfitters"));
  await page.fill("#bundle-url", "/__test__/tampered.json");
  await page.click("#load-url");
  await page.waitForSelector("#verify[data-state='refused']");
  assert.equal(await page.locator("#verify .error-code").innerText(), "DIGEST_MISMATCH");
  assert.match(await page.locator("#verify .meaning").innerText(), /altered after signing/);
  assert.equal(await page.locator("#placements iframe").count(), 0);
  assert.equal(await page.locator("#placements").isHidden(), true);
  assert.equal(await page.locator("#explain-table").isHidden(), true);
  assert.equal(await page.locator("body").getAttribute("data-bundle"), "none");

  // The good bundle from the edge is accepted afterwards (each load stands alone).
  await page.click("#load-edge");
  await page.waitForSelector("#verify[data-state='verified']");
  await settled(page);
  assertNoProblems(problems);
});

test("an expired bundle says how long ago it expired; a draft previews only behind the banner", async (t) => {
  const s = seed();
  const { url } = await startServer(t, { files: { "expired.json": s.expired, "draft.json": s.draft } });
  // Checked at the real time (the expired bundle is dated from it).
  const { page, problems } = await openPreview(t, url, { query: "?autoload=0", now: null });
  await page.click("#trust-demo");
  await page.waitForFunction(() => document.getElementById("trust-json").value.includes("demo-outfitters"));

  await page.fill("#bundle-url", "/__test__/expired.json");
  await page.click("#load-url");
  await page.waitForSelector("#verify[data-code='BUNDLE_EXPIRED']");
  assert.match(await page.locator("#verify .code-line").innerText(), /^BUNDLE_EXPIRED: expired 3 h( \d+ min)? ago \(expiresAt /);
  assert.equal(await page.locator("#placements iframe").count(), 0);

  // An unsigned bundle document: refused as such, previewable as a draft on request.
  await page.fill("#bundle-url", "/__test__/draft.json");
  await page.click("#load-url");
  await page.waitForSelector("#verify[data-code='DRAFT_NOT_SIGNED']");
  assert.equal(await page.locator("#placements iframe").count(), 0);
  await page.click("#preview-draft");
  await page.waitForSelector("#verify[data-state='draft']");
  assert.equal(await page.locator("#draft-banner").isVisible(), true);
  assert.match(await page.locator("#draft-banner").innerText(), /DRAFT — NOT VERIFIED/);
  assert.match(await page.locator("#results-status").innerText(), /DRAFT bundle — not verified/);
  await settled(page);
  assertNoProblems(problems);
});

test("bundle and trust from files: the file picker and drag and drop", async (t) => {
  const s = seed();
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url, { query: "?autoload=0" });
  await page.setInputFiles("#trust-file", join(s.dir, "trust.json"));
  await page.waitForFunction(() => document.getElementById("trust-json").value.includes("demo-outfitters"));
  await page.setInputFiles("#bundle-file", join(s.dir, "bundle.signed.json"));
  await page.waitForSelector("#verify[data-state='verified']");
  assert.match(await page.locator("#verify").innerText(), /Verified — file bundle\.signed\.json/);
  await settled(page);

  // Dropping the tampered bytes replaces it with nothing.
  await page.evaluate((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], "tampered.signed.json", { type: "application/json" }));
    document.getElementById("drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, [...s.tampered]);
  await page.waitForSelector("#verify[data-code='DIGEST_MISMATCH']");
  assert.match(await page.locator("#verify").innerText(), /Refused — file tampered\.signed\.json/);
  assert.equal(await page.locator("#placements iframe").count(), 0);
  assertNoProblems(problems);
});
