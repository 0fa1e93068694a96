//! The YAML subset parser: one document of cloud-init style YAML (or JSON)
//! into a [`Node`] tree, read the way cloud-init's PyYAML `safe_load` reads it.
//!
//! Owns: scanning and structure (block and flow collections, the five scalar
//! styles, comments, `---`/`...`), YAML 1.1 resolution of plain scalars
//! (`yes` is a boolean, `0644` an octal integer), the core tags
//! (`!!str !!int !!float !!bool !!null !!binary !!seq !!map`) and the small
//! base64 decoder `!!binary` needs.
//!
//! Must never: panic or loop forever on any input, recurse deeper than
//! [`MAX_DEPTH`], or silently accept what it does not implement. Anchors,
//! aliases, custom tags, complex and merge keys, `%TAG` and a second document
//! are refused with an error that names line and column, because guessing
//! would hand the later stages a tree PyYAML would not have built.
//!
//! Deliberate differences from PyYAML, each towards accepting more: a tab is
//! allowed as separation after content (PyYAML refuses any tab outside
//! scalars; a tab in indentation is still an error here), `\uD83D\uDE00`
//! surrogate pairs are joined into one character, and timestamps stay strings
//! (the tree has no date type). `U+0085`, `U+2028` and `U+2029` are content,
//! not line breaks.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;

use crate::text::radix;
use crate::text::value::{Entry, Node, Pos, Value};

/// Deepest nesting of collections accepted; deeper input is `TooDeep`, so the
/// recursive descent below can never exhaust the stack.
pub const MAX_DEPTH: u32 = 64;

/// A parse failure at a 1-based line and column (column counted in bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub line: u32,
    pub col: u32,
    pub kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not UTF-8; the position is that of the first bad byte.
    InvalidUtf8,
    /// A control character other than tab, CR and LF.
    ControlChar,
    /// A tab used as indentation (YAML indents with spaces only).
    Tab,
    /// A line indented to a column that matches no open block collection.
    BadIndent,
    /// A quoted scalar without its closing quote (or cut by `---`/`...`).
    UnterminatedQuote,
    /// An unknown or malformed `\` escape in a double-quoted scalar.
    BadEscape,
    /// A `[` or `{` without its closing bracket.
    UnterminatedFlow,
    /// A character that cannot start or continue anything where it stands.
    UnexpectedChar,
    /// A line in a block mapping whose key is not followed by `: `.
    MissingColon,
    /// A mapping key where none may start: `a: b: c`, or a key over several lines.
    NestedMapping,
    /// A `- ` entry where none may start: `a: - b`, or among mapping keys.
    NestedSequence,
    /// A block scalar header other than `|`/`>` with chomping and indentation indicators.
    BadBlockHeader,
    /// `&anchor`: anchors are not supported.
    Anchor,
    /// `*alias`: aliases are not supported.
    Alias,
    /// A tag other than the supported core tags.
    CustomTag,
    /// A `? ` key or a flow collection used as a key.
    ComplexKey,
    /// A `<<` merge key.
    MergeKey,
    /// A `%TAG` directive.
    Directive,
    /// A directive not followed by `---`.
    MissingDocumentStart,
    /// A second document in the stream.
    MultipleDocuments,
    /// Collections nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// `!!binary` content that is not base64.
    BadBinary,
    /// A scalar that its explicit tag cannot read (`!!int abc`), or a tag on the wrong kind of node.
    BadTagValue,
}

impl ErrorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidUtf8 => "input is not valid UTF-8",
            ErrorKind::ControlChar => "control characters are not allowed",
            ErrorKind::Tab => "tabs are not allowed in indentation",
            ErrorKind::BadIndent => "bad indentation",
            ErrorKind::UnterminatedQuote => "unterminated quoted scalar",
            ErrorKind::BadEscape => "invalid escape sequence",
            ErrorKind::UnterminatedFlow => "unterminated flow collection (missing `]` or `}`)",
            ErrorKind::UnexpectedChar => "unexpected character",
            ErrorKind::MissingColon => "expected `:` after a mapping key",
            ErrorKind::NestedMapping => "mapping values are not allowed here",
            ErrorKind::NestedSequence => "sequence entries are not allowed here",
            ErrorKind::BadBlockHeader => "invalid block scalar header",
            ErrorKind::Anchor => "anchors are not supported",
            ErrorKind::Alias => "aliases are not supported",
            ErrorKind::CustomTag => {
                "only !!str !!int !!bool !!float !!null !!binary !!seq !!map are supported"
            }
            ErrorKind::ComplexKey => {
                "complex mapping keys (`? ` or a collection) are not supported"
            }
            ErrorKind::MergeKey => "merge keys (`<<`) are not supported",
            ErrorKind::Directive => "`%TAG` directives are not supported",
            ErrorKind::MissingDocumentStart => "expected `---` after a directive",
            ErrorKind::MultipleDocuments => "only one document is allowed",
            ErrorKind::TooDeep => "nesting is too deep",
            ErrorKind::BadBinary => "invalid base64 in !!binary",
            ErrorKind::BadTagValue => "value does not match its tag",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.kind)
    }
}

/// Parses one YAML (or JSON) document. Empty or comment-only input is `Null`.
pub fn parse(src: &[u8]) -> Result<Node, Error> {
    let text = match core::str::from_utf8(src) {
        Ok(t) => t,
        Err(e) => {
            return Err(error_at_offset(
                src,
                e.valid_up_to(),
                ErrorKind::InvalidUtf8,
            ))
        }
    };
    if let Some(off) = find_control(text) {
        return Err(error_at_offset(src, off, ErrorKind::ControlChar));
    }
    let (body, bom) = match src.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (src, false),
    };
    // Only `\n` breaks lines past this point; columns are unchanged because a
    // CR only ever ends a line.
    let body = normalize_breaks(body);
    let mut p = Parser {
        s: &body,
        i: 0,
        line: 1,
        line_start: 0,
        bom,
        // A placeholder: every `Fail` is made by `err`, which overwrites it.
        error: Cell::new(Error {
            line: 1,
            col: 1,
            kind: ErrorKind::UnexpectedChar,
        }),
    };
    let doc = p.document();
    doc.map_err(|Fail| p.error.into_inner())
}

fn error_at_offset(src: &[u8], offset: usize, kind: ErrorKind) -> Error {
    let mut line: u32 = 1;
    let mut line_start = 0;
    let mut prev_cr = false;
    for (i, &b) in src.get(..offset).unwrap_or(src).iter().enumerate() {
        if b == b'\n' || b == b'\r' {
            if !(b == b'\n' && prev_cr) {
                line = line.saturating_add(1);
            }
            line_start = i + 1;
        }
        prev_cr = b == b'\r';
    }
    Error {
        line,
        col: to_u32(offset.saturating_sub(line_start).saturating_add(1)),
        kind,
    }
}

/// Byte offset of the first character PyYAML's reader refuses as non-printable.
fn find_control(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|&(_, c)| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                || c == '\u{7f}'
                || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
                || c == '\u{fffe}'
                || c == '\u{ffff}'
        })
        .map(|(i, _)| i)
}

fn normalize_breaks(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut prev_cr = false;
    for &b in src {
        if !(b == b'\n' && prev_cr) {
            out.push(if b == b'\r' { b'\n' } else { b });
        }
        prev_cr = b == b'\r';
    }
    out
}

/// `<<`, the merge key this parser refuses.
#[inline(never)]
fn is_merge(key: &str) -> bool {
    key == "<<"
}

/// A scalar's text. It is always UTF-8: the input was checked, scalars are
/// cut from it only at ASCII bytes, and escapes add whole characters.
fn into_text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `n` line feeds (folded and kept breaks of scalars).
#[inline(never)]
fn newlines(out: &mut Vec<u8>, n: usize) {
    out.resize(out.len().saturating_add(n), b'\n');
}

/// What the line breaks between two lines of a flow scalar fold to: one
/// break to a space, each further (blank) line to a newline.
fn fold(out: &mut Vec<u8>, blank_lines: usize) {
    if blank_lines == 0 {
        out.push(b' ');
    }
    newlines(out, blank_lines);
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// End of input. NUL is refused as a control character, so it cannot be data.
const EOF: u8 = 0;

#[inline(never)]
const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | EOF)
}

const fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// The tags this parser understands; everything else is `CustomTag`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    /// A bare `!`: PyYAML resolves the scalar as if untagged.
    NonSpecific,
    Str,
    Int,
    Float,
    Bool,
    Null,
    Binary,
    Seq,
    Map,
}

/// The names of [`TAGS`] after `!!` (or `!<tag:yaml.org,2002:`), in order.
const TAG_NAMES: &[u8] = b"! str int float bool null binary seq map";
const TAGS: [Tag; 9] = [
    Tag::NonSpecific,
    Tag::Str,
    Tag::Int,
    Tag::Float,
    Tag::Bool,
    Tag::Null,
    Tag::Binary,
    Tag::Seq,
    Tag::Map,
];

/// The one-character escapes of double-quoted scalars ...
const ESC_KEYS: &[u8] = b"0abt\tnvfre \"/\\N_LP";
/// ... and the characters they stand for.
const ESC_CHARS: [char; 18] = [
    '\0', '\u{7}', '\u{8}', '\t', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1b}', ' ', '"', '/',
    '\\', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}',
];

/// A flow node before its tag is applied; scalars keep their text so a flow
/// sequence entry can still turn out to be a single-pair mapping key.
enum Flow {
    Scalar {
        text: String,
        plain: bool,
        tag: Option<Tag>,
        pos: Pos,
    },
    Coll(Node),
}

/// A scanned plain or quoted scalar.
struct Scalar {
    text: String,
    /// It spans lines, so it cannot be a key.
    multiline: bool,
    /// It ends at `: ` on its last line: it is (or tries to be) a key.
    colon: bool,
    /// It is plain, so the implicit resolvers apply.
    plain: bool,
}

/// Mapping entries in first-seen order; a repeated key takes the later value,
/// as PyYAML's dict does. `slots` is an open-addressing hash index over
/// `entries` (entry index + 1, 0 for empty), kept at most half full so a
/// probe always ends at an empty slot, and duplicate detection stays linear
/// on large documents.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<Entry>,
    slots: Vec<usize>,
}

impl MapBuilder {
    /// The slot holding `key`, or the empty slot where it belongs.
    #[inline(never)]
    fn slot(&self, key: &str) -> usize {
        let mask = self.slots.len().wrapping_sub(1);
        let mut h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }) as usize;
        loop {
            h &= mask;
            match self.slots.get(h) {
                Some(&at) if at != 0 => {
                    if self.entries.get(at - 1).is_some_and(|e| e.key == key) {
                        return h;
                    }
                }
                _ => return h,
            }
            h = h.wrapping_add(1);
        }
    }

    fn insert(&mut self, key: String, key_pos: Pos, value: Node) {
        let n = self.entries.len();
        if n.saturating_mul(2) >= self.slots.len() {
            // Doubling from 8 keeps the length a power of two for `slot`'s mask.
            self.slots = alloc::vec![0; self.slots.len().saturating_mul(2).max(8)];
            for (i, e) in self.entries.iter().enumerate() {
                let at = self.slot(&e.key);
                if let Some(s) = self.slots.get_mut(at) {
                    *s = i + 1;
                }
            }
        }
        let at = self.slot(&key);
        match self.slots.get_mut(at) {
            Some(s) if *s == 0 => *s = n + 1,
            Some(&mut s) => {
                if let Some(e) = self.entries.get_mut(s - 1) {
                    e.key_pos = key_pos;
                    e.value = value;
                }
                return;
            }
            None => {}
        }
        self.entries.push(Entry {
            key,
            key_pos,
            value,
        });
    }
}

/// A parse failure on its way up; the error itself is in `Parser::error`,
/// so propagating it costs no more than a flag.
struct Fail;

type Res<T> = Result<T, Fail>;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
    /// Columns on line 1 count the BOM bytes, so they match an editor's.
    bom: bool,
    /// What went wrong, once a method has returned `Fail`.
    error: Cell<Error>,
}

