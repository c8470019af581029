//! Rendering a compiled node tree against template data.
//!
//! Infallible: a missing name renders as empty (or its default), a map or
//! list as empty. The context stack holds borrowed [`Datum`]s; the only
//! allocation besides the output is one scratch buffer for number formatting.

use super::data::{Data, Datum};
use super::parse::{Name, Node};
use crate::limits::MAX_TEMPLATE_LEN;
use std::fmt::Write as _;

/// Render `nodes` (whose text lives in `source`) with `data` as the root
/// context, into a buffer pre-sized to `capacity` (a hint: never more than
/// [`MAX_TEMPLATE_LEN`] is reserved up front, whatever the caller computed).
pub(crate) fn render(source: &str, nodes: &[Node], data: &dyn Data, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity.min(MAX_TEMPLATE_LEN));
    let mut scratch = String::new();
    let mut stack: Vec<Datum<'_>> = Vec::with_capacity(8);
    // A non-map root (a string, a number, a list) is the implicit iterator's
    // value at the top level, as the Mustache spec says.
    stack.push(data.root().unwrap_or(Datum::Map(data)));
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
                max_len,
                ..
            } => {
                let value = lookup(stack, name);
                let text = scalar_text(value, scratch).map(|t| clamp(t, *max_len));
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
                max_items,
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
                        let shown = items.len().min(*max_items);
                        for item in (0..shown).filter_map(|i| items.item(i)) {
                            stack.push(item);
                            render_nodes(source, body, stack, out, scratch);
                            stack.pop();
                        }
                    }
                    Some(v) if *max_items > 0 && is_truthy(Some(v)) => {
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

/// `text` cut to at most `max` bytes, at a character boundary.
fn clamp(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
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
    fn a_huge_capacity_hint_is_clamped() {
        // `String::with_capacity(usize::MAX)` aborts (a trap in WebAssembly).
        let out = render("", &[], &json!({}), usize::MAX);
        assert!(out.is_empty() && out.capacity() <= MAX_TEMPLATE_LEN);
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
