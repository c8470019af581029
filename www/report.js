// The report page (www/report.html): a partner's (or one advertiser's)
// billable figures from GET /v1/reports/:partner (docs/REPORTS.md), drawn
// here — KPI tiles, a daily chart, accept rate per offer with its interval,
// top offers and advertisers — with no library and no inline script or style
// (the CSP of www/_headers).
//
// Every string the API returns (offer and advertiser ids above all) was
// written by someone else: it only ever becomes text (`textContent`, SVG
// <text>/<title>) or an attribute value, never markup.
//
// The API secret comes from the URL fragment (`#partner=…&secret=…`, never
// sent to a server; removed from the address bar once read) or the form; it
// is kept in memory and in this tab's sessionStorage, and only ever sent as
// an Authorization header.
//
// Figures carry `data-figure` (and `data-value`, the raw number) so tests read
// what is shown without parsing formatted text; table rows carry `data-day`,
// `data-offer` or `data-advertiser`.

const SVG = "http://www.w3.org/2000/svg";
const STORE = "offer-edge:report";
const DAY_MS = 86_400_000;
const COUNTS = ["impressions", "accepts", "declines", "closes", "conversions", "confirmations", "reminders"];
const UNVERIFIED = ["impression", "accept", "decline", "close", "conversion"];
/** Offers drawn in the accept-rate chart (the table has them all). */
const RATE_CHART_OFFERS = 20;

const $ = (id) => document.getElementById(id);
const integer = new Intl.NumberFormat("en");
const percent = (x) => `${(x * 100).toFixed(1)}%`;
const ciText = (ci) => (ci ? `${(ci[0] * 100).toFixed(1)}–${percent(ci[1])}` : "");

/** In memory; mirrored to sessionStorage (this tab only, gone when it closes). */
let credentials = { partner: "", secret: "" };
/** Each load's number: an older answer arriving late is dropped. */
let generation = 0;

function setState(state) {
  document.documentElement.dataset.report = state;
}

function status(text) {
  $("status").textContent = text;
}

// ---------------------------------------------------------------- credentials

function readFragment() {
  if (location.hash.length < 2) return {};
  const params = new URLSearchParams(location.hash.slice(1));
  // The secret must not stay in the address bar, the history or a bookmark.
  history.replaceState(history.state, "", location.pathname + location.search);
  const out = {};
  for (const key of ["partner", "secret", "from", "to", "advertiser"]) {
    const value = params.get(key);
    if (value) out[key] = value;
  }
  return out;
}

function loadStored() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORE) ?? "null");
    if (stored && typeof stored.partner === "string" && typeof stored.secret === "string") return stored;
  } catch {
    // unreadable: ignore
  }
  return null;
}

function store() {
  try {
    if (credentials.secret) sessionStorage.setItem(STORE, JSON.stringify(credentials));
    else sessionStorage.removeItem(STORE);
  } catch {
    // storage disabled: memory only
  }
}

// ---------------------------------------------------------------- dates

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);

function defaultRange() {
  const today = dayMs(isoDay(Date.now()));
  return { from: isoDay(today - 29 * DAY_MS), to: isoDay(today) };
}

/** Every day from `from` to `to` inclusive (at most `limit`). */
function daysOf(from, to, limit = 1100) {
  const out = [];
  for (let t = dayMs(from), end = dayMs(to); t <= end && out.length < limit; t += DAY_MS) out.push(isoDay(t));
  return out;
}

const shortDay = (day) => new Date(dayMs(day)).toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });

// ---------------------------------------------------------------- API

class ReportError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function getReport({ partner, secret, from, to, advertiser }, groupBy) {
  const query = new URLSearchParams({ from, to, groupBy });
  if (advertiser) query.set("advertiser", advertiser);
  let res;
  try {
    res = await fetch(`/v1/reports/${encodeURIComponent(partner)}?${query}`, {
      headers: { authorization: `Bearer ${secret}`, accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    });
  } catch (e) {
    throw new ReportError("NETWORK_ERROR", `The edge could not be reached (${e.message}).`);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const error = body?.error ?? {};
    throw new ReportError(String(error.code ?? `HTTP_${res.status}`), String(error.message ?? res.statusText));
  }
  if (!body || typeof body !== "object" || !body.totals || !Array.isArray(body.rows)) {
    throw new ReportError("BAD_ANSWER", "The edge's answer is not a report.");
  }
  return body;
}

// ---------------------------------------------------------------- DOM helpers

/** An HTML element with text content (never markup) and attributes. */
function el(tag, { text, cls, attrs } = {}, parent) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (cls) node.className = cls;
  for (const [k, v] of Object.entries(attrs ?? {})) node.setAttribute(k, String(v));
  if (parent) parent.append(node);
  return node;
}

