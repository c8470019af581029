// GET /v1/bundles/:partner/compiled in real workerd, attacker first: the
// compiled form (`*.oeb`, what the snippet's page engine loads instead of
// JSON) is served only when the Engine checked it is byte for byte its own
// compile of the bundle pages get. An altered body, another version's or
// partner's form, an unknown signer, a form carrying a confidential list, or
// a correctly re-signed form that says something else than the signed JSON
// is refused, shown in /v1/status, and never replaces the form served —
// also after a restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as page from "../../pkg/page/offer_edge.js";
import { admin, answer, keepOffers, seed, startEdge, uploadBundle } from "./harness.js";
import { cli, root, seedPartner } from "../../scripts/lib/edge.mjs";
import { replaceInBody, resignForm, splitForm, tamperBody } from "../js/form.js";

page.initSync({ module: readFileSync(join(root, "pkg/page/offer_edge_bg.wasm")) });

const CONTENT_TYPE = "application/vnd.offer-edge.compiled";
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const CONTEXT = { firstname: "Sam", state: "CA", country: "US", amount: "80.00", currency: "USD" };

async function compiled(edge, partner = "acme", headers = {}) {
  const res = await edge.fetch(`/v1/bundles/${partner}/compiled`, { headers });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}
const codeOf = (res) => JSON.parse(Buffer.from(res.bytes).toString("utf8")).error.code;
const status = async (edge, partner = "acme") => (await answer(await edge.fetch("/v1/status", { headers: admin }))).body.partners[partner];
const putForm = async (edge, partner, bytes) => (await edge.mf.getKVNamespace("BUNDLES")).put(`page-form:${partner}`, bytes);

/** Runs the CLI (keygen, demo-bundle, sign…) in `dir`. */
const run = (dir, ...args) => execFileSync(cli(), args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });

/** Signs the bundle file `bundlePath` with `keyPath` into `dir`; returns the compiled form `sign` wrote. */
function signForm(dir, bundlePath, keyPath, name) {
  run(dir, "sign", "--key", keyPath, bundlePath, "-o", join(dir, `${name}.json`));
  return new Uint8Array(readFileSync(join(dir, `${name}.oeb`)));
}