impl Parser<'_> {
    #[inline(never)]
    fn peek(&self) -> u8 {
        self.s.get(self.i).copied().unwrap_or(EOF)
    }

    fn peek_at(&self, k: usize) -> u8 {
        self.i
            .checked_add(k)
            .and_then(|j| self.s.get(j))
            .copied()
            .unwrap_or(EOF)
    }

    fn ws_after(&self, k: usize) -> bool {
        is_ws(self.peek_at(k))
    }

    /// Steps over one byte, keeping line tracking right.
    fn bump(&mut self) {
        if let Some(&b) = self.s.get(self.i) {
            self.i += 1;
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
                self.line_start = self.i;
            }
        }
    }

    /// Steps over bytes that are known not to be line breaks.
    fn skip_inline(&mut self, n: usize) {
        self.i = self.i.saturating_add(n).min(self.s.len());
    }

    fn col0(&self) -> usize {
        self.i.saturating_sub(self.line_start)
    }

    #[inline(never)]
    fn col(&self) -> i64 {
        // Lossless: a slice is never longer than `isize::MAX` bytes.
        self.col0() as i64
    }

    fn pos(&self) -> Pos {
        let mut col = self.col0().saturating_add(1);
        if self.bom && self.line == 1 {
            col = col.saturating_add(3);
        }
        Pos {
            line: self.line,
            col: to_u32(col),
        }
    }

    /// Records the error that ends the parse; callers return the `Fail`.
    fn err(&self, kind: ErrorKind, at: Pos) -> Fail {
        self.error.set(Error {
            line: at.line,
            col: at.col,
            kind,
        });
        Fail
    }

    fn err_here(&self, kind: ErrorKind) -> Fail {
        self.err(kind, self.pos())
    }

    fn rest(&self) -> &[u8] {
        self.s.get(self.i..).unwrap_or_default()
    }

    /// Whether only whitespace precedes the cursor on its line. Scans back
    /// only over that whitespace, so long lines of content stay cheap.
    fn first_on_line(&self) -> bool {
        self.s
            .get(self.line_start..self.i)
            .is_none_or(|pre| pre.iter().rev().all(|&b| b == b' ' || b == b'\t'))
    }

    fn at_marker(&self, marker: &[u8; 3]) -> bool {
        self.i == self.line_start && self.rest().starts_with(marker) && self.ws_after(3)
    }

    /// At a `---` or `...` line, which ends any scalar.
    fn at_boundary(&self) -> bool {
        self.at_marker(b"---") || self.at_marker(b"...")
    }

    fn at_document_end(&self) -> bool {
        self.peek() == EOF || self.at_boundary()
    }

    fn at_seq_entry(&self) -> bool {
        self.peek() == b'-' && self.ws_after(1)
    }

    #[inline(never)]
    fn deeper(&self, depth: u32, at: Pos) -> Res<u32> {
        let d = depth.saturating_add(1);
        if d > MAX_DEPTH {
            return Err(self.err(ErrorKind::TooDeep, at));
        }
        Ok(d)
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), b' ' | b'\t') {
            self.i += 1;
        }
    }

    /// Skips whitespace, comments and line breaks. In block context a tab in
    /// the indentation of a line that has content is an error.
    fn skip_ws(&mut self, block: bool) -> Res<()> {
        let mut tab: Option<Pos> = None;
        let mut in_indent: Option<bool> = None;
        loop {
            match self.peek() {
                b' ' => self.i += 1,
                b'\t' => {
                    if block && tab.is_none() {
                        let indent = *in_indent.get_or_insert_with(|| self.first_on_line());
                        if indent {
                            tab = Some(self.pos());
                        }
                    }
                    self.i += 1;
                }
                b'\n' => {
                    self.bump();
                    tab = None;
                    in_indent = Some(true);
                }
                // PyYAML takes `#` as a comment wherever a token may start,
                // even right after `]` or a closing quote.
                b'#' => {
                    while !matches!(self.peek(), b'\n' | EOF) {
                        self.i += 1;
                    }
                    tab = None;
                }
                _ => break,
            }
        }
        match tab {
            Some(at) if self.peek() != EOF => Err(self.err(ErrorKind::Tab, at)),
            _ => Ok(()),
        }
    }

    fn document(&mut self) -> Res<Node> {
        let mut directive = false;
        loop {
            self.skip_ws(true)?;
            if self.peek() != b'%' || self.i != self.line_start {
                break;
            }
            if self.rest().starts_with(b"%TAG") && self.ws_after(4) {
                return Err(self.err_here(ErrorKind::Directive));
            }
            // `%YAML 1.x` changes nothing we read; other reserved directives
            // are ignored, as the spec asks.
            directive = true;
            while !matches!(self.peek(), b'\n' | EOF) {
                self.i += 1;
            }
        }
        // Content on the `---` line may not start a block collection (PyYAML).
        let inline_ok = if self.at_marker(b"---") {
            self.skip_inline(3);
            false
        } else if directive {
            return Err(self.err_here(ErrorKind::MissingDocumentStart));
        } else {
            true
        };
        let empty = self.pos();
        let root = self.block_node(-1, inline_ok, false, 0, empty)?;
        self.skip_ws(true)?;
        if self.at_marker(b"...") {
            while self.at_marker(b"...") {
                self.skip_inline(3);
                self.skip_ws(true)?;
            }
            if self.peek() != EOF {
                return Err(self.err_here(ErrorKind::MultipleDocuments));
            }
            return Ok(root);
        }
        if self.peek() == EOF {
            return Ok(root);
        }
        if self.at_marker(b"---") {
            return Err(self.err_here(ErrorKind::MultipleDocuments));
        }
        Err(self.err_here(self.trailing_kind()))
    }

    /// The error for content left on a line after a complete node.
    fn trailing_kind(&self) -> ErrorKind {
        if self.first_on_line() {
            ErrorKind::BadIndent
        } else if self.peek() == b':' {
            ErrorKind::NestedMapping
        } else {
            ErrorKind::UnexpectedChar
        }
    }

    /// After a block node: the rest of its line must be blank or a comment.
    fn end_of_node(&mut self) -> Res<()> {
        self.skip_ws(true)?;
        if self.peek() == EOF || self.first_on_line() {
            return Ok(());
        }
        Err(self.err_here(self.trailing_kind()))
    }

    /// One node in block context, called just after `:`, `- ` or `---` (or at
    /// the start). `parent` is the indentation of the enclosing collection:
    /// content on a later line must be indented deeper, except the `- `
    /// entries of an indentless sequence under a mapping key (`map_value`).
    /// `inline_ok` says whether a block collection may start on this line.
    fn block_node(
        &mut self,
        parent: i64,
        inline_ok: bool,
        map_value: bool,
        depth: u32,
        empty: Pos,
    ) -> Res<Node> {
        let mut inline_ok = inline_ok;
        let mut tag: Option<(Tag, Pos)> = None;
        self.skip_ws(true)?;
        loop {
            if self.at_document_end() {
                return self.finish_empty(tag, empty);
            }
            if self.first_on_line() {
                let col = self.col();
                if col <= parent {
                    if map_value && col == parent && self.at_seq_entry() {
                        let at = self.pos();
                        let seq = self.block_seq(depth, true)?;
                        return self.finish_coll(tag, seq, at);
                    }
                    return self.finish_empty(tag, empty);
                }
                inline_ok = true;
            }
            if tag.is_none() && self.peek() == b'!' {
                let at = self.pos();
                tag = Some((self.tag(false)?, at));
                self.skip_ws(true)?;
                continue;
            }
            break;
        }
        let start = self.pos();
        let start_col = self.col();
        // A tag on the same line as a key belongs to the key, not the mapping.
        let tag_on_line = tag.is_some_and(|(_, p)| p.line == start.line);
        let node_pos = tag.map_or(start, |(_, p)| p);
        self.refuse(start)?;
        let (text, multiline, colon, plain) = match self.peek() {
            b'-' if self.ws_after(1) => {
                if !inline_ok {
                    return Err(self.err(ErrorKind::NestedSequence, start));
                }
                let seq = self.block_seq(depth, false)?;
                return self.finish_coll(tag, seq, node_pos);
            }
            b'[' | b'{' => {
                let value = self.flow_collection(depth)?;
                self.skip_spaces();
                if self.peek() == b':' {
                    return Err(self.err(ErrorKind::ComplexKey, start));
                }
                return self.finish_coll(tag, value, node_pos);
            }
            b'|' | b'>' => (self.block_scalar(parent)?, false, false, false),
            _ => {
                let p = self.scalar(parent, false, false)?;
                (p.text, p.multiline, p.colon, p.plain)
            }
        };
        if colon {
            if multiline || !inline_ok {
                return Err(self.err_here(ErrorKind::NestedMapping));
            }
            if plain && !tag_on_line && is_merge(&text) {
                return Err(self.err(ErrorKind::MergeKey, start));
            }
            return self.first_key(tag, tag_on_line, text, start, start_col, depth);
        }
        self.finish_scalar(tag.map(|t| t.0), text, plain, node_pos)
    }

    /// A block mapping found by its first key; the cursor is on that key's `:`.
    fn first_key(
        &mut self,
        tag: Option<(Tag, Pos)>,
        tag_on_line: bool,
        key: String,
        key_pos: Pos,
        key_col: i64,
        depth: u32,
    ) -> Res<Node> {
        let (map_tag, key_pos, indent) = match tag {
            Some((t, at)) if tag_on_line => {
                self.check_key_tag(t, at)?;
                let indent = key_col.saturating_sub(i64::from(key_pos.col.saturating_sub(at.col)));
                (None, at, indent)
            }
            other => (other, key_pos, key_col),
        };
        let node_pos = map_tag.map_or(key_pos, |(_, p)| p);
        let map = self.block_map(indent, key, key_pos, depth)?;
        self.finish_coll(map_tag, map, node_pos)
    }

    fn check_key_tag(&self, tag: Tag, at: Pos) -> Res<()> {
        if matches!(tag, Tag::Seq | Tag::Map) {
            return Err(self.err(ErrorKind::BadTagValue, at));
        }
        Ok(())
    }

    fn block_map(
        &mut self,
        indent: i64,
        first_key: String,
        first_pos: Pos,
        depth: u32,
    ) -> Res<Value> {
        let depth = self.deeper(depth, first_pos)?;
        let mut map = MapBuilder::default();
        let (mut key, mut key_pos) = (first_key, first_pos);
        loop {
            // The cursor is on the key's `:`.
            self.skip_inline(1);
            let empty = self.pos();
            let value = self.block_node(indent, false, true, depth, empty)?;
            self.end_of_node()?;
            map.insert(key, key_pos, value);
            if self.at_document_end() {
                break;
            }
            let col = self.col();
            if col < indent {
                break;
            }
            if col > indent {
                return Err(self.err_here(ErrorKind::BadIndent));
            }
            (key, key_pos) = self.block_key(depth)?;
        }
        Ok(Value::Map(map.entries))
    }

    /// A key at the start of a line inside a block mapping; leaves the cursor
    /// on its `:`.
    fn block_key(&mut self, depth: u32) -> Res<(String, Pos)> {
        let start = self.pos();
        let mut tagged = false;
        if self.peek() == b'!' {
            let tag = self.tag(false)?;
            self.check_key_tag(tag, start)?;
            self.skip_spaces();
            tagged = true;
        }
        let at = self.pos();
        self.refuse(at)?;
        let key = match self.peek() {
            b'-' if self.ws_after(1) => return Err(self.err(ErrorKind::NestedSequence, at)),
            b'[' | b'{' => {
                self.flow_collection(depth)?;
                self.skip_spaces();
                let kind = if self.peek() == b':' {
                    ErrorKind::ComplexKey
                } else {
                    ErrorKind::MissingColon
                };
                return Err(self.err(kind, at));
            }
            _ => {
                let key = self.scalar(-1, false, true)?;
                if key.multiline && self.peek() == b':' {
                    return Err(self.err_here(ErrorKind::NestedMapping));
                }
                if key.plain && !tagged && key.colon && is_merge(&key.text) {
                    return Err(self.err(ErrorKind::MergeKey, at));
                }
                key.text
            }
        };
        if self.peek() == b':' && self.ws_after(1) {
            Ok((key, start))
        } else {
            Err(self.err(ErrorKind::MissingColon, start))
        }
    }

    /// A block sequence whose first `- ` is under the cursor. An indentless
    /// sequence (entries at the column of its parent key) ends at the first
    /// line that is not an entry.
    fn block_seq(&mut self, depth: u32, indentless: bool) -> Res<Value> {
        let indent = self.col();
        let depth = self.deeper(depth, self.pos())?;
        let mut items = Vec::new();
        loop {
            self.skip_inline(1);
            let empty = self.pos();
            let item = self.block_node(indent, true, false, depth, empty)?;
            self.end_of_node()?;
            items.push(item);
            if self.at_document_end() {
                break;
            }
            let col = self.col();
            if col < indent {
                break;
            }
            if col > indent {
                return Err(self.err_here(ErrorKind::BadIndent));
            }
            if !self.at_seq_entry() {
                if indentless {
                    break;
                }
                return Err(self.err_here(ErrorKind::BadIndent));
            }
        }
        Ok(Value::Seq(items))
    }

    fn finish_empty(&self, tag: Option<(Tag, Pos)>, empty: Pos) -> Res<Node> {
        let at = tag.map_or(empty, |(_, p)| p);
        self.finish_scalar(tag.map(|t| t.0), String::new(), true, at)
    }

    #[inline(never)]
    fn finish_coll(&self, tag: Option<(Tag, Pos)>, value: Value, at: Pos) -> Res<Node> {
        self.finish_coll_tag(tag.map(|t| t.0), value, at)
    }

    fn finish_coll_tag(&self, tag: Option<Tag>, value: Value, at: Pos) -> Res<Node> {
        let fits = matches!(
            (tag, &value),
            (None | Some(Tag::NonSpecific), _)
                | (Some(Tag::Seq), Value::Seq(_))
                | (Some(Tag::Map), Value::Map(_))
        );
        if !fits {
            return Err(self.err(ErrorKind::BadTagValue, at));
        }
        Ok(Node::new(at, value))
    }

    fn finish_scalar(&self, tag: Option<Tag>, text: String, plain: bool, at: Pos) -> Res<Node> {
        let value = match tag {
            None | Some(Tag::NonSpecific) if plain => resolve_plain(text),
            None | Some(Tag::NonSpecific) => Value::Str(text),
            Some(t) => construct(t, text).map_err(|kind| self.err(kind, at))?,
        };
        Ok(Node::new(at, value))
    }

    /// Reads a tag at `!`. In flow context it also ends at a flow indicator.
    fn tag(&mut self, flow: bool) -> Res<Tag> {
        let at = self.pos();
        let start = self.i;
        if self.peek_at(1) == b'<' {
            while !matches!(self.peek(), b'>' | b' ' | b'\t' | b'\n' | EOF) {
                self.i += 1;
            }
            if self.peek() != b'>' {
                return Err(self.err(ErrorKind::CustomTag, at));
            }
            self.i += 1;
        } else {
            while !self.tag_ends(flow) {
                self.i += 1;
            }
        }
        let raw = self.s.get(start..self.i).unwrap_or_default();
        let name = if raw == b"!" {
            raw
        } else {
            raw.strip_prefix(b"!!")
                .or_else(|| {
                    raw.strip_prefix(b"!<tag:yaml.org,2002:")
                        .and_then(|r| r.strip_suffix(b">"))
                })
                .unwrap_or_default()
        };
        let tag = TAG_NAMES
            .split(|&b| b == b' ')
            .position(|w| w == name)
            .and_then(|i| TAGS.get(i))
            .copied()
            .ok_or_else(|| self.err(ErrorKind::CustomTag, at))?;
        if !self.tag_ends(flow) {
            return Err(self.err_here(ErrorKind::UnexpectedChar));
        }
        Ok(tag)
    }

    fn tag_ends(&self, flow: bool) -> bool {
        is_ws(self.peek()) || (flow && is_flow_indicator(self.peek()))
    }

    /// Whether a plain scalar may start with `c` (PyYAML's `check_plain`).
    #[inline(never)]
    fn starts_plain(&self, c: u8, flow: bool) -> bool {
        match c {
            b'-' => !self.ws_after(1),
            b'?' | b':' => !flow && !self.ws_after(1),
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => false,
            c => !is_ws(c),
        }
    }

    /// A quoted or plain scalar under the cursor; for a quoted one, also
    /// the blanks after it, so `colon` can see a following `: `.
    fn scalar(&mut self, parent: i64, flow: bool, single_line: bool) -> Res<Scalar> {
        match self.peek() {
            b'"' | b'\'' => {
                let (text, multiline) = self.quoted()?;
                self.skip_spaces();
                Ok(Scalar {
                    text,
                    multiline,
                    colon: self.peek() == b':' && self.ws_after(1),
                    plain: false,
                })
            }
            c if self.starts_plain(c, flow) => self.plain(parent, flow, single_line),
            _ => Err(self.err_here(ErrorKind::UnexpectedChar)),
        }
    }

    /// A plain scalar, folded over lines like YAML does. Stops before `: `,
    /// ` #`, a flow indicator (in flow context), `---`/`...`, or a line not
    /// indented deeper than `parent` (block context).
    fn plain(&mut self, parent: i64, flow: bool, single_line: bool) -> Res<Scalar> {
        let min_col = parent.saturating_add(1);
        let mut out: Vec<u8> = Vec::new();
        // Blanks and breaks are appended as they come; `kept` is the length
        // up to the last chunk, so a separator no chunk follows is cut off.
        let mut kept = 0;
        let mut multiline = false;
        let mut last_line = self.line;
        'chunks: loop {
            let start = self.i;
            loop {
                let c = self.peek();
                if is_ws(c) {
                    break;
                }
                if c == b':' {
                    let n = self.peek_at(1);
                    if is_ws(n) || (flow && is_flow_indicator(n)) {
                        break;
                    }
                }
                if flow && (is_flow_indicator(c) || c == b'?') {
                    break;
                }
                self.i += 1;
            }
            let chunk = self.s.get(start..self.i).unwrap_or_default();
            if chunk.is_empty() {
                break;
            }
            out.extend_from_slice(chunk);
            kept = out.len();
            last_line = self.line;
            let blank_start = self.i;
            self.skip_spaces();
            match self.peek() {
                b'#' => break,
                b'\n' if !single_line => {
                    self.bump();
                    let mut breaks = 0usize;
                    let mut tab = None;
                    loop {
                        if self.at_boundary() {
                            break 'chunks;
                        }
                        while matches!(self.peek(), b' ' | b'\t') {
                            if self.peek() == b'\t' && tab.is_none() {
                                tab = Some(self.pos());
                            }
                            self.i += 1;
                        }
                        if self.peek() != b'\n' {
                            break;
                        }
                        self.bump();
                        breaks = breaks.saturating_add(1);
                        tab = None;
                    }
                    if self.peek() == EOF || self.peek() == b'#' {
                        break;
                    }
                    if let (Some(at), false) = (tab, flow) {
                        return Err(self.err(ErrorKind::Tab, at));
                    }
                    if !flow && self.col() < min_col {
                        break;
                    }
                    fold(&mut out, breaks);
                    multiline = true;
                }
                _ => out.extend_from_slice(self.s.get(blank_start..self.i).unwrap_or_default()),
            }
        }
        out.truncate(kept);
        Ok(Scalar {
            text: into_text(out),
            multiline,
            colon: self.line == last_line && self.peek() == b':' && self.ws_after(1),
            plain: true,
        })
    }

    /// A single- or double-quoted scalar under the cursor. Returns the text and
    /// whether it spans lines.
    fn quoted(&mut self) -> Res<(String, bool)> {
        let open = self.pos();
        let double = self.peek() == b'"';
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            loop {
                match self.peek() {
                    b'\'' if !double => {
                        if self.peek_at(1) != b'\'' {
                            break;
                        }
                        out.push(b'\'');
                        self.i += 2;
                    }
                    b'"' if double => break,
                    b'\\' if double => self.escape(&mut out, open)?,
                    b' ' | b'\t' | b'\n' | EOF => break,
                    c => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
            if matches!(self.peek(), b'\'' | b'"') {
                self.i += 1;
                break;
            }
            let blank_start = self.i;
            self.skip_spaces();
            match self.peek() {
                EOF => return Err(self.err(ErrorKind::UnterminatedQuote, open)),
                b'\n' => {
                    // Trailing blanks are dropped; one break folds to a space,
                    // each further (blank) line keeps a newline.
                    self.bump();
                    let n = self.quoted_breaks(open)?;
                    fold(&mut out, n);
                }
                _ => out.extend_from_slice(self.s.get(blank_start..self.i).unwrap_or_default()),
            }
        }
        let multiline = self.line != open.line;
        let text = into_text(out);
        Ok((text, multiline))
    }

    /// Blank lines inside a quoted scalar, after a line break: returns how
    /// many, leaving the cursor past the next line's indentation.
    fn quoted_breaks(&mut self, open: Pos) -> Res<usize> {
        let mut n = 0usize;
        loop {
            if self.at_boundary() {
                return Err(self.err(ErrorKind::UnterminatedQuote, open));
            }
            self.skip_spaces();
            if self.peek() != b'\n' {
                return Ok(n);
            }
            self.bump();
            n = n.saturating_add(1);
        }
    }

    /// One `\` escape of a double-quoted scalar.
    fn escape(&mut self, out: &mut Vec<u8>, open: Pos) -> Res<()> {
        let at = self.pos();
        self.i += 1;
        let c = self.peek();
        let ch = if let Some(&ch) = ESC_KEYS
            .iter()
            .position(|&k| k == c)
            .and_then(|i| ESC_CHARS.get(i))
        {
            self.i += 1;
            Some(ch)
        } else if let Some(w) = b"xuU".iter().position(|&k| k == c) {
            // Two, four or eight hex digits.
            self.i += 1;
            self.hex(2 << w).and_then(|code| self.code_point(c, code))
        } else if c == b'\n' {
            // An escaped line break joins the lines without a space.
            self.bump();
            let n = self.quoted_breaks(open)?;
            newlines(out, n);
            return Ok(());
        } else {
            None
        };
        let ch = ch.ok_or_else(|| self.err(ErrorKind::BadEscape, at))?;
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// The character of a `\x`/`\u`/`\U` escape; a `\u` high surrogate must
    /// be followed by a `\u` low surrogate (JSON's way to write astral characters).
    fn code_point(&mut self, kind: u8, code: u32) -> Option<char> {
        if kind == b'u' && (0xD800..0xDC00).contains(&code) {
            if self.peek() != b'\\' || self.peek_at(1) != b'u' {
                return None;
            }
            self.i += 2;
            let low = self.hex(4)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            return char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00));
        }
        char::from_u32(code)
    }

    fn hex(&mut self, width: usize) -> Option<u32> {
        let digits = self.rest().get(..width)?;
        let mut code: u32 = 0;
        // At most eight digits: the shifts never lose a bit.
        for &d in digits {
            code = (code << 4) | char::from(d).to_digit(16)?;
        }
        self.i += width;
        Some(code)
    }

    /// A `|` or `>` block scalar, ported from PyYAML's `scan_block_scalar` so
    /// chomping, folding and indentation detection match it exactly.
    fn block_scalar(&mut self, parent: i64) -> Res<String> {
        let folded = self.peek() == b'>';
        self.i += 1;
        let mut chomp: Option<bool> = None;
        let mut increment: Option<i64> = None;
        for _ in 0..2 {
            match self.peek() {
                c @ (b'+' | b'-') if chomp.is_none() => chomp = Some(c == b'+'),
                c @ b'1'..=b'9' if increment.is_none() => increment = Some(i64::from(c - b'0')),
                b' ' | b'\t' | b'\n' | EOF => break,
                _ => return Err(self.err_here(ErrorKind::BadBlockHeader)),
            }
            self.i += 1;
        }
        if !is_ws(self.peek()) {
            return Err(self.err_here(ErrorKind::BadBlockHeader));
        }
        self.skip_spaces();
        if self.peek() == b'#' {
            while !matches!(self.peek(), b'\n' | EOF) {
                self.i += 1;
            }
        }
        match self.peek() {
            EOF => {}
            b'\n' => self.bump(),
            _ => return Err(self.err_here(ErrorKind::BadBlockHeader)),
        }
        let min_indent = parent.saturating_add(1).max(1);
        let (mut breaks, indent) = match increment {
            Some(n) => {
                let indent = min_indent.saturating_add(n - 1);
                (self.block_breaks(indent), indent)
            }
            None => {
                let (breaks, max) = self.block_indentation();
                (breaks, min_indent.max(max))
            }
        };
        let mut out: Vec<u8> = Vec::new();
        let mut line_break = 0usize;
        while self.col() == indent && self.peek() != EOF {
            newlines(&mut out, breaks);
            let leading_non_space = !matches!(self.peek(), b' ' | b'\t');
            let start = self.i;
            while !matches!(self.peek(), b'\n' | EOF) {
                self.i += 1;
            }
            out.extend_from_slice(self.s.get(start..self.i).unwrap_or_default());
            line_break = usize::from(self.peek() == b'\n');
            self.bump();
            breaks = self.block_breaks(indent);
            if self.col() != indent || self.peek() == EOF {
                break;
            }
            if folded
                && line_break == 1
                && leading_non_space
                && !matches!(self.peek(), b' ' | b'\t')
            {
                if breaks == 0 {
                    out.push(b' ');
                }
            } else {
                newlines(&mut out, line_break);
            }
        }
        if chomp != Some(false) {
            newlines(&mut out, line_break);
        }
        if chomp == Some(true) {
            newlines(&mut out, breaks);
        }
        Ok(into_text(out))
    }

    /// Leading blank lines of a block scalar without an indentation
    /// indicator, and the deepest indentation among them and the first line.
    fn block_indentation(&mut self) -> (usize, i64) {
        let mut breaks = 0usize;
        let mut max = 0i64;
        loop {
            match self.peek() {
                b' ' => {
                    self.i += 1;
                    max = max.max(self.col());
                }
                b'\n' => {
                    self.bump();
                    breaks = breaks.saturating_add(1);
                }
                _ => return (breaks, max),
            }
        }
    }

    /// Blank lines (indented less than `indent`) inside a block scalar.
    fn block_breaks(&mut self, indent: i64) -> usize {
        let mut n = 0usize;
        loop {
            while self.col() < indent && self.peek() == b' ' {
                self.i += 1;
            }
            if self.peek() != b'\n' {
                return n;
            }
            self.bump();
            n = n.saturating_add(1);
        }
    }

    /// `? `, `&` and `*` start what this parser refuses to read: complex
    /// keys, anchors and aliases.
    fn refuse(&self, at: Pos) -> Res<()> {
        let kind = match self.peek() {
            b'?' if self.ws_after(1) => ErrorKind::ComplexKey,
            b'&' => ErrorKind::Anchor,
            b'*' => ErrorKind::Alias,
            _ => return Ok(()),
        };
        Err(self.err(kind, at))
    }

    /// Skips whitespace inside a flow collection opened at `open`.
    fn flow_ws(&mut self, open: Pos) -> Res<()> {
        self.skip_ws(false)?;
        if self.at_document_end() {
            return Err(self.err(ErrorKind::UnterminatedFlow, open));
        }
        Ok(())
    }

    /// A `[...]` or `{...}` collection under the cursor, JSON included.
    fn flow_collection(&mut self, depth: u32) -> Res<Value> {
        let open = self.pos();
        let depth = self.deeper(depth, open)?;
        let is_map = self.peek() == b'{';
        let close = if is_map { b'}' } else { b']' };
        self.i += 1;
        let mut items = Vec::new();
        let mut map = MapBuilder::default();
        loop {
            self.flow_ws(open)?;
            if self.peek() == close {
                self.i += 1;
                break;
            }
            let flow = self.flow_node(open, depth)?;
            self.flow_ws(open)?;
            let colon = self.peek() == b':';
            match flow {
                Flow::Coll(node) if colon || is_map => {
                    return Err(self.err(ErrorKind::ComplexKey, node.pos))
                }
                Flow::Coll(node) => items.push(node),
                Flow::Scalar {
                    text,
                    plain,
                    tag,
                    pos,
                } if !colon && !is_map => items.push(self.finish_scalar(tag, text, plain, pos)?),
                Flow::Scalar {
                    text: key,
                    plain,
                    tag,
                    pos: key_pos,
                } => {
                    if colon && self.line != key_pos.line {
                        // PyYAML: a key and its `:` share one line, in flow too.
                        return Err(self.err_here(ErrorKind::UnexpectedChar));
                    }
                    if let Some(t) = tag {
                        self.check_key_tag(t, key_pos)?;
                    } else if plain && is_merge(&key) {
                        return Err(self.err(ErrorKind::MergeKey, key_pos));
                    }
                    let mut value = Node::new(key_pos, Value::Null);
                    if colon {
                        self.i += 1;
                        value.pos = self.pos();
                        self.flow_ws(open)?;
                        if !matches!(self.peek(), b',') && self.peek() != close {
                            let v = self.flow_node(open, depth)?;
                            value = self.finish_flow(v)?;
                        }
                    }
                    if is_map {
                        map.insert(key, key_pos, value);
                    } else {
                        // `[a: 1]` is a sequence holding a single-pair mapping.
                        let entry = Entry {
                            key,
                            key_pos,
                            value,
                        };
                        items.push(Node::new(key_pos, Value::Map(alloc::vec![entry])));
                    }
                }
            }
            self.flow_next(open, close)?;
        }
        Ok(if is_map {
            Value::Map(map.entries)
        } else {
            Value::Seq(items)
        })
    }

    /// After a flow entry: a `,` (consumed) or the closing bracket (left).
    fn flow_next(&mut self, open: Pos, close: u8) -> Res<()> {
        self.flow_ws(open)?;
        match self.peek() {
            b',' => {
                self.i += 1;
                Ok(())
            }
            c if c == close => Ok(()),
            _ => Err(self.err_here(ErrorKind::UnexpectedChar)),
        }
    }

    fn flow_node(&mut self, open: Pos, depth: u32) -> Res<Flow> {
        let pos = self.pos();
        let mut tag = None;
        if self.peek() == b'!' {
            tag = Some(self.tag(true)?);
            self.flow_ws(open)?;
            if matches!(self.peek(), b',' | b']' | b'}' | b':') {
                return Ok(Flow::Scalar {
                    text: String::new(),
                    plain: true,
                    tag,
                    pos,
                });
            }
        }
        let here = self.pos();
        self.refuse(here)?;
        let (text, plain) = match self.peek() {
            b'[' | b'{' => {
                let value = self.flow_collection(depth)?;
                return Ok(Flow::Coll(self.finish_coll_tag(tag, value, pos)?));
            }
            _ => {
                let s = self.scalar(-1, true, false)?;
                (s.text, s.plain)
            }
        };
        Ok(Flow::Scalar {
            text,
            plain,
            tag,
            pos,
        })
    }

    fn finish_flow(&self, flow: Flow) -> Res<Node> {
        match flow {
            Flow::Scalar {
                text,
                plain,
                tag,
                pos,
            } => self.finish_scalar(tag, text, plain, pos),
            Flow::Coll(node) => Ok(node),
        }
    }
}

