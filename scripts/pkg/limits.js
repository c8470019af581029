// Generated from src/limits.rs by tests/js_limits.rs; do not edit. Regenerate:
// OFFER_EDGE_WRITE_LIMITS=1 cargo test --test js_limits
/** Largest event batch body the collector accepts (UTF-8 bytes of JSON). */
export const MAX_EVENT_BATCH_BYTES = 65536;
/** Most events in one batch. */
export const MAX_EVENTS_PER_BATCH = 256;
/** Longest partner checkout token (compact JWS). */
export const MAX_CHECKOUT_TOKEN_BYTES = 2048;
