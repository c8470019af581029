// Confidential audiences in the preview: the bundle the edge serves is the
// page bundle (no filter, no salt for the confidential suppression list),
// and the preview says which offers are edge-only and why, for every
// shopper alike; the full bundle (the edge's, loaded from its file) still
// applies the list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { PARTNER, assertNoProblems, openPreview, row, seed, settled, startServer, waitForRow } from "./harness.js";

const LIST = "existing-subscribers";
const placementOf = (o) => o.placements[0] ?? "confirmation";

async function choosePersona(page, prefix) {
  const value = await page.locator("#persona-select option").evaluateAll((opts, p) => opts.find((o) => o.textContent.startsWith(p)).value, prefix);
  await page.selectOption("#persona-select", value);
  return settled(page);
}

test("the preview names the edge-only offers and why; the page bundle answers Grace and Ada alike; the full bundle applies the list", async (t) => {
  const s = seed();
  const list = s.bundle.audiences.find((a) => a.id === LIST);
  const gated = s.bundle.offers.filter((o) => o.audiences.exclude.includes(LIST));
  const offer = gated.find((o) => o.eligibility === null) ?? gated[0];
  assert.ok(list.confidential && gated.length > 0, "the demo bundle has a confidential suppression list");

  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  await page.waitForSelector("#verify[data-state='verified']");
  await settled(page);

  // What anyone can fetch holds neither the list nor its salt.
  const served = await page.evaluate(async (p) => (await fetch(`/v1/bundles/${p}`, { cache: "no-store" })).text(), PARTNER);
  assert.ok(!served.includes(list.salt) && !served.includes(list.filter.slice(100, 140)), "the public bundle carries the confidential list");

  // The verification panel lists every edge-only offer with the audience that makes it so.
  const verify = await page.locator("#verify").innerText();
  assert.match(verify, new RegExp(`Edition\\s+page bundle: confidential audiences withheld \\(${LIST}\\)`));
  const listed = await page.locator("#verify [data-field='edge-only'] li").evaluateAll((items) =>
    items.map((li) => ({ offer: li.dataset.offer, audience: li.dataset.audience, text: li.textContent })));
  assert.deepEqual(listed.map((l) => l.offer).sort(), gated.map((o) => o.id).sort());
  for (const l of listed) {
    assert.equal(l.audience, LIST);
    assert.match(l.text, new RegExp(`^${l.offer} Edge only: audience ${LIST} is confidential`));
  }

  // The table gives the same reason for Ada (not on the list) and Grace (on it).
  const edgeOnly = async () => row(page, offer.id, placementOf(offer));
  const ada = await edgeOnly();
  assert.deepEqual([ada.verdict, ada.kind, ada.message], ["ineligible", "edgeOnly", `audience ${LIST} is confidential: decided at the edge only`]);
  assert.match(ada.detail, /^edge only: .* the edge decides this offer with the full bundle$/);
  await choosePersona(page, "Grace");
  assert.deepEqual(await edgeOnly(), ada, "nothing in the page tells a listed shopper from another");

  // The full bundle (the edge's file, same signers): the list applies, Grace is suppressed.
  await page.setInputFiles("#bundle-file", join(s.dir, "bundle.signed.json"));
  await page.waitForFunction(() => /Verified — file bundle\.signed\.json/.test(document.getElementById("verify").innerText));
  assert.match(await page.locator("#verify [data-field='edition']").innerText(), new RegExp(`^full bundle \\(the edge's\\): confidential audiences ${LIST} apply here`));
  assert.equal(await page.locator("#verify [data-field='edge-only']").count(), 0);
  const grace = await waitForRow(page, offer.id, placementOf(offer), (r) => r.kind !== "edgeOnly", "the full bundle's verdict");
  assert.deepEqual([grace.kind, grace.message], ["inSuppressionAudience", `on suppression list ${LIST}`]);
  await choosePersona(page, "Ada");
  assert.notEqual((await edgeOnly()).kind, "inSuppressionAudience");
  assertNoProblems(problems);
});