/// An explicitly tagged scalar, read like PyYAML's `SafeConstructor`.
fn construct(tag: Tag, text: String) -> Result<Value, ErrorKind> {
    let value = match tag {
        Tag::Str | Tag::NonSpecific => Some(Value::Str(text)),
        Tag::Int => construct_int(&text).map(Value::Int),
        Tag::Float if float_ok(&text) => Some(Value::Float(text)),
        Tag::Bool => word(&text, false).flatten().map(Value::Bool),
        Tag::Null => (word(&text, true) == Some(None)).then_some(Value::Null),
        Tag::Binary => return base64(&text).map(Value::Binary).ok_or(ErrorKind::BadBinary),
        Tag::Float | Tag::Seq | Tag::Map => None,
    };
    value.ok_or(ErrorKind::BadTagValue)
}

/// PyYAML's null and bool words, each after the letter of what it means
/// (`n`ull, `t`rue, `f`alse); the lone `n` is the empty scalar.
const WORDS: &[u8] = b"n n~ nnull tyes ttrue ton fno ffalse foff";

/// Looks `text` up in [`WORDS`] ignoring ASCII case: `Some(None)` for null,
/// `Some(Some(b))` for a bool. `exact` also asks for one of the three
/// spellings PyYAML's resolver knows (`yes`, `Yes`, `YES`).
fn word(text: &str, exact: bool) -> Option<Option<bool>> {
    let t = text.as_bytes();
    let rest = t.get(1..).unwrap_or_default();
    if exact && !(rest.iter().all(u8::is_ascii_lowercase) || t.iter().all(u8::is_ascii_uppercase)) {
        return None;
    }
    for w in WORDS.split(|&b| b == b' ') {
        if let [code, w @ ..] = w {
            if t.eq_ignore_ascii_case(w) {
                return Some((*code != b'n').then_some(*code == b't'));
            }
        }
    }
    None
}