/** An SVG element; `text` becomes its text content. */
function svg(tag, attrs = {}, parent, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  if (parent) parent.append(node);
  return node;
}

/** A number cell: formatted text, the raw value in `data-value`, its name in `data-figure`. */
function numberCell(tr, figure, value) {
  return el("td", { text: integer.format(value), cls: "n", attrs: { "data-figure": figure, "data-value": value } }, tr);
}

function rateCell(tr, row) {
  const td = el("td", { cls: "n", attrs: { "data-figure": "acceptRate", "data-value": row.acceptRate ?? "" } }, tr);
  if (row.acceptRate === null || row.acceptRate === undefined) {
    td.textContent = "–";
    return td;
  }
  td.textContent = percent(row.acceptRate);
  if (row.acceptRateCi) {
    td.dataset.ciLow = row.acceptRateCi[0];
    td.dataset.ciHigh = row.acceptRateCi[1];
    el("span", { text: ` (${ciText(row.acceptRateCi)})`, cls: "ci" }, td);
  }
  return td;
}

/** `text` cut to `max` characters with an ellipsis. */
const cut = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

// ---------------------------------------------------------------- figures

function showTotals(report) {
  const t = report.totals;
  for (const name of COUNTS) {
    const tile = document.querySelector(`.kpi[data-figure="${name}"]`);
    tile.dataset.value = t[name];
    tile.querySelector(".kpi-value").textContent = integer.format(t[name]);
  }
  const rate = document.querySelector('.kpi[data-figure="acceptRate"]');
  rate.dataset.value = t.acceptRate ?? "";
  rate.querySelector(".kpi-value").textContent = t.acceptRate === null ? "–" : percent(t.acceptRate);
  const sub = rate.querySelector(".kpi-sub");
  if (t.acceptRateCi) {
    rate.dataset.ciLow = t.acceptRateCi[0];
    rate.dataset.ciHigh = t.acceptRateCi[1];
    sub.textContent = `95 % CI: ${ciText(t.acceptRateCi)}`;
  } else {
    delete rate.dataset.ciLow;
    delete rate.dataset.ciHigh;
    sub.textContent = "no impressions";
  }
  const block = $("unverified-block");
  block.hidden = !report.unverified;
  for (const type of UNVERIFIED) {
    const tile = document.querySelector(`.kpi[data-figure="unverified-${type}"]`);
    const n = report.unverified?.[type] ?? 0;
    tile.dataset.value = n;
    tile.querySelector(".kpi-value").textContent = integer.format(n);
  }
}

/** A "nice" axis top and step for values up to `max`, about `ticks` steps. */
function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { top: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

/** The drawing width of `figure`: its own, so text keeps its size on a phone. */
const widthOf = (figure) => Math.max(300, Math.round(figure.clientWidth || 960));

function chartSvg(figure, width, height, label) {
  figure.replaceChildren();
  figure.dataset.width = width;
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label }, figure);
}

