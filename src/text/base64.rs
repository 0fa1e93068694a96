//! Base64 (RFC 4648) for user-data: `Content-Transfer-Encoding: base64` MIME
//! parts, `write_files` with `encoding: b64`, and metadata services that hand
//! user-data over base64-encoded.
//!
//! Decoding accepts both the standard (`+/`) and the URL-safe (`-_`)
//! alphabet, ignores ASCII whitespace anywhere (line-wrapped MIME bodies),
//! and treats padding as optional, but padding that is present must be
//! exactly right. Non-zero bits left over in the last quantum are accepted,
//! as Python's `base64` does, since tools that produce them exist.
//! It must never panic nor guess: any other byte is an error with its offset.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why a base64 text could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A byte outside both alphabets, whitespace and `=`.
    BadByte {
        /// Offset of the byte in the input.
        offset: usize,
    },
    /// `=` where none may be: too many, too few, or data after the padding.
    BadPadding {
        /// Offset of the offending byte in the input.
        offset: usize,
    },
    /// The text ends with a single character in its last quantum, which
    /// cannot encode a whole byte.
    Truncated,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (msg, offset) = match self {
            Error::BadByte { offset } => ("invalid base64 character", Some(offset)),
            Error::BadPadding { offset } => ("invalid base64 padding", Some(offset)),
            Error::Truncated => ("base64 text ends in the middle of a byte", None),
        };
        match offset {
            Some(o) => write!(f, "{msg} at byte {o}"),
            None => f.write_str(msg),
        }
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6-bit value of one alphabet character, either alphabet.
fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// ASCII whitespace as MIME and YAML writers wrap base64 (includes VT,
/// which `u8::is_ascii_whitespace` leaves out).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Decodes base64 text; see the module doc for what is accepted.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    // Bits not yet written out, most significant first; at most 18 pending.
    let mut acc: u32 = 0;
    // Data characters in the current quantum (0..=3).
    let mut n: u8 = 0;
    // `=` seen so far and how many the quantum needs.
    let mut pads: u8 = 0;
    let mut pads_needed: u8 = 0;
    for (offset, &b) in input.iter().enumerate() {
        if is_space(b) {
            continue;
        }
        if b == b'=' {
            if pads == 0 {
                // Padding fills a quantum that has 2 or 3 characters.
                pads_needed = match n {
                    2 => 2,
                    3 => 1,
                    _ => return Err(Error::BadPadding { offset }),
                };
            }
            if pads >= pads_needed {
                return Err(Error::BadPadding { offset });
            }
            pads += 1;
            continue;
        }
        let Some(v) = sextet(b) else {
            return Err(Error::BadByte { offset });
        };
        if pads > 0 {
            // Data after padding: concatenated encodings are not accepted.
            return Err(Error::BadPadding { offset });
        }
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            let [_, a, b, c] = acc.to_be_bytes();
            out.extend_from_slice(&[a, b, c]);
            acc = 0;
            n = 0;
        }
    }
    if pads > 0 && pads < pads_needed {
        return Err(Error::BadPadding {
            offset: input.len(),
        });
    }
    match n {
        0 => {}
        1 => return Err(Error::Truncated),
        2 => out.push((acc >> 4) as u8),
        _ => {
            let [_, _, hi, lo] = (acc >> 2).to_be_bytes();
            out.push(hi);
            out.push(lo);
        }
    }
    Ok(out)
}

/// Encodes bytes as standard, padded base64 without line breaks.
pub fn encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3).saturating_mul(4));
    let ch = |v: u32| char::from(ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'='));
    for chunk in input.chunks(3) {
        let mut buf = [0u8; 3];
        for (d, s) in buf.iter_mut().zip(chunk) {
            *d = *s;
        }
        let [a, b, c] = buf;
        let v = u32::from_be_bytes([0, a, b, c]);
        out.push(ch(v >> 18));
        out.push(ch(v >> 12));
        out.push(if chunk.len() > 1 { ch(v >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { ch(v) } else { '=' });
    }
    out
}

// Tests panic on purpose: that is how they fail.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    const RFC4648: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc4648_vectors_encode() {
        for (plain, enc) in RFC4648 {
            assert_eq!(encode(plain.as_bytes()), enc);
        }
    }

    #[test]
    fn rfc4648_vectors_decode_padded_and_unpadded() {
        for (plain, enc) in RFC4648 {
            assert_eq!(decode(enc.as_bytes()).unwrap(), plain.as_bytes());
            let bare = enc.trim_end_matches('=');
            assert_eq!(decode(bare.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn round_trip_all_lengths_and_bytes() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..data.len() {
            let part = &data[..len];
            assert_eq!(decode(encode(part).as_bytes()).unwrap(), part);
        }
    }

    #[test]
    fn url_safe_alphabet_and_mixed() {
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(decode(b"-_-_").unwrap(), vec![0xfb, 0xff, 0xbf]);
        assert_eq!(decode(b"+_-/").unwrap(), vec![0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn whitespace_anywhere() {
        assert_eq!(decode(b" Zm9v\r\nYmFy\n").unwrap(), b"foobar");
        assert_eq!(decode(b"Z m\t9\x0bv Y\x0cg =\n=\n").unwrap(), b"foob");
        assert_eq!(decode(b" \n\t").unwrap(), b"");
    }

    #[test]
    fn bad_bytes_report_offset() {
        assert_eq!(decode(b"Zm9v*mFy"), Err(Error::BadByte { offset: 4 }));
        assert_eq!(decode(b"Zm\n9\xc3"), Err(Error::BadByte { offset: 4 }));
        assert_eq!(decode(b"\0"), Err(Error::BadByte { offset: 0 }));
        assert_eq!(decode(b"Zm9v.."), Err(Error::BadByte { offset: 4 }));
    }

    #[test]
    fn bad_padding() {
        // Padding at a quantum boundary or after one character.
        assert_eq!(decode(b"="), Err(Error::BadPadding { offset: 0 }));
        assert_eq!(decode(b"Zm9v="), Err(Error::BadPadding { offset: 4 }));
        assert_eq!(decode(b"Z="), Err(Error::BadPadding { offset: 1 }));
        // Too many.
        assert_eq!(decode(b"Zm8=="), Err(Error::BadPadding { offset: 4 }));
        assert_eq!(decode(b"Zg==="), Err(Error::BadPadding { offset: 4 }));
        // Too few: reported at the end of the input.
        assert_eq!(decode(b"Zg= \n"), Err(Error::BadPadding { offset: 5 }));
        // Data after padding.
        assert_eq!(decode(b"Zg==Zg=="), Err(Error::BadPadding { offset: 4 }));
    }

    #[test]
    fn impossible_length_is_truncated() {
        assert_eq!(decode(b"Z"), Err(Error::Truncated));
        assert_eq!(decode(b"Zm9vY"), Err(Error::Truncated));
        assert_eq!(decode(b"Zm9vY\n\n"), Err(Error::Truncated));
    }

    #[test]
    fn non_zero_trailing_bits_accepted() {
        // "Zh" carries 0x66 plus 4 stray bits; Python accepts it too.
        assert_eq!(decode(b"Zh==").unwrap(), b"f");
    }

    #[test]
    fn display() {
        assert_eq!(
            Error::BadByte { offset: 7 }.to_string(),
            "invalid base64 character at byte 7"
        );
        assert_eq!(
            Error::BadPadding { offset: 2 }.to_string(),
            "invalid base64 padding at byte 2"
        );
        assert_eq!(
            Error::Truncated.to_string(),
            "base64 text ends in the middle of a byte"
        );
    }
}
