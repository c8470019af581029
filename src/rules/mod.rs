//! Eligibility rules: [JSONLogic](https://jsonlogic.com) compiled once, at
//! bundle load, into a typed tree, then evaluated per decision.
//!
//! Semantics are json-logic-js's (truthiness, `==` vs `===`, JavaScript
//! number coercion, `var` paths and defaults…); `docs/RULES.md` lists every
//! operator, the domain operators (`in_audience`, `history_count`,
//! `local_hour`, `local_weekday`) and where this implementation is stricter.
//!
//! ```
//! use offer_edge::context::Context;
//! use offer_edge::rules::{compile, CompileEnv, FixedEnv};
//! use offer_edge::time::Timestamp;
//!
//! let rule = serde_json::json!({"and": [
//!     {"in": [{"var": "state"}, ["CA", "NY"]]},
//!     {">=": [{"var": "amount"}, 50]}
//! ]});
//! let no_audiences = |_: &str| None;
//! let compiled = compile(&rule, &CompileEnv::checkout("offer-1", &no_audiences)).unwrap();
//! let ctx = Context::from_json(br#"{"state":"ca","amount":"64.50"}"#).unwrap().normalized();
//! assert!(compiled.matches(&ctx, &FixedEnv::at(Timestamp(0))));
//! ```

mod analysis;
mod compile;
mod env;
mod eval;
pub(crate) mod jsnum;
mod node;
mod ops;
mod value;

pub use analysis::{ConstraintKind, FieldConstraint};
pub use env::{FixedEnv, RuleEnv};

use crate::context::Context;
use crate::error::Result;
use eval::{Frame, Root};
use node::Node;
use serde_json::Value;

/// How `var` paths at the root of a rule are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataModel {
    /// Checkout eligibility: root paths must name a context attribute
    /// (`state`, `amount`…) or `custom.<name>`, resolved to slots at
    /// compile time; anything else is `RULE_INVALID`.
    Checkout,
    /// Plain JSONLogic over arbitrary JSON data (`apply`): any path.
    Json,
}

/// What compilation needs to know besides the rule.
pub struct CompileEnv<'a> {
    /// The offer the rule belongs to, named in errors.
    pub offer_id: &'a str,
    /// Audience id → index in the bundle (for `in_audience`); `None` for an
    /// unknown audience, which is a compile error.
    pub audience_index: &'a dyn Fn(&str) -> Option<usize>,
    /// How root `var` paths are read.
    pub data: DataModel,
}

impl<'a> CompileEnv<'a> {
    /// Settings for an offer's eligibility rule over a checkout context.
    pub fn checkout(offer_id: &'a str, audience_index: &'a dyn Fn(&str) -> Option<usize>) -> Self {
        CompileEnv {
            offer_id,
            audience_index,
            data: DataModel::Checkout,
        }
    }

    /// Where errors say the rule is: `offers[<id>].eligibility`.
    fn location(&self) -> String {
        format!("offers[{}].eligibility", self.offer_id)
    }
}

/// A rule compiled once and evaluated many times. Cheap to share; holds no
/// reference to the JSON it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledRule {
    root: Node,
    nodes: usize,
}

/// Compiles a JSONLogic rule.
///
/// # Errors
/// `RULE_INVALID`, with the offer id and the JSON path of the offending node
/// (`offers[offer-12].eligibility/and/1/in: …`), for an unknown operator, a
/// wrong number of arguments, a malformed domain operator, an unknown
/// audience or context attribute, an object with other than one key, or a
/// rule deeper than [`MAX_RULE_DEPTH`](crate::limits::MAX_RULE_DEPTH) or
/// larger than [`MAX_RULE_NODES`](crate::limits::MAX_RULE_NODES).
pub fn compile(rule: &Value, env: &CompileEnv<'_>) -> Result<CompiledRule> {
    let (root, nodes) = compile::compile_rule(rule, env)?;
    Ok(CompiledRule { root, nodes })
}

impl CompiledRule {
    /// Whether the rule holds for `ctx` (its value is truthy). This is the
    /// eligibility check: it allocates nothing for comparisons, `in` with
    /// constant lists, `and`/`or`/`!` and the domain operators.
    ///
    /// `ctx` should be [normalized](Context::normalized): rules compare
    /// against normalized values (`"CA"`, not `" ca"`).
    pub fn matches(&self, ctx: &Context, env: &dyn RuleEnv) -> bool {
        eval::test(&self.root, &Frame::new(Root::Context(ctx), env))
    }

    /// The rule's full JSONLogic value for `ctx` (for explanations and
    /// previews; `matches` is the fast path).
    pub fn evaluate(&self, ctx: &Context, env: &dyn RuleEnv) -> Value {
        eval::eval(&self.root, &Frame::new(Root::Context(ctx), env)).to_json()
    }

    /// The rule's value over arbitrary JSON `data` (JSONLogic's `apply`).
    /// Attribute paths compiled for a checkout context are looked up by name.
    pub fn apply(&self, data: &Value, env: &dyn RuleEnv) -> Value {
        eval::eval(&self.root, &Frame::new(Root::Json(data), env)).to_json()
    }

    /// Nodes in the compiled tree (at most
    /// [`MAX_RULE_NODES`](crate::limits::MAX_RULE_NODES)).
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// Constraints on context attributes that hold whenever the rule
    /// matches, for indexing offers by attribute (see [`FieldConstraint`]).
    /// Sound but incomplete: a rule may have no derivable constraint.
    pub fn required_values(&self) -> Vec<FieldConstraint> {
        analysis::required_values(&self.root)
    }
}
