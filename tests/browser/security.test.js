// Security of the snippet in Chromium: strict CSP + Trusted Types, no
// plaintext PII in any request or storage, the XSS corpus rendered as
// context values and as offer fields injects nothing, and the corpus's
// template cases (layouts) are refused by the engine or run no script even
// when every element is clicked.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allRecords, assertNoPlaintext, click, closeBrowser, newContext, openDemo, openShop, pageConfig, poll, root, seed,
  shownOffers, startBackend, storageDump, waitForPlacement } from "./harness.js";

after(closeBrowser);

const CSP_LOG = () => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
};

test("the demo works under CSP script-src 'self' 'wasm-unsafe-eval'; style-src 'self' and Trusted Types", async (t) => {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  await context.addInitScript(CSP_LOG);
  const page = await newPage();
  const res = await page.goto(`${edge.url}/`);
  const csp = res.headers()["content-security-policy"];
  for (const part of ["script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "require-trusted-types-for 'script'", "trusted-types offer-edge"]) {
    assert.ok(csp.includes(part), `CSP has ${part}: ${csp}`);
  }
  await page.waitForSelector("html[data-offers-ready]");
  await waitForPlacement(page);
  assert.equal((await shownOffers(page)).length, 3);
  assert.deepEqual(await page.evaluate(() => window.__csp), [], "CSP violations while rendering");
  // Styled under style-src 'self': the built snippet's constructed stylesheet applies (offer-edge.css's border).
  const border = await page.evaluate(() => {
    const root = document.querySelector("#offers [data-offer-edge-placement]").shadowRoot;
    return getComputedStyle(root.querySelector(".oe-placement")).borderTopStyle;
  });
  assert.equal(border, "solid");
  assert.deepEqual(record.problems, []);
  // Trusted Types is enforced here: a raw string into an HTML sink throws.
  const enforced = await page.evaluate(() => {
    try {
      document.createElement("div").innerHTML = "<b>x</b>";
      return false;
    } catch (e) {
      return e instanceof TypeError;
    }
  });
  assert.equal(enforced, true);
});

test("no request, URL or storage entry carries the plaintext email or name", async (t) => {
  const { edge, record, page } = await openShop(t);
  const { offers } = seed();
  await click(page, "accept", offers.coupon); // the host hands over the email: sealed
  await click(page, "decline", offers.link);
  await poll(async () => (await edge.events()).some((e) => e.type === "accept" && e.hasFulfilment), "the sealed accept");
  await page.click('[data-persona="grace"]');
  await openDemo(page, edge.url, "?persona=grace");
  await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  const secrets = ["ada.lovelace@example.com", "Lovelace", "grace.hopper@example.com", "Hopper"];
  assertNoPlaintext([record], secrets);
  const stored = await storageDump(page);
  assert.ok(stored.includes("offer-edge:acme:history"), "storage was read");
  for (const s of [...secrets, "Ada,", "\"Ada\"", "Grace,", "\"Grace\""]) assert.ok(!stored.includes(s), `storage holds ${s}`);
  assert.deepEqual(record.problems, []);
});

const CORPUS = JSON.parse(readFileSync(join(root, "tests/fixtures/xss-vectors.json"), "utf8"));

/** The corpus page, served without CSP, with alert/confirm/prompt/print counted. */
async function corpusPage(t) {
  const edge = await startBackend(t);
  const { context, record, newPage } = await newContext(t);
  await context.addInitScript(() => {
    window.__xss = 0;
    for (const name of ["alert", "confirm", "prompt", "print"]) {
      const original = window[name];
      window[name] = function canary(...args) {
        window.__xss++;
        return original.apply(this, args);
      };
    }
  });
  const page = await newPage();
  // The corpus page is served without CSP: escaping alone must hold.
  await page.route("**/__test__/xss.html", async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers["content-security-policy"];
    await route.fulfill({ response, headers });
  });
  await page.goto(`${edge.url}/__test__/xss.html`);
  await page.waitForFunction(() => window.xssReady);
  return { page, record };
}

