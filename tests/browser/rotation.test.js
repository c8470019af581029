// Key rotation in the page, in real Chromium against the real edge: a page
// that pins the OLD keys follows a rotation by applying the edge's keyset
// chain from its pinned keys, decides with a bundle of the new keys, and
// again after a reload without fetching the chain (kept next to the bundle);
// a forged chain (not derivable from the pinned keys) is refused and the page
// keeps deciding with its kept bundle; a tampered kept chain is ignored.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE_PATH, closeBrowser, newContext, openDemo, PARTNER, poll, seed, shownOffers, startBackend } from "./harness.js";

after(closeBrowser);

const KEYSETS_PATH = `/v1/keysets/${PARTNER}`;
const path = (r) => new URL(r.url).pathname;
const since = (record, from) => record.requests.slice(from).map(path);
const stored = (page, name) => page.evaluate((key) => localStorage.getItem(key), `offer-edge:${PARTNER}:${name}`);
const keptVersion = async (page) => JSON.parse((await stored(page, "kept")) ?? "null")?.version;

let made;
/** The rotation acme-1 → acme-2 (`keyset`), a bundle of acme-2 (`v2`), and a chain forged by keys the page never pinned (`forged`). */
function rotation() {
  if (made) return made;
  const s = seed();
  const dir = mkdtempSync(join(tmpdir(), "offer-edge-www-rotation-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  for (const id of [`${PARTNER}-2`, "mallory-1", "mallory-2"]) s.run("keygen", "--out-dir", dir, "--keyid", id);
  const out = (name) => join(dir, name);
  s.run("rotate", "--trust", join(s.dir, "trust.json"), "--current", join(s.keys, `${PARTNER}-1.key`),
    "--new", out(`${PARTNER}-2.key`), "-o", out("keyset.json"));
  // Mallory's own "trust" for acme, and a rotation from it: valid signatures, keys the page never pinned.
  writeFileSync(out("mallory-trust.json"), JSON.stringify({ partner: PARTNER, keys: { "mallory-1": JSON.parse(readFileSync(out("mallory-1.pub"), "utf8")).publicKey }, threshold: 1 }));
  s.run("rotate", "--trust", out("mallory-trust.json"), "--current", out("mallory-1.key"), "--new", out("mallory-2.key"), "-o", out("forged.json"));
  made = {
    keyset: readFileSync(out("keyset.json")),
    forged: JSON.parse(readFileSync(out("forged.json"), "utf8")),
    v2: s.sign(2, { key: out(`${PARTNER}-2.key`) }),
  };
  return made;
}

/** A first visit that decides in the page and keeps bundle v1 (acme-1). */
async function visitedOnce(t) {
  const edge = await startBackend(t);
  const ctx = await newContext(t);
  const page = await ctx.newPage();
  await openDemo(page, edge.url, "?decideAt=page");
  assert.ok((await shownOffers(page)).length > 0, "offers decided and shown"); // the link offer's cap may hide it
  await poll(async () => (await keptVersion(page)) === 1, "bundle v1 kept");
  return { edge, page, ...ctx };
}

test("a page pinning the old keys follows a rotation: it decides with a new-key bundle, and after a reload without fetching the chain again", async (t) => {
  const r = rotation();
  const { edge, page, record } = await visitedOnce(t);
  await edge.setKeyset(PARTNER, r.keyset);
  await edge.setBundle(PARTNER, r.v2);

  // The next visit decides from its kept v1 at once; the refresh after the paint sees keyset 1 > 0,
  // fetches the chain, applies it from the pinned keys and loads v2 of the new key.
  let from = record.requests.length;
  await openDemo(page, edge.url, "?decideAt=page");
  assert.ok((await shownOffers(page)).length > 0, "offers decided and shown"); // the link offer's cap may hide it
  await poll(async () => (await keptVersion(page)) === 2, "bundle v2 (acme-2) kept");
  assert.ok(since(record, from).includes(KEYSETS_PATH), "the chain was fetched");
  assert.deepEqual(JSON.parse(await stored(page, "keysets")).map((u) => JSON.parse(u)), [JSON.parse(r.keyset)]);

  // A reload re-applies the kept chain from the pinned keys and decides with v2 in the page:
  // no decide request, no chain request.
  from = record.requests.length;
  await openDemo(page, edge.url, "?decideAt=page");
  assert.ok((await shownOffers(page)).length > 0, "offers decided and shown"); // the link offer's cap may hide it
  await page.waitForTimeout(1000); // the background refresh (304) has run
  const after = since(record, from);
  assert.ok(!after.includes(KEYSETS_PATH), `no chain request after the reload: ${after.join(" ")}`);
  assert.ok(!after.includes("/v1/decide"), "decided in the page");
  assert.equal(await keptVersion(page), 2);
  assert.deepEqual(record.problems, []);
});

test("a forged chain (keys not derivable from the pinned ones) is refused; the page keeps deciding with its kept bundle", async (t) => {
  const r = rotation();
  const { edge, page, context, record } = await visitedOnce(t);
  // Between the edge and the page: the bundle answer claims keyset 5, the chain is mallory's.
  await context.route(`**${BUNDLE_PATH}`, async (route) => {
    try {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), "offer-edge-keyset-version": "5" } });
    } catch {
      // The context closed at the end of the test.
    }
  });
  await context.route(`**${KEYSETS_PATH}`, (route) => route.fulfill({
    status: 200, contentType: "application/json", body: JSON.stringify({ partner: PARTNER, keysetVersion: 5, keysets: [r.forged] }),
  }));
  let from = record.requests.length;
  await openDemo(page, edge.url, "?decideAt=page");
  assert.ok((await shownOffers(page)).length > 0, "offers decided and shown"); // the link offer's cap may hide it
  await poll(() => since(record, from).includes(KEYSETS_PATH), "the forged chain fetched");
  await poll(() => record.warnings.some((w) => w.includes("offer-edge: KEYSET_INVALID")), "the forged chain refused (KEYSET_INVALID)");
  assert.equal(await stored(page, "keysets"), null, "nothing of it kept");
  assert.equal(await keptVersion(page), 1);

  // And the next visit still decides in the page with the kept v1.
  from = record.requests.length;
  await openDemo(page, edge.url, "?decideAt=page");
  assert.ok((await shownOffers(page)).length > 0, "offers decided and shown"); // the link offer's cap may hide it
  assert.ok(!since(record, from).includes("/v1/decide"));
  assert.equal(await keptVersion(page), 1);

  // The host hears it too: a launcher's onError gets the refusal as a warning.
  const heard = await page.evaluate(async () => {
    const { createLauncher } = await import(document.querySelector('script[src*="oe/offer-edge."]').src);
    const config = { ...(await (await fetch("/demo-config.json")).json()), decideAt: "page" };
    const problems = [];
    const launcher = await createLauncher({ ...config, onError: (p) => problems.push({ code: p.code, level: p.level }) });
    const target = document.body.appendChild(document.createElement("div"));
    const selection = await launcher.selectPlacements({ attributes: { firstname: "Ada", state: "NY", country: "US" }, target });
    for (let i = 0; i < 100 && !problems.some((p) => p.code === "KEYSET_INVALID"); i++) await new Promise((r) => setTimeout(r, 50));
    return { shown: selection.offers.length, problems };
  });
  assert.ok(heard.shown > 0, "offers decided with the kept bundle");
  assert.deepEqual(heard.problems.filter((p) => p.code === "KEYSET_INVALID"), [{ code: "KEYSET_INVALID", level: "warning" }]);
  assert.deepEqual(record.problems, []);
});

