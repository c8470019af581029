//! JSON → typed rule tree, once, at bundle load. Every refusal is
//! `RULE_INVALID` with the JSON path of the offending node, e.g.
//! `offers[offer-12].eligibility/and/1/in: "in" takes 2 arguments, got 3`.

use super::jsnum::number_to_string;
use super::node::{ArithOp, CmpOp, ConstSet, EqOp, IterOp, Lit, Node, VarPath};
use super::{CompileEnv, DataModel};
use crate::bundle::{CapScope, CapWindow};
use crate::context::Field;
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_ID_LEN, MAX_RULE_DEPTH, MAX_RULE_LITERAL_ITEMS, MAX_RULE_NODES};
use serde_json::Value;

/// What `var` sees at a point of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The checkout context (or the JSON data).
    Root,
    /// An element of `map`/`filter`/`all`/`some`/`none`.
    Item,
    /// `{current, accumulator}` of `reduce`.
    Reduce,
}

pub(crate) struct Compiler<'e> {
    env: &'e CompileEnv<'e>,
    path: Vec<String>,
    nodes: usize,
}

/// Compiles a whole rule; returns the tree and its node count.
pub(crate) fn compile_rule(rule: &Value, env: &CompileEnv<'_>) -> Result<(Node, usize)> {
    let mut c = Compiler {
        env,
        path: Vec::new(),
        nodes: 0,
    };
    let node = c.compile(rule, 0, Scope::Root)?;
    Ok((node, c.nodes))
}

