//! The bundle document in the compiled form (see [`crate::wire`]): every
//! member, field by field in declaration order, as an engine holds it after
//! compiling. `Engine::compile` has emptied what compiled into a form of its
//! own (the model, audience filters, creative template texts); those members
//! are written as they are, empty, so the decoded bundle equals the engine's.
//!
//! Nothing here checks what `validate` checks: the compiled form is read
//! after its digest matched a signed manifest, and the engine's reader
//! (`decide::wire`) checks what deciding relies on.

use super::compact_map::CompactMap;
use super::model::{
    Action, Approval, ApprovalStatus, Audience, AudienceKind, BetaPrior, Bundle, Cap,
    ConfirmationEmail, Creative, CreativeFields, Edition, Exploration, FulfilmentKey,
    IdentifierKind, Licence, Model, Offer, OfferAudiences, Placement, RuleText, Schedule, Weights,
};
use super::model::{CodeSource, Coupon, CouponCode};
use crate::error::Result;
use crate::time::{Timestamp, ZoneOffsets, MAX_TIME_ZONE_TRANSITIONS};
use crate::wire::{wire_enum, wire_struct, Reader, Wire, Writer};

impl Wire for Bundle {
    fn put(&self, w: &mut Writer) {
        self.schema.put(w);
        self.partner.put(w);
        self.version.put(w);
        self.edition.put(w);
        self.issued_at.put(w);
        self.expires_at.put(w);
        put_minutes(self.utc_offset_minutes, w);
        self.time_zone.put(w);
        self.time_zone_offsets.put(w);
        self.fulfilment_key.put(w);
        self.placements.put(w);
        self.offers.put(w);
        self.audiences.put(w);
        self.model.put(w);
    }

    fn take(r: &mut Reader<'_>) -> Result<Self> {
        // Written out (not `wire_struct!`) for the `i32` member and the
        // time zone's check.
        let bundle = Self {
            schema: Wire::take(r)?,
            partner: Wire::take(r)?,
            version: Wire::take(r)?,
            edition: Wire::take(r)?,
            issued_at: Wire::take(r)?,
            expires_at: Wire::take(r)?,
            utc_offset_minutes: take_minutes(r)?,
            time_zone: Wire::take(r)?,
            time_zone_offsets: Wire::take(r)?,
            fulfilment_key: Wire::take(r)?,
            placements: Wire::take(r)?,
            offers: Wire::take(r)?,
            audiences: Wire::take(r)?,
            model: Wire::take(r)?,
        };
        // Decide reads the wall clock from the table: a zone without one
        // would silently decide in UTC.
        if bundle.time_zone.is_some() != bundle.time_zone_offsets.is_some() {
            return Err(r.malformed("a time zone without its offsets, or offsets without a zone"));
        }
        Ok(bundle)
    }
}

fn put_minutes(minutes: i32, w: &mut Writer) {
    i64::from(minutes).put(w);
}

fn take_minutes(r: &mut Reader<'_>) -> Result<i32> {
    let minutes = i64::take(r)?;
    i32::try_from(minutes).map_err(|_| r.malformed("UTC offset out of range"))
}

/// The embedded offsets of the bundle's IANA zone, checked as `validate`
/// checks them (bounded, ordered, within ±18 h): `offset_at`'s binary
/// search relies on the order.
impl Wire for ZoneOffsets {
    fn put(&self, w: &mut Writer) {
        self.zone.put(w);
        self.from.put(w);
        self.until.put(w);
        put_minutes(self.initial, w);
        w.len(self.transitions.len());
        for &(at, minutes) in &self.transitions {
            at.put(w);
            put_minutes(minutes, w);
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let (zone, from, until) = (Wire::take(r)?, Wire::take(r)?, Wire::take(r)?);
        let initial = take_minutes(r)?;
        let n = r.len()?;
        if n > MAX_TIME_ZONE_TRANSITIONS {
            return Err(r.malformed("more time zone transitions than a bundle may hold"));
        }
        let mut transitions = r.vec_for(n);
        for _ in 0..n {
            transitions.push((Timestamp::take(r)?, take_minutes(r)?));
        }
        let table = Self {
            zone,
            from,
            until,
            initial,
            transitions,
        };
        table
            .check()
            .map_err(|e| r.malformed(&format!("time zone offsets: {}", e.message())))?;
        Ok(table)
    }
}

wire_struct!(FulfilmentKey { kid, public_key });
wire_struct!(Placement {
    id,
    layout,
    max_offers
});
wire_struct!(Offer {
    id,
    campaign,
    advertiser,
    tier,
    value,
    placements,
    eligibility,
    audiences,
    caps,
    suppress_after_decline,
    repeat_after_accept,
    schedule,
    action,
    creative,
});

/// The rule's compact JSON text as it is: the reader does not parse it (the
/// engine decides with the compiled rule; only explanations read the text).
impl Wire for RuleText {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Box::<str>::take(r).map(Self)
    }
}

wire_struct!(OfferAudiences { include, exclude });
// `CapScope` and `CapWindow` are written by `rules::wire`, whose history
// nodes name them too.
wire_struct!(Cap { scope, max, window });
wire_struct!(Schedule { start, end });

