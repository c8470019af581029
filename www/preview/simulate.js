// "Simulate 1,000 shoppers": the current persona decided with seeds
// 0..N-1 (exploration varies, everything else is fixed) and the share of
// shown slots each offer gets, drawn as a bar chart in SVG. Next to each
// bar: how often the offer was shown (rate) and the mean propensity the
// engine logged when it showed it, which the rate should match.
import { byId, el, num, pct, status } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, text) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
};

/**
 * Decides `runs` times (seeds 0..runs-1) and tallies per placement:
 * `[{placement, slots, offers: [{offerId, count, share, rate, meanPropensity}]}]`.
 * Yields to the page every chunk so it stays responsive; `progress(done)`.
 */
export async function simulate(engine, context, blob, now, runs, progress = () => {}) {
  const order = []; // placement ids in decision order
  const runsShown = []; // per run: placement index → offer ids shown
  const tallies = new Map(); // placement → Map(offerId → {count, propensitySum})
  for (let seed = 0; seed < runs; seed++) {
    const { decision } = engine.decide(context, blob, now, { seed });
    const shown = [];
    for (const p of decision.placements) {
      if (!order.includes(p.id)) order.push(p.id);
      if (!tallies.has(p.id)) tallies.set(p.id, new Map());
      const t = tallies.get(p.id);
      shown.push(p.offers.map((o) => o.offerId));
      for (const o of p.offers) {
        const entry = t.get(o.offerId) ?? { count: 0, propensitySum: 0 };
        entry.count += 1;
        entry.propensitySum += o.propensity;
        t.set(o.offerId, entry);
      }
    }
    runsShown.push(shown);
    if (seed % 50 === 49) {
      progress(seed + 1);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  progress(runs);
  // The engine decides placements in order and an offer shows once per
  // decision, so a later placement's logged propensity is conditional on the
  // offer not being taken earlier: compare it with the rate over those runs.
  const available = (placementIndex, offerId) =>
    runsShown.filter((shown) => !shown.slice(0, placementIndex).some((ids) => ids.includes(offerId))).length;
  return order.map((placement, index) => {
    const t = tallies.get(placement);
    const slots = [...t.values()].reduce((s, e) => s + e.count, 0);
    const offers = [...t].map(([offerId, e]) => {
      const free = available(index, offerId);
      return { offerId, count: e.count, share: slots ? e.count / slots : 0, rate: e.count / runs,
        available: free, conditionalRate: free ? e.count / free : 0, meanPropensity: e.propensitySum / e.count };
    }).sort((a, b) => b.count - a.count || a.offerId.localeCompare(b.offerId));
    return { placement, index, slots, runs, offers };
  });
}

/** One placement's bar chart (SVG) and its figures table. */
function chart(result) {
  const rowH = 26;
  const labelW = 190;
  const barW = 420;
  const height = result.offers.length * rowH + 8;
  const max = Math.max(...result.offers.map((o) => o.share), 0.0001);
  const plot = svg("svg", { viewBox: `0 0 ${labelW + barW + 70} ${height}`, role: "img", class: "sim-chart",
    "aria-label": `Share of ${result.slots} shown slots per offer in placement ${result.placement}` });
  result.offers.forEach((o, i) => {
    const y = i * rowH + 4;
    const w = Math.max(1, (o.share / max) * barW);
    const g = svg("g", { "data-offer": o.offerId });
    g.append(svg("title", {}, `${o.offerId}: ${o.count} of ${result.slots} slots (${pct(o.share)})`));
    g.append(svg("text", { x: labelW - 8, y: y + 16, "text-anchor": "end", class: "sim-label" }, o.offerId));
    g.append(svg("rect", { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, class: "sim-bar" }));
    g.append(svg("text", { x: labelW + w + 6, y: y + 16, class: "sim-value" }, pct(o.share)));
    plot.append(g);
  });
  const table = el("table", { class: "sim-table", "data-placement": result.placement },
    el("caption", { text: `Placement “${result.placement}”: ${result.slots} shown slots over ${result.runs} shoppers` }),
    el("thead", {}, el("tr", {}, ["Offer", "Impressions", "Share of slots", "Shown rate", "Shown rate when not taken earlier", "Mean logged propensity"]
      .map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, result.offers.map((o) => el("tr", { "data-offer": o.offerId, "data-count": o.count, "data-share": o.share,
      "data-rate": o.rate, "data-available": o.available, "data-conditional-rate": o.conditionalRate, "data-propensity": o.meanPropensity },
    el("td", {}, el("code", { text: o.offerId })), el("td", { class: "n", text: String(o.count) }), el("td", { class: "n", text: pct(o.share) }),
    el("td", { class: "n", text: pct(o.rate) }),
    el("td", { class: "n", text: result.index === 0 ? "(first placement)" : `${pct(o.conditionalRate)} of ${o.available}` }),
    el("td", { class: "n", text: num(o.meanPropensity, 3) })))),
  );
  return el("section", { class: "sim-placement", "data-placement": result.placement, "data-slots": result.slots },
    el("h3", { text: `Placement “${result.placement}”` }), plot, table);
}

/** Wires the simulation panel: `run` gets `{engine, context, blob, now}` from the page. */
export function simulationPanel(current) {
  const button = byId("simulate");
  const out = byId("sim-results");
  const bar = byId("sim-progress");
  const note = byId("sim-status");
  const RUNS = 1000;
  button.addEventListener("click", async () => {
    const input = current();
    if (!input) {
      status(note, "Load a bundle first.", "error");
      return;
    }
    button.disabled = true;
    bar.hidden = false;
    bar.max = RUNS;
    out.replaceChildren();
    out.dataset.state = "running";
    status(note, "Simulating…");
    try {
      const results = await simulate(input.engine, input.context, input.blob, input.now, RUNS, (done) => {
        bar.value = done;
      });
      out.replaceChildren(...results.map(chart));
      status(note, `${RUNS} shoppers with this persona and history, seeds 0–${RUNS - 1}. Bars: share of shown slots (sums to 100% per placement). The shown rate should match the mean logged propensity; placements are decided in order and an offer shows once per decision, so in later placements the engine logs the propensity given the offer was not taken earlier.`, "ok");
    } catch (e) {
      status(note, `Simulation failed: ${e.code ?? ""} ${e.message}`, "error");
    } finally {
      out.dataset.state = "done";
      button.disabled = false;
      bar.hidden = true;
    }
  });
  return {
    clear() {
      out.replaceChildren();
      delete out.dataset.state;
      status(note, "");
    },
  };
}