function scratch(t) {
  const dir = mkdtempSync(join(tmpdir(), "offer-edge-form-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What a page engine (the page build, as the snippet's worker runs it) decides from `form`: the offers and their actions. */
function pageDecides(trust, form) {
  const engine = new page.Engine(trust);
  try {
    engine.load(form, Date.now());
    const { decision } = engine.decide(CONTEXT, null, Date.now(), { seed: 1 });
    return decision.placements.flatMap((p) => p.offers.map((o) => ({ offerId: o.offerId, action: o.action })));
  } finally {
    engine.free();
  }
}

test("the compiled form is served with its ETag, content type and version, 304 on a match; 404 NO_COMPILED_FORM until one verified", async (t) => {
  const s = seed();
  const edge = await startEdge(t, { upload: false });
  const unknown = await compiled(edge, "initech");
  assert.deepEqual([unknown.status, codeOf(unknown)], [404, "UNKNOWN_PARTNER"]);
  const nothing = await compiled(edge);
  assert.deepEqual([nothing.status, codeOf(nothing)], [404, "NO_BUNDLE"]);

  // The bundle alone (as uploaded before compiled forms existed): decided with, JSON served, no form.
  await uploadBundle(edge.mf, "acme", s.acme.signed);
  const noForm = await compiled(edge);
  assert.deepEqual([noForm.status, codeOf(noForm)], [404, "NO_COMPILED_FORM"]);
  assert.equal((await edge.fetch("/v1/bundles/acme")).status, 200);
  assert.equal((await status(edge)).compiled, null);

  await uploadBundle(edge.mf, "acme", s.acme.signed, null, s.acme.form);
  const res = await compiled(edge);
  assert.equal(res.status, 200);
  assert.deepEqual(res.bytes, s.acme.form, "the form sign wrote, byte for byte");
  assert.equal(res.headers.get("content-type"), CONTENT_TYPE);
  assert.equal(res.headers.get("etag"), `"${sha256(res.bytes)}"`);
  assert.match(res.headers.get("cache-control"), /max-age=\d+/);
  assert.equal(res.headers.get("x-bundle-version"), "1");
  const json = await edge.fetch("/v1/bundles/acme");
  assert.equal(res.headers.get("x-bundle-sha256"), json.headers.get("x-bundle-sha256"), "the form names the bundle the JSON route serves");
  const again = await compiled(edge, "acme", { "if-none-match": res.headers.get("etag") });
  assert.deepEqual([again.status, again.bytes.length, again.headers.get("etag")], [304, 0, res.headers.get("etag")]);
  assert.deepEqual((await status(edge)).compiled, { version: 1, sha256: sha256(s.acme.form) });

  // What a page does with it: the page build loads it and shows what the edge shows.
  const edgeDecision = await answer(await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT }));
  assert.deepEqual(pageDecides(s.acme.trust, res.bytes).map((o) => o.offerId).sort(),
    edgeDecision.body.placements.flatMap((p) => p.offers.map((o) => o.offerId)).sort());
});

test("refused and never served: an altered body, another version's or partner's form, an unknown signer, JSON, a re-signed body the edge did not compile", async (t) => {
  const s = seed();
  const dir = scratch(t);
  const edge = await startEdge(t, { upload: false });
  await uploadBundle(edge.mf, "acme", s.acme.signed, null, s.acme.form);
  const good = await compiled(edge);
  assert.equal(good.status, 200);

  // A stranger's key (under its own key id, and under acme's), and acme's
  // own key over a bundle of another partner.
  for (const sub of ["keys", "impostor-keys"]) mkdirSync(join(dir, sub));
  run(dir, "keygen", "--out-dir", join(dir, "keys"), "--keyid", "stranger-1");
  run(dir, "keygen", "--out-dir", join(dir, "impostor-keys"), "--keyid", "acme-1");
  const unknownKey = signForm(dir, s.acme.bundlePath(1), join(dir, "keys", "stranger-1.key"), "stranger");
  const impostor = signForm(dir, s.acme.bundlePath(1), join(dir, "impostor-keys", "acme-1.key"), "impostor");
  run(dir, "demo-bundle", "--partner", "acme-outlet", "--offers", "3", "--bundle-version", "1", "-o", join(dir, "outlet.json"));
  const otherPartner = signForm(dir, join(dir, "outlet.json"), s.acme.signKey, "outlet");

  // The signer's own key over a body that is not what the JSON compiles to:
  // the link offer now sends shoppers elsewhere. A page engine would run it.
  const source = JSON.parse(readFileSync(s.acme.bundlePath(1), "utf8"));
  const url = source.offers.find((o) => o.action.type === "link").action.url;
  const evilUrl = url.replace(/^https:\/\/[^/]+/, (origin) => `https://${"x".repeat(origin.length - 8)}`);
  const resigned = resignForm(s.acme.form, replaceInBody(splitForm(s.acme.form).body, url, evilUrl), s.acme.signKey);
  assert.ok(pageDecides(s.acme.trust, resigned).some((o) => o.action.url === evilUrl), "the page build would load it and send shoppers to the other URL");

  s.acme.sign(2);
  const attacks = [
    ["an altered body", tamperBody(s.acme.form), "DIGEST_MISMATCH"],
    ["version 2's form while version 1 is active", s.acme.formOf(2), "PAGE_BUNDLE_MISMATCH"],
    ["another partner's form, signed by its key", s.globex.form, "UNKNOWN_KEY"],
    ["acme's key over another partner's bundle", otherPartner, "PARTNER_MISMATCH"],
    ["a form signed by an unknown key", unknownKey, "UNKNOWN_KEY"],
    ["a form signed by another key under acme's key id", impostor, "SIGNATURE_INVALID"],
    ["the signed JSON in the form slot", s.acme.signed, "ENVELOPE_MALFORMED"],
    ["a correctly re-signed body the edge did not compile", resigned, "PAGE_BUNDLE_MISMATCH"],
  ];
  for (const [what, bytes, code] of attacks) {
    await putForm(edge, "acme", bytes);
    const res = await compiled(edge);
    assert.equal(res.status, 200, what);
    assert.deepEqual(res.bytes, good.bytes, `${what}: the last good form is still served`);
    assert.equal(res.headers.get("etag"), good.headers.get("etag"), what);
    const st = await status(edge);
    assert.equal(st.compiledError?.code, code, `${what}: ${JSON.stringify(st.compiledError)}`);
    assert.deepEqual(st.compiled, { version: 1, sha256: sha256(s.acme.form) }, what);
  }
  // The edge still decides, and the genuine form is taken back.
  assert.equal((await edge.post("/v1/decide", { partner: "acme", placement: "confirmation", attributes: CONTEXT })).status, 200);
  await putForm(edge, "acme", s.acme.form);
  assert.deepEqual((await compiled(edge)).bytes, s.acme.form);
});

const LIST = "existing-subscribers";
let confidential;
/**
 * A partner whose bundle excludes the demo's confidential suppression list
 * from one offer: `sign` wrote its page edition and the form of that page
 * edition. `fullForm`: a form carrying the list — the same bundle with its
 * audiences unmarked, signed by the partner's key (`sign` never compiles the
 * full edition of a bundle with confidential audiences; this is the nearest
 * a careless or hostile signer gets).
 */
function hooli(dir) {
  confidential ??= seedPartner(seed().dir, "hooli", { seed: 8, transform: (b) => {
    const gated = b.offers.find((o) => o.audiences.exclude.includes(LIST));
    const plain = b.offers.find((o) => !o.audiences.include.length && !o.audiences.exclude.length);
    return keepOffers(b, [gated, plain]);
  } });
  const source = JSON.parse(readFileSync(confidential.bundlePath(1), "utf8"));
  const list = structuredClone(source.audiences.find((a) => a.id === LIST));
  for (const a of source.audiences) a.confidential = false;
  writeFileSync(join(dir, "unmarked.json"), JSON.stringify(source));
  const fullForm = signForm(dir, join(dir, "unmarked.json"), confidential.signKey, "unmarked");
  return { ...confidential, list, fullForm };
}

/**
 * Which traces of confidential audience `list` the bytes hold: its salt (a
 * string, kept verbatim) and its fingerprints (the filter file's last 32
 * bytes; a compiled form keeps them raw).
 */
function traces(bytes, list) {
  const buf = Buffer.from(bytes);
  const found = [];
  if (buf.includes(Buffer.from(list.salt))) found.push("salt");
  if (buf.includes(Buffer.from(list.filter, "base64").subarray(-32))) found.push("fingerprints");
  return found;
}

test("a form carrying a confidential list never reaches pages: only the page edition's form is served", async (t) => {
  const h = hooli(scratch(t));
  assert.ok(h.list.confidential, "the demo's suppression list is confidential");
  assert.ok(h.page && h.form, "sign wrote a page bundle and its form");
  assert.deepEqual(traces(h.fullForm, h.list), ["salt", "fingerprints"], "the full bundle's form carries the list");
  const edge = await startEdge(t, { partners: { hooli: { trust: h.trust, origins: [] } }, upload: false });

  // Without its page bundle, and with it: a form of the full bundle is refused.
  await uploadBundle(edge.mf, "hooli", h.signed, null, h.fullForm);
  let res = await compiled(edge, "hooli");
  assert.deepEqual([res.status, codeOf(res)], [404, "NO_COMPILED_FORM"]);
  assert.equal((await status(edge, "hooli")).compiledError.code, "PAGE_BUNDLE_MISMATCH");
  await uploadBundle(edge.mf, "hooli", h.signed, h.page, h.fullForm);
  res = await compiled(edge, "hooli");
  assert.deepEqual([res.status, codeOf(res)], [404, "NO_COMPILED_FORM"]);
  assert.equal((await status(edge, "hooli")).compiledError.code, "PAGE_BUNDLE_MISMATCH");

  await uploadBundle(edge.mf, "hooli", h.signed, h.page, h.form);
  res = await compiled(edge, "hooli");
  assert.equal(res.status, 200);
  assert.deepEqual(res.bytes, h.form);
  assert.equal(res.headers.get("x-bundle-edition"), "page");
  assert.deepEqual(traces(res.bytes, h.list), [], "no trace of the list in what pages get");
  // The page engine treats the gated offer as edge-only.
  const engine = new page.Engine(h.trust);
  engine.load(res.bytes, Date.now());
  assert.deepEqual(engine.info().edgeOnly.map((e) => e.audience), [LIST]);
  engine.free();
});

test("a cold isolate serves the last good form again; a new version is served only with its own form", async (t) => {
  const s = seed();
  const persistRoot = scratch(t);
  const v3 = s.acme.sign(3);
  const form3 = s.acme.formOf(3);

  const first = await startEdge(t, { persistRoot, upload: false });
  await uploadBundle(first.mf, "acme", s.acme.signed, null, s.acme.form);
  assert.deepEqual((await compiled(first)).bytes, s.acme.form);
  await putForm(first, "acme", tamperBody(s.acme.form));
  assert.deepEqual((await compiled(first)).bytes, s.acme.form);
  await first.dispose();

  // A fresh isolate, with the refused upload still in page-form:.
  const second = await startEdge(t, { persistRoot, upload: false });
  let res = await compiled(second);
  assert.deepEqual([res.status, res.headers.get("x-bundle-version")], [200, "1"]);
  assert.deepEqual(res.bytes, s.acme.form, "good-form: served again");
  assert.equal((await status(second)).compiledError.code, "DIGEST_MISMATCH");

  // Version 3 arrives without its form: version 1's form is no form of it.
  await uploadBundle(second.mf, "acme", v3);
  res = await compiled(second);
  assert.deepEqual([res.status, codeOf(res)], [404, "NO_COMPILED_FORM"]);
  await uploadBundle(second.mf, "acme", v3, null, form3);
  res = await compiled(second);
  assert.deepEqual([res.status, res.headers.get("x-bundle-version")], [200, "3"]);
  assert.deepEqual(res.bytes, form3);
  await second.dispose();

  const third = await startEdge(t, { persistRoot, upload: false });
  res = await compiled(third);
  assert.deepEqual([res.status, res.headers.get("x-bundle-version")], [200, "3"]);
  assert.deepEqual(res.bytes, form3);
});
