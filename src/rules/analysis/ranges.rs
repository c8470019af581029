//! [`required_ranges`]: the intervals numeric attributes must lie in (the
//! literal forms are listed in the parent module's documentation).

use super::conjuncts;
use crate::context::Field;
use crate::rules::node::{CmpOp, Node};

/// One end of a [`NumericRange`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeEnd {
    /// The bound: never NaN, never `-0.0` (read as `0.0`); `-inf` as a
    /// lower end, `+inf` as an upper end: unbounded on that side.
    pub value: f64,
    /// Whether the attribute must differ from `value` (`<`, `>`) rather
    /// than possibly equal it (`<=`, `>=`).
    pub strict: bool,
}

/// A necessary condition of a rule on one numeric attribute: its value, as
/// the rule reads it (0 when absent), lies between `lower` and `upper`.
/// Empty (`lower` above `upper`, or equal with a strict end) when the rule
/// can never match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumericRange {
    /// The attribute (`amount`, `quantity` or `age`).
    pub field: Field,
    /// The value is at least (strict: above) this.
    pub lower: RangeEnd,
    /// The value is at most (strict: below) this.
    pub upper: RangeEnd,
}

impl NumericRange {
    /// Whether `x` lies in the range.
    pub fn contains(&self, x: f64) -> bool {
        let (lo, hi) = (self.lower, self.upper);
        let above = if lo.strict {
            x > lo.value
        } else {
            x >= lo.value
        };
        let below = if hi.strict {
            x < hi.value
        } else {
            x <= hi.value
        };
        above && below
    }
}

/// A one-sided bound on a numeric attribute: `(field, is_upper, end)`.
type NumLiteral = (Field, bool, RangeEnd);

/// The bound implied by `node` being truthy, if it is a numeric literal.
/// Every such literal is exact (truthy *if and only if* the bound holds),
/// so each may be negated: the complement of `N < k` is `N ≥ k`, the other
/// side with the other strictness.
fn num_literal(node: &Node) -> Option<NumLiteral> {
    match node {
        Node::NumCmp {
            op,
            field,
            k,
            field_first,
        } if field.is_numeric() && k.is_finite() => {
            let strict = matches!(op, CmpOp::Lt | CmpOp::Gt);
            // `N < k` and `k > N` bound N from above.
            let is_upper = matches!(op, CmpOp::Lt | CmpOp::Le) == *field_first;
            // `+ 0.0` turns -0 into 0, which compares equal to it: the index
            // may then order bounds by their bits.
            let end = RangeEnd {
                value: k + 0.0,
                strict,
            };
            Some((*field, is_upper, end))
        }
        Node::Not(inner) => num_literal(inner).map(|(field, is_upper, end)| {
            let end = RangeEnd {
                strict: !end.strict,
                ..end
            };
            (field, !is_upper, end)
        }),
        Node::NotNot(inner) => num_literal(inner),
        _ => None,
    }
}

/// The tighter of two lower (`is_upper` false) or two upper ends; at equal
/// values the strict one.
fn tighter(is_upper: bool, a: RangeEnd, b: RangeEnd) -> RangeEnd {
    let b_beyond = if is_upper {
        b.value < a.value
    } else {
        b.value > a.value
    };
    if b_beyond || (b.value == a.value && b.strict) {
        b
    } else {
        a
    }
}

/// The numeric attributes, in `Field` order: every range's `field` is one
/// of them, and consumers may keep per-attribute data in arrays by them.
pub(crate) const NUMERIC_FIELDS: [Field; 3] = [Field::Amount, Field::Quantity, Field::Age];

