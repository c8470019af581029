// Key rotation in real workerd: a keyset update (`offer-edge rotate`)
// uploaded to `keyset:<partner>` is applied to the partner's PINNED trust by
// the Engine and kept (MACed) across isolates; bundles of the new keys are
// served and decide, bundles of the retired keys are refused. A refused
// update (old keys only, new keys only, another partner, older, oversized,
// not JSON) changes nothing; a tampered or dropped kept chain freezes the
// partner rather than fall back to the retired keys; another partner is
// never touched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, root } from "../../scripts/lib/edge.mjs";
import { admin, answer, ORIGINS, partnersConfig, seed, startEdge, uploadBundle } from "./harness.js";

const CONTEXT = { firstname: "Ada", state: "NY", country: "US", amount: "120.00" };
const run = (...args) => execFileSync(cli(), args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] }).toString("utf8");

let made;
/**
 * acme's rotations, made with the CLI: keyset 1 (acme-1 → acme-2), keyset 2
 * (acme-2 → acme-3), a fork of version 1 (acme-1 → acme-3), and bundles
 * signed by a given key (`signedBy(version, keyid)`).
 */
function rotations() {
  if (made) return made;
  const s = seed();
  const dir = mkdtempSync(join(tmpdir(), "offer-edge-rotation-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const key = (id) => join(dir, `${id}.key`);
  for (const id of ["acme-2", "acme-3", "mallory-1"]) run("keygen", "--out-dir", dir, "--keyid", id);
  const pinned = join(s.dir, "acme.trust.json");
  const acme1 = join(s.dir, "keys", "acme-1.key");
  const rotate = (out, trust, current, next, ...extra) => {
    run("rotate", "--trust", trust, "--current", current, "--new", next, "-o", join(dir, out), ...extra);
    return readFileSync(join(dir, out));
  };
  const keyset1 = rotate("ks1.json", pinned, acme1, key("acme-2"), "--write-trust", join(dir, "trust1.json"));
  const keyset2 = rotate("ks2.json", join(dir, "trust1.json"), key("acme-2"), key("acme-3"));
  const fork1 = rotate("fork1.json", pinned, acme1, key("acme-3"));
  // A keyset for globex signed by acme's own old and new keys: right keys, wrong partner.
  writeFileSync(join(dir, "as-globex.json"), JSON.stringify({ ...JSON.parse(readFileSync(pinned, "utf8")), partner: "globex" }));
  const otherPartner = rotate("other.json", join(dir, "as-globex.json"), acme1, key("acme-2"));
  const signedBy = (version, keyid) => {
    s.acme.sign(version); // writes the unsigned bundle of that version
    const out = join(dir, `acme.v${version}.${keyid}.signed.json`);
    run("sign", "--minify", "--key", keyid === "acme-1" ? acme1 : key(keyid), s.acme.bundlePath(version), "-o", out);
    return new Uint8Array(readFileSync(out));
  };
  made = { dir, key, keyset1, keyset2, fork1, otherPartner, signedBy };
  return made;
}

/** An update with only the signatures of `keyids`. */
function onlySignedBy(bytes, ...keyids) {
  const env = JSON.parse(Buffer.from(bytes).toString("utf8"));
  env.signatures = env.signatures.filter((s) => keyids.includes(s.keyid));
  return Buffer.from(JSON.stringify(env));
}

const kvOf = (edge) => edge.mf.getKVNamespace("BUNDLES");
async function uploadKeyset(edge, partner, bytes) {
  await (await kvOf(edge)).put(`keyset:${partner}`, bytes);
}
async function served(edge, partner = "acme") {
  const res = await edge.fetch(`/v1/bundles/${partner}`);
  return { status: res.status, version: res.headers.get("x-bundle-version"), keyset: res.headers.get("offer-edge-keyset-version"), body: await res.text() };
}
const status = async (edge, partner = "acme") => (await answer(await edge.fetch("/v1/status", { headers: admin }))).body.partners[partner];
const keysets = async (edge, partner = "acme") => answer(await edge.fetch(`/v1/keysets/${partner}`));
const decide = async (edge) => answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT }));

