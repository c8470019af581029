//! Compiled-form codec of rules ([`crate::wire`]): a [`CompiledRule`] is
//! written as its typed tree, so a page loads the tree `compile` built at
//! sign time without the JSONLogic compiler.
//!
//! | value | bytes |
//! |---|---|
//! | `CompiledRule` | root node, the compiler's node count (the cost is re-derived) |
//! | `Node` | tag (one byte, the order of [`Node`]'s variants), then its fields |
//! | child list (`Box<[Node]>`) | count, then each node, one nesting level down |
//! | fixed children (`[Node; N]`) | each node, no count, one nesting level down |
//! | `Lit` | tag: null 0, false 1, true 2, number 3 (`f64`), string 4 |
//! | `VarPath` | tag (variant order), then the field or the segments |
//! | `ConstSet` | strings, numbers, then `null`, `true`, `false` flags |
//! | `Const` array | JSON scalars and arrays, tagged (see [`put_value`]) |
//! | `Field`, operators, `CapScope`, `CapWindow` | one byte each |
//!
//! What the evaluator relies on is checked on read: constant sets sorted
//! and deduplicated (they are binary-searched), numbers finite (JSON has no
//! NaN), text comparisons on text attributes and numeric ones on numeric
//! attributes, audience indices below [`MAX_AUDIENCES`] (and, with
//! [`CompiledRule::audiences_within`], below the bundle's table), history
//! ids of 1–[`MAX_ID_LEN`] bytes, a node count within [`MAX_RULE_NODES`]
//! that accounts for the tree. The cost is computed again from the tree
//! (a few walks, no JSON), which refuses a rule over the cost limits as
//! `compile` does.

use super::cost;
use super::jsnum::json_number;
use super::node::{ArithOp, CmpOp, ConstSet, EqOp, IterOp, Lit, Node, VarPath};
use super::CompiledRule;
use crate::bundle::{CapScope, CapWindow};
use crate::context::Field;
use crate::error::Result;
use crate::limits::{MAX_AUDIENCES, MAX_ID_LEN, MAX_RULE_NODES};
use crate::wire::{wire_enum, Reader, Wire, Writer};
use serde_json::{Number, Value};

wire_enum!(Field {
    Email = 0,
    EmailSha256 = 1,
    FirstName = 2,
    LastName = 3,
    Phone = 4,
    ZipCode = 5,
    City = 6,
    State = 7,
    Country = 8,
    Amount = 9,
    Currency = 10,
    Quantity = 11,
    PaymentType = 12,
    CcBin = 13,
    ConfirmationRef = 14,
    Language = 15,
    Age = 16,
    Dob = 17,
    Gender = 18,
    LoyaltyTier = 19,
    CustomerType = 20,
    Device = 21,
    Placement = 22,
    AmountFormatted = 23,
});

wire_enum!(CapScope {
    Offer = 0,
    Campaign = 1,
    Advertiser = 2,
});

wire_enum!(CapWindow {
    Session = 0,
    Hour = 1,
    Day = 2,
    Week = 3,
    Month = 4,
    Lifetime = 5,
});

wire_enum!(EqOp {
    Loose = 0,
    Strict = 1,
    NotLoose = 2,
    NotStrict = 3,
});

wire_enum!(CmpOp {
    Lt = 0,
    Le = 1,
    Gt = 2,
    Ge = 3,
});

wire_enum!(ArithOp {
    Add = 0,
    Mul = 1,
    Sub = 2,
    Div = 3,
    Mod = 4,
});

wire_enum!(IterOp {
    All = 0,
    Some = 1,
    None = 2,
    Map = 3,
    Filter = 4,
});

/// A number from JSON: finite (a rule compiled from JSON never holds NaN or
/// an infinity, and the evaluator's comparisons assume it).
fn take_finite(r: &mut Reader<'_>) -> Result<f64> {
    let n = f64::take(r)?;
    if n.is_finite() {
        Ok(n)
    } else {
        Err(r.malformed("rule number is not finite"))
    }
}

/// A text attribute (`numeric` false) or a numeric one, as the compiler
/// specializes them.
fn take_field(r: &mut Reader<'_>, numeric: bool) -> Result<Field> {
    let field = Field::take(r)?;
    if field.is_numeric() == numeric {
        Ok(field)
    } else {
        Err(r.malformed("attribute of the wrong type for its comparison"))
    }
}

