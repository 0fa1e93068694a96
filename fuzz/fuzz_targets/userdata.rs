//! User-data splitter: never panics, script names are always one safe path
//! component, and warnings never carry raw control bytes into the log.
#![no_main]

use egret::text::userdata::{self, Piece};
use libfuzzer_sys::fuzz_target;

fn safe_name(n: &str) -> bool {
    !n.is_empty()
        && n != "."
        && n != ".."
        && n.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_-.()".contains(&c))
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = userdata::split(data, "fuzz") else {
        return;
    };
    let mut total = 0usize;
    for p in &s.pieces {
        match p {
            Piece::Script { body, name } | Piece::Boothook { body, name } => {
                assert!(safe_name(name), "unsafe part name {name:?}");
                total += body.len();
            }
            Piece::CloudConfig { body, .. } | Piece::Ignition { body, .. } => total += body.len(),
        }
    }
    assert!(
        total <= data.len() + userdata::MAX_INFLATED,
        "pieces larger than input plus the inflate budget"
    );
    for w in &s.warnings {
        assert!(
            !w.bytes().any(|c| c < 0x20 || c == 0x7f),
            "control byte in warning {w:?}"
        );
    }
});