/// Untagged plain scalars, by PyYAML's YAML 1.1 implicit resolvers.
fn resolve_plain(text: String) -> Value {
    match word(&text, true) {
        Some(None) => return Value::Null,
        Some(Some(b)) => return Value::Bool(b),
        None => {}
    }
    if looks_int(text.as_bytes()) {
        // What matches the pattern but does not fit (or that PyYAML itself
        // fails on, like `0b_`) stays text rather than becoming an error.
        if let Some(n) = construct_int(&text) {
            return Value::Int(n);
        }
    } else if looks_float(text.as_bytes()) {
        // Everything the pattern matches, PyYAML's float constructor reads.
        return Value::Float(text);
    }
    Value::Str(text)
}

fn strip_sign(b: &[u8]) -> (bool, &[u8]) {
    match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    }
}

/// Length of the leading run of `[0-9_]`.
fn digits_len(s: &[u8]) -> usize {
    s.iter()
        .take_while(|&&c| c.is_ascii_digit() || c == b'_')
        .count()
}

/// `[-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
/// | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
fn looks_int(b: &[u8]) -> bool {
    let (_, body) = strip_sign(b);
    let (r, max) = match body {
        [b'0', b'b', r @ ..] if !r.is_empty() => (r, b'1'),
        [b'0', b'x', r @ ..] if !r.is_empty() => {
            return r.iter().all(|&c| c.is_ascii_hexdigit() || c == b'_')
        }
        [b'0', r @ ..] => (r, b'7'),
        [b'1'..=b'9', r @ ..] => {
            let mut parts = r.split(|&c| c == b':');
            return parts.next().is_some_and(|p| digits_len(p) == p.len())
                && parts.all(is_sexagesimal_digit);
        }
        _ => return false,
    };
    r.iter().all(|&c| (b'0'..=max).contains(&c) || c == b'_')
}

/// `[0-5]?[0-9]`
fn is_sexagesimal_digit(part: &[u8]) -> bool {
    match part {
        [d] => d.is_ascii_digit(),
        [t, d] => matches!(t, b'0'..=b'5') && d.is_ascii_digit(),
        _ => false,
    }
}

/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)?
/// | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
fn looks_float(b: &[u8]) -> bool {
    let (_, body) = strip_sign(b);
    let one_of = |s: &[u8], words: [&[u8; 4]; 3]| {
        let s = s.try_into().map_or(0, u32::from_le_bytes);
        words.iter().any(|w| u32::from_le_bytes(**w) == s)
    };
    if one_of(b, [b".nan", b".NaN", b".NAN"]) || one_of(body, [b".inf", b".Inf", b".INF"]) {
        return true;
    }
    let Some(dot) = body.iter().position(|&c| c == b'.') else {
        return false;
    };
    let (head, tail) = body.split_at(dot);
    let tail = tail.get(1..).unwrap_or_default();
    let (frac, exp) = tail.split_at(digits_len(tail));
    match head.split_first() {
        // The leading-dot form takes no sign.
        None => {
            b.first() == Some(&b'.')
                && frac.first().is_some_and(u8::is_ascii_digit)
                && exponent_ok(exp)
        }
        Some((d, r)) => {
            let sexa = r.get(digits_len(r)..).unwrap_or_default();
            d.is_ascii_digit()
                && match sexa.split_first() {
                    None => exponent_ok(exp),
                    Some((b':', parts)) => {
                        exp.is_empty() && parts.split(|&c| c == b':').all(is_sexagesimal_digit)
                    }
                    Some(_) => false,
                }
        }
    }
}

