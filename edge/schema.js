// The D1 schema: the migration files of migrations/ (imported as text, so
// there is one definition), applied in order and recorded in `d1_migrations`
// — the table `wrangler d1 migrations apply` keeps — so a fresh local state
// or database works without a migration step, and a production database
// migrated with wrangler is left alone. Every table carries the partner in
// its key.
import init from "../migrations/0001_init.sql";
import reports from "../migrations/0002_reports.sql";
import privacy from "../migrations/0003_privacy.sql";
import coupons from "../migrations/0004_coupons.sql";
import { statements } from "./sql.js";

/** Migration name → its statements, in the order they apply. */
export const MIGRATIONS = [
  ["0001_init.sql", statements(init)],
  ["0002_reports.sql", statements(reports)],
  ["0003_privacy.sql", statements(privacy)],
  ["0004_coupons.sql", statements(coupons)],
];

const LEDGER = `CREATE TABLE IF NOT EXISTS d1_migrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

async function migrate(env) {
  const db = env.DB;
  await db.prepare(LEDGER).run();
  const applied = async () => new Set((await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name));
  let done = await applied();
  for (const [name, sql] of MIGRATIONS) {
    if (done.has(name)) continue;
    try {
      // One batch is one transaction: a migration applies whole or not at all.
      await db.batch([...sql.map((s) => db.prepare(s)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(name)]);
    } catch (e) {
      // Another isolate may have applied it meanwhile (its ALTERs then fail here).
      done = await applied();
      if (!done.has(name)) throw e;
    }
  }
}

let ready;
/** Applies the pending migrations once per isolate (retried on the next call if it fails). */
export function ensureSchema(env) {
  if (!ready) {
    ready = migrate(env).catch((e) => {
      ready = undefined;
      throw e;
    });
  }
  return ready;
}
