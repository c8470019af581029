//! The worst case of a render, computed at compile time.
//!
//! A template compiled with a [`Shape`] (what its data looks like: which
//! names exist, how long each value can be, how many items each list can
//! hold) gets two numbers: the most bytes it can print and the most nodes it
//! can visit. Both multiply through list sections, so one template can ask
//! for `10^depth` times its body: a template over [`MAX_RENDERED_BYTES`] or
//! [`MAX_RENDER_STEPS`] is refused with the position where the worst case
//! passes the limit.
//!
//! The bound holds for any data, not only data of the declared shape: every
//! name is resolved against the shape once, and the result is stored in the
//! node as a clamp the renderer enforces (a value is cut to `max_len` bytes,
//! a section renders its body at most `max_items` times). A name the shape
//! does not have renders as missing (its default, or nothing).

use super::invalid;
use super::parse::{Name, Node};
use crate::limits::{MAX_RENDERED_BYTES, MAX_RENDER_STEPS};
use crate::Result;

/// What a template's data looks like, with size bounds, for
/// [`HtmlTemplate::compile_bounded`](super::HtmlTemplate::compile_bounded)
/// and [`TextTemplate::compile_bounded`](super::TextTemplate::compile_bounded).
///
/// ```
/// use offer_edge::template::Shape;
/// let offer = Shape::map([("headline", Shape::Scalar(120))]);
/// let layout = Shape::map([("offers", Shape::list(3, offer))]);
/// # let _ = layout;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A text, number or boolean printing at most this many bytes (before
    /// escaping). Longer values are cut when rendered.
    Scalar(usize),
    /// These names, each with its shape; any other name is missing.
    Map(Vec<(String, Shape)>),
    /// A list of at most `max` items (more are not rendered), each `item`.
    List {
        /// Most items a section renders.
        max: usize,
        /// The shape of every item.
        item: Box<Shape>,
    },
}

impl Shape {
    /// A map from `(name, shape)` pairs.
    pub fn map<N: Into<String>>(entries: impl IntoIterator<Item = (N, Shape)>) -> Self {
        Shape::Map(entries.into_iter().map(|(n, s)| (n.into(), s)).collect())
    }

    /// A list of at most `max` items of shape `item`.
    pub fn list(max: usize, item: Shape) -> Self {
        Shape::List {
            max,
            item: Box::new(item),
        }
    }

    fn member(&self, key: &str) -> Option<&Shape> {
        match self {
            Shape::Map(entries) => entries.iter().find(|(n, _)| n == key).map(|(_, s)| s),
            _ => None,
        }
    }
}

/// Store in every node the clamp its resolved shape implies.
pub(crate) fn apply_shape(nodes: &mut [Node], root: &Shape) {
    let mut stack = vec![root];
    apply(nodes, &mut stack);
}

fn apply(nodes: &mut [Node], stack: &mut Vec<&Shape>) {
    for node in nodes {
        match node {
            Node::Text { .. } => {}
            Node::Var { name, max_len, .. } => {
                *max_len = match resolve(stack, name) {
                    Some(Shape::Scalar(n)) => *n,
                    // Maps and lists print nothing; a missing name prints
                    // its default only.
                    _ => 0,
                };
            }
            Node::Section {
                name,
                inverted,
                body,
                max_items,
                ..
            } => {
                if *inverted {
                    // Renders at most once, with nothing pushed.
                    *max_items = 1;
                    apply(body, stack);
                    continue;
                }
                let (items, pushed) = match resolve(stack, name) {
                    Some(Shape::List { max, item }) => (*max, Some(&**item)),
                    Some(other) => (1, Some(other)),
                    None => (0, None),
                };
                *max_items = items;
                // A body that never renders still gets clamps (of its
                // outer context), so no node is left unbounded.
                let pushed_one = pushed.map(|s| stack.push(s)).is_some();
                apply(body, stack);
                if pushed_one {
                    stack.pop();
                }
            }
        }
    }
}

