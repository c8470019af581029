// Differential test of the rule engine against json-logic-js 2.0.5 (the
// reference the semantics in docs/RULES.md follow): random rules over the
// operators the core supports, random JSON data, a fixed seed. Each rule runs
// in json-logic-js and in the core through pkg/'s `evaluateRule` (the core's
// own compile + apply); the results must be the same JSON.
//
// What is compared: both results as JSON text with sorted keys, i.e. as a host
// would see them. JSON has no `undefined`, NaN or ±Infinity, so a top-level
// `undefined` and non-finite numbers read as `null` on both sides, and -0 as
// 0; inside a rule they still count (`{">=": [1, {"or": []}]}` is false).
//
// What is not generated, on purpose (each is listed in docs/RULES.md,
// "Differences from json-logic-js"): rules the core refuses at compile
// (arities, objects that are not one operator, literal arrays as `var`
// paths, over-budget rules: counted, must stay rare), `{"var": ""}` inside a
// `reduce` body, property names of JavaScript prototypes ("constructor",
// "toString"…) as paths, strings outside the Basic Multilingual Plane, and
// rules on which json-logic-js itself throws (counted, must stay rare).
import { test } from "node:test";
import assert from "node:assert/strict";
import jsonLogic from "json-logic-js";
import { evaluateRule } from "../../pkg/node.js";

const SEED = 0x5eed_2026;
const RULES = 12_000;
const DATA_PER_RULE = 2;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const chance = (p) => rand() < p;

const NUMBERS = [0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, -3.5, 2.5, 7, 10, 100, -100, 1e21, 1e-7, 123.456, 4294967296, 0.1, 0.2];
const STRINGS = ["", "a", "b", "abc", "jsonlogic", "0", "1", "12", " 3 ", "1e3", "0x1F", "12px", "-2", "2.5", ".5",
  "true", "null", "undefined", "a,b", "é", "日本", "Spring", "Springfield", "A", "[object Object]", "Infinity", "-0", "x.y", "1,2"];
const KEYS = ["a", "b", "c", "n", "s", "arr", "obj", "x", "y", "0", "1"];
const ROOT_PATHS = [...KEYS, "obj.x", "obj.a", "arr.0", "arr.1", "arr.length", "s.length", "a.b", "nope", "obj.arr.0", "x.0", ""];
const ITEM_PATHS = ["", "x", "a", "0", "1", "length", "obj.x", "nope"];
const REDUCE_PATHS = ["current", "accumulator", "current.x", "current.0", "accumulator.0", "accumulator.length", "current.length", "nope"];

function scalar() {
  const r = rand();
  if (r < 0.45) return pick(NUMBERS);
  if (r < 0.8) return pick(STRINGS);
  if (r < 0.93) return chance(0.5);
  return null;
}

function dataValue(depth) {
  const r = rand();
  if (depth < 2 && r < 0.12) return Array.from({ length: int(5) }, () => dataValue(depth + 1));
  if (depth < 2 && r < 0.22) return dataObject(depth + 1);
  return scalar();
}

function dataObject(depth = 0) {
  const out = {};
  for (let i = 0, n = 2 + int(6); i < n; i++) out[pick(KEYS)] = dataValue(depth);
  return out;
}

/** A literal array of scalars (plain data: the core keeps it as a constant). */
const literalArray = () => Array.from({ length: int(5) }, scalar);

function path(scope) {
  if (scope === "item") return pick(ITEM_PATHS);
  if (scope === "reduce") return pick(REDUCE_PATHS);
  return chance(0.05) ? pick([0, 1]) : pick(ROOT_PATHS);
}

function leaf(scope) {
  const r = rand();
  if (r < 0.3) return scalar();
  if (r < 0.65) {
    const p = path(scope);
    return chance(0.2) ? { var: [p, scalar()] } : { var: p };
  }
  if (r < 0.75) return literalArray();
  if (r < 0.85) return { [pick(["and", "or"])]: [] }; // json-logic-js: undefined
  return { var: path(scope) };
}

