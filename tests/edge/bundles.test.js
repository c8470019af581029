// GET /v1/bundles/:partner in real workerd: only bytes that verified with
// the partner's pinned trust are served; a tampered, rolled-back or foreign
// upload leaves the last good bundle served, also after a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answer, needsEngine, seed, startEdge, uploadBundle } from "./harness.js";

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

test("the verified bundle is served with ETag, Cache-Control and version; If-None-Match gives 304", needsEngine, async (t) => {
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

test("unknown partner → 404 UNKNOWN_PARTNER; a partner with nothing uploaded → 404 NO_BUNDLE", needsEngine, async (t) => {
  const edge = await startEdge(t, { upload: false });
  const unknown = await answer(await edge.fetch("/v1/bundles/initech"));
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, "UNKNOWN_PARTNER"]);
  const none = await answer(await edge.fetch("/v1/bundles/acme"));
  assert.deepEqual([none.status, none.body.error.code], [404, "NO_BUNDLE"]);
});

test("a tampered upload, a rollback and another partner's bundle never replace the served bundle, even after a restart", needsEngine, async (t) => {
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
  const status = (await answer(await first.fetch("/v1/status"))).body.partners.acme;
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
  assert.equal((await answer(await second.fetch("/v1/status"))).body.partners.acme.lastError.code, "VERSION_ROLLBACK");

  await uploadBundle(second.mf, "acme", s.globex.signed); // another partner's genuine bundle
  res = await served(second);
  assert.deepEqual(res.bytes, v2);
  assert.deepEqual((await served(second, "globex")).status, 404, "globex has no upload of its own");
});

test("the singular /v1/bundle/:partner is an alias; the trust route exists only when the demo exposes it", needsEngine, async (t) => {
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
