//! What a rule may spend at run time. Compilation already refuses rules whose
//! static cost is too high (`super::cost`), but that bound assumes arrays of
//! at most [`MAX_RULE_ARRAY_LEN`] elements and says nothing about how many
//! rules one decision runs. Two run-time limits close the gap:
//!
//! | limit | counts | when exceeded |
//! |---|---|---|
//! | [`RuleBudget`] (per decision, [`MAX_DECISION_RULE_STEPS`]) | one step per node evaluated, per element built or scanned, per 64 bytes of text built | this rule and every later rule of the decision stop: [`BudgetExceeded::Steps`] |
//! | value size ([`MAX_RULE_ARRAY_LEN`] elements, [`MAX_RULE_VALUE_BYTES`] rendered, [`MAX_RULE_VALUE_DEPTH`] nesting) | each array or string a rule builds | this rule stops: [`BudgetExceeded::ValueSize`] |
//!
//! A rule that stops is not an error: the decision engine makes its offer
//! ineligible and explains why (`ruleBudget`). Evaluation never traps or
//! panics on a budget: once stopped, every node returns at once and every
//! loop breaks, and the half-computed result is thrown away.
//!
//! [`MAX_RULE_ARRAY_LEN`]: crate::limits::MAX_RULE_ARRAY_LEN
//! [`MAX_DECISION_RULE_STEPS`]: crate::limits::MAX_DECISION_RULE_STEPS
//! [`MAX_RULE_VALUE_BYTES`]: crate::limits::MAX_RULE_VALUE_BYTES
//! [`MAX_RULE_VALUE_DEPTH`]: crate::limits::MAX_RULE_VALUE_DEPTH

use crate::limits::MAX_DECISION_RULE_STEPS;
use serde::Serialize;
use std::cell::Cell;

/// Evaluation steps left for the rules of one decision. Every rule of a
/// `decide` (or `eligible_offers`) call draws from the same budget, so a
/// bundle of many moderately expensive rules is bounded like one
/// expensive rule.
#[derive(Debug)]
pub struct RuleBudget {
    left: Cell<u64>,
    exhausted: Cell<bool>,
}

impl RuleBudget {
    /// A budget of `steps` evaluation steps.
    pub fn new(steps: u64) -> Self {
        RuleBudget {
            left: Cell::new(steps),
            exhausted: Cell::new(false),
        }
    }

    /// The budget of one decision: [`MAX_DECISION_RULE_STEPS`].
    pub fn per_decision() -> Self {
        Self::new(MAX_DECISION_RULE_STEPS)
    }

    /// Steps not spent yet.
    pub fn remaining(&self) -> u64 {
        self.left.get()
    }

    /// Whether a rule ran out of steps (every later rule fails at once).
    pub fn is_exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

/// Why a rule stopped before it had a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BudgetExceeded {
    /// The decision's evaluation steps are spent.
    Steps,
    /// The rule built an array or string over the size limits.
    ValueSize,
}

impl BudgetExceeded {
    /// A sentence for people.
    pub fn describe(self) -> String {
        match self {
            BudgetExceeded::Steps => {
                format!("the decision's {MAX_DECISION_RULE_STEPS} rule evaluation steps are spent")
            }
            BudgetExceeded::ValueSize => format!(
                "it built an array or text over the limits ({} elements, {} bytes, {} levels)",
                crate::limits::MAX_RULE_ARRAY_LEN,
                crate::limits::MAX_RULE_VALUE_BYTES,
                crate::limits::MAX_RULE_VALUE_DEPTH
            ),
        }
    }
}

/// The meter of one rule evaluation: a copy of the budget's steps, counted
/// down in the hot path (one `Cell` per node), written back by
/// [`Meter::finish`].
pub(crate) struct Meter {
    left: Cell<u64>,
    /// A charge found no steps left.
    out_of_steps: Cell<bool>,
    /// Steps left when a value grew too big (the rest stay in the budget:
    /// only this rule fails).
    too_big: Cell<Option<u64>>,
}

impl Meter {
    /// Starts metering against `budget`; an exhausted budget stops at once.
    pub(crate) fn start(budget: &RuleBudget) -> Meter {
        Meter {
            left: Cell::new(budget.left.get()),
            out_of_steps: Cell::new(budget.exhausted.get()),
            too_big: Cell::new(None),
        }
    }

    /// Takes one step; `false` once evaluation must stop.
    #[inline]
    pub(crate) fn tick(&self) -> bool {
        let left = self.left.get();
        if left == 0 {
            self.out_of_steps.set(true);
            return false;
        }
        self.left.set(left - 1);
        true
    }

    /// Takes `steps` steps; `false` once evaluation must stop.
    #[inline]
    pub(crate) fn charge(&self, steps: usize) -> bool {
        let steps = u64::try_from(steps).unwrap_or(u64::MAX);
        match self.left.get().checked_sub(steps) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.left.set(0);
                self.out_of_steps.set(true);
                false
            }
        }
    }

    /// Charges for `bytes` of text built or copied (one step per 64 bytes).
    #[inline]
    pub(crate) fn charge_bytes(&self, bytes: usize) -> bool {
        self.charge(1 + bytes / 64)
    }

    /// Stops this evaluation because a value grew over the size limits.
    pub(crate) fn too_big(&self) {
        if self.too_big.get().is_none() {
            self.too_big.set(Some(self.left.get()));
        }
        self.left.set(0);
    }

    /// Whether evaluation has stopped (results are then meaningless).
    #[inline]
    pub(crate) fn stopped(&self) -> bool {
        self.left.get() == 0 && (self.out_of_steps.get() || self.too_big.get().is_some())
    }

    /// Writes the steps spent back into `budget`.
    ///
    /// # Errors
    /// Why the rule stopped, if it did.
    pub(crate) fn finish(self, budget: &RuleBudget) -> Result<(), BudgetExceeded> {
        if let Some(left) = self.too_big.get() {
            budget.left.set(left);
            return Err(BudgetExceeded::ValueSize);
        }
        budget.left.set(self.left.get());
        if self.out_of_steps.get() {
            budget.exhausted.set(true);
            return Err(BudgetExceeded::Steps);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_shared_and_exhaustion_sticks() {
        let budget = RuleBudget::new(3);
        let m = Meter::start(&budget);
        assert!(m.tick() && m.tick());
        assert_eq!(m.finish(&budget), Ok(()));
        assert_eq!(budget.remaining(), 1);
        let m = Meter::start(&budget);
        assert!(m.tick());
        assert!(!m.tick() && m.stopped());
        assert_eq!(m.finish(&budget), Err(BudgetExceeded::Steps));
        assert!(budget.is_exhausted());
        // A later rule stops before its first step.
        let m = Meter::start(&budget);
        assert!(!m.tick());
        assert_eq!(m.finish(&budget), Err(BudgetExceeded::Steps));
    }

    #[test]
    fn a_value_too_big_fails_only_its_rule() {
        let budget = RuleBudget::new(100);
        let m = Meter::start(&budget);
        assert!(m.charge(10));
        m.too_big();
        assert!(m.stopped() && !m.tick());
        assert_eq!(m.finish(&budget), Err(BudgetExceeded::ValueSize));
        assert_eq!(budget.remaining(), 90);
        assert!(!budget.is_exhausted());
    }
}
