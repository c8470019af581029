//! The learning loop on a synthetic log drawn from a KNOWN model
//! (tests/fixtures/learn/synth.rs): off-policy estimates cover the true
//! value of a candidate, training recovers the true weights' signs and
//! order, and hostile logs fail with a code, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fixtures/learn/synth.rs"]
mod synth;

use offer_edge::learn::{
    evaluate, read_bundle, read_log, train, EventLog, Reward, TrainOptions, MAX_LOG_LINE_BYTES,
};
use offer_edge::ErrorCode;
use synth::*;

fn read(ndjson: &str) -> EventLog {
    read_log(ndjson.as_bytes(), Reward::Accept).unwrap()
}

fn code(ndjson: &str) -> (ErrorCode, String) {
    let e = read_log(ndjson.as_bytes(), Reward::Accept).unwrap_err();
    (e.code(), e.message().to_owned())
}

#[test]
fn the_reader_groups_impressions_and_counts_what_it_skips() {
    let logging = engine(logging_model());
    let g = log(&logging, 200, 11, &["confirmation", "sidebar"], true);
    let log = read(&g.ndjson);
    assert_eq!(log.partner.as_deref(), Some(PARTNER));
    assert_eq!(log.decisions.len(), g.views);
    assert_eq!(log.stats.used_impressions, g.impressions);
    assert_eq!(log.stats.without_propensity, g.page_rows);
    assert_eq!(log.stats.without_learning_log, g.unlogged_rows);
    assert!(g.page_rows > 0 && g.unlogged_rows > 0);
    assert_eq!(log.stats.matched_rewards, g.accepts);
    assert_eq!(log.stats.rewards, g.accepts);
    let rewarded: usize = log
        .decisions
        .iter()
        .flat_map(|d| &d.shown)
        .filter(|s| s.reward)
        .count();
    assert_eq!(rewarded, g.accepts);
    // Each view: its placement's winners, all in its eligible set; the
    // sidebar's set leaves out the confirmation's winners.
    for d in &log.decisions {
        let slots = if d.placement == "confirmation" { 2 } else { 1 };
        assert!(!d.shown.is_empty() && d.shown.len() <= slots);
        assert!(d.shown.iter().all(|s| d.eligible.contains(&s.offer_id)));
        if d.placement == "sidebar" {
            let first = log
                .decisions
                .iter()
                .find(|c| c.decision_id == d.decision_id && c.placement == "confirmation")
                .unwrap();
            assert!(first
                .shown
                .iter()
                .all(|s| !d.eligible.contains(&s.offer_id)));
        }
    }
    // Conversions instead: this log has none.
    let conversions = read_log(g.ndjson.as_bytes(), Reward::Conversion).unwrap();
    assert_eq!(conversions.stats.rewards, 0);
    assert!(conversions
        .decisions
        .iter()
        .flat_map(|d| &d.shown)
        .all(|s| !s.reward));
}

#[test]
fn estimates_cover_the_true_value_of_a_candidate_and_of_the_logging_policy() {
    // Fixed seeds make this deterministic; the intervals are 95 % ones, so
    // another draw (a change to the engine's randomness) misses now and
    // then by chance. Over seeds 1-16 the z-scores of these five estimates
    // against the truths looked standard normal (2 of 80 beyond 1.96).
    let logging = engine(logging_model());
    let g = log(&logging, 3_000, 10, &["confirmation"], false);
    let log = read(&g.ndjson);

    // The logging policy evaluated on its own log: every weight is 1, so
    // IPS is the on-policy mean, and both cover the policy's true value.
    let own = evaluate(&logging, &log).unwrap();
    assert_eq!(own.decisions, 3_000);
    assert!((own.ips.value - own.logged.value).abs() < 1e-9, "{own:?}");
    assert!((own.logged.value - g.accepts_per_view).abs() < 1e-12);
    assert!(
        (own.max_weight - 1.0).abs() < 1e-9
            && (own.effective_sample_size - own.impressions as f64).abs() < 1e-6
    );
    let snips = own.snips.unwrap();
    assert!(
        (snips.value - own.ips.value).abs() < 0.01 * own.ips.value,
        "{own:?}"
    );
    let truth = true_value(&logging, 4_000, 1_234, "confirmation");
    assert!(
        own.ips.covers(truth),
        "logging policy: truth {truth}, {:?}",
        own.ips
    );

    // Candidates whose models differ: an exploring one that knows the
    // world, and a greedy one preferring its worst offers. Their true
    // values differ from the logging policy's, and the intervals cover them.
    for (name, model) in [
        ("informed", candidate_model()),
        ("contrarian", greedy_contrarian_model()),
    ] {
        let candidate = engine(model);
        let e = evaluate(&candidate, &log).unwrap();
        let truth = true_value(&candidate, 4_000, 99, "confirmation");
        assert!(
            (truth - own.logged.value).abs() > 2.0 * own.logged.std_err,
            "{name}: truth {truth} too close to the logged value to test anything"
        );
        assert!(
            e.ips.covers(truth),
            "{name}: truth {truth}, IPS {:?}",
            e.ips
        );
        let snips = e.snips.unwrap();
        assert!(
            snips.covers(truth),
            "{name}: truth {truth}, SNIPS {snips:?}"
        );
        // Informative intervals, and weights that are not all 1.
        assert!(e.ips.high - e.ips.low < 0.1, "{name}: {:?}", e.ips);
        assert!(e.max_weight > 1.5 && e.effective_sample_size < e.impressions as f64);
        // Two slots and more than two advertisers: two offers per view.
        assert!(
            (e.expected_shown - 2.0).abs() < 0.02,
            "{name}: {}",
            e.expected_shown
        );
    }
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |x: &[f64]| {
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
        let mut r = vec![0.0; x.len()];
        for (rank, i) in order.into_iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - y).powi(2)).sum();
    1.0 - 6.0 * d2 / (n * (n * n - 1.0))
}