test("XSS corpus in context values and offer fields: no dialog, no script, no injected element", async (t) => {
  const vectors = CORPUS.filter((v) => typeof v.vector === "string").map((v) => v.vector);
  const { page, record } = await corpusPage(t);

  const check = (what, benign, r, i) => {
    if (r.refused) return 0;
    const where = `${what} vector ${i}: ${JSON.stringify(vectors[i])}`;
    assert.equal(r.handlers, false, `${where}: on* attribute`);
    assert.equal(r.scriptUrl, false, `${where}: script URL`);
    assert.ok(r.count <= benign.count, `${where}: ${r.count} elements vs ${benign.count}`);
    for (const tag of r.tags) assert.ok(benign.tags.includes(tag), `${where}: injected <${tag}>`);
    return 1;
  };

  // Decided and rendered in the page, then at the edge (which gets name markers, filled in the page: oe-edge.js).
  for (const decideAt of ["page", "edge"]) {
    const ctx = await page.evaluate(([config, list]) => window.xss.context(config, list), [{ ...pageConfig(), decideAt }, vectors]);
    assert.ok(!ctx.benign.refused, decideAt);
    assert.ok(ctx.benign.title.startsWith("Ada,"), `${decideAt}: ${ctx.benign.title}`);
    let rendered = 0;
    ctx.results.forEach((r, i) => {
      rendered += check(`${decideAt} context`, ctx.benign, r, i);
      if (!r.refused) assert.equal(r.count, ctx.benign.count, `${decideAt} context vector ${i}: element count`);
    });
    assert.ok(rendered >= vectors.length * 0.9, `only ${rendered} ${decideAt} context renders`);
  }

  const fields = await page.evaluate(([draft, list]) => window.xss.fields(draft, list), [seed().draft, vectors]);
  assert.ok(!fields.benign.refused);
  let text = 0;
  fields.results.forEach((r, i) => {
    text += check("offer text", fields.benign, r.text, i);
    check("offer URL", fields.benign, r.url, i);
  });
  assert.ok(text >= vectors.length / 2, `only ${text} offer-field renders`);

  assert.equal(await page.evaluate(() => window.__xss), 0, "a script ran");
  assert.deepEqual(record.dialogs, []);
  assert.deepEqual(record.problems.filter((p) => !p.includes("Failed to load resource")), []);
});

test("XSS template cases as layouts: refused ones are TEMPLATE_INVALID at their position, the rest run no script when clicked", async (t) => {
  const cases = CORPUS.filter((c) => typeof c.template === "string");
  assert.ok(cases.length >= 60, `${cases.length} template cases`);
  const { page, record } = await corpusPage(t);
  const results = await page.evaluate(async ([draft, list]) => {
    const oe = await import("/pkg/browser.js");
    const { renderPlacement } = await import("/offer-edge.js");
    await oe.ready;
    // A click may only follow a javascript: URL (which runs script and is
    // counted); any other link would navigate away from this page.
    addEventListener("click", (e) => {
      const link = e.composedPath().find((n) => n instanceof HTMLAnchorElement || n instanceof HTMLAreaElement);
      if (link && link.protocol !== "javascript:") e.preventDefault();
    }, true);
    const URL_ATTRS = ["href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"];
    const stage = document.getElementById("stage");
    const now = Date.parse(draft.issuedAt) + 60_000;
    const out = [];
    for (const c of list) {
      const bundle = structuredClone(draft);
      bundle.placements[0].layout = c.template;
      let engine;
      try {
        engine = oe.Engine.fromDraft(JSON.stringify(bundle));
      } catch (e) {
        out.push({ refused: e.code ?? "none", message: String(e.message) });
        continue;
      }
      const { decision } = engine.decide({ firstname: "Ada", state: "CA", ...(c.data ?? {}) }, null, now, { seed: 1 });
      const host = document.createElement("div");
      stage.append(host);
      renderPlacement(host, decision.placements[0], {});
      const all = [...host.shadowRoot.querySelectorAll("*")];
      const schemes = all.flatMap((n) => URL_ATTRS.map((a) => n.getAttribute(a)).filter((v) => v !== null)
        .map((v) => { try { return new URL(v, document.baseURI).protocol; } catch { return "unparsable:"; } }));
      for (const n of all) n.click?.();
      await new Promise((r) => setTimeout(r, 50));
      out.push({
        tags: [...new Set(all.map((n) => n.localName))],
        handlers: all.some((n) => [...n.attributes].some((a) => /^on/i.test(a.name))),
        scriptUrls: schemes.filter((p) => ["javascript:", "data:", "vbscript:"].includes(p)),
        html: decision.placements[0].html,
      });
      host.remove();
      engine.free();
    }
    return out;
  }, [seed().draft, cases]);

  const DANGEROUS = ["script", "style", "iframe", "object", "embed", "base", "meta", "form", "template", "noscript", "xmp",
    "plaintext", "svg", "math", "frame", "frameset", "applet"];
  results.forEach((r, i) => {
    const c = cases[i];
    const where = `${JSON.stringify(c.template)} (${c.note})`;
    if (c.expect === "refused") {
      assert.equal(r.refused, "TEMPLATE_INVALID", `${where}: ${JSON.stringify(r)}`);
      if (c.at) assert.ok(r.message.includes(` ${c.at}:`), `${where}: ${r.message} should name ${c.at}`);
      return;
    }
    assert.equal(c.expect, "inert", where);
    assert.equal(r.refused, undefined, `${where}: refused ${r.message}`);
    assert.equal(r.handlers, false, `${where}: on* attribute in ${r.html}`);
    assert.deepEqual(r.scriptUrls, [], `${where}: script URL in ${r.html}`);
    for (const tag of r.tags) assert.ok(!DANGEROUS.includes(tag), `${where}: <${tag}> in ${r.html}`);
  });
  assert.equal(await page.evaluate(() => window.__xss), 0, "a script ran");
  assert.deepEqual(record.dialogs, []);
  assert.deepEqual(record.problems.filter((p) => !p.includes("Failed to load resource")), []);
});

test("across this file, no request carried the shoppers' plaintext email or name", () => {
  assertNoPlaintext(allRecords, ["ada.lovelace@example.com", "Lovelace", "grace.hopper@example.com", "Hopper"]);
});