impl Wire for Action {
    fn put(&self, w: &mut Writer) {
        match self {
            Self::Link { url } => {
                w.byte(0);
                url.put(w);
            }
            Self::AddToCart { sku } => {
                w.byte(1);
                sku.put(w);
            }
            Self::Coupon(Coupon {
                code: CouponCode::Fixed(code),
                url,
            }) => {
                w.byte(2);
                code.put(w);
                url.put(w);
            }
            Self::Coupon(Coupon {
                code: CouponCode::Issued(source),
                url,
            }) => {
                w.byte(3);
                source.put(w);
                url.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(Self::Link {
                url: Wire::take(r)?,
            }),
            1 => Ok(Self::AddToCart {
                sku: Wire::take(r)?,
            }),
            2 => Ok(Self::Coupon(Coupon {
                code: CouponCode::Fixed(Wire::take(r)?),
                url: Wire::take(r)?,
            })),
            3 => Ok(Self::Coupon(Coupon {
                code: CouponCode::Issued(Wire::take(r)?),
                url: Wire::take(r)?,
            })),
            _ => Err(r.malformed("unknown Action tag")),
        }
    }
}

/// A unique coupon's code source (tag 3 of [`Action`]): the form carries
/// it so pages know the offer's code is issued at the edge, never a code.
impl Wire for CodeSource {
    fn put(&self, w: &mut Writer) {
        match self {
            Self::Derived { prefix, length } => {
                w.byte(0);
                prefix.put(w);
                w.byte(*length);
            }
            Self::Pool { pool } => {
                w.byte(1);
                pool.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        match r.byte()? {
            0 => Ok(Self::Derived {
                prefix: Wire::take(r)?,
                length: r.byte()?,
            }),
            1 => Ok(Self::Pool {
                pool: Wire::take(r)?,
            }),
            _ => Err(r.malformed("unknown CodeSource tag")),
        }
    }
}

wire_struct!(Creative {
    id,
    approval,
    fields,
    confirmation_email
});
wire_enum!(ApprovalStatus {
    Approved = 0,
    Pending = 1,
    Rejected = 2,
});
wire_struct!(Approval {
    status,
    reviewer,
    at
});
wire_struct!(CreativeFields {
    headline,
    body,
    cta,
    decline_label,
    image,
    image_alt,
    terms,
});
wire_struct!(ConfirmationEmail {
    required,
    subject,
    html,
    text,
    reminder_after,
});
wire_enum!(Edition {
    Full = 0,
    Page = 1,
});
wire_enum!(AudienceKind {
    AdvertiserList = 0,
    LicensedCohort = 1,
});
wire_enum!(IdentifierKind {
    Email = 0,
    Phone = 1,
});
wire_struct!(Audience {
    id,
    kind,
    identifier,
    confidential,
    salt,
    filter,
    false_positive_rate,
    licence,
});
wire_struct!(Licence { countries });
wire_struct!(Weights {
    intercept,
    features
});
wire_struct!(BetaPrior { alpha, beta });
wire_struct!(Exploration {
    enabled,
    default_prior,
    priors
});
wire_struct!(Model {
    crosses,
    global,
    offers,
    exploration
});

/// Entries in key order; the reader refuses keys out of order or repeated,
/// which a map never writes (one map, one encoding).
impl<V: Wire> Wire for CompactMap<V> {
    fn put(&self, w: &mut Writer) {
        w.len(self.len());
        for (key, value) in self {
            key.put(w);
            value.put(w);
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let entries: Vec<(String, V)> = r.seq()?;
        if entries.windows(2).any(|pair| match pair {
            [(a, _), (b, _)] => a >= b,
            _ => false,
        }) {
            return Err(r.malformed("map keys out of order"));
        }
        Ok(entries.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::wire::{decode, encode};

    #[test]
    fn a_whole_bundle_reads_back_equal() {
        let json = include_str!("../../tests/fixtures/decide/bundle.json");
        let mut bundle: Bundle = serde_json::from_str(json).unwrap();
        bundle.utc_offset_minutes = -300;
        bundle.model.exploration.priors.insert(
            "x".into(),
            BetaPrior {
                alpha: 2.0,
                beta: 3.0,
            },
        );
        let bytes = encode(&bundle);
        let back: Bundle = decode(&bytes).unwrap();
        assert_eq!(back, bundle);
        assert_eq!(encode(&back), bytes);
    }

    #[test]
    fn a_time_zone_reads_back_with_its_table_and_never_without_it() {
        let json = include_str!("../../tests/fixtures/decide/bundle.json");
        let mut bundle: Bundle = serde_json::from_str(json).unwrap();
        let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
        bundle.utc_offset_minutes = 0;
        bundle.time_zone = Some("America/New_York".to_owned());
        let table = ZoneOffsets {
            zone: "America/New_York".to_owned(),
            from: at("2026-11-01T00:00:00Z"),
            until: at("2099-01-08T00:00:00Z"),
            initial: -240,
            transitions: vec![
                (at("2026-11-01T06:00:00Z"), -300),
                (at("2027-03-14T07:00:00Z"), -240),
            ],
        };
        bundle.time_zone_offsets = Some(table.clone());
        let bytes = encode(&bundle);
        let back: Bundle = decode(&bytes).unwrap();
        assert_eq!(back, bundle);

        // A forged form: a zone without its table, or a table out of order.
        let mut tableless = bundle.clone();
        tableless.time_zone_offsets = None;
        let err = decode::<Bundle>(&encode(&tableless)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);
        let mut unordered = table;
        unordered.transitions.swap(0, 1);
        let err = decode::<ZoneOffsets>(&encode(&unordered)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);
    }

    #[test]
    fn map_keys_out_of_order_are_refused() {
        let mut w = Writer::new();
        w.len(2);
        for key in ["b", "a"] {
            key.to_owned().put(&mut w);
            1.0f64.put(&mut w);
        }
        let err = decode::<CompactMap<f64>>(&w.into_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);
    }
}
