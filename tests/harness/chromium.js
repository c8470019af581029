// Headless Chromium (Debian's, driven by playwright-core) as every suite and
// bench launches it: one flag list, one binary, fresh profiles cleaned up,
// and the page problems (console errors, page errors, failed requests) a
// test asserts are absent. bench/*.mjs import it too (they measure the pages
// these suites test, in the same browser).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** The browser binary (scripts/install-deps --browser installs Debian's chromium there). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/**
 * Headless, no sandbox (root in containers), no GPU, /tmp instead of a
 * small /dev/shm, and nothing the browser would fetch or set up on its own.
 */
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--no-first-run"];

/** A Chromium process (playwright's temporary profile); contexts come from `browser.newContext`. */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * A Chromium process on a profile folder (a persistent context): `profile`
 * when given (kept: a repeat visit reuses it), else a fresh temporary one
 * that `close()` removes. Other options go to the context (viewport, locale…).
 * Returns `{context, close}`.
 */
export async function openProfile({ profile, ...options } = {}) {
  const dir = profile ?? mkdtempSync(join(tmpdir(), "offer-edge-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, ...options });
  } catch (e) {
    if (!profile) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const close = async () => {
    await context.close();
    if (!profile) rmSync(dir, { recursive: true, force: true });
  };
  return { context, close };
}

/** Records `page`'s console errors, page errors and failed requests into `problems` (returned). */
export function recordProblems(page, problems = []) {
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return problems;
}
