//! A realistic, deterministic demo bundle for demos, tests and benchmarks
//! (`offer-edge demo-bundle`). Native CLI only: it never ships to browsers.
//!
//! Offers come from ~25 advertisers across verticals, with eligibility rules
//! over the shared context vocabulary (state, amount, paymenttype, country,
//! customertype, local hour), caps at every scope, decline suppression,
//! personalised copy, ~20% needing a confirmation email, and a propensity
//! model with an `ageBand × state` cross and exploration priors.

use crate::audience::{AudienceFilter, FilterWidth, IdentifierHash};
use crate::bundle::model::Coupon;
use crate::bundle::model::{
    Action, Approval, ApprovalStatus, Audience, AudienceKind, BetaPrior, Bundle, Cap, CapScope,
    CapWindow, ConfirmationEmail, Creative, CreativeFields, Edition, Exploration, FulfilmentKey,
    IdentifierKind, Model, Offer, OfferAudiences, Placement, Schedule, Weights, BUNDLE_SCHEMA,
};
use crate::bundle::CompactMap;
use crate::time::tzdb::{zone_offsets, TIME_ZONE_MARGIN};
use crate::time::{DurationMs, Timestamp, DAY_MS, HOUR_MS};
use serde_json::{json, Value};

/// SplitMix64: tiny, deterministic, good enough to vary demo data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn round2(&mut self, lo: f64, hi: f64) -> f64 {
        ((lo + (hi - lo) * self.unit()) * 100.0).round() / 100.0
    }
}

/// (advertiser id, display name, vertical, domain)
const ADVERTISERS: [(&str, &str, &str, &str); 25] = [
    (
        "streamflix",
        "StreamFlix",
        "streaming",
        "streamflix.example",
    ),
    ("tunebox", "TuneBox", "streaming", "tunebox.example"),
    ("cinevault", "CineVault", "streaming", "cinevault.example"),
    ("hellochef", "HelloChef", "mealkit", "hellochef.example"),
    ("greenplate", "GreenPlate", "mealkit", "greenplate.example"),
    ("boxfresh", "BoxFresh", "mealkit", "boxfresh.example"),
    ("skyhop", "SkyHop", "travel", "skyhop.example"),
    ("staywell", "StayWell Hotels", "travel", "staywell.example"),
    ("roamcar", "RoamCar", "travel", "roamcar.example"),
    (
        "safeharbor",
        "SafeHarbor Insurance",
        "insurance",
        "safeharbor.example",
    ),
    ("petguard", "PetGuard", "insurance", "petguard.example"),
    (
        "tripshield",
        "TripShield",
        "insurance",
        "tripshield.example",
    ),
    ("coinwise", "CoinWise", "fintech", "coinwise.example"),
    ("payplan", "PayPlan", "fintech", "payplan.example"),
    ("stashup", "StashUp", "fintech", "stashup.example"),
    (
        "brightfuture",
        "Bright Future Fund",
        "charity",
        "brightfuture.example",
    ),
    ("oceancare", "OceanCare", "charity", "oceancare.example"),
    ("fitpulse", "FitPulse", "fitness", "fitpulse.example"),
    ("yogaflow", "YogaFlow", "fitness", "yogaflow.example"),
    ("readmore", "ReadMore", "books", "readmore.example"),
    ("glowbox", "GlowBox", "beauty", "glowbox.example"),
    (
        "shopback",
        "ShopBack Rewards",
        "cashback",
        "shopback.example",
    ),
    ("wirefast", "WireFast", "telecom", "wirefast.example"),
    ("homeshine", "HomeShine", "home", "homeshine.example"),
    ("learnly", "Learnly", "education", "learnly.example"),
];

