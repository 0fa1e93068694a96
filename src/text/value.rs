//! The document tree that the YAML subset parser produces and that every text
//! format above it (cloud-config, meta-data, egret.conf) reads.
//!
//! A tree is only a parse result: typed structs are built from it in
//! `crate::cloudconfig`, and string maps never leave the text layer.
//! Every node carries the position it started at, so errors found while
//! interpreting the tree still name a line and a column.

use alloc::string::String;
use alloc::vec::Vec;

/// 1-based line and column (column counted in bytes) of a node's first byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// One node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// A mapping entry. Keys are scalars (complex keys are refused by the parser);
/// `key` is the scalar's text after unquoting, e.g. `1` for `1: x`.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// Scalars resolved the way PyYAML (YAML 1.1, cloud-init's reader) resolves
/// them: `yes`/`on` are booleans, `0644` is an octal integer, `~` is null.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// A float as written (`1.5`, `-.inf`, `1:30.5`): egret never computes
    /// with floats, so it keeps the text and links no float parser or printer.
    Float(String),
    Str(String),
    /// `!!binary` base64, already decoded.
    Binary(Vec<u8>),
    Seq(Vec<Node>),
    /// Entries in document order. A repeated key keeps the last value (as PyYAML).
    Map(Vec<Entry>),
}

impl Node {
    pub const fn new(pos: Pos, value: Value) -> Self {
        Node { pos, value }
    }

    /// Looks a key up in a mapping; `None` for a missing key or a non-mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &e.value),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
}