#[test]
fn training_recovers_the_true_weights_signs_and_order() {
    let logging = engine(logging_model());
    let g = log(&logging, 3_000, 21, &["confirmation", "sidebar"], false);
    let log = read(&g.ndjson);
    let base = bundle(logging_model());
    let (model, report) = train(&base, &log, &TrainOptions::default()).unwrap();
    assert!(report.converged, "{report:?}");
    assert_eq!(report.impressions, g.impressions);
    assert_eq!(report.rewarded, g.accepts);
    assert_eq!(
        (report.clamped, report.pruned, report.offers_without_data),
        (0, 0, 0)
    );
    // Crosses and exploration are the base bundle's; the cross was fitted.
    assert_eq!(model.crosses, base.model.crosses);
    assert_eq!(model.exploration, base.model.exploration);
    assert!(model
        .global
        .features
        .keys()
        .any(|k| k.starts_with("device=mobile&state=")));

    let fitted: Vec<f64> = TRUE_FEATURES
        .iter()
        .map(|(key, _)| *model.global.features.get(*key).unwrap())
        .collect();
    let truth: Vec<f64> = TRUE_FEATURES.iter().map(|(_, w)| *w).collect();
    for ((key, t), f) in TRUE_FEATURES.iter().zip(&fitted) {
        assert_eq!(t.signum(), f.signum(), "{key}: true {t}, fitted {f}");
    }
    let rho = spearman(&truth, &fitted);
    assert!(
        rho >= 0.9,
        "feature order: spearman {rho}, fitted {fitted:?}"
    );
    // The strongest effects come out strongest.
    let max = fitted.iter().cloned().fold(f64::MIN, f64::max);
    let min = fitted.iter().cloned().fold(f64::MAX, f64::min);
    assert!(max == fitted[0] || max == fitted[1], "{fitted:?}");
    assert!(min == fitted[7] || min == fitted[6], "{fitted:?}");
    // Features without an effect stay small next to those with one.
    for key in ["state=CA", "device=tablet", "cartBand=50-100"] {
        let w = model.global.features.get(key).unwrap().abs();
        assert!(w < 0.3, "{key}: {w}");
    }
    let offers: Vec<f64> = (0..TRUE_OFFERS.len())
        .map(|i| model.offers.get(&offer_id(i)).unwrap().intercept)
        .collect();
    let rho = spearman(&TRUE_OFFERS, &offers);
    assert!(rho >= 0.8, "offer order: spearman {rho}, fitted {offers:?}");

    // The trained model compiles into a bundle, and per-offer features fit too.
    let mut trained = base.clone();
    trained.model = model;
    offer_edge::bundle::validate(&trained).unwrap();
    let options = TrainOptions {
        per_offer_features: true,
        ..TrainOptions::default()
    };
    let (per_offer, report) = train(&base, &log, &options).unwrap();
    assert!(report.converged);
    assert!(per_offer
        .offers
        .get("offer-0")
        .is_some_and(|w| w.features.contains_key("device=mobile")));
}

/// One logged impression row of decision `d`.
fn impression(offer: &str, eligible: &str, propensity: &str, extra: &str) -> String {
    format!(
        r#"{{"partner":"acme","type":"impression","decisionId":"d1","placement":"confirmation","offerId":"{offer}","propensity":{propensity},"features":{{"state":"NY"}},"eligible":{eligible}{extra}}}"#
    )
}