test("a tampered kept chain is ignored: the page starts from its pinned keys and fetches the genuine chain", async (t) => {
  const r = rotation();
  const { edge, page, record } = await visitedOnce(t);
  await edge.setKeyset(PARTNER, r.keyset);
  await edge.setBundle(PARTNER, r.v2);
  await openDemo(page, edge.url, "?decideAt=page");
  await poll(async () => (await keptVersion(page)) === 2, "bundle v2 kept");

  // Whoever can write the page's storage swaps the kept chain for mallory's.
  await page.evaluate(([key, forged]) => localStorage.setItem(key, JSON.stringify([JSON.stringify(forged)])), [`offer-edge:${PARTNER}:keysets`, r.forged]);
  const from = record.requests.length;
  await openDemo(page, edge.url, "?decideAt=page");
  assert.ok((await shownOffers(page)).length > 0, "offers decided and shown"); // the link offer's cap may hide it
  await poll(() => record.warnings.some((w) => w.includes("offer-edge: KEYSET_DISCARDED")), "the tampered chain discarded");
  // From the pinned keys, v2 does not verify: the genuine chain is fetched again and v2 loads.
  await poll(() => since(record, from).includes(KEYSETS_PATH), "the genuine chain fetched");
  await poll(async () => JSON.parse((await stored(page, "keysets")) ?? "[]").length === 1
    && JSON.parse(JSON.parse(await stored(page, "keysets"))[0]).signatures.length === 2, "the genuine chain kept");
  assert.deepEqual(JSON.parse(JSON.parse(await stored(page, "keysets"))[0]), JSON.parse(r.keyset));
  assert.equal(await keptVersion(page), 2);
  assert.deepEqual(record.problems, []);
});
