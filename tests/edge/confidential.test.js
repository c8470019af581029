// Confidential audiences in real workerd, attacker first: anyone may fetch
// the public bundle, and what they get (the page bundle) holds neither the
// advertiser's suppression list nor its salt, while the edge, deciding with
// the full bundle, still suppresses a listed shopper. The edge serves pages
// only the page bundle of the version it decides with: never the full
// bundle, never a page bundle of another version or a full one in its slot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, answer, keepOffers, oe, seed, startEdge, uploadBundle } from "./harness.js";
import { seedPartner } from "../../scripts/lib/edge.mjs";

const PARTNER = "umbrella";
const LIST = "existing-subscribers";
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
/** On the demo's confidential suppression list, and on no list. */
const LISTED = sha256("grace@example.com");
const UNLISTED = sha256("nobody@example.com");
const CONTEXT = { firstname: "Sam", state: "CA", country: "US", amount: "80.00", currency: "USD" };

let seeded;
/**
 * A partner whose bundle has two always-eligible offers: one excluding the
 * demo's confidential suppression list, one naming no audience. Both
 * audiences stay in the bundle (the licensed cohort is not confidential).
 */
function umbrella() {
  seeded ??= seedPartner(seed().dir, PARTNER, { seed: 6, transform: (b) => {
    const gated = b.offers.find((o) => o.audiences.exclude.includes(LIST));
    const plain = b.offers.find((o) => !o.audiences.include.length && !o.audiences.exclude.length);
    return keepOffers(b, [gated, plain]);
  } });
  const source = JSON.parse(readFileSync(seeded.bundlePath(1), "utf8"));
  const list = source.audiences.find((a) => a.id === LIST);
  const [gated, plain] = source.offers.map((o) => o.id);
  return { ...seeded, list, gated, plain };
}

async function edgeFor(t, options = {}) {
  const u = umbrella();
  return startEdge(t, { partners: { [PARTNER]: { trust: u.trust, origins: [] } }, upload: false, ...options });
}

async function served(edge) {
  const res = await edge.fetch(`/v1/bundles/${PARTNER}`);
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

async function shown(edge, emailsha256) {
  const res = await answer(await edge.post("/v1/decide", { partner: PARTNER, placement: "confirmation", attributes: { ...CONTEXT, emailsha256 } }));
  assert.equal(res.status, 200, res.text);
  return res.body.placements.flatMap((p) => p.offers.map((o) => o.offerId));
}

const status = async (edge) => (await answer(await edge.fetch("/v1/status", { headers: admin }))).body.partners[PARTNER];
const text = (bytes) => Buffer.from(bytes).toString("utf8");

test("the public bundle is the page bundle: no filter, no salt, the same answer for every email; the edge still applies the list", async (t) => {
  const u = umbrella();
  assert.ok(u.list.confidential && u.page, "the demo's suppression list is confidential, so sign wrote a page bundle");
  const edge = await edgeFor(t);
  await uploadBundle(edge.mf, PARTNER, u.signed, u.page);

  const res = await served(edge);
  assert.equal(res.status, 200);
  assert.deepEqual(res.bytes, u.page, "the page bundle, byte for byte");
  assert.equal(res.headers.get("x-bundle-edition"), "page");
  assert.equal(res.headers.get("etag"), `"${sha256(res.bytes)}"`);
  const body = text(res.bytes);
  assert.ok(text(u.signed).includes(u.list.salt) && text(u.signed).includes(u.list.filter), "the full bundle has them");
  assert.ok(!body.includes(u.list.salt), "no salt in the public bundle");
  assert.ok(!body.includes(u.list.filter.slice(200, 240)), "no part of the filter in the public bundle");

  // What a page can do with it: the gated offer is edge-only, whoever asks.
  const page = new oe.Engine(u.trust);
  page.load(res.bytes, Date.now());
  const info = page.info();
  assert.equal(info.edition, "page");
  assert.deepEqual(info.edgeOnly, [{ offerId: u.gated, audience: LIST }]);
  const eligible = (emailsha256) => page.eligibleOffers({ ...CONTEXT, emailsha256 }, null, Date.now());
  assert.deepEqual(eligible(LISTED), eligible(UNLISTED));
  assert.deepEqual(eligible(LISTED), [u.plain]);
  page.free();

  // The edge decides with the full bundle: the listed shopper is suppressed.
  assert.deepEqual(await shown(edge, LISTED), [u.plain]);
  assert.deepEqual((await shown(edge, UNLISTED)).sort(), [u.gated, u.plain].sort());
  const st = await status(edge);
  assert.deepEqual([st.edition, st.served, st.confidentialAudiences, st.page.version], ["full", "page", [LIST], 1]);
});

test("never the full bundle, never a stale or foreign page bundle; the pair survives a restart", async (t) => {
  const u = umbrella();
  const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-confidential-"));
  t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
  const v2 = u.sign(2);
  const page2 = u.pageOf(2);
  const kv = async (edge) => edge.mf.getKVNamespace("BUNDLES");

  const first = await edgeFor(t, { persistRoot });
  // The full bundle alone: decided with, never served.
  await uploadBundle(first.mf, PARTNER, u.signed);
  let res = await served(first);
  assert.equal(res.status, 404);
  assert.equal(JSON.parse(text(res.bytes)).error.code, "NO_PAGE_BUNDLE");
  assert.deepEqual(await shown(first, LISTED), [u.plain], "the edge decides all the same");

  // A page bundle of another version, or the full bundle in the page slot: refused, nothing served.
  for (const [what, bytes] of [["v2's page bundle", page2], ["the full bundle", u.signed]]) {
    await (await kv(first)).put(`page-bundle:${PARTNER}`, bytes);
    res = await served(first);
    assert.equal(res.status, 404, what);
    assert.equal((await status(first)).pageError.code, "PAGE_BUNDLE_MISMATCH", what);
  }
  await (await kv(first)).put(`page-bundle:${PARTNER}`, u.page);
  assert.deepEqual((await served(first)).bytes, u.page);

  // v2 arrives without its page bundle: v1's is no page bundle of v2.
  await uploadBundle(first.mf, PARTNER, v2);
  res = await served(first);
  assert.equal(res.status, 404);
  assert.equal((await status(first)).version, 2);
  await uploadBundle(first.mf, PARTNER, v2, page2);
  res = await served(first);
  assert.deepEqual([res.status, res.headers.get("x-bundle-version")], [200, "2"]);
  assert.deepEqual(res.bytes, page2);
  await first.dispose();

  // A fresh isolate with a stale page upload in KV serves the last good pair.
  const second = await edgeFor(t, { persistRoot });
  await (await kv(second)).put(`page-bundle:${PARTNER}`, u.page);
  res = await served(second);
  assert.deepEqual([res.status, res.headers.get("x-bundle-edition")], [200, "page"]);
  assert.deepEqual(res.bytes, page2);
  assert.deepEqual(await shown(second, LISTED), [u.plain]);
});
