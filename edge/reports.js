// Reads of what the edge counted (docs/REPORTS.md): aggregates of billable
// engagement per partner × day × placement × offer / creative / campaign /
// advertiser, kept by triggers (migrations/0002_reports.sql), and the raw
// billable events as CSV or NDJSON for a warehouse.
//   GET /v1/reports/:partner?from&to&groupBy&advertiser
//     the partner's backend (API_SECRET_<PARTNER>) or an operator
//     (ADMIN_TOKEN): every offer, and the unverified stream beside;
//     an advertiser the partner lists (`advertisers` in PARTNERS) with its
//     ADVERTISER_API_SECRET_<ADV> and `advertiser=<its id>`: its own offers'
//     aggregates only.
//   GET /v1/reports/:partner/events?from&to&format=ndjson|csv
//     the partner's backend or an operator only: events name orders and
//     decisions, which are the partner's, not an advertiser's.
import { advertiserApiSecretName, bearerIs, isAdmin, partnerOr404 } from "./config.js";
import { HttpError, json } from "./http.js";
import { isPartnerBackend } from "./keys.js";

const DAY_MS = 86_400_000;
/** Longest range one report covers: a year and a day (leap years). */
const MAX_DAYS = 366;
const DEFAULT_DAYS = 30;
/** Rows one report returns at most; past it the answer says `truncated`. */
const MAX_ROWS = 10_000;
/** Export page size: one D1 query per page while the answer streams. */
const EXPORT_PAGE = 1_000;
/** groupBy name → report_daily column. */
const DIMENSIONS = new Map([
  ["day", "day"], ["placement", "placement"], ["offer", "offer_id"], ["creative", "creative_id"],
  ["campaign", "campaign"], ["advertiser", "advertiser"],
]);
const COUNTERS = ["impressions", "accepts", "declines", "closes", "conversions", "confirmations", "reminders"];
const EVENT_TYPES = ["impression", "accept", "decline", "close", "conversion"];
const REPORT_PARAMS = new Set(["from", "to", "groupBy", "advertiser"]);
const EXPORT_PARAMS = new Set(["from", "to", "format"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

const bad = (message) => new HttpError(400, "REPORT_INVALID", message);

/** Milliseconds at 00:00 UTC of `text` (YYYY-MM-DD), or 400. */
function dayStart(text, name) {
  const ms = DAY.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) throw bad(`${name} must be a date YYYY-MM-DD`);
  return ms;
}

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** The validated query: `{from, to, fromMs, endMs}` and the route's own parameters. */
function parseQuery(url, allowed, nowMs) {
  const q = url.searchParams;
  for (const key of q.keys()) if (!allowed.has(key)) throw bad(`unknown parameter ${JSON.stringify(key.slice(0, 40))}`);
  for (const key of allowed) if (q.getAll(key).length > 1) throw bad(`${key} given twice`);
  const toMs = q.has("to") ? dayStart(q.get("to"), "to") : dayStart(isoDay(nowMs), "to");
  const fromMs = q.has("from") ? dayStart(q.get("from"), "from") : toMs - (DEFAULT_DAYS - 1) * DAY_MS;
  if (fromMs > toMs) throw bad("from is after to");
  if ((toMs - fromMs) / DAY_MS + 1 > MAX_DAYS) throw bad(`a report covers at most ${MAX_DAYS} days`);
  return { from: isoDay(fromMs), to: isoDay(toMs), fromMs, endMs: toMs + DAY_MS };
}

function parseGroupBy(text) {
  if (text === null) return ["day"];
  const list = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const g of list) if (!DIMENSIONS.has(g)) throw bad(`groupBy takes ${[...DIMENSIONS.keys()].join(", ")}`);
  if (new Set(list).size !== list.length) throw bad("groupBy names a dimension twice");
  return list;
}

/**
 * Who is asking for `partner`'s reports: `{view: "partner"}` for its
 * backend or an operator, `{view: "advertiser", advertiser}` for a listed
 * advertiser with its own secret, else 401 REPORT_AUTH_REQUIRED. The
 * advertiser named in the query is the only one whose secret is tried.
 */
function authorize(env, request, partner, advertiser) {
  if (isPartnerBackend(env, request, partner) || isAdmin(env, request)) return { view: "partner" };
  if (advertiser !== null && partner.advertisers.has(advertiser) && bearerIs(request, env[advertiserApiSecretName(advertiser)])) {
    return { view: "advertiser", advertiser };
  }
  throw new HttpError(401, "REPORT_AUTH_REQUIRED",
    "send the partner's API secret, or an advertiser's own secret with advertiser=<its id>, as a bearer token", { "www-authenticate": "Bearer" });
}

/**
 * The 95 % Wilson score interval of `successes` in `trials` (good at small
 * counts and rates near 0, unlike the normal approximation), or null
 * without trials. A rate over 1 (accepts whose impression was not
 * reported) is bounded at 1 for the interval.
 */
