// pkg/ inside real workerd (through miniflare): the workerd entry imports the
// .wasm statically (Workers refuse to compile WebAssembly from bytes), and
// the API answers a fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { startWorkerd, workerModules } from "../../scripts/lib/workerd.mjs";
import { cargoVersion, fixtures, root } from "./helpers.js";

/** workerd running tests/js/workerd-worker.js over pkg/workerd.js, disposed after test `t`. */
async function worker(t) {
  const { mf } = await startWorkerd(workerModules(fileURLToPath(new URL("tests/js/workerd-worker.js", root))));
  t.after(() => mf.dispose());
  return mf;
}

test("a Worker loads a signed fixture bundle and decides in workerd", async (t) => {
  const mf = await worker(t);
  const file = (name) => readFileSync(new URL(`tests/fixtures/bundles/${name}`, root), "utf8");
  const res = await mf.dispatchFetch("http://worker.test/decide", {
    method: "POST",
    body: JSON.stringify({
      trust: JSON.parse(file("trust.json")),
      signed: file("acme-v2.signed.json"),
      tampered: file("acme-v2-tampered-payload.signed.json"),
      context: { firstname: "Ada", state: "CA", amount: "64.50", paymenttype: "visa" },
      now: Date.parse("2026-06-01T00:00:00Z"),
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text);
  assert.deepEqual(body.loaded, { status: "loaded", version: 2 });
  assert.equal(body.refused, "OfferEdgeError/SIGNATURE_INVALID");
  assert.equal(body.decision.bundleVersion, 2);
  assert.equal(body.decision.partner, "acme");
  assert.equal(body.decision.bundleSha256, body.info.bundleSha256);
  const shown = body.decision.placements.flatMap((p) => p.offers);
  assert.ok(shown.length > 0, "the demo bundle shows offers");
  assert.match(body.decision.placements[0].html, /Ada/);
  assert.ok(body.decision.explanations.length >= 12, "explain covers every offer");
  assert.ok(body.historyBytes > 0);
});

test("a Worker importing pkg/workerd.js signs, verifies and seals in workerd", async (t) => {
  const mf = await worker(t);

  const [, suite] = fixtures("receipts")[0];
  const [, kat] = fixtures("hpke")[0];
  const res = await mf.dispatchFetch("http://worker.test/", {
    method: "POST",
    body: JSON.stringify({
      receipt: suite.receipt,
      key: suite.key,
      now: Date.parse("2026-11-29T12:05:00Z"),
      fulfilmentKey: { kid: "acme-2026-01", publicKey: Buffer.from(kat.pkRm, "hex").toString("base64") },
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text);
  assert.equal(body.version, cargoVersion());
  // The same tag as natively, in Node and in Chromium.
  assert.equal(body.compact.split(".")[1], suite.mac);
  assert.deepEqual(body.verified, suite.receipt);
  assert.equal(body.expired, "OfferEdgeError/RECEIPT_EXPIRED");
  assert.equal(body.otherPartner, "OfferEdgeError/RECEIPT_INVALID");
  assert.equal(body.sealed.partner, "acme-shop");
  assert.equal(Buffer.from(body.sealed.enc, "base64").length, 32);
  assert.match(body.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
