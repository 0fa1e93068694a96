//! gzip (RFC 1952) decompression for user-data and `write_files` with
//! `encoding: gzip`.
//!
//! Owns the member framing: the header (a checked view: method, flags,
//! optional fields, header CRC), the trailer (CRC-32 and ISIZE, both
//! verified) and concatenated members, which `gzip -d` and Python's `gzip`
//! both accept. Zero bytes after a member are skipped as they are by both;
//! anything else after a member is an error rather than silently dropped.
//! The raw deflate data goes to `miniz_oxide`'s low-level inflater, which
//! reports how many input bytes it used, so the trailer can be found.
//!
//! It must never produce more than the caller's limit (a few hundred bytes
//! of gzip can expand to gigabytes), never panic on any input, and never
//! return output whose CRC was not checked.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use miniz_oxide::inflate::core::{decompress as inflate, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

/// Why a gzip stream could not be decompressed. Offsets are byte offsets
/// in the whole input.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The input ends inside a header, the deflate data or the trailer.
    Truncated {
        /// Where the input ends.
        offset: usize,
    },
    /// The input does not start with the gzip magic `1f 8b`.
    NotGzip {
        /// Where the magic was expected.
        offset: usize,
    },
    /// Bytes after a complete member that are neither zero padding nor
    /// another member.
    TrailingGarbage {
        /// Where those bytes start.
        offset: usize,
    },
    /// A compression method other than deflate (8).
    BadMethod {
        /// Offset of the CM byte.
        offset: usize,
    },
    /// Reserved flag bits are set, so the header cannot be parsed safely.
    ReservedFlags {
        /// Offset of the FLG byte.
        offset: usize,
    },
    /// The header CRC (FHCRC) does not match the header.
    HeaderCrc {
        /// Offset of the header CRC.
        offset: usize,
    },
    /// The deflate data is invalid.
    Corrupt {
        /// About where the inflater gave up.
        offset: usize,
    },
    /// The CRC-32 in the trailer does not match the decompressed data.
    CrcMismatch {
        /// Offset of the trailer.
        offset: usize,
    },
    /// The ISIZE in the trailer does not match the decompressed length.
    SizeMismatch {
        /// Offset of the ISIZE field.
        offset: usize,
    },
    /// The decompressed data would exceed the caller's limit.
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (msg, offset) = match self {
            Error::Truncated { offset } => ("gzip data is truncated", Some(offset)),
            Error::NotGzip { offset } => ("not gzip data (no 1f 8b magic)", Some(offset)),
            Error::TrailingGarbage { offset } => ("garbage after gzip data", Some(offset)),
            Error::BadMethod { offset } => ("gzip compression method is not deflate", Some(offset)),
            Error::ReservedFlags { offset } => ("gzip header has reserved flags set", Some(offset)),
            Error::HeaderCrc { offset } => ("gzip header CRC mismatch", Some(offset)),
            Error::Corrupt { offset } => ("corrupt deflate data", Some(offset)),
            Error::CrcMismatch { offset } => ("gzip CRC-32 mismatch", Some(offset)),
            Error::SizeMismatch { offset } => ("gzip length mismatch", Some(offset)),
            Error::TooLarge => ("decompressed data exceeds the size limit", None),
        };
        match offset {
            Some(o) => write!(f, "{msg} at byte {o}"),
            None => f.write_str(msg),
        }
    }
}

/// The two bytes every gzip member starts with.
pub const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Offsets of the fixed header fields (RFC 1952 section 2.3).
mod field {
    pub const CM: usize = 2;
    pub const FLG: usize = 3;
    /// MTIME (4), XFL (1) and OS (1) follow FLG; none matters to us.
    pub const FIXED_END: usize = 10;
}

/// FLG bits. FTEXT (bit 0) is only a hint and needs no handling.
mod flag {
    pub const FHCRC: u8 = 1 << 1;
    pub const FEXTRA: u8 = 1 << 2;
    pub const FNAME: u8 = 1 << 3;
    pub const FCOMMENT: u8 = 1 << 4;
    pub const RESERVED: u8 = 0xe0;
}

const CM_DEFLATE: u8 = 8;
const TRAILER_LEN: usize = 8;

