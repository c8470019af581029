//! The shared decision fixtures (`tests/fixtures/decide/cases.json`) on
//! wasm32: the very runner the native suite uses (`#[path]`), so Node and
//! Chromium check the same winners, reasons, HTML and warnings.

#[path = "../common/decide_fixture.rs"]
pub mod decide_fixture;

tests! {
    fn every_shared_decide_case_holds() {
        let cases = decide_fixture::cases();
        assert!(cases.len() >= 30, "only {} cases", cases.len());
        for case in &cases {
            decide_fixture::run_case(case);
        }
    }
}

mod eligible {
    use super::decide_fixture::{bundle_for, cases, inputs, Inputs};
    use offer_edge::decide::{DecideOptions, Engine, Reason, Verdict};
    use std::collections::BTreeSet;

    tests! {
        fn eligible_offers_are_what_explain_calls_eligible_in_every_case() {
            let explain = DecideOptions { explain: true, ..DecideOptions::default() };
            for case in cases().iter().filter(|c| c["expect"].get("error").is_none()) {
                let name = case["description"].as_str().unwrap_or("?");
                let engine = Engine::compile(bundle_for(case), &[0u8; 32]).expect("compile");
                let Inputs { now, context, history, .. } = inputs(&engine, case);
                let d = engine.decide(&context, &history, now, &[1; 8], &explain).expect(name);
                let expected: BTreeSet<&str> = d
                    .explanations
                    .iter()
                    .filter(|e| {
                        e.verdict != Verdict::Ineligible
                            || matches!(e.reason, Reason::ShownInOtherPlacement { .. })
                    })
                    .map(|e| e.offer_id.as_str())
                    .collect();
                let offers = &engine.bundle().offers;
                let got: Vec<&str> = engine
                    .eligible_offers(&context, &history, now)
                    .unwrap()
                    .iter()
                    .map(|&i| offers[i as usize].id.as_str())
                    .collect();
                let in_order: Vec<&str> =
                    offers.iter().map(|o| o.id.as_str()).filter(|id| expected.contains(id)).collect();
                assert_eq!(got, in_order, "{name}");
            }
        }
    }
}

/// `Engine::replay` against one `record` per entry, on every case's history.
mod replay {
    use super::decide_fixture::{bundle_for, cases, history_blob, history_entries};
    use offer_edge::decide::{Engagement, Engine, TimedEngagement};
    use offer_edge::events::EventType;
    use offer_edge::history::History;
    use offer_edge::limits::MAX_REPLAY_ENTRIES;
    use offer_edge::time::Timestamp;

    fn base_engine() -> Engine {
        Engine::compile(bundle_for(&serde_json::json!({})), &[0u8; 32]).expect("compile")
    }

    fn impressions(offer_id: &str, count: usize) -> Vec<TimedEngagement<'_>> {
        (0..count)
            .map(|i| TimedEngagement {
                engagement: Engagement {
                    kind: EventType::Impression,
                    offer_id,
                },
                at: Timestamp(1_780_000_000_000 + i as i64 * 60_000),
            })
            .collect()
    }

    tests! {
        fn replay_stores_what_one_record_per_entry_stores_in_every_case() {
            let mut replayed_some = 0;
            for case in cases() {
                let name = case["description"].as_str().unwrap_or("?");
                let engine = Engine::compile(bundle_for(&case), &[0u8; 32]).expect("compile");
                let entries = history_entries(&case);
                let blob = history_blob(&case).unwrap_or_default();
                let step_by_step = entries.iter().fold(blob.clone(), |blob, entry| {
                    engine.record_stored(&blob, entry.engagement, entry.at).expect(name)
                });
                assert_eq!(engine.replay_stored(&blob, &entries).expect(name), step_by_step, "{name}");
                if !entries.is_empty() {
                    let mut one_by_one = History::new(engine.partner());
                    let mut at_once = History::new(engine.partner());
                    for entry in &entries {
                        engine.record(&mut one_by_one, entry.engagement, entry.at).expect(name);
                    }
                    engine.replay(&mut at_once, &entries).expect(name);
                    assert_eq!(at_once.encode(), one_by_one.encode(), "{name}");
                    replayed_some += 1;
                }
            }
            assert!(replayed_some >= 10, "only {replayed_some} cases have a history");
        }

        fn replay_takes_entries_oldest_first_and_refuses_one_out_of_order() {
            let engine = base_engine();
            let offer_id = engine.bundle().offers[0].id.clone();
            let mut entries = impressions(&offer_id, 3);
            // The same instant as the one before it is in order.
            entries.push(TimedEngagement {
                engagement: Engagement { kind: EventType::Decline, offer_id: &offer_id },
                at: entries[2].at,
            });
            assert!(!engine.replay_stored(&[], &entries).unwrap().is_empty());
            entries.swap(0, 1);
            let err = engine.replay_stored(&[], &entries).unwrap_err();
            assert_eq!(err.code().as_str(), "EVENT_INVALID");
            assert!(err.message().starts_with("entry 1: older"), "{}", err.message());
        }

        fn replay_of_nothing_returns_the_blob_as_it_came() {
            let engine = base_engine();
            let corrupt = b"not a history blob".to_vec();
            assert_eq!(engine.replay_stored(&corrupt, &[]).unwrap(), corrupt);
        }

        fn replay_refuses_more_entries_than_the_limit_and_records_nothing() {
            let engine = base_engine();
            let offer_id = engine.bundle().offers[0].id.clone();
            let at_limit = impressions(&offer_id, MAX_REPLAY_ENTRIES);
            assert!(!engine.replay_stored(&[], &at_limit).unwrap().is_empty());
            let over = impressions(&offer_id, MAX_REPLAY_ENTRIES + 1);
            let mut history = History::new(engine.partner());
            let err = engine.replay(&mut history, &over).unwrap_err();
            assert_eq!(err.code().as_str(), "LIMIT_EXCEEDED");
            assert!(history.is_empty());
            let err = engine.replay_stored(&[], &over).unwrap_err();
            assert_eq!(err.code().as_str(), "LIMIT_EXCEEDED");
        }

        fn replay_refuses_an_unknown_offer_by_its_entry_and_records_nothing() {
            let engine = base_engine();
            let offer_id = engine.bundle().offers[0].id.clone();
            let mut entries = impressions(&offer_id, 2);
            entries.push(TimedEngagement {
                engagement: Engagement { kind: EventType::Accept, offer_id: "no-such-offer" },
                at: entries[0].at,
            });
            let mut history = History::new(engine.partner());
            let err = engine.replay(&mut history, &entries).unwrap_err();
            assert_eq!(err.code().as_str(), "EVENT_INVALID");
            assert!(err.message().starts_with("entry 2: "), "{}", err.message());
            assert!(history.is_empty());
        }
    }
}
