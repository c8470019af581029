// What every JS suite (tests/edge, tests/browser, tests/preview) needs beside
// its subject: where the repository and the test artifacts are, temporary
// folders that go away with the process, waiting for a condition, and a
// response read for assertions with context.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "../../scripts/lib/edge.mjs";

export { root };
/** Where suites write screenshots and reports (CI keeps the folder). */
export const ARTIFACTS = join(root, "test-artifacts");

/** A new temporary folder named `prefix…`, removed when the process exits. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (the test fails naming `what`). */
export async function poll(fn, what, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Response body as JSON (or text when it is not JSON) plus status, for assertions with context. */
export async function answer(res) {
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers, text };
}