/// True if `b` starts with the gzip magic.
pub fn is_gzip(b: &[u8]) -> bool {
    b.starts_with(&MAGIC)
}

/// A validated gzip member header over the bytes of one member.
///
/// `new_checked` walks every optional field once, so `len` and `name`
/// cannot go out of bounds afterwards.
struct Header<'a> {
    buffer: &'a [u8],
    len: usize,
    name: Option<&'a [u8]>,
}

impl<'a> Header<'a> {
    /// Validates the header at the start of `buffer`; `base` is the
    /// buffer's offset in the whole input, for error positions.
    fn new_checked(buffer: &'a [u8], base: usize) -> Result<Self, Error> {
        let at = |o: usize| base.saturating_add(o);
        let end = at(buffer.len());
        let byte = |o: usize| {
            buffer
                .get(o)
                .copied()
                .ok_or(Error::Truncated { offset: end })
        };
        if buffer.len() >= MAGIC.len() && !is_gzip(buffer) {
            return Err(Error::NotGzip { offset: base });
        }
        // A one-byte input must still look like the start of the magic.
        if buffer.first().is_some_and(|&b| b != MAGIC[0]) {
            return Err(Error::NotGzip { offset: base });
        }
        if byte(field::CM)? != CM_DEFLATE {
            return Err(Error::BadMethod {
                offset: at(field::CM),
            });
        }
        let flags = byte(field::FLG)?;
        if flags & flag::RESERVED != 0 {
            return Err(Error::ReservedFlags {
                offset: at(field::FLG),
            });
        }
        let mut pos = field::FIXED_END;
        if buffer.len() < pos {
            return Err(Error::Truncated { offset: end });
        }
        if flags & flag::FEXTRA != 0 {
            let xlen = u16::from_le_bytes([byte(pos)?, byte(pos + 1)?]);
            pos = pos + 2 + usize::from(xlen);
            if buffer.len() < pos {
                return Err(Error::Truncated { offset: end });
            }
        }
        let mut name = None;
        if flags & flag::FNAME != 0 {
            let (field, next) =
                zero_terminated(buffer, pos).ok_or(Error::Truncated { offset: end })?;
            name = Some(field);
            pos = next;
        }
        if flags & flag::FCOMMENT != 0 {
            let (_, next) = zero_terminated(buffer, pos).ok_or(Error::Truncated { offset: end })?;
            pos = next;
        }
        if flags & flag::FHCRC != 0 {
            let stored = u16::from_le_bytes([byte(pos)?, byte(pos + 1)?]);
            let covered = buffer.get(..pos).unwrap_or_default();
            // The header CRC is the low 16 bits of the CRC-32 of the header.
            if crc32(0, covered) as u16 != stored {
                return Err(Error::HeaderCrc { offset: at(pos) });
            }
            pos += 2;
        }
        Ok(Header {
            buffer,
            len: pos,
            name,
        })
    }

    /// Length of the header, i.e. where the deflate data starts.
    fn len(&self) -> usize {
        self.len
    }

    /// The original file name (FNAME), raw bytes without the terminator.
    fn name(&self) -> Option<&'a [u8]> {
        self.name
    }

    /// The bytes after the header.
    fn payload(&self) -> &'a [u8] {
        self.buffer.get(self.len..).unwrap_or_default()
    }
}

/// The bytes from `start` up to a NUL, and the offset just past the NUL.
fn zero_terminated(b: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let rest = b.get(start..)?;
    let n = rest.iter().position(|&c| c == 0)?;
    Some((rest.get(..n)?, start.checked_add(n)?.checked_add(1)?))
}

/// The original file name stored in the first member's header (FNAME), if
/// the header is valid and has one.
pub fn original_name(b: &[u8]) -> Option<&[u8]> {
    Header::new_checked(b, 0).ok()?.name()
}

