#!/usr/bin/env bash
# Measures what receipts, HPKE sealing and events add to the wasm32 release
# build. The cdylib exports nothing until the wasm binding exists (and
# `#[no_mangle]` is refused under forbid(unsafe_code)), so this generates a
# throwaway probe crate outside the repo that calls each feature from one
# exported function, builds it with our release profile, and prints raw and
# gzip -9 sizes per feature set. Usage: scripts/wasm-size-probe.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
probe="${TMPDIR:-/tmp}/offer-edge-size-probe"
mkdir -p "$probe/src"
cat > "$probe/Cargo.toml" <<TOML
[package]
name = "sizeprobe"
version = "0.0.0"
edition = "2021"
publish = false
[lib]
crate-type = ["cdylib"]
[features]
receipt = []
seal = []
open = []
events = []
[dependencies]
offer-edge = { path = "$repo", default-features = false }
[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
strip = true
TOML
cat > "$probe/src/lib.rs" <<'RUST'
use core::hint::black_box;
#[allow(unused_imports)]
use offer_edge::*;

#[no_mangle]
pub extern "C" fn probe(x: u32) -> u32 {
    #[allow(unused_mut)]
    let mut acc = black_box(x);
    #[cfg(feature = "receipt")]
    {
        use offer_edge::receipt::*;
        let r = Receipt {
            decision_id: black_box("0123456789abcdef0123456789abcdef".to_owned()),
            partner: black_box("p".to_owned()),
            placement: black_box("c".to_owned()),
            offer_id: black_box("o".to_owned()),
            creative_id: black_box("cr".to_owned()),
            bundle_sha256: black_box("ab".repeat(32)),
            issued_at: offer_edge::time::Timestamp(black_box(1)),
            expires_at: offer_edge::time::Timestamp(black_box(2)),
        };
        let key = black_box([x as u8; 32]);
        if let Ok(s) = r.sign(&key) {
            let c = s.to_compact();
            acc += verify_compact(black_box(&c), &key, offer_edge::time::Timestamp(black_box(0)), "p", "o").is_ok() as u32;
        }
    }
    #[cfg(feature = "seal")]
    {
        use offer_edge::seal::*;
        let key = offer_edge::bundle::FulfilmentKey { kid: black_box("k".to_owned()), public_key: black_box("Q7rup3Fz4JOm8Sm2QyQ9m3cFbYhnDfMzAb4qWGgVk0k=".to_owned()) };
        let r = offer_edge::receipt::Receipt {
            decision_id: black_box("0123456789abcdef0123456789abcdef".to_owned()),
            partner: black_box("p".to_owned()), placement: black_box("c".to_owned()), offer_id: black_box("o".to_owned()),
            creative_id: black_box("cr".to_owned()), bundle_sha256: black_box("ab".repeat(32)),
            issued_at: offer_edge::time::Timestamp(black_box(1)), expires_at: offer_edge::time::Timestamp(black_box(2)),
        };
        if let Ok(req) = seal_for_fulfilment(&key, &r, black_box("a@b.c"), &black_box([x as u8; 32])) {
            acc += req.ciphertext.len() as u32;
        }
    }
    #[cfg(feature = "open")]
    {
        use offer_edge::seal::*;
        let req = FulfilmentRequest { partner: black_box("p".into()), kid: black_box("k".into()), offer_id: black_box("o".into()), decision_id: black_box("0".repeat(32)), enc: black_box("x".into()), ciphertext: black_box("y".into()) };
        acc += open_fulfilment(&black_box([x as u8; 32]), "k", "p", &req).map(|o| o.email.len() as u32).unwrap_or(0);
    }
    #[cfg(feature = "events")]
    {
        use offer_edge::events::*;
        let text = black_box(vec![x as u8; 10]);
        if let Ok(b) = EventBatch::from_json(&text) { acc += b.to_json().map(|v| v.len() as u32).unwrap_or(0); }
    }
    acc
}
RUST
cd "$probe"
for features in "" receipt events "receipt,events" seal "receipt,seal,events" open; do
  cargo build --release --target wasm32-unknown-unknown -q ${features:+--features "$features"}
  wasm=target/wasm32-unknown-unknown/release/sizeprobe.wasm
  printf '%-22s raw %7d  gzip -9 %7d\n' "[${features:-none}]" "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
done
