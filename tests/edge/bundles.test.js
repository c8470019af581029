// GET /v1/bundles/:partner in real workerd: only bytes that verified with
// the partner's pinned trust are served; a tampered, rolled-back or foreign
// upload leaves the last good bundle served, also after a restart; the
// stored rollback floor is authenticated and applied before anything is
// served (a forged floor, a stale last-good copy, a half-done write).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, answer, seed, startEdge, uploadBundle } from "./harness.js";

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The signed bytes (format v2) with one letter of the bundle changed (its digest no longer matches). */
function tamper(bytes) {
  const text = Buffer.from(bytes).toString("utf8");
  const i = text.indexOf('"partner"', text.indexOf(',"bundle":')) + 2;
  assert.ok(i > 2, "a v2 file with a bundle partner");
  return new TextEncoder().encode(text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1));
}

async function served(edge, partner = "acme") {
  const res = await edge.fetch(`/v1/bundles/${partner}`);
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

test("the verified bundle is served with ETag, Cache-Control and version; If-None-Match gives 304", async (t) => {
  const s = seed();
  const edge = await startEdge(t);
  const res = await served(edge);
  assert.equal(res.status, 200);
  assert.deepEqual(res.bytes, s.acme.signed);
  assert.equal(res.headers.get("etag"), `"${sha(s.acme.signed)}"`);
  assert.match(res.headers.get("cache-control"), /max-age=\d+/);
  assert.equal(res.headers.get("x-bundle-version"), "1");
  assert.match(res.headers.get("content-type"), /application\/json/);
  const again = await edge.fetch("/v1/bundles/acme", { headers: { "if-none-match": res.headers.get("etag") } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get("etag"), res.headers.get("etag"));
});

test("unknown partner → 404 UNKNOWN_PARTNER; a partner with nothing uploaded → 404 NO_BUNDLE", async (t) => {
  const edge = await startEdge(t, { upload: false });
  const unknown = await answer(await edge.fetch("/v1/bundles/initech"));
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, "UNKNOWN_PARTNER"]);
  const none = await answer(await edge.fetch("/v1/bundles/acme"));
  assert.deepEqual([none.status, none.body.error.code], [404, "NO_BUNDLE"]);
});

test("a tampered upload, a rollback and another partner's bundle never replace the served bundle, even after a restart", async (t) => {
  const s = seed();
  const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-state-"));
  t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
  const v2 = s.acme.sign(2);

  const first = await startEdge(t, { persistRoot, upload: false });
  await uploadBundle(first.mf, "acme", s.acme.signed);
  assert.equal((await served(first)).headers.get("x-bundle-version"), "1");
  // A new version whose bundle bytes changed after signing. (The same
  // version tampered would be a no-op: format v2 checks the signed
  // manifest's version before it reads the bundle.)
  await uploadBundle(first.mf, "acme", tamper(v2));
  let res = await served(first);
  assert.equal(res.status, 200);
  assert.deepEqual(res.bytes, s.acme.signed, "still the last good bytes");
  const status = (await answer(await first.fetch("/v1/status", { headers: admin }))).body.partners.acme;
  assert.equal(status.version, 1);
  assert.equal(status.lastError.code, "DIGEST_MISMATCH");
  await first.dispose();

  // A fresh isolate (restart) with the tampered upload still in KV.
  const second = await startEdge(t, { persistRoot, upload: false });
  res = await served(second);
  assert.equal(res.status, 200, "served from the last good copy after a restart");
  assert.deepEqual(res.bytes, s.acme.signed);

  await uploadBundle(second.mf, "acme", v2);
  res = await served(second);
  assert.equal(res.headers.get("x-bundle-version"), "2");
  assert.deepEqual(res.bytes, v2);

  await uploadBundle(second.mf, "acme", s.acme.signed); // rollback to v1
  res = await served(second);
  assert.equal(res.headers.get("x-bundle-version"), "2");
  assert.equal((await answer(await second.fetch("/v1/status", { headers: admin }))).body.partners.acme.lastError.code, "VERSION_ROLLBACK");

  await uploadBundle(second.mf, "acme", s.globex.signed); // another partner's genuine bundle
  res = await served(second);
  assert.deepEqual(res.bytes, v2);
  assert.deepEqual((await served(second, "globex")).status, 404, "globex has no upload of its own");
});

test("the singular /v1/bundle/:partner is an alias; the trust route exists only when the demo exposes it", async (t) => {
  const s = seed();
  const edge = await startEdge(t);
  assert.deepEqual((await served(edge, "acme")).bytes, s.acme.signed);
  const alias = await edge.fetch("/v1/bundle/acme");
  assert.deepEqual(new Uint8Array(await alias.arrayBuffer()), s.acme.signed);
  assert.equal((await edge.fetch("/v1/trust/acme")).status, 404);
  const demo = await startEdge(t, { vars: { EXPOSE_TRUST: "1" } });
  const trust = await answer(await demo.fetch("/v1/trust/acme"));
  assert.deepEqual(trust.body, s.acme.trust);
  assert.equal((await answer(await demo.fetch("/v1/trust/initech"))).body.error.code, "UNKNOWN_PARTNER");
});