/// Splits an operator's arguments: an array is the argument list, anything
/// else is a single argument (`{"var": "x"}` ≡ `{"var": ["x"]}`).
fn args_of(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// Whether `v` is plain data (no operator objects), within the depth limit.
fn is_plain_data(v: &Value, depth: usize) -> bool {
    match v {
        Value::Object(_) => false,
        Value::Array(items) => {
            depth < MAX_RULE_DEPTH && items.iter().all(|i| is_plain_data(i, depth + 1))
        }
        _ => true,
    }
}

/// Items of a literal array, nested ones included (counting stops past the
/// limit).
fn literal_items(v: &Value) -> usize {
    match v {
        Value::Array(items) => items.iter().fold(items.len(), |n, item| {
            if n > MAX_RULE_LITERAL_ITEMS {
                n
            } else {
                n + literal_items(item)
            }
        }),
        _ => 0,
    }
}

/// The attribute a node reads, when it is a plain attribute read (no
/// default, or a `null` default which changes nothing).
fn attribute(node: &Node) -> Option<Field> {
    match node {
        Node::Var {
            path: VarPath::Field(f),
            default,
        } if matches!(default.as_deref(), None | Some(Node::Lit(Lit::Null))) => Some(*f),
        _ => None,
    }
}

/// `TextEq` for a text attribute against a string literal, else `Eq`.
fn specialize_eq(op: EqOp, args: [Node; 2]) -> Node {
    let [a, b] = &args;
    let text = match (attribute(a), b, attribute(b), a) {
        (Some(f), Node::Lit(Lit::Str(s)), _, _) | (_, _, Some(f), Node::Lit(Lit::Str(s)))
            if !f.is_numeric() =>
        {
            Some((f, s.clone()))
        }
        _ => None,
    };
    match text {
        Some((field, value)) => Node::TextEq { op, field, value },
        None => Node::Eq(op, Box::new(args)),
    }
}

/// `NumCmp` for a numeric attribute against a number literal, else `Cmp`.
fn specialize_cmp(op: CmpOp, args: Box<[Node]>) -> Node {
    let num = match &*args {
        [a, Node::Lit(Lit::Num(k))] => attribute(a).map(|f| (f, *k, true)),
        [Node::Lit(Lit::Num(k)), b] => attribute(b).map(|f| (f, *k, false)),
        _ => None,
    };
    match num {
        Some((field, k, field_first)) if field.is_numeric() => Node::NumCmp {
            op,
            field,
            k,
            field_first,
        },
        _ => Node::Cmp(op, args),
    }
}

impl Compiler<'_> {
    fn error(&self, message: impl std::fmt::Display) -> Error {
        let mut at = self.env.location();
        for seg in &self.path {
            at.push('/');
            at.push_str(seg);
        }
        Error::new(ErrorCode::RuleInvalid, format!("{at}: {message}"))
    }

    fn count(&mut self) -> Result<()> {
        self.nodes += 1;
        if self.nodes > MAX_RULE_NODES {
            return Err(self.error(format!("rule has more than {MAX_RULE_NODES} nodes")));
        }
        Ok(())
    }

    fn compile(&mut self, v: &Value, depth: usize, scope: Scope) -> Result<Node> {
        if depth > MAX_RULE_DEPTH {
            return Err(self.error(format!("rule nests deeper than {MAX_RULE_DEPTH} levels")));
        }
        self.count()?;
        match v {
            Value::Array(_) if is_plain_data(v, depth) => {
                if literal_items(v) > MAX_RULE_LITERAL_ITEMS {
                    return Err(self.error(format!(
                        "a literal array holds more than {MAX_RULE_LITERAL_ITEMS} items"
                    )));
                }
                Ok(Node::Const(v.clone()))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    self.path.push(i.to_string());
                    let node = self.compile(item, depth + 1, scope);
                    self.path.pop();
                    out.push(node?);
                }
                Ok(Node::Array(out.into()))
            }
            Value::Object(map) => {
                let mut entries = map.iter();
                let (Some((op, arg)), None) = (entries.next(), entries.next()) else {
                    return Err(self.error(format!(
                        "an operator object must have exactly one key, this one has {}",
                        map.len()
                    )));
                };
                self.path.push(op.clone());
                let node = self.operator(op, arg, depth, scope);
                self.path.pop();
                node
            }
            scalar => Ok(Lit::from_json(scalar).map_or(Node::Lit(Lit::Null), Node::Lit)),
        }
    }

    /// Compiles argument `i` of the current operator.
    fn arg(&mut self, args: &[&Value], i: usize, depth: usize, scope: Scope) -> Result<Node> {
        let Some(v) = args.get(i) else {
            return Ok(Node::Lit(Lit::Null));
        };
        self.path.push(i.to_string());
        let node = self.compile(v, depth + 1, scope);
        self.path.pop();
        node
    }

    fn all_args(&mut self, args: &[&Value], depth: usize, scope: Scope) -> Result<Box<[Node]>> {
        (0..args.len())
            .map(|i| self.arg(args, i, depth, scope))
            .collect::<Result<Vec<_>>>()
            .map(Vec::into_boxed_slice)
    }

    fn arity(&self, op: &str, args: &[&Value], min: usize, max: usize) -> Result<()> {
        let n = args.len();
        if (min..=max).contains(&n) {
            return Ok(());
        }
        let want = match (min, max) {
            (a, b) if a == b => format!("{a}"),
            (a, usize::MAX) => format!("at least {a}"),
            (a, b) => format!("{a} to {b}"),
        };
        let plural = if max == 1 && min == 1 { "" } else { "s" };
        Err(self.error(format!("\"{op}\" takes {want} argument{plural}, got {n}")))
    }

    fn two(&mut self, args: &[&Value], depth: usize, scope: Scope) -> Result<Box<[Node; 2]>> {
        Ok(Box::new([
            self.arg(args, 0, depth, scope)?,
            self.arg(args, 1, depth, scope)?,
        ]))
    }

    fn operator(&mut self, op: &str, arg: &Value, depth: usize, scope: Scope) -> Result<Node> {
        let args = args_of(arg);
        let a = args.as_slice();
        const ANY: usize = usize::MAX;
        Ok(match op {
            "var" => {
                self.arity(op, a, 0, 2)?;
                self.var(a, depth, scope)?
            }
            "missing" => Node::Missing(self.all_args(a, depth, scope)?),
            "missing_some" => {
                self.arity(op, a, 2, 2)?;
                Node::MissingSome(self.two(a, depth, scope)?)
            }
            "if" | "?:" => Node::If(self.all_args(a, depth, scope)?),
            "and" => Node::And(self.all_args(a, depth, scope)?),
            "or" => Node::Or(self.all_args(a, depth, scope)?),
            "!" | "!!" => {
                self.arity(op, a, 1, 1)?;
                let inner = Box::new(self.arg(a, 0, depth, scope)?);
                if op == "!" {
                    Node::Not(inner)
                } else {
                    Node::NotNot(inner)
                }
            }
            "==" | "===" | "!=" | "!==" => {
                self.arity(op, a, 2, 2)?;
                let eq = match op {
                    "==" => EqOp::Loose,
                    "===" => EqOp::Strict,
                    "!=" => EqOp::NotLoose,
                    _ => EqOp::NotStrict,
                };
                specialize_eq(eq, *self.two(a, depth, scope)?)
            }
            "<" | "<=" => {
                self.arity(op, a, 2, 3)?;
                let cmp = if op == "<" { CmpOp::Lt } else { CmpOp::Le };
                specialize_cmp(cmp, self.all_args(a, depth, scope)?)
            }
            ">" | ">=" => {
                self.arity(op, a, 2, 2)?;
                let cmp = if op == ">" { CmpOp::Gt } else { CmpOp::Ge };
                specialize_cmp(cmp, self.all_args(a, depth, scope)?)
            }
            "in" => {
                self.arity(op, a, 2, 2)?;
                let [needle, hay] = *self.two(a, depth, scope)?;
                match hay {
                    Node::Const(Value::Array(items)) => {
                        let set = Box::new(ConstSet::from_items(&items));
                        match attribute(&needle) {
                            Some(field) if !field.is_numeric() => Node::TextIn(field, set),
                            _ => Node::InSet(Box::new(needle), set),
                        }
                    }
                    hay => Node::In(Box::new([needle, hay])),
                }
            }
            "+" => Node::Arith(ArithOp::Add, self.all_args(a, depth, scope)?),
            "*" => {
                self.arity(op, a, 1, ANY)?;
                Node::Arith(ArithOp::Mul, self.all_args(a, depth, scope)?)
            }
            "-" => {
                self.arity(op, a, 1, 2)?;
                Node::Arith(ArithOp::Sub, self.all_args(a, depth, scope)?)
            }
            "/" | "%" => {
                self.arity(op, a, 2, 2)?;
                let ar = if op == "/" {
                    ArithOp::Div
                } else {
                    ArithOp::Mod
                };
                Node::Arith(ar, self.all_args(a, depth, scope)?)
            }
            "min" | "max" => Node::MinMax(op == "max", self.all_args(a, depth, scope)?),
            "cat" => Node::Cat(self.all_args(a, depth, scope)?),
            "substr" => {
                self.arity(op, a, 2, 3)?;
                Node::Substr(self.all_args(a, depth, scope)?)
            }
            "merge" => Node::Merge(self.all_args(a, depth, scope)?),
            "log" => {
                self.arity(op, a, 1, 1)?;
                Node::Log(Box::new(self.arg(a, 0, depth, scope)?))
            }
            "all" | "some" | "none" | "map" | "filter" => {
                self.arity(op, a, 2, 2)?;
                let it = match op {
                    "all" => IterOp::All,
                    "some" => IterOp::Some,
                    "none" => IterOp::None,
                    "map" => IterOp::Map,
                    _ => IterOp::Filter,
                };
                let array = self.arg(a, 0, depth, scope)?;
                let body = self.arg(a, 1, depth, Scope::Item)?;
                Node::Iter(it, Box::new([array, body]))
            }
            "reduce" => {
                self.arity(op, a, 2, 3)?;
                let array = self.arg(a, 0, depth, scope)?;
                let body = self.arg(a, 1, depth, Scope::Reduce)?;
                let init = self.arg(a, 2, depth, scope)?;
                Node::Reduce(Box::new([array, body, init]))
            }
            "in_audience" => {
                self.arity(op, a, 1, 1)?;
                let id = self.const_str(a, 0, "an audience id")?;
                match (self.env.audience_index)(id) {
                    Some(index) => Node::InAudience(index),
                    None => return Err(self.error(format!("unknown audience {id:?}"))),
                }
            }
            "history_count" => {
                self.arity(op, a, 3, 3)?;
                let scope_name =
                    self.const_str(a, 0, "\"offer\", \"campaign\" or \"advertiser\"")?;
                let Some(scope) = CapScope::from_name(scope_name) else {
                    return Err(self.error(format!(
                        "history scope must be \"offer\", \"campaign\" or \"advertiser\", got {scope_name:?}"
                    )));
                };
                let id = self.const_str(a, 1, "an id")?;
                if id.is_empty() || id.len() > MAX_ID_LEN {
                    return Err(self.error(format!("history id must be 1–{MAX_ID_LEN} bytes")));
                }
                let window_name = self.const_str(a, 2, "a window")?;
                let Some(window) = CapWindow::from_name(window_name) else {
                    return Err(self.error(format!(
                        "history window must be session, hour, day, week, month or lifetime, got {window_name:?}"
                    )));
                };
                Node::HistoryCount {
                    scope,
                    id: id.into(),
                    window,
                }
            }
            "local_hour" | "local_weekday" => {
                // `{"local_hour": []}`; the sugar form `{"local_hour": null}` is refused too.
                if !matches!(arg, Value::Array(items) if items.is_empty()) {
                    return Err(self.error(format!(
                        "\"{op}\" takes no arguments: write {{\"{op}\": []}}"
                    )));
                }
                if op == "local_hour" {
                    Node::LocalHour
                } else {
                    Node::LocalWeekday
                }
            }
            other => return Err(self.error(format!("unknown operator {other:?}"))),
        })
    }

    /// Argument `i`, which must be a literal string.
    fn const_str<'v>(&mut self, args: &[&'v Value], i: usize, what: &str) -> Result<&'v str> {
        match args.get(i) {
            Some(Value::String(s)) => Ok(s),
            _ => {
                self.path.push(i.to_string());
                let err = self.error(format!("must be a literal string ({what})"));
                self.path.pop();
                Err(err)
            }
        }
    }

    fn var(&mut self, a: &[&Value], depth: usize, scope: Scope) -> Result<Node> {
        let default = match a.get(1) {
            Some(_) => Some(Box::new(self.arg(a, 1, depth, scope)?)),
            None => None,
        };
        let Some(first) = a.first() else {
            return Ok(Node::Var {
                path: VarPath::Whole,
                default,
            });
        };
        let key = match self.arg(a, 0, depth, scope)? {
            Node::Lit(Lit::Null) => String::new(),
            Node::Lit(Lit::Str(s)) => s.into(),
            Node::Lit(Lit::Num(n)) => number_to_string(n),
            Node::Lit(Lit::Bool(b)) => b.to_string(),
            Node::Const(_) => {
                self.path.push("0".into());
                let err = self.error(format!(
                    "a var path must be a string or number, got {first}"
                ));
                self.path.pop();
                return Err(err);
            }
            dynamic => {
                return Ok(Node::DynVar {
                    path: Box::new(dynamic),
                    default,
                })
            }
        };
        self.path.push("0".into());
        let path = self.static_path(&key, scope);
        self.path.pop();
        Ok(Node::Var {
            path: path?,
            default,
        })
    }

    fn static_path(&self, key: &str, scope: Scope) -> Result<VarPath> {
        if key.is_empty() {
            return Ok(VarPath::Whole);
        }
        let mut segs = key.split('.');
        let first = segs.next().unwrap_or_default();
        let rest = || -> Box<[Box<str>]> { key.split('.').skip(1).map(Box::from).collect() };
        Ok(match scope {
            Scope::Item => VarPath::Path(key.split('.').map(Box::from).collect()),
            Scope::Reduce => match first {
                "current" => VarPath::Current(rest()),
                "accumulator" => VarPath::Accumulator(rest()),
                _ => VarPath::Undefined,
            },
            Scope::Root if self.env.data == DataModel::Json => {
                VarPath::Path(key.split('.').map(Box::from).collect())
            }
            Scope::Root => {
                if first == "custom" {
                    VarPath::Custom(rest())
                } else if let Some(field) = Field::from_name(first) {
                    if segs.next().is_some() {
                        return Err(self.error(format!(
                            "context attribute {first:?} has no fields (in {key:?})"
                        )));
                    }
                    VarPath::Field(field)
                } else {
                    return Err(self.error(format!(
                        "unknown context attribute {first:?} (partner-specific attributes are read as \"custom.{first}\")"
                    )));
                }
            }
        })
    }
}