pub(crate) fn required_ranges(root: &Node) -> Vec<NumericRange> {
    // One slot per numeric attribute: reported in `Field` order, as
    // `required_values` reports, without a search or a sort.
    let mut slots: [Option<NumericRange>; NUMERIC_FIELDS.len()] = [None; 3];
    conjuncts(root, &mut |node| {
        let Some((field, is_upper, end)) = num_literal(node) else {
            return;
        };
        let at = NUMERIC_FIELDS.iter().position(|f| *f == field);
        let Some(slot) = at.and_then(|at| slots.get_mut(at)) else {
            return;
        };
        let unbounded = |value| RangeEnd {
            value,
            strict: false,
        };
        let range = slot.get_or_insert(NumericRange {
            field,
            lower: unbounded(f64::NEG_INFINITY),
            upper: unbounded(f64::INFINITY),
        });
        if is_upper {
            range.upper = tighter(true, range.upper, end);
        } else {
            range.lower = tighter(false, range.lower, end);
        }
    });
    let mut ranges = Vec::new();
    for range in slots.into_iter().flatten() {
        ranges.push(range);
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::rules::{compile, CompileEnv, CompiledRule, FixedEnv};
    use crate::time::Timestamp;
    use serde_json::{json, Value};

    fn compiled(rule: &Value) -> CompiledRule {
        compile(rule, &CompileEnv::checkout("o", &|_| None)).unwrap()
    }

    fn ranges(rule: Value) -> Vec<NumericRange> {
        compiled(&rule).required_ranges()
    }

    fn end(value: f64, strict: bool) -> RangeEnd {
        RangeEnd { value, strict }
    }

    const NO_LOWER: RangeEnd = RangeEnd {
        value: f64::NEG_INFINITY,
        strict: false,
    };
    const NO_UPPER: RangeEnd = RangeEnd {
        value: f64::INFINITY,
        strict: false,
    };

    fn amount(lower: RangeEnd, upper: RangeEnd) -> Vec<NumericRange> {
        vec![NumericRange {
            field: Field::Amount,
            lower,
            upper,
        }]
    }

    fn a() -> Value {
        json!({"var": "amount"})
    }

    #[test]
    fn the_numeric_fields_are_the_numeric_attributes_in_field_order() {
        let numeric: Vec<Field> = Field::ALL.into_iter().filter(|f| f.is_numeric()).collect();
        assert_eq!(numeric, NUMERIC_FIELDS);
    }

    #[test]
    fn each_comparison_bounds_its_attribute_on_either_side() {
        for (rule, want) in [
            (json!({">=": [a(), 50]}), amount(end(50.0, false), NO_UPPER)),
            (json!({">": [a(), 50]}), amount(end(50.0, true), NO_UPPER)),
            (json!({"<": [a(), 50]}), amount(NO_LOWER, end(50.0, true))),
            (json!({"<=": [a(), 50]}), amount(NO_LOWER, end(50.0, false))),
            (json!({">=": [50, a()]}), amount(NO_LOWER, end(50.0, false))),
            (json!({">": [50, a()]}), amount(NO_LOWER, end(50.0, true))),
            (json!({"<": [50, a()]}), amount(end(50.0, true), NO_UPPER)),
            (json!({"<=": [50, a()]}), amount(end(50.0, false), NO_UPPER)),
            // A null default reads as absent: still the attribute.
            (
                json!({"<": [{"var": ["amount", null]}, 2.5]}),
                amount(NO_LOWER, end(2.5, true)),
            ),
        ] {
            assert_eq!(ranges(rule.clone()), want, "{rule}");
        }
        // -0 is read as 0 (they compare equal), so the index may order by bits.
        let [r] = &ranges(json!({"<": [a(), -0.0]}))[..] else {
            panic!("one range")
        };
        assert_eq!(r.upper.value.to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn a_negated_comparison_bounds_the_other_side() {
        for (rule, want) in [
            (
                json!({"!": {"<": [a(), 50]}}),
                amount(end(50.0, false), NO_UPPER),
            ),
            (
                json!({"!": {"<=": [a(), 50]}}),
                amount(end(50.0, true), NO_UPPER),
            ),
            (
                json!({"!": {">": [a(), 50]}}),
                amount(NO_LOWER, end(50.0, false)),
            ),
            (
                json!({"!": {">=": [50, a()]}}),
                amount(end(50.0, true), NO_UPPER),
            ),
            (
                json!({"!": {"!": {"<": [a(), 50]}}}),
                amount(NO_LOWER, end(50.0, true)),
            ),
            (
                json!({"!!": {"<": [a(), 50]}}),
                amount(NO_LOWER, end(50.0, true)),
            ),
            (
                json!({"!": {"!!": {"<": [a(), 50]}}}),
                amount(end(50.0, false), NO_UPPER),
            ),
        ] {
            assert_eq!(ranges(rule.clone()), want, "{rule}");
        }
    }

    #[test]
    fn bounds_on_one_attribute_intersect() {
        for (rule, want) in [
            // At equal values the strict end is the tighter.
            (
                json!({"and": [{">=": [a(), 10]}, {">": [a(), 10]}, {">=": [a(), 10]}]}),
                amount(end(10.0, true), NO_UPPER),
            ),
            (
                json!({"and": [{"<=": [a(), 50]}, {"!": {">=": [a(), 50]}}]}),
                amount(NO_LOWER, end(50.0, true)),
            ),
            // Otherwise the larger lower end, the smaller upper end, through
            // nested `and` and `!!`.
            (
                json!({"and": [
                    {">": [a(), 10]},
                    {"!!": {"and": [{">=": [a(), 20]}, {"<": [a(), 90]}]}},
                    {">=": [100, a()]},
                ]}),
                amount(end(20.0, false), end(90.0, true)),
            ),
        ] {
            assert_eq!(ranges(rule.clone()), want, "{rule}");
        }
        // Each attribute its own range, in attribute order, whatever else
        // the conjunction holds.
        let rule = json!({"and": [
            {"<": [{"var": "age"}, 21]},
            {"==": [{"var": "state"}, "CA"]},
            {">=": [{"var": "quantity"}, 2]},
            {">": [a(), 0]},
        ]});
        let fields: Vec<Field> = ranges(rule).iter().map(|r| r.field).collect();
        assert_eq!(fields, [Field::Amount, Field::Quantity, Field::Age]);
    }

    #[test]
    fn an_empty_interval_contains_no_value() {
        for rule in [
            json!({"and": [{">=": [a(), 100]}, {"<": [a(), 50]}]}),
            json!({"and": [{">": [a(), 10]}, {"<=": [a(), 10]}]}),
            json!({"and": [{">=": [a(), 10]}, {"!": {">=": [a(), 10]}}]}),
        ] {
            let [r] = &ranges(rule.clone())[..] else {
                panic!("{rule}: one range")
            };
            for x in [0.0, 9.99, 10.0, 10.01, 50.0, 75.0, 100.0, 1e9] {
                assert!(!r.contains(x), "{rule} {x}");
            }
        }
        let point = ranges(json!({"and": [{">=": [a(), 10]}, {"<=": [a(), 10]}]}));
        let [point] = &point[..] else {
            panic!("one range")
        };
        assert!(point.contains(10.0) && !point.contains(9.99) && !point.contains(10.01));
    }

    #[test]
    fn an_absent_attribute_lies_in_the_range_when_zero_does() {
        let absent = Context::default();
        let env = FixedEnv::at(Timestamp(0));
        for (rule, holds) in [
            (json!({"<": [a(), 10]}), true),
            (json!({">=": [a(), 10]}), false),
            (json!({">=": [{"var": "quantity"}, 0]}), true),
            (json!({">": [{"var": "age"}, 0]}), false),
            (json!({"!": {"<=": [0, {"var": "age"}]}}), false),
        ] {
            let compiled = compiled(&rule);
            assert_eq!(compiled.matches(&absent, &env), holds, "{rule}");
            let [r] = &compiled.required_ranges()[..] else {
                panic!("{rule}: one range")
            };
            assert_eq!(r.contains(0.0), holds, "{rule}");
        }
    }

    #[test]
    fn anything_but_a_numeric_literal_yields_no_range() {
        for rule in [
            json!({"or": [{"<": [a(), 10]}, {"<": [a(), 20]}]}),
            json!({"!": {"and": [{"<": [a(), 10]}]}}),
            json!({"==": [a(), 10]}),
            json!({"<": [a(), "10"]}),
            json!({"<": [a(), {"var": "quantity"}]}),
            json!({"<": [0, a(), 10]}),
            json!({"<": [{"var": ["amount", 5]}, 10]}),
            json!({"<": [{"+": [a(), 0]}, 10]}),
            json!({"<": [{"var": "custom.spend"}, 10]}),
            json!({"if": [{"<": [a(), 10]}, true, true]}),
        ] {
            assert_eq!(ranges(rule.clone()), vec![], "{rule}");
        }
        // A non-finite literal (never compiled from JSON) is no bound.
        for k in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let node = Node::NumCmp {
                op: CmpOp::Lt,
                field: Field::Amount,
                k,
                field_first: true,
            };
            assert_eq!(required_ranges(&node), vec![], "{k}");
        }
    }
}
