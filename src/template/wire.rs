//! Compiled-form codec of templates ([`crate::wire`]): a [`TextTemplate`] or
//! [`HtmlTemplate`] is written as its parsed tree with the escapes the HTML
//! context walker chose, so a page loads it without the Mustache parser or
//! the HTML tokenizer.
//!
//! | value | bytes |
//! |---|---|
//! | template | source, whether it was compiled with a shape, nodes |
//! | node list | count, then each node |
//! | `Text` | tag 0, start, end (byte offsets into the source) |
//! | `Var` | tag 1, name, default, escape, tag offset, value clamp |
//! | `Section` | tag 2, name, inverted, tag offset, item clamp, body (a node list) |
//! | `Name` | tag: `.` 0, path 1, local path 2; then the parts |
//! | `Escape` | one byte |
//! | clamp | `Option<u64>`: `None` for unclamped (`usize::MAX`, whose value differs between the signing tool and a wasm32 page) |
//!
//! The capacity hint and the worst-case size are re-derived from the nodes
//! (the size is checked against the render limits as `compile_bounded`
//! does). Checked on read: text ranges and tag offsets inside the source
//! and on character boundaries (a tag offset points at `{{`), the source
//! within [`MAX_TEMPLATE_LEN`], sections nested at most
//! [`MAX_TEMPLATE_SECTION_DEPTH`] deep, names with non-empty parts, every
//! slot of an HTML template escaped and no slot of a text template escaped,
//! and clamps only in templates compiled with a shape.

use super::bound;
use super::escape::Escape;
use super::parse::{Name, Node};
use super::{capacity_hint, Compiled, HtmlTemplate, TextTemplate};
use crate::error::Result;
use crate::limits::{MAX_TEMPLATE_LEN, MAX_TEMPLATE_SECTION_DEPTH};
use crate::wire::{wire_enum, Reader, Wire, Writer};

wire_enum!(Escape {
    None = 0,
    Html = 1,
    UrlStart = 2,
    UrlPath = 3,
    UrlQuery = 4,
});

impl Wire for Name {
    fn put(&self, w: &mut Writer) {
        match self {
            Name::Dot => w.byte(0),
            Name::Path(parts) => {
                w.byte(1);
                parts.put(w);
            }
            Name::Local(parts) => {
                w.byte(2);
                parts.put(w);
            }
        }
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        let tag = r.byte()?;
        if tag == 0 {
            return Ok(Name::Dot);
        }
        let parts: Box<[Box<str>]> = Wire::take(r)?;
        if parts.is_empty() || parts.iter().any(|p| p.is_empty()) {
            return Err(r.malformed("empty template name part"));
        }
        match tag {
            1 => Ok(Name::Path(parts)),
            2 => Ok(Name::Local(parts)),
            _ => Err(r.malformed("unknown template name tag")),
        }
    }
}

/// What every node of one template is checked against.
struct Checks<'s> {
    source: &'s str,
    /// An HTML template (every slot escaped) or a text one (none is).
    html: bool,
    /// Compiled with a shape (clamps allowed).
    bounded: bool,
}

impl Checks<'_> {
    /// A tag offset: where the parser saw `{{`.
    fn pos(&self, r: &mut Reader<'_>) -> Result<usize> {
        let pos = usize::take(r)?;
        if self.source.get(pos..).is_some_and(|s| s.starts_with("{{")) {
            Ok(pos)
        } else {
            Err(r.malformed("template tag offset"))
        }
    }

    /// A clamp (`usize::MAX`: none).
    fn clamp(&self, r: &mut Reader<'_>) -> Result<usize> {
        match <Option<u64> as Wire>::take(r)? {
            None => Ok(usize::MAX),
            Some(n) if self.bounded => usize::try_from(n)
                .ok()
                .filter(|&n| n != usize::MAX)
                .ok_or_else(|| r.malformed("template clamp too large")),
            Some(_) => Err(r.malformed("clamp in a template compiled without a shape")),
        }
    }

    fn escape(&self, r: &mut Reader<'_>) -> Result<Escape> {
        let escape = Escape::take(r)?;
        if (escape == Escape::None) == self.html {
            return Err(r.malformed("template slot escape does not fit the template kind"));
        }
        Ok(escape)
    }
}

