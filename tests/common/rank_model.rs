//! A ranking model and candidates for selection tests, shared by the unit
//! tests of `src/rank/select_tests.rs` and the wasm32 suite
//! `tests/wasm/rank.rs` (both include this file by `#[path]`). The types come
//! from the includer's scope (`super`): the crate names them `crate::…`,
//! the wasm suite `offer_edge::…`.

use super::{BetaPrior, Candidate, CompiledModel, Exploration, Model};

/// A model over `offers` whose exploration (Beta(2, 30) prior) is on or off.
pub fn model(explore: bool, offers: &[&str]) -> CompiledModel {
    let m = Model {
        exploration: Exploration {
            enabled: explore,
            default_prior: Some(BetaPrior {
                alpha: 2.0,
                beta: 30.0,
            }),
            ..Exploration::default()
        },
        ..Model::default()
    };
    CompiledModel::compile(&m, offers).unwrap()
}

/// A candidate: offer index, tier, advertiser index, expected value.
pub fn cand(offer: u32, tier: u8, advertiser: u32, expected: f64) -> Candidate {
    Candidate {
        offer,
        tier,
        advertiser,
        expected,
    }
}