test("a rotation moves acme to the new keys: a new-key bundle serves and decides, an old-key one is refused", async (t) => {
  const r = rotations();
  const edge = await startEdge(t);
  assert.deepEqual(await served(edge).then((x) => [x.status, x.version, x.keyset]), [200, "1", "0"]);
  assert.deepEqual((await keysets(edge)).body, { partner: "acme", keysetVersion: 0, keysets: [] });
  const unknown = await keysets(edge, "initech");
  assert.deepEqual([unknown.status, unknown.body.error.code], [404, "UNKNOWN_PARTNER"]);
  const posted = await answer(await edge.post("/v1/keysets/acme", JSON.parse(r.keyset1)));
  assert.deepEqual([posted.status, posted.body.error.code], [405, "METHOD_NOT_ALLOWED"], "the chain changes only through KV uploads");

  // The update alone: the old keys are retired at once, so v1 (acme-1) is no longer served.
  await uploadKeyset(edge, "acme", r.keyset1);
  const retired = await answer(await edge.fetch("/v1/bundles/acme"));
  assert.deepEqual([retired.status, retired.body.error.code], [404, "NO_BUNDLE"]);
  assert.equal((await status(edge)).lastError.code, "UNKNOWN_KEY");
  assert.equal((await status(edge)).keyset.version, 1);

  const v2 = r.signedBy(2, "acme-2");
  await uploadBundle(edge.mf, "acme", v2);
  const now = await served(edge);
  assert.deepEqual([now.status, now.version, now.keyset], [200, "2", "1"]);
  assert.equal((await decide(edge)).status, 200, "decides with the new-key bundle");

  // The chain pages apply from their pinned keys, cacheable, readable cross-origin.
  const chain = await edge.fetch("/v1/keysets/acme", { headers: { origin: ORIGINS.acme } });
  assert.equal(chain.status, 200);
  assert.match(chain.headers.get("cache-control"), /max-age=\d+/);
  assert.equal(chain.headers.get("access-control-allow-origin"), ORIGINS.acme);
  assert.deepEqual(await chain.json(), { partner: "acme", keysetVersion: 1, keysets: [JSON.parse(r.keyset1)] });
  const bundleCors = await edge.fetch("/v1/bundles/acme", { headers: { origin: ORIGINS.acme } });
  assert.match(bundleCors.headers.get("access-control-expose-headers"), /offer-edge-keyset-version/);
  const again = await edge.fetch("/v1/keysets/acme", { headers: { "if-none-match": chain.headers.get("etag") } });
  assert.equal(again.status, 304);

  // A bundle signed only by the retired key is refused; v2 stays active.
  await uploadBundle(edge.mf, "acme", r.signedBy(3, "acme-1"));
  assert.deepEqual(await served(edge).then((x) => [x.status, x.version]), [200, "2"]);
  assert.equal((await status(edge)).lastError.code, "UNKNOWN_KEY");

  // A second rotation chains on the first (the upload may hold the whole chain).
  await uploadKeyset(edge, "acme", Buffer.from(JSON.stringify([JSON.parse(r.keyset1), JSON.parse(r.keyset2)])));
  await uploadBundle(edge.mf, "acme", r.signedBy(4, "acme-3"));
  assert.deepEqual(await served(edge).then((x) => [x.version, x.keyset]), ["4", "2"]);
  assert.equal((await keysets(edge)).body.keysets.length, 2);
});

test("refused rotations change nothing: old keys only, new keys only, another partner, older, oversized, not JSON", async (t) => {
  const r = rotations();
  const edge = await startEdge(t);
  const cases = [
    ["signed by the old keys only", onlySignedBy(r.keyset1, "acme-1"), "KEYSET_INVALID"],
    ["signed by the new keys only", onlySignedBy(r.keyset1, "acme-2"), "KEYSET_INVALID"],
    ["no signature at all", onlySignedBy(r.keyset1), "ENVELOPE_MALFORMED"],
    ["another partner's keyset", r.otherPartner, "PARTNER_MISMATCH"],
    ["a payload changed after signing", Buffer.from(JSON.stringify({ ...JSON.parse(r.keyset1), payload: Buffer.from('{"partner":"acme","version":9,"threshold":1,"keys":{}}').toString("base64") })), "SIGNATURE_INVALID"],
    ["an update over 64 KiB", Buffer.from(JSON.stringify({ ...JSON.parse(r.keyset1), payloadType: "x".repeat(70_000) })), "BUNDLE_TOO_LARGE"],
    ["an upload over 256 KiB", Buffer.from(JSON.stringify(Array(40).fill({ pad: "x".repeat(8000) }))), "KEYSET_TOO_LARGE"],
    ["not JSON", Buffer.from("not json"), "KEYSET_INVALID"],
    ["a list of 33", Buffer.from(JSON.stringify(Array(33).fill(JSON.parse(r.keyset1)))), "KEYSET_INVALID"],
  ];
  for (const [what, bytes, code] of cases) {
    await uploadKeyset(edge, "acme", bytes);
    const res = await served(edge);
    assert.deepEqual([res.status, res.version, res.keyset], [200, "1", "0"], `${what}: v1 stays served under keyset 0`);
    const st = await status(edge);
    assert.equal(st.keyset.lastError.code, code, what);
    assert.equal(st.keyset.version, 0, what);
  }
  // The trust is still the pinned one: an acme-1 bundle is accepted, an acme-2 one is not.
  await uploadBundle(edge.mf, "acme", r.signedBy(5, "acme-2"));
  assert.equal((await served(edge)).version, "1");
  await uploadBundle(edge.mf, "acme", r.signedBy(6, "acme-1"));
  assert.equal((await served(edge)).version, "6");

  // Older updates after rotating twice: a fork of version 1, and the chain's own first update.
  await uploadKeyset(edge, "acme", Buffer.from(JSON.stringify([JSON.parse(r.keyset1), JSON.parse(r.keyset2)])));
  await uploadBundle(edge.mf, "acme", r.signedBy(7, "acme-3"));
  assert.deepEqual(await served(edge).then((x) => [x.version, x.keyset]), ["7", "2"]);
  for (const [bytes, code] of [[r.fork1, "VERSION_ROLLBACK"], [r.keyset1, "KEYSET_ROLLBACK"]]) {
    await uploadKeyset(edge, "acme", bytes);
    assert.deepEqual(await served(edge).then((x) => [x.status, x.version, x.keyset]), [200, "7", "2"]);
    assert.equal((await status(edge)).keyset.lastError.code, code);
  }
});

