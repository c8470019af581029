//! Every named limit in one place. A bundle, context or blob over a limit is
//! refused with [`crate::ErrorCode::LimitExceeded`] (or `BundleTooLarge` for
//! the envelope itself) before any expensive work is done.

/// Default cap on a signed envelope's size when the trust config sets none.
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// Hard ceiling on any trust config's `maxBundleBytes`.
pub const MAX_BUNDLE_BYTES_CEILING: usize = 16 * 1024 * 1024;
/// Signatures considered on one envelope (more is refused, not ignored).
pub const MAX_SIGNATURES: usize = 16;
/// Keys one trust config or keyset may hold.
pub const MAX_TRUSTED_KEYS: usize = 32;
/// Offers in one bundle.
pub const MAX_OFFERS: usize = 10_000;
/// Placements in one bundle.
pub const MAX_PLACEMENTS: usize = 32;
/// Offers one placement may show at once.
pub const MAX_OFFERS_PER_PLACEMENT: usize = 10;
/// Audiences in one bundle.
pub const MAX_AUDIENCES: usize = 256;
/// Audience references (include + exclude) on one offer.
pub const MAX_AUDIENCE_REFS_PER_OFFER: usize = 16;
/// Caps on one offer.
pub const MAX_CAPS_PER_OFFER: usize = 8;
/// Length of an id (partner, offer, creative, campaign, advertiser, …).
pub const MAX_ID_LEN: usize = 128;
/// Length of a coupon code the edge issues (a pool's code, a derived
/// code's prefix and MAC characters together).
pub const MAX_COUPON_CODE_LEN: usize = 64;
/// Length of a derived coupon code's prefix.
pub const MAX_COUPON_PREFIX_LEN: usize = 16;
/// Fewest MAC characters of a derived coupon code: 8 (40 bits), so codes
/// cannot be guessed at a redemption form.
pub const MIN_DERIVED_COUPON_CHARS: u8 = 8;
/// Most MAC characters of a derived coupon code: 32 (160 bits).
pub const MAX_DERIVED_COUPON_CHARS: u8 = 32;
/// Length of a plain text field (headline, body, terms…).
pub const MAX_TEXT_LEN: usize = 4_096;
/// Length of one template source (placement layout, email body).
pub const MAX_TEMPLATE_LEN: usize = 32 * 1024;
/// Nesting depth of a JSON document (payload, rule, context).
pub const MAX_JSON_DEPTH: usize = 32;
/// Nesting depth of one eligibility rule.
pub const MAX_RULE_DEPTH: usize = 24;
/// Nodes in one compiled eligibility rule.
pub const MAX_RULE_NODES: usize = 512;
/// Static cost of one eligibility rule, in evaluation steps: every node
/// counts once, the body of `map`/`filter`/`reduce`/`all`/`some`/`none`
/// once per element (its literal array's length, else
/// [`MAX_RULE_ARRAY_LEN`]), and every array a node builds by its largest
/// length. A rule over it is refused at compile (`RULE_INVALID`).
pub const MAX_RULE_COST: u64 = 1_000_000;
/// Elements of any array a rule builds while it runs (`merge`, `map`,
/// `filter`, arrays with logic inside, `missing`), and the length the
/// static cost assumes for arrays read from the data. A longer built array
/// stops the rule (its offer is ineligible, reason `ruleBudget`).
pub const MAX_RULE_ARRAY_LEN: usize = 1_024;
/// Items, nested ones included, of one literal array in a rule (an `in`
/// list, a `map` source…); more is refused at compile.
pub const MAX_RULE_LITERAL_ITEMS: usize = 4_096;
/// Rendered bytes of any string or array a rule builds while it runs
/// (`cat`, `substr`, `merge`…); more stops the rule.
pub const MAX_RULE_VALUE_BYTES: usize = 64 * 1024;
/// Nesting of arrays a rule builds while it runs (arrays of arrays…);
/// deeper stops the rule.
pub const MAX_RULE_VALUE_DEPTH: usize = 32;
/// Evaluation steps all the rules of one decision may take together (the
/// unit of [`MAX_RULE_COST`]). When they are spent, the offers whose rules
/// did not finish are ineligible (reason `ruleBudget`); the decision itself
/// still returns. 600,000 steps took 9.3 ms in the wasm build under Node
/// (2026-12-04), so this caps rule evaluation near 30 ms per decision; a
/// bundle of 10,000 offers with ten-node rules needs at most 100,000.
pub const MAX_DECISION_RULE_STEPS: u64 = 2_000_000;
/// Model feature weights in one bundle.
pub const MAX_MODEL_WEIGHTS: usize = 50_000;
/// Serialized size of one audience filter, decoded.
pub const MAX_AUDIENCE_FILTER_BYTES: usize = 2 * 1024 * 1024;
/// Serialized checkout context size.
pub const MAX_CONTEXT_BYTES: usize = 16 * 1024;
/// Custom attributes in one context.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 64;
/// Serialized shopper history blob (oldest data evicted first to fit).
pub const MAX_HISTORY_BYTES: usize = 4 * 1024;
/// Engagements one `Engine::replay` call records. A blob holds far fewer
/// counters (it is [`MAX_HISTORY_BYTES`]); the bound keeps an oversized list
/// from a host or a page from costing more than a few milliseconds.
pub const MAX_REPLAY_ENTRIES: usize = 1_024;
/// Minimum length of an edge receipt HMAC key (shorter keys are refused).
pub const MIN_RECEIPT_KEY_BYTES: usize = 32;
/// Compact signed receipt string (`payload.mac`), before decoding.
pub const MAX_RECEIPT_BYTES: usize = 2 * 1024;
/// A partner checkout token (JWS compact serialization), before decoding.
/// Real tokens are ~400 bytes; the cap bounds work on junk before any crypto.
pub const MAX_CHECKOUT_TOKEN_BYTES: usize = 2048;
/// One batch of engagement events as sent by `sendBeacon` (its own limit).
pub const MAX_EVENT_BATCH_BYTES: usize = 64 * 1024;
/// Events in one batch.
pub const MAX_EVENTS_PER_BATCH: usize = 256;
/// An email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// A signed keyset update (rotation envelope) is small; anything bigger is refused.
pub const MAX_KEYSET_BYTES: usize = 64 * 1024;
/// Sections nested in one template. Each list section multiplies the work
/// of its body by its length, so nesting stays shallow; the official
/// Mustache spec's deepest case nests 5. Also bounds render recursion.
pub const MAX_TEMPLATE_SECTION_DEPTH: usize = 6;
/// Worst-case output of one bounded template (placement layout, creative
/// field, confirmation email subject / HTML / text), computed at compile
/// time with every list at its longest and every value at its longest; a
/// template that could render more is refused.
pub const MAX_RENDERED_BYTES: usize = 256 * 1024;
/// Worst-case nodes visited (texts, values, section items) by one render of
/// a bounded template: bounds its time even when it prints little.
pub const MAX_RENDER_STEPS: usize = 65_536;
/// Longest context attribute value a template prints, in bytes (a longer
/// one is cut at a character boundary): what the worst-case size assumes.
pub const MAX_TEMPLATE_ATTRIBUTE_BYTES: usize = 256;
/// The largest whole number a JS number holds exactly
/// (`Number.MAX_SAFE_INTEGER`, 2^53 - 1): the bound on whole numbers hosts
/// pass as JS numbers (times in ms, seeds).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
