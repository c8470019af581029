// The snippet never shows nothing silently: one unknown or malformed
// attribute costs no offer (page and edge decisions), and every failure that
// leaves a placement empty reaches the host's onError with a stable code,
// while the checkout stays usable and a misbehaving callback breaks nothing.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { closeBrowser, newContext, openDemo, poll, seed, serveAtBundleUrl, startBackend } from "./harness.js";
import { tamperBody } from "../js/form.js";

after(closeBrowser);

/**
 * One launcher of the page's own (built) snippet, made with `onError`
 * (`how`: "collect", "throw", "reject" or "hang"), and one selection of
 * `attributes` with its own `onError`: `{shown, launcher, call}`, the
 * problems each callback heard (after the callbacks' own tasks ran) and
 * whether every one was a frozen plain object.
 */
function selectWith(page, { decideAt, attributes, how = "collect", config = {} }) {
  return page.evaluate(async ([mode, attrs, kind, extra]) => {
    const { createLauncher } = await import(document.querySelector('script[src*="oe/offer-edge."]').src);
    const base = { ...(await (await fetch("/demo-config.json")).json()), decideAt: mode, warmWaitMs: 5000, ...extra };
    const heard = { launcher: [], call: [] };
    const callback = (list) => (problem) => {
      list.push({ ...problem, frozen: Object.isFrozen(problem) && Object.getPrototypeOf(problem) === Object.prototype });
      if (kind === "throw") throw new Error("host bug");
      if (kind === "reject") return Promise.reject(new Error("host bug"));
      if (kind === "hang") return new Promise(() => {});
    };
    const target = document.body.appendChild(document.createElement("div"));
    const launcher = await createLauncher({ ...base, onError: callback(heard.launcher) });
    const selection = await launcher.selectPlacements({ attributes: attrs, target, onError: callback(heard.call) });
    const shown = selection.offers.map((o) => o.offerId);
    selection.destroy();
    target.remove();
    // Callbacks run in tasks of their own, after the selection.
    await new Promise((r) => setTimeout(r, 100));
    return { shown, ...heard };
  }, [decideAt, attributes, how, config]);
}

const ADA = { firstname: "Ada", state: "NY", country: "US" };
const pick = (list, code) => list.filter((p) => p.code === code).map(({ code: c, level, attribute }) => ({ code: c, level, attribute }));

/** The checkout itself still works: its own button answers. */
async function checkoutWorks(page) {
  await page.click("#track-order");
  await page.waitForSelector("#track-status:has-text('ships tomorrow')");
}

for (const decideAt of ["page", "edge"]) {
  test(`decideAt ${decideAt}: an unknown attribute and "$10.00" still show the offers; onError hears the warning, frozen`, async (t) => {
    const edge = await startBackend(t);
    const { record, newPage } = await newContext(t);
    const page = await newPage();
    await openDemo(page, edge.url);
    const out = await selectWith(page, { decideAt, attributes: { ...ADA, billingzipcode: "94107", amount: "$10.00" } });
    assert.equal(out.shown.length, 3, "every offer still shows");
    const unknown = { code: "ATTRIBUTE_UNKNOWN", level: "warning", attribute: "billingzipcode" };
    assert.deepEqual(pick(out.launcher, "ATTRIBUTE_UNKNOWN"), [unknown], "the launcher's onError");
    assert.deepEqual(pick(out.call, "ATTRIBUTE_UNKNOWN"), [unknown], "the call's onError");
    assert.deepEqual(pick(out.call, "ATTRIBUTE_INVALID"), [], "\"$10.00\" is an amount");
    assert.ok(out.call.every((p) => p.frozen && typeof p.message === "string"), JSON.stringify(out.call));
    assert.ok(out.call.every((p) => p.level === "warning"), "nothing failed");

    const malformed = await selectWith(page, { decideAt, attributes: { ...ADA, amount: "12,34.5" } });
    assert.equal(malformed.shown.length, 3);
    assert.deepEqual(pick(malformed.call, "ATTRIBUTE_INVALID"), [{ code: "ATTRIBUTE_INVALID", level: "warning", attribute: "amount" }]);
    assert.deepEqual(record.problems, []);
  });
}

test("a tampered bundle, deciding in the page: onError hears why (DIGEST_MISMATCH) and that the placement is empty (NO_BUNDLE); the checkout works", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url, "?decideAt=edge");
  await serveAtBundleUrl(context, tamperBody(seed().signed.form));
  const out = await selectWith(page, { decideAt: "page", attributes: ADA });
  assert.deepEqual(out.shown, []);
  assert.ok(pick(out.launcher, "DIGEST_MISMATCH").length > 0, JSON.stringify(out.launcher));
  assert.deepEqual(pick(out.call, "NO_BUNDLE"), [{ code: "NO_BUNDLE", level: "error", attribute: undefined }]);
  await checkoutWorks(page);
  assert.deepEqual(record.problems, []);
});

test("the edge answers 500, deciding at the edge: onError hears EDGE_UNAVAILABLE as an error; the checkout works", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url, "?decideAt=edge");
  await context.route("**/v1/decide", (route) => route.fulfill({ status: 500, body: "boom" }));
  const out = await selectWith(page, { decideAt: "edge", attributes: ADA });
  assert.deepEqual(out.shown, []);
  assert.deepEqual(pick(out.call, "EDGE_UNAVAILABLE"), [{ code: "EDGE_UNAVAILABLE", level: "error", attribute: undefined }]);
  assert.deepEqual(pick(out.launcher, "EDGE_UNAVAILABLE"), pick(out.call, "EDGE_UNAVAILABLE"));
  await checkoutWorks(page);
  // Chromium's own line for the failed request is the only console error.
  assert.deepEqual(record.problems.filter((p) => !p.includes("status of 500")), []);
});

test("a context past the engine's limits is refused with its code (LIMIT_EXCEEDED), a bad config with CONFIG_INVALID", async (t) => {
  const edge = await startBackend(t);
  const { record, newPage } = await newContext(t);
  const page = await newPage();
  await openDemo(page, edge.url);
  const custom = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
  const out = await selectWith(page, { decideAt: "page", attributes: { ...ADA, custom } });
  assert.deepEqual(out.shown, []);
  assert.deepEqual(pick(out.call, "LIMIT_EXCEEDED"), [{ code: "LIMIT_EXCEEDED", level: "error", attribute: undefined }]);
  const config = await selectWith(page, { decideAt: "page", attributes: ADA, config: { trustedKeys: null } });
  assert.deepEqual(config.shown, []);
  assert.deepEqual(pick(config.launcher, "CONFIG_INVALID"), [{ code: "CONFIG_INVALID", level: "error", attribute: undefined }]);
  assert.deepEqual(record.problems, []);
});

for (const how of ["throw", "reject", "hang"]) {
  test(`an onError that ${how}s breaks nothing: the offers show, the next selection too, no page error`, async (t) => {
    const edge = await startBackend(t);
    const { record, newPage } = await newContext(t);
    const page = await newPage();
    await openDemo(page, edge.url);
    for (const decideAt of ["page", "edge"]) {
      const out = await selectWith(page, { decideAt, how, attributes: { ...ADA, billingzipcode: "94107" } });
      assert.equal(out.shown.length, 3, decideAt);
      assert.ok(pick(out.call, "ATTRIBUTE_UNKNOWN").length === 1, decideAt);
    }
    await checkoutWorks(page);
    if (how !== "hang") await poll(() => record.warnings.some((w) => w.includes("ON_ERROR_FAILED")), "one ON_ERROR_FAILED warning");
    assert.deepEqual(record.problems, []);
  });
}
