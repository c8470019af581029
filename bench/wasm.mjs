// Benchmarks of pkg/ in Node (issue 5): decide and eligibleOffers latency over
// 100 / 1,000 / 5,000 offers against json-logic-engine (the fastest JS peer: its
// LogicEngine.build compiles each rule to a JS function), json-logic-js and a
// bare JS floor, bundle load warm
// and cold, cold start to first decision, and WASM memory.
// Run through scripts/bench (it builds pkg/ and the signed bundles first):
//   node bench/wasm.mjs <bundle dir>
// Timing: process.hrtime.bigint around each call, many short calls after a
// warm-up; p50/p99 over the samples. Prints a Markdown report.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import jsonLogic from "json-logic-js";
import { LogicEngine } from "json-logic-engine";
import * as full from "../pkg/node.js";
import * as page from "../pkg/page/offer_edge.js";

// The page build (pkg/page/) loading compiled forms (*.oeb, written by `sign`
// next to each signed JSON): what checkout pages run. Ratios against the
// full build loading JSON are in the load table.
page.initSync({ module: readFileSync(new URL("../pkg/page/offer_edge_bg.wasm", import.meta.url)) });
const { Engine, memoryBytes } = page;

const dir = process.argv[2];
const NOW = Date.parse("2026-06-01T00:00:00Z");
// [label, bundle file stem, offers]. "1000u" is the 1,000-offer bundle with
// every offer's rule made distinct (scripts/bench adds a never-false,
// offer-specific term): the demo bundles draw their rules from 73 shapes, and
// decide evaluates each distinct compiled rule once per call, which
// json-logic-js cannot do. The distinct run shows the engine without that help.
const SIZES = [["100", "100"], ["1,000", "1000"], ["5,000", "5000"], ["1,000, every rule distinct", "1000u"]];
const trustPath = `${dir}/trust.json`;
const trust = JSON.parse(readFileSync(trustPath, "utf8"));
const signedPath = (n) => `${dir}/s${n}.json`;
const formPath = (n) => `${dir}/s${n}.oeb`;
const draftPath = (n) => `${dir}/d${n}.json`;

// Checkout contexts cycled through by every measurement (same for all engines).
const STATES = ["CA", "NY", "TX", "FL", "IL", "PA", "WA", "OH"];
const CONTEXTS = Array.from({ length: 32 }, (_, i) => ({
  firstname: ["Ada", "Grace", "Alan", "Edsger"][i % 4],
  state: STATES[i % STATES.length],
  country: "US",
  amount: (15 + ((i * 37) % 300)).toFixed(2),
  age: 19 + ((i * 7) % 50),
  paymenttype: ["visa", "mastercard", "amex", "paypal"][i % 4],
  device: ["mobile", "desktop", "tablet"][i % 3],
  customertype: i % 2 ? "new" : "returning",
  loyaltytier: ["gold", "silver", "none"][i % 3],
}));

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
/** Per-call latency samples (µs) of fn(i) after `warm` warm-up calls. */
function sample(fn, n, warm = Math.min(200, n)) {
  for (let i = 0; i < warm; i++) fn(i);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    out[i] = Number(process.hrtime.bigint() - t) / 1e3;
  }
  out.sort();
  return { p50: pct(out, 50), p99: pct(out, 99), n };
}
/** Latency (µs) of a batch of `inner` calls, divided by inner (for sub-µs work). */
function sampleBatched(fn, n, inner) {
  const out = new Float64Array(n);
  for (let w = 0; w < 50; w++) for (let i = 0; i < inner; i++) fn(i);
  for (let s = 0; s < n; s++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn(i);
    out[s] = Number(process.hrtime.bigint() - t) / 1e3 / inner;
  }
  out.sort();
  return { p50: pct(out, 50), p99: pct(out, 99), n: n * inner };
}
const fmt = (x, d = 1) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));

// json-logic-js needs the one domain operator the demo rules use; local_hour
// in the bundle's offset, as the engine computes it.
jsonLogic.add_operation("local_hour", () => new Date(NOW).getUTCHours());
// json-logic-engine, the same operator; rules are built once per bundle (as the engine compiles once per load).
const logicEngine = new LogicEngine();
logicEngine.addMethod("local_hour", () => new Date(NOW).getUTCHours(), { deterministic: false });
/** The context as json-logic-js data: numbers where the engine reads numbers. */
const logicData = (c) => ({ ...c, amount: Number(c.amount) });