/** An edge on `persistRoot` that has accepted `versions` in order (so KV holds its MACed state and good copy). */
async function accepted(t, persistRoot, ...versions) {
  const edge = await startEdge(t, { persistRoot, upload: false });
  for (const bytes of versions) {
    await uploadBundle(edge.mf, "acme", bytes);
    assert.equal((await served(edge)).status, 200);
  }
  return edge;
}

const statusOf = async (edge) => (await answer(await edge.fetch("/v1/status", { headers: admin }))).body.partners.acme;

test("a forged rollback floor is refused: it neither freezes the partner nor lets an old copy be served", async (t) => {
  const s = seed();
  const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-floor-"));
  t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
  const v2 = s.acme.sign(2);
  const first = await accepted(t, persistRoot, s.acme.signed, v2);
  const kv = await first.mf.getKVNamespace("BUNDLES");
  // Whoever can write KV sets the floor to 2^53 - 1 and puts v1 back as the last good copy.
  const state = JSON.parse(await kv.get("state:acme"));
  await kv.put("state:acme", JSON.stringify({ ...state, lastVersion: Number.MAX_SAFE_INTEGER }));
  await kv.put("good:acme", s.acme.signed);
  await kv.delete("bundle:acme");
  await first.dispose();

  const second = await startEdge(t, { persistRoot, upload: false });
  const res = await answer(await second.fetch("/v1/bundles/acme"));
  assert.deepEqual([res.status, res.body.error.code], [404, "NO_BUNDLE"], "nothing stored is trusted: v1 is not served");
  assert.equal((await statusOf(second)).lastError.code, "STATE_INVALID");
  // The next genuine upload is accepted: the forged floor froze nothing.
  const v3 = s.acme.sign(3);
  await uploadBundle(second.mf, "acme", v3);
  const after = await served(second);
  assert.equal(after.headers.get("x-bundle-version"), "3");
  assert.deepEqual(after.bytes, v3);
});

test("a stale last-good copy under a higher floor (or a half-done write) is refused and reported; the upload takes over", async (t) => {
  const s = seed();
  const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-stale-"));
  t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
  const v2 = s.acme.sign(2);
  const first = await accepted(t, persistRoot, s.acme.signed, v2);
  const kv = await first.mf.getKVNamespace("BUNDLES");
  // The state says v2; good: holds v1 (a stale copy, or the state write landed and the good write did not).
  await kv.put("good:acme", s.acme.signed);
  await kv.delete("bundle:acme");
  await first.dispose();

  const second = await startEdge(t, { persistRoot, upload: false });
  assert.equal((await served(second)).status, 404, "v1 is never served under the v2 floor");
  assert.equal((await statusOf(second)).lastError.code, "STALE_GOOD");
  // Replaying v1 as an upload is a rollback: the floor held even though the copy was refused.
  await uploadBundle(second.mf, "acme", s.acme.signed);
  assert.equal((await served(second)).status, 404);
  assert.equal((await statusOf(second)).lastError.code, "VERSION_ROLLBACK");
  await uploadBundle(second.mf, "acme", v2);
  const res = await served(second);
  assert.equal(res.headers.get("x-bundle-version"), "2");
  // And the pair is consistent again for the next cold isolate.
  await second.dispose();
  const third = await startEdge(t, { persistRoot, upload: false });
  await (await third.mf.getKVNamespace("BUNDLES")).delete("bundle:acme");
  assert.deepEqual((await served(third)).bytes, v2);
});

test("GET /v1/status is for operators only", async (t) => {
  const edge = await startEdge(t);
  await served(edge);
  for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789" }, { authorization: "Basic x" }]) {
    const res = await answer(await edge.fetch("/v1/status", { headers }));
    assert.deepEqual([res.status, res.body.error.code], [401, "ADMIN_REQUIRED"]);
    assert.ok(!res.text.includes("acme"), "nothing about partners leaks");
  }
  const ok = await answer(await edge.fetch("/v1/status", { headers: admin }));
  assert.equal(ok.status, 200);
  assert.equal(ok.body.partners.acme.version, 1);
});

test("a bundle that expires after it was loaded stops deciding: 503 BUNDLE_EXPIRED, past the trust config's grace", async (t) => {
  const s = seed();
  const soon = (ms) => new Date(Date.now() + ms).toISOString();
  const shortLived = s.acme.sign(7, { issuedAt: new Date(Date.now() - 60_000).toISOString(), expiresAt: soon(1500) });
  const edge = await startEdge(t, { upload: false });
  await uploadBundle(edge.mf, "acme", shortLived);
  const decide = async () => answer(await edge.post("/v1/decide", { partner: "acme", attributes: { state: "NY" } }));
  assert.equal((await decide()).status, 200, "decides while the bundle is valid");
  await new Promise((r) => setTimeout(r, 1700));
  const expired = await decide();
  assert.deepEqual([expired.status, expired.body.error.code], [503, "BUNDLE_EXPIRED"]);
  assert.equal((await served(edge)).status, 404, "nor is it served");
});
