//! The engine's compiled form: what `sign` writes next to a bundle's JSON so
//! pages load the structures [`Engine::compile`] builds without compiling
//! (no JSONLogic compiler, template parser or `validate` at load; see
//! [`crate::wire`] for the value encoding).
//!
//! # Body
//! ```text
//! "OEB" FORMAT_VERSION     magic, format version (one byte)
//! bundle                   the bundle as the engine holds it (bundle::wire)
//! sha256                   the JSON payload's SHA-256, 64 lowercase hex digits
//! per bundle audience:     its filter: 0 (withheld), or 1 then the filter (audience::wire)
//! per bundle offer:        rule?  edge_only?  history keys (3 × 8 bytes LE)
//!                          fields (6 templates, 3 optional)  email? (3 templates)
//! per bundle placement:    layout template, then its offers as a bitset
//! model                    the compiled model (rank::wire)
//! index                    count, then per attribute: field tag, the
//!                          constrained offers' bitset, the accepting and
//!                          the refusing offers per value (values ascending)
//! ```
//! The per-audience, per-offer and per-placement parts have no count: there
//! is one per entry of the bundle read before them. A bitset over the offers
//! is ⌈offers / 64⌉ words of 8 bytes LE, no count either.
//!
//! # Stored, derived, checked
//! What `compile` computes at a cost is stored: rules, templates, history
//! keys (three SHA-256 per offer), the model and the predicate index. What
//! is a plain copy of a bundle member or a lookup by id is derived on read,
//! exactly as `compile` derives it, so the two can never disagree: an
//! offer's tier, value, caps, schedule, approval and confirmation flag, its
//! audience indices (by id), its advertiser's interned index, placements'
//! ids and `maxOffers`, audiences' ids and identifier kinds, which offers
//! share a rule (the index's rule slots), and the index's numeric bounds
//! (`amount >= 50`: a cheap pass over each rule, see `take_index`).
//!
//! Every count and index is bounded on read, and each table's size is
//! checked against the bundle's: one filter per audience, present exactly
//! when the audience is not withheld and salted as the bundle says; an
//! offer's rule and confirmation email present exactly when the offer has
//! them, the rule naming only audiences of the table; `edge_only` naming a withheld audience, the
//! first its inclusion and suppression lists name when they name one; no
//! bitset bit past the last offer; the model scoring exactly the bundle's
//! offers; offer values finite and ≥ 0 as `compile` requires.
//!
//! Exploration tables and the index's per-offer keys are not written: both
//! are made on first use, as after a JSON compile.

use super::compile::{CompiledAudience, CompiledEmail, CompiledFields, CompiledOffer};
use super::compile::{CompiledPlacement, Engine};
use super::index::{set, FieldIndex, PredicateIndex};
use crate::audience::AudienceFilter;
use crate::bundle::{Audience, Bundle, Edition, Offer};
use crate::context::Field;
use crate::error::Result;
use crate::history::OfferKeys;
use crate::rank::CompiledModel;
use crate::rules::CompiledRule;
use crate::template::HtmlTemplate;
use crate::wire::{wire_struct, Reader, Wire, Writer};
use std::collections::HashMap;

/// The compiled form's magic number.
const MAGIC: &[u8; 3] = b"OEB";
/// The body format this build writes and reads. 2: templates carry no name
/// (2026-12-05). 3: audiences carry their `licence` (2026-12-06). 4: the
/// bundle carries its `timeZone` and embedded UTC-offset table (issue 18;
/// the coupon action's wire changed in the same version). A form of
/// another version is refused, and `sign` writes forms with the build that
/// verifies them, so none is ever read across.
const FORMAT_VERSION: u8 = 4;

wire_struct!(CompiledFields {
    headline,
    body,
    cta,
    decline_label,
    image_alt,
    terms,
});
wire_struct!(CompiledEmail {
    subject,
    html,
    text
});

