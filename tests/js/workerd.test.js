// pkg/ inside real workerd (through miniflare): the workerd entry imports the
// .wasm statically (Workers refuse to compile WebAssembly from bytes), and
// the API answers a fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { cargoVersion, fixtures, root } from "./helpers.js";

test("a Worker importing pkg/workerd.js signs, verifies and seals in workerd", async (t) => {
  const mf = new Miniflare({
    modules: true,
    modulesRoot: fileURLToPath(root),
    scriptPath: fileURLToPath(new URL("tests/js/workerd-worker.js", root)),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-05-03",
  });
  t.after(() => mf.dispose());

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