/// (headline, body, cta) per vertical; `{name}` is the advertiser name.
fn copy(vertical: &str) -> (&'static str, &'static str, &'static str) {
    match vertical {
        "streaming" => (
            "{{firstname|there}}, enjoy 3 months of {name} on us",
            "Stream thousands of titles ad-free. Cancel anytime.",
            "Start free trial",
        ),
        "mealkit" => (
            "{{firstname|there}}, get 50% off your first {name} box",
            "Fresh ingredients and easy recipes delivered to your door.",
            "Claim 50% off",
        ),
        "travel" => (
            "Save $25 on your next trip with {name}",
            "Exclusive to today's order, {{firstname|there}}: book in the next 30 days.",
            "Get my $25",
        ),
        "insurance" => (
            "{{firstname|there}}, get a free {name} quote in 2 minutes",
            "Customers who switch save an average of $300 a year.",
            "Get my quote",
        ),
        "fintech" => (
            "Get a $20 bonus when you join {name}",
            "Open an account today, {{firstname|there}}, and fund it within 30 days.",
            "Claim my bonus",
        ),
        "charity" => (
            "Round up your order for {name}",
            "{{firstname|there}}, your spare change funds real change.",
            "Donate $1",
        ),
        _ => (
            "{{firstname|there}}, a welcome gift from {name}",
            "New members get 30% off their first order.",
            "Claim my gift",
        ),
    }
}

fn eligibility(rng: &mut Rng) -> Option<Value> {
    let rules = [
        json!({"!": {"in": [{"var": "state"}, ["NY", "NJ"]]}}),
        json!({">=": [{"var": "amount"}, 50]}),
        json!({"==": [{"var": "country"}, "US"]}),
        json!({"in": [{"var": "paymenttype"}, ["visa", "mastercard", "amex"]]}),
        json!({"==": [{"var": "customertype"}, "new"]}),
        json!({"and": [{">=": [{"local_hour": []}, 8]}, {"<": [{"local_hour": []}, 22]}]}),
        json!({">=": [{"var": "amount"}, 100]}),
        json!({"!": {"in": [{"var": "state"}, ["CA", "WA"]]}}),
    ];
    match rng.below(10) {
        0 | 1 => None,
        2..=6 => Some(rng.pick(&rules).clone()),
        _ => {
            let (a, b) = (rng.pick(&rules).clone(), rng.pick(&rules).clone());
            Some(json!({"and": [a, b]}))
        }
    }
}

fn caps(rng: &mut Rng) -> Vec<Cap> {
    let mut caps = vec![Cap {
        scope: CapScope::Offer,
        max: 1 + rng.below(3) as u32,
        window: *rng.pick(&[CapWindow::Day, CapWindow::Week]),
    }];
    if rng.unit() < 0.5 {
        caps.push(Cap {
            scope: CapScope::Campaign,
            max: 3 + rng.below(5) as u32,
            window: CapWindow::Week,
        });
    }
    if rng.unit() < 0.4 {
        caps.push(Cap {
            scope: CapScope::Advertiser,
            max: 2 + rng.below(3) as u32,
            window: *rng.pick(&[CapWindow::Day, CapWindow::Month, CapWindow::Session]),
        });
    }
    if rng.unit() < 0.1 {
        caps.push(Cap {
            scope: CapScope::Offer,
            max: 5,
            window: CapWindow::Lifetime,
        });
    }
    caps
}