/** An edge with persisted state where acme rotated once and serves v2 (acme-2); disposed. */
async function rotatedAndStopped(t, persistRoot) {
  const r = rotations();
  const first = await startEdge(t, { persistRoot });
  await uploadKeyset(first, "acme", r.keyset1);
  await uploadBundle(first.mf, "acme", r.signedBy(2, "acme-2"));
  assert.deepEqual(await served(first).then((x) => [x.version, x.keyset]), ["2", "1"]);
  const kv = await kvOf(first);
  // Nothing left to upload: the next isolate works from what the worker kept.
  for (const key of ["keyset:acme", "bundle:acme"]) await kv.delete(key);
  await first.dispose();
}

test("the rotation persists: a restarted edge re-derives the keys from the pinned ones and the kept chain", async (t) => {
  const r = rotations();
  const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-rotation-state-"));
  t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
  await rotatedAndStopped(t, persistRoot);
  const second = await startEdge(t, { persistRoot, upload: false });
  assert.deepEqual(await served(second).then((x) => [x.status, x.version, x.keyset]), [200, "2", "1"]);
  assert.deepEqual((await keysets(second)).body.keysets, [JSON.parse(r.keyset1)]);
  assert.equal((await decide(second)).status, 200);
  // Still the new keys after the restart: an old-key bundle is refused.
  await uploadBundle(second.mf, "acme", r.signedBy(3, "acme-1"));
  assert.equal((await served(second)).version, "2");
  assert.equal((await status(second)).lastError.code, "UNKNOWN_KEY");
});

test("a tampered or dropped kept chain is refused: nothing is served rather than the retired keys trusted, until the chain is uploaded again", async (t) => {
  const r = rotations();
  const tampers = [
    ["a forged MAC", "KEYSET_STATE_INVALID", (kv, chain) => kv.put("keysets:acme", JSON.stringify({ ...chain, mac: chain.mac.replace(/^./, (c) => (c === "A" ? "B" : "A")) }))],
    ["an attacker's update in the chain", "KEYSET_STATE_INVALID", (kv, chain) => kv.put("keysets:acme", JSON.stringify({ ...chain, chain: [onlySignedBy(r.keyset1, "acme-2").toString()] }))],
    ["the chain dropped", "KEYSET_ROLLBACK", (kv) => kv.delete("keysets:acme")],
    ["the state's keyset version lowered", "STATE_INVALID", async (kv) => {
      const state = JSON.parse(await kv.get("state:acme"));
      delete state.keysetVersion;
      await kv.put("state:acme", JSON.stringify(state));
    }],
    ["not JSON", "KEYSET_STATE_INVALID", (kv) => kv.put("keysets:acme", "{")],
  ];
  for (const [what, code, tamper] of tampers) {
    const persistRoot = mkdtempSync(join(tmpdir(), "offer-edge-rotation-tamper-"));
    t.after(() => rmSync(persistRoot, { recursive: true, force: true }));
    await rotatedAndStopped(t, persistRoot);
    const second = await startEdge(t, { persistRoot, upload: false });
    const kv = await kvOf(second);
    await tamper(kv, JSON.parse(await kv.get("keysets:acme")));
    await second.dispose();

    const third = await startEdge(t, { persistRoot, upload: false });
    const res = await answer(await third.fetch("/v1/bundles/acme"));
    assert.deepEqual([res.status, res.body.error.code], [404, "NO_BUNDLE"], `${what}: nothing stored is served`);
    const st = await status(third);
    assert.equal(code === "STATE_INVALID" ? st.lastError.code : st.keyset.frozen, code, what);
    // The retired key does not come back: an acme-1 bundle is refused.
    await uploadBundle(third.mf, "acme", r.signedBy(8, "acme-1"));
    assert.equal((await served(third)).status, 404, `${what}: an old-key bundle is refused`);
    if (code === "STATE_INVALID") {
      // The kept chain still applies (it verifies on its own): the keys stay rotated.
      assert.equal(st.keyset.version, 1);
      await third.dispose();
      continue;
    }
    assert.equal((await answer(await third.fetch("/v1/keysets/acme"))).status, 503);
    // Uploading the chain again (verified from the pinned keys) restores the partner.
    await uploadKeyset(third, "acme", r.keyset1);
    await uploadBundle(third.mf, "acme", r.signedBy(9, "acme-2"));
    assert.deepEqual(await served(third).then((x) => [x.status, x.version, x.keyset]), [200, "9", "1"], what);
    await third.dispose();
  }
});

