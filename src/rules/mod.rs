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
mod budget;
mod compile;
mod cost;
mod env;
mod eval;
pub(crate) mod jsnum;
mod node;
mod ops;
mod value;
mod wire;

pub(crate) use analysis::NUMERIC_FIELDS;
pub use analysis::{ConstraintKind, FieldConstraint, NumericRange, RangeEnd};
pub use budget::{BudgetExceeded, RuleBudget};
pub use env::{FixedEnv, RuleEnv};
pub(crate) use node::order_key;

use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use budget::Meter;
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
    pub(crate) fn location(&self) -> String {
        format!("offers[{}].eligibility", self.offer_id)
    }
}

/// A rule compiled once and evaluated many times. Cheap to share; holds no
/// reference to the JSON it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledRule {
    root: Node,
    nodes: usize,
    cost: u64,
}

/// Compiles a JSONLogic rule.
///
/// # Errors
/// `RULE_INVALID`, with the offer id and the JSON path of the offending node
/// (`offers[offer-12].eligibility/and/1/in: …`), for an unknown operator, a
/// wrong number of arguments, a malformed domain operator, an unknown
/// audience or context attribute, an object with other than one key, a
/// rule deeper than [`MAX_RULE_DEPTH`](crate::limits::MAX_RULE_DEPTH) or
/// larger than [`MAX_RULE_NODES`](crate::limits::MAX_RULE_NODES), a literal
/// array over [`MAX_RULE_LITERAL_ITEMS`](crate::limits::MAX_RULE_LITERAL_ITEMS),
/// an array it would surely build over
/// [`MAX_RULE_ARRAY_LEN`](crate::limits::MAX_RULE_ARRAY_LEN), or a static
/// cost over [`MAX_RULE_COST`](crate::limits::MAX_RULE_COST) (see
/// `docs/RULES.md`, "Budgets").
pub fn compile(rule: &Value, env: &CompileEnv<'_>) -> Result<CompiledRule> {
    let (root, nodes) = compile::compile_rule(rule, env)?;
    let cost = cost::check(&root)
        .map_err(|why| Error::new(ErrorCode::RuleInvalid, format!("{}: {why}", env.location())))?;
    Ok(CompiledRule { root, nodes, cost })
}

/// The error of a value that could not be computed within the budget.
fn out_of_budget(why: BudgetExceeded) -> Error {
    Error::new(
        ErrorCode::RuleBudget,
        format!("the rule stopped: {}", why.describe()),
    )
}

impl CompiledRule {
    /// Whether the rule holds for `ctx` (its value is truthy). This is the
    /// eligibility check: it allocates nothing for comparisons, `in` with
    /// constant lists, `and`/`or`/`!` and the domain operators.
    ///
    /// `ctx` should be [normalized](Context::normalized): rules compare
    /// against normalized values (`"CA"`, not `" ca"`). The rule runs on a
    /// budget of its own ([`RuleBudget::per_decision`]); one that runs out
    /// does not match (use [`matches_within`](Self::matches_within) to tell).
    pub fn matches(&self, ctx: &Context, env: &dyn RuleEnv) -> bool {
        self.matches_within(ctx, env, &RuleBudget::per_decision())
            .unwrap_or(false)
    }

    /// [`matches`](Self::matches), drawing steps from `budget` (shared by
    /// every rule of one decision).
    ///
    /// # Errors
    /// Why the rule stopped before it had a value: the budget's steps are
    /// spent, or the rule built a value over the size limits.
    pub fn matches_within(
        &self,
        ctx: &Context,
        env: &dyn RuleEnv,
        budget: &RuleBudget,
    ) -> Result<bool, BudgetExceeded> {
        let meter = Meter::start(budget);
        let yes = eval::test(&self.root, &Frame::new(Root::Context(ctx), env, &meter));
        meter.finish(budget).map(|()| yes)
    }

    /// The rule's full JSONLogic value for `ctx` (for explanations and
    /// previews; `matches` is the fast path).
    ///
    /// # Errors
    /// `RULE_BUDGET` when the rule runs out of its own
    /// [`RuleBudget::per_decision`] or builds a value over the size limits.
    pub fn evaluate(&self, ctx: &Context, env: &dyn RuleEnv) -> Result<Value> {
        self.value(Root::Context(ctx), env)
    }

    /// The rule's value over arbitrary JSON `data` (JSONLogic's `apply`).
    /// Attribute paths compiled for a checkout context are looked up by name.
    ///
    /// # Errors
    /// `RULE_BUDGET`, as [`evaluate`](Self::evaluate).
    pub fn apply(&self, data: &Value, env: &dyn RuleEnv) -> Result<Value> {
        self.value(Root::Json(data), env)
    }

    fn value(&self, root: Root<'_>, env: &dyn RuleEnv) -> Result<Value> {
        let budget = RuleBudget::per_decision();
        let meter = Meter::start(&budget);
        let value = eval::eval(&self.root, &Frame::new(root, env, &meter));
        meter.finish(&budget).map_err(out_of_budget)?;
        Ok(value.to_json())
    }

    /// Nodes in the compiled tree (at most
    /// [`MAX_RULE_NODES`](crate::limits::MAX_RULE_NODES)).
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The static cost the compiler checked against
    /// [`MAX_RULE_COST`](crate::limits::MAX_RULE_COST): the worst-case
    /// count of nodes evaluated and array elements built or scanned, loop
    /// bodies once per element, taking data arrays to hold at most
    /// [`MAX_RULE_ARRAY_LEN`](crate::limits::MAX_RULE_ARRAY_LEN) elements.
    /// An estimate of the run-time steps (which also charge for text), not
    /// a bound: the decision budget is the bound.
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// Constraints on context attributes that hold whenever the rule
    /// matches, for indexing offers by attribute (see [`FieldConstraint`]).
    /// Sound but incomplete: a rule may have no derivable constraint.
    pub fn required_values(&self) -> Vec<FieldConstraint> {
        analysis::required_values(&self.root)
    }

    /// Intervals that numeric context attributes (0 when absent) lie in
    /// whenever the rule matches, for indexing offers by attribute (see
    /// [`NumericRange`]). Sound but incomplete, as
    /// [`required_values`](Self::required_values).
    pub fn required_ranges(&self) -> Vec<NumericRange> {
        analysis::required_ranges(&self.root)
    }
}