/** The smallest integer an offer's rule compares `amount` against (the floor's one compare). */
function threshold(rule) {
  let min = 0;
  const walk = (r) => {
    if (Array.isArray(r)) return r.forEach(walk);
    if (r && typeof r === "object") {
      for (const [op, args] of Object.entries(r)) {
        if (op === ">=" && Array.isArray(args) && args[0]?.var === "amount") min = Math.max(min, args[1] | 0);
        walk(args);
      }
    }
  };
  walk(rule);
  return min;
}

const rows = [];
const report = [];
for (const [n, stem] of SIZES) {
  const engine = new Engine({ ...trust, maxBundleBytes: 16 * 1024 * 1024 });
  engine.load(readFileSync(formPath(stem)), NOW);
  const calls = stem === "5000" ? 1000 : 3000;
  const ours = sample((i) => engine.decide(CONTEXTS[i % CONTEXTS.length], null, NOW), calls);
  // Like for like with json-logic-js: the same rules over the same contexts,
  // answering only "which offers are eligible" (plus audiences, caps, declines).
  const eligible = sample((i) => engine.eligibleOffers(CONTEXTS[i % CONTEXTS.length], null, NOW), calls);

  const draft = JSON.parse(readFileSync(draftPath(stem), "utf8"));
  const rules = draft.offers.map((o) => o.eligibility ?? true);
  const datas = CONTEXTS.map(logicData);
  let sink = 0;
  const logic = sample((i) => {
    const d = datas[i % datas.length];
    for (let k = 0; k < rules.length; k++) if (jsonLogic.apply(rules[k], d)) sink++;
  }, stem === "5000" ? 300 : 1000);

  const built = rules.map((r) => logicEngine.build(r));
  // Both peers must agree on what is eligible, or the comparison is void.
  for (const d of datas) {
    const a = rules.filter((r) => jsonLogic.apply(r, d)).length;
    const b = built.filter((f) => f(d)).length;
    if (a !== b) throw new Error(`json-logic-js (${a}) and json-logic-engine (${b}) disagree on ${JSON.stringify(d)}`);
  }
  const logicBuilt = sample((i) => {
    const d = datas[i % datas.length];
    for (let k = 0; k < built.length; k++) if (built[k](d)) sink++;
  }, calls);

  const mins = Int32Array.from(draft.offers.map((o) => threshold(o.eligibility)));
  const amounts = Int32Array.from(CONTEXTS.map((c) => Number(c.amount) | 0));
  const floor = sampleBatched((i) => {
    const a = amounts[i & 31];
    for (let k = 0; k < mins.length; k++) if (a >= mins[k]) sink++;
  }, 500, 20);
  if (sink === -1) console.log(sink);
  engine.free();
  rows.push({ n, ours, eligible, logic, logicBuilt, floor });
}

// Bundle load: warm (same process, repeated) and cold (fresh node per sample).
const offersFor1MB = Number(readFileSync(`${dir}/onemb-offers.txt`, "utf8"));
const loads = [];
for (const [label, file, form] of [
  ["100 offers", signedPath(100), formPath(100)],
  [`~1 MB (${offersFor1MB} offers)`, `${dir}/s1mb.json`, `${dir}/s1mb.oeb`],
]) {
  const bytes = readFileSync(form);
  const json = readFileSync(file);
  // Each sample frees its engine: WASM memory only grows, so engines left to
  // the GC would make every later load allocate (and grow memory) afresh.
  const warm = sample(() => {
    const engine = new Engine(trust);
    engine.load(bytes, NOW);
    engine.free();
  }, 60, 5);
  // The same bundle as JSON in the full build (verify + parse + compile): the path the form replaces.
  const warmJson = sample(() => {
    const engine = new full.Engine(trust);
    engine.load(json, NOW);
    engine.free();
  }, 60, 5);
  const cold = [];
  for (let s = 0; s < 12; s++) cold.push(JSON.parse(child("load", form)).load * 1000);
  cold.sort((a, b) => a - b);
  loads.push({ label, bytes: bytes.length, jsonBytes: json.length, warm, warmJson, cold: { p50: pct(cold, 50), p99: cold[cold.length - 1], n: cold.length } });
}