export function wilson(successes, trials) {
  if (!trials) return null;
  const p = Math.min(1, successes / trials);
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** A row of counters with its accept rate and interval. */
function withRates(row) {
  const out = { ...row };
  for (const c of COUNTERS) out[c] = Number(row[c] ?? 0);
  out.acceptRate = out.impressions ? out.accepts / out.impressions : null;
  out.acceptRateCi = wilson(out.accepts, out.impressions);
  return out;
}

/** GET /v1/reports/:partner. */
export async function handleReport(request, env, partnerId, url) {
  const partner = partnerOr404(env, partnerId);
  const q = parseQuery(url, REPORT_PARAMS, Date.now());
  const advertiser = url.searchParams.get("advertiser");
  if (advertiser !== null && !ID.test(advertiser)) throw bad("advertiser must be an id");
  const who = authorize(env, request, partner, advertiser);
  const groupBy = parseGroupBy(url.searchParams.get("groupBy"));
  const where = ["partner = ?", "day BETWEEN ? AND ?"];
  const binds = [partner.id, q.from, q.to];
  if (advertiser !== null) {
    where.push("advertiser = ?");
    binds.push(advertiser);
  }
  const sums = COUNTERS.map((c) => `SUM(${c}) AS ${c}`).join(", ");
  const keys = groupBy.map((g) => `${DIMENSIONS.get(g)} AS "${g}"`);
  const columns = groupBy.map((g) => DIMENSIONS.get(g));
  const grouped = groupBy.length
    ? `SELECT ${keys.join(", ")}, ${sums} FROM report_daily WHERE ${where.join(" AND ")}
       GROUP BY ${columns.join(", ")} ORDER BY ${columns.join(", ")} LIMIT ${MAX_ROWS + 1}`
    : null;
  const statements = [env.DB.prepare(`SELECT ${sums} FROM report_daily WHERE ${where.join(" AND ")}`).bind(...binds)];
  if (grouped) statements.push(env.DB.prepare(grouped).bind(...binds));
  if (who.view === "partner") {
    statements.push(env.DB.prepare(`SELECT type, SUM(count) AS n FROM report_unverified_daily
      WHERE partner = ? AND day BETWEEN ? AND ? GROUP BY type`).bind(partner.id, q.from, q.to));
  }
  const results = await env.DB.batch(statements);
  const rows = grouped ? results[1].results : [];
  let unverified = null;
  if (who.view === "partner") {
    unverified = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
    for (const r of results[results.length - 1].results) if (EVENT_TYPES.includes(r.type)) unverified[r.type] = Number(r.n);
  }
  return json({
    partner: partner.id,
    view: who.view,
    advertiser,
    from: q.from,
    to: q.to,
    timeZone: "UTC",
    groupBy,
    totals: withRates(results[0].results[0] ?? {}),
    rows: rows.slice(0, MAX_ROWS).map(withRates),
    truncated: rows.length > MAX_ROWS,
    unverified,
  }, 200, { "cache-control": "private, no-store" });
}

const EXPORT_COLUMNS = ["partner", "id", "type", "binding", "order", "decisionId", "placement", "offerId", "creativeId",
  "campaign", "advertiser", "time", "propensity", "claimedPropensity", "receiptSigned", "attested", "features", "eligible"];

/** A stored JSON column, or null when it is absent or unreadable. */
function jsonColumn(text) {
  if (typeof text !== "string") return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** One export record from a billable_events row (docs/REPORTS.md, "Export"). */
function exportRecord(r) {
  return {
    partner: r.partner, id: r.id, type: r.type, binding: r.binding, order: r.order_ref, decisionId: r.decision_id,
    placement: r.placement, offerId: r.offer_id, creativeId: r.creative_id, campaign: r.campaign, advertiser: r.advertiser,
    time: new Date(r.time_ms).toISOString(), propensity: r.propensity, claimedPropensity: r.claimed_propensity,
    receiptSigned: r.receipt_signed === 1, attested: r.attested === 1,
    features: jsonColumn(r.features), eligible: jsonColumn(r.eligible),
  };
}

/**
 * One CSV cell (RFC 4180 quoting). Text a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'` (OWASP's
 * CSV injection advice): ids and claims come from bundles and pages.
 */
export function csvCell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  let text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (record) => `${EXPORT_COLUMNS.map((c) => csvCell(record[c])).join(",")}\r\n`;

/** GET /v1/reports/:partner/events: billable events of the range, streamed page by page. */
export async function handleExport(request, env, partnerId, url) {
  const partner = partnerOr404(env, partnerId);
  const q = parseQuery(url, EXPORT_PARAMS, Date.now());
  if (!isPartnerBackend(env, request, partner) && !isAdmin(env, request)) {
    throw new HttpError(401, "REPORT_AUTH_REQUIRED", "the event export takes the partner's API secret as a bearer token", { "www-authenticate": "Bearer" });
  }
  const format = url.searchParams.get("format") ?? "ndjson";
  if (format !== "ndjson" && format !== "csv") throw bad("format is ndjson or csv");
  const page = env.DB.prepare(`SELECT * FROM billable_events
    WHERE partner = ? AND aggregate_only = 0 AND time_ms >= ? AND time_ms < ? AND (time_ms > ? OR (time_ms = ? AND id > ?))
    ORDER BY time_ms, id LIMIT ${EXPORT_PAGE}`);
  const encoder = new TextEncoder();
  let after = { time: -1, id: "" };
  let header = format === "csv";
  const stream = new ReadableStream({
    async pull(controller) {
      const { results } = await page.bind(partner.id, q.fromMs, q.endMs, after.time, after.time, after.id).all();
      let text = header ? `${EXPORT_COLUMNS.join(",")}\r\n` : "";
      header = false;
      for (const row of results) {
        const record = exportRecord(row);
        text += format === "csv" ? csvLine(record) : `${JSON.stringify(record)}\n`;
      }
      if (text) controller.enqueue(encoder.encode(text));
      if (results.length < EXPORT_PAGE) {
        controller.close();
        return;
      }
      const last = results[results.length - 1];
      after = { time: last.time_ms, id: last.id };
    },
  });
  const type = format === "csv" ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson; charset=utf-8";
  return new Response(stream, {
    headers: {
      "content-type": type,
      "content-disposition": `attachment; filename="${partner.id}-events-${q.from}-${q.to}.${format}"`,
      "cache-control": "private, no-store",
    },
  });
}
