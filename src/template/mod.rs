//! Safe personalization templates: Mustache syntax, compiled once, rendered
//! many times.
//!
//! Two kinds, both compiled at bundle load:
//! - [`TextTemplate`]: output is plain text (creative fields, email subject
//!   and text body). Values are inserted as they are.
//! - [`HtmlTemplate`]: output is HTML (placement layouts, email HTML). Every
//!   `{{value}}` is escaped for the HTML context it lands in, decided at
//!   compile time by walking the template's literal text with a small HTML
//!   tokenizer (in the spirit of Go's html/template). Slots where no escaping
//!   is safe (script/style, event handlers, unquoted attributes, tag and
//!   attribute names, comments…) are refused with `TEMPLATE_INVALID`.
//!
//! Both render from [`Data`]: a borrowed view the caller implements over its
//! own types (the engine exposes the checkout context and its decided offers
//! without building a JSON tree); `serde_json::Value` implements it too.
//!
//! Neither kind has an unescaped-output form: `{{{x}}}` and `{{&x}}` are
//! refused, as are partials and set-delimiter tags. See `docs/TEMPLATES.md`.
//!
//! Compiled with a [`Shape`] (`compile_bounded`), a template also gets a
//! worst-case output size and is refused when that passes
//! [`crate::limits::MAX_RENDERED_BYTES`]: a bundle cannot make one decision
//! render megabytes (`bound.rs`).
//!
//! ```
//! use offer_edge::template::HtmlTemplate;
//! use serde_json::json;
//!
//! let t = HtmlTemplate::compile(
//!     "greeting",
//!     r#"<p title="{{firstname|there}}">{{firstname|there}}, here are some extra perks</p>"#,
//! )?;
//! assert_eq!(
//!     t.render(&json!({"firstname": "<Ada>"})),
//!     r#"<p title="&lt;Ada&gt;">&lt;Ada&gt;, here are some extra perks</p>"#
//! );
//! assert_eq!(
//!     t.render(&json!({})),
//!     r#"<p title="there">there, here are some extra perks</p>"#
//! );
//! # Ok::<(), offer_edge::Error>(())
//! ```

mod attr;
mod bound;
mod charref;
mod data;
mod escape;
mod html_context;
mod parse;
mod render;
mod wire;

pub use bound::Shape;
pub use data::{json_datum, Data, Datum, List};
pub use escape::URL_PLACEHOLDER;

use crate::{Error, ErrorCode, Result};
use parse::Node;

/// A compiled Mustache template whose output is plain text.
///
/// Values are inserted verbatim (no HTML escaping): use it only where the
/// output is never interpreted as HTML, or is escaped later by an
/// [`HtmlTemplate`] slot (creative fields are rendered as text, then placed
/// into the layout, which escapes them for their context).
#[derive(Debug, Clone)]
pub struct TextTemplate {
    inner: Compiled,
}

/// A compiled Mustache template whose output is HTML, with every value
/// escaped for the context (text, quoted attribute, URL attribute) it
/// appears in.
#[derive(Debug, Clone)]
pub struct HtmlTemplate {
    inner: Compiled,
}

/// Source, node tree and a capacity hint shared by both kinds.
#[derive(Debug, Clone)]
struct Compiled {
    // No name: it only ever spoke in compile errors, which are raised
    // before a template exists. Kept, it was a string per template (1.3 MB
    // of a 5,000-offer engine) and a fifth of a compiled form's bytes.
    source: Box<str>,
    nodes: Vec<Node>,
    capacity: usize,
    /// Worst-case output size, when compiled with a [`Shape`].
    max_len: Option<usize>,
}

impl Compiled {
    /// Clamp `nodes` to `shape` and check their worst case, if a shape is
    /// given; then keep them.
    fn new(name: &str, source: &str, mut nodes: Vec<Node>, shape: Option<&Shape>) -> Result<Self> {
        let max_len = match shape {
            Some(shape) => {
                bound::apply_shape(&mut nodes, shape);
                Some(bound::check(name, source, &nodes)?)
            }
            None => None,
        };
        // Kept for the bundle's lifetime, tens of thousands of them: no
        // growth slack (a one-node template would hold room for four).
        nodes.shrink_to_fit();
        let capacity = capacity_hint(&nodes).min(max_len.unwrap_or(usize::MAX));
        Ok(Self {
            source: source.into(),
            nodes,
            capacity,
            max_len,
        })
    }

    fn render(&self, data: &dyn Data) -> String {
        render::render(&self.source, &self.nodes, data, self.capacity)
    }
}

impl TextTemplate {
    /// Compile `source` (Mustache) into a plain-text template. `name` appears
    /// in error messages (e.g. `"offer:o-1:headline"`).
    ///
    /// # Errors
    /// `TEMPLATE_INVALID`, with the template name and line:column, for a
    /// malformed tag, an unclosed or mismatched section, unescaped output
    /// (`{{{x}}}`, `{{&x}}`), partials, set-delimiter tags, sections nested
    /// deeper than [`crate::limits::MAX_TEMPLATE_SECTION_DEPTH`], or a
    /// source over [`crate::limits::MAX_TEMPLATE_LEN`] bytes.
    pub fn compile(name: &str, source: &str) -> Result<Self> {
        let nodes = parse::parse(name, source)?;
        Ok(Self {
            inner: Compiled::new(name, source, nodes, None)?,
        })
    }

