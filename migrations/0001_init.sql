-- offer-edge D1 schema (same statements as edge/schema.js; a test keeps them equal).
-- Production: npx wrangler d1 migrations apply offer-edge --remote
-- Pre-release: rewritten for attested checkouts (billable/unverified streams); no database was deployed with the earlier tables.
CREATE TABLE IF NOT EXISTS billable_events (
  partner TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  binding TEXT NOT NULL,
  order_ref TEXT,
  decision_id TEXT NOT NULL,
  placement TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  creative_id TEXT NOT NULL,
  campaign TEXT NOT NULL,
  advertiser TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  propensity REAL,
  claimed_propensity REAL,
  receipt_signed INTEGER NOT NULL,
  attested INTEGER NOT NULL,
  has_fulfilment INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, id)
);

CREATE UNIQUE INDEX IF NOT EXISTS billable_once ON billable_events (partner, binding, offer_id, type);

CREATE INDEX IF NOT EXISTS billable_by_decision ON billable_events (partner, decision_id);

CREATE TABLE IF NOT EXISTS unverified_events (
  partner TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, id)
);

CREATE TABLE IF NOT EXISTS decision_records (
  partner TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  shopper_key TEXT,
  order_ref TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, decision_id)
);

CREATE INDEX IF NOT EXISTS decision_records_by_time ON decision_records (created_ms);

CREATE TABLE IF NOT EXISTS decision_offers (
  partner TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  placement TEXT NOT NULL,
  creative_id TEXT NOT NULL,
  campaign TEXT NOT NULL,
  advertiser TEXT NOT NULL,
  propensity REAL NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, decision_id, offer_id)
);

CREATE INDEX IF NOT EXISTS decision_offers_by_time ON decision_offers (created_ms);

CREATE TABLE IF NOT EXISTS fulfilment_claims (
  partner TEXT NOT NULL,
  order_ref TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, order_ref, offer_id)
);

CREATE TABLE IF NOT EXISTS event_rejections (
  partner TEXT NOT NULL,
  code TEXT NOT NULL,
  day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (partner, code, day)
);

CREATE TABLE IF NOT EXISTS outbox (
  partner TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  adapter TEXT NOT NULL,
  status TEXT NOT NULL,
  to_addr TEXT,
  subject TEXT,
  html TEXT,
  text TEXT,
  created_ms INTEGER NOT NULL,
  sent_ms INTEGER,
  PRIMARY KEY (partner, decision_id, offer_id, kind)
);

CREATE TABLE IF NOT EXISTS fulfilment_failures (
  partner TEXT NOT NULL,
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, event_id, kind)
);
