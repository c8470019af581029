// Retention (docs/PRIVACY.md, "Retention"): the hourly cron deletes every
// row past its table's time to live. Defaults, each overridable with a var
// `RETENTION_<NAME>_DAYS` (or DECISION_INDEX_TTL_MS for the decision index):
//   decision index (decision_records, decision_offers)   48 h   receipts have expired: no event can refer to them
//   aggregate-only events (no measurement consent)        48 h   only kept to deduplicate while receipts live
//   billable events, conversion postbacks                395 d   13 months: a year of billing plus disputes
//   unverified events                                     30 d   investigation of forged traffic only
//   event rejections (daily counts)                       90 d
//   outbox (emails sent), fulfilment failures and claims  30 d   queue retries and reminders are long over
//   coupon claims (who a unique code went to)            395 d   as the billable accept it was issued for (redemption
//                                                                 checks, disputes); pool codes stay spent
//   report rollups (aggregates, not personal)            790 d   25 months: two years side by side
// Deletes go in chunks so one run's work is bounded; what is left goes next hour.
import { intSetting } from "./config.js";

const DAY_MS = 86_400_000;
/** Rows one statement deletes at most. */
const CHUNK = 5_000;
/** Chunks per table per run: at most 100,000 rows a table an hour. */
const MAX_CHUNKS = 20;

/**
 * What the cron prunes: table, the column holding the row's time (`ms`:
 * epoch milliseconds; `day`: YYYY-MM-DD), the setting, its default in
 * days, and an extra condition.
 */
export const RETENTION = [
  { table: "decision_records", column: "created_ms", setting: "DECISION_INDEX_TTL_MS", ms: 2 * DAY_MS },
  { table: "decision_offers", column: "created_ms", setting: "DECISION_INDEX_TTL_MS", ms: 2 * DAY_MS },
  { table: "billable_events", column: "received_ms", setting: "DECISION_INDEX_TTL_MS", ms: 2 * DAY_MS, where: "aggregate_only = 1" },
  { table: "billable_events", column: "received_ms", setting: "RETENTION_EVENTS_DAYS", days: 395 },
  { table: "conversion_postbacks", column: "received_ms", setting: "RETENTION_EVENTS_DAYS", days: 395 },
  { table: "unverified_events", column: "received_ms", setting: "RETENTION_UNVERIFIED_DAYS", days: 30 },
  { table: "event_rejections", column: "day", setting: "RETENTION_REJECTIONS_DAYS", days: 90 },
  { table: "outbox", column: "created_ms", setting: "RETENTION_OUTBOX_DAYS", days: 30 },
  { table: "fulfilment_failures", column: "created_ms", setting: "RETENTION_OUTBOX_DAYS", days: 30 },
  { table: "fulfilment_claims", column: "created_ms", setting: "RETENTION_OUTBOX_DAYS", days: 30 },
  { table: "coupon_claims", column: "created_ms", setting: "RETENTION_EVENTS_DAYS", days: 395 },
  { table: "report_daily", column: "day", setting: "RETENTION_REPORTS_DAYS", days: 790 },
  { table: "report_unverified_daily", column: "day", setting: "RETENTION_REPORTS_DAYS", days: 790 },
];

/** The cutoff of one rule at `nowMs`: rows older are deleted. */
function cutoff(env, rule, nowMs) {
  const ttlMs = rule.ms !== undefined ? intSetting(env, rule.setting, rule.ms) : intSetting(env, rule.setting, rule.days) * DAY_MS;
  const before = nowMs - ttlMs;
  return rule.column === "day" ? new Date(before).toISOString().slice(0, 10) : before;
}

/** Deletes every row past its time to live; returns rows deleted per table. */
export async function applyRetention(env, nowMs) {
  const deleted = {};
  for (const rule of RETENTION) {
    const where = `${rule.column} < ?${rule.where ? ` AND ${rule.where}` : ""}`;
    const statement = env.DB.prepare(`DELETE FROM ${rule.table} WHERE rowid IN
      (SELECT rowid FROM ${rule.table} WHERE ${where} LIMIT ${CHUNK})`).bind(cutoff(env, rule, nowMs));
    let total = 0;
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const { meta } = await statement.run();
      total += meta.changes;
      if (meta.changes < CHUNK) break;
    }
    deleted[rule.table] = (deleted[rule.table] ?? 0) + total;
  }
  return deleted;
}
