-- Privacy (issue 17; docs/PRIVACY.md): who an event is about, so it can be erased; what a shopper
-- consented to, so events of a decision without measurement consent stay aggregate; and rollups that
-- outlive the events they counted (retention and erasure delete rows, never counts).
-- Same statements as edge/schema.js MIGRATIONS[2]; a test keeps them equal.
-- The shopper a billable event is about: the Durable Object key (SHA-256 of partner and attested
-- shopper reference) and the attested email hash `eh` of its checkout token; null when unknown.
ALTER TABLE billable_events ADD COLUMN shopper_key TEXT;
ALTER TABLE billable_events ADD COLUMN eh TEXT;
-- 1: the decision had no measurement consent; the row exists only to count and deduplicate,
-- is never exported and is deleted once its receipt can no longer be replayed.
ALTER TABLE billable_events ADD COLUMN aggregate_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE decision_records ADD COLUMN measurement INTEGER NOT NULL DEFAULT 1;
CREATE INDEX IF NOT EXISTS billable_by_shopper ON billable_events (partner, shopper_key);
CREATE INDEX IF NOT EXISTS billable_by_eh ON billable_events (partner, eh);
CREATE INDEX IF NOT EXISTS billable_by_received ON billable_events (received_ms);
CREATE INDEX IF NOT EXISTS unverified_by_received ON unverified_events (received_ms);
CREATE INDEX IF NOT EXISTS decision_records_by_shopper ON decision_records (partner, shopper_key);
-- Deleting events (retention, erasure) keeps what they counted; the collector's own undo (the
-- fulfilment queue refused its batch) decrements the rollup itself, in the same batch.
DROP TRIGGER IF EXISTS report_billable_delete;