impl Wire for Lit {
    fn put(&self, w: &mut Writer) {
        match self {
            Lit::Null => w.byte(0),
            Lit::Bool(false) => w.byte(1),
            Lit::Bool(true) => w.byte(2),
            Lit::Num(n) => {
                w.byte(3);
                n.put(w);
            }
            Lit::Str(s) => {
                w.byte(4);
                s.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.byte()? {
            0 => Lit::Null,
            1 => Lit::Bool(false),
            2 => Lit::Bool(true),
            3 => Lit::Num(take_finite(r)?),
            4 => Lit::Str(Wire::take(r)?),
            _ => return Err(r.malformed("unknown literal tag")),
        })
    }
}

impl Wire for VarPath {
    fn put(&self, w: &mut Writer) {
        match self {
            VarPath::Whole => w.byte(0),
            VarPath::Field(f) => {
                w.byte(1);
                f.put(w);
            }
            VarPath::Custom(segs) => {
                w.byte(2);
                segs.put(w);
            }
            VarPath::Path(segs) => {
                w.byte(3);
                segs.put(w);
            }
            VarPath::Current(segs) => {
                w.byte(4);
                segs.put(w);
            }
            VarPath::Accumulator(segs) => {
                w.byte(5);
                segs.put(w);
            }
            VarPath::Undefined => w.byte(6),
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.byte()? {
            0 => VarPath::Whole,
            1 => VarPath::Field(Field::take(r)?),
            2 => VarPath::Custom(Wire::take(r)?),
            3 => VarPath::Path(Wire::take(r)?),
            4 => VarPath::Current(Wire::take(r)?),
            5 => VarPath::Accumulator(Wire::take(r)?),
            6 => VarPath::Undefined,
            _ => return Err(r.malformed("unknown var path tag")),
        })
    }
}

impl Wire for ConstSet {
    fn put(&self, w: &mut Writer) {
        self.strs.put(w);
        self.nums.put(w);
        self.null.put(w);
        self.yes.put(w);
        self.no.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let strs: Box<[Box<str>]> = Wire::take(r)?;
        // `contains_str`/`contains_num` binary-search: members must be in
        // strictly increasing order, as `ConstSet::from_items` leaves them
        // (which also keeps `-0.0` only, never `0.0` after it).
        if !strs.windows(2).all(|p| matches!(p, [a, b] if a < b)) {
            return Err(r.malformed("constant set strings not sorted and unique"));
        }
        let nums: Box<[f64]> = Wire::take(r)?;
        let increasing = nums.windows(2).all(|p| matches!(p, [a, b] if a < b));
        if !increasing || !nums.iter().all(|n| n.is_finite()) {
            return Err(r.malformed("constant set numbers not finite, sorted and unique"));
        }
        Ok(ConstSet {
            strs,
            nums,
            null: bool::take(r)?,
            yes: bool::take(r)?,
            no: bool::take(r)?,
        })
    }
}

/// A `Const` payload: plain JSON data (the compiler makes `Const` only of
/// arrays without operator objects, so there is no object tag). Numbers
/// keep serde_json's representation (`1` and `1.0` are different values
/// and print differently): null 0, false 1, true 2, unsigned 3 (varint),
/// negative 4 (zigzag), float 5 (`f64`), string 6, array 7 (count, items).
fn put_value(w: &mut Writer, v: &Value) {
    match v {
        Value::Null => w.byte(0),
        Value::Bool(false) => w.byte(1),
        Value::Bool(true) => w.byte(2),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                w.byte(3);
                u.put(w);
            } else if let Some(i) = n.as_i64() {
                w.byte(4);
                i.put(w);
            } else {
                // A NaN (never, see `json_number`) would be refused on
                // read, never loaded as another number.
                w.byte(5);
                json_number(n).put(w);
            }
        }
        Value::String(s) => {
            w.byte(6);
            s.put(w);
        }
        Value::Array(items) => {
            w.byte(7);
            w.len(items.len());
            for item in items {
                put_value(w, item);
            }
        }
        // Never compiled into a `Const`; written as a tag `take` refuses,
        // rather than silently as something else.
        Value::Object(_) => w.byte(0xff),
    }
}

fn take_value(r: &mut Reader<'_>) -> Result<Value> {
    Ok(match r.byte()? {
        0 => Value::Null,
        1 => Value::Bool(false),
        2 => Value::Bool(true),
        3 => Value::Number(u64::take(r)?.into()),
        4 => {
            let i = i64::take(r)?;
            // serde_json holds every non-negative integer as unsigned.
            if i >= 0 {
                return Err(r.malformed("non-negative integer written as negative"));
            }
            Value::Number(i.into())
        }
        5 => {
            let f = f64::take(r)?;
            let n = Number::from_f64(f).ok_or_else(|| r.malformed("number is not finite"))?;
            Value::Number(n)
        }
        6 => Value::String(String::take(r)?),
        7 => r.nested(|r| {
            let n = r.len()?;
            let mut items = r.vec_for(n);
            for _ in 0..n {
                items.push(take_value(r)?);
            }
            Ok(Value::Array(items))
        })?,
        _ => return Err(r.malformed("unknown constant value tag")),
    })
}