/// Fixed 8 bytes each: the keys are SHA-256 prefixes, where a varint
/// would take 9–10.
impl Wire for OfferKeys {
    fn put(&self, w: &mut Writer) {
        for key in [self.offer, self.campaign, self.advertiser] {
            w.raw(&key.to_le_bytes());
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let mut key = || <[u8; 8]>::take(r).map(u64::from_le_bytes);
        Ok(Self {
            offer: key()?,
            campaign: key()?,
            advertiser: key()?,
        })
    }
}

/// A bitset over `offers` offers: ⌈offers / 64⌉ words, 8 bytes LE each.
fn put_bits(w: &mut Writer, words: &[u64]) {
    for word in words {
        w.raw(&word.to_le_bytes());
    }
}

/// Reads a bitset over `offers` offers, refusing bits past the last one.
fn take_bits(r: &mut Reader<'_>, offers: usize) -> Result<Vec<u64>> {
    let words = (0..offers.div_ceil(64))
        .map(|_| <[u8; 8]>::take(r).map(u64::from_le_bytes))
        .collect::<Result<Vec<u64>>>()?;
    let tail = offers % 64;
    if tail != 0 && words.last().is_some_and(|&last| last >> tail != 0) {
        return Err(r.malformed("bitset names an offer past the last"));
    }
    Ok(words)
}

/// Value → offers, by ascending value.
fn put_postings(w: &mut Writer, map: &HashMap<String, Vec<u32>>) {
    let mut entries: Vec<(&String, &Vec<u32>)> = map.iter().collect();
    entries.sort_unstable_by_key(|&(value, _)| value);
    w.len(entries.len());
    for (value, offers) in entries {
        value.put(w);
        offers.put(w);
    }
}

fn take_postings(r: &mut Reader<'_>, offers: usize) -> Result<HashMap<String, Vec<u32>>> {
    let n = r.len()?;
    let mut map = HashMap::with_capacity(n.min(r.remaining()));
    let mut last: Option<String> = None;
    for _ in 0..n {
        let value = String::take(r)?;
        if last.as_ref().is_some_and(|last| value <= *last) {
            return Err(r.malformed("index values out of order"));
        }
        let count = r.len()?;
        let list = (0..count)
            .map(|_| offer_index(r, offers))
            .collect::<Result<Vec<u32>>>()?;
        last = Some(value.clone());
        map.insert(value, list);
    }
    Ok(map)
}

/// An offer index below `offers` (which fits in u32: checked on read).
fn offer_index(r: &mut Reader<'_>, offers: usize) -> Result<u32> {
    let i = r.index(offers)?;
    u32::try_from(i).map_err(|_| r.malformed("offer index"))
}

fn put_index(w: &mut Writer, index: &PredicateIndex) {
    w.len(index.fields.len());
    for (field, f) in &index.fields {
        field.put(w);
        put_bits(w, &f.constrained);
        put_postings(w, &f.accepts);
        put_postings(w, &f.refuses);
    }
}

/// The predicate index of `offers`, its rule slots and numeric bounds
/// derived from their rules as `PredicateIndex::build` derives them.
fn take_index(r: &mut Reader<'_>, offers: &[CompiledOffer]) -> Result<PredicateIndex> {
    let n = r.len()?;
    let fields = (0..n)
        .map(|_| {
            let field = Field::take(r)?;
            let index = FieldIndex {
                constrained: take_bits(r, offers.len())?,
                accepts: take_postings(r, offers.len())?,
                refuses: take_postings(r, offers.len())?,
            };
            Ok((field, index))
        })
        .collect::<Result<Vec<_>>>()?;
    let rules: Vec<Option<&CompiledRule>> = offers.iter().map(|o| o.rule.as_ref()).collect();
    Ok(PredicateIndex::with_fields(&rules, fields))
}

/// An audience as `compile` makes it from `source`, with its filter read.
fn take_audience(
    r: &mut Reader<'_>,
    source: &Audience,
    edition: Edition,
) -> Result<CompiledAudience> {
    let filter = <Option<AudienceFilter> as Wire>::take(r)?;
    if filter.is_none() != source.withheld(edition) {
        return Err(r.malformed("audience filter present where withheld, or missing"));
    }
    if filter
        .as_ref()
        .is_some_and(|f| Some(f.salt()) != source.salt.as_deref())
    {
        return Err(r.malformed("audience filter salted unlike its audience"));
    }
    Ok(CompiledAudience {
        id: source.id.clone(),
        identifier: source.identifier,
        filter,
    })
}

fn put_offer(w: &mut Writer, offer: &CompiledOffer) {
    offer.rule.put(w);
    offer.edge_only.put(w);
    offer.keys.put(w);
    offer.fields.put(w);
    offer.email.put(w);
}

/// What one offer's stored parts are read against.
struct OfferTables<'a> {
    audiences: &'a [CompiledAudience],
    /// Audience id → index, built as `compile` builds it.
    audience_index: HashMap<&'a str, usize>,
    /// Advertiser id → interned index, in first-seen order.
    advertisers: HashMap<&'a str, u32>,
}

