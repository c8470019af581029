// The shopper's language and money in real headless Chromium, on the demo
// checkout: a de-DE page with EUR shows its total as Intl formats it
// ("120,00 €", decided at the edge and in the page alike), the snippet's own
// texts in German (loaded as one small hashed module, only by that page),
// English where no table exists; and the honest confirmation: an addToCart
// says "Added to your order" only when the host's onAction confirmed it —
// not when the host threw, timed out or has no onAction — and the host's
// own message is shown as text, never as HTML.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { browserBundle, closeBrowser, newContext, openDemo, openShop, poll, seed, startBackend, waitForPlacement } from "./harness.js";

after(closeBrowser);

const placement = "#offers [data-offer-edge-placement]";

test("money and locale from hostile input: formatted only from a finite, non-negative amount and an ISO 4217 code", async () => {
  const { formatMoney, pageLocale } = await import(new URL("../../www/oe-strings.js", import.meta.url));
  const nb = (s) => s && spaces(s);
  assert.equal(nb(formatMoney("120", "EUR", "de-DE")), "120,00 €");
  assert.equal(formatMoney(120, "usd", "en-US"), "$120.00");
  for (const [amount, currency] of [["-5", "USD"], ["Infinity", "USD"], ["1e400", "USD"], ["", "USD"], [null, "USD"], ["abc", "USD"],
    [{}, "USD"], ["10", "EURO"], ["10", "<b>"], ["10", undefined], ["10", "ZZZ "]]) {
    assert.equal(formatMoney(amount, currency, "en-US"), null, `${amount} ${currency}`);
  }
  // An unknown but well-formed code: Intl prints the code; at most 64 characters whatever comes.
  assert.ok(formatMoney("1".repeat(300), "XTS", "en-US").length <= 64);
  assert.equal(pageLocale("de-de"), "de-DE");
  assert.equal(pageLocale("not a tag!"), pageLocale(undefined), "an invalid tag falls to the next source");
});

test("every language's table has exactly the English keys, as plain text", async () => {
  const dir = new URL("../../www/strings/", import.meta.url);
  const en = (await import(new URL("en.js", dir))).default;
  for (const lang of ["de", "es", "fr", "it", "nl", "pt"]) {
    const table = (await import(new URL(`${lang}.js`, dir))).default;
    assert.deepEqual(Object.keys(table).sort(), Object.keys(en).sort(), lang);
    for (const [k, v] of Object.entries(table)) {
      assert.equal(typeof v, "string", `${lang}.${k}`);
      assert.ok(!/[<>]/.test(v), `${lang}.${k} is plain text`);
      if (k !== "send" && k !== "cancel" && lang !== "en") assert.notEqual(v, en[k], `${lang}.${k} is translated`);
      assert.deepEqual(v.match(/\{\w+\}/g), en[k].match(/\{\w+\}/g), `${lang}.${k} keeps its placeholders`);
    }
  }
});

/** The test bundle with every offer's body showing the formatted total. */
function moneyBundle() {
  return seed().sign(2, {
    transform: (b) => {
      browserBundle(b);
      for (const o of b.offers) o.creative.fields.body = "Your total: {{amountFormatted}}";
      return b;
    },
  });
}

/** Places a new order for `amount` through the demo's shopper form and waits for its offers. */
async function order(page, amount) {
  await page.fill("#persona-form input[name=amount]", amount);
  await page.click("#persona-form button[type=submit]");
  await page.waitForSelector("html[data-offers-ready]");
  await waitForPlacement(page);
}

const bodies = (page) => page.locator(`${placement} >> .oe-body`).allTextContents();
const spaces = (s) => s.replace(/[\u00a0\u202f]/g, " ");

for (const decideAt of ["edge", "page"]) {
  test(`de-DE/EUR: the total shows as "120,00 €" and the snippet speaks German (decided at the ${decideAt})`, async (t) => {
    const { edge, record, page } = await openShop(t, { query: `?locale=de-DE&currency=EUR&decideAt=${decideAt}`, bundle: moneyBundle() });
    const { offers } = seed();
    await order(page, "120");
    const shown = await bodies(page);
    assert.ok(shown.length > 0);
    for (const body of shown) assert.equal(spaces(body), "Your total: 120,00 €");
    // The snippet's own words, from the German table (one hashed module, fetched by this page only).
    assert.equal(await page.locator(`${placement} >> .oe-root`).getAttribute("aria-label"), "Für Sie ausgewählte Angebote");
    assert.equal(await page.locator(`${placement} >> [data-action=close]`).first().getAttribute("aria-label"), "Angebote schließen");
    assert.ok(record.requests.some((r) => /\/oe\/strings-de\.[0-9a-f]{12}\.js$/.test(r.url)), "the German table is loaded");
    assert.ok(!record.requests.some((r) => /strings-(en|fr|es|it|nl|pt)\./.test(r.url)), "no other table is");
    await page.locator(`${placement} >> [data-action=accept][data-offer-id="${offers.addToCart}"]`).click();
    await poll(async () => (await page.locator(`${placement} >> .oe-accepted`).first().textContent()) === "Zu Ihrer Bestellung hinzugefügt. Vielen Dank!", "the German confirmation");
    assert.deepEqual(record.problems, []);
  });
}

