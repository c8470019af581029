//! Where values lie in a JSON text, by JSONPath (`$.offers[3].caps[0]`),
//! for `offer-edge validate`: the byte offsets of the values some findings
//! name, and the path of the innermost value holding a byte offset (where
//! serde stopped).
//!
//! Why not a crate (`jsonc-parser` gives ranges): it builds a tree of the
//! whole document, and so would a table of every value's path. A hostile
//! 16 MiB draft of eight million `0,` under a megabyte-long key makes either
//! take gigabytes. Here one pass walks the text holding only the current
//! path's steps (keys as byte ranges, decoded only where a finding's path
//! goes), so memory is the depth (bounded by `MAX_JSON_DEPTH` before any
//! walk) plus what the findings name, and time is one pass per question.

use offer_edge::bundle::lint::path_key;
use offer_edge::limits::MAX_JSON_DEPTH;
use std::collections::HashMap;

/// One step of a JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name` / `["name"]`.
    Key(String),
    /// `[3]`.
    Index(usize),
}

/// A step as the walker meets it: keys as the byte range of their literal
/// (quotes included), decoded only on demand.
#[derive(Clone, Copy)]
enum RawStep {
    Root,
    Key(usize, usize),
    Index(usize),
}

/// Parses the JSONPaths findings carry (`$`, `.name`, `["name"]`, `[3]`).
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            steps.push(Step::Key(after.get(..end)?.to_owned()));
            rest = after.get(end..)?;
        } else if rest.starts_with("[\"") {
            // A JSON string literal: its end is the first unescaped quote.
            let mut stream =
                serde_json::Deserializer::from_str(rest.get(1..)?).into_iter::<String>();
            let key = stream.next()?.ok()?;
            let used = 1 + stream.byte_offset();
            steps.push(Step::Key(key));
            rest = rest.get(used..)?.strip_prefix(']')?;
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            steps.push(Step::Index(after.get(..end)?.parse().ok()?));
            rest = after.get(end + 1..)?;
        } else {
            return None;
        }
    }
    Some(steps)
}

/// The JSON text, walked.
struct Walker<'a> {
    b: &'a [u8],
    pos: usize,
    /// Values open around the one being walked: the walk stops past
    /// [`MAX_JSON_DEPTH`] (callers check it first; this keeps the stack
    /// bounded whoever calls).
    depth: usize,
}

/// What the walk tells its visitor, in document order.
enum Event {
    /// A value begins at this offset, reached by this step.
    Enter(RawStep, usize),
    /// The value entered last ends before this offset.
    Leave(usize),
}

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// Skips a string literal; `None` when it does not end.
    fn string(&mut self) -> Option<()> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => return Some(()),
                _ => {}
            }
        }
    }

    /// After a member or element: `,` (more follow) or `close` (done).
    fn next_or_close(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        let c = self.peek()?;
        self.pos += 1;
        match c {
            b',' => Some(true),
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// Walks one value. `None`: malformed JSON or the visitor stopped.
    fn value(&mut self, step: RawStep, on: &mut impl FnMut(Event) -> bool) -> Option<()> {
        if self.depth > MAX_JSON_DEPTH {
            return None;
        }
        self.depth += 1;
        let walked = self.value_within_depth(step, on);
        self.depth -= 1;
        walked
    }

    fn value_within_depth(
        &mut self,
        step: RawStep,
        on: &mut impl FnMut(Event) -> bool,
    ) -> Option<()> {
        self.skip_ws();
        let start = self.pos;
        if !on(Event::Enter(step, start)) {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        if self.peek()? != b'"' {
                            return None;
                        }
                        let key_start = self.pos;
                        self.string()?;
                        let key = RawStep::Key(key_start, self.pos);
                        self.skip_ws();
                        if self.peek()? != b':' {
                            return None;
                        }
                        self.pos += 1;
                        self.value(key, on)?;
                        if !self.next_or_close(b'}')? {
                            break;
                        }
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                } else {
                    for i in 0.. {
                        self.value(RawStep::Index(i), on)?;
                        if !self.next_or_close(b']')? {
                            break;
                        }
                    }
                }
            }
            b'"' => self.string()?,
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace())
                {
                    self.pos += 1;
                }
            }
        }
        on(Event::Leave(self.pos)).then_some(())
    }
}

/// A key literal's text (`None` if it is not a valid JSON string).
fn key_text(bytes: &[u8], start: usize, end: usize) -> Option<String> {
    serde_json::from_slice(bytes.get(start..end)?).ok()
}

/// The paths findings name, as a trie walked along with the text.
#[derive(Default)]
struct TrieNode {
    keys: HashMap<String, usize>,
    indices: HashMap<usize, usize>,
    /// Where the value this node stands for starts, once walked.
    start: Option<usize>,
}

