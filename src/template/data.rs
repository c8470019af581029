//! What templates render from: a small borrowed data model.
//!
//! Rendering only ever asks "what is `name` in this map?" and "how long is
//! this list, what is item `i`?", so callers expose their own structs through
//! [`Data`] and [`List`] instead of building a JSON tree per render. The
//! engine renders from a view of the checkout context and its decided offers;
//! `serde_json::Value` implements both traits for tests and ad-hoc data.

use serde_json::{Map, Value};

/// One value a template name resolves to.
#[derive(Clone, Copy)]
pub enum Datum<'a> {
    /// Present but empty (JSON `null`): renders empty, is falsey, and takes a
    /// `|default`. Unlike a missing name it stops the context-stack search.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A string, inserted as is (escaped by HTML templates).
    Text(&'a str),
    /// A number, printed as JavaScript prints it.
    Number(f64),
    /// A signed integer, printed exactly (JSON data).
    Int(i64),
    /// An unsigned integer above `i64::MAX`, printed exactly (JSON data).
    Uint(u64),
    /// A nested map: a section pushes it on the context stack.
    Map(&'a dyn Data),
    /// A list: a section renders its body once per item.
    List(&'a dyn List),
}

impl<'a> Datum<'a> {
    /// The string, if this is [`Datum::Text`].
    pub fn as_text(&self) -> Option<&'a str> {
        match self {
            Datum::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A map of names to values, as seen by a template.
pub trait Data {
    /// The value named `key`, or `None` when there is no such name (the
    /// renderer then searches outer contexts).
    fn get(&self, key: &str) -> Option<Datum<'_>>;

    /// This value itself when it is not a map (a string, a number, a list):
    /// rendered as the root, it is what `{{.}}` and `{{#.}}` see. `None`
    /// (the default) for maps.
    fn root(&self) -> Option<Datum<'_>> {
        None
    }
}

/// A list of values, as seen by a template section.
pub trait List {
    /// Number of items.
    fn len(&self) -> usize;
    /// Item `index`, or `None` past the end.
    fn item(&self, index: usize) -> Option<Datum<'_>>;
    /// Whether the list has no items (a falsey section value).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// No data at all: every name is missing (templates render their defaults).
impl Data for () {
    fn get(&self, _key: &str) -> Option<Datum<'_>> {
        None
    }
}

/// A JSON object's members; any other JSON value has no names and is its
/// own root value (`"world"` renders `Hello, {{.}}!` as `Hello, world!`).
impl Data for Value {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        self.as_object()?.get(key).map(json_datum)
    }

    fn root(&self) -> Option<Datum<'_>> {
        (!self.is_object()).then(|| json_datum(self))
    }
}

impl Data for Map<String, Value> {
    fn get(&self, key: &str) -> Option<Datum<'_>> {
        Map::get(self, key).map(json_datum)
    }
}

impl List for Vec<Value> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn item(&self, index: usize) -> Option<Datum<'_>> {
        self.get(index).map(json_datum)
    }
}

/// The template view of a JSON value.
pub fn json_datum(value: &Value) -> Datum<'_> {
    match value {
        Value::Null => Datum::Null,
        Value::Bool(b) => Datum::Bool(*b),
        Value::String(s) => Datum::Text(s),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Datum::Int(i),
            (None, Some(u)) => Datum::Uint(u),
            (None, None) => Datum::Number(crate::rules::jsnum::json_number(n)),
        },
        Value::Array(items) => Datum::List(items),
        Value::Object(map) => Datum::Map(map),
    }
}
