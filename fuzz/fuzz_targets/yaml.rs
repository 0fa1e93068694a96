//! YAML subset parser: never panics, and every position it reports (node or
//! error) lies inside the input.
#![no_main]

use egret::text::value::{Node, Value};
use egret::text::yaml;
use libfuzzer_sys::fuzz_target;

fn check(n: &Node, lines: u32, depth: u32) {
    assert!(n.pos.line <= lines, "node line {} past the input", n.pos.line);
    assert!(depth <= yaml::MAX_DEPTH + 1, "tree deeper than MAX_DEPTH");
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| check(i, lines, depth + 1)),
        Value::Map(entries) => entries.iter().for_each(|e| {
            assert!(e.key_pos.line <= lines, "key line past the input");
            check(&e.value, lines, depth + 1)
        }),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    // An upper bound: YAML also breaks lines at a lone CR (CRLF counts twice).
    let lines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u32 + 1;
    match yaml::parse(data) {
        Ok(n) => check(&n, lines, 0),
        Err(e) => assert!(
            (1..=lines).contains(&e.line) && e.col >= 1,
            "error position {}:{} outside the input",
            e.line,
            e.col
        ),
    }
});