/** Something likely to be an array. */
function arrayish(depth, scope) {
  const r = rand();
  if (r < 0.35) return literalArray();
  if (r < 0.6) return { var: scope === "reduce" ? pick(["current", "accumulator"]) : scope === "item" ? "" : pick(["arr", "obj.arr", "a", "s"]) };
  if (r < 0.8) return { merge: args(depth, scope, 0, 3) };
  return gen(depth + 1, scope);
}

function args(depth, scope, min, max) {
  return Array.from({ length: min + int(max - min + 1) }, () => gen(depth + 1, scope));
}

const OPS = ["var", "dynvar", "missing", "missing_some", "if", "?:", "and", "or", "!", "!!", "==", "===", "!=", "!==",
  "<", "<=", ">", ">=", "in", "+", "*", "-", "/", "%", "min", "max", "cat", "substr", "merge", "map", "filter", "all",
  "some", "none", "reduce", "log"];

function gen(depth, scope = "root") {
  if (depth >= 5 || chance(0.12 + depth * 0.15)) return leaf(scope);
  const op = pick(OPS);
  const a = (min, max) => args(depth, scope, min, max);
  switch (op) {
    case "var":
      return chance(0.3) ? { var: [path(scope), gen(depth + 1, scope)] } : { var: path(scope) };
    case "dynvar": {
      // A path computed by logic; not `{"var": ""}` in a reduce body (see
      // above), so no empty or `undefined` path there.
      const p = String(path(scope));
      const options = [{ cat: [p] }, { cat: [p.slice(0, 1), p.slice(1)] }, { if: [gen(depth + 1, scope), p, "x"] },
        { substr: [`${p}.0`, 0, -2] }];
      if (scope !== "reduce") options.push({ and: [] }, { substr: ["obj.x", int(3)] }, { if: [] });
      return { var: pick(options) };
    }
    case "missing":
      return chance(0.3) ? { missing: { merge: [literalArrayOfKeys(scope), a(0, 1)[0] ?? []] } } : { missing: keys(scope) };
    case "missing_some":
      return { missing_some: [chance(0.7) ? int(4) : gen(depth + 1, scope), keys(scope)] };
    case "if":
    case "?:":
    case "and":
    case "or":
    case "min":
    case "max":
    case "cat":
    case "merge":
      return { [op]: a(0, 4) };
    case "!":
    case "!!":
    case "log":
      return { [op]: [gen(depth + 1, scope)] };
    case "==":
    case "===":
    case "!=":
    case "!==":
    case ">":
    case ">=":
    case "/":
    case "%":
      return { [op]: a(2, 2) };
    case "<":
    case "<=":
      return { [op]: a(2, 3) };
    case "-":
      return { [op]: a(1, 2) };
    case "+":
      return { [op]: a(0, 4) };
    case "*":
      return { [op]: a(1, 3) };
    case "in":
      return { in: [gen(depth + 1, scope), chance(0.4) ? (chance(0.5) ? pick(STRINGS) : literalArray()) : gen(depth + 1, scope)] };
    case "substr": {
      const n = () => (chance(0.7) ? pick([0, 1, 2, -1, -2, -3.5, 1.5, -0.5, 4, 20, -20]) : gen(depth + 1, scope));
      return { substr: chance(0.5) ? [gen(depth + 1, scope), n()] : [gen(depth + 1, scope), n(), n()] };
    }
    case "map":
    case "filter":
    case "all":
    case "some":
    case "none":
      return { [op]: [arrayish(depth, scope), gen(depth + 1, "item")] };
    case "reduce": {
      const body = gen(depth + 1, "reduce");
      return { reduce: chance(0.3) ? [arrayish(depth, scope), body] : [arrayish(depth, scope), body, gen(depth + 1, scope)] };
    }
  }
  throw new Error(op);
}

/** Key lists for missing / missing_some: plain strings, sometimes [path, default]. */
function keys(scope) {
  return Array.from({ length: 1 + int(3) }, () => (chance(0.15) ? [String(path(scope)), scalar()] : String(path(scope))));
}
const literalArrayOfKeys = (scope) => Array.from({ length: int(3) }, () => String(path(scope)));