function drawDaily(report, byDay) {
  const figure = $("daily-chart");
  const days = daysOf(report.from, report.to);
  const W = widthOf(figure), H = W < 600 ? 220 : 280, L = 48, R = 8, T = 14, B = 34;
  const plotW = W - L - R, plotH = H - T - B;
  const max = Math.max(0, ...days.map((d) => byDay.get(d)?.impressions ?? 0));
  const { top, step } = niceScale(max);
  const y = (v) => T + plotH - (v / top) * plotH;
  const root = chartSvg(figure, W, H,
    `Daily impressions and accepts from ${report.from} to ${report.to}; the table below lists the figures.`);
  const grid = svg("g", { class: "grid" }, root);
  for (let v = 0; v <= top + 1e-9; v += step) {
    svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v) }, grid);
    svg("text", { x: L - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, grid, integer.format(v));
  }
  const slot = plotW / days.length;
  const bar = Math.max(1, slot * 0.38);
  const bars = svg("g", { class: "bars" }, root);
  // A day label every ~70 px.
  const every = Math.ceil(days.length / Math.max(2, Math.floor(plotW / 70)));
  days.forEach((day, i) => {
    const row = byDay.get(day);
    const x0 = L + i * slot + (slot - 2 * bar) / 2;
    const g = svg("g", { "data-day": day }, bars);
    for (const [j, series] of ["impressions", "accepts"].entries()) {
      const v = row?.[series] ?? 0;
      const rect = svg("rect", {
        x: x0 + j * bar, y: y(v), width: bar, height: Math.max(0, T + plotH - y(v)),
        class: `bar bar-${series}`, "data-series": series, "data-value": v,
      }, g);
      svg("title", {}, rect, `${day}: ${integer.format(v)} ${series}`);
    }
    if (i % every === 0) {
      svg("text", { x: L + i * slot + slot / 2, y: H - B + 18, class: "tick", "text-anchor": "middle" }, root, shortDay(day));
    }
  });
  svg("line", { x1: L, x2: W - R, y1: T + plotH, y2: T + plotH, class: "axis" }, root);
}

function fillDailyTable(report, byDay) {
  const body = $("daily-table").tBodies[0];
  body.replaceChildren();
  for (const day of daysOf(report.from, report.to)) {
    const row = byDay.get(day);
    if (!row) continue;
    const tr = el("tr", { attrs: { "data-day": day } }, body);
    el("th", { text: day, attrs: { scope: "row" } }, tr);
    numberCell(tr, "impressions", row.impressions);
    numberCell(tr, "accepts", row.accepts);
    rateCell(tr, row);
    numberCell(tr, "declines", row.declines);
    numberCell(tr, "closes", row.closes);
    numberCell(tr, "confirmations", row.confirmations);
  }
}

/**
 * Accept rate per offer: a dot at the rate, whiskers over the interval. Wide:
 * the offer id left of its row and the figures right of it; narrow (a
 * phone): id and figures above the whisker, which spans the width.
 */
function drawRates(rows) {
  const shown = rows.filter((r) => r.impressions > 0 && r.acceptRate !== null)
    .sort((a, b) => b.impressions - a.impressions || compare(a.offer, b.offer))
    .slice(0, RATE_CHART_OFFERS)
    .sort((a, b) => b.acceptRate - a.acceptRate || compare(a.offer, b.offer));
  const figure = $("rate-chart");
  const total = rows.filter((r) => r.impressions > 0).length;
  if (!shown.length) {
    figure.replaceChildren(el("p", { text: "No offer had an impression in this range.", cls: "muted" }));
    return;
  }
  const W = widthOf(figure);
  const narrow = W < 640;
  const ROW = narrow ? 46 : 28, T = 26, B = 8;
  const LABEL = narrow ? 10 : Math.min(230, Math.round(W * 0.26)), RIGHT = narrow ? 10 : 150;
  const H = T + shown.length * ROW + B;
  const plotW = W - LABEL - RIGHT;
  const hi = Math.min(1, Math.max(...shown.map((r) => (r.acceptRateCi ? r.acceptRateCi[1] : r.acceptRate))));
  const { top, step } = niceScale(Math.max(hi, 0.05), 4);
  const domain = Math.min(1, top);
  const x = (v) => LABEL + (Math.min(Math.max(v, 0), domain) / domain) * plotW;
  const more = total > shown.length ? `; the ${shown.length} offers with most impressions of ${total}` : "";
  const root = chartSvg(figure, W, H, `Accept rate per offer with 95 % confidence intervals${more}; the offers table lists every figure.`);
  const grid = svg("g", { class: "grid" }, root);
  for (let v = 0; v <= domain + 1e-9; v += step) {
    svg("line", { x1: x(v), x2: x(v), y1: T - 6, y2: H - B }, grid);
    svg("text", { x: x(v), y: T - 10, class: "tick", "text-anchor": !narrow ? "middle" : v === 0 ? "start" : v + step > domain + 1e-9 ? "end" : "middle" }, grid, `${Math.round(v * 100)}%`);
  }
  shown.forEach((row, i) => {
    const y0 = T + i * ROW;
    const cy = narrow ? y0 + ROW - 13 : y0 + ROW / 2;
    const g = svg("g", { class: "rate-row", "data-offer": row.offer, "data-value": row.acceptRate }, root);
    if (row.acceptRateCi) {
      g.dataset.ciLow = row.acceptRateCi[0];
      g.dataset.ciHigh = row.acceptRateCi[1];
    }
    if (i % 2 === 0) svg("rect", { x: 0, y: y0, width: W, height: ROW, class: "stripe" }, g);
    const figures = `${percent(row.acceptRate)} · ${integer.format(row.accepts)}/${integer.format(row.impressions)}`;
    if (narrow) {
      svg("text", { x: LABEL, y: y0 + 15, class: "label" }, g, cut(row.offer, Math.floor(W / 14)));
      svg("text", { x: W - RIGHT, y: y0 + 15, class: "value", "text-anchor": "end" }, g, figures);
    } else {
      svg("text", { x: LABEL - 10, y: cy + 4, class: "label", "text-anchor": "end" }, g, cut(row.offer, Math.floor(LABEL / 8)));
      svg("text", { x: W - RIGHT + 10, y: cy + 4, class: "value" }, g, figures);
    }
    if (row.acceptRateCi) {
      const [lo, hiCi] = row.acceptRateCi;
      svg("line", { x1: x(lo), x2: x(hiCi), y1: cy, y2: cy, class: "whisker" }, g);
      for (const v of [lo, hiCi]) svg("line", { x1: x(v), x2: x(v), y1: cy - 6, y2: cy + 6, class: "whisker" }, g);
    }
    svg("circle", { cx: x(row.acceptRate), cy, r: 5, class: "dot" }, g);
    // The row's tooltip: the whole id (the label may be cut) and its figures.
    g.prepend(svg("title", {}, undefined, `${row.offer}: ${percent(row.acceptRate)} of ${integer.format(row.impressions)} impressions`
      + (row.acceptRateCi ? ` (95 % CI ${ciText(row.acceptRateCi)})` : "")));
  });
}

