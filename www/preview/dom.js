// Small DOM and formatting helpers of the preview. Everything is built with
// DOM APIs and textContent: the preview has no HTML sink of its own (the only
// one is the placement component's, behind its Trusted Types policy).

/** `document.createElement(tag)` with attributes and children (nodes or text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** `document.getElementById`, throwing when the page lacks the element (a bug, not input). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`preview: #${id} is missing from preview.html`);
  return node;
}

/** Runs `fn` at most once per `ms` burst (trailing call). */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** "3 h", "2 d 4 h", "12 min", "40 s" for a positive duration in ms. */
export function humanDuration(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** "in 6 d 23 h" / "3 h ago" for `at` relative to `now` (both ms). */
export function relative(at, now) {
  return at >= now ? `in ${humanDuration(at - now)}` : `${humanDuration(now - at)} ago`;
}

/** An RFC 3339 instant (or ms) as `2026-11-29 12:00:05 UTC`. */
export function utc(value) {
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `ms` as the value of an `<input type="datetime-local" step="1">` (local time, whole seconds). */
export function toLocalInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The value of an `<input type="datetime-local">` as ms (NaN when empty). */
export function fromLocalInput(value) {
  return value ? new Date(value).getTime() : NaN;
}

/** A number with up to `digits` significant decimals, or "—". */
export function num(value, digits = 4) {
  return typeof value === "number" && Number.isFinite(value) ? String(Number(value.toFixed(digits))) : "—";
}

/** Percent with one decimal. */
export function pct(fraction) {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Sets a status line's text and tone (`ok`, `warn`, `error`, or none). */
export function status(node, text, tone = "") {
  node.textContent = text;
  node.dataset.tone = tone;
}
