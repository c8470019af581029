-- offer-edge D1 schema (same statements as edge/schema.js; a test keeps them equal).
-- Production: npx wrangler d1 migrations apply offer-edge --remote
CREATE TABLE IF NOT EXISTS events (
  partner TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  placement TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  creative_id TEXT NOT NULL,
  campaign TEXT NOT NULL,
  advertiser TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  propensity REAL NOT NULL,
  receipt_signed INTEGER NOT NULL,
  has_fulfilment INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, id)
);

CREATE INDEX IF NOT EXISTS events_by_decision ON events (partner, decision_id);

CREATE TABLE IF NOT EXISTS decisions (
  partner TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  shopper_key TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, decision_id)
);

CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (created_ms);

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