/// Decompresses every member of a gzip stream into one buffer of at most
/// `limit` bytes.
pub fn decompress(b: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    loop {
        let member = b.get(pos..).unwrap_or_default();
        let header = Header::new_checked(member, pos)?;
        let data_at = pos.saturating_add(header.len());
        let start = out.len();
        let used = inflate_member(header.payload(), data_at, &mut out, limit)?;
        let trailer_at = data_at.saturating_add(used);
        let trailer = b
            .get(trailer_at..)
            .and_then(|t| t.get(..TRAILER_LEN))
            .ok_or(Error::Truncated { offset: b.len() })?;
        let (crc, isize) = trailer.split_at(4);
        let data = out.get(start..).unwrap_or_default();
        if le32(crc) != Some(crc32(0, data)) {
            return Err(Error::CrcMismatch { offset: trailer_at });
        }
        // ISIZE is the length modulo 2^32, so the truncating cast is meant.
        if le32(isize) != Some(data.len() as u32) {
            return Err(Error::SizeMismatch {
                offset: trailer_at.saturating_add(4),
            });
        }
        pos = trailer_at.saturating_add(TRAILER_LEN);
        let rest = b.get(pos..).unwrap_or_default();
        pos = pos.saturating_add(rest.iter().take_while(|&&c| c == 0).count());
        let rest = b.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(out);
        }
        if rest.first() != MAGIC.first() {
            return Err(Error::TrailingGarbage { offset: pos });
        }
    }
}