/// Children with a count, one nesting level down (the tree recurses).
fn take_list(r: &mut Reader<'_>) -> Result<Box<[Node]>> {
    r.nested(|r| r.seq().map(Vec::into_boxed_slice))
}

/// `N` children (an operator of fixed arity), one nesting level down.
fn take_fixed<const N: usize>(r: &mut Reader<'_>) -> Result<Box<[Node; N]>> {
    r.nested(|r| {
        let mut items = Vec::with_capacity(N);
        for _ in 0..N {
            items.push(Node::take(r)?);
        }
        Box::<[Node; N]>::try_from(items.into_boxed_slice())
            .map_err(|_| r.malformed("fixed-arity children"))
    })
}

fn put_fixed<const N: usize>(w: &mut Writer, items: &[Node; N]) {
    for item in items {
        item.put(w);
    }
}

impl Wire for Node {
    fn put(&self, w: &mut Writer) {
        match self {
            Node::Lit(lit) => {
                w.byte(0);
                lit.put(w);
            }
            Node::Const(v) => {
                w.byte(1);
                put_value(w, v);
            }
            Node::Array(n) => {
                w.byte(2);
                n.put(w);
            }
            Node::Var { path, default } => {
                w.byte(3);
                path.put(w);
                default.put(w);
            }
            Node::DynVar { path, default } => {
                w.byte(4);
                path.put(w);
                default.put(w);
            }
            Node::Missing(n) => {
                w.byte(5);
                n.put(w);
            }
            Node::MissingSome(n) => {
                w.byte(6);
                put_fixed(w, n);
            }
            Node::If(n) => {
                w.byte(7);
                n.put(w);
            }
            Node::And(n) => {
                w.byte(8);
                n.put(w);
            }
            Node::Or(n) => {
                w.byte(9);
                n.put(w);
            }
            Node::Not(n) => {
                w.byte(10);
                n.put(w);
            }
            Node::NotNot(n) => {
                w.byte(11);
                n.put(w);
            }
            Node::Eq(op, n) => {
                w.byte(12);
                op.put(w);
                put_fixed(w, n);
            }
            Node::Cmp(op, n) => {
                w.byte(13);
                op.put(w);
                n.put(w);
            }
            Node::In(n) => {
                w.byte(14);
                put_fixed(w, n);
            }
            Node::InSet(needle, set) => {
                w.byte(15);
                needle.put(w);
                set.put(w);
            }
            Node::TextEq { op, field, value } => {
                w.byte(16);
                op.put(w);
                field.put(w);
                value.put(w);
            }
            Node::TextIn(field, set) => {
                w.byte(17);
                field.put(w);
                set.put(w);
            }
            Node::NumCmp {
                op,
                field,
                k,
                field_first,
            } => {
                w.byte(18);
                op.put(w);
                field.put(w);
                k.put(w);
                field_first.put(w);
            }
            Node::Arith(op, n) => {
                w.byte(19);
                op.put(w);
                n.put(w);
            }
            Node::MinMax(max, n) => {
                w.byte(20);
                max.put(w);
                n.put(w);
            }
            Node::Cat(n) => {
                w.byte(21);
                n.put(w);
            }
            Node::Substr(n) => {
                w.byte(22);
                n.put(w);
            }
            Node::Merge(n) => {
                w.byte(23);
                n.put(w);
            }
            Node::Log(n) => {
                w.byte(24);
                n.put(w);
            }
            Node::Iter(op, n) => {
                w.byte(25);
                op.put(w);
                put_fixed(w, n);
            }
            Node::Reduce(n) => {
                w.byte(26);
                put_fixed(w, n);
            }
            Node::InAudience(index) => {
                w.byte(27);
                index.put(w);
            }
            Node::HistoryCount { scope, id, window } => {
                w.byte(28);
                scope.put(w);
                id.put(w);
                window.put(w);
            }
            Node::LocalHour => w.byte(29),
            Node::LocalWeekday => w.byte(30),
        }
    }

    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Ok(match r.byte()? {
            0 => Node::Lit(Lit::take(r)?),
            1 => match take_value(r)? {
                v @ Value::Array(_) => Node::Const(v),
                _ => return Err(r.malformed("constant node is not an array")),
            },
            2 => Node::Array(take_list(r)?),
            3 => Node::Var {
                path: VarPath::take(r)?,
                default: Wire::take(r)?,
            },
            4 => Node::DynVar {
                path: Wire::take(r)?,
                default: Wire::take(r)?,
            },
            5 => Node::Missing(take_list(r)?),
            6 => Node::MissingSome(take_fixed(r)?),
            7 => Node::If(take_list(r)?),
            8 => Node::And(take_list(r)?),
            9 => Node::Or(take_list(r)?),
            10 => Node::Not(Wire::take(r)?),
            11 => Node::NotNot(Wire::take(r)?),
            12 => Node::Eq(EqOp::take(r)?, take_fixed(r)?),
            13 => Node::Cmp(CmpOp::take(r)?, take_list(r)?),
            14 => Node::In(take_fixed(r)?),
            15 => Node::InSet(Wire::take(r)?, Box::new(ConstSet::take(r)?)),
            16 => Node::TextEq {
                op: EqOp::take(r)?,
                field: take_field(r, false)?,
                value: Wire::take(r)?,
            },
            17 => Node::TextIn(take_field(r, false)?, Box::new(ConstSet::take(r)?)),
            18 => Node::NumCmp {
                op: CmpOp::take(r)?,
                field: take_field(r, true)?,
                k: take_finite(r)?,
                field_first: bool::take(r)?,
            },
            19 => Node::Arith(ArithOp::take(r)?, take_list(r)?),
            20 => Node::MinMax(bool::take(r)?, take_list(r)?),
            21 => Node::Cat(take_list(r)?),
            22 => Node::Substr(take_list(r)?),
            23 => Node::Merge(take_list(r)?),
            24 => Node::Log(Wire::take(r)?),
            25 => Node::Iter(IterOp::take(r)?, take_fixed(r)?),
            26 => Node::Reduce(take_fixed(r)?),
            // The bundle's own table is checked by the assembly
            // (`audiences_within`); this is the most any bundle has.
            27 => Node::InAudience(r.index(MAX_AUDIENCES)?),
            28 => {
                let scope = CapScope::take(r)?;
                let id: Box<str> = Wire::take(r)?;
                if id.is_empty() || id.len() > MAX_ID_LEN {
                    return Err(r.malformed("history id length"));
                }
                Node::HistoryCount {
                    scope,
                    id,
                    window: CapWindow::take(r)?,
                }
            }
            29 => Node::LocalHour,
            30 => Node::LocalWeekday,
            _ => return Err(r.malformed("unknown rule node tag")),
        })
    }
}

