// IANA time zones in the JS hosts: a bundle naming "America/New_York",
// signed by `offer-edge sign` (which embeds the zone's UTC offsets: pkg/ has
// no tz database), decides local-time rules across the 2026 spring-forward
// change in the edge build (signed JSON) and the page build (compiled form)
// alike; the edge's checks of the page bundle and the form still hold; a
// signed bundle naming a zone without its offsets is refused at load.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as full from "../../pkg/node.js";
import * as page from "../../pkg/page/offer_edge.js";
import { cli } from "../../scripts/lib/edge.mjs";
import { signManifest } from "./form.js";
import { root, throwsCode } from "./helpers.js";

page.initSync({ module: readFileSync(new URL("pkg/page/offer_edge_bg.wasm", root)) });

const fixture = (path) => readFileSync(new URL(`tests/fixtures/${path}`, root), "utf8");
const keyPath = (name) => fileURLToPath(new URL(`tests/fixtures/bundles/${name}.key`, root));
const TRUST = JSON.parse(fixture("bundles/trust.json"));
const NOW = Date.parse("2026-03-05T00:00:00Z");
const PROBE = "charity-roundup";
const CONTEXT = { state: "CA", country: "US", amount: "64.50" };

const dir = mkdtempSync(join(tmpdir(), "offer-edge-timezone-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** The shared decide bundle as acme's, in New York, with `local_hour == 3` on the probe offer. */
function authored() {
  const bundle = JSON.parse(fixture("decide/bundle.json"));
  delete bundle.utcOffsetMinutes;
  Object.assign(bundle, {
    partner: "acme",
    issuedAt: "2026-03-01T00:00:00Z",
    expiresAt: "2026-03-20T00:00:00Z",
    timeZone: "America/New_York",
  });
  bundle.audiences[0].confidential = true; // so sign writes a page edition too
  bundle.offers.find((o) => o.id === PROBE).eligibility = { "==": [{ local_hour: [] }, 3] };
  return bundle;
}

/** `offer-edge sign` of `bundle`: the signed JSON, its page edition and its compiled form. */
function sign(name, bundle) {
  const source = join(dir, `${name}.json`);
  writeFileSync(source, JSON.stringify(bundle, null, 2));
  execFileSync(cli(), ["sign", "--key", keyPath("k1"), "--key", keyPath("k2"), source, "-o", join(dir, `${name}.signed.json`)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const read = (ext) => new Uint8Array(readFileSync(join(dir, `${name}.signed.${ext}`)));
  return { json: read("json"), page: read("page.json"), form: read("oeb") };
}

const signed = sign("new-york", authored());

function engineOf(m, bytes) {
  const engine = new m.Engine(TRUST);
  engine.load(bytes, NOW);
  return engine;
}

const holds = (engine, iso) => engine.eligibleOffers(CONTEXT, null, Date.parse(iso)).includes(PROBE);

test("sign embeds New York's offsets: the edge and the page decide 03:00 EDT from 07:00Z on 2026-03-08", () => {
  const bundle = JSON.parse(Buffer.from(signed.json).toString("utf8")).bundle;
  assert.deepEqual(bundle.timeZoneOffsets, {
    zone: "America/New_York",
    from: "2026-03-01T00:00:00Z",
    until: "2026-03-27T00:00:00Z",
    initial: -300,
    transitions: [["2026-03-08T07:00:00Z", -240]],
  });
  const edge = engineOf(full, signed.json);
  const pageEngine = engineOf(page, signed.form);
  for (const engine of [edge, pageEngine]) {
    // 01:59:59.999 EST, then 03:00 EDT: 02:00 never happens.
    assert.equal(holds(engine, "2026-03-08T06:59:59.999Z"), false);
    assert.equal(holds(engine, "2026-03-08T07:00:00Z"), true);
    // A fixed UTC-5 would put 03:00 at 08:00Z the day before and after.
    assert.equal(holds(engine, "2026-03-07T08:00:00Z"), true);
    assert.equal(holds(engine, "2026-03-09T07:00:00Z"), true);
    assert.equal(holds(engine, "2026-03-09T08:00:00Z"), false);
  }
  // The edge serves the page edition and the form only when they are its own: both carry the table.
  assert.equal(edge.verifyPageBundle(signed.page, NOW).version, 7);
  assert.equal(edge.verifyCompiledForm(signed.form, NOW, signed.page).version, 7);
});

test("a signed bundle naming a zone without its offsets is refused at load: TIME_ZONE_MISSING", () => {
  // What a signer who skips `offer-edge sign` could publish: the zone, no table.
  const bundle = Buffer.from(JSON.stringify(authored()), "utf8");
  const text = Buffer.from(signed.json).toString("utf8");
  const envelope = JSON.parse(text).manifest;
  const manifest = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
  delete manifest.compiled;
  manifest.bundleSha256 = createHash("sha256").update(bundle).digest("hex");
  manifest.bundleBytes = bundle.length;
  const resigned = signManifest(manifest, [keyPath("k1"), keyPath("k2")]);
  const file = Buffer.concat([Buffer.from(`{"manifest":${JSON.stringify(resigned)},"bundle":`), bundle, Buffer.from("}")]);
  const engine = new full.Engine(TRUST);
  throwsCode(() => engine.load(new Uint8Array(file), NOW), "TIME_ZONE_MISSING", "zone without offsets");
  // A Draft (the preview's unsigned path) is held to the same rule.
  throwsCode(() => full.Engine.fromDraft(authored()), "TIME_ZONE_MISSING", "draft without offsets");
});