#[test]
fn hostile_logs_fail_with_a_code_and_the_line() {
    let good = impression("offer-1", r#"["offer-1","offer-2"]"#, "0.5", "");
    // Unknown members are tolerated (the export may grow).
    let log = read(&impression(
        "offer-1",
        r#"["offer-1"]"#,
        "1",
        r#","future":{"x":[1,2]},"order":null"#,
    ));
    assert_eq!(log.decisions.len(), 1);

    // A bad line 2 after a good line 1.
    let after_good = |line: String| format!("{good}\n{line}");
    let cases: Vec<(String, ErrorCode)> = vec![
        (format!("{good}\n{{not json"), ErrorCode::EventInvalid),
        (
            format!("{good}\n{{\"partner\":\"acme\"}}"),
            ErrorCode::EventInvalid,
        ),
        (
            format!("{good}\n{}", "x".repeat(MAX_LOG_LINE_BYTES + 1)),
            ErrorCode::LimitExceeded,
        ),
        (
            after_good(impression("offer-1", r#"["offer-1"]"#, "0", "")),
            ErrorCode::EventInvalid,
        ),
        (
            after_good(impression("offer-1", r#"["offer-1"]"#, "-0.2", "")),
            ErrorCode::EventInvalid,
        ),
        (
            after_good(impression("offer-1", r#"["offer-1"]"#, "1.5", "")),
            ErrorCode::EventInvalid,
        ),
        (
            after_good(impression("offer-1", r#"["offer-1"]"#, "NaN", "")),
            ErrorCode::EventInvalid,
        ),
        (
            after_good(impression("offer-1", r#"["offer-1"]"#, "1e999", "")),
            ErrorCode::EventInvalid,
        ),
        (
            after_good(impression("offer-1", r#"["offer-2"]"#, "0.5", "")),
            ErrorCode::EventInvalid,
        ),
        (
            after_good(impression("offer-1", r#"["offer-1","offer-1"]"#, "0.5", "")),
            ErrorCode::EventInvalid,
        ),
        (
            format!("{good}\n{}", good.replace("\"state\"", "\"shoeSize\"")),
            ErrorCode::EventInvalid,
        ),
        (
            format!("{good}\n{}", good.replace("\"acme\"", "\"other\"")),
            ErrorCode::EventInvalid,
        ),
        (
            format!("{good}\n{}", good.replace("impression", "teleport")),
            ErrorCode::EventInvalid,
        ),
        // Same decision and placement, another eligible set.
        (
            after_good(impression("offer-2", r#"["offer-2"]"#, "0.5", "")),
            ErrorCode::EventInvalid,
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let (got, message) = code(text);
        assert_eq!(got, *want, "case {i}: {message}");
        assert!(
            message.starts_with("line 2: ")
                || got == ErrorCode::LimitExceeded && message.contains("line 2"),
            "case {i}: {message}"
        );
    }

    // Offers, placements and partners the bundle does not know.
    let logging = engine(logging_model());
    let base = bundle(logging_model());
    let two = |row: &str| format!("{row}\n{}", row.replace("d1", "d2"));
    for (text, want) in [
        (
            two(&impression("ghost", r#"["ghost"]"#, "0.5", "")),
            ErrorCode::SchemaInvalid,
        ),
        (
            two(&good.replace("confirmation", "footer")),
            ErrorCode::PlacementUnknown,
        ),
        (
            two(&good.replace("\"acme\"", "\"other\"")),
            ErrorCode::PartnerMismatch,
        ),
    ] {
        let log = read(&text);
        let e = evaluate(&logging, &log).unwrap_err();
        assert_eq!(e.code(), want, "{}", e.message());
        if want == ErrorCode::SchemaInvalid {
            assert!(e.message().starts_with("line 1: "), "{}", e.message());
            assert_eq!(
                train(&base, &log, &TrainOptions::default())
                    .unwrap_err()
                    .code(),
                want
            );
        }
    }
    // Too little to estimate or fit.
    assert_eq!(
        evaluate(&logging, &read("")).unwrap_err().code(),
        ErrorCode::EventInvalid
    );
    assert_eq!(
        train(&base, &read(&two(&good)), &TrainOptions::default())
            .unwrap_err()
            .code(),
        ErrorCode::EventInvalid
    );
    let bad_options = TrainOptions {
        l2: 0.0,
        ..TrainOptions::default()
    };
    assert_eq!(
        train(&base, &read(&good), &bad_options).unwrap_err().code(),
        ErrorCode::SchemaInvalid
    );
}

#[test]
fn bundles_are_read_unsigned_or_from_a_signed_file() {
    let json = serde_json::to_vec(&bundle_json(logging_model())).unwrap();
    assert_eq!(read_bundle(&json).unwrap(), bundle(logging_model()));
    assert_eq!(
        read_bundle(b"{\"schema\":1}").unwrap_err().code(),
        ErrorCode::PayloadMalformed
    );
    assert_eq!(
        read_bundle(b"{\"payloadType\":\"x\",\"payload\":\"!!\",\"signatures\":[]}")
            .unwrap_err()
            .code(),
        ErrorCode::EnvelopeMalformed
    );
}