const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const byAccepts = (key) => (a, b) => b.accepts - a.accepts || b.impressions - a.impressions || compare(a[key], b[key]);

/**
 * One ranking table (`table`: its id), most accepts first: the `key` column
 * (offer or advertiser id, as text), accepts, impressions, the rate with its
 * interval, then the `more` counters.
 */
function fillRanking(table, rows, key, more) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  for (const row of [...rows].sort(byAccepts(key))) {
    const tr = el("tr", { attrs: { [`data-${key}`]: row[key] } }, body);
    el("th", { text: row[key], cls: "id", attrs: { scope: "row" } }, tr);
    numberCell(tr, "accepts", row.accepts);
    numberCell(tr, "impressions", row.impressions);
    rateCell(tr, row);
    for (const counter of more) numberCell(tr, counter, row[counter]);
  }
}

const fillOffers = (rows) => fillRanking("offers-table", rows, "offer", ["declines", "closes", "conversions", "confirmations"]);
const fillAdvertisers = (rows) => fillRanking("advertisers-table", rows, "advertiser", ["confirmations"]);

/** What the charts show, kept to draw them again at a new width. */
let drawn = null;

function drawCharts() {
  if (!drawn) return;
  drawDaily(drawn.daily, drawn.byDay);
  drawRates(drawn.offers);
}

/** Charts are drawn at their container's width: again when it changes. */
function redrawOnResize() {
  let pending = false;
  addEventListener("resize", () => {
    if (pending || !drawn) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (Number($("daily-chart").dataset.width) !== widthOf($("daily-chart"))) drawCharts();
    });
  });
}

function render(query, daily, offers, advertisers) {
  $("range").textContent = `${daily.from} – ${daily.to} (UTC)`;
  $("view").textContent = daily.view === "advertiser"
    ? `Advertiser view: ${daily.advertiser}'s offers with ${daily.partner}`
    : `Partner view: ${daily.partner}`;
  showTotals(daily);
  const t = daily.totals;
  const empty = !daily.rows.length && COUNTS.every((k) => !t[k]);
  $("empty").hidden = !empty;
  $("details").hidden = empty;
  $("export").hidden = daily.view !== "partner";
  $("report").hidden = false;
  const byDay = new Map(daily.rows.map((r) => [r.day, r]));
  drawn = { daily, byDay, offers: offers.rows };
  drawCharts();
  fillDailyTable(daily, byDay);
  fillOffers(offers.rows);
  fillAdvertisers(advertisers.rows);
  return empty;
}