test("en-US/USD shows $120.00; a language without a table (sv) falls back to English; fr-CA gets the French table", async (t) => {
  const { edge, record, page } = await openShop(t, { query: "?locale=en-US&currency=USD", bundle: moneyBundle() });
  await order(page, "120");
  for (const body of await bodies(page)) assert.equal(body, "Your total: $120.00");

  await openDemo(page, edge.url, "?locale=sv-SE&currency=SEK");
  await waitForPlacement(page);
  await order(page, "120");
  for (const body of await bodies(page)) assert.equal(spaces(body), "Your total: 120,00 kr");
  assert.equal(await page.locator(`${placement} >> .oe-root`).getAttribute("aria-label"), "Offers selected for you");

  // fr-CA: the French table (language subtag).
  await openDemo(page, edge.url, "?locale=fr-CA&currency=CAD");
  await waitForPlacement(page);
  assert.equal(await page.locator(`${placement} >> .oe-root`).getAttribute("aria-label"), "Offres sélectionnées pour vous");
  assert.deepEqual(record.problems, []);
});

test("addToCart: 'Added to your order' only when onAction confirmed; a throwing host or none gets the honest text", async (t) => {
  const edge = await startBackend(t);
  const { offers } = seed();
  // One fresh browser and shopper per case: an accepted offer is not offered to that shopper again.
  const acceptCart = async (query) => {
    const { record, newPage } = await newContext(t);
    const page = await newPage();
    await openDemo(page, edge.url, query);
    await waitForPlacement(page);
    await page.locator(`${placement} >> [data-action=accept][data-offer-id="${offers.addToCart}"]`).click();
    const note = page.locator(`${placement} >> .oe-accepted`).first();
    await poll(async () => !/…$/.test((await note.textContent()) ?? "…"), "the final confirmation");
    assert.deepEqual(record.problems, []);
    return { note: await note.textContent(), lines: await page.locator("#items li[data-sku]").count(),
      live: await page.locator(`${placement} >> .oe-live`).textContent(), warnings: record.warnings };
  };

  const confirmed = await acceptCart("?persona=ada");
  assert.deepEqual({ ...confirmed, warnings: undefined },
    { note: "Added to your order. Thank you!", lines: 1, live: "Added to your order. Thank you!", warnings: undefined });

  const failed = await acceptCart("?persona=grace&action=fail");
  assert.equal(failed.note, "Accepted. We could not confirm it was added to your order.");
  assert.equal(failed.live, failed.note);
  assert.equal(failed.lines, 0);
  assert.ok(failed.warnings.some((w) => /ACTION_FAILED/.test(w)), "the host's failure is reported with its code");

  const none = await acceptCart("?persona=alan&action=none");
  assert.equal(none.note, "Accepted. We could not confirm it was added to your order.");
  assert.equal(none.lines, 0);
});

test("a host that never answers times out honestly; host messages and strings are text, never markup", async (t) => {
  const edge = await startBackend(t);
  const { offers } = seed();
  // A second launcher on the demo page (a fresh browser each time), as a host
  // would write it: overrides with markup, an onAction that never answers or answers with markup.
  const render = async (kind) => {
    const { record, newPage } = await newContext(t);
    const page = await newPage();
    await openDemo(page, edge.url, "?action=none");
    await page.evaluate(async ({ cart, slow }) => {
      document.getElementById("offers").replaceChildren();
      const config = JSON.parse(document.getElementById("offer-edge-config").textContent);
      const launcher = await globalThis.OfferEdge.createLauncher({
        ...config, locale: "en", actionTimeoutMs: 300,
        onError: (p) => (globalThis.heard ??= []).push({ code: p.code, level: p.level }),
        strings: { close: "<b>Schließen</b>", region: 42, nonsense: "x" },
        onAction: slow ? () => new Promise(() => {}) : () => ({ done: true, message: "<img src=x onerror=alert(1)> Added!" }),
      });
      await launcher.selectPlacements({ attributes: { firstname: "Ada", amount: "10" }, target: "#offers" });
      document.querySelector("#offers [data-offer-edge-placement]").shadowRoot
        .querySelector(`[data-action=accept][data-offer-id="${cart}"]`).click();
    }, { cart: offers.addToCart, slow: kind === "slow" });
    await waitForPlacement(page);
    const note = () => page.locator(`${placement} >> .oe-accepted`).first().textContent();
    return { page, record, note };
  };

  const slow = await render("slow");
  assert.equal(await slow.page.locator(`${placement} >> [data-action=close]`).first().getAttribute("aria-label"), "<b>Schließen</b>");
  assert.equal(await slow.page.locator(`${placement} >> .oe-root`).getAttribute("aria-label"), "Offers selected for you", "a non-string override is ignored");
  await poll(async () => (await slow.note()) === "Accepted. We could not confirm it was added to your order.", "the honest text after the timeout");
  assert.ok(slow.record.warnings.some((w) => /ACTION_TIMEOUT/.test(w)));
  // The host's onError hears it too.
  await poll(async () => (await slow.page.evaluate(() => globalThis.heard ?? []))
    .some((p) => p.code === "ACTION_TIMEOUT" && p.level === "warning"), "onError heard ACTION_TIMEOUT");
  assert.deepEqual(slow.record.problems, []);

  const markup = await render("markup");
  await poll(async () => (await markup.note()) === "<img src=x onerror=alert(1)> Added!", "the host's message, as text");
  assert.equal(await markup.page.locator(`${placement} >> img[src=x]`).count(), 0);
  assert.deepEqual(markup.record.dialogs, []);
  assert.deepEqual(markup.record.problems, []);
});
