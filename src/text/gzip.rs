//! gzip (RFC 1952) decompression for user-data and `write_files` with
//! `encoding: gzip`.
//!
//! Owns the member framing: the header (a checked view: method, flags,
//! optional fields, header CRC), the trailer (CRC-32 and ISIZE, both
//! verified) and concatenated members, which `gzip -d` and Python's `gzip`
//! both accept. Zero bytes after a member are skipped as they are by both;
//! anything else after a member is an error rather than silently dropped.
//! Also owns the inflater (RFC 1951), written for size: Huffman codes are
//! decoded a bit at a time from their canonical form, with a small cache
//! of the short codes filled as they are met, so no table is built up
//! front and a block costs time in proportion to its length. As zlib, it
//! refuses the code sets RFC 1951 forbids (over-subscribed, or incomplete
//! other than a lone one-bit code or no code at all) and distances
//! reaching before the member's output, and it reports where its stream
//! ends, so the trailer can be found.
//!
//! It must never produce more than the caller's limit (a few hundred bytes
//! of gzip can expand to gigabytes), never panic on any input, and never
//! return output whose CRC was not checked.

use alloc::vec::Vec;
use core::fmt;

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

/// Inflates one raw deflate stream (RFC 1951) from `input` onto the end of
/// `out`, keeping `out` within `limit`. Returns how many input bytes the
/// stream used. `base` is the offset of `input` in the whole input.
fn inflate_member(
    input: &[u8],
    base: usize,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<usize, Error> {
    let mut s = Inflate {
        input,
        base,
        pos: 0,
        bit_buf: 0,
        bit_cnt: 0,
        start: out.len(),
        limit,
    };
    let mut lit = Huffman::EMPTY;
    let mut dist = Huffman::EMPTY;
    // Whether `lit` and `dist` hold the fixed codes: a stream of many tiny
    // fixed blocks must not rebuild them for every ten bits of input.
    let mut fixed = false;
    loop {
        let header = s.bits(3)?;
        match header >> 1 {
            0 => s.stored(out)?,
            1 => {
                if !fixed {
                    fixed_codes(&mut lit, &mut dist).ok_or_else(|| s.corrupt())?;
                    fixed = true;
                }
                s.codes(out, &mut lit, &mut dist)?;
            }
            2 => {
                fixed = false;
                s.dynamic(&mut lit, &mut dist)?;
                s.codes(out, &mut lit, &mut dist)?;
            }
            _ => return Err(s.corrupt()),
        }
        if header & 1 != 0 {
            // The rest of the last byte is padding.
            return Ok(s.used());
        }
    }
}

/// Length symbols 257..=285: base lengths (RFC 1951 section 3.2.5).
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];

/// Distance symbols 0..=29: base distances.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];

