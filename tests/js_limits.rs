//! `scripts/pkg/limits.js` (copied to `pkg/limits.js`, package export
//! `offer-edge/limits`) and its `.d.ts` are generated from `src/limits.rs`:
//! the limits JS hosts need before or without WebAssembly (the checkout
//! snippet's event queue, the edge's body reader). This test fails when they
//! differ and prints the command that writes them again.

use offer_edge::limits::{MAX_CHECKOUT_TOKEN_BYTES, MAX_EVENTS_PER_BATCH, MAX_EVENT_BATCH_BYTES};
use std::path::Path;

/// Each exported limit: name, value, what it bounds.
fn limits() -> [(&'static str, usize, &'static str); 3] {
    [
        (
            "MAX_EVENT_BATCH_BYTES",
            MAX_EVENT_BATCH_BYTES,
            "Largest event batch body the collector accepts (UTF-8 bytes of JSON).",
        ),
        (
            "MAX_EVENTS_PER_BATCH",
            MAX_EVENTS_PER_BATCH,
            "Most events in one batch.",
        ),
        (
            "MAX_CHECKOUT_TOKEN_BYTES",
            MAX_CHECKOUT_TOKEN_BYTES,
            "Longest partner checkout token (compact JWS).",
        ),
    ]
}

const HEADER: &str = "// Generated from src/limits.rs by tests/js_limits.rs; do not edit. Regenerate:\n// OFFER_EDGE_WRITE_LIMITS=1 cargo test --test js_limits\n";

fn js() -> String {
    let mut out = String::from(HEADER);
    for (name, value, doc) in limits() {
        out.push_str(&format!("/** {doc} */\nexport const {name} = {value};\n"));
    }
    out
}

fn dts() -> String {
    let mut out = String::from(HEADER);
    for (name, value, doc) in limits() {
        out.push_str(&format!(
            "/** {doc} */\nexport declare const {name}: {value};\n"
        ));
    }
    out
}

#[test]
fn pkg_limits_module_is_generated_from_the_core() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pkg");
    for (file, want) in [("limits.js", js()), ("limits.d.ts", dts())] {
        let path = dir.join(file);
        if std::env::var_os("OFFER_EDGE_WRITE_LIMITS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "scripts/pkg/{file} differs from src/limits.rs: run OFFER_EDGE_WRITE_LIMITS=1 cargo test --test js_limits"
        );
    }
}
