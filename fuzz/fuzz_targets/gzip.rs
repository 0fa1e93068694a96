//! gzip, three ways:
//! - the input as a gzip stream: never panics, never exceeds the limit;
//! - the input compressed by miniz_oxide (level from the first byte: stored,
//!   fixed and dynamic blocks) and framed as a gzip member: egret must give
//!   the input back;
//! - the input as raw deflate data framed as a member: what egret inflates,
//!   miniz_oxide inflates to the same bytes. Not the converse: egret refuses
//!   the code sets RFC 1951 forbids as zlib does, and miniz_oxide accepts
//!   some of them (e.g. an incomplete distance code).
#![no_main]

use egret::text::gzip;
use libfuzzer_sys::fuzz_target;
use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

const LIMIT: usize = 1 << 16;
/// A minimal member header: no flags, no mtime, OS unknown.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Bitwise CRC-32 to check egret's table-driven one on short inputs.
fn crc32_slow(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xedb8_8320 } else { c >> 1 };
        }
    }
    !c
}

fn member(deflate: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut gz = HEADER.to_vec();
    gz.extend_from_slice(deflate);
    gz.extend_from_slice(&gzip::crc32(0, plain).to_le_bytes());
    gz.extend_from_slice(&(plain.len() as u32).to_le_bytes());
    gz
}

fuzz_target!(|data: &[u8]| {
    let _ = (gzip::is_gzip(data), gzip::original_name(data));
    if let Ok(v) = gzip::decompress(data, LIMIT) {
        assert!(v.len() <= LIMIT, "output past the limit");
    }

    if data.len() <= 256 {
        assert_eq!(gzip::crc32(0, data), crc32_slow(data), "crc32");
    }
    if let Some((&level, plain)) = data.split_first() {
        let gz = member(&compress_to_vec(plain, level % 11), plain);
        match gzip::decompress(&gz, LIMIT) {
            Ok(got) => assert!(got == plain, "round trip through miniz_oxide's deflater"),
            Err(e) => panic!("refuses miniz_oxide's level {} deflate: {e}", level % 11),
        }
    }

    let mut ours = HEADER.to_vec();
    ours.extend_from_slice(data);
    let mut out = vec![0u8; LIMIT];
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, used, n) = decompress(&mut DecompressorOxide::new(), data, &mut out, 0, flags);
    if status == TINFLStatus::Done {
        // Framed with a correct trailer: egret either agrees or refuses.
        if let Ok(got) = gzip::decompress(&member(&data[..used], &out[..n]), LIMIT) {
            assert!(got == out[..n], "inflated differently from miniz_oxide");
        }
    } else if let Ok(got) = gzip::decompress(&ours, LIMIT) {
        panic!("miniz_oxide says {status:?}, egret inflates {} bytes", got.len());
    }
});