/// The order in which the code length code's lengths are sent.
const CL_ORDER: [u8; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Literal/length codes 286 and 287 and distance codes 30 and 31 take part
/// in the fixed codes but never occur in valid data.
const MAX_LIT: usize = 286;
const MAX_DIST: usize = 30;

/// Codes up to this long are looked up in one step; longer ones, rare in
/// practice, are decoded a bit at a time.
const FAST_BITS: u32 = 9;

/// A canonical Huffman code: per length, how many codes there are, and
/// the symbols in code order, which is all a bit-by-bit decode needs; plus
/// a cache of the short codes for speed.
struct Huffman {
    count: [u16; 16],
    symbol: [u16; 288],
    /// Indexed by the next `FAST_BITS` input bits: `symbol << 4 | length`
    /// of the code they start with, once decoded that way, else 0. Filled
    /// as codes are met rather than up front, so that a block costs time
    /// in proportion to its size, however small.
    fast: [u16; 1 << FAST_BITS],
}

impl Huffman {
    const EMPTY: Self = Huffman {
        count: [0; 16],
        symbol: [0; 288],
        fast: [0; 1 << FAST_BITS],
    };

    /// Makes `h` the code with these code lengths (RFC 1951 section
    /// 3.2.2); None if the lengths over-subscribe the code space or leave
    /// part of it unused. As in zlib, an empty code is allowed (its use
    /// fails when decoding) and, if `one_ok`, so is a single one-bit code:
    /// RFC 1951 sends a lone distance code that way. Built in place, as
    /// the tables are too big to move around.
    fn build(h: &mut Self, lengths: &[u8], one_ok: bool) -> Option<()> {
        h.count = [0; 16];
        for &l in lengths {
            *h.count.get_mut(usize::from(l))? += 1;
        }
        // offs[len]: index in `symbol` of the first code of that length.
        let mut offs = [0u16; 16];
        let mut left = 1i32;
        let mut used = 0u16;
        for (&c, o) in h.count.iter().zip(offs.iter_mut()).skip(1) {
            left = left * 2 - i32::from(c);
            if left < 0 {
                return None;
            }
            *o = used;
            used += c;
        }
        let single = one_ok && used == 1 && h.count.get(1) == Some(&1);
        if left > 0 && used > 0 && !single {
            return None;
        }
        for (sym, &l) in (0u16..).zip(lengths) {
            if l != 0 {
                let o = offs.get_mut(usize::from(l))?;
                *h.symbol.get_mut(usize::from(*o))? = sym;
                *o += 1;
            }
        }
        h.fast = [0; 1 << FAST_BITS];
        Some(())
    }

    /// Decodes the code at the start of `bits` (first bit lowest), of
    /// which `avail` are there: `symbol << 4 | length`, 0 if the code is
    /// longer than `avail` bits, None if no code starts that way. Huffman
    /// codes are sent first bit highest, so the code grows a bit at a time
    /// until it falls within the range of codes of its length.
    fn walk(&self, mut bits: u32, avail: u32) -> Option<u32> {
        let (mut code, mut first, mut index) = (0u32, 0u32, 0u32);
        for len in 1..16 {
            if len > avail {
                return Some(0);
            }
            code |= bits & 1;
            bits >>= 1;
            let count = u32::from(*self.count.get(len as usize)?);
            // Shorter codes were tried already, so `code >= first`.
            let i = code.wrapping_sub(first);
            if i < count {
                let sym = self.symbol.get((index + i) as usize)?;
                return Some(u32::from(*sym) << 4 | len);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// Makes `lit` and `dist` the fixed codes (RFC 1951 section 3.2.6).
fn fixed_codes(lit: &mut Huffman, dist: &mut Huffman) -> Option<()> {
    let mut lengths = [8u8; 288];
    lengths.get_mut(144..256)?.fill(9);
    lengths.get_mut(256..280)?.fill(7);
    Huffman::build(lit, &lengths, false)?;
    Huffman::build(dist, &[5; 32], false)
}

/// The state of one raw deflate stream: the input bit reader and where
/// the output of this member starts.
struct Inflate<'a> {
    input: &'a [u8],
    /// Offset of `input` in the whole gzip input, for error positions.
    base: usize,
    /// Input bytes taken into `bit_buf` so far.
    pos: usize,
    /// Bits not used yet, least significant first.
    bit_buf: u32,
    bit_cnt: u32,
    /// Where this member's output starts in `out`: back-references cannot
    /// reach further back, into an earlier member.
    start: usize,
    limit: usize,
}

impl Inflate<'_> {
    /// Input bytes whose bits were used, wholly or in part.
    fn used(&self) -> usize {
        self.pos - (self.bit_cnt / 8) as usize
    }

    #[cold]
    #[inline(never)]
    fn corrupt(&self) -> Error {
        Error::Corrupt {
            offset: self.base.saturating_add(self.used()),
        }
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self) -> Error {
        Error::Truncated {
            offset: self.base.saturating_add(self.input.len()),
        }
    }

    /// Tops the bit buffer up to more than 24 bits, or to what is left.
    fn refill(&mut self) {
        while self.bit_cnt <= 24 {
            let Some(&b) = self.input.get(self.pos) else {
                return;
            };
            self.pos += 1;
            self.bit_buf |= u32::from(b) << self.bit_cnt;
            self.bit_cnt += 8;
        }
    }

    /// The next `n` (at most 16) bits, first bit lowest.
    fn bits(&mut self, n: u32) -> Result<u32, Error> {
        if self.bit_cnt < n {
            self.refill();
            if self.bit_cnt < n {
                return Err(self.truncated());
            }
        }
        let v = self.bit_buf & ((1 << n) - 1);
        self.bit_buf >>= n;
        self.bit_cnt -= n;
        Ok(v)
    }

    /// The next symbol of code `h`.
    fn decode(&mut self, h: &mut Huffman) -> Result<usize, Error> {
        // Codes are at most 15 bits: after this, running out of bits
        // means running out of input.
        self.refill();
        let slot = (self.bit_buf & ((1 << FAST_BITS) - 1)) as usize;
        let mut entry = u32::from(h.fast.get(slot).copied().unwrap_or_default());
        if entry == 0 || entry & 15 > self.bit_cnt {
            entry = h
                .walk(self.bit_buf, self.bit_cnt)
                .ok_or_else(|| self.corrupt())?;
            // The slot's bits beyond the code's length do not matter.
            if let Some(e) = h.fast.get_mut(slot).filter(|_| entry & 15 <= FAST_BITS) {
                *e = entry as u16;
            }
        }
        let len = entry & 15;
        if len == 0 {
            return Err(self.truncated());
        }
        self.bit_buf >>= len;
        self.bit_cnt -= len;
        Ok((entry >> 4) as usize)
    }

    /// A stored block: byte-aligned LEN, NLEN and LEN bytes.
    fn stored(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.pos = self.used();
        self.bit_buf = 0;
        self.bit_cnt = 0;
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let (len, rest) = rest.split_first_chunk().ok_or_else(|| self.truncated())?;
        // LEN, then NLEN, its one's complement; the casts take the halves.
        let len = u32::from_le_bytes(*len);
        if len as u16 != !(len >> 16) as u16 {
            return Err(self.corrupt());
        }
        let data = rest
            .get(..usize::from(len as u16))
            .ok_or_else(|| self.truncated())?;
        self.reserve(out, data.len())?;
        out.extend_from_slice(data);
        self.pos += 4 + data.len();
        Ok(())
    }

    /// Reads the code lengths of a dynamic block and builds its codes.
    fn dynamic(&mut self, lit: &mut Huffman, dist: &mut Huffman) -> Result<(), Error> {
        let nlen = self.bits(5)? as usize + 257;
        let ndist = self.bits(5)? as usize + 1;
        let ncode = self.bits(4)? as usize + 4;
        if nlen > MAX_LIT || ndist > MAX_DIST {
            return Err(self.corrupt());
        }
        let mut lengths = [0u8; MAX_LIT + MAX_DIST];
        for &i in CL_ORDER.iter().take(ncode) {
            let l = lengths
                .get_mut(usize::from(i))
                .ok_or_else(|| self.corrupt())?;
            *l = self.bits(3)? as u8;
        }
        // The code length code goes in `lit` until the lengths are read;
        // zlib too wants it complete.
        let cl = lengths.get(..19).unwrap_or_default();
        Huffman::build(lit, cl, false).ok_or_else(|| self.corrupt())?;
        lengths = [0; MAX_LIT + MAX_DIST];
        let n = nlen + ndist;
        let mut i = 0;
        while i < n {
            let sym = self.decode(lit)?;
            let (len, repeat) = match sym {
                // Repeat the previous length, which must exist.
                16 => {
                    let prev = i.checked_sub(1).and_then(|p| lengths.get(p));
                    let prev = *prev.ok_or_else(|| self.corrupt())?;
                    (prev, 3 + self.bits(2)?)
                }
                17 => (0, 3 + self.bits(3)?),
                18 => (0, 11 + self.bits(7)?),
                // The code length code has 19 symbols, so this is 0..=15.
                _ => (sym as u8, 1),
            };
            let end = i + repeat as usize;
            let run = lengths.get_mut(i..end).filter(|_| end <= n);
            run.ok_or_else(|| self.corrupt())?.fill(len);
            i = end;
        }
        // Without an end-of-block code the block could never end.
        if lengths.get(256) == Some(&0) {
            return Err(self.corrupt());
        }
        let (l, d) = lengths.get(..n).unwrap_or_default().split_at(nlen);
        Huffman::build(lit, l, true)
            .and_then(|()| Huffman::build(dist, d, true))
            .ok_or_else(|| self.corrupt())
    }

    /// The symbols of a fixed or dynamic block, up to its end-of-block.
    fn codes(
        &mut self,
        out: &mut Vec<u8>,
        lit: &mut Huffman,
        dist: &mut Huffman,
    ) -> Result<(), Error> {
        loop {
            let sym = self.decode(lit)?;
            if let Ok(b) = u8::try_from(sym) {
                self.reserve(out, 1)?;
                out.push(b);
                continue;
            }
            // 256 ends the block; 257.. are lengths.
            let Some(i) = sym.checked_sub(257) else {
                return Ok(());
            };
            let base = *LEN_BASE.get(i).ok_or_else(|| self.corrupt())?;
            // Lengths 11..=257 come in runs of four per extra bit; 258 has
            // a code of its own.
            let extra = if (8..28).contains(&i) { i / 4 - 1 } else { 0 };
            let len = usize::from(base) + self.bits(extra as u32)? as usize;
            let d = self.decode(dist)?;
            let base = *DIST_BASE.get(d).ok_or_else(|| self.corrupt())?;
            // Distances come in pairs per extra bit from 5 on.
            let extra = (d / 2).saturating_sub(1);
            let dist = usize::from(base) + self.bits(extra as u32)? as usize;
            if dist > out.len().saturating_sub(self.start) {
                return Err(self.corrupt());
            }
            self.reserve(out, len)?;
            // The copy may overlap what it writes (`dist < len`), so it
            // goes in pieces; as the output repeats every `dist` bytes,
            // each piece can start at `from` again and be as long as all
            // that follows it. `from + n <= out.len()` always holds, so
            // `extend_from_within` cannot panic, and `n >= dist >= 1`.
            let from = out.len().saturating_sub(dist);
            let mut left = len;
            while left > 0 {
                let n = left.min(out.len().saturating_sub(from));
                out.extend_from_within(from..from + n);
                left -= n;
            }
        }
    }

    /// Makes room for `n` more bytes in `out`, refusing to let it hold
    /// more than the limit or allocate past it; a failed allocation is an
    /// error too, not an abort.
    #[inline(always)]
    fn reserve(&self, out: &mut Vec<u8>, n: usize) -> Result<(), Error> {
        let need = out.len().checked_add(n).filter(|&l| l <= self.limit);
        let need = need.ok_or(Error::TooLarge)?;
        if need > out.capacity() {
            return grow(out, need, self.limit);
        }
        Ok(())
    }
}

/// The slow part of [`Inflate::reserve`]: doubles `out`'s capacity, but
/// not past `limit`.
#[inline(never)]
fn grow(out: &mut Vec<u8>, need: usize, limit: usize) -> Result<(), Error> {
    let want = out.capacity().saturating_mul(2).max(need).max(4096);
    let more = want.min(limit).saturating_sub(out.len());
    out.try_reserve_exact(more).map_err(|_| Error::TooLarge)
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

    /// A cloud-config long enough for compressors to use dynamic Huffman
    /// blocks.
    const PLAIN: &[u8] = br#"#cloud-config
hostname: egret
fqdn: egret.example.org
users:
  - name: ops
    groups: [wheel, adm]
    shell: /bin/bash
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyExampleKeyExampleKey ops@egret
write_files:
  - path: /etc/motd
    content: |
      egret was here. egret was here. egret was here.
    permissions: "0644"
"#;

    /// `gzip -1 -n plain.yaml`; Python's `zlib.compressobj(1, DEFLATED, 31)`
    /// gives the same bytes: one dynamic block.
    const GZ_1: [u8; 249] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03, 0x85, 0x90, 0x3d, 0x4f, 0xc3,
        0x30, 0x10, 0x86, 0xf7, 0xfc, 0x8a, 0x53, 0x59, 0x49, 0x42, 0xa0, 0x41, 0xc2, 0x13, 0xa8,
        0x74, 0xa8, 0x90, 0x3a, 0x31, 0x81, 0x50, 0xe4, 0xc6, 0x97, 0xd8, 0xc2, 0x5f, 0xf8, 0x1c,
        0x85, 0x56, 0xfc, 0x78, 0xdc, 0xb8, 0x23, 0x12, 0x37, 0xdd, 0x7b, 0x5f, 0x7a, 0xee, 0xbd,
        0xea, 0xb5, 0x9b, 0x44, 0xd9, 0x3b, 0x3b, 0xa8, 0xb1, 0x90, 0x8e, 0xa2, 0xe5, 0x06, 0x19,
        0xe0, 0x18, 0x30, 0x16, 0xc3, 0x97, 0xb0, 0x97, 0xbc, 0xc2, 0x6f, 0x6e, 0xbc, 0xc6, 0xca,
        0x85, 0xb1, 0x98, 0x08, 0x03, 0xb1, 0x02, 0xa0, 0x84, 0x3c, 0xee, 0x3c, 0x25, 0x05, 0x30,
        0x06, 0x37, 0x79, 0x62, 0xf0, 0x3e, 0x4b, 0x44, 0x7d, 0x0d, 0x5c, 0x98, 0x8f, 0xa5, 0x41,
        0x12, 0xb5, 0x66, 0x50, 0x1f, 0x94, 0xad, 0x0f, 0x9c, 0x64, 0x2e, 0x92, 0xec, 0xf8, 0x14,
        0xa5, 0x0b, 0xea, 0x84, 0xa2, 0xfb, 0xc4, 0xe3, 0x72, 0xf4, 0x7c, 0xa8, 0x04, 0x22, 0x59,
        0xa2, 0xb8, 0x6d, 0xdb, 0xe6, 0x01, 0x9e, 0x52, 0x6c, 0xee, 0xf6, 0x27, 0xbe, 0x69, 0xf4,
        0xdb, 0xf3, 0xae, 0xd9, 0xbf, 0x6e, 0xdb, 0x73, 0x6d, 0xb7, 0xcd, 0x50, 0x2f, 0x78, 0xfc,
        0x2b, 0x83, 0x84, 0xf5, 0x98, 0x3f, 0x99, 0x83, 0x8a, 0xd8, 0x0d, 0x4a, 0xe3, 0x85, 0xdb,
        0xf3, 0x28, 0x13, 0x0f, 0xc6, 0xbe, 0x36, 0x2e, 0x8a, 0x85, 0x27, 0xb9, 0x10, 0xd1, 0x46,
        0x06, 0x3f, 0x8b, 0x84, 0xec, 0x02, 0xcc, 0x9c, 0x40, 0x62, 0xc0, 0xea, 0x3f, 0xbd, 0x6c,
        0x79, 0x0c, 0x46, 0x11, 0x29, 0x67, 0x93, 0x0f, 0xab, 0x9b, 0xfb, 0xf5, 0x7a, 0x55, 0xfc,
        0x02, 0x2d, 0xac, 0xb6, 0x24, 0x66, 0x01, 0x00, 0x00,
    ];

    /// `gzip -9 -n plain.yaml`, again the same as Python's zlib at level 9:
    /// one dynamic block, chosen differently.
    const GZ_9: [u8; 246] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x85, 0x90, 0x3d, 0x4f, 0xc3,
        0x30, 0x10, 0x86, 0x77, 0xff, 0x8a, 0x53, 0x59, 0x49, 0x42, 0xa0, 0x41, 0x22, 0x13, 0xa8,
        0x74, 0xa8, 0x90, 0x3a, 0x31, 0x81, 0x50, 0xe4, 0xc6, 0x97, 0xd8, 0xc2, 0x5f, 0xf8, 0x1c,
        0x85, 0x56, 0xfc, 0x78, 0x12, 0x27, 0x23, 0x12, 0x37, 0xdd, 0xf7, 0x3d, 0xf7, 0x5e, 0xb5,
        0xda, 0x0d, 0x22, 0x6b, 0x9d, 0xed, 0x54, 0xcf, 0xa4, 0xa3, 0x68, 0xb9, 0xc1, 0x1a, 0xb0,
        0x0f, 0x18, 0x59, 0xf7, 0x25, 0xec, 0xea, 0xe7, 0xf8, 0xcd, 0x8d, 0xd7, 0x98, 0xbb, 0xd0,
        0xb3, 0x81, 0x30, 0x50, 0xcd, 0x00, 0x32, 0x58, 0xda, 0x9d, 0xa7, 0x29, 0x02, 0xe8, 0x83,
        0x1b, 0x3c, 0xd5, 0xf0, 0x3e, 0x4a, 0x44, 0x7d, 0x0d, 0x5c, 0x98, 0x8f, 0x54, 0x20, 0x89,
        0x5a, 0xd7, 0x50, 0x9c, 0x94, 0x2d, 0x4e, 0x9c, 0xe4, 0x92, 0x24, 0xd9, 0xf0, 0x21, 0x4a,
        0x17, 0xd4, 0x05, 0x45, 0xf3, 0x89, 0xe7, 0xb4, 0x74, 0xb6, 0x6c, 0x2e, 0x66, 0x28, 0x6e,
        0xab, 0xaa, 0x7c, 0x80, 0xa7, 0xc9, 0x76, 0x77, 0xc7, 0x0b, 0xdf, 0x95, 0xfa, 0xed, 0xf9,
        0x50, 0x1e, 0x5f, 0xf7, 0xd5, 0x9c, 0x3b, 0xec, 0x17, 0xa8, 0x17, 0x3c, 0xff, 0xe5, 0xcd,
        0x58, 0x8f, 0xcb, 0x27, 0x63, 0x50, 0x11, 0x9b, 0x4e, 0x69, 0x5c, 0xb9, 0x3d, 0x8f, 0x72,
        0xe2, 0xc1, 0xd8, 0x16, 0xc6, 0x45, 0x91, 0xce, 0x4e, 0x2a, 0x44, 0xb4, 0xb1, 0x86, 0x9f,
        0x95, 0x22, 0xcd, 0xc2, 0xc8, 0x09, 0x24, 0x06, 0xcc, 0xff, 0x8b, 0xd3, 0x94, 0xc7, 0x60,
        0x14, 0x91, 0x72, 0x76, 0xd2, 0x61, 0x73, 0x73, 0xbf, 0xdd, 0x6e, 0xd8, 0x2f, 0x2d, 0xac,
        0xb6, 0x24, 0x66, 0x01, 0x00, 0x00,
    ];

    /// Python, `zlib.compressobj(9, DEFLATED, 31)` fed `PLAIN[..330]`, then
    /// `flush(Z_SYNC_FLUSH)`, then the rest: a dynamic block, the flush's
    /// empty stored block (`00 00 ff ff` at byte 223) and a fixed block.
    const GZ_MULTI: [u8; 260] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x7c, 0x90, 0x3d, 0x4f, 0xc4,
        0x30, 0x0c, 0x86, 0xf7, 0xfe, 0x0a, 0x4b, 0xac, 0xb4, 0x55, 0x41, 0x1d, 0xc8, 0x74, 0xe8,
        0xb8, 0xe1, 0x84, 0x74, 0x13, 0x13, 0x08, 0x55, 0xb9, 0xe6, 0x6d, 0x13, 0x91, 0x26, 0x25,
        0x4e, 0x55, 0xee, 0xc4, 0x8f, 0xa7, 0x5f, 0x23, 0x3a, 0x4f, 0xb6, 0x5f, 0x7f, 0x3c, 0xf6,
        0x5d, 0x6d, 0xfd, 0xa0, 0xd2, 0xda, 0xbb, 0xc6, 0xb4, 0x89, 0xf6, 0x1c, 0x9d, 0xec, 0x20,
        0x08, 0x6d, 0x40, 0x4c, 0x9a, 0x6f, 0xe5, 0x36, 0x3f, 0xc3, 0x8f, 0xec, 0x7a, 0x8b, 0xcc,
        0x87, 0x36, 0x19, 0x18, 0x81, 0x45, 0x42, 0x94, 0xd2, 0x5a, 0xee, 0x7b, 0x9e, 0x22, 0xa2,
        0x36, 0xf8, 0xa1, 0x67, 0x41, 0x1f, 0xa3, 0x06, 0xec, 0x3d, 0x49, 0xd5, 0x7d, 0x2e, 0x02,
        0x6b, 0x58, 0x2b, 0x28, 0x3f, 0x1b, 0x97, 0x9f, 0x25, 0xeb, 0x35, 0xc9, 0xba, 0x92, 0x43,
        0xd4, 0x3e, 0x98, 0x2b, 0x54, 0xf5, 0x85, 0xcb, 0x32, 0x74, 0xb6, 0x74, 0x16, 0x53, 0xa8,
        0x87, 0xb2, 0x2c, 0x9e, 0xe8, 0x79, 0xb2, 0xfd, 0xe3, 0xe9, 0x2a, 0xf7, 0x85, 0x7d, 0x7f,
        0x39, 0x16, 0xa7, 0xb7, 0x43, 0x39, 0xe7, 0x8e, 0x87, 0x15, 0xea, 0x15, 0x97, 0xff, 0xbc,
        0x19, 0x6b, 0xb7, 0x5e, 0x32, 0x06, 0x13, 0x51, 0x35, 0xc6, 0x62, 0xe3, 0xee, 0x65, 0xd4,
        0x13, 0x0f, 0x62, 0x9d, 0x77, 0x3e, 0xaa, 0x65, 0xed, 0xf4, 0x85, 0x08, 0x17, 0x05, 0xfd,
        0x6e, 0x14, 0x4b, 0x2f, 0x8d, 0x92, 0x49, 0x23, 0x20, 0xbb, 0x19, 0xff, 0x01, 0x00, 0x00,
        0xff, 0xff, 0x03, 0xf2, 0xc1, 0xba, 0x0a, 0x52, 0x8b, 0x72, 0x33, 0x8b, 0x8b, 0x33, 0xf3,
        0xf3, 0x80, 0xe1, 0xa0, 0x64, 0x60, 0x66, 0x62, 0xa2, 0xc4, 0x05, 0x00, 0x2d, 0xac, 0xb6,
        0x24, 0x66, 0x01, 0x00, 0x00,
    ];

    /// `TEXT` through Python's `zlib.compressobj(0, DEFLATED, 31)`: one
    /// stored block.
    const GZ_PY0: [u8; 53] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03, 0x01, 0x1e, 0x00, 0xe1, 0xff,
        0x23, 0x63, 0x6c, 0x6f, 0x75, 0x64, 0x2d, 0x63, 0x6f, 0x6e, 0x66, 0x69, 0x67, 0x0a, 0x68,
        0x6f, 0x73, 0x74, 0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0x65, 0x67, 0x72, 0x65, 0x74, 0x0a,
        0x09, 0xed, 0x11, 0xcd, 0x1e, 0x00, 0x00, 0x00,
    ];

    /// `TEXT` through Python's zlib at level 1: one fixed block, not the
    /// one `gzip -9` makes.
    const GZ_PY1: [u8; 50] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03, 0x53, 0x4e, 0xce, 0xc9, 0x2f,
        0x4d, 0xd1, 0x4d, 0xce, 0xcf, 0x4b, 0xcb, 0x4c, 0xe7, 0xca, 0xc8, 0x2f, 0x2e, 0xc9, 0x4b,
        0xcc, 0x4d, 0xb5, 0x52, 0x48, 0x4d, 0x2f, 0x4a, 0x2d, 0xe1, 0x02, 0x00, 0x09, 0xed, 0x11,
        0xcd, 0x1e, 0x00, 0x00, 0x00,
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

    /// The raw deflate data of a member with no optional header fields.
    fn raw(gz: &[u8]) -> &[u8] {
        &gz[10..gz.len() - 8]
    }

    /// Inflates raw deflate data alone: the output and the bytes used.
    fn inflate(data: &[u8], limit: usize) -> Result<(Vec<u8>, usize), Error> {
        let mut out = Vec::new();
        let used = inflate_member(data, 0, &mut out, limit)?;
        Ok((out, used))
    }

    /// Deflate data written bit by bit, first bit lowest (RFC 1951
    /// section 3.1.1), for streams no compressor would make.
    #[derive(Default)]
    struct Writer {
        out: Vec<u8>,
        bits: usize,
    }

    impl Writer {
        /// The low `len` bits of `v`, lowest first: header fields, extra
        /// bits.
        fn put(&mut self, v: u32, len: usize) -> &mut Self {
            for i in 0..len {
                if self.bits % 8 == 0 {
                    self.out.push(0);
                }
                *self.out.last_mut().unwrap() |= ((v >> i & 1) as u8) << (self.bits % 8);
                self.bits += 1;
            }
            self
        }

        /// A Huffman code, highest bit first.
        fn code(&mut self, (code, len): (u32, usize)) -> &mut Self {
            for i in (0..len).rev() {
                self.put(code >> i, 1);
            }
            self
        }

        /// Skips to the next byte boundary, as before a stored block's LEN.
        fn align(&mut self) -> &mut Self {
            self.bits = self.out.len() * 8;
            self
        }

        fn bytes(&mut self, b: &[u8]) -> &mut Self {
            self.align().out.extend_from_slice(b);
            self.bits = self.out.len() * 8;
            self
        }
    }

    /// Huffman codes by symbol: (code, length).
    type Codes = Vec<(u32, usize)>;

    /// The canonical codes for these code lengths (RFC 1951 section 3.2.2).
    fn canonical(lengths: &[u8]) -> Codes {
        let mut count = [0u32; 16];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        count[0] = 0;
        let mut next = [0u32; 16];
        for len in 1..16 {
            next[len] = (next[len - 1] + count[len - 1]) << 1;
        }
        let mut codes = Vec::new();
        for &l in lengths {
            let l = usize::from(l);
            codes.push((next[l], l));
            next[l] += 1;
        }
        codes
    }

    /// The code length code the tests send: every symbol, 0..=12 with
    /// four bits and 13..=18 with five, which is complete.
    fn cl(sym: u8) -> (u32, usize) {
        match sym {
            0..=12 => (u32::from(sym), 4),
            _ => (26 + u32::from(sym) - 13, 5),
        }
    }

    /// Starts a dynamic block (final if `last`) with these code lengths,
    /// `nlen` literal/length ones then the distance ones, each sent as a
    /// plain code length; returns both codes.
    fn dynamic(w: &mut Writer, last: bool, nlen: usize, lengths: &[u8]) -> (Codes, Codes) {
        w.put(u32::from(last), 1).put(2, 2);
        w.put(nlen as u32 - 257, 5)
            .put((lengths.len() - nlen - 1) as u32, 5);
        w.put(19 - 4, 4);
        for s in CL_ORDER {
            w.put(cl(s).1 as u32, 3);
        }
        for &l in lengths {
            w.code(cl(l));
        }
        (canonical(&lengths[..nlen]), canonical(&lengths[nlen..]))
    }

    /// (symbol, code length) pairs.
    type Pairs<'a> = &'a [(usize, u8)];

    /// Literal/length code lengths with these (symbol, length) pairs, then
    /// the given distance code lengths.
    fn lengths(lit: Pairs, dist: &[u8]) -> Vec<u8> {
        let mut v = vec![0; 257 + 29];
        for &(s, l) in lit {
            v[s] = l;
        }
        v.extend_from_slice(dist);
        v
    }

    /// A fixed code (RFC 1951 section 3.2.6).
    fn fixed(sym: u32) -> (u32, usize) {
        match sym {
            0..=143 => (0x30 + sym, 8),
            144..=255 => (0x190 + sym - 144, 9),
            256..=279 => (sym - 256, 7),
            _ => (0xc0 + sym - 280, 8),
        }
    }

    #[test]
    fn every_block_type() {
        let streams: [(&[u8], &[u8], u8); 6] = [
            (&GZ_PY0, TEXT, 0),
            (&GZ_PY1, TEXT, 1),
            (&GZ_N, TEXT, 1),
            (&GZ_1, PLAIN, 2),
            (&GZ_9, PLAIN, 2),
            (&GZ_MULTI, PLAIN, 2),
        ];
        for (gz, plain, btype) in streams {
            assert_eq!(gz[10] >> 1 & 3, btype);
            assert_eq!(decompress(gz, 1 << 20).unwrap(), plain);
            // The whole deflate stream is used, and nothing after it.
            let data = raw(gz);
            assert_eq!(inflate(data, 1 << 20), Ok((plain.to_vec(), data.len())));
            let mut more = data.to_vec();
            more.extend_from_slice(&[0xff; 9]);
            assert_eq!(inflate(&more, 1 << 20), Ok((plain.to_vec(), data.len())));
        }
        assert_ne!(GZ_1[..], GZ_9[..]);
        assert_ne!(GZ_PY1, GZ_N);
        // The flush's empty stored block, then a final fixed block.
        assert_eq!(GZ_MULTI[223..227], [0, 0, 0xff, 0xff]);
        assert_eq!(GZ_MULTI[227] & 7, 0b011);
    }

    #[test]
    fn limit_in_every_block_type() {
        for (gz, plain) in [
            (&GZ_PY0[..], TEXT),
            (&GZ_PY1, TEXT),
            (&GZ_9, PLAIN),
            (&GZ_MULTI, PLAIN),
        ] {
            let out = decompress(gz, plain.len()).unwrap();
            assert_eq!(out, plain);
            // The buffer never grew past the limit either.
            assert!(out.capacity() <= plain.len());
            for limit in [0, 1, plain.len() / 2, plain.len() - 1] {
                assert_eq!(decompress(gz, limit), Err(Error::TooLarge));
            }
        }
        // A copy that would cross the limit: "a", then 9 more from distance 1.
        let mut w = Writer::default();
        w.put(1, 1).put(1, 2).code(fixed(u32::from(b'a')));
        w.code(fixed(263)).code((0, 5)).code(fixed(256));
        assert_eq!(inflate(&w.out, 10), Ok((vec![b'a'; 10], w.out.len())));
        assert_eq!(inflate(&w.out, 9), Err(Error::TooLarge));
        assert_eq!(inflate(&w.out, 1), Err(Error::TooLarge));
    }

    #[test]
    fn truncated_real_streams() {
        for gz in [&GZ_1[..], &GZ_9, &GZ_MULTI, &GZ_PY0, &GZ_PY1] {
            for len in 0..gz.len() {
                assert_eq!(
                    decompress(&gz[..len], 1 << 20),
                    Err(Error::Truncated { offset: len }),
                    "len {len}"
                );
            }
        }
    }

    #[test]
    fn stored_blocks() {
        // LEN 0.
        assert_eq!(inflate(&[1, 0, 0, 0xff, 0xff], 0), Ok((vec![], 5)));
        // NLEN must be LEN's complement.
        assert_eq!(
            inflate(&[1, 0, 0, 0xff, 0xfe], 9),
            Err(Error::Corrupt { offset: 1 })
        );
        assert_eq!(
            inflate(&[1, 2, 0, 0xfd, 0xff, b'a'], 9),
            Err(Error::Truncated { offset: 6 })
        );
        assert_eq!(
            inflate(&[1, 2, 0, 0xfd, 0xff], 9),
            Err(Error::Truncated { offset: 5 })
        );
        assert_eq!(inflate(&[1, 2, 0], 9), Err(Error::Truncated { offset: 3 }));
        // A fixed block ending mid-byte, then a stored one from the next
        // byte boundary, then bytes that are not part of the stream.
        let mut w = Writer::default();
        w.put(0, 1)
            .put(1, 2)
            .code(fixed(u32::from(b'a')))
            .code(fixed(256));
        w.put(1, 1).put(0, 2).bytes(&[2, 0, 0xfd, 0xff, b'b', b'c']);
        let len = w.out.len();
        w.bytes(b"junk");
        assert_eq!(inflate(&w.out, 9), Ok((b"abc".to_vec(), len)));
        // Block type 3 is reserved.
        assert_eq!(inflate(&[0x07, 0, 0], 9), Err(Error::Corrupt { offset: 1 }));
    }

    #[test]
    fn distances() {
        // "a", then 3 from distance 1: overlapping copies repeat.
        let mut w = Writer::default();
        w.put(1, 1).put(1, 2).code(fixed(u32::from(b'a')));
        w.code(fixed(257)).code((0, 5)).code(fixed(256));
        assert_eq!(inflate(&w.out, 9), Ok((b"aaaa".to_vec(), w.out.len())));
        // Distance 2 with one byte written: zlib's "too far back". The
        // offset is the byte holding the distance code's last bit.
        let mut w = Writer::default();
        w.put(1, 1).put(1, 2).code(fixed(u32::from(b'a')));
        w.code(fixed(257)).code((1, 5));
        assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: 3 }));
        // The farthest distance, 32768 (code 29 with 13 extra bits), right
        // back to the start of the output; length 258 both as code 285 and
        // as 284 with 31 extra, as zlib accepts.
        let start: Vec<u8> = (0..32768u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = Writer::default();
        w.put(0, 1)
            .put(0, 2)
            .bytes(&[0x00, 0x80, 0xff, 0x7f])
            .bytes(&start);
        w.put(1, 1).put(1, 2);
        w.code(fixed(285)).code((29, 5)).put(8191, 13);
        w.code(fixed(284)).put(31, 5).code((29, 5)).put(8191, 13);
        w.code(fixed(256));
        let mut want = start.clone();
        want.extend_from_slice(&start[..516]);
        assert_eq!(inflate(&w.out, 1 << 20), Ok((want, w.out.len())));
        // One byte less output and the same distance is too far.
        let mut w = Writer::default();
        w.put(0, 1).put(0, 2).bytes(&[0xff, 0x7f, 0x00, 0x80]);
        w.bytes(&start[1..]).put(1, 1).put(1, 2);
        w.code(fixed(257)).code((29, 5)).put(8191, 13);
        assert!(matches!(
            inflate(&w.out, 1 << 20),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn fixed_codes_never_sent() {
        // Literal/length 286 and 287, distance 30 and 31.
        for sym in [286, 287] {
            let mut w = Writer::default();
            w.put(1, 1).put(1, 2).code(fixed(sym));
            assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: 2 }));
        }
        for d in [30, 31] {
            let mut w = Writer::default();
            w.put(1, 1).put(1, 2).code(fixed(u32::from(b'a')));
            w.code(fixed(257)).code((d, 5));
            assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: 3 }));
        }
    }

    #[test]
    fn dynamic_block_by_hand() {
        // 'a' 1 bit, end-of-block and length 3 two bits each; one
        // distance code of one bit, which RFC 1951 allows.
        let l = lengths(&[(97, 1), (256, 2), (257, 2)], &[1]);
        let mut w = Writer::default();
        let (lit, dist) = dynamic(&mut w, true, 257 + 29, &l);
        w.code(lit[97]).code(lit[257]).code(dist[0]).code(lit[256]);
        assert_eq!(inflate(&w.out, 9), Ok((b"aaaa".to_vec(), w.out.len())));
        // The unused code of that distance code.
        let mut w = Writer::default();
        let (lit, _) = dynamic(&mut w, true, 257 + 29, &l);
        w.code(lit[97]).code(lit[257]).code((1, 1)).put(0, 15);
        assert!(matches!(inflate(&w.out, 9), Err(Error::Corrupt { .. })));
        // No distance codes at all: literals only.
        let l = lengths(&[(97, 1), (256, 1)], &[0]);
        let mut w = Writer::default();
        let (lit, _) = dynamic(&mut w, true, 257, &l[..257 + 1]);
        w.code(lit[97]).code(lit[97]).code(lit[256]);
        assert_eq!(inflate(&w.out, 9), Ok((b"aa".to_vec(), w.out.len())));
        // ... so a length has no distance.
        let l = lengths(&[(97, 1), (256, 2), (257, 2)], &[0]);
        let mut w = Writer::default();
        let (lit, _) = dynamic(&mut w, true, 257 + 29, &l);
        w.code(lit[97]).code(lit[257]).put(0, 15);
        assert!(matches!(inflate(&w.out, 9), Err(Error::Corrupt { .. })));
        // A lone one-bit literal/length code: end-of-block.
        let l = lengths(&[(256, 1)], &[0]);
        let mut w = Writer::default();
        let (lit, _) = dynamic(&mut w, true, 257 + 29, &l);
        w.code(lit[256]);
        assert_eq!(inflate(&w.out, 9), Ok((vec![], w.out.len())));
        // The most codes a header may announce, 286 and 30, as complete
        // codes: 226 of 8 bits and 60 of 9; 2 of 4 bits and 28 of 5.
        let mut l = vec![8u8; 226];
        l.extend_from_slice(&[9; 60]);
        l.extend_from_slice(&[4; 2]);
        l.extend_from_slice(&[5; 28]);
        let mut w = Writer::default();
        let (lit, dist) = dynamic(&mut w, false, 286, &l);
        w.code(lit[b'x' as usize]).code(lit[285]).code(dist[0]);
        w.code(lit[256])
            .put(1, 1)
            .put(0, 2)
            .bytes(&[0, 0, 0xff, 0xff]);
        let mut want = vec![b'x'; 259];
        assert_eq!(inflate(&w.out, 999), Ok((want.clone(), w.out.len())));
        // Codes of every length up to 15: the slow path and the cache.
        let order = b"abcdefghijklmnop";
        let mut lit: Vec<(usize, u8)> = (1..=15)
            .map(|n| (usize::from(order[n - 1]), n as u8))
            .collect();
        lit.push((256, 15));
        let l = lengths(&lit, &[0]);
        let mut w = Writer::default();
        let (lit, _) = dynamic(&mut w, true, 257 + 29, &l);
        want = b"aobnocmdlekfjgihhigjfkeldmcnbo".to_vec();
        for &b in &want {
            w.code(lit[usize::from(b)]);
        }
        w.code(lit[256]);
        assert_eq!(inflate(&w.out, 99), Ok((want, w.out.len())));
    }

    #[test]
    fn code_sets_rfc1951_forbids() {
        // Each is rejected once its code lengths are read: right where
        // the data ends.
        let bad: [(Pairs, &[u8]); 7] = [
            // Incomplete: half the code space unused.
            (&[(97, 1), (256, 2)], &[1]),
            // Over-subscribed.
            (&[(97, 1), (98, 1), (256, 1)], &[1]),
            // A lone code, but not of one bit.
            (&[(256, 2)], &[1]),
            // No end-of-block code, so the block could not end.
            (&[(97, 1), (98, 1)], &[1]),
            // Distance code incomplete with two codes.
            (&[(97, 1), (256, 1)], &[1, 2]),
            // Distance code over-subscribed.
            (&[(97, 1), (256, 1)], &[1, 1, 1]),
            // Distance code: a lone code of two bits.
            (&[(97, 1), (256, 1)], &[0, 2]),
        ];
        for (lit, dist) in bad {
            let mut w = Writer::default();
            dynamic(&mut w, true, 257 + 29, &lengths(lit, dist));
            let end = w.out.len();
            assert_eq!(
                inflate(&w.out, 9),
                Err(Error::Corrupt { offset: end }),
                "{lit:?} {dist:?}"
            );
        }
        // The code length code itself must be complete, even with one
        // symbol (zlib too): here the first four of CL_ORDER (16, 17, 18,
        // 0) get these lengths.
        for cl_lengths in [[2, 2, 2, 0], [1, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]] {
            let mut w = Writer::default();
            w.put(1, 1).put(2, 2).put(0, 5).put(0, 5).put(0, 4);
            for l in cl_lengths {
                w.put(l, 3);
            }
            let end = w.out.len();
            w.put(0, 16);
            assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: end }));
        }
        // 287 or 288 literal/length codes, 31 or 32 distance codes.
        for (hlit, hdist) in [(30, 0), (31, 0), (0, 30), (0, 31)] {
            let mut w = Writer::default();
            w.put(1, 1).put(2, 2).put(hlit, 5).put(hdist, 5).put(15, 4);
            assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: 3 }));
        }
    }

    #[test]
    fn code_length_repeats() {
        let header = |w: &mut Writer, ndist: u32| {
            w.put(1, 1).put(2, 2).put(1, 5).put(ndist - 1, 5).put(15, 4);
            for s in CL_ORDER {
                w.put(cl(s).1 as u32, 3);
            }
        };
        // 256 zeros (138 + 118), end-of-block and 257 one bit each, and
        // "repeat the previous length 3 times" over into the two distance
        // lengths: a repeat may cross from one code into the other.
        let mut w = Writer::default();
        header(&mut w, 2);
        w.code(cl(18)).put(127, 7).code(cl(18)).put(107, 7);
        w.code(cl(1)).code(cl(16)).put(0, 2);
        w.code((0, 1));
        assert_eq!(inflate(&w.out, 9), Ok((vec![], w.out.len())));
        // The same with zeros as 17s: 3 + 7 * 36 + 1 = 256.
        let mut w = Writer::default();
        header(&mut w, 2);
        w.code(cl(17)).put(0, 3);
        for _ in 0..36 {
            w.code(cl(17)).put(4, 3);
        }
        w.code(cl(0))
            .code(cl(1))
            .code(cl(16))
            .put(0, 2)
            .code((0, 1));
        assert_eq!(inflate(&w.out, 9), Ok((vec![], w.out.len())));
        // Nothing to repeat yet: rejected before its extra bits.
        let mut w = Writer::default();
        header(&mut w, 2);
        w.code(cl(16));
        let end = w.out.len();
        w.put(0, 16);
        assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: end }));
        // Repeats past the last length (258 + 2 here): 256 zeros, then
        // 1, 1 and three more.
        let mut w = Writer::default();
        header(&mut w, 2);
        w.code(cl(18)).put(127, 7).code(cl(18)).put(107, 7);
        w.code(cl(1)).code(cl(1)).code(cl(16)).put(0, 2);
        let end = w.out.len();
        w.put(0, 16);
        assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: end }));
        let mut w = Writer::default();
        header(&mut w, 2);
        w.code(cl(18)).put(127, 7).code(cl(18)).put(127, 7);
        let end = w.out.len();
        w.put(0, 16);
        assert_eq!(inflate(&w.out, 9), Err(Error::Corrupt { offset: end }));
    }

    #[test]
    fn round_trips_through_miniz_deflate() {
        // Text, noise and runs, long enough for several stored blocks
        // (at most 65535 bytes each) and distances up to 32 KiB.
        let mut x = 1u32;
        let noise: Vec<u8> = (0..70_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let mut far = noise[..32768].to_vec();
        far.extend_from_slice(&noise[..10_000]);
        let text = PLAIN.repeat(200);
        let runs: Vec<u8> = (0..70_000u32).map(|i| (i / 1000 % 3) as u8).collect();
        for data in [&b""[..], b"a", &noise, &far, &text, &runs] {
            for level in 0..=10 {
                let deflated = miniz_oxide::deflate::compress_to_vec(data, level);
                assert_eq!(
                    inflate(&deflated, data.len()),
                    Ok((data.to_vec(), deflated.len())),
                    "level {level}, {} bytes",
                    data.len()
                );
            }
        }
    }

    #[test]
    fn every_bit_flip() {
        // The padding bits before a stored block's LEN and after the last
        // block, which zlib ignores too: (byte, lowest padding bit).
        for (gz, padding) in [
            (&GZ_9[..], &[(237, 6)][..]),
            (&GZ_MULTI, &[(222, 5), (251, 3)]),
        ] {
            for i in 0..gz.len() {
                for bit in 0..8 {
                    let mut v = gz.to_vec();
                    v[i] ^= 1 << bit;
                    let r = decompress(&v, 1 << 20);
                    // FTEXT, MTIME, XFL and OS are checked by nothing;
                    // elsewhere the deflate checks or the CRC catch every
                    // flip.
                    let unchecked = (4..10).contains(&i) || i == 3 && bit == 0;
                    if unchecked || padding.iter().any(|&(b, low)| b == i && bit >= low) {
                        assert_eq!(r.unwrap(), PLAIN);
                    } else {
                        assert!(r.is_err(), "byte {i} bit {bit}");
                    }
                }
            }
        }
    }

    #[test]
    fn mutations_never_panic_and_agree_with_miniz() {
        let mut w = Writer::default();
        w.put(0, 1).put(1, 2).code(fixed(u32::from(b'a')));
        w.code(fixed(258)).code((0, 5)).code(fixed(256));
        w.put(1, 1).put(0, 2).bytes(&[1, 0, 0xfe, 0xff, b'b']);
        let seeds = [
            &GZ_1[..],
            &GZ_9,
            &GZ_MULTI,
            &GZ_PY0,
            &GZ_PY1,
            &member(&w.out, b"aaaaab"),
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rand = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let (mut ok, mut failed) = (0, 0);
        for round in 0..30_000 {
            let seed = seeds[round % seeds.len()];
            let mut v = seed.to_vec();
            for _ in 0..1 + rand(3) {
                let i = 10 + rand(v.len() - 18);
                match rand(5) {
                    0 | 1 => v[i] ^= 1 << rand(8),
                    2 => v[i] = rand(256) as u8,
                    3 => v.insert(i, rand(256) as u8),
                    _ => drop(v.remove(i)),
                }
                if v.len() <= 19 {
                    break;
                }
            }
            // Whatever the gzip layer accepts is the original data.
            let plain = match seed.len() {
                53 | 50 => TEXT,
                249 | 246 | 260 => PLAIN,
                _ => b"aaaaab",
            };
            let r = decompress(&v, 1 << 16);
            assert!(r.is_err() || r == Ok(plain.to_vec()), "round {round}");
            // The raw inflater agrees with miniz_oxide's on every input.
            let data = &v[10..];
            let mine = inflate(data, 1 << 16);
            let theirs = miniz_oxide::inflate::decompress_to_vec_with_limit(data, 1 << 16);
            match (&mine, &theirs) {
                (Ok((a, used)), Ok(b)) => {
                    assert_eq!(a, b, "round {round}");
                    assert!(*used <= data.len());
                    ok += 1;
                }
                (Err(_), Err(_)) => failed += 1,
                _ => panic!("round {round}: {mine:?} vs {:?}", theirs.map(|v| v.len())),
            }
        }
        // Both kinds of outcome were met often.
        assert!(ok > 1000 && failed > 10_000, "{ok} {failed}");
    }

    /// `cargo test --release -- --ignored`: 16 MiB, literal-heavy (the slow
    /// case) and a run, each in well under a second.
    #[test]
    #[ignore = "timing; meaningful in release builds only"]
    fn speed() {
        extern crate std;
        let mut x = 1u32;
        let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let literals: Vec<u8> = (0..16 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                chars[x as usize % 64]
            })
            .collect();
        for plain in [literals, vec![0; 16 << 20]] {
            let gz = member(&miniz_oxide::deflate::compress_to_vec(&plain, 6), &plain);
            let t = std::time::Instant::now();
            assert_eq!(decompress(&gz, 16 << 20).unwrap(), plain);
            let took = t.elapsed();
            std::println!("{took:?}");
            assert!(took < std::time::Duration::from_millis(500), "{took:?}");
        }
    }
}