impl<'a> OfferTables<'a> {
    fn resolve(&self, r: &Reader<'_>, ids: &[String]) -> Result<Vec<usize>> {
        ids.iter()
            .map(|id| {
                self.audience_index
                    .get(id.as_str())
                    .copied()
                    .ok_or_else(|| r.malformed("offer names an unknown audience"))
            })
            .collect()
    }

    fn withheld(&self, i: usize) -> bool {
        self.audiences.get(i).is_some_and(|a| a.filter.is_none())
    }

    /// Offer `source` as `compile` makes it, with its stored parts read.
    fn take_offer(&mut self, r: &mut Reader<'_>, source: &'a Offer) -> Result<CompiledOffer> {
        let rule = <Option<CompiledRule> as Wire>::take(r)?;
        if rule.is_some() != source.eligibility.is_some() {
            return Err(r.malformed("offer rule present without eligibility, or missing"));
        }
        if rule
            .as_ref()
            .is_some_and(|rule| !rule.audiences_within(self.audiences.len()))
        {
            return Err(r.malformed("rule names an audience past the table"));
        }
        let edge_only = <Option<usize> as Wire>::take(r)?;
        let include = self.resolve(r, &source.audiences.include)?;
        let exclude = self.resolve(r, &source.audiences.exclude)?;
        // `compile` takes the first withheld audience of the lists, else
        // the rule's; a rule's is only known to be withheld.
        let listed = include
            .iter()
            .chain(&exclude)
            .copied()
            .find(|&a| self.withheld(a));
        let consistent = match (listed, edge_only) {
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => false,
            (None, Some(b)) => self.withheld(b),
            (None, None) => true,
        };
        if !consistent {
            return Err(r.malformed("edge-only audience unlike the offer's"));
        }
        if !source.value.is_finite() || source.value < 0.0 {
            return Err(r.malformed("offer value not a finite number ≥ 0"));
        }
        let next = u32::try_from(self.advertisers.len())
            .map_err(|_| r.malformed("too many advertisers"))?;
        let advertiser = *self
            .advertisers
            .entry(source.advertiser.as_str())
            .or_insert(next);
        let keys = OfferKeys::take(r)?;
        let fields = CompiledFields::take(r)?;
        let email = <Option<Box<CompiledEmail>> as Wire>::take(r)?;
        if email.is_some() != source.creative.confirmation_email.is_some() {
            return Err(r.malformed("confirmation email present without its settings, or missing"));
        }
        Ok(CompiledOffer {
            tier: source.tier,
            value: source.value,
            advertiser,
            rule,
            edge_only,
            include,
            exclude,
            caps: source.caps.clone(),
            keys,
            suppress_after_decline: source.suppress_after_decline,
            repeat_after_accept: source.repeat_after_accept,
            schedule: source.schedule,
            approval: source.creative.approval.status,
            fields,
            needs_confirmation: source
                .creative
                .confirmation_email
                .as_ref()
                .is_some_and(|e| e.required),
            email,
        })
    }
}