/// The shape a name resolves to, exactly as the renderer's lookup does.
fn resolve<'s>(stack: &[&'s Shape], name: &Name) -> Option<&'s Shape> {
    match name {
        Name::Dot => stack.last().copied(),
        Name::Path(parts) => {
            let (first, rest) = parts.split_first()?;
            let mut found = stack.iter().rev().find_map(|s| s.member(first))?;
            for part in rest {
                found = found.member(part)?;
            }
            Some(found)
        }
        Name::Local(parts) => {
            let mut found = *stack.last()?;
            for part in parts.iter() {
                found = found.member(part)?;
            }
            Some(found)
        }
    }
}

/// Worst-case output bytes and visited nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    pub bytes: usize,
    pub steps: usize,
}

impl Cost {
    fn add(self, other: Cost) -> Cost {
        Cost {
            bytes: self.bytes.saturating_add(other.bytes),
            steps: self.steps.saturating_add(other.steps),
        }
    }

    fn times(self, n: usize) -> Cost {
        Cost {
            bytes: self.bytes.saturating_mul(n),
            steps: self.steps.saturating_mul(n),
        }
    }
}

/// The worst case of one visit of `node` (sections: all their items).
fn node_cost(node: &Node) -> Cost {
    match node {
        Node::Text { start, end } => Cost {
            bytes: end.saturating_sub(*start),
            steps: 1,
        },
        Node::Var {
            default,
            escape,
            max_len,
            ..
        } => {
            // The default is literal: measure it exactly.
            let default_len = default.as_deref().map_or(0, |d| {
                let mut out = String::new();
                escape.write(&mut out, d);
                out.len()
            });
            Cost {
                bytes: escape.max_output(*max_len).max(default_len),
                steps: 1,
            }
        }
        Node::Section {
            body, max_items, ..
        } => Cost { bytes: 0, steps: 1 }.add(cost(body).times(*max_items)),
    }
}

/// The worst case of rendering `nodes` once.
pub(crate) fn cost(nodes: &[Node]) -> Cost {
    nodes.iter().map(node_cost).fold(Cost::default(), Cost::add)
}

/// Refuse `nodes` (already clamped by [`apply_shape`]) when their worst case
/// passes a limit; otherwise return the worst-case output size.
///
/// # Errors
/// `TEMPLATE_INVALID` naming `template` and the line:column where the worst
/// case passes [`MAX_RENDERED_BYTES`] or [`MAX_RENDER_STEPS`].
pub(crate) fn check(template: &str, source: &str, nodes: &[Node]) -> Result<usize> {
    let total = cost(nodes);
    let (metric, limit, message): (Metric, usize, String) = if total.bytes > MAX_RENDERED_BYTES {
        (
            |c| c.bytes,
            MAX_RENDERED_BYTES,
            format!(
                "in the worst case (every list at its longest, every value at its longest) \
                 this template renders {} bytes, over the limit of {MAX_RENDERED_BYTES}; \
                 the limit is passed here",
                total.bytes
            ),
        )
    } else if total.steps > MAX_RENDER_STEPS {
        (
            |c| c.steps,
            MAX_RENDER_STEPS,
            format!(
                "in the worst case (every list at its longest) this template visits {} \
                 texts, values and sections, over the limit of {MAX_RENDER_STEPS}; \
                 the limit is passed here",
                total.steps
            ),
        )
    } else {
        return Ok(total.bytes);
    };
    let mut acc = 0;
    let pos = locate(nodes, metric, limit, 1, &mut acc).unwrap_or(0);
    Err(invalid(template, source, pos, &message))
}

/// One of the two measures of a [`Cost`].
type Metric = fn(Cost) -> usize;

/// Byte offset of the node where the running worst case (each node counted
/// `mult` times) passes `limit`.
fn locate(
    nodes: &[Node],
    metric: Metric,
    limit: usize,
    mult: usize,
    acc: &mut usize,
) -> Option<usize> {
    for node in nodes {
        let here = metric(node_cost(node)).saturating_mul(mult);
        if acc.saturating_add(here) <= limit {
            *acc = acc.saturating_add(here);
            continue;
        }
        return Some(match node {
            Node::Text { start, .. } => *start,
            Node::Var { pos, .. } => *pos,
            Node::Section {
                body,
                max_items,
                pos,
                ..
            } => {
                *acc = acc.saturating_add(metric(Cost { bytes: 0, steps: 1 }).saturating_mul(mult));
                locate(body, metric, limit, mult.saturating_mul(*max_items), acc).unwrap_or(*pos)
            }
        });
    }
    None
}