fn offer(i: usize, rng: &mut Rng, now: Timestamp) -> Offer {
    let (adv, name, vertical, domain) = ADVERTISERS[i % ADVERTISERS.len()];
    let id = format!("{adv}-{i:05}");
    let (headline, body, cta) = copy(vertical);
    let landing = format!("https://www.{domain}/offer?src=offer-edge&o={id}");
    let action = match rng.below(10) {
        0..=5 => Action::Link {
            url: landing.clone(),
        },
        6 | 7 => Action::Coupon(Coupon::fixed(
            format!("{}{}", adv.to_uppercase(), 10 + rng.below(40)),
            Some(landing.clone()),
        )),
        _ => Action::AddToCart {
            sku: format!("SKU-{}-{i:05}", adv.to_uppercase()),
        },
    };
    let confirmation_email = (rng.unit() < 0.2).then(|| ConfirmationEmail {
        required: true,
        subject: format!("{{{{firstname|there}}}}, your {name} offer is inside"),
        html: format!(
            "<p>Hi {{{{firstname|there}}}},</p><p>Thanks for claiming your {name} offer.</p>\
             <p><a href=\"{landing}\">Redeem it here</a></p>"
        ),
        text: Some(format!(
            "Hi {{{{firstname|there}}}},\n\nThanks for claiming your {name} offer.\nRedeem it here: {landing}\n"
        )),
        reminder_after: Some(DurationMs(24 * HOUR_MS as u64)),
    });
    Offer {
        id: id.clone(),
        campaign: format!("{adv}-{}", ["spring", "summer", "always-on"][i % 3]),
        advertiser: adv.to_owned(),
        tier: *rng.pick(&[0, 1, 1, 2, 2, 2]),
        value: rng.round2(0.5, 12.0),
        placements: match rng.below(4) {
            0 => vec!["confirmation".to_owned()],
            1 => vec!["sidebar".to_owned()],
            _ => Vec::new(),
        },
        eligibility: eligibility(rng).map(Into::into),
        audiences: OfferAudiences::default(),
        caps: caps(rng),
        suppress_after_decline: (rng.unit() < 0.85)
            .then(|| DurationMs(*rng.pick(&[7u64, 14, 30]) * DAY_MS as u64)),
        repeat_after_accept: rng.unit() < 0.05,
        schedule: Schedule::default(),
        action,
        creative: Creative {
            id: format!("cr-{id}"),
            approval: Approval {
                status: ApprovalStatus::Approved,
                reviewer: (*rng.pick(&["sam.lee", "ana.ruiz", "kofi.mensah"])).to_owned(),
                at: Timestamp(now.as_millis() - (1 + rng.below(20) as i64) * DAY_MS),
            },
            fields: CreativeFields {
                headline: headline.replace("{name}", name),
                body: body.replace("{name}", name),
                cta: cta.to_owned(),
                decline_label: Some("No thanks".to_owned()),
                // Served by the demo edge from www/img/ (same origin, so the
                // demo works offline and under a strict CSP).
                image: Some(format!("/img/{vertical}.svg")),
                image_alt: Some(format!("{name} logo")),
                terms: Some(format!("Terms apply. See {domain} for details.")),
            },
            confirmation_email: confirmation_email.map(Box::new),
        },
    }
}