fn put_placement(w: &mut Writer, placement: &CompiledPlacement, offers: usize) {
    placement.layout.put(w);
    let mut bits = vec![0u64; offers.div_ceil(64)];
    for &i in &placement.offers {
        set(&mut bits, i);
    }
    put_bits(w, &bits);
}

fn take_placement(
    r: &mut Reader<'_>,
    source: &crate::bundle::Placement,
    offers: usize,
) -> Result<CompiledPlacement> {
    let layout = HtmlTemplate::take(r)?;
    let bits = take_bits(r, offers)?;
    // Bundle order, as `compile` lists them; every bit is below `offers`.
    let allowed = (0..offers)
        .filter(|&i| bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1))
        .map(|i| u32::try_from(i).map_err(|_| r.malformed("offer index")))
        .collect::<Result<Vec<u32>>>()?;
    Ok(CompiledPlacement {
        id: source.id.clone(),
        layout,
        max_offers: usize::from(source.max_offers),
        offers: allowed,
    })
}

fn is_lower_hex_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Engine {
    /// The compiled form's body: magic `b"OEB"`, format version byte 1,
    /// then every field of the engine but `signers` and `decide_until`
    /// (hosts set those from verification, as
    /// [`from_verified`](Self::from_verified) does). Canonical: the same
    /// engine always writes the same bytes.
    pub fn compiled_form(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(MAGIC);
        w.byte(FORMAT_VERSION);
        self.bundle.put(&mut w);
        self.sha256_hex.put(&mut w);
        for audience in &self.audiences {
            audience.filter.put(&mut w);
        }
        for offer in &self.offers {
            put_offer(&mut w, offer);
        }
        for placement in &self.placements {
            put_placement(&mut w, placement, self.offers.len());
        }
        self.model.put(&mut w);
        put_index(&mut w, &self.index);
        w.into_bytes()
    }

    /// Loads a body written by [`compiled_form`](Self::compiled_form) into
    /// an engine (signers empty, `decide_until` `None`) — the caller has
    /// already checked its digest against a signed manifest.
    ///
    /// # Errors
    /// `PAYLOAD_MALFORMED` for bytes `compiled_form` never writes (wrong
    /// magic, unknown version, truncated, an out-of-range index, a table
    /// of the wrong size, trailing bytes…).
    pub fn from_compiled_form(body: &[u8]) -> Result<Engine> {
        let mut r = Reader::new(body);
        if r.raw(MAGIC.len())? != MAGIC {
            return Err(r.malformed("not a compiled form"));
        }
        if r.byte()? != FORMAT_VERSION {
            return Err(r.malformed("unknown compiled form version"));
        }
        let bundle = Bundle::take(&mut r)?;
        let sha256_hex = String::take(&mut r)?;
        if !is_lower_hex_sha256(&sha256_hex) {
            return Err(r.malformed("bundle SHA-256 is not 64 lowercase hex digits"));
        }
        if u32::try_from(bundle.offers.len()).is_err() {
            return Err(r.malformed("too many offers"));
        }
        let audiences = bundle
            .audiences
            .iter()
            .map(|a| take_audience(&mut r, a, bundle.edition))
            .collect::<Result<Vec<_>>>()?;
        let offers = {
            let mut tables = OfferTables {
                audiences: &audiences,
                audience_index: audiences
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.id.as_str(), i))
                    .collect(),
                advertisers: HashMap::new(),
            };
            // Sized up front, as `compile` sizes it: collecting a `Result`
            // iterator cannot know its length, and growing by doubling a
            // vector of ~1 KB offers left 5,000 of them in 8 MB, with both
            // copies live at the last step (the memory goal's regression).
            let mut offers = Vec::with_capacity(bundle.offers.len());
            for offer in &bundle.offers {
                offers.push(tables.take_offer(&mut r, offer)?);
            }
            offers
        };
        let placements = bundle
            .placements
            .iter()
            .map(|p| take_placement(&mut r, p, offers.len()))
            .collect::<Result<Vec<_>>>()?;
        let model = CompiledModel::take(&mut r)?;
        if model.offer_count() != offers.len() {
            return Err(r.malformed("model scores another number of offers"));
        }
        let index = take_index(&mut r, &offers)?;
        r.finish()?;
        Ok(Engine {
            bundle,
            sha256_hex,
            placements,
            offers,
            audiences,
            model,
            index,
            signers: Vec::new(),
            decide_until: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::index::NumericIndex;
    use crate::error::ErrorCode;

    fn engine() -> Engine {
        let json = include_str!("../../tests/fixtures/decide/bundle.json");
        Engine::compile(serde_json::from_str(json).unwrap(), &[1; 32]).unwrap()
    }

    /// The form of `engine` after `forge`, read back.
    fn reread(forge: impl FnOnce(&mut Engine)) -> Result<Engine> {
        let mut engine = engine();
        forge(&mut engine);
        Engine::from_compiled_form(&engine.compiled_form())
    }

    fn refused(what: &str, forge: impl FnOnce(&mut Engine)) {
        let Err(err) = reread(forge) else {
            panic!("{what}: loaded")
        };
        assert_eq!(err.code(), ErrorCode::PayloadMalformed, "{what}: {err}");
    }

    #[test]
    fn tables_that_disagree_with_the_bundle_are_refused() {
        assert!(reread(|_| {}).is_ok());
        refused("edge-only audience that is not withheld", |e| {
            e.offers[0].edge_only = Some(0);
        });
        refused("edge-only audience past the table", |e| {
            e.offers[0].edge_only = Some(e.audiences.len());
        });
        refused("filter where none is withheld", |e| {
            e.audiences[0].filter = None;
        });
        refused("filter salted unlike its audience", |e| {
            let filter = AudienceFilter::build(crate::audience::FilterWidth::Fuse8, "other", &[]);
            e.audiences[0].filter = Some(filter.unwrap());
        });
        refused("rule dropped from an offer with eligibility", |e| {
            let i = e.bundle.offers.iter().position(|o| o.eligibility.is_some());
            e.offers[i.unwrap()].rule = None;
        });
        refused("model for no offers", |e| {
            e.model = CompiledModel::default()
        });
        refused("index posting past the last offer", |e| {
            let n = e.offers.len() as u32;
            e.index.fields[0].1.accepts.insert("XX".into(), vec![n]);
        });
        refused("a SHA-256 that is not lowercase hex", |e| {
            e.sha256_hex = "AB".repeat(32);
        });
    }

    #[test]
    fn bitsets_refuse_bits_past_the_last_offer() {
        let mut w = Writer::new();
        put_bits(&mut w, &[1 << 5]);
        let bytes = w.into_bytes();
        assert_eq!(take_bits(&mut Reader::new(&bytes), 6).unwrap(), [1 << 5]);
        let err = take_bits(&mut Reader::new(&bytes), 5).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PayloadMalformed);
    }

    #[test]
    fn rule_slots_are_derived_as_compile_derives_them() {
        let engine = engine();
        let loaded = Engine::from_compiled_form(&engine.compiled_form()).unwrap();
        assert_eq!(loaded.index.rule_slot, engine.index.rule_slot);
        assert_eq!(loaded.index.rule_slots, engine.index.rule_slots);
        assert_eq!(loaded.index.words, engine.index.words);
        let advertisers = |e: &Engine| e.offers.iter().map(|o| o.advertiser).collect::<Vec<_>>();
        assert_eq!(advertisers(&loaded), advertisers(&engine));
        let audiences = |e: &Engine| {
            e.offers
                .iter()
                .map(|o| (o.include.clone(), o.exclude.clone(), o.edge_only))
                .collect::<Vec<_>>()
        };
        assert_eq!(audiences(&loaded), audiences(&engine));
    }

    #[test]
    fn numeric_bounds_are_derived_as_compile_derives_them() {
        let engine = engine();
        // The fixture has `amount >= 50`: the index holds a bound to derive.
        assert_ne!(engine.index.numeric, NumericIndex::default());
        let loaded = Engine::from_compiled_form(&engine.compiled_form()).unwrap();
        assert_eq!(loaded.index.numeric, engine.index.numeric);
    }
}
