//! Engagement events: what hosts report to the collector after a decision.
//!
//! An event names the partner, the decision receipt, the offer, creative,
//! campaign and advertiser, the time and the propensity with which the offer
//! was chosen (for unbiased offline evaluation). It carries **no shopper
//! data**: there is no field for an email, a name, a phone number or any
//! context attribute, and unknown fields are refused when parsing, so a host
//! cannot smuggle them in. The only way an email travels is inside an accept
//! event's HPKE-sealed [`FulfilmentRequest`]. An event may carry the
//! partner's signed checkout token (`checkout`): it names the order and an
//! attested email *hash*, never the address (see [`crate::attest`]).
//!
//! Ids are UUID v4 built from host entropy, so a retried event keeps its id
//! and the collector deduplicates. The JSON schema is in `docs/EVENTS.md`
//! and `docs/event.schema.json`.

use crate::attest::check_token_shape;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_EVENTS_PER_BATCH, MAX_EVENT_BATCH_BYTES, MAX_ID_LEN};
use crate::receipt::{Receipt, SignedReceipt};
use crate::seal::FulfilmentRequest;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What the shopper did (or what the host observed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventType {
    /// The offer was rendered in view.
    Impression,
    /// The shopper accepted the offer (clicked the call to action).
    Accept,
    /// The shopper declined the offer ("No thanks").
    Decline,
    /// The shopper closed the whole placement.
    Close,
    /// The advertiser reported a conversion attributed to the offer.
    Conversion,
}

impl EventType {
    /// The wire name, e.g. `"impression"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Impression => "impression",
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Close => "close",
            Self::Conversion => "conversion",
        }
    }

    /// Every event type, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Impression,
        Self::Accept,
        Self::Decline,
        Self::Close,
        Self::Conversion,
    ];
}

/// The type named by its wire name (`"impression"`…), as hosts pass it.
impl std::str::FromStr for EventType {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::EventInvalid,
                    format!("unknown event type {name:?}"),
                )
            })
    }
}

/// The decision receipt an event refers to, in either of its two forms.
///
/// At the edge, decisions carry HMAC-signed receipts, reported as the
/// compact string so the collector can verify them byte for byte. In the
/// browser there is no secret to sign with, so the plain receipt object is
/// reported (advisory, like browser-held caps). JSON: a string or an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventReceipt {
    /// Compact signed receipt `base64url(payload).base64url(mac)` (edge).
    Signed(String),
    /// Unsigned receipt object (browser).
    Plain(Receipt),
}

impl EventReceipt {
    /// The receipt's fields. For the signed form they are parsed but **not
    /// verified** (verification needs the edge key: see
    /// [`SignedReceipt::verify`]).
    ///
    /// # Errors
    /// `RECEIPT_INVALID` when the signed form does not parse.
    pub fn fields(&self) -> Result<Receipt> {
        match self {
            Self::Signed(text) => Ok(SignedReceipt::from_compact(text)?.receipt),
            Self::Plain(receipt) => Ok(receipt.clone()),
        }
    }
}

impl From<&SignedReceipt> for EventReceipt {
    fn from(signed: &SignedReceipt) -> Self {
        Self::Signed(signed.to_compact())
    }
}

impl From<Receipt> for EventReceipt {
    fn from(receipt: Receipt) -> Self {
        Self::Plain(receipt)
    }
}

/// One engagement event. No field can hold shopper data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// UUID v4 (lower-case, hyphenated) from host entropy; the dedup key.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The partner (retailer).
    pub partner: String,
    /// The decision receipt.
    pub receipt: EventReceipt,
    /// Placement the offer was shown in.
    pub placement: String,
    /// The offer.
    pub offer_id: String,
    /// The creative shown.
    pub creative_id: String,
    /// The offer's campaign.
    pub campaign: String,
    /// The offer's advertiser.
    pub advertiser: String,
    /// When it happened (host clock).
    pub time: Timestamp,
    /// Probability with which this offer was chosen, in [0, 1].
    pub propensity: f64,
    /// The sealed email, only on an accept of an offer that needs a
    /// confirmation email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilment: Option<FulfilmentRequest>,
    /// The partner's compact checkout token for the order (see
    /// [`crate::attest`]), passed through from the partner's page. Only its
    /// shape is checked here; the edge verifies it against the partner's
    /// pinned checkout keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<String>,
}

/// What an event says about the offer besides its receipt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventOffer<'a> {
    /// The offer's campaign.
    pub campaign: &'a str,
    /// The offer's advertiser.
    pub advertiser: &'a str,
    /// The propensity the decision logged for it.
    pub propensity: f64,
}

