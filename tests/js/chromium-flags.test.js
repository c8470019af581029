// webdriver.json is JSON the wasm-bindgen test runner reads (its Chromium
// for tests/wasm), so it cannot import tests/harness/chromium.js: held to
// the same binary and flags here instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../harness/chromium.js";
import { root } from "./helpers.js";

test("webdriver.json launches the Chromium the JS suites launch, with the same flags", () => {
  const options = JSON.parse(readFileSync(new URL("webdriver.json", root), "utf8"))["goog:chromeOptions"];
  assert.equal(options.binary, CHROMIUM_PATH);
  assert.deepEqual(options.args, CHROMIUM_FLAGS);
});
