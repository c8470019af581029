// The engine worker's key rotation (www/oe-worker-keysets.js) on the page
// build (pkg/page/), in Node: a page whose pinned trust is already rotated
// (trustedKeys.keysetVersion) re-applies the edge's whole chain, skipping
// the updates its pin supersedes, instead of refusing it; a chain forked
// from other keys is still dropped.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as page from "../../pkg/page/offer_edge.js";
import { cli } from "../../scripts/lib/edge.mjs";
import { Keys } from "../../www/oe-worker-keysets.js";
import { root } from "./helpers.js";

page.initSync({ module: readFileSync(new URL("pkg/page/offer_edge_bg.wasm", root)) });
const dir = mkdtempSync(join(tmpdir(), "offer-edge-page-keysets-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args) => execFileSync(cli(), args, { stdio: ["ignore", "pipe", "pipe"] });
const file = (name) => join(dir, name);
const text = (name) => readFileSync(file(name), "utf8");

// acme-1 (pinned at first) → acme-2 (update 1) → acme-3 (update 2); mallory signs her own.
for (const id of ["acme-1", "acme-2", "acme-3", "mallory-1", "mallory-2"]) run("keygen", "--out-dir", dir, "--keyid", id);
run("trust", "--partner", "acme", "--pub", file("acme-1.pub"), "-o", file("trust0.json"));
run("rotate", "--trust", file("trust0.json"), "--current", file("acme-1.key"), "--new", file("acme-2.key"),
  "-o", file("update1.json"), "--write-trust", file("trust1.json"));
run("rotate", "--trust", file("trust1.json"), "--current", file("acme-2.key"), "--new", file("acme-3.key"), "-o", file("update2.json"));
run("trust", "--partner", "acme", "--pub", file("mallory-1.pub"), "-o", file("mallory.json"));
run("rotate", "--trust", file("mallory.json"), "--current", file("mallory-1.key"), "--new", file("mallory-2.key"), "--version", "3",
  "-o", file("forged.json"));
const chain = JSON.stringify([text("update1.json"), text("update2.json")]);

/** `Keys` over `trust` with the chain `kept` restored; returns the version, the engine and the warnings. */
function restore(trust, kept) {
  const warnings = [];
  const keys = new Keys(page, trust, (code) => warnings.push(code));
  const engine = keys.restore(new page.Engine(trust), kept);
  return { version: keys.version, engine, warnings, keys };
}

test("a page pinning the trust of update 1 applies the chain [1, 2]: update 1 is skipped, update 2 applied", () => {
  const trust1 = JSON.parse(text("trust1.json"));
  assert.equal(trust1.keysetVersion, 1);
  const { version, engine, warnings } = restore(trust1, chain);
  assert.deepEqual(warnings, [], "nothing discarded");
  assert.equal(version, 2);
  // Update 2 is in force: re-applying it is a rollback now.
  assert.throws(() => engine.rotateKeys(text("update2.json")), (e) => e.code === "VERSION_ROLLBACK");
});

test("a page pinning the first trust applies the same chain whole", () => {
  const { version, warnings } = restore(JSON.parse(text("trust0.json")), chain);
  assert.deepEqual([version, warnings], [2, []]);
});

test("a chain that does not verify from the pinned keys is still dropped, whatever version it claims", () => {
  const forged = JSON.stringify([text("forged.json")]);
  const { version, warnings } = restore(JSON.parse(text("trust1.json")), forged);
  assert.deepEqual([version, warnings], [1, ["KEYSET_DISCARDED"]]);
});