/// Layout of the `confirmation` placement (up to two offers).
pub const CONFIRMATION_LAYOUT: &str = r#"<section class="oe-placement oe-confirmation" data-placement="{{placement.id}}">
  <header class="oe-header">
    <h2 class="oe-title">{{firstname|there}}, here are some extra perks selected just for you</h2>
    <button type="button" class="oe-close" data-action="close" aria-label="Close">&times;</button>
  </header>
  <ol class="oe-offers">
    {{#offers}}
    <li class="oe-offer" data-offer-id="{{id}}" data-rank="{{rank}}">
      {{#image}}<img class="oe-image" src="{{image}}" alt="{{imageAlt}}">{{/image}}
      <h3 class="oe-headline">{{headline}}</h3>
      <p class="oe-body">{{body}}</p>
      {{#terms}}<p class="oe-terms">{{terms}}</p>{{/terms}}
      <div class="oe-actions">
        <button type="button" class="oe-accept" data-offer-id="{{id}}" data-action="accept">{{cta}}</button>
        <button type="button" class="oe-decline" data-offer-id="{{id}}" data-action="decline">{{declineLabel}}</button>
      </div>
    </li>
    {{/offers}}
  </ol>
</section>"#;

/// Layout of the `sidebar` placement (one offer).
pub const SIDEBAR_LAYOUT: &str = r#"<aside class="oe-placement oe-sidebar" data-placement="{{placement.id}}">
  <button type="button" class="oe-close" data-action="close" aria-label="Close">&times;</button>
  {{#offers}}
  <div class="oe-offer" data-offer-id="{{id}}">
    <h3 class="oe-headline">{{headline}}</h3>
    <p class="oe-body">{{body}}</p>
    <button type="button" class="oe-accept" data-offer-id="{{id}}" data-action="accept">{{cta}}</button>
    <button type="button" class="oe-decline" data-offer-id="{{id}}" data-action="decline">{{declineLabel}}</button>
  </div>
  {{/offers}}
</aside>"#;

const STATES: [&str; 12] = [
    "CA", "NY", "TX", "FL", "IL", "PA", "OH", "GA", "NC", "MI", "NJ", "WA",
];
const AGE_BANDS: [&str; 6] = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"];

fn model(offers: &[Offer], rng: &mut Rng) -> Model {
    let mut global = CompactMap::new();
    let mut base: Vec<String> = Vec::new();
    base.extend(STATES.iter().map(|s| format!("state={s}")));
    base.extend(AGE_BANDS.iter().map(|a| format!("ageBand={a}")));
    base.extend(
        ["0-25", "25-50", "50-100", "100-250", "250+"]
            .iter()
            .map(|c| format!("cartBand={c}")),
    );
    base.extend(
        ["visa", "mastercard", "amex", "paypal", "applepay"]
            .iter()
            .map(|p| format!("payment={p}")),
    );
    base.extend(
        ["gold", "silver", "bronze"]
            .iter()
            .map(|l| format!("loyalty={l}")),
    );
    base.extend(["new", "returning"].iter().map(|c| format!("customer={c}")));
    base.extend(
        ["mobile", "desktop", "tablet"]
            .iter()
            .map(|d| format!("device={d}")),
    );
    base.extend(
        ["night", "morning", "afternoon", "evening"]
            .iter()
            .map(|h| format!("hourBand={h}")),
    );
    base.push("country=US".to_owned());
    for f in &base {
        global.insert(f.clone(), rng.round2(-0.5, 0.5));
    }
    for a in AGE_BANDS {
        for s in STATES.iter().take(6) {
            global.insert(format!("ageBand={a}&state={s}"), rng.round2(-0.4, 0.6));
        }
    }
    let mut per_offer = CompactMap::new();
    let mut priors = CompactMap::new();
    for o in offers {
        let mut features = CompactMap::new();
        for _ in 0..3 {
            features.insert(rng.pick(&base).clone(), rng.round2(-1.0, 1.0));
        }
        per_offer.insert(
            o.id.clone(),
            Weights {
                intercept: rng.round2(-0.5, 0.5),
                features,
            },
        );
        if rng.unit() < 0.5 {
            let shown = 20.0 + (rng.below(500) as f64);
            let taken = (shown * rng.round2(0.01, 0.15)).round();
            priors.insert(
                o.id.clone(),
                BetaPrior {
                    alpha: 1.0 + taken,
                    beta: 1.0 + shown - taken,
                },
            );
        }
    }
    Model {
        crosses: vec![vec!["ageBand".to_owned(), "state".to_owned()]],
        global: Weights {
            intercept: -3.0,
            features: global,
        },
        offers: per_offer,
        exploration: Exploration {
            enabled: true,
            default_prior: Some(BetaPrior {
                alpha: 1.0,
                beta: 30.0,
            }),
            priors,
        },
    }
}

/// Demo audiences: a confidential suppression list of a streaming
/// advertiser's existing subscribers (Grace is one) and a licensed cohort of frequent travellers
/// (Ada is one), each padded with synthetic members so the filters are real
/// sized. Streaming offers exclude the first; every other travel offer
/// requires the second.
fn audiences(partner: &str, offers: &mut [Offer]) -> Vec<Audience> {
    let list = |salt: &str, named: &str, synthetic: usize, tag: &str| {
        let members: Vec<IdentifierHash> = std::iter::once(named.to_owned())
            .chain((0..synthetic).map(|i| format!("{tag}{i}@example.com")))
            .filter_map(|email| IdentifierHash::of_raw(IdentifierKind::Email, &email))
            .collect();
        AudienceFilter::build(FilterWidth::Fuse8, salt, &members)
    };
    let (Ok(subscribers), Ok(travellers)) = (
        list(
            &format!("{partner}-subscribers-1"),
            "grace@example.com",
            2_000,
            "subscriber",
        ),
        list(
            &format!("{partner}-travellers-1"),
            "ada@example.com",
            5_000,
            "traveller",
        ),
    ) else {
        return Vec::new();
    };
    for (i, offer) in offers.iter_mut().enumerate() {
        match ADVERTISERS[i % ADVERTISERS.len()].2 {
            "streaming" => offer
                .audiences
                .exclude
                .push("existing-subscribers".to_owned()),
            "travel" if i % 2 == 0 => offer
                .audiences
                .include
                .push("frequent-travellers".to_owned()),
            _ => {}
        }
    }
    // The advertiser's customer list is confidential: `sign` withholds it
    // from the page bundle, and streaming offers are decided at the edge.
    let mut subscribers = subscribers.to_audience(
        "existing-subscribers",
        AudienceKind::AdvertiserList,
        IdentifierKind::Email,
    );
    subscribers.confidential = true;
    vec![
        subscribers,
        travellers.to_audience(
            "frequent-travellers",
            AudienceKind::LicensedCohort,
            IdentifierKind::Email,
        ),
    ]
}

/// The demo partner's IANA time zone: `offer-edge demo-bundle` names it
/// ([`set_time_zone`]). [`demo_bundle`] itself keeps the fixed UTC-5 of old
/// files, so tests may move its dates without re-embedding offsets.
pub const DEMO_TIME_ZONE: &str = "America/New_York";

/// Names the IANA `zone` as `bundle`'s time zone (in place of a fixed
/// offset), with the zone's UTC offsets over the bundle's validity embedded
/// as `offer-edge sign` embeds them: call it once the dates are final.
///
/// # Errors
/// As [`zone_offsets`]: `TIME_ZONE_UNKNOWN`, `TIME_ZONE_INVALID`, or
/// `LIMIT_EXCEEDED` for a validity of over a century.
pub fn set_time_zone(bundle: &mut Bundle, zone: &str) -> crate::error::Result<()> {
    let until = bundle.expires_at.plus(TIME_ZONE_MARGIN);
    bundle.time_zone_offsets = Some(zone_offsets(zone, bundle.issued_at, until)?);
    bundle.time_zone = Some(zone.to_owned());
    bundle.utc_offset_minutes = 0;
    Ok(())
}

/// A deterministic demo bundle for `partner` with `offers` offers: same
/// arguments, same bundle. Issued at `now`, valid for 7 days; every creative
/// approved; two audiences, one of them confidential (see [`audiences`]).
pub fn demo_bundle(
    partner: &str,
    offers: usize,
    seed: u64,
    now: Timestamp,
    fulfilment_key: FulfilmentKey,
) -> Bundle {
    let mut rng = Rng(seed);
    let mut offers: Vec<Offer> = (0..offers).map(|i| offer(i, &mut rng, now)).collect();
    let model = model(&offers, &mut rng);
    let audiences = audiences(partner, &mut offers);
    Bundle {
        schema: BUNDLE_SCHEMA,
        partner: partner.to_owned(),
        version: 1,
        edition: Edition::Full,
        issued_at: now,
        expires_at: Timestamp(now.as_millis() + 7 * DAY_MS),
        utc_offset_minutes: -300,
        time_zone: None,
        time_zone_offsets: None,
        fulfilment_key,
        placements: vec![
            Placement {
                id: "confirmation".to_owned(),
                layout: CONFIRMATION_LAYOUT.to_owned(),
                max_offers: 2,
            },
            Placement {
                id: "sidebar".to_owned(),
                layout: SIDEBAR_LAYOUT.to_owned(),
                max_offers: 1,
            },
        ],
        offers: offers.into_iter().map(Box::new).collect(),
        audiences,
        model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FulfilmentKey {
        FulfilmentKey {
            kid: "fk1".into(),
            public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
        }
    }

    #[test]
    fn is_deterministic_valid_and_varied() {
        let now = Timestamp(1_790_000_000_000);
        let a = demo_bundle("acme", 200, 7, now, key());
        assert_eq!(a, demo_bundle("acme", 200, 7, now, key()));
        assert_ne!(a, demo_bundle("acme", 200, 8, now, key()));
        crate::bundle::validate(&a).unwrap();
        let emails = a
            .offers
            .iter()
            .filter(|o| o.creative.confirmation_email.is_some())
            .count();
        assert!((20..=60).contains(&emails), "{emails} of 200 need email");
        let advertisers: std::collections::BTreeSet<_> =
            a.offers.iter().map(|o| &o.advertiser).collect();
        assert_eq!(advertisers.len(), 25);
        assert!(a
            .offers
            .iter()
            .any(|o| matches!(o.action, Action::AddToCart { .. })));
        assert!(a
            .offers
            .iter()
            .any(|o| matches!(o.action, Action::Coupon(_))));
    }
}