/// Nodes in the tree, and how many of them are `reduce` (whose omitted
/// initial value the compiler adds as a `null` node it does not count).
fn tree_size(node: &Node) -> (usize, usize) {
    node.children().into_iter().map(tree_size).fold(
        (1, usize::from(matches!(node, Node::Reduce(_)))),
        |(n, k), (cn, ck)| (n.saturating_add(cn), k.saturating_add(ck)),
    )
}

impl Wire for CompiledRule {
    fn put(&self, w: &mut Writer) {
        self.root.put(w);
        self.nodes.put(w);
    }

    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let root = Node::take(r)?;
        let nodes = usize::take(r)?;
        // The compiler counts every JSON value it compiles (at most
        // MAX_RULE_NODES); each tree node is one of them, or a `reduce`'s
        // implicit initial value. Checked before the cost walks so they
        // never run over a tree larger than `compile` allows.
        let (tree, reduces) = tree_size(&root);
        if nodes == 0 || nodes > MAX_RULE_NODES || tree > nodes.saturating_add(reduces) {
            return Err(r.malformed("rule node count"));
        }
        let cost =
            cost::check(&root).map_err(|why| r.malformed(&format!("rule refused: {why}")))?;
        Ok(CompiledRule { root, nodes, cost })
    }
}

impl CompiledRule {
    /// Whether every `in_audience` of the rule names an index below
    /// `count` (the bundle's audience table): `take` knows only the limit,
    /// the assembly that holds the table checks this.
    pub(crate) fn audiences_within(&self, count: usize) -> bool {
        fn within(node: &Node, count: usize) -> bool {
            match node {
                Node::InAudience(index) => *index < count,
                other => other.children().into_iter().all(|c| within(c, count)),
            }
        }
        within(&self.root, count)
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
