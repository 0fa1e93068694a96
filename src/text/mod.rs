//! Pure text and byte formats: no I/O, no knowledge of where bytes came from.

pub mod base64;
pub mod cmdline;
pub mod gzip;
pub mod mime;
pub mod shell;
pub mod userdata;
pub mod value;
pub mod yaml;

use alloc::string::String;

/// `parts` joined: what `format!` of plain strings does, without its
/// formatting machinery at every call site.
#[inline(never)]
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push_str(p);
    }
    s
}

/// `digits` (no sign, no prefix) as a number in `base`; `None` if empty, if
/// any byte is not a digit of `base`, or on overflow. The one digit loop of
/// every integer egret reads (YAML, cloud-config, `login.defs`).
pub fn radix(digits: &[u8], base: u32) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        let v = char::from(d).to_digit(base)?;
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(v))?;
    }
    Some(n)
}

/// Most characters of a value quoted in a message.
const PRINTABLE_MAX: usize = 64;

/// A value as it may appear in a one-line message: control characters and
/// bytes that are not UTF-8 as `\xNN`, `\` and `"` escaped, at most 64
/// characters and then `...`. The one escape of every message egret writes.
#[inline(never)]
pub fn printable(b: &[u8]) -> String {
    let mut s = String::new();
    let mut n = 0;
    for chunk in b.utf8_chunks() {
        let bad = chunk.invalid().iter().map(|&x| (char::from(x), true));
        for (c, raw) in chunk.valid().chars().map(|c| (c, false)).chain(bad) {
            if n == PRINTABLE_MAX {
                s.push_str("...");
                return s;
            }
            n += 1;
            if raw || c.is_control() {
                let hex = b"0123456789abcdef";
                s.push_str("\\x");
                for shift in [4, 0] {
                    let d = hex.get((c as usize >> shift) & 15).copied().unwrap_or(b'0');
                    s.push(char::from(d));
                }
            } else {
                if c == '\\' || c == '"' {
                    s.push('\\');
                }
                s.push(c);
            }
        }
    }
    s
}

// Tests panic on purpose: that is how they fail.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_what_a_log_line_cannot_hold() {
        assert_eq!(printable(b"a\x01\x7fb \xc3\xa9"), "a\\x01\\x7fb \u{e9}");
        // C1 controls, as their code point; bytes that are not UTF-8, as bytes.
        assert_eq!(printable("\u{9f}".as_bytes()), "\\x9f");
        assert_eq!(printable(b"\xff\xc3x"), "\\xff\\xc3x");
        assert_eq!(printable(br#"say "a\b""#), r#"say \"a\\b\""#);
        assert_eq!(printable(&[b'x'; 64]), "x".repeat(64));
        assert_eq!(printable(&[b'x'; 65]), "x".repeat(64) + "...");
        assert_eq!(printable("é".repeat(70).as_bytes()), "é".repeat(64) + "...");
        assert_eq!(printable(b""), "");
    }
}