/** JSON text with object keys sorted, `undefined` as null (what a host sees). */
function canonical(value) {
  return JSON.stringify(value === undefined ? null : value, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

test(`${RULES} random rules × ${DATA_PER_RULE} data agree with json-logic-js (seed ${SEED.toString(16)})`, () => {
  const started = Date.now();
  const log = console.log;
  const differences = [];
  const counts = { compared: 0, jsThrew: 0, refused: 0, budget: 0 };
  for (let i = 0; i < RULES; i++) {
    const ruleText = JSON.stringify(gen(0));
    for (let j = 0; j < DATA_PER_RULE; j++) {
      const dataText = JSON.stringify(dataObject());
      let expected;
      console.log = () => {}; // `log` prints in json-logic-js
      try {
        expected = canonical(jsonLogic.apply(JSON.parse(ruleText), JSON.parse(dataText)));
      } catch {
        counts.jsThrew++;
        continue;
      } finally {
        console.log = log;
      }
      let got;
      try {
        got = canonical(evaluateRule(ruleText, dataText));
      } catch (e) {
        assert.equal(e.name, "OfferEdgeError", `${ruleText}: not an OfferEdgeError: ${e}`);
        if (e.code === "RULE_INVALID" && /costs|builds/.test(e.message)) counts.refused++;
        else if (e.code === "RULE_BUDGET") counts.budget++;
        else differences.push({ rule: ruleText, data: dataText, expected, got: `${e.code}: ${e.message}` });
        continue;
      }
      counts.compared++;
      if (got !== expected) differences.push({ rule: ruleText, data: dataText, expected, got });
    }
  }
  const total = RULES * DATA_PER_RULE;
  const seconds = (Date.now() - started) / 1000;
  console.log(`rules-differential: ${JSON.stringify(counts)} of ${total} in ${seconds.toFixed(1)} s`);
  assert.deepEqual(differences.slice(0, 5), [], `${differences.length} differences, first 5 shown`);
  assert.ok(counts.compared >= 10_000, `only ${counts.compared} compared`);
  assert.ok(counts.jsThrew + counts.refused + counts.budget < total * 0.05, JSON.stringify(counts));
});

test("the reported conformance cases", () => {
  // Empty and/or are undefined, which compares as NaN; a fractional negative
  // substr length is added before truncating.
  for (const [rule, data] of [
    [{ ">=": [1, { or: [] }] }, {}],
    [{ "<": [{ and: [] }, 1] }, {}],
    [{ "==": [null, { and: [] }] }, {}],
    [{ "===": [null, { and: [] }] }, {}],
    [{ "-": [5, { or: [] }] }, {}],
    [{ "<": [1, 2, { and: [] }] }, {}],
    [{ substr: ["jsonlogic", 0, -3.5] }, {}],
    [{ substr: ["jsonlogic", 2, { and: [] }] }, {}],
    [{ cat: [{ and: [] }, "|", { in: [{ or: [] }, "xundefinedx"] }] }, {}],
    [{ "*": [-1, 0, 5] }, {}],
    [{ "/": [1, { "+": [{ "*": [-1, 0] }] }] }, {}],
    [{ missing_some: [2, "ab"] }, { ab: 1 }],
    [{ missing: ["a", ["b", 5]] }, {}],
    [{ var: ["x", { and: [] }] }, {}],
    [{ reduce: [[1, 2], { var: "accumulator" }, { and: [] }] }, {}],
  ]) {
    const expected = canonical(jsonLogic.apply(rule, data));
    assert.equal(canonical(evaluateRule(rule, data)), expected, JSON.stringify(rule));
  }
  assert.equal(evaluateRule({ ">=": [1, { or: [] }] }, {}), false);
  assert.equal(evaluateRule({ substr: ["jsonlogic", 0, -3.5] }, {}), "jsonl");
});
