// Persona, history and engagement in the preview: each change re-decides,
// re-renders the placements (inside the snippet's Shadow DOM component) and
// the table, whose reasons name the failing rule and the values it saw, the
// audience, the cap and the decline suppression date. The edge serves the
// page bundle, where offers naming the confidential suppression list are
// edge-only (confidential.test.js loads the full bundle too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertNoProblems, openPreview, row, seed, settled, shownIn, startServer, waitForRow } from "./harness.js";

const NY_RULE = JSON.stringify({ "!": { in: [{ var: "state" }, ["NY", "NJ"]] } });
const noAudiences = (o) => !o.audiences.include.length && !o.audiences.exclude.length;
const placementOf = (o) => o.placements[0] ?? "confirmation";

/**
 * Picks a persona from the select by its visible name and waits until the
 * page shows the decision for it (the change schedules a re-decision at once:
 * `settled` waits until none is due and every frame shows the latest).
 */
async function choosePersona(page, prefix) {
  const value = await page.locator("#persona-select option").evaluateAll((opts, p) => opts.find((o) => o.textContent.startsWith(p)).value, prefix);
  await page.selectOption("#persona-select", value);
  return settled(page);
}

const EDGE_ONLY = ["ineligible", "edgeOnly", "audience existing-subscribers is confidential: decided at the edge only"];

test("persona changes update the placements and the table: state rule, confidential suppression list, inclusion audience", async (t) => {
  const { bundle } = seed();
  const nyOffer = bundle.offers.find((o) => JSON.stringify(o.eligibility) === NY_RULE && noAudiences(o));
  const subscriberOffer = bundle.offers.find((o) => o.audiences.exclude.includes("existing-subscribers") && o.eligibility === null);
  const travelOffer = bundle.offers.find((o) => o.audiences.include.includes("frequent-travellers") && o.eligibility === null);
  assert.ok(nyOffer && subscriberOffer && travelOffer, "the demo bundle has the offers this test needs");

  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  const adaDecision = await settled(page);
  const adaShown = await shownIn(page, "confirmation", "desktop");
  assert.ok(adaShown.length > 0);
  assert.deepEqual(await shownIn(page, "confirmation", "mobile"), adaShown, "both widths render the same decision");
  for (const o of [nyOffer, travelOffer]) {
    const r = await row(page, o.id, placementOf(o));
    assert.notEqual(r.verdict, "ineligible", `${o.id} for Ada: ${r.message}`);
  }
  const adaSub = await row(page, subscriberOffer.id, placementOf(subscriberOffer));
  assert.deepEqual([adaSub.verdict, adaSub.kind, adaSub.message], EDGE_ONLY, "the page bundle cannot decide it, for anyone");

  const graceDecision = await choosePersona(page, "Grace");
  assert.notEqual(graceDecision, adaDecision);
  const ny = await row(page, nyOffer.id, placementOf(nyOffer));
  assert.equal(ny.kind, "ruleFalse");
  assert.match(ny.message, /^eligibility rule false: .*"NY","NJ".* \(saw state="NY"\)$/);
  assert.match(ny.detail, /values seen: state = "NY"/);
  const sub = await row(page, subscriberOffer.id, placementOf(subscriberOffer));
  assert.deepEqual([sub.verdict, sub.kind, sub.message], EDGE_ONLY, "Grace is on the list: the page answers as for Ada");
  assert.deepEqual(sub.detail, adaSub.detail);
  const travel = await row(page, travelOffer.id, placementOf(travelOffer));
  assert.deepEqual([travel.kind, travel.message], ["notInAudience", "not in audience frequent-travellers"]);
  // The placements show Grace's decision, not Ada's, and never an offer she is ineligible for.
  const graceShown = await shownIn(page, "confirmation", "desktop");
  const section = await page.locator("#placements section[data-placement='confirmation']").getAttribute("data-shown");
  assert.deepEqual(graceShown, section ? section.split(" ") : []);
  assert.ok(!graceShown.includes(nyOffer.id) && !graceShown.includes(subscriberOffer.id));

  // Editing one field re-decides: Grace moves to CA, the state rule passes.
  await page.fill("#p-state", "CA");
  assert.notEqual(await settled(page), graceDecision);
  assert.notEqual((await row(page, nyOffer.id, placementOf(nyOffer))).kind, "ruleFalse");
  // The verdict filter and text filter narrow the table.
  await page.selectOption("#explain-verdict", "ineligible");
  await page.fill("#explain-filter", "existing-subscribers");
  const kinds = await page.locator("#explain-rows tr").evaluateAll((rows) => rows.map((r) => r.dataset.kind));
  assert.ok(kinds.length > 0 && kinds.every((k) => k === "edgeOnly"), kinds.join());
  assertNoProblems(problems);
});