fn put_clamp(w: &mut Writer, n: usize) {
    let clamp = (n != usize::MAX).then_some(n as u64);
    clamp.put(w);
}

fn put_nodes(w: &mut Writer, nodes: &[Node]) {
    w.len(nodes.len());
    for node in nodes {
        match node {
            Node::Text { start, end } => {
                w.byte(0);
                start.put(w);
                end.put(w);
            }
            Node::Var {
                name,
                default,
                escape,
                pos,
                max_len,
            } => {
                w.byte(1);
                name.put(w);
                default.put(w);
                escape.put(w);
                pos.put(w);
                put_clamp(w, *max_len);
            }
            Node::Section {
                name,
                inverted,
                body,
                pos,
                max_items,
            } => {
                w.byte(2);
                name.put(w);
                inverted.put(w);
                pos.put(w);
                put_clamp(w, *max_items);
                put_nodes(w, body);
            }
        }
    }
}

/// A node list inside `depth` sections.
fn take_nodes(r: &mut Reader<'_>, t: &Checks<'_>, depth: usize) -> Result<Vec<Node>> {
    let n = r.len()?;
    let mut nodes = r.vec_for(n);
    for _ in 0..n {
        nodes.push(match r.byte()? {
            0 => {
                let (start, end) = (usize::take(r)?, usize::take(r)?);
                // The renderer slices the source here (`get`, so a bad range
                // would print nothing rather than panic): the parser only
                // makes non-empty ranges between characters.
                if start >= end || t.source.get(start..end).is_none() {
                    return Err(r.malformed("template text range"));
                }
                Node::Text { start, end }
            }
            1 => Node::Var {
                name: Name::take(r)?,
                default: Wire::take(r)?,
                escape: t.escape(r)?,
                pos: t.pos(r)?,
                max_len: t.clamp(r)?,
            },
            2 => {
                if depth >= MAX_TEMPLATE_SECTION_DEPTH {
                    return Err(r.malformed("template sections nested too deep"));
                }
                Node::Section {
                    name: Name::take(r)?,
                    inverted: bool::take(r)?,
                    pos: t.pos(r)?,
                    max_items: t.clamp(r)?,
                    body: r.nested(|r| take_nodes(r, t, depth + 1))?,
                }
            }
            _ => return Err(r.malformed("unknown template node tag")),
        });
    }
    Ok(nodes)
}

impl Compiled {
    fn put(&self, w: &mut Writer) {
        self.source.put(w);
        self.max_len.is_some().put(w);
        put_nodes(w, &self.nodes);
    }

    fn take(r: &mut Reader<'_>, html: bool) -> Result<Self> {
        let source: Box<str> = Wire::take(r)?;
        if source.len() > MAX_TEMPLATE_LEN {
            return Err(r.malformed("template source over the size limit"));
        }
        let bounded = bool::take(r)?;
        let checks = Checks {
            source: &source,
            html,
            bounded,
        };
        let nodes = take_nodes(r, &checks, 0)?;
        // Re-derived as `Compiled::new` derives them: the worst case is a
        // cheap walk of the clamped tree, and checking it here refuses a
        // form whose clamps would let a render pass the limits.
        let max_len = if bounded {
            // The name only speaks in the error, which becomes `malformed`.
            let len = bound::check("compiled form", &source, &nodes)
                .map_err(|_| r.malformed("template over the render limits"))?;
            Some(len)
        } else {
            None
        };
        let capacity = capacity_hint(&nodes).min(max_len.unwrap_or(usize::MAX));
        Ok(Compiled {
            source,
            nodes,
            capacity,
            max_len,
        })
    }
}

impl Wire for TextTemplate {
    fn put(&self, w: &mut Writer) {
        self.inner.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Compiled::take(r, false).map(|inner| Self { inner })
    }
}

impl Wire for HtmlTemplate {
    fn put(&self, w: &mut Writer) {
        self.inner.put(w);
    }
    fn take(r: &mut Reader<'_>) -> Result<Self> {
        Compiled::take(r, true).map(|inner| Self { inner })
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
