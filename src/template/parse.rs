//! Mustache tokenizer → tree.
//!
//! Supports the subset of the Mustache spec we allow: variables (with dotted
//! names, the implicit iterator `.` and our `|default` form), sections,
//! inverted sections and comments, with the spec's standalone-line rules.
//! Unescaped output (`{{{x}}}`, `{{&x}}`), partials and set-delimiter tags are
//! refused here, so no later stage ever sees them.

use super::escape::Escape;
use super::invalid;
use crate::limits::{MAX_TEMPLATE_LEN, MAX_TEMPLATE_SECTION_DEPTH};
use crate::Result;

/// A name as written in a tag: `.` or a dotted path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Name {
    /// `{{.}}`: the top of the context stack.
    Dot,
    /// `a.b.c`: first part looked up the context stack, the rest inside it.
    Path(Box<[Box<str>]>),
    /// `.a.b`: a leading dot resolves the first part in the top context only.
    Local(Box<[Box<str>]>),
}

/// One compiled node. Text is kept as a byte range into the template source
/// so rendering copies slices and allocates nothing per node.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Literal template text `source[start..end]`.
    Text { start: usize, end: usize },
    /// `{{name}}` or `{{name|default}}`.
    Var {
        name: Name,
        default: Option<Box<str>>,
        escape: Escape,
        /// Byte offset of the tag in the source (for error positions).
        pos: usize,
        /// Longest value text printed here, in bytes; longer values are cut
        /// (`usize::MAX` unless the template was compiled with a shape).
        max_len: usize,
    },
    /// `{{#name}}…{{/name}}` or, when `inverted`, `{{^name}}…{{/name}}`.
    Section {
        name: Name,
        inverted: bool,
        body: Vec<Node>,
        pos: usize,
        /// Most times the body renders (items of a list; 1 for any other
        /// truthy value; 0 never): enforces the compile-time bound.
        max_items: usize,
    },
}

/// An open section while its body is being collected.
struct Open {
    name: Name,
    raw: String,
    inverted: bool,
    pos: usize,
    nodes: Vec<Node>,
}

/// What a tag is, after its sigil has been read.
enum Tag {
    Var {
        name: Name,
        default: Option<Box<str>>,
    },
    Open {
        name: Name,
        raw: String,
        inverted: bool,
    },
    Close {
        raw: String,
    },
    Comment,
}

impl Tag {
    /// Section and comment tags may stand alone on a line; the spec then
    /// removes the whole line from the output.
    fn standalone_capable(&self) -> bool {
        !matches!(self, Tag::Var { .. })
    }
}

