//! Fuzz target: decoding any bytes as a stored history never panics; whatever
//! decodes re-encodes within the size limit and decodes again without warning.
//! Each input is tried as-is and with a valid checksum appended, so the
//! fuzzer also reaches the parser behind the checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offer_edge::bundle::CapWindow;
use offer_edge::history::{codec, Engagement, EngagementKind, History, OfferKeys};
use offer_edge::limits::MAX_HISTORY_BYTES;
use offer_edge::time::Timestamp;

const PARTNER: &str = "fuzz-partner";

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes (when present) pick "now"; the rest is the blob, so
    // the fuzzer also explores clocks far from the blob's own.
    let (now, blob) = match data.split_first_chunk::<8>() {
        Some((head, rest)) => (i64::from_le_bytes(*head) >> 20, rest),
        None => (0, data),
    };
    let now = Timestamp(now);
    check(blob, now);
    check(&codec::seal(blob), now);
});

fn check(blob: &[u8], now: Timestamp) {
    let (mut history, warning) = History::decode(blob, PARTNER, now);
    if warning.is_some() {
        assert!(history.is_empty());
    }
    let keys = OfferKeys::new("o", "c", "a");
    for window in CapWindow::ALL {
        let _ = history.count(keys.offer, window, now);
    }
    history.record(Engagement::new(EngagementKind::Impression, &keys), now);
    let encoded = history.encode();
    assert!(encoded.len() <= MAX_HISTORY_BYTES);
    let (_, again) = History::decode(&encoded, PARTNER, now);
    assert!(again.is_none(), "a blob we wrote must read back: {again:?}");
}
