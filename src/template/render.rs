//! Rendering a compiled node tree against JSON data.
//!
//! Infallible: a missing name renders as empty (or its default), a
//! non-scalar as empty. The context stack holds borrowed values; the only
//! allocation besides the output is one scratch buffer for number formatting.

use super::parse::{Name, Node};
use serde_json::Value;
use std::fmt::Write as _;

/// Render `nodes` (whose text lives in `source`) with `data` as the root
/// context, into a buffer pre-sized to `capacity`.
pub(crate) fn render(source: &str, nodes: &[Node], data: &Value, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut scratch = String::new();
    let mut stack: Vec<&Value> = Vec::with_capacity(8);
    stack.push(data);
    render_nodes(source, nodes, &mut stack, &mut out, &mut scratch);
    out
}

fn render_nodes(
    source: &str,
    nodes: &[Node],
    stack: &mut Vec<&Value>,
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
                    Some(Value::Array(items)) => {
                        for item in items {
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

/// Resolve a name per the Mustache spec: the first part of a dotted name is
/// searched from the top of the context stack down; the remaining parts are
/// looked up only inside what the first part found (a broken chain is a
/// miss, not a fallback to outer contexts).
fn lookup<'v>(stack: &[&'v Value], name: &Name) -> Option<&'v Value> {
    match name {
        Name::Dot => stack.last().copied(),
        Name::Path(parts) => {
            let (first, rest) = parts.split_first()?;
            let mut found = stack
                .iter()
                .rev()
                .find_map(|ctx| ctx.as_object().and_then(|o| o.get(&**first)))?;
            for part in rest {
                found = found.as_object()?.get(&**part)?;
            }
            Some(found)
        }
        Name::Local(parts) => {
            let mut found = *stack.last()?;
            for part in parts.iter() {
                found = found.as_object()?.get(&**part)?;
            }
            Some(found)
        }
    }
}

/// Missing, null or empty string: what a `|default` replaces.
fn is_missing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// Section truthiness, as in JavaScript Mustache: false, null, missing, empty
/// string, 0 and the empty list are falsey; everything else is truthy.
fn is_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// The text of a scalar value; `None` for missing, null, objects and arrays.
/// Numbers print as JavaScript would for everyday values (`50.0` → `50`,
/// `49.5` → `49.5`).
fn scalar_text<'a>(value: Option<&'a Value>, scratch: &'a mut String) -> Option<&'a str> {
    match value? {
        Value::String(s) => Some(s),
        Value::Bool(true) => Some("true"),
        Value::Bool(false) => Some("false"),
        Value::Number(n) => {
            scratch.clear();
            if let Some(i) = n.as_i64() {
                let _ = write!(scratch, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(scratch, "{u}");
            } else if let Some(f) = n.as_f64() {
                write_js_number(scratch, f);
            }
            Some(scratch.as_str())
        }
        Value::Null | Value::Array(_) | Value::Object(_) => None,
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
    use super::*;
    use serde_json::json;

    fn num(v: Value) -> String {
        let mut s = String::new();
        scalar_text(Some(&v), &mut s).unwrap_or("").to_owned()
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