function child(mode, file) {
  return execFileSync(process.execPath, [fileURLToPath(new URL("cold.mjs", import.meta.url)), mode, file, trustPath], {
    encoding: "utf8",
  });
}
const starts = [];
for (let s = 0; s < 15; s++) starts.push(JSON.parse(child("start", formPath(100))));
const med = (k) => pct(starts.map((x) => x[k]).sort((a, b) => a - b), 50);
const mem = JSON.parse(
  execFileSync(process.execPath, [fileURLToPath(new URL("cold.mjs", import.meta.url)), "memory", formPath(5000), `${dir}/trust16.json`], {
    encoding: "utf8",
  }),
);

const MB = 1024 * 1024;
report.push(`Machine: ${cpus()[0].model}, ${cpus().length} vCPU (shared), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
report.push(`Command: bash scripts/bench`);
report.push("");
report.push("Full decision (`decide`: eligibility, ranking with exploration, rendering, receipts, JS object) against json-logic-js evaluating only the rules:");
report.push("");
report.push("| offers | decide p50 | decide p99 | json-logic-js p50 (all rules) | ratio json-logic ÷ decide | floor p50 | decide ÷ floor |");
report.push("|---:|---:|---:|---:|---:|---:|---:|");
for (const { n, ours, logic, floor } of rows) {
  report.push(`| ${n} | ${fmt(ours.p50)} µs | ${fmt(ours.p99)} µs | ${fmt(logic.p50)} µs | ${(logic.p50 / ours.p50).toFixed(2)}× | ${fmt(floor.p50, 2)} µs | ${fmt(ours.p50 / floor.p50)}× |`);
}
report.push("");
report.push("Like for like (`eligibleOffers`: the ids of offers passing rules, audiences, caps and declines, as a JS string[]) against json-logic-engine's built rules (5.0.7), json-logic-js and the floor on the same rules and contexts (ratio > 1: we are faster):");
report.push("");
report.push("| offers | eligibleOffers p50 | eligibleOffers p99 | json-logic-engine (built) p50 | ratio json-logic-engine ÷ eligibleOffers | json-logic-js p50 | ratio json-logic-js ÷ eligibleOffers | floor p50 | eligibleOffers ÷ floor |");
report.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const { n, eligible, logic, logicBuilt, floor } of rows) {
  report.push(`| ${n} | ${fmt(eligible.p50)} µs | ${fmt(eligible.p99)} µs | ${fmt(logicBuilt.p50)} µs | ${(logicBuilt.p50 / eligible.p50).toFixed(2)}× | ${fmt(logic.p50)} µs | ${(logic.p50 / eligible.p50).toFixed(2)}× | ${fmt(floor.p50, 2)} µs | ${fmt(eligible.p50 / floor.p50)}× |`);
}
report.push("");
report.push("Bundle load: the page build loading the compiled form (verify + digest + read) against the full build loading the same bundle's signed JSON (verify + parse + validate + compile):");
report.push("");
report.push("| bundle | form bytes | JSON bytes | form load warm p50 | warm p99 | JSON load warm p50 | JSON ÷ form | form load cold p50 (fresh process) | cold max |");
report.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const l of loads) {
  report.push(`| ${l.label} | ${l.bytes} | ${l.jsonBytes} | ${fmt(l.warm.p50 / 1000, 2)} ms | ${fmt(l.warm.p99 / 1000, 2)} ms | ${fmt(l.warmJson.p50 / 1000, 2)} ms | ${(l.warmJson.p50 / l.warm.p50).toFixed(2)}× | ${fmt(l.cold.p50 / 1000, 2)} ms | ${fmt(l.cold.p99 / 1000, 2)} ms |`);
}
report.push("");
report.push(`Cold start to first decision (fresh node, 100 offers, median of ${starts.length}): import+instantiate ${med("instantiate").toFixed(2)} ms + load ${med("load").toFixed(2)} ms + first decide ${med("decide").toFixed(2)} ms = **${med("total").toFixed(2)} ms**`);
report.push("");
report.push(`WASM memory after loading the 5,000-offer bundle: **${(mem.afterLoad / MB).toFixed(1)} MiB** (${mem.afterLoad} bytes); after one decide ${(mem.afterDecide / MB).toFixed(1)} MiB. This process after all runs: ${(memoryBytes() / MB).toFixed(1)} MiB.`);
console.log(report.join("\n"));