fn le32(b: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

/// Inflates one raw deflate stream from `input` onto the end of `out`,
/// keeping `out` within `limit`. Returns how many input bytes the stream
/// used. `base` is the offset of `input` in the whole input.
fn inflate_member(
    input: &[u8],
    base: usize,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<usize, Error> {
    let start = out.len();
    let room = limit.checked_sub(start).ok_or(Error::TooLarge)?;
    // One byte past the limit tells "exactly at the limit" from "over it".
    let cap = room.saturating_add(1);
    let mut buf_len = input.len().saturating_mul(4).clamp(1024, 1 << 20).min(cap);
    // The whole member stays in one non-wrapping buffer: back-references
    // then read straight from it, and none can reach an earlier member.
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut state = Box::<DecompressorOxide>::default();
    let mut in_pos = 0usize;
    let mut out_pos = 0usize;
    loop {
        out.resize(start.checked_add(buf_len).ok_or(Error::TooLarge)?, 0);
        let window = out.get_mut(start..).unwrap_or_default();
        let rest = input.get(in_pos..).unwrap_or_default();
        let (status, used_in, used_out) = inflate(&mut state, rest, window, out_pos, flags);
        in_pos = in_pos.saturating_add(used_in);
        out_pos = out_pos.saturating_add(used_out);
        match status {
            TINFLStatus::Done => {
                if out_pos > room {
                    return Err(Error::TooLarge);
                }
                out.truncate(start.saturating_add(out_pos));
                return Ok(in_pos);
            }
            TINFLStatus::HasMoreOutput => {
                if buf_len >= cap {
                    return Err(Error::TooLarge);
                }
                buf_len = buf_len.saturating_mul(2).min(cap);
            }
            // Without TINFL_FLAG_HAS_MORE_INPUT the inflater knows it has
            // all the input, so running out of it means truncation.
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                return Err(Error::Truncated {
                    offset: base.saturating_add(input.len()),
                })
            }
            _ => {
                return Err(Error::Corrupt {
                    offset: base.saturating_add(in_pos),
                })
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as gzip uses) four bits at a time, so
/// the table is 64 bytes instead of 1 KiB.
pub fn crc32(crc: u32, data: &[u8]) -> u32 {
    const NIBBLE: [u32; 16] = [
        0x0000_0000,
        0x1db7_1064,
        0x3b6e_20c8,
        0x26d9_30ac,
        0x76dc_4190,
        0x6b6b_51f4,
        0x4db2_6158,
        0x5005_713c,
        0xedb8_8320,
        0xf00f_9344,
        0xd6d6_a3e8,
        0xcb61_b38c,
        0x9b64_c2b0,
        0x86d3_d2d4,
        0xa00a_e278,
        0xbdbd_f21c,
    ];
    let step = |c: u32| (c >> 4) ^ NIBBLE.get((c & 0xf) as usize).copied().unwrap_or(0);
    let mut c = !crc;
    for &b in data {
        c ^= u32::from(b);
        c = step(step(c));
    }
    !c
}

// Tests panic on purpose: that is how they fail.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    const TEXT: &[u8] = b"#cloud-config\nhostname: egret\n";

    /// `printf '#cloud-config\nhostname: egret\n' | gzip -9 -n`
    const GZ_N: [u8; 50] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x53, 0x4e, 0xce, 0xc9, 0x2f,
        0x4d, 0xd1, 0x4d, 0xce, 0xcf, 0x4b, 0xcb, 0x4c, 0xe7, 0xca, 0xc8, 0x2f, 0x2e, 0xc9, 0x4b,
        0xcc, 0x4d, 0xb5, 0x52, 0x48, 0x4d, 0x2f, 0x4a, 0x2d, 0xe1, 0x02, 0x00, 0x09, 0xed, 0x11,
        0xcd, 0x1e, 0x00, 0x00, 0x00,
    ];

    /// The same text in a file `config.yaml`, `gzip -9 config.yaml`: FNAME
    /// and an MTIME.
    const GZ_NAME: [u8; 62] = [
        0x1f, 0x8b, 0x08, 0x08, 0xb6, 0x80, 0x02, 0x6b, 0x02, 0x03, 0x63, 0x6f, 0x6e, 0x66, 0x69,
        0x67, 0x2e, 0x79, 0x61, 0x6d, 0x6c, 0x00, 0x53, 0x4e, 0xce, 0xc9, 0x2f, 0x4d, 0xd1, 0x4d,
        0xce, 0xcf, 0x4b, 0xcb, 0x4c, 0xe7, 0xca, 0xc8, 0x2f, 0x2e, 0xc9, 0x4b, 0xcc, 0x4d, 0xb5,
        0x52, 0x48, 0x4d, 0x2f, 0x4a, 0x2d, 0xe1, 0x02, 0x00, 0x09, 0xed, 0x11, 0xcd, 0x1e, 0x00,
        0x00, 0x00,
    ];

    /// `(printf 'hello ' | gzip -9 -n; printf 'world\n' | gzip -9 -n)`
    const GZ_TWO: [u8; 52] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
        0x57, 0x00, 0x00, 0xf6, 0xf9, 0x81, 0xed, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x8b, 0x08, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2b, 0xcf, 0x2f, 0xca, 0x49, 0xe1, 0x02, 0x00, 0xa8,
        0x61, 0x38, 0xdd, 0x06, 0x00, 0x00, 0x00,
    ];

    /// `printf '' | gzip -9 -n`
    const GZ_EMPTY: [u8; 20] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// A header with every optional field: FTEXT|FHCRC|FEXTRA|FNAME|FCOMMENT,
    /// XLEN 4 ("AP", length 0), name "a.yaml", comment "note", and the
    /// header CRC computed with Python's `zlib.crc32`.
    const FULL_HEADER: [u8; 30] = [
        0x1f, 0x8b, 0x08, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x04, 0x00, 0x41, 0x50, 0x00,
        0x00, 0x61, 0x2e, 0x79, 0x61, 0x6d, 0x6c, 0x00, 0x6e, 0x6f, 0x74, 0x65, 0x00, 0x74, 0xfc,
    ];

    /// Wraps raw deflate data into a single gzip member.
    fn member(deflated: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut v = GZ_N[..10].to_vec();
        v.extend_from_slice(deflated);
        v.extend_from_slice(&crc32(0, plain).to_le_bytes());
        v.extend_from_slice(&(plain.len() as u32).to_le_bytes());
        v
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(0, b""), 0);
        // Incremental use gives the same result.
        assert_eq!(crc32(crc32(0, b"12345"), b"6789"), 0xcbf4_3926);
    }

    #[test]
    fn magic() {
        assert!(is_gzip(&GZ_N));
        assert!(!is_gzip(b"\x1f"));
        assert!(!is_gzip(b"#cloud-config"));
        assert!(!is_gzip(b""));
    }

    #[test]
    fn real_gzip_n() {
        assert_eq!(decompress(&GZ_N, 1024).unwrap(), TEXT);
        assert_eq!(original_name(&GZ_N), None);
    }

    #[test]
    fn real_gzip_with_name() {
        assert_eq!(decompress(&GZ_NAME, 1024).unwrap(), TEXT);
        assert_eq!(original_name(&GZ_NAME), Some(&b"config.yaml"[..]));
    }

    #[test]
    fn empty_member() {
        assert_eq!(decompress(&GZ_EMPTY, 0).unwrap(), b"");
    }

    #[test]
    fn every_optional_field() {
        let mut v = FULL_HEADER.to_vec();
        v.extend_from_slice(&GZ_N[10..]);
        assert_eq!(decompress(&v, 1024).unwrap(), TEXT);
        assert_eq!(original_name(&v), Some(&b"a.yaml"[..]));
        // Flip one header byte covered by the header CRC.
        v[20] ^= 1;
        assert_eq!(decompress(&v, 1024), Err(Error::HeaderCrc { offset: 28 }));
    }

    #[test]
    fn concatenated_members() {
        assert_eq!(decompress(&GZ_TWO, 1024).unwrap(), b"hello world\n");
        // Zero padding after members is skipped, like gzip -d and Python.
        let mut v = GZ_TWO.to_vec();
        v.extend_from_slice(&[0; 7]);
        assert_eq!(decompress(&v, 1024).unwrap(), b"hello world\n");
        let mut v = GZ_N.to_vec();
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&GZ_NAME);
        let mut both = TEXT.to_vec();
        both.extend_from_slice(TEXT);
        assert_eq!(decompress(&v, 1024).unwrap(), both);
    }

    #[test]
    fn trailing_garbage() {
        let mut v = GZ_N.to_vec();
        v.extend_from_slice(b"\0\0junk");
        assert_eq!(
            decompress(&v, 1024),
            Err(Error::TrailingGarbage { offset: 52 })
        );
        // A second member that starts right but is broken is reported as such.
        let mut v = GZ_N.to_vec();
        v.extend_from_slice(&[0x1f, 0x00]);
        assert_eq!(decompress(&v, 1024), Err(Error::NotGzip { offset: 50 }));
    }

    #[test]
    fn crc_and_size_mismatch() {
        let mut v = GZ_N.to_vec();
        v[42] ^= 0x80;
        assert_eq!(decompress(&v, 1024), Err(Error::CrcMismatch { offset: 42 }));
        let mut v = GZ_N.to_vec();
        v[46] = 0x1f;
        assert_eq!(
            decompress(&v, 1024),
            Err(Error::SizeMismatch { offset: 46 })
        );
        // Second member's trailer.
        let mut v = GZ_TWO.to_vec();
        v[45] ^= 1;
        assert_eq!(decompress(&v, 1024), Err(Error::CrcMismatch { offset: 44 }));
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            decompress(b"#cloud-config", 99),
            Err(Error::NotGzip { offset: 0 })
        );
        assert_eq!(decompress(b"x", 99), Err(Error::NotGzip { offset: 0 }));
        let mut v = GZ_N.to_vec();
        v[2] = 7;
        assert_eq!(decompress(&v, 99), Err(Error::BadMethod { offset: 2 }));
        let mut v = GZ_N.to_vec();
        v[3] = 0x20;
        assert_eq!(decompress(&v, 99), Err(Error::ReservedFlags { offset: 3 }));
        // FEXTRA claiming more bytes than there are.
        let mut v = GZ_N[..10].to_vec();
        v[3] = flag::FEXTRA;
        v.extend_from_slice(&[0xff, 0xff, 1, 2, 3]);
        assert_eq!(decompress(&v, 99), Err(Error::Truncated { offset: 15 }));
        // FNAME without its terminator.
        let mut v = GZ_N[..10].to_vec();
        v[3] = flag::FNAME;
        v.extend_from_slice(b"abc");
        assert_eq!(decompress(&v, 99), Err(Error::Truncated { offset: 13 }));
    }

    #[test]
    fn corrupt_deflate() {
        // Block type 3 is reserved.
        let mut v = GZ_N[..10].to_vec();
        v.extend_from_slice(&[0x07, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(decompress(&v, 99), Err(Error::Corrupt { .. })));
        // A fixed-Huffman block whose first symbol copies from distance 1
        // of an empty output (zlib: "invalid distance too far back").
        let mut v = GZ_N[..10].to_vec();
        v.extend_from_slice(&[0x03, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decompress(&v, 99), Err(Error::Corrupt { offset: 12 }));
        // Back-references cannot reach into an earlier member's output.
        let mut v = GZ_N.to_vec();
        v.extend_from_slice(&GZ_N[..10]);
        v.extend_from_slice(&[0x03, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(decompress(&v, 99), Err(Error::Corrupt { .. })));
    }

    #[test]
    fn truncated_at_every_length() {
        for input in [&GZ_N[..], &GZ_NAME[..], &GZ_EMPTY[..]] {
            for len in 0..input.len() {
                match decompress(&input[..len], 1024) {
                    Err(Error::Truncated { offset }) => assert_eq!(offset, len),
                    other => panic!("len {len}: {other:?}"),
                }
            }
        }
        let mut full = FULL_HEADER.to_vec();
        full.extend_from_slice(&GZ_N[10..]);
        for len in 0..full.len() {
            assert_eq!(
                decompress(&full[..len], 1024),
                Err(Error::Truncated { offset: len }),
                "len {len}"
            );
        }
        // Cut inside the second member: the first alone is not returned.
        for len in 27..GZ_TWO.len() {
            assert_eq!(
                decompress(&GZ_TWO[..len], 1024),
                Err(Error::Truncated { offset: len })
            );
        }
        // Cut right after the first member is a complete stream.
        assert_eq!(decompress(&GZ_TWO[..26], 1024).unwrap(), b"hello ");
    }

    #[test]
    fn corruption_never_panics() {
        for i in 0..GZ_NAME.len() {
            for bit in 0..8 {
                let mut v = GZ_NAME.to_vec();
                v[i] ^= 1 << bit;
                let r = decompress(&v, 1024);
                // FTEXT, MTIME, XFL, OS, the name and the padding bits
                // after the last deflate block are covered by no check;
                // whatever is accepted must still be the right data.
                if (4..21).contains(&i) || (i, bit) == (3, 0) || i == 53 {
                    assert!(r.is_err() || r == Ok(TEXT.to_vec()), "byte {i} bit {bit}");
                } else {
                    assert!(r.is_err(), "byte {i} bit {bit}");
                }
            }
        }
    }

    #[test]
    fn limit() {
        assert_eq!(decompress(&GZ_N, TEXT.len()).unwrap(), TEXT);
        assert_eq!(decompress(&GZ_N, TEXT.len() - 1), Err(Error::TooLarge));
        assert_eq!(decompress(&GZ_N, 0), Err(Error::TooLarge));
        // The limit covers all members together.
        assert_eq!(decompress(&GZ_TWO, 12).unwrap(), b"hello world\n");
        assert_eq!(decompress(&GZ_TWO, 11), Err(Error::TooLarge));
        assert_eq!(decompress(&GZ_TWO, 5), Err(Error::TooLarge));
    }

    #[test]
    fn large_output_grows_and_respects_limit() {
        // 3 MiB of zeros deflates to a few KiB: a small bomb.
        let plain = vec![0u8; 3 << 20];
        let deflated = miniz_oxide::deflate::compress_to_vec(&plain, 9);
        let gz = member(&deflated, &plain);
        assert!(gz.len() < 8 << 10);
        assert_eq!(decompress(&gz, plain.len()).unwrap(), plain);
        assert_eq!(decompress(&gz, plain.len() - 1), Err(Error::TooLarge));
        assert_eq!(decompress(&gz, 1 << 20), Err(Error::TooLarge));
        // Incompressible-ish data exercising back-references across growth.
        let plain: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 % 17)
            .collect();
        let deflated = miniz_oxide::deflate::compress_to_vec(&plain, 6);
        let gz = member(&deflated, &plain);
        assert_eq!(decompress(&gz, usize::MAX).unwrap(), plain);
    }

    #[test]
    fn display() {
        assert_eq!(
            Error::CrcMismatch { offset: 42 }.to_string(),
            "gzip CRC-32 mismatch at byte 42"
        );
        assert_eq!(
            Error::TooLarge.to_string(),
            "decompressed data exceeds the size limit"
        );
        assert_eq!(
            Error::Truncated { offset: 3 }.to_string(),
            "gzip data is truncated at byte 3"
        );
    }
}