    /// [`TextTemplate::compile`], for data of `shape`: the template gets a
    /// worst-case output size ([`TextTemplate::max_len`]) that its renders
    /// never exceed, whatever the data (values are cut to their shape's
    /// length, lists to their shape's length).
    ///
    /// # Errors
    /// Everything [`TextTemplate::compile`] refuses, and `TEMPLATE_INVALID`
    /// when the worst case passes [`crate::limits::MAX_RENDERED_BYTES`] or
    /// [`crate::limits::MAX_RENDER_STEPS`].
    pub fn compile_bounded(name: &str, source: &str, shape: &Shape) -> Result<Self> {
        let nodes = parse::parse(name, source)?;
        Ok(Self {
            inner: Compiled::new(name, source, nodes, Some(shape))?,
        })
    }

    /// Most bytes a render can produce, if compiled with a [`Shape`].
    pub fn max_len(&self) -> Option<usize> {
        self.inner.max_len
    }

    /// Render with `data` as the root context. Missing names render empty
    /// (or as their `|default`); never fails.
    pub fn render(&self, data: &dyn Data) -> String {
        self.inner.render(data)
    }
}

impl HtmlTemplate {
    /// Compile `source` (Mustache over HTML) into an auto-escaping template.
    /// `name` appears in error messages (e.g. `"placement:confirmation"`).
    ///
    /// # Errors
    /// Everything [`TextTemplate::compile`] refuses, plus `TEMPLATE_INVALID`
    /// for a value in a context that cannot be escaped safely: an unquoted
    /// attribute, an `on*`/`style`/`srcset`/`srcdoc` attribute, a tag or
    /// attribute name, a comment or doctype, a URL attribute where the
    /// scheme is still open; for a refused element (`<script>`, `<style>`,
    /// `<svg>`, `<math>`, `<iframe>`, `<object>`, `<base>`… as listed in
    /// docs/TEMPLATES.md), a literal `on*` attribute or a literal URL whose
    /// scheme, after character references are decoded, is not https,
    /// mailto or tel; and for a section whose body leaves the HTML context
    /// different from where it started.
    pub fn compile(name: &str, source: &str) -> Result<Self> {
        let mut nodes = parse::parse(name, source)?;
        html_context::assign_escapes(name, source, &mut nodes)?;
        Ok(Self {
            inner: Compiled::new(name, source, nodes, None)?,
        })
    }

    /// [`HtmlTemplate::compile`], for data of `shape`: the template gets a
    /// worst-case output size ([`HtmlTemplate::max_len`], escaping included)
    /// that its renders never exceed, whatever the data (values are cut to
    /// their shape's length, lists to their shape's length).
    ///
    /// # Errors
    /// Everything [`HtmlTemplate::compile`] refuses, and `TEMPLATE_INVALID`
    /// when the worst case passes [`crate::limits::MAX_RENDERED_BYTES`] or
    /// [`crate::limits::MAX_RENDER_STEPS`].
    pub fn compile_bounded(name: &str, source: &str, shape: &Shape) -> Result<Self> {
        let mut nodes = parse::parse(name, source)?;
        html_context::assign_escapes(name, source, &mut nodes)?;
        Ok(Self {
            inner: Compiled::new(name, source, nodes, Some(shape))?,
        })
    }

    /// Most bytes a render can produce, if compiled with a [`Shape`].
    pub fn max_len(&self) -> Option<usize> {
        self.inner.max_len
    }

    /// Render with `data` as the root context, escaping every value for its
    /// context. Missing names render empty (or as their `|default`); never
    /// fails.
    pub fn render(&self, data: &dyn Data) -> String {
        self.inner.render(data)
    }
}

/// Escape `text` for HTML text or a quoted attribute value: `& < > " '`
/// (and backtick, and `\r` so it survives parsing) become character
/// references. Lossless: an HTML parser decodes the result back to `text`.
pub fn html_escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape::html_escape_into(&mut out, text);
    out
}

/// Static text length plus a guess per value, so typical renders fit the
/// first allocation. Saturating: a deep template's hint is huge, and the
/// renderer clamps what it reserves.
fn capacity_hint(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text { start, end } => end.saturating_sub(*start),
            Node::Var { .. } => 24,
            Node::Section { body, .. } => capacity_hint(body).saturating_mul(2),
        })
        .fold(0usize, usize::saturating_add)
}

/// 1-based line and column (in characters) of byte offset `pos`.
pub(crate) fn line_col(source: &str, pos: usize) -> (usize, usize) {
    let before = source.get(..pos).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before, |i| before.get(i + 1..).unwrap_or(""))
        .chars()
        .count()
        + 1;
    (line, col)
}

/// A `TEMPLATE_INVALID` error naming the template and position.
pub(crate) fn invalid(template: &str, source: &str, pos: usize, message: &str) -> Error {
    let (line, col) = line_col(source, pos);
    Error::new(
        ErrorCode::TemplateInvalid,
        format!("template {template:?} at {line}:{col}: {message}"),
    )
}