/// Parse `source` into a node tree.
///
/// # Errors
/// `TEMPLATE_INVALID` naming `template` and the line:column of the offending
/// tag for every refused or malformed construct.
pub(crate) fn parse(template: &str, source: &str) -> Result<Vec<Node>> {
    if source.len() > MAX_TEMPLATE_LEN {
        return Err(invalid(
            template,
            source,
            0,
            &format!(
                "template is {} bytes, over the limit of {MAX_TEMPLATE_LEN}",
                source.len()
            ),
        ));
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut cursor = 0usize;
    while let Some(rel) = source.get(cursor..).and_then(|rest| rest.find("{{")) {
        let tag_start = cursor + rel;
        let after_open = tag_start + 2;
        if source.get(after_open..).is_some_and(|r| r.starts_with('{')) {
            return Err(invalid(
                template,
                source,
                tag_start,
                "triple-brace {{{…}}} (unescaped output) is not supported; use {{name}}",
            ));
        }
        let Some(close_rel) = source.get(after_open..).and_then(|r| r.find("}}")) else {
            return Err(invalid(
                template,
                source,
                tag_start,
                "unclosed tag: missing }}",
            ));
        };
        let tag_end = after_open + close_rel + 2;
        let content = source.get(after_open..after_open + close_rel).unwrap_or("");
        let tag = classify(template, source, tag_start, content)?;

        // Standalone rule: a section/comment tag alone on its line (only
        // spaces or tabs around it) removes that whole line.
        let mut text_end = tag_start;
        let mut next = tag_end;
        if tag.standalone_capable() {
            if let Some((line_start, after_line)) = standalone(source, tag_start, tag_end) {
                text_end = line_start.max(cursor);
                next = after_line;
            }
        }
        if text_end > cursor {
            push_text(current(&mut stack, &mut nodes), cursor, text_end);
        }
        cursor = next;

        match tag {
            Tag::Comment => {}
            Tag::Var { name, default } => current(&mut stack, &mut nodes).push(Node::Var {
                name,
                default,
                escape: Escape::None,
                pos: tag_start,
                max_len: usize::MAX,
            }),
            Tag::Open {
                name,
                raw,
                inverted,
            } => {
                if stack.len() >= MAX_TEMPLATE_SECTION_DEPTH {
                    return Err(invalid(
                        template,
                        source,
                        tag_start,
                        &format!("sections nest deeper than {MAX_TEMPLATE_SECTION_DEPTH}"),
                    ));
                }
                stack.push(Open {
                    name,
                    raw,
                    inverted,
                    pos: tag_start,
                    nodes: Vec::new(),
                });
            }
            Tag::Close { raw } => {
                let Some(open) = stack.pop() else {
                    return Err(invalid(
                        template,
                        source,
                        tag_start,
                        &format!("closing tag {{{{/{raw}}}}} has no open section"),
                    ));
                };
                if open.raw != raw {
                    let (line, col) = super::line_col(source, open.pos);
                    return Err(invalid(
                        template,
                        source,
                        tag_start,
                        &format!(
                            "closing tag {{{{/{raw}}}}} does not match the section {{{{{}{}}}}} opened at {line}:{col}",
                            if open.inverted { '^' } else { '#' },
                            open.raw
                        ),
                    ));
                }
                current(&mut stack, &mut nodes).push(Node::Section {
                    name: open.name,
                    inverted: open.inverted,
                    body: open.nodes,
                    pos: open.pos,
                    max_items: usize::MAX,
                });
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(invalid(
            template,
            source,
            open.pos,
            &format!("section {{{{#{}}}}} is never closed", open.raw),
        ));
    }
    if cursor < source.len() {
        push_text(&mut nodes, cursor, source.len());
    }
    Ok(nodes)
}

/// The node list new nodes go to: the innermost open section, or the root.
fn current<'a>(stack: &'a mut [Open], root: &'a mut Vec<Node>) -> &'a mut Vec<Node> {
    match stack.last_mut() {
        Some(open) => &mut open.nodes,
        None => root,
    }
}

/// Append literal text, merging with a directly preceding text node (the
/// standalone rule and comments can leave adjacent ranges).
fn push_text(nodes: &mut Vec<Node>, start: usize, end: usize) {
    if let Some(Node::Text { end: prev_end, .. }) = nodes.last_mut() {
        if *prev_end == start {
            *prev_end = end;
            return;
        }
    }
    nodes.push(Node::Text { start, end });
}

/// If the tag at `start..end` is alone on its line, the byte range to drop:
/// from the line start (after any preceding newline) to just past the
/// line's newline (`\n` or `\r\n`) or the end of the source.
fn standalone(source: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let before = source.get(..start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let lead = source.get(line_start..start)?;
    if !lead.bytes().all(|b| b == b' ' || b == b'\t') {
        return None;
    }
    let rest = source.get(end..)?;
    let ws = rest
        .bytes()
        .take_while(|&b| b == b' ' || b == b'\t')
        .count();
    let tail = rest.get(ws..)?;
    if tail.is_empty() {
        Some((line_start, source.len()))
    } else if tail.starts_with("\r\n") {
        Some((line_start, end + ws + 2))
    } else if tail.starts_with('\n') {
        Some((line_start, end + ws + 1))
    } else {
        None
    }
}

/// Read a tag's content (between `{{` and `}}`).
fn classify(template: &str, source: &str, pos: usize, content: &str) -> Result<Tag> {
    let trimmed = content.trim();
    let fail = |msg: &str| invalid(template, source, pos, msg);
    let err = |msg: &str| Err(fail(msg));
    let mut chars = trimmed.chars();
    match chars.next() {
        Some('!') => Ok(Tag::Comment),
        Some('&') => err("{{&…}} (unescaped output) is not supported; use {{name}}"),
        Some('>') => err("partials {{>…}} are not supported"),
        Some('<') => err("parent tags {{<…}} are not supported"),
        Some('$') => err("block tags {{$…}} are not supported"),
        Some('=') => err("set-delimiter tags {{=…=}} are not supported"),
        Some(sigil @ ('#' | '^' | '/')) => {
            let raw = chars.as_str().trim();
            if raw.contains('|') {
                return err("a section name cannot have a |default");
            }
            let name =
                parse_name(raw).ok_or_else(|| fail(&format!("invalid section name {raw:?}")))?;
            Ok(match sigil {
                '/' => Tag::Close {
                    raw: raw.to_owned(),
                },
                _ => Tag::Open {
                    name,
                    raw: raw.to_owned(),
                    inverted: sigil == '^',
                },
            })
        }
        _ => {
            let (raw, default) = match trimmed.split_once('|') {
                Some((n, d)) => (n.trim(), Some(d.trim())),
                None => (trimmed, None),
            };
            let name =
                parse_name(raw).ok_or_else(|| fail(&format!("invalid variable name {raw:?}")))?;
            Ok(Tag::Var {
                name,
                default: default.map(Box::from),
            })
        }
    }
}

/// `.` or a dotted path of non-empty parts without whitespace or tag syntax.
fn parse_name(raw: &str) -> Option<Name> {
    if raw == "." {
        return Some(Name::Dot);
    }
    let (local, raw) = match raw.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let parts: Vec<Box<str>> = raw
        .split('.')
        .map(|p| {
            let ok = !p.is_empty()
                && p.chars().all(|c| {
                    !c.is_whitespace()
                        && !c.is_control()
                        && !matches!(
                            c,
                            '{' | '}' | '|' | '<' | '>' | '"' | '\'' | '=' | '&' | '`'
                        )
                });
            ok.then(|| Box::from(p))
        })
        .collect::<Option<_>>()?;
    let parts = parts.into_boxed_slice();
    Some(if local {
        Name::Local(parts)
    } else {
        Name::Path(parts)
    })
}