// ---------------------------------------------------------------- flow

function currentQuery() {
  return {
    partner: $("partner").value.trim(),
    secret: credentials.secret,
    from: $("from").value,
    to: $("to").value,
    advertiser: $("advertiser").value.trim(),
  };
}

function showError(code, message) {
  $("error-code").textContent = code;
  $("error-message").textContent = ` ${message}`;
  $("error").dataset.code = code;
  $("error").hidden = false;
}

const AUTH_HINT = "The edge refused the partner and API secret (in the advertiser view: that advertiser's own secret). Check both and try again.";

async function load() {
  const query = currentQuery();
  const missing = [!query.partner && "the partner", !query.secret && "the API secret", !query.from && "a start day", !query.to && "an end day"].filter(Boolean);
  if (missing.length) {
    showError("MISSING", `Enter ${missing.join(", ")}.`);
    setState("error");
    return;
  }
  const mine = ++generation;
  $("error").hidden = true;
  setState("loading");
  status("Loading the report…");
  $("show").disabled = true;
  try {
    const [daily, offers, advertisers] = await Promise.all(
      ["day", "offer", "advertiser"].map((groupBy) => getReport(query, groupBy)));
    if (mine !== generation) return;
    const empty = render(query, daily, offers, advertisers);
    const cut = [daily, offers, advertisers].some((r) => r.truncated) ? " The edge cut some tables short: narrow the range." : "";
    status(empty ? "No billable events in this range." : `Report for ${daily.partner}, ${daily.from} to ${daily.to}.${cut}`);
    setState(empty ? "empty" : "ready");
  } catch (e) {
    if (mine !== generation) return;
    if (!(e instanceof ReportError)) throw e;
    if (e.code === "REPORT_AUTH_REQUIRED") {
      // A refused secret is not kept for the next visit.
      credentials.secret = "";
      $("secret").value = "";
      store();
    }
    $("report").hidden = true;
    showError(e.code, e.code === "REPORT_AUTH_REQUIRED" ? AUTH_HINT : e.message);
    status("");
    setState("error");
  } finally {
    if (mine === generation) $("show").disabled = false;
  }
}

async function download(format) {
  const query = currentQuery();
  const out = $("export-status");
  out.textContent = `Preparing the ${format.toUpperCase()} file…`;
  try {
    const params = new URLSearchParams({ from: query.from, to: query.to, format });
    const res = await fetch(`/v1/reports/${encodeURIComponent(query.partner)}/events?${params}`, {
      headers: { authorization: `Bearer ${query.secret}` }, cache: "no-store", credentials: "omit",
    });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      throw new ReportError(String(body?.error?.code ?? `HTTP_${res.status}`), String(body?.error?.message ?? res.statusText));
    }
    const blob = await res.blob();
    const href = URL.createObjectURL(blob);
    const a = el("a", { attrs: { href, download: `${query.partner}-billable-events-${query.from}-${query.to}.${format}` } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    out.textContent = `Downloaded ${integer.format(blob.size)} bytes.`;
  } catch (e) {
    out.textContent = e instanceof ReportError ? `${e.code}: ${e.message}` : `Download failed: ${e.message}`;
  }
}

function start() {
  const fragment = readFragment();
  const stored = loadStored();
  credentials = {
    partner: fragment.partner ?? stored?.partner ?? "",
    secret: fragment.secret ?? (fragment.partner && fragment.partner !== stored?.partner ? "" : stored?.secret ?? ""),
  };
  store();
  const range = defaultRange();
  $("partner").value = credentials.partner;
  $("secret").value = credentials.secret;
  $("from").value = fragment.from ?? range.from;
  $("to").value = fragment.to ?? range.to;
  $("advertiser").value = fragment.advertiser ?? "";

  $("query").addEventListener("submit", (e) => {
    e.preventDefault();
    credentials = { partner: $("partner").value.trim(), secret: $("secret").value };
    store();
    load();
  });
  $("forget").addEventListener("click", () => {
    credentials.secret = "";
    $("secret").value = "";
    store();
    status("The secret is forgotten in this tab.");
  });
  $("export-csv").addEventListener("click", () => download("csv"));
  $("export-ndjson").addEventListener("click", () => download("ndjson"));

  redrawOnResize();
  if (credentials.partner && credentials.secret) load();
  else status("Enter the partner and its API secret to see the report.");
}

start();