/// Formats 16 bytes of entropy as a UUID v4 (RFC 9562): version nibble 4,
/// variant bits `10`, lower-case hex with hyphens.
pub fn uuid_v4(entropy: &[u8; 16]) -> String {
    let mut bytes = *entropy;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = crate::context::lower_hex(&bytes);
    // 32 ASCII hex digits: slicing at these offsets cannot fail.
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

/// Whether `text` is a lower-case hyphenated UUID v4 (RFC 9562 variant).
pub fn is_uuid_v4(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            14 => c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b'),
            _ => matches!(c, b'0'..=b'9' | b'a'..=b'f'),
        })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::EventInvalid, message)
}

impl Event {
    /// An event of `kind` about the offer of `receipt`, at `time`, with an id
    /// from 16 bytes of host entropy. Partner, placement, offer and creative
    /// are taken from the receipt so they cannot disagree with it.
    ///
    /// # Errors
    /// `RECEIPT_INVALID` when a signed receipt does not parse;
    /// `EVENT_INVALID` when the result fails [`Event::validate`].
    pub fn new(
        kind: EventType,
        id_entropy: &[u8; 16],
        time: Timestamp,
        receipt: EventReceipt,
        offer: EventOffer<'_>,
    ) -> Result<Self> {
        let fields = receipt.fields()?;
        let event = Self {
            id: uuid_v4(id_entropy),
            kind,
            partner: fields.partner,
            receipt,
            placement: fields.placement,
            offer_id: fields.offer_id,
            creative_id: fields.creative_id,
            campaign: offer.campaign.to_owned(),
            advertiser: offer.advertiser.to_owned(),
            time,
            propensity: offer.propensity,
            fulfilment: None,
            checkout: None,
        };
        event.validate()?;
        Ok(event)
    }

    /// Attaches a sealed confirmation-email request to an accept event.
    ///
    /// # Errors
    /// `EVENT_INVALID` when the event is not an accept or the request is for
    /// another partner, offer or decision (see [`Event::validate`]).
    pub fn with_fulfilment(mut self, request: FulfilmentRequest) -> Result<Self> {
        self.fulfilment = Some(request);
        self.validate()?;
        Ok(self)
    }

    /// Attaches the partner's compact checkout token for the order.
    ///
    /// # Errors
    /// `EVENT_INVALID` when the token is not shaped like one (see
    /// [`Event::validate`]).
    pub fn with_checkout(mut self, token: String) -> Result<Self> {
        self.checkout = Some(token);
        self.validate()?;
        Ok(self)
    }

    /// Checks the event: UUID v4 id, ids non-empty and within
    /// [`MAX_ID_LEN`], propensity a number in [0, 1], the receipt parses and
    /// names the same partner, placement, offer and creative, a fulfilment
    /// request only on an accept, for the same partner, offer and decision,
    /// and a checkout token (when present) of at most
    /// [`MAX_CHECKOUT_TOKEN_BYTES`](crate::limits::MAX_CHECKOUT_TOKEN_BYTES)
    /// bytes in three base64url parts. Does not
    /// verify the receipt's MAC nor the token's signature (the collector and
    /// the edge do, with their keys).
    ///
    /// # Errors
    /// `EVENT_INVALID` naming the first problem.
    pub fn validate(&self) -> Result<()> {
        if !is_uuid_v4(&self.id) {
            return Err(invalid("id must be a lower-case UUID v4"));
        }
        for (name, value) in [
            ("partner", &self.partner),
            ("placement", &self.placement),
            ("offerId", &self.offer_id),
            ("creativeId", &self.creative_id),
            ("campaign", &self.campaign),
            ("advertiser", &self.advertiser),
        ] {
            if value.is_empty() || value.len() > MAX_ID_LEN {
                return Err(invalid(format!("{name} must be 1..={MAX_ID_LEN} bytes")));
            }
        }
        if !(0.0..=1.0).contains(&self.propensity) {
            return Err(invalid("propensity must be a number in [0, 1]"));
        }
        let receipt = self
            .receipt
            .fields()
            .map_err(|e| invalid(format!("receipt: {}", e.message())))?;
        receipt
            .validate()
            .map_err(|e| invalid(format!("receipt: {}", e.message())))?;
        if receipt.partner != self.partner
            || receipt.placement != self.placement
            || receipt.offer_id != self.offer_id
            || receipt.creative_id != self.creative_id
        {
            return Err(invalid(
                "receipt is for another partner, placement, offer or creative",
            ));
        }
        if let Some(request) = &self.fulfilment {
            if self.kind != EventType::Accept {
                return Err(invalid(format!(
                    "a {} event cannot carry a fulfilment request",
                    self.kind.as_str()
                )));
            }
            if request.partner != self.partner
                || request.offer_id != self.offer_id
                || request.decision_id != receipt.decision_id
            {
                return Err(invalid(
                    "fulfilment request is for another partner, offer or decision",
                ));
            }
            request
                .validate()
                .map_err(|e| invalid(format!("fulfilment: {}", e.message())))?;
        }
        if let Some(token) = &self.checkout {
            check_token_shape(token).map_err(|e| invalid(format!("checkout: {}", e.message())))?;
        }
        Ok(())
    }
}

