// Renders the XSS corpus through the real snippet and component: vectors as
// checkout context values (signed bundle, launcher.selectPlacements) and as
// offer fields (draft bundles, Engine.fromDraft + renderPlacement). Returns
// what each render put in the shadow root, for the test to compare.
import { OfferEdge, renderPlacement } from "/offer-edge.js";
import * as oe from "/pkg/browser.js";

const URL_ATTRS = /^(href|src|action|formaction|xlink:href|srcset|poster|background)$/i;
function stats(root) {
  const all = [...root.querySelectorAll("*")];
  return {
    count: all.length,
    tags: [...new Set(all.map((n) => n.localName))].sort(),
    handlers: all.some((n) => [...n.attributes].some((a) => /^on/i.test(a.name))),
    scriptUrl: all.some((n) => [...n.attributes].some((a) => URL_ATTRS.test(a.name) && /^\s*(javascript|vbscript|data):/i.test(a.value))),
  };
}

window.xss = {
  async context(config, vectors) {
    const launcher = await OfferEdge.createLauncher(config);
    const target = document.getElementById("stage");
    const run = async (value) => {
      const selection = await launcher.selectPlacements({ attributes: { firstname: value, lastname: value, city: value, state: "CA" }, target });
      const host = target.querySelector("[data-offer-edge-placement]");
      if (!host || !host.shadowRoot || !selection.offers.length) return { refused: true };
      const out = { ...stats(host.shadowRoot), title: host.shadowRoot.querySelector(".oe-title")?.textContent ?? "" };
      selection.destroy();
      return out;
    };
    const benign = await run("Ada");
    const results = [];
    for (const v of vectors) results.push(await run(v));
    return { benign, results };
  },

  async fields(draft, vectors) {
    await oe.ready;
    const stage = document.getElementById("stage");
    const now = Date.parse(draft.issuedAt) + 60_000;
    const render = (bundle) => {
      let engine;
      try {
        engine = oe.Engine.fromDraft(JSON.stringify(bundle));
      } catch (e) {
        return { refused: e.code };
      }
      const { decision } = engine.decide({ firstname: "Ada", state: "CA" }, null, now, { seed: 1 });
      const host = document.createElement("div");
      stage.append(host);
      renderPlacement(host, decision.placements[0], {});
      const out = stats(host.shadowRoot);
      host.remove();
      engine.free();
      return out;
    };
    const benign = render(draft);
    const results = [];
    for (const v of vectors) {
      const text = structuredClone(draft);
      for (const o of text.offers) Object.assign(o.creative.fields, { headline: v, body: v, cta: v, declineLabel: v, imageAlt: v, terms: v });
      const url = structuredClone(draft);
      for (const o of url.offers) {
        o.creative.fields.image = v;
        if (o.action.url !== undefined) o.action.url = v;
      }
      results.push({ text: render(text), url: render(url) });
    }
    return { benign, results };
  },
};
window.xssReady = true;
