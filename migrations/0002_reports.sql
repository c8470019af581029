-- Reporting (issue 16; docs/REPORTS.md): daily aggregates kept by triggers in the same transaction as
-- the event insert, conversion postbacks, and what the learning loop needs logged (docs/LEARNING.md).
-- Same statements as edge/schema.js MIGRATIONS[1]; a test keeps them equal.
-- The model features the decision saw (banded, never raw context) and, per placement, the offers it chose from.
ALTER TABLE decision_records ADD COLUMN features TEXT;
ALTER TABLE decision_offers ADD COLUMN eligible TEXT;
-- Copied onto billable impressions of edge decisions, which outlive the 48 h decision index.
ALTER TABLE billable_events ADD COLUMN features TEXT;
ALTER TABLE billable_events ADD COLUMN eligible TEXT;
-- The event export reads a partner's events in time order (GET /v1/reports/:partner/events).
CREATE INDEX IF NOT EXISTS billable_by_time ON billable_events (partner, time_ms, id);
-- Billable engagement per partner × UTC day × placement × offer × creative × campaign × advertiser.
-- Confirmations and reminders count on the day of the accept they follow.
CREATE TABLE IF NOT EXISTS report_daily (
  partner TEXT NOT NULL,
  day TEXT NOT NULL,
  placement TEXT NOT NULL,
  offer_id TEXT NOT NULL,
  creative_id TEXT NOT NULL,
  campaign TEXT NOT NULL,
  advertiser TEXT NOT NULL,
  impressions INTEGER NOT NULL DEFAULT 0,
  accepts INTEGER NOT NULL DEFAULT 0,
  declines INTEGER NOT NULL DEFAULT 0,
  closes INTEGER NOT NULL DEFAULT 0,
  conversions INTEGER NOT NULL DEFAULT 0,
  confirmations INTEGER NOT NULL DEFAULT 0,
  reminders INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (partner, day, placement, offer_id, creative_id, campaign, advertiser)
);
-- The unverified stream, counted beside: keyed by nothing a page chooses but the event type and the edge's reason.
CREATE TABLE IF NOT EXISTS report_unverified_daily (
  partner TEXT NOT NULL,
  day TEXT NOT NULL,
  type TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (partner, day, type, reason)
);
-- What a database already holds when this migration applies (it runs once).
INSERT INTO report_daily (partner, day, placement, offer_id, creative_id, campaign, advertiser,
    impressions, accepts, declines, closes, conversions, confirmations, reminders)
  SELECT b.partner, strftime('%Y-%m-%d', b.time_ms / 1000, 'unixepoch'), b.placement, b.offer_id, b.creative_id,
      b.campaign, b.advertiser, SUM(b.type = 'impression'), SUM(b.type = 'accept'), SUM(b.type = 'decline'),
      SUM(b.type = 'close'), SUM(b.type = 'conversion'),
      SUM(b.type = 'accept' AND EXISTS (SELECT 1 FROM outbox o WHERE o.partner = b.partner AND o.decision_id = b.decision_id
        AND o.offer_id = b.offer_id AND o.kind = 'confirmation' AND o.status = 'sent')),
      SUM(b.type = 'accept' AND EXISTS (SELECT 1 FROM outbox o WHERE o.partner = b.partner AND o.decision_id = b.decision_id
        AND o.offer_id = b.offer_id AND o.kind = 'reminder' AND o.status = 'sent'))
    FROM billable_events b GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO report_unverified_daily (partner, day, type, reason, count)
  SELECT partner, strftime('%Y-%m-%d', received_ms / 1000, 'unixepoch'), type, reason, COUNT(*)
    FROM unverified_events GROUP BY 1, 2, 3, 4;
CREATE TRIGGER IF NOT EXISTS report_billable_insert AFTER INSERT ON billable_events BEGIN
  INSERT INTO report_daily (partner, day, placement, offer_id, creative_id, campaign, advertiser,
      impressions, accepts, declines, closes, conversions)
    VALUES (NEW.partner, strftime('%Y-%m-%d', NEW.time_ms / 1000, 'unixepoch'), NEW.placement, NEW.offer_id,
      NEW.creative_id, NEW.campaign, NEW.advertiser, NEW.type = 'impression', NEW.type = 'accept',
      NEW.type = 'decline', NEW.type = 'close', NEW.type = 'conversion')
    ON CONFLICT (partner, day, placement, offer_id, creative_id, campaign, advertiser) DO UPDATE SET
      impressions = impressions + excluded.impressions, accepts = accepts + excluded.accepts,
      declines = declines + excluded.declines, closes = closes + excluded.closes,
      conversions = conversions + excluded.conversions;
END;
-- A billable insert is undone only when the fulfilment queue refused its batch (edge/events.js).
CREATE TRIGGER IF NOT EXISTS report_billable_delete AFTER DELETE ON billable_events BEGIN
  UPDATE report_daily SET impressions = impressions - (OLD.type = 'impression'), accepts = accepts - (OLD.type = 'accept'),
      declines = declines - (OLD.type = 'decline'), closes = closes - (OLD.type = 'close'),
      conversions = conversions - (OLD.type = 'conversion')
    WHERE partner = OLD.partner AND day = strftime('%Y-%m-%d', OLD.time_ms / 1000, 'unixepoch') AND placement = OLD.placement
      AND offer_id = OLD.offer_id AND creative_id = OLD.creative_id AND campaign = OLD.campaign AND advertiser = OLD.advertiser;
END;
CREATE TRIGGER IF NOT EXISTS report_unverified_insert AFTER INSERT ON unverified_events BEGIN
  INSERT INTO report_unverified_daily (partner, day, type, reason, count)
    VALUES (NEW.partner, strftime('%Y-%m-%d', NEW.received_ms / 1000, 'unixepoch'), NEW.type, NEW.reason, 1)
    ON CONFLICT (partner, day, type, reason) DO UPDATE SET count = count + 1;
END;
-- An email counts once it is sent (its outbox row turns 'sent': edge/fulfilment.js claims the row
-- as 'sending' first, whatever the adapter), against the billable accept it confirms.
CREATE TRIGGER IF NOT EXISTS report_mail_sent AFTER UPDATE OF status ON outbox
    WHEN NEW.status = 'sent' AND OLD.status <> 'sent' BEGIN
  UPDATE report_daily SET confirmations = confirmations + (NEW.kind = 'confirmation'), reminders = reminders + (NEW.kind = 'reminder')
    WHERE (partner, day, placement, offer_id, creative_id, campaign, advertiser) IN (
      SELECT partner, strftime('%Y-%m-%d', time_ms / 1000, 'unixepoch'), placement, offer_id, creative_id, campaign, advertiser
        FROM billable_events WHERE partner = NEW.partner AND decision_id = NEW.decision_id AND offer_id = NEW.offer_id
          AND type = 'accept' LIMIT 1);
END;
-- Conversion postbacks (POST /v1/conversions): one per (partner, advertiser, conversion id); the conversion
-- itself is a billable event bound like the accept it follows.
CREATE TABLE IF NOT EXISTS conversion_postbacks (
  partner TEXT NOT NULL,
  advertiser TEXT NOT NULL,
  conversion_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (partner, advertiser, conversion_id)
);