/// For each of `paths`: the path of the deepest value along it that the
/// text holds (the path itself, or an ancestor when the value is absent,
/// e.g. a defaulted member), and that value's byte offset. Paths that do
/// not parse stand for the document (`$`, 0).
pub fn locate(bytes: &[u8], paths: &[String]) -> Vec<(String, usize)> {
    let parsed: Vec<Vec<Step>> = paths
        .iter()
        .map(|p| parse_path(p).unwrap_or_default())
        .collect();
    let mut trie = vec![TrieNode::default()];
    let mut ends = Vec::with_capacity(parsed.len());
    for steps in &parsed {
        let mut at = 0;
        let mut chain = vec![0];
        for step in steps {
            let next = trie.len();
            let map_entry = match (step, trie.get_mut(at)) {
                (Step::Key(k), Some(node)) => *node.keys.entry(k.clone()).or_insert(next),
                (Step::Index(i), Some(node)) => *node.indices.entry(*i).or_insert(next),
                (_, None) => break,
            };
            if map_entry == next {
                trie.push(TrieNode::default());
            }
            at = map_entry;
            chain.push(at);
        }
        ends.push(chain);
    }
    // The trie node of each value on the current path (None: off every path).
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut walk = |event: Event| {
        match event {
            Event::Enter(step, start) => {
                let parent = stack.last().copied().flatten();
                let node = match (step, parent.and_then(|p| trie.get(p))) {
                    (RawStep::Root, _) => Some(0),
                    (RawStep::Index(i), Some(p)) => p.indices.get(&i).copied(),
                    (RawStep::Key(s, e), Some(p)) if !p.keys.is_empty() => {
                        key_text(bytes, s, e).and_then(|k| p.keys.get(&k).copied())
                    }
                    _ => None,
                };
                if let Some(t) = node.and_then(|n| trie.get_mut(n)) {
                    t.start.get_or_insert(start);
                }
                stack.push(node);
            }
            Event::Leave(_) => {
                stack.pop();
            }
        }
        true
    };
    // A malformed text stops the walk; what it saw is kept.
    let _ = Walker {
        b: bytes,
        pos: 0,
        depth: 0,
    }
    .value(RawStep::Root, &mut walk);
    parsed
        .iter()
        .zip(&ends)
        .map(|(steps, chain)| {
            // The deepest node along the chain that the walk reached.
            let reached = chain
                .iter()
                .rposition(|&n| trie.get(n).is_some_and(|t| t.start.is_some()))
                .unwrap_or(0);
            let start = chain
                .get(reached)
                .and_then(|&n| trie.get(n))
                .and_then(|t| t.start)
                .unwrap_or(0);
            (render(steps.get(..reached).unwrap_or(&[])), start)
        })
        .collect()
}

/// `$` followed by the steps.
fn render(steps: &[Step]) -> String {
    let mut out = String::from("$");
    for step in steps {
        match step {
            Step::Key(k) => out.push_str(&path_key(k)),
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The path of the innermost value whose range holds `offset` (`$` when
/// none does, e.g. an empty text).
pub fn innermost(bytes: &[u8], offset: usize) -> String {
    let mut stack: Vec<(RawStep, usize)> = Vec::new();
    let mut found: Option<Vec<RawStep>> = None;
    let mut walk = |event: Event| match event {
        Event::Enter(step, start) => {
            stack.push((step, start));
            true
        }
        Event::Leave(end) => {
            // `end` is past the value's last byte; serde points at a byte.
            let holds = stack
                .last()
                .is_some_and(|&(_, start)| start <= offset && offset < end);
            if holds {
                // Values end in document order: the first to hold it is the innermost.
                found = Some(stack.iter().map(|&(s, _)| s).collect());
                return false;
            }
            stack.pop();
            true
        }
    };
    let _ = Walker {
        b: bytes,
        pos: 0,
        depth: 0,
    }
    .value(RawStep::Root, &mut walk);
    // A malformed text stops before the value closes: the open ones hold it.
    let steps = found.unwrap_or_else(|| stack.iter().map(|&(s, _)| s).collect());
    let mut out = String::from("$");
    for step in steps {
        match step {
            RawStep::Root => {}
            RawStep::Key(s, e) => match key_text(bytes, s, e) {
                Some(k) => out.push_str(&path_key(&k)),
                None => break,
            },
            RawStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{"a": {"b c": [10, {"d": "x\"]"}]}, "e": 1}"#;

    #[test]
    fn paths_round_trip() {
        for p in ["$", "$.a", "$.a[\"b c\"][1].d", "$[\"x\\\"]\"][0]"] {
            assert_eq!(render(&parse_path(p).unwrap()), p);
        }
    }

    #[test]
    fn locates_values_and_their_nearest_present_ancestor() {
        let paths: Vec<String> = ["$.a[\"b c\"][1].d", "$.e", "$.a.missing", "$[7]", "bad"]
            .map(String::from)
            .to_vec();
        let found = locate(TEXT.as_bytes(), &paths);
        let at = |s: &str| TEXT.find(s).unwrap();
        assert_eq!(found[0], ("$.a[\"b c\"][1].d".to_owned(), at("\"x")));
        assert_eq!(found[1], ("$.e".to_owned(), at("1}")));
        assert_eq!(found[2], ("$.a".to_owned(), at("{\"b c\"")));
        assert_eq!(found[3], ("$".to_owned(), 0));
        assert_eq!(found[4], ("$".to_owned(), 0));
    }

    #[test]
    fn innermost_holds_the_offset() {
        let at = TEXT.find("\"x").unwrap() + 1;
        assert_eq!(innermost(TEXT.as_bytes(), at), "$.a[\"b c\"][1].d");
        let comma = TEXT.find(", {").unwrap();
        assert_eq!(innermost(TEXT.as_bytes(), comma), "$.a[\"b c\"]");
        // Too deep: the walk stops, nothing overflows.
        let deep = "[".repeat(100_000);
        let open = innermost(deep.as_bytes(), 50_000);
        assert!(open.matches("[0]").count() <= MAX_JSON_DEPTH, "{open}");
        let found = locate(deep.as_bytes(), &["$[0][0]".to_owned()]);
        assert_eq!(found[0], ("$[0][0]".to_owned(), 2));
        // Malformed: the values still open hold the offset.
        let broken = r#"{"a": [1, 2 3]}"#;
        assert_eq!(innermost(broken.as_bytes(), 12), "$.a");
    }
}
