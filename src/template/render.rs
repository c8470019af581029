//! Rendering a compiled node tree against template data.
//!
//! Infallible: a missing name renders as empty (or its default), a map or
//! list as empty. The context stack holds borrowed [`Datum`]s; the only
//! allocation besides the output is one scratch buffer for number formatting.

use super::data::{Data, Datum};
use super::parse::{Name, Node};
use std::fmt::Write as _;

/// Render `nodes` (whose text lives in `source`) with `data` as the root
/// context, into a buffer pre-sized to `capacity`.
pub(crate) fn render(source: &str, nodes: &[Node], data: &dyn Data, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut scratch = String::new();
    let mut stack: Vec<Datum<'_>> = Vec::with_capacity(8);
    stack.push(Datum::Map(data));
    render_nodes(source, nodes, &mut stack, &mut out, &mut scratch);
    out
}

fn render_nodes<'v>(
    source: &str,
    nodes: &[Node],
    stack: &mut Vec<Datum<'v>>,
    out: &mut String,
    scratch: &mut String,
) {
    for node in nodes {
        match node {
            Node::Text { start, end } => out.push_str(source.get(*start..*end).unwrap_or("")),
            Node::Var {
                name,
                default,
                escape,
                ..
            } => {
                let value = lookup(stack, name);
                let text = scalar_text(value, scratch);
                match (text, default) {
                    (Some(t), _) if !t.is_empty() => escape.write(out, t),
                    (_, Some(d)) if is_missing(value) => escape.write(out, d),
                    (Some(t), _) => escape.write(out, t),
                    (None, _) => {}
                }
            }
            Node::Section {
                name,
                inverted,
                body,
                ..
            } => {
                let value = lookup(stack, name);
                if *inverted {
                    if !is_truthy(value) {
                        render_nodes(source, body, stack, out, scratch);
                    }
                    continue;
                }
                match value {
                    Some(Datum::List(items)) => {
                        for item in (0..items.len()).filter_map(|i| items.item(i)) {
                            stack.push(item);
                            render_nodes(source, body, stack, out, scratch);
                            stack.pop();
                        }
                    }
                    Some(v) if is_truthy(Some(v)) => {
                        stack.push(v);
                        render_nodes(source, body, stack, out, scratch);
                        stack.pop();
                    }
                    _ => {}
                }
            }
        }
    }
}

/// `key` inside `value`, when it is a map.
fn member<'v>(value: Datum<'v>, key: &str) -> Option<Datum<'v>> {
    match value {
        Datum::Map(map) => map.get(key),
        _ => None,
    }
}

/// Resolve a name per the Mustache spec: the first part of a dotted name is
/// searched from the top of the context stack down; the remaining parts are
/// looked up only inside what the first part found (a broken chain is a
/// miss, not a fallback to outer contexts).
fn lookup<'v>(stack: &[Datum<'v>], name: &Name) -> Option<Datum<'v>> {
    match name {
        Name::Dot => stack.last().copied(),
        Name::Path(parts) => {
            let (first, rest) = parts.split_first()?;
            let mut found = stack.iter().rev().find_map(|ctx| member(*ctx, first))?;
            for part in rest {
                found = member(found, part)?;
            }
            Some(found)
        }
        Name::Local(parts) => {
            let mut found = *stack.last()?;
            for part in parts.iter() {
                found = member(found, part)?;
            }
            Some(found)
        }
    }
}

/// Missing, null or empty string: what a `|default` replaces.
fn is_missing(value: Option<Datum<'_>>) -> bool {
    match value {
        None | Some(Datum::Null) => true,
        Some(Datum::Text(s)) => s.is_empty(),
        _ => false,
    }
}

/// Section truthiness, as in JavaScript Mustache: false, null, missing, empty
/// string, 0 and the empty list are falsey; everything else is truthy.
fn is_truthy(value: Option<Datum<'_>>) -> bool {
    match value {
        None | Some(Datum::Null) | Some(Datum::Bool(false)) => false,
        Some(Datum::Text(s)) => !s.is_empty(),
        Some(Datum::Number(n)) => n != 0.0 && !n.is_nan(),
        Some(Datum::Int(n)) => n != 0,
        Some(Datum::Uint(n)) => n != 0,
        Some(Datum::List(items)) => !items.is_empty(),
        Some(Datum::Bool(true) | Datum::Map(_)) => true,
    }
}

/// The text of a scalar value; `None` for missing, null, maps and lists.
/// Numbers print as JavaScript would for everyday values (`50.0` → `50`,
/// `49.5` → `49.5`); JSON integers print exactly.
fn scalar_text<'a>(value: Option<Datum<'a>>, scratch: &'a mut String) -> Option<&'a str> {
    match value? {
        Datum::Text(s) => Some(s),
        Datum::Bool(true) => Some("true"),
        Datum::Bool(false) => Some("false"),
        Datum::Number(n) => {
            scratch.clear();
            write_js_number(scratch, n);
            Some(scratch.as_str())
        }
        Datum::Int(i) => {
            scratch.clear();
            let _ = write!(scratch, "{i}");
            Some(scratch.as_str())
        }
        Datum::Uint(u) => {
            scratch.clear();
            let _ = write!(scratch, "{u}");
            Some(scratch.as_str())
        }
        Datum::Null | Datum::Map(_) | Datum::List(_) => None,
    }
}

/// Format a float like JavaScript's `Number.prototype.toString` for values a
/// template meets (prices, counts): integral values without a fraction,
/// others with the shortest round-tripping digits.
fn write_js_number(out: &mut String, f: f64) {
    if f == 0.0 {
        // JavaScript prints -0 as "0".
        out.push('0');
    } else if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
        let _ = write!(out, "{f:.0}");
    } else {
        let _ = write!(out, "{f}");
    }
}

#[cfg(test)]
mod tests {
    use super::super::data::json_datum;
    use super::*;
    use serde_json::{json, Value};

    fn num(v: Value) -> String {
        let mut s = String::new();
        scalar_text(Some(json_datum(&v)), &mut s)
            .unwrap_or("")
            .to_owned()
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(num(json!(49.5)), "49.5");
        assert_eq!(num(json!(50.0)), "50");
        assert_eq!(num(json!(-3)), "-3");
        assert_eq!(num(json!(1.21)), "1.21");
        assert_eq!(num(json!(0.1)), "0.1");
        assert_eq!(num(json!(u64::MAX)), "18446744073709551615");
    }
}