test("acme's rotation does not touch globex", async (t) => {
  const r = rotations();
  const s = seed();
  const edge = await startEdge(t);
  await uploadKeyset(edge, "acme", r.keyset1);
  await uploadBundle(edge.mf, "acme", r.signedBy(2, "acme-2"));
  assert.equal((await served(edge)).keyset, "1");
  const globex = await served(edge, "globex");
  assert.deepEqual([globex.status, globex.version, globex.keyset], [200, "1", "0"]);
  assert.deepEqual((await keysets(edge, "globex")).body, { partner: "globex", keysetVersion: 0, keysets: [] });
  // acme's update uploaded for globex is refused there; globex keeps its own key.
  await uploadKeyset(edge, "globex", r.keyset1);
  assert.equal((await served(edge, "globex")).keyset, "0");
  assert.equal((await status(edge, "globex")).keyset.version, 0);
  assert.ok(["KEYSET_INVALID", "PARTNER_MISMATCH"].includes((await status(edge, "globex")).keyset.lastError.code));
  await uploadBundle(edge.mf, "globex", s.globex.sign(2));
  assert.equal((await served(edge, "globex")).version, "2");
});

test("a deployment that pins the rotated trust supersedes the updates it covers", async (t) => {
  const r = rotations();
  const s = seed();
  const rotatedTrust = JSON.parse(readFileSync(join(r.dir, "trust1.json"), "utf8"));
  assert.equal(rotatedTrust.keysetVersion, 1);
  const edge = await startEdge(t, { upload: false, partners: partnersConfig(s, { acme: { trust: rotatedTrust } }) });
  // The old upload of the update is still in KV: skipped, not refused.
  await uploadKeyset(edge, "acme", r.keyset1);
  await uploadBundle(edge.mf, "acme", r.signedBy(2, "acme-2"));
  assert.deepEqual(await served(edge).then((x) => [x.status, x.version, x.keyset]), [200, "2", "1"]);
  const st = await status(edge);
  assert.deepEqual([st.keyset.version, st.keyset.lastError, st.keyset.frozen], [1, null, null]);
  // The next update applies on top of the pin.
  await uploadKeyset(edge, "acme", r.keyset2);
  await uploadBundle(edge.mf, "acme", r.signedBy(3, "acme-3"));
  assert.deepEqual(await served(edge).then((x) => [x.version, x.keyset]), ["3", "2"]);
});

test("scripts/upload-bundle --keyset writes the update before the bundle, and --trust refuses what the rotated keys refuse", async (t) => {
  const r = rotations();
  const s = seed();
  const state = mkdtempSync(join(tmpdir(), "offer-edge-upload-"));
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const write = (name, bytes) => {
    writeFileSync(join(r.dir, name), bytes);
    return join(r.dir, name);
  };
  const upload = (...args) => execFileSync(process.execPath, [join(root, "scripts/upload-bundle"), "acme", ...args, "--state", state],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] }).toString("utf8");
  const trust = join(s.dir, "acme.trust.json");
  const keyset = write("upload-ks1.json", r.keyset1);
  // A bundle of the retired key, checked against the rotated trust: refused, nothing written.
  assert.throws(() => upload(write("old.signed.json", r.signedBy(2, "acme-1")), "--keyset", keyset, "--trust", trust), /UNKNOWN_KEY/);
  const out = upload(write("new.signed.json", r.signedBy(2, "acme-2")), "--keyset", keyset, "--trust", trust);
  assert.ok(out.indexOf("uploaded keyset:acme") < out.indexOf("uploaded bundle:acme"), out);

  const edge = await startEdge(t, { persistRoot: join(state, "data"), upload: false });
  assert.deepEqual(await served(edge).then((x) => [x.status, x.version, x.keyset]), [200, "2", "1"]);
});