/// `` (empty) or `[eE][-+][0-9]+`
fn exponent_ok(r: &[u8]) -> bool {
    match r {
        [] => true,
        [e, s, digits @ ..] => {
            matches!(e, b'e' | b'E')
                && matches!(s, b'-' | b'+')
                && !digits.is_empty()
                && digits.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// The text without `_`, which PyYAML's int and float constructors ignore.
fn cleaned(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in text.bytes() {
        if c != b'_' {
            out.push(c);
        }
    }
    out
}

/// PyYAML's `construct_yaml_int`: `_` ignored, `0b`/`0x` prefixes, a leading
/// `0` means octal, `a:b:c` is base 60. `None` if invalid or out of range.
fn construct_int(text: &str) -> Option<i64> {
    let cleaned = cleaned(text);
    let (neg, body) = strip_sign(&cleaned);
    let (digits, base) = match body {
        [b'0', b'b', r @ ..] => (r, 2),
        [b'0', b'x', r @ ..] => (r, 16),
        [b'0', b'o', r @ ..] => (r, 8),
        [b'0', ..] => (body, 8),
        _ => (body, 10),
    };
    let mut total: u64 = 0;
    for part in digits.split(|&c| c == b':' && base == 10) {
        total = total.checked_mul(60)?.checked_add(radix(part, base)?)?;
    }
    if neg {
        0i64.checked_sub_unsigned(total)
    } else {
        i64::try_from(total).ok()
    }
}

/// PyYAML's `construct_yaml_float` accepts: `_` ignored, case-insensitive
/// `.inf`/`.nan`, base 60 with `:`, otherwise what Python's `float()` reads.
/// The tree keeps floats as written, so this only checks.
fn float_ok(text: &str) -> bool {
    let cleaned = cleaned(text);
    let (_, body) = strip_sign(&cleaned);
    if [".inf", ".nan", "inf", "nan", "infinity"]
        .iter()
        .any(|w| body.eq_ignore_ascii_case(w.as_bytes()))
    {
        return true;
    }
    match body.iter().rposition(|&c| c == b':') {
        Some(i) => {
            let (head, last) = body.split_at(i);
            head.split(|&c| c == b':')
                .all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
                && decimal(last.get(1..).unwrap_or_default())
        }
        None => decimal(body),
    }
}

/// A decimal number as Python's `float()` reads it (no sign): digits with at
/// most one `.`, at least one digit, then an optional exponent.
fn decimal(s: &[u8]) -> bool {
    let (mant, exp) = match s.iter().position(|&b| (b | 0x20) == b'e') {
        Some(i) => {
            let (m, e) = s.split_at(i);
            (m, Some(strip_sign(e.get(1..).unwrap_or_default()).1))
        }
        None => (s, None),
    };
    let mut digits = false;
    let mut dot = false;
    for &c in mant {
        match c {
            b'0'..=b'9' => digits = true,
            b'.' if !dot => dot = true,
            _ => return false,
        }
    }
    digits && exp.is_none_or(|e| !e.is_empty() && e.iter().all(u8::is_ascii_digit))
}

/// Base64 as Python's `base64.decodebytes` (what PyYAML uses) reads it:
/// characters outside the alphabet are skipped, a complete `=` padding ends
/// the data, and a final partial group without its padding is an error.
fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    // Sextets not yet written out, the newest in the low bits; `bits` of them count.
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut quad = 0u8;
    let mut pads = 0u8;
    for b in text.bytes() {
        if b == b'=' {
            pads = pads.saturating_add(1);
            if quad >= 2 && quad.saturating_add(pads) >= 4 {
                return Some(out);
            }
            continue;
        }
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        quad = (quad + 1) & 3;
    }
    (quad == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;
    use std::string::ToString;

    // ---- helpers: trees without positions -------------------------------

    /// A source text and a builder of the tree it must parse into.
    type Case = (&'static str, fn() -> Value);

    fn node(value: Value) -> Node {
        Node::new(Pos::default(), value)
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_string())
    }

    fn int(n: i64) -> Value {
        Value::Int(n)
    }

    fn flt(f: &str) -> Value {
        Value::Float(f.into())
    }

    fn boolean(b: bool) -> Value {
        Value::Bool(b)
    }

    fn null() -> Value {
        Value::Null
    }

    fn bin(bytes: &[u8]) -> Value {
        Value::Binary(bytes.to_vec())
    }

    fn seq(items: Vec<Value>) -> Value {
        Value::Seq(items.into_iter().map(node).collect())
    }

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Entry {
                    key: k.to_string(),
                    key_pos: Pos::default(),
                    value: node(v),
                })
                .collect(),
        )
    }

    fn strip(n: &Node) -> Value {
        match &n.value {
            Value::Seq(items) => Value::Seq(items.iter().map(|i| node(strip(i))).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        key_pos: Pos::default(),
                        value: node(strip(&e.value)),
                    })
                    .collect(),
            ),
            v => v.clone(),
        }
    }

    fn yaml(src: &str) -> Value {
        match parse(src.as_bytes()) {
            Ok(n) => strip(&n),
            Err(e) => panic!("{src:?}: {e}"),
        }
    }

    fn fails(src: &[u8]) -> Error {
        match parse(src) {
            Ok(n) => panic!("{src:?} parsed: {n:?}"),
            Err(e) => e,
        }
    }

    fn pos(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    // ---- real-world documents --------------------------------------------

    #[test]
    fn cloud_init_snippets() {
        let cases: &[Case] = &[
            (
                // 1: users with keys, sudo rule with colons, flow groups
                "#cloud-config\nusers:\n  - default\n  - name: foobar\n    gecos: Foo B. Bar\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    groups: [users, admin]\n    lock_passwd: false\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG foo@bar\n      - ssh-rsa AAAAB3NzaC1yc2E= baz@qux\n",
                || {
                    map(vec![(
                        "users",
                        seq(vec![
                            s("default"),
                            map(vec![
                                ("name", s("foobar")),
                                ("gecos", s("Foo B. Bar")),
                                ("sudo", s("ALL=(ALL) NOPASSWD:ALL")),
                                ("groups", seq(vec![s("users"), s("admin")])),
                                ("lock_passwd", boolean(false)),
                                (
                                    "ssh_authorized_keys",
                                    seq(vec![
                                        s("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG foo@bar"),
                                        s("ssh-rsa AAAAB3NzaC1yc2E= baz@qux"),
                                    ]),
                                ),
                            ]),
                        ]),
                    )])
                },
            ),
            (
                // 2: indentless sequence of mappings, literal content, quoted vs octal modes
                "write_files:\n- path: /etc/motd\n  content: |\n    Hello\n      indented\n\n    world\n  permissions: '0644'\n- path: /etc/x\n  permissions: 0644\n  owner: root:root\n",
                || {
                    map(vec![(
                        "write_files",
                        seq(vec![
                            map(vec![
                                ("path", s("/etc/motd")),
                                ("content", s("Hello\n  indented\n\nworld\n")),
                                ("permissions", s("0644")),
                            ]),
                            map(vec![
                                ("path", s("/etc/x")),
                                ("permissions", int(420)),
                                ("owner", s("root:root")),
                            ]),
                        ]),
                    )])
                },
            ),
            (
                // 3: base64 content stays a string; the encoding key says how to read it
                "write_files:\n  - encoding: b64\n    content: CiMgVGhpcyBmaWxlIGNvbnRyb2xzIHRoZSBzdGF0ZSBvZiBTRUxpbnV4\n    owner: root:root\n    path: /etc/sysconfig/selinux\n    permissions: '0644'\n",
                || {
                    map(vec![(
                        "write_files",
                        seq(vec![map(vec![
                            ("encoding", s("b64")),
                            (
                                "content",
                                s("CiMgVGhpcyBmaWxlIGNvbnRyb2xzIHRoZSBzdGF0ZSBvZiBTRUxpbnV4"),
                            ),
                            ("owner", s("root:root")),
                            ("path", s("/etc/sysconfig/selinux")),
                            ("permissions", s("0644")),
                        ])]),
                    )])
                },
            ),
            (
                // 4: runcmd with flow lists, quotes of both kinds, and a plain command
                "runcmd:\n - [ ls, -l, / ]\n - [ sh, -xc, \"echo $(date) ': hello world!'\" ]\n - [ sh, -c, echo \"=========hello world'=========\" ]\n - ls -l /root\n",
                || {
                    map(vec![(
                        "runcmd",
                        seq(vec![
                            seq(vec![s("ls"), s("-l"), s("/")]),
                            seq(vec![s("sh"), s("-xc"), s("echo $(date) ': hello world!'")]),
                            seq(vec![
                                s("sh"),
                                s("-c"),
                                s("echo \"=========hello world'=========\""),
                            ]),
                            s("ls -l /root"),
                        ]),
                    )])
                },
            ),
            (
                // 5: chpasswd as nested flow collections
                "chpasswd: {expire: False, users: [{name: x, password: y, type: text}]}",
                || {
                    map(vec![(
                        "chpasswd",
                        map(vec![
                            ("expire", boolean(false)),
                            (
                                "users",
                                seq(vec![map(vec![
                                    ("name", s("x")),
                                    ("password", s("y")),
                                    ("type", s("text")),
                                ])]),
                            ),
                        ]),
                    )])
                },
            ),
            (
                // 6: chpasswd's older literal list form
                "chpasswd:\n  list: |\n    root:password1\n    ubuntu:RANDOM\n  expire: True\n",
                || {
                    map(vec![(
                        "chpasswd",
                        map(vec![
                            ("list", s("root:password1\nubuntu:RANDOM\n")),
                            ("expire", boolean(true)),
                        ]),
                    )])
                },
            ),
            (
                // 7: bootcmd with a quoted list entry
                "bootcmd:\n  - echo 192.168.1.130 us.archive.ubuntu.com >> /etc/hosts\n  - [ cloud-init-per, once, mymkfs, mkfs, /dev/vdb ]\n",
                || {
                    map(vec![(
                        "bootcmd",
                        seq(vec![
                            s("echo 192.168.1.130 us.archive.ubuntu.com >> /etc/hosts"),
                            seq(vec![
                                s("cloud-init-per"),
                                s("once"),
                                s("mymkfs"),
                                s("mkfs"),
                                s("/dev/vdb"),
                            ]),
                        ]),
                    )])
                },
            ),
            (
                // 8: hostname keys
                "manage_etc_hosts: localhost\nhostname: myhost\nfqdn: myhost.example.com\nprefer_fqdn_over_hostname: true\n",
                || {
                    map(vec![
                        ("manage_etc_hosts", s("localhost")),
                        ("hostname", s("myhost")),
                        ("fqdn", s("myhost.example.com")),
                        ("prefer_fqdn_over_hostname", boolean(true)),
                    ])
                },
            ),
            (
                // 9: !!binary block
                "write_files:\n- encoding: gzip\n  content: !!binary |\n    H4sIAIDb/U8C/1NW1E/KzNMvzuBKTc7IV8hIzcnJVyjPL8pJ4QIA6N+MVxsAAAA=\n  path: /usr/bin/hello\n",
                || {
                    map(vec![(
                        "write_files",
                        seq(vec![map(vec![
                            ("encoding", s("gzip")),
                            (
                                "content",
                                bin(&[
                                    0x1f, 0x8b, 0x08, 0x00, 0x80, 0xdb, 0xfd, 0x4f, 0x02, 0xff,
                                    0x53, 0x56, 0xd4, 0x4f, 0xca, 0xcc, 0xd3, 0x2f, 0xce, 0xe0,
                                    0x4a, 0x4d, 0xce, 0xc8, 0x57, 0xc8, 0x48, 0xcd, 0xc9, 0xc9,
                                    0x57, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0xe1, 0x02, 0x00, 0xe8,
                                    0xdf, 0x8c, 0x57, 0x1b, 0x00, 0x00, 0x00,
                                ]),
                            ),
                            ("path", s("/usr/bin/hello")),
                        ])]),
                    )])
                },
            ),
            (
                // 10: password hashes full of `$` and `/`
                "users:\n  - name: u\n    passwd: $6$rounds=4096$J86aZz0Q$To16RGzWJku0$/lG8Nl9M7Ssz5lU6.e0\n",
                || {
                    map(vec![(
                        "users",
                        seq(vec![map(vec![
                            ("name", s("u")),
                            ("passwd", s("$6$rounds=4096$J86aZz0Q$To16RGzWJku0$/lG8Nl9M7Ssz5lU6.e0")),
                        ])]),
                    )])
                },
            ),
            (
                // 11: YAML 1.1 booleans, and what is not one
                "ssh_pwauth: yes\ndisable_root: false\npackage_update: On\npackage_upgrade: NO\nresize_rootfs: noblock\ny: y\nn: n\n",
                || {
                    map(vec![
                        ("ssh_pwauth", boolean(true)),
                        ("disable_root", boolean(false)),
                        ("package_update", boolean(true)),
                        ("package_upgrade", boolean(false)),
                        ("resize_rootfs", s("noblock")),
                        ("y", s("y")),
                        ("n", s("n")),
                    ])
                },
            ),
            (
                // 12: CRLF line endings, a block scalar among them
                "#cloud-config\r\nhostname: win\r\nruncmd:\r\n  - echo a\r\nmotd: |\r\n  line1\r\n  line2\r\n",
                || {
                    map(vec![
                        ("hostname", s("win")),
                        ("runcmd", seq(vec![s("echo a")])),
                        ("motd", s("line1\nline2\n")),
                    ])
                },
            ),
            (
                // 13: lone CR line endings
                "a: 1\rb:\r  - x\r",
                || map(vec![("a", int(1)), ("b", seq(vec![s("x")]))]),
            ),
            (
                // 14: byte order mark
                "\u{feff}#cloud-config\nhostname: bom\n",
                || map(vec![("hostname", s("bom"))]),
            ),
            (
                // 15: explicit document start and end with comments around them
                "# head\n--- # start\ninstance-id: iid-local01\nlocal-hostname: cloudimg\n... # end\n# tail\n",
                || {
                    map(vec![
                        ("instance-id", s("iid-local01")),
                        ("local-hostname", s("cloudimg")),
                    ])
                },
            ),
            (
                // 16: JSON meta-data, quoted keys with no space after the colon
                "{\"instance-id\":\"i-1\",\"public-keys\":[\"a\"],\"n\":1.5,\"t\":true,\"z\":null}",
                || {
                    map(vec![
                        ("instance-id", s("i-1")),
                        ("public-keys", seq(vec![s("a")])),
                        ("n", flt("1.5")),
                        ("t", boolean(true)),
                        ("z", null()),
                    ])
                },
            ),
            (
                // 17: pretty-printed JSON over many lines, nested, with escapes
                "{\n  \"uuid\": \"83679162-1378-4288-a2d4-70e13ec132aa\",\n  \"meta\": {\"role\": \"web\\u00e9\", \"list\": [1, [2, {\"x\": -3}], {}]},\n  \"hostname\": \"test.novalocal\",\n  \"keys\": [\n    {\"data\": \"ssh-rsa AAA\\/B\", \"type\": \"ssh\"}\n  ]\n}\n",
                || {
                    map(vec![
                        ("uuid", s("83679162-1378-4288-a2d4-70e13ec132aa")),
                        (
                            "meta",
                            map(vec![
                                ("role", s("web\u{e9}")),
                                (
                                    "list",
                                    seq(vec![
                                        int(1),
                                        seq(vec![int(2), map(vec![("x", int(-3))])]),
                                        map(vec![]),
                                    ]),
                                ),
                            ]),
                        ),
                        ("hostname", s("test.novalocal")),
                        (
                            "keys",
                            seq(vec![map(vec![
                                ("data", s("ssh-rsa AAA/B")),
                                ("type", s("ssh")),
                            ])]),
                        ),
                    ])
                },
            ),
            (
                // 18: network-config v1
                "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    mac_address: 'c0:d6:9f:2c:e8:80'\n    subnets:\n      - type: static\n        address: 192.168.1.10/24\n        gateway: 192.168.1.1\n      - type: dhcp6\n  - type: nameserver\n    address: [10.0.0.1, 8.8.8.8]\n",
                || {
                    map(vec![
                        ("version", int(1)),
                        (
                            "config",
                            seq(vec![
                                map(vec![
                                    ("type", s("physical")),
                                    ("name", s("eth0")),
                                    ("mac_address", s("c0:d6:9f:2c:e8:80")),
                                    (
                                        "subnets",
                                        seq(vec![
                                            map(vec![
                                                ("type", s("static")),
                                                ("address", s("192.168.1.10/24")),
                                                ("gateway", s("192.168.1.1")),
                                            ]),
                                            map(vec![("type", s("dhcp6"))]),
                                        ]),
                                    ),
                                ]),
                                map(vec![
                                    ("type", s("nameserver")),
                                    ("address", seq(vec![s("10.0.0.1"), s("8.8.8.8")])),
                                ]),
                            ]),
                        ),
                    ])
                },
            ),
            (
                // 19: network-config v2; unquoted MAC with a `:` run stays a string
                "network:\n  version: 2\n  ethernets:\n    id0:\n      match:\n        macaddress: 00:11:22:33:44:55\n      dhcp4: true\n      addresses: [192.168.14.2/24, \"2001:1::1/64\"]\n      gateway4: 192.168.14.1\n      nameservers:\n        addresses: [8.8.8.8]\n",
                || {
                    map(vec![(
                        "network",
                        map(vec![
                            ("version", int(2)),
                            (
                                "ethernets",
                                map(vec![(
                                    "id0",
                                    map(vec![
                                        ("match", map(vec![("macaddress", s("00:11:22:33:44:55"))])),
                                        ("dhcp4", boolean(true)),
                                        (
                                            "addresses",
                                            seq(vec![s("192.168.14.2/24"), s("2001:1::1/64")]),
                                        ),
                                        ("gateway4", s("192.168.14.1")),
                                        (
                                            "nameservers",
                                            map(vec![("addresses", seq(vec![s("8.8.8.8")]))]),
                                        ),
                                    ]),
                                )]),
                            ),
                        ]),
                    )])
                },
            ),
            (
                // 20: host keys as literal blocks
                "ssh_keys:\n  rsa_private: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIBxwIBAAJhAKD0YSHy73nUgysO13XsJmd4fHiFyQ+00R7VVu2iV9Qco\n    -----END RSA PRIVATE KEY-----\n\n  rsa_public: ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAGEAoPRhIfLvedSDKw7Xd smoser@localhost\n",
                || {
                    map(vec![(
                        "ssh_keys",
                        map(vec![
                            (
                                "rsa_private",
                                s("-----BEGIN RSA PRIVATE KEY-----\nMIIBxwIBAAJhAKD0YSHy73nUgysO13XsJmd4fHiFyQ+00R7VVu2iV9Qco\n-----END RSA PRIVATE KEY-----\n"),
                            ),
                            (
                                "rsa_public",
                                s("ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAGEAoPRhIfLvedSDKw7Xd smoser@localhost"),
                            ),
                        ]),
                    )])
                },
            ),
            (
                // 21: mounts with a quoted option list
                "mounts:\n - [ ephemeral0, /mnt, auto, \"defaults,noexec\" ]\n - [ sdc, /opt/data ]\n - [ swap, null ]\n",
                || {
                    map(vec![(
                        "mounts",
                        seq(vec![
                            seq(vec![s("ephemeral0"), s("/mnt"), s("auto"), s("defaults,noexec")]),
                            seq(vec![s("sdc"), s("/opt/data")]),
                            seq(vec![s("swap"), null()]),
                        ]),
                    )])
                },
            ),
            (
                // 22: packages, versions in flow lists
                "packages:\n  - pwgen\n  - [libpython2.7, 2.7.3-0ubuntu3.1]\n  - nginx=1.18.*\n",
                || {
                    map(vec![(
                        "packages",
                        seq(vec![
                            s("pwgen"),
                            seq(vec![s("libpython2.7"), s("2.7.3-0ubuntu3.1")]),
                            s("nginx=1.18.*"),
                        ]),
                    )])
                },
            ),
            (
                // 23: folded final message, strip chomping
                "final_message: >-\n  The system is finally up,\n  after $UPTIME seconds\n\n  done\n",
                || {
                    map(vec![(
                        "final_message",
                        s("The system is finally up, after $UPTIME seconds\ndone"),
                    )])
                },
            ),
            (
                // 24: power_state flow map with a quoted "+30"
                "power_state: {mode: poweroff, delay: \"+30\", message: Bye Bye, timeout: 30, condition: True}",
                || {
                    map(vec![(
                        "power_state",
                        map(vec![
                            ("mode", s("poweroff")),
                            ("delay", s("+30")),
                            ("message", s("Bye Bye")),
                            ("timeout", int(30)),
                            ("condition", boolean(true)),
                        ]),
                    )])
                },
            ),
            (
                // 25: ntp pools and servers, trailing comments
                "ntp:\n  enabled: true # turn it on\n  pools: [0.int.pool.ntp.org, 1.int.pool.ntp.org]\n  servers:\n    - ntp.myorg.org   # primary\n    - 10.0.0.1\n",
                || {
                    map(vec![(
                        "ntp",
                        map(vec![
                            ("enabled", boolean(true)),
                            ("pools", seq(vec![s("0.int.pool.ntp.org"), s("1.int.pool.ntp.org")])),
                            ("servers", seq(vec![s("ntp.myorg.org"), s("10.0.0.1")])),
                        ]),
                    )])
                },
            ),
            (
                // 26: disk_setup keyed by device path, inline maps
                "disk_setup:\n  /dev/sdb:\n    table_type: mbr\n    layout: [[33, 82], 66]\n    overwrite: false\nfs_setup:\n  - {label: data, filesystem: ext4, device: /dev/sdb, partition: auto}\n",
                || {
                    map(vec![
                        (
                            "disk_setup",
                            map(vec![(
                                "/dev/sdb",
                                map(vec![
                                    ("table_type", s("mbr")),
                                    ("layout", seq(vec![seq(vec![int(33), int(82)]), int(66)])),
                                    ("overwrite", boolean(false)),
                                ]),
                            )]),
                        ),
                        (
                            "fs_setup",
                            seq(vec![map(vec![
                                ("label", s("data")),
                                ("filesystem", s("ext4")),
                                ("device", s("/dev/sdb")),
                                ("partition", s("auto")),
                            ])]),
                        ),
                    ])
                },
            ),
            (
                // 27: URLs with ports and `$` variables stay one scalar
                "yum_repos:\n  epel-testing:\n    baseurl: http://download.fedoraproject.org:8080/pub/epel/testing/5/$basearch\n    enabled: false\n    gpgkey: file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL\n    name: Extra Packages for Enterprise Linux 5 - Testing\n",
                || {
                    map(vec![(
                        "yum_repos",
                        map(vec![(
                            "epel-testing",
                            map(vec![
                                (
                                    "baseurl",
                                    s("http://download.fedoraproject.org:8080/pub/epel/testing/5/$basearch"),
                                ),
                                ("enabled", boolean(false)),
                                ("gpgkey", s("file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL")),
                                ("name", s("Extra Packages for Enterprise Linux 5 - Testing")),
                            ]),
                        )]),
                    )])
                },
            ),
            (
                // 28: phone_home
                "phone_home:\n  url: http://example.com/$INSTANCE_ID/\n  post: [ pub_key_rsa, instance_id ]\n  tries: 10\n",
                || {
                    map(vec![(
                        "phone_home",
                        map(vec![
                            ("url", s("http://example.com/$INSTANCE_ID/")),
                            ("post", seq(vec![s("pub_key_rsa"), s("instance_id")])),
                            ("tries", int(10)),
                        ]),
                    )])
                },
            ),
            (
                // 29: ssh_import_id, comment lines in between, multi-line plain scalar
                "ssh_import_id: [gh:user, lp:user]\n# a comment\n\ngreeting: hello\n  there\n\n  world\n",
                || {
                    map(vec![
                        ("ssh_import_id", seq(vec![s("gh:user"), s("lp:user")])),
                        ("greeting", s("hello there\nworld")),
                    ])
                },
            ),
            (
                // 30: resolv_conf; keys with spaces and quotes
                "resolv_conf:\n  nameservers: ['8.8.4.4', '8.8.8.8']\n  options: {rotate: true, timeout: 1}\nmy key: v\n'quoted key': 1\n\"dq key\": 2\n",
                || {
                    map(vec![
                        (
                            "resolv_conf",
                            map(vec![
                                ("nameservers", seq(vec![s("8.8.4.4"), s("8.8.8.8")])),
                                ("options", map(vec![("rotate", boolean(true)), ("timeout", int(1))])),
                            ]),
                        ),
                        ("my key", s("v")),
                        ("quoted key", int(1)),
                        ("dq key", int(2)),
                    ])
                },
            ),
            (
                // 31: CA certs as a list of literal blocks; empty values
                "ca_certs:\n  remove_defaults:\n  trusted:\n  - |\n    -----BEGIN CERTIFICATE-----\n    YOUR-ORGS-TRUSTED-CA-CERT-HERE\n    -----END CERTIFICATE-----\n",
                || {
                    map(vec![(
                        "ca_certs",
                        map(vec![
                            ("remove_defaults", null()),
                            (
                                "trusted",
                                seq(vec![s("-----BEGIN CERTIFICATE-----\nYOUR-ORGS-TRUSTED-CA-CERT-HERE\n-----END CERTIFICATE-----\n")]),
                            ),
                        ]),
                    )])
                },
            ),
            (
                // 32: apt source with a key block and `$RELEASE`
                "apt:\n  sources:\n    curtin-dev-ppa.list:\n      source: \"deb http://ppa.launchpad.net/curtin-dev/test-archive/ubuntu $RELEASE main\"\n      keyid: F430BBA5\n",
                || {
                    map(vec![(
                        "apt",
                        map(vec![(
                            "sources",
                            map(vec![(
                                "curtin-dev-ppa.list",
                                map(vec![
                                    (
                                        "source",
                                        s("deb http://ppa.launchpad.net/curtin-dev/test-archive/ubuntu $RELEASE main"),
                                    ),
                                    ("keyid", s("F430BBA5")),
                                ]),
                            )]),
                        )]),
                    )])
                },
            ),
            (
                // 33: NoCloud meta-data with a network-interfaces literal
                "instance-id: iid-abcdefg\nnetwork-interfaces: |\n  iface eth0 inet static\n  address 192.168.1.10\nhostname: myhost\n",
                || {
                    map(vec![
                        ("instance-id", s("iid-abcdefg")),
                        (
                            "network-interfaces",
                            s("iface eth0 inet static\naddress 192.168.1.10\n"),
                        ),
                        ("hostname", s("myhost")),
                    ])
                },
            ),
            (
                // 34: timezone, locale, keep chomping, strings that look like numbers
                "timezone: America/New_York\nlocale: en_US.UTF-8\nversion: \"1.0\"\nbanner: |+\n  hi\n\n",
                || {
                    map(vec![
                        ("timezone", s("America/New_York")),
                        ("locale", s("en_US.UTF-8")),
                        ("version", s("1.0")),
                        ("banner", s("hi\n\n")),
                    ])
                },
            ),
        ];
        assert!(cases.len() >= 30);
        for (src, want) in cases {
            assert_eq!(yaml(src), want(), "{src}");
        }
    }

    // ---- scalars -----------------------------------------------------------

    #[test]
    fn plain_scalar_resolution() {
        let cases: &[(&str, Value)] = &[
            ("", null()),
            ("~", null()),
            ("null", null()),
            ("Null", null()),
            ("NULL", null()),
            ("nULL", s("nULL")),
            ("yes", boolean(true)),
            ("YES", boolean(true)),
            ("yEs", s("yEs")),
            ("off", boolean(false)),
            ("y", s("y")),
            ("0", int(0)),
            ("-0", int(0)),
            ("00", int(0)),
            ("0_", int(0)),
            ("0644", int(420)),
            ("0777", int(511)),
            ("08", s("08")),
            ("09", s("09")),
            ("0o17", s("0o17")),
            ("0b1_0", int(2)),
            ("0x1F", int(31)),
            ("-0x_1F", int(-31)),
            ("+12", int(12)),
            ("1_000", int(1000)),
            ("1:30", int(90)),
            ("-1:30", int(-90)),
            ("190:20:30", int(685_230)),
            ("1:60", s("1:60")),
            ("01:30", s("01:30")),
            ("9223372036854775807", int(i64::MAX)),
            ("-9223372036854775808", int(i64::MIN)),
            ("9223372036854775808", s("9223372036854775808")),
            ("0x8000000000000000", s("0x8000000000000000")),
            ("0b_", s("0b_")),
            ("1.5", flt("1.5")),
            ("1.", flt("1.")),
            ("-1_000.5", flt("-1_000.5")),
            (".5", flt(".5")),
            ("-.5", s("-.5")),
            (".5e+3", flt(".5e+3")),
            ("1.0e-3", flt("1.0e-3")),
            ("1.5e3", s("1.5e3")),
            ("1e3", s("1e3")),
            ("190:20:30.15", flt("190:20:30.15")),
            (".inf", flt(".inf")),
            ("-.Inf", flt("-.Inf")),
            ("+.INF", flt("+.INF")),
            (".", s(".")),
            ("._", s("._")),
            ("1.2.3", s("1.2.3")),
            ("2001-12-14", s("2001-12-14")),
            ("=", s("=")),
            ("<<", s("<<")),
        ];
        for (text, want) in cases {
            assert_eq!(yaml(text), *want, "{text:?}");
            let quoted = format!("'{text}'");
            assert_eq!(yaml(&quoted), s(text), "{quoted}");
        }
        assert_eq!(yaml(".NaN"), flt(".NaN"));
        assert!(matches!(yaml("-.nan"), Value::Str(_)));
    }

    #[test]
    fn tags() {
        let cases: &[(&str, Value)] = &[
            ("!!str 0644", s("0644")),
            ("!!str yes", s("yes")),
            ("!!str", s("")),
            ("a: !!str\nb: 1", map(vec![("a", s("")), ("b", int(1))])),
            ("!<tag:yaml.org,2002:str> 12", s("12")),
            ("!!int '12'", int(12)),
            ("!!int 0x1f", int(31)),
            ("!!int -0b101", int(-5)),
            ("!!int 1:30", int(90)),
            ("!!int 0o17", int(15)),
            ("!!float 1", flt("1")),
            ("!!float 1e3", flt("1e3")),
            ("!!float -.INF", flt("-.INF")),
            ("!!float 1:30", flt("1:30")),
            ("!!bool ON", boolean(true)),
            ("!!bool 'no'", boolean(false)),
            ("!!null ''", null()),
            ("!!null ~", null()),
            ("!!binary aGVsbG8=", bin(b"hello")),
            ("!!binary |\n  aGVs\n  bG8=\n", bin(b"hello")),
            ("!!binary ''", bin(b"")),
            ("!!map {a: 1}", map(vec![("a", int(1))])),
            ("!!seq [1]", seq(vec![int(1)])),
            ("!!map\na: 1", map(vec![("a", int(1))])),
            ("- !!map\n  a: 1", seq(vec![map(vec![("a", int(1))])])),
            ("!!str a: 1", map(vec![("a", int(1))])),
            (
                "!!str 1: 2\n!!str 3: 4",
                map(vec![("1", int(2)), ("3", int(4))]),
            ),
            (
                "[!!str 1, !!int '2', !!null]",
                seq(vec![s("1"), int(2), null()]),
            ),
            (
                "{!!str 1: 2, a: !!str}",
                map(vec![("1", int(2)), ("a", s(""))]),
            ),
            ("! 12", int(12)),
        ];
        for (text, want) in cases {
            assert_eq!(yaml(text), *want, "{text:?}");
        }
    }

    #[test]
    fn quoted_scalars() {
        let cases: &[(&str, &str)] = &[
            ("'it''s'", "it's"),
            ("'a\\nb'", "a\\nb"),
            ("'x\n\n  y  \n z'", "x\ny z"),
            ("\"a\\  b\"", "a  b"),
            ("\"x\\\n   y\"", "xy"),
            ("\"x \\\n y\"", "x y"),
            ("\"x\n\n\n y\"", "x\n\ny"),
            ("\"a\tb\"", "a\tb"),
            (
                "\"\\0\\a\\b\\t\\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\\N\\_\\L\\P\"",
                "\0\u{7}\u{8}\t\t\n\u{b}\u{c}\r\u{1b} \"/\\\u{85}\u{a0}\u{2028}\u{2029}",
            ),
            ("\"\\x41\\u00e9\\U0001F600\"", "A\u{e9}\u{1f600}"),
            ("\"\\ud83d\\ude00\"", "\u{1f600}"),
            ("\"# not a comment\"", "# not a comment"),
            ("\"日本\"", "日本"),
        ];
        for (text, want) in cases {
            assert_eq!(yaml(text), s(want), "{text:?}");
        }
    }

    #[test]
    fn block_scalars() {
        let cases: &[(&str, &str)] = &[
            ("a: |\n  x\n  y\n", "x\ny\n"),
            ("a: |-\n  x\n  y\n\n", "x\ny"),
            ("a: |+\n  x\n  y\n\n\n", "x\ny\n\n\n"),
            (
                "a: >\n  x\n  y\n\n  z\n   more\n  w\n",
                "x y\nz\n more\nw\n",
            ),
            ("a: >-\n  x\n\n\n  y\n", "x\n\ny"),
            ("a: >+\n  x\n\n", "x\n\n"),
            ("a: |2\n    x\n  y\n", "  x\ny\n"),
            ("a: >-2\n   x\n  y\n", " x\ny"),
            ("a: |\n\n  x\n\n\n", "\nx\n"),
            ("a: |", ""),
            ("a: >\n", ""),
            ("a: |\n  x", "x"),
            ("a: |  # comment\n  x\n", "x\n"),
            ("a: |\n  x\n   # kept\n  y\n# comment\n", "x\n # kept\ny\n"),
            ("a: |\n  tab\there\n", "tab\there\n"),
            (
                "a: >\n  one\n  two\n\n  three\n    indented\n  four\n",
                "one two\nthree\n  indented\nfour\n",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(yaml(text), map(vec![("a", s(want))]), "{text:?}");
        }
        assert_eq!(yaml("- |1\n  x\n"), seq(vec![s(" x\n")]));
        assert_eq!(yaml("--- |\n  top\n"), s("top\n"));
    }

    // ---- structure ---------------------------------------------------------

    #[test]
    fn structure() {
        let cases: &[Case] = &[
            ("# only a comment\n", null),
            ("---", null),
            ("---\n...", null),
            ("a:", || map(vec![("a", null())])),
            ("a:\nb:", || map(vec![("a", null()), ("b", null())])),
            ("key:\n- a\n- b\nother: 1", || {
                map(vec![("key", seq(vec![s("a"), s("b")])), ("other", int(1))])
            }),
            ("- - a\n  - b\n- c", || {
                seq(vec![seq(vec![s("a"), s("b")]), s("c")])
            }),
            ("-\n  - a", || seq(vec![seq(vec![s("a")])])),
            ("- a\n-\n- c", || seq(vec![s("a"), null(), s("c")])),
            ("- -", || seq(vec![seq(vec![null()])])),
            ("- a:\n  - x\n  b: 2", || {
                seq(vec![map(vec![("a", seq(vec![s("x")])), ("b", int(2))])])
            }),
            ("a:\n  b:\n    c: 1\n  d: 2", || {
                map(vec![(
                    "a",
                    map(vec![("b", map(vec![("c", int(1))])), ("d", int(2))]),
                )])
            }),
            ("  a: 1\n  b: 2\n", || {
                map(vec![("a", int(1)), ("b", int(2))])
            }),
            ("a: foo\n  - bar", || map(vec![("a", s("foo - bar"))])),
            ("a : b", || map(vec![("a", s("b"))])),
            ("a#b: c # d", || map(vec![("a#b", s("c"))])),
            ("a: b# c", || map(vec![("a", s("b# c"))])),
            ("a: b:c", || map(vec![("a", s("b:c"))])),
            ("http://x:8080/a: b", || {
                map(vec![("http://x:8080/a", s("b"))])
            }),
            ("?x: 1\n-x: 2\n:x: 3", || {
                map(vec![("?x", int(1)), ("-x", int(2)), (":x", int(3))])
            }),
            ("a: 1\na: 2\nb: 3", || {
                map(vec![("a", int(2)), ("b", int(3))])
            }),
            ("--- text", || s("text")),
            ("--- [1, 2]", || seq(vec![int(1), int(2)])),
            ("a: 1\n...\n...\n", || map(vec![("a", int(1))])),
            ("%YAML 1.1\n---\na: 1", || map(vec![("a", int(1))])),
            ("a: b  \t# tab before comment", || map(vec![("a", s("b"))])),
            ("a:\tb", || map(vec![("a", s("b"))])),
            ("a: 1\n\t\nb: 2", || map(vec![("a", int(1)), ("b", int(2))])),
            ("a: [1] # c\nb: {x: y}#c", || {
                map(vec![
                    ("a", seq(vec![int(1)])),
                    ("b", map(vec![("x", s("y"))])),
                ])
            }),
        ];
        for (src, want) in cases {
            assert_eq!(yaml(src), want(), "{src:?}");
        }
    }

    #[test]
    fn flow_collections() {
        let cases: &[Case] = &[
            ("[]", || seq(vec![])),
            ("{}", || map(vec![])),
            ("[a, b, ]", || seq(vec![s("a"), s("b")])),
            ("{a: [1,2],}", || {
                map(vec![("a", seq(vec![int(1), int(2)]))])
            }),
            ("{a, b}", || map(vec![("a", null()), ("b", null())])),
            ("[a: 1, b]", || seq(vec![map(vec![("a", int(1))]), s("b")])),
            ("['a':1]", || seq(vec![map(vec![("a", int(1))])])),
            ("[a :1]", || seq(vec![s("a :1")])),
            ("{a:1}", || map(vec![("a:1", null())])),
            ("{a: }", || map(vec![("a", null())])),
            ("{a:}", || map(vec![("a", null())])),
            ("{a: 1 b}", || map(vec![("a", s("1 b"))])),
            ("[a#c, b]", || seq(vec![s("a#c"), s("b")])),
            ("[a #c\n, b]", || seq(vec![s("a"), s("b")])),
            ("[http://x:80/a, c]", || {
                seq(vec![s("http://x:80/a"), s("c")])
            }),
            ("[ [ [ ] ] ]", || seq(vec![seq(vec![seq(vec![])])])),
            ("a: [1,\n2]", || map(vec![("a", seq(vec![int(1), int(2)]))])),
            ("a:\n  - [1,\n 2]\n  - 3", || {
                map(vec![("a", seq(vec![seq(vec![int(1), int(2)]), int(3)]))])
            }),
            ("a: {b: 1\n}\nc: 2", || {
                map(vec![("a", map(vec![("b", int(1))])), ("c", int(2))])
            }),
            ("{\n\t\"tab\": \"indented json\"\n}", || {
                map(vec![("tab", s("indented json"))])
            }),
            ("[multi\n  line, plain]", || {
                seq(vec![s("multi line"), s("plain")])
            }),
            ("{a: 1, a: 2}", || map(vec![("a", int(2))])),
        ];
        for (src, want) in cases {
            assert_eq!(yaml(src), want(), "{src:?}");
        }
    }

    #[test]
    fn positions() {
        let doc = match parse(b"a: 1\nlist:\n  - x\n  - {k: v}\n") {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(doc.pos, pos(1, 1));
        let Value::Map(entries) = &doc.value else {
            panic!("not a map")
        };
        let keys: Vec<(String, Pos, Pos)> = entries
            .iter()
            .map(|e| (e.key.clone(), e.key_pos, e.value.pos))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("a".to_string(), pos(1, 1), pos(1, 4)),
                ("list".to_string(), pos(2, 1), pos(3, 3)),
            ]
        );
        let items: Vec<Pos> = match doc.get("list").map(|n| &n.value) {
            Some(Value::Seq(items)) => items.iter().map(|n| n.pos).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(items, vec![pos(3, 5), pos(4, 5)]);
        // An empty value sits just after its `:`; a BOM counts in line 1's columns.
        let doc = match parse(b"\xEF\xBB\xBFk:\n") {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(doc.pos, pos(1, 4));
        assert_eq!(doc.get("k").map(|n| n.pos), Some(pos(1, 6)));
        // A repeated key keeps its first place and takes the later value.
        let doc = match parse(b"a: 1\nb: 2\na: 3\n") {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let Value::Map(entries) = &doc.value else {
            panic!("not a map")
        };
        let flat: Vec<(&str, Value, Pos)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.value.clone(), e.value.pos))
            .collect();
        assert_eq!(
            flat,
            vec![("a", int(3), pos(3, 4)), ("b", int(2), pos(2, 4))]
        );
    }

    // ---- errors --------------------------------------------------------------

    #[test]
    fn every_error_kind() {
        use ErrorKind::*;
        let cases: &[(&[u8], ErrorKind, u32, u32)] = &[
            (b"a: 1\nb: \xff\n", InvalidUtf8, 2, 4),
            (b"a: 1\r\nb: \xc3(", InvalidUtf8, 2, 4),
            (b"a: x\x01y", ControlChar, 1, 5),
            (b"a: \x00", ControlChar, 1, 4),
            (b"\ta: 1", Tab, 1, 1),
            (b"a:\n  b: 1\n \tc: 2", Tab, 3, 2),
            (b"- a\n\t- b", Tab, 2, 1),
            (b"a: foo\n\tbar", Tab, 2, 1),
            (b"a: 1\n  b: 2", NestedMapping, 2, 4),
            (b"a:\n    b: 1\n  c: 2", BadIndent, 3, 3),
            (b"- a\nb: 1", BadIndent, 2, 1),
            (b"a: 'x", UnterminatedQuote, 1, 4),
            (b"a: \"x\n---\n\"", UnterminatedQuote, 1, 4),
            (b"a: \"\\q\"", BadEscape, 1, 5),
            (b"a: \"\\x4\"", BadEscape, 1, 5),
            (b"a: \"\\ud800\"", BadEscape, 1, 5),
            (b"a: \"\\ud800\\u0041\"", BadEscape, 1, 5),
            (b"a: \"\\U00110000\"", BadEscape, 1, 5),
            (b"a: [1, 2", UnterminatedFlow, 1, 4),
            (b"a: {b: [1]\n", UnterminatedFlow, 1, 4),
            (b"[a, , b]", UnexpectedChar, 1, 5),
            (b"a: [1] b", UnexpectedChar, 1, 8),
            (b"\"a\" b", UnexpectedChar, 1, 5),
            (b"a: @x", UnexpectedChar, 1, 4),
            (b"a: `x`", UnexpectedChar, 1, 4),
            (b"{: a}", UnexpectedChar, 1, 2),
            (b"[a\n: 1]", UnexpectedChar, 2, 1),
            (b"a: 1\nfoo\n", MissingColon, 2, 1),
            (b"a: 1\n\"b\" c: 2", MissingColon, 2, 1),
            (b"a: b: c", NestedMapping, 1, 5),
            (b"a: \"b\": c", NestedMapping, 1, 7),
            (b"--- a: 1", NestedMapping, 1, 6),
            (b"foo\nbar: 1", NestedMapping, 2, 4),
            (b"a: - b", NestedSequence, 1, 4),
            (b"a: 1\n- b", NestedSequence, 2, 1),
            (b"a: |x\n  y", BadBlockHeader, 1, 5),
            (b"a: |0\n  y", BadBlockHeader, 1, 5),
            (b"a: |++\n  y", BadBlockHeader, 1, 6),
            (b"a: |#c\n  y", BadBlockHeader, 1, 5),
            (b"a: > x\n", BadBlockHeader, 1, 6),
            (b"a: &x 1", Anchor, 1, 4),
            (b"- [&x 1]", Anchor, 1, 4),
            (b"&a k: v", Anchor, 1, 1),
            (b"a: *x", Alias, 1, 4),
            (b"{a: *x}", Alias, 1, 5),
            (b"a: !foo 1", CustomTag, 1, 4),
            (b"a: !!python/object:os.system x", CustomTag, 1, 4),
            (b"a: !!timestamp 2001-01-01", CustomTag, 1, 4),
            (b"a: !!!x 1", CustomTag, 1, 4),
            (b"a: !<tag:x> 1", CustomTag, 1, 4),
            (b"? a\n: b", ComplexKey, 1, 1),
            (b"[a, b]: c", ComplexKey, 1, 1),
            (b"a: 1\n{b: 1}: c", ComplexKey, 2, 1),
            (b"{[a]: b}", ComplexKey, 1, 2),
            (b"[[a]: b]", ComplexKey, 1, 2),
            (b"[? a]", ComplexKey, 1, 2),
            (b"<<: {a: 1}", MergeKey, 1, 1),
            (b"a: 1\n<<: {a: 1}", MergeKey, 2, 1),
            (b"{<<: {a: 1}}", MergeKey, 1, 2),
            (b"%TAG ! tag:x,2000:\n---\na: 1", Directive, 1, 1),
            (b"%YAML 1.1\na: 1", MissingDocumentStart, 2, 1),
            (b"a: 1\n---\nb: 2", MultipleDocuments, 2, 1),
            (b"a: 1\n...\nb: 2", MultipleDocuments, 3, 1),
            (b"a: !!binary 'a'", BadBinary, 1, 4),
            (b"a: !!binary aGVsbG8", BadBinary, 1, 4),
            (b"a: !!int abc", BadTagValue, 1, 4),
            (b"a: !!int 08", BadTagValue, 1, 4),
            (b"a: !!int 99999999999999999999", BadTagValue, 1, 4),
            (b"a: !!float x", BadTagValue, 1, 4),
            (b"a: !!bool y", BadTagValue, 1, 4),
            (b"a: !!bool", BadTagValue, 1, 4),
            (b"a: !!null x", BadTagValue, 1, 4),
            (b"a: !!map [1]", BadTagValue, 1, 4),
            (b"a: !!seq\n  b: 1", BadTagValue, 1, 4),
            (b"a: !!str [1]", BadTagValue, 1, 4),
            (b"a: !!map x", BadTagValue, 1, 4),
            (b"!!seq a: 1", BadTagValue, 1, 1),
        ];
        for &(src, kind, line, col) in cases {
            let e = fails(src);
            assert_eq!(
                e,
                Error { line, col, kind },
                "{:?}",
                core::str::from_utf8(src)
            );
        }
        let all = [
            InvalidUtf8,
            ControlChar,
            Tab,
            BadIndent,
            UnterminatedQuote,
            BadEscape,
            UnterminatedFlow,
            UnexpectedChar,
            MissingColon,
            NestedMapping,
            NestedSequence,
            BadBlockHeader,
            Anchor,
            Alias,
            CustomTag,
            ComplexKey,
            MergeKey,
            Directive,
            MissingDocumentStart,
            MultipleDocuments,
            BadBinary,
            BadTagValue,
        ];
        for kind in all {
            assert!(cases.iter().any(|c| c.1 == kind), "{kind:?} untested");
            assert!(!kind.as_str().is_empty());
        }
        // TooDeep has its own test below.
    }

    #[test]
    fn depth_cap() {
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(fails(deep.as_bytes()).kind, ErrorKind::TooDeep);
        assert_eq!(fails(&[b'{'; 100_000]).kind, ErrorKind::TooDeep);

        let block_ok: String = (0..64).map(|d| format!("{}k:\n", " ".repeat(d))).collect();
        assert!(parse(block_ok.as_bytes()).is_ok());
        let block_deep: String = (0..65).map(|d| format!("{}k:\n", " ".repeat(d))).collect();
        let e = fails(block_deep.as_bytes());
        assert_eq!((e.kind, e.line, e.col), (ErrorKind::TooDeep, 65, 65));
        assert_eq!(
            fails("- ".repeat(10_000).as_bytes()).kind,
            ErrorKind::TooDeep
        );
        // Mixed block and flow nesting share one budget.
        let mixed = format!("{}{}{}", "- ".repeat(40), "[".repeat(30), "]".repeat(30));
        assert_eq!(fails(mixed.as_bytes()).kind, ErrorKind::TooDeep);
    }

    #[test]
    fn display() {
        let e = fails(b"a: &x 1");
        assert_eq!(e.to_string(), "1:4: anchors are not supported");
        assert_eq!(
            ErrorKind::ComplexKey.to_string(),
            "complex mapping keys (`? ` or a collection) are not supported"
        );
    }

    #[test]
    fn base64_decoder() {
        assert_eq!(base64(""), Some(vec![]));
        assert_eq!(base64("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(base64("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(base64("TQ=="), Some(b"M".to_vec()));
        assert_eq!(base64("TQ==ignored"), Some(b"M".to_vec()));
        assert_eq!(base64(" T W\nF u\t"), Some(b"Man".to_vec()));
        assert_eq!(base64("TW.Fu"), Some(b"Man".to_vec()));
        assert_eq!(base64("TWE"), None);
        assert_eq!(base64("T"), None);
        assert_eq!(base64("////"), Some(vec![0xff, 0xff, 0xff]));
    }

    #[test]
    fn large_input_is_linear() {
        let mut doc = String::new();
        let mut n = 0;
        while doc.len() < 256 * 1024 {
            doc.push_str(&format!("key_{n}: value {n} # c\n"));
            n += 1;
        }
        let start = std::time::Instant::now();
        let tree = match parse(doc.as_bytes()) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        assert!(matches!(&tree.value, Value::Map(e) if e.len() == n));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // Long runs of blanks on one line do not go quadratic either.
        let wide = format!(
            "a: [{}]\nb: x{}y\n",
            " ".repeat(200_000),
            " ".repeat(200_000)
        );
        assert!(parse(wide.as_bytes()).is_ok());
    }

    // ---- robustness ------------------------------------------------------------

    const SAMPLES: &[&str] = &[
        "#cloud-config\nusers:\n  - name: a\n    groups: [x, y]\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAA k\nwrite_files:\n- path: /f\n  content: |\n    hi\n  permissions: '0644'\n",
        "{\"a\": [1, 2.5, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {\"c\": null, \"d\": true}}",
        "--- # doc\nruncmd:\n - [ sh, -c, \"echo 'hi' \\\n   there\" ]\nfinal: >-\n  a\n  b\n\n  c\nbin: !!binary |\n  aGVsbG8=\nn: [0644, 1:30, .5, ~]\n...\n",
        "a: 'multi\n  line'\nb: plain\n  more\nc: {x: [1, {y: 2}],\n  z: \"q\"}\n",
    ];

    #[test]
    fn every_prefix_terminates() {
        for doc in SAMPLES {
            let bytes = doc.as_bytes();
            assert!(parse(bytes).is_ok(), "{doc}");
            for end in 0..bytes.len() {
                let _ = parse(bytes.get(..end).unwrap_or_default());
            }
        }
    }

    #[test]
    fn mutations_terminate() {
        // xorshift64: deterministic, no external crates.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const TOKENS: &[&[u8]] = &[
            b" ",
            b"\t",
            b"\n",
            b"\r",
            b"- ",
            b": ",
            b"#",
            b"'",
            b"\"",
            b"[",
            b"]",
            b"{",
            b"}",
            b",",
            b"|",
            b">-",
            b"|+2",
            b"\\",
            b"\\u",
            b"!!",
            b"!!binary ",
            b"?",
            b"&",
            b"*",
            b"%",
            b"...",
            b"---",
            b"\xff",
            b"\xc3",
            b"\xEF\xBB\xBF",
            b"<<",
            b"0x",
            b"1:",
            b".",
        ];
        for round in 0..4000usize {
            let pick = usize::try_from(next() % SAMPLES.len() as u64).unwrap_or(0);
            let mut doc: Vec<u8> = SAMPLES
                .get(pick)
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_default();
            for _ in 0..(1 + round % 4) {
                let at = usize::try_from(next() % (doc.len() as u64 + 1)).unwrap_or(0);
                match next() % 3 {
                    0 => {
                        let t = TOKENS
                            .get(usize::try_from(next() % TOKENS.len() as u64).unwrap_or(0))
                            .copied()
                            .unwrap_or_default();
                        doc.splice(at..at, t.iter().copied());
                    }
                    1 => {
                        let end =
                            (at + 1 + usize::try_from(next() % 6).unwrap_or(0)).min(doc.len());
                        doc.drain(at..end);
                    }
                    _ => {
                        let from = usize::try_from(next() % (doc.len() as u64 + 1)).unwrap_or(0);
                        let end = (from + usize::try_from(next() % 20).unwrap_or(0)).min(doc.len());
                        let chunk: Vec<u8> = doc.get(from..end).unwrap_or_default().to_vec();
                        doc.splice(at..at, chunk);
                    }
                }
            }
            if let Err(e) = parse(&doc) {
                // Errors must point inside the document.
                let lines = u32::try_from(doc.len())
                    .unwrap_or(u32::MAX)
                    .saturating_add(1);
                assert!(e.line >= 1 && e.line <= lines && e.col >= 1, "{e:?}");
            }
        }
    }
}