/// `LIMIT_EXCEEDED` past [`MAX_EVENTS_PER_BATCH`].
fn check_count(events: usize) -> Result<()> {
    if events > MAX_EVENTS_PER_BATCH {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("more than {MAX_EVENTS_PER_BATCH} events in one batch"),
        ));
    }
    Ok(())
}

/// What hosts send to the collector: a batch of events, at most
/// [`MAX_EVENT_BATCH_BYTES`] of JSON (the `sendBeacon` budget).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventBatch {
    /// The events, in the order they happened.
    pub events: Vec<Event>,
}

impl EventBatch {
    /// Parses and validates a batch received by the collector.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` when the bytes exceed [`MAX_EVENT_BATCH_BYTES`] or the
    /// batch holds more than [`MAX_EVENTS_PER_BATCH`] events; `EVENT_INVALID`
    /// when it is not a batch (an unknown field, e.g. PII, included: the
    /// message names it with its line and column) or an event fails
    /// [`Event::validate`] (the message names the event's index).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_EVENT_BATCH_BYTES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("event batch is over {MAX_EVENT_BATCH_BYTES} bytes"),
            ));
        }
        // Counted first, each event skipped unread, so thousands of non-events
        // are refused as too many without building one (a serde_json::Value per
        // event would name a bad event's index in parse errors too, at
        // 7.1 KB gzip of the edge build; serde's message gives its line and
        // column instead).
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Frame {
            events: Vec<serde::de::IgnoredAny>,
        }
        let frame: Frame = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("not an event batch: {e}")))?;
        check_count(frame.events.len())?;
        let batch: Self = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("not an event batch: {e}")))?;
        batch.validate()?;
        Ok(batch)
    }

    /// Checks the event count and every event.
    ///
    /// # Errors
    /// As [`EventBatch::from_json`], except the byte limit.
    pub fn validate(&self) -> Result<()> {
        check_count(self.events.len())?;
        for (index, event) in self.events.iter().enumerate() {
            event
                .validate()
                .map_err(|e| invalid(format!("event {index}: {}", e.message())))?;
        }
        Ok(())
    }

    /// Serializes the batch for sending.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` when the JSON would exceed [`MAX_EVENT_BATCH_BYTES`]
    /// or the batch has too many events (split with [`EventBatch::split`]).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let bytes = serde_json::to_vec(self)
            .map_err(|e| invalid(format!("cannot encode event batch: {e}")))?;
        if bytes.len() > MAX_EVENT_BATCH_BYTES {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("event batch is over {MAX_EVENT_BATCH_BYTES} bytes"),
            ));
        }
        Ok(bytes)
    }

    /// Packs events, in order, into as few batches as fit the byte and count
    /// limits, so a host's retry queue can always be flushed.
    ///
    /// # Errors
    /// `LIMIT_EXCEEDED` when a single event alone cannot fit a batch.
    pub fn split(events: Vec<Event>) -> Result<Vec<EventBatch>> {
        // `{"events":[` + `]}` around comma-separated events.
        const FRAME: usize = 13;
        let mut batches = Vec::new();
        let mut current = EventBatch::default();
        let mut size = FRAME;
        for event in events {
            let len = serde_json::to_vec(&event)
                .map_err(|e| invalid(format!("cannot encode event: {e}")))?
                .len();
            if FRAME + len > MAX_EVENT_BATCH_BYTES {
                return Err(Error::new(
                    ErrorCode::LimitExceeded,
                    "one event is larger than a whole batch",
                ));
            }
            let extra = len + usize::from(!current.events.is_empty());
            if size + extra > MAX_EVENT_BATCH_BYTES || current.events.len() == MAX_EVENTS_PER_BATCH
            {
                batches.push(std::mem::take(&mut current));
                size = FRAME;
            }
            size += len + usize::from(!current.events.is_empty());
            current.events.push(event);
        }
        if !current.events.is_empty() {
            batches.push(current);
        }
        Ok(batches)
    }
}