test("declining in the placement suppresses the offer with its date; impressions reach the cap", async (t) => {
  const { bundle } = seed();
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  await settled(page);
  const [declined] = await shownIn(page, "confirmation", "desktop");
  const nowIso = await page.evaluate(() => new Date(document.getElementById("now-input").value).toISOString().slice(0, 19));

  // Decline inside the rendered placement (the snippet's component, desktop frame).
  await page.frameLocator("#placements iframe[data-placement='confirmation'][data-width='desktop']")
    .locator(`button[data-action='decline'][data-offer-id='${declined}']`).click();
  // The frame posts the click to the page: wait for the decline's effect, not for "a new decision".
  const r = await waitForRow(page, declined, "confirmation", (x) => x.kind === "suppressedAfterDecline", `${declined} suppressed after its decline`);
  assert.match(r.message, new RegExp(`^suppressed after decline on ${nowIso}(\\.000)?Z until \\d{4}-`));
  assert.match(r.detail, /^declined \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; may show again .* \(in (7|14|30) d\)$/);
  assert.ok(!(await shownIn(page, "confirmation", "desktop")).includes(declined));
  assert.ok(!(await shownIn(page, "confirmation", "mobile")).includes(declined));
  // History lists the impression and the decline; the would-be-sent events carry no raw PII.
  const historyText = await page.locator("#history-rows").innerText();
  assert.match(historyText, new RegExp(`impression\\s+${declined}`));
  assert.match(historyText, new RegExp(`decline\\s+${declined}`));
  const log = await page.locator("#event-log").textContent();
  assert.match(log, new RegExp(`"type": "decline"[\\s\\S]*"offerId": "${declined}"`));
  assert.ok(!/ada@example\.com|Lovelace/i.test(log), "no raw PII in the events");

  // A cap: impressions of a shown offer added in the history editor, as many as its smallest cap.
  const [capped] = await shownIn(page, "confirmation", "desktop");
  const offer = bundle.offers.find((o) => o.id === capped);
  const smallest = Math.min(...offer.caps.map((c) => c.max));
  await page.selectOption("#history-type", "impression");
  await page.fill("#history-offer", capped);
  for (let i = 0; i < smallest; i++) await page.click("#history-add");
  // Each click re-decides (debounced): the first new decision may count fewer than `smallest`.
  // Wait for the decision that counts them all.
  const c = await waitForRow(page, capped, "confirmation", (x) => x.kind === "capped", `${capped} capped after ${smallest} impressions`);
  const m = /^capped by (offer|campaign|advertiser) (\d+)\/(\w+) \(seen (\d+)\)$/.exec(c.message);
  assert.ok(m, c.message);
  assert.ok(offer.caps.some((cap) => cap.scope === m[1] && cap.max === Number(m[2]) && cap.window === m[3]), c.message);
  assert.ok(Number(m[4]) >= Number(m[2]));
  assert.match(c.detail, new RegExp(`cap: ${m[1]} ${m[2]} per ${m[3]}, ${m[4]} impression\\(s\\) counted`));
  assert.ok(!(await shownIn(page, "confirmation", "desktop")).includes(capped));
  assertNoProblems(problems);
});

test("a pasted JSON persona decides (raw email hashed); a saved persona keeps only the hash", async (t) => {
  const { bundle } = seed();
  const nyOffer = bundle.offers.find((o) => JSON.stringify(o.eligibility) === NY_RULE && noAudiences(o));
  // The licensed cohort (not confidential) ships in the page bundle: Ada is in it.
  const travelOffer = bundle.offers.find((o) => o.audiences.include.includes("frequent-travellers") && o.eligibility === null);
  // In it, and allowed to use it (a licensed cohort needs a known country outside the EU and the UK).
  const inCohort = (r) => r.kind !== "notInAudience" && r.kind !== "licensedCohortRestricted";
  const { url } = await startServer(t);
  const { page, problems } = await openPreview(t, url);
  await choosePersona(page, "Grace");
  assert.equal((await row(page, travelOffer.id, placementOf(travelOffer))).kind, "notInAudience");
  const before = await settled(page);
  await page.fill("#persona-json", JSON.stringify({ firstname: "Nia", email: "Ada@Example.com ", state: "NJ", country: "US", amount: 20, custom: { segment: "vip" } }));
  await page.click("#persona-json-apply");
  assert.notEqual(await settled(page), before);
  assert.match((await row(page, nyOffer.id, placementOf(nyOffer))).message, /\(saw state="NJ"\)$/);
  assert.ok(inCohort(await row(page, travelOffer.id, placementOf(travelOffer))), "the email is normalized and hashed");
  // Pasted personas re-decide; each apply waits for a new decision.
  const apply = async (persona) => {
    const previous = await settled(page);
    await page.fill("#persona-json", JSON.stringify(persona));
    await page.click("#persona-json-apply");
    await page.waitForFunction((p) => document.body.dataset.decision !== p, previous, { timeout: 30_000 });
    await settled(page);
  };
  await apply({ email: "ada@example.com", state: "NJ", country: "FR", amount: 20 });
  assert.equal((await row(page, travelOffer.id, placementOf(travelOffer))).kind, "licensedCohortRestricted", "never in the EU");
  await apply({ firstname: "Nia", email: "Ada@Example.com ", state: "NJ", country: "US", amount: 20, custom: { segment: "vip" } });
  const context = JSON.parse(await page.inputValue("#persona-json"));
  assert.deepEqual(context.custom, { segment: "vip" });
  assert.match(context.emailsha256, /^[0-9a-f]{64}$/);
  assert.equal(context.email, undefined, "the engine never gets the raw email");

  await page.fill("#persona-name", "NJ traveller");
  await page.click("#persona-save");
  await page.waitForSelector("#persona-select option[value='saved:NJ traveller']", { state: "attached" });
  const stored = await page.evaluate(() => localStorage.getItem("offer-edge-preview:personas"));
  assert.ok(stored.includes(context.emailsha256) && !/ada@example\.com/i.test(stored), stored);
  // Reloading the saved persona (email field empty) still decides with the hash.
  await choosePersona(page, "Grace");
  await choosePersona(page, "NJ traveller");
  assert.equal(await page.inputValue("#p-email"), "");
  assert.ok(inCohort(await row(page, travelOffer.id, placementOf(travelOffer))));
  assertNoProblems(problems);
});
