-- Unique coupon codes (issue 18; docs/EDGE.md, "Unique coupon codes"): the codes partners upload to
-- a pool, and the one code each attested accept of a unique-coupon offer was issued.
-- The worker applies it itself (edge/schema.js imports this file), as wrangler would.
-- A partner's uploaded codes. `claimed_ms` set: issued, never issued again (an erasure clears who it
-- went to, not that it went). `claim_key` (binding and offer of the accept) makes a claim idempotent:
-- the unique index lets one accept hold at most one code of a pool, whatever races.
CREATE TABLE IF NOT EXISTS coupon_pool (
  partner TEXT NOT NULL,
  pool TEXT NOT NULL,
  code TEXT NOT NULL,
  uploaded_ms INTEGER NOT NULL,
  claimed_ms INTEGER,
  claim_key TEXT,
  decision_id TEXT,
  PRIMARY KEY (partner, pool, code)
);
CREATE UNIQUE INDEX IF NOT EXISTS coupon_pool_claim ON coupon_pool (partner, pool, claim_key);
CREATE INDEX IF NOT EXISTS coupon_pool_unclaimed ON coupon_pool (partner, pool, claimed_ms);
-- The code issued to one attested accept, once per (partner, binding, offer) like the billable
-- accept itself: a resent accept reads it back. `code` NULL: the pool was empty (`waiting`), and
-- the accept's resend retries the pool. Who it is about (order, decision) goes with erasure and
-- retention like the fulfilment claims.
CREATE TABLE IF NOT EXISTS coupon_claims (
  partner TEXT NOT NULL,
  binding TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  order_ref TEXT,
  source TEXT NOT NULL,
  pool TEXT,
  code TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, binding, offer_id)
);
CREATE INDEX IF NOT EXISTS coupon_claims_by_decision ON coupon_claims (partner, decision_id);
CREATE INDEX IF NOT EXISTS coupon_claims_by_code ON coupon_claims (partner, code);
CREATE INDEX IF NOT EXISTS coupon_claims_by_time ON coupon_claims (created_ms);
