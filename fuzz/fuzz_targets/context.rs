//! Fuzz checkout contexts: any bytes read as a context never panic; a
//! context that reads keeps its warnings bounded and its amount within the
//! money rules, and the tree reader agrees with the streaming one. Any
//! UTF-8 text is also read as money text (`{"amount": text}`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use offer_edge::context::money::MAX_MONEY_AMOUNT;
use offer_edge::context::{Context, MAX_CONTEXT_WARNINGS};

fn check(ctx: &Context) {
    assert!(ctx.warnings.list.len() <= MAX_CONTEXT_WARNINGS);
    if let Some(n) = ctx.amount {
        assert!(n.is_finite() && (0.0..=MAX_MONEY_AMOUNT).contains(&n), "{n}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(ctx) = Context::from_json(data) {
        check(&ctx);
        let tree: serde_json::Value = serde_json::from_slice(data).expect("it read as JSON");
        let from_tree = Context::from_value(&tree).expect("the tree reader agrees");
        // Same attributes; warnings may differ in order (document vs key order).
        assert_eq!(from_tree.to_value(), ctx.to_value());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let doc = serde_json::json!({ "amount": text });
        let ctx = Context::from_json(doc.to_string().as_bytes()).expect("one attribute never fails a context");
        check(&ctx);
    }
});
