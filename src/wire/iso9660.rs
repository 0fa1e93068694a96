//! ISO9660 (ECMA-119) with Rock Ridge and Joliet names, read in userspace:
//! the seed CD-ROMs of NoCloud (`cidata`), OpenStack config drive
//! (`config-2`) and OpenNebula (`CONTEXT`).
//!
//! Owns the volume descriptors, directory records and the SUSP/RRIP entries
//! that carry names (`SP`, `CE`, `NM`, `PX`). Names come from Rock Ridge when
//! the root's `.` record has `SP`, else from a Joliet tree, else from the
//! plain records, where a requested name also matches its level-1 mangling
//! (`user-data` finds `USER_DAT.;1`).
//!
//! Never trusts the medium: each directory extent and each file is one
//! bounded read, checked against the medium before anything is allocated;
//! descriptor, continuation and path walks have fixed caps, so a crafted
//! image yields an [`Error`], never a panic, a hang or a huge allocation.
//! Left out: multi-extent (> 4 GiB) and interleaved files are errors;
//! Rock Ridge relocated directories (`CL`/`RE`, depth > 8) are not followed.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::{Error, Media, Volume};

const SECTOR: u64 = 2048;
/// Descriptors start here (after the 32 KiB system area).
const FIRST_DESCRIPTOR: u64 = 16;
/// Real images have 2 to 4 descriptors; a terminator is mandatory but may be missing.
const MAX_DESCRIPTORS: u64 = 32;
/// Seed directories hold a handful of names.
const MAX_DIR: u32 = 1 << 20;
/// Paths egret asks for are at most three components deep.
const MAX_DEPTH: usize = 8;
/// Continuation areas per record: real images use one at most.
const MAX_CE: u32 = 16;
/// Continuation areas per directory, so a directory of looping records
/// costs at most this many 2 KiB reads.
const MAX_CE_DIR: u32 = 256;

/// Directory record layout (ECMA-119 9.1).
const REC_XAR: usize = 1;
const REC_LBA: usize = 2;
const REC_SIZE: usize = 10;
const REC_FLAGS: usize = 25;
const REC_UNIT: usize = 26;
const REC_NAME_LEN: usize = 32;
const REC_NAME: usize = 33;

const FLAG_DIR: u8 = 0x02;
const FLAG_MULTI: u8 = 0x80;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;

#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    Plain,
    Joliet,
    /// Rock Ridge, with the SUSP skip length from `SP`.
    Rock(u8),
}

/// An extent: first sector (past any extended attribute record) and length.
#[derive(Clone, Copy)]
struct Extent {
    lba: u64,
    size: u32,
}

/// One directory record, its name decoded by the volume's scheme.
struct Entry {
    name: String,
    ext: Extent,
    flags: u8,
    /// Rock Ridge `PX` file mode, when present.
    mode: Option<u32>,
    /// Byte offset of the record, for errors.
    at: u64,
}

impl Entry {
    fn is_dir(&self) -> bool {
        self.flags & FLAG_DIR != 0
    }

    /// The ISO flag decides file versus directory; `PX` only tells a
    /// regular file from a symlink or device recorded as a file.
    fn is_file(&self) -> bool {
        !self.is_dir() && self.mode.is_none_or(|m| m & S_IFMT == S_IFREG)
    }
}

/// An opened ISO9660 volume.
pub struct Iso<'m> {
    media: &'m dyn Media,
    label: String,
    root: Extent,
    scheme: Scheme,
}

fn le32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.saturating_add(4)) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn byte(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

/// Reads one sector-sized descriptor at sector `n` into `d`.
fn descriptor(media: &dyn Media, n: u64, d: &mut [u8; 2048]) -> Result<(), Error> {
    media.read_at(n * SECTOR, d)
}

fn is_descriptor(d: &[u8]) -> bool {
    d.get(1..7) == Some(b"CD001\x01")
}

/// The 32-byte volume identifier of a descriptor.
fn raw_id(d: &[u8; 2048]) -> [u8; 32] {
    d.split_first_chunk::<40>()
        .and_then(|(_, rest)| rest.first_chunk::<32>())
        .copied()
        .unwrap_or([0; 32])
}

/// A volume identifier, trailing padding removed.
fn volume_id(mut raw: &[u8], joliet: bool) -> String {
    let unit = if joliet { 2 } else { 1 };
    // Padding is whole code units: bytes, or UCS-2 pairs on Joliet.
    while let Some((rest, last)) = raw.split_at_checked(raw.len().wrapping_sub(unit)) {
        match last {
            [b' ' | 0] | [0, b' ' | 0] => raw = rest,
            _ => break,
        }
    }
    decode(raw, joliet)
}

/// A name as recorded: UCS-2 big-endian on Joliet, else bytes, lossily.
fn decode(raw: &[u8], joliet: bool) -> String {
    if joliet {
        ucs2(raw)
    } else {
        String::from_utf8_lossy(raw).into_owned()
    }
}

fn ucs2(b: &[u8]) -> String {
    let mut rest = b;
    let units = core::iter::from_fn(|| {
        let (&unit, tail) = rest.split_first_chunk()?;
        rest = tail;
        Some(u16::from_be_bytes(unit))
    });
    let mut s = String::new();
    for c in char::decode_utf16(units) {
        s.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    s
}

/// The root directory record embedded at byte 156 of a descriptor.
fn root_extent(d: &[u8], at: u64) -> Result<Extent, Error> {
    let rec = d.get(156..190).unwrap_or(&[]);
    let ext = Extent {
        lba: u64::from(le32(rec, REC_LBA)) + u64::from(byte(rec, REC_XAR)),
        size: le32(rec, REC_SIZE),
    };
    if byte(rec, REC_FLAGS) & FLAG_DIR == 0 || ext.size < 34 {
        return Err(Error::new("bad root directory record", at + 156));
    }
    Ok(ext)
}

/// `Ok(Some(label))` when sector 16 is a primary volume descriptor. Reads
/// only that sector, so probing any block device is cheap.
pub fn probe_label(media: &dyn Media) -> Result<Option<String>, Error> {
    if media.size() < (FIRST_DESCRIPTOR + 1) * SECTOR {
        return Ok(None);
    }
    let mut d = [0u8; 2048];
    descriptor(media, FIRST_DESCRIPTOR, &mut d)?;
    Ok((d.first() == Some(&1) && is_descriptor(&d)).then(|| volume_id(&raw_id(&d), false)))
}

impl<'m> Iso<'m> {
    /// Reads the volume descriptors and picks the name scheme. Fails when
    /// there is no primary volume descriptor or its root is unusable.
    pub fn open(media: &'m dyn Media) -> Result<Iso<'m>, Error> {
        let mut primary = None;
        let mut joliet = None;
        // Primary and Joliet volume identifiers; all zero reads as empty.
        let mut ids = [[0u8; 32]; 2];
        let mut d = [0u8; 2048];
        for n in FIRST_DESCRIPTOR..FIRST_DESCRIPTOR + MAX_DESCRIPTORS {
            if descriptor(media, n, &mut d).is_err() || !is_descriptor(&d) {
                break;
            }
            let at = n * SECTOR;
            let root = root_extent(&d, at);
            match d.first() {
                Some(1) if primary.is_none() => {
                    primary = Some((root?, at));
                    ids[0] = raw_id(&d);
                }
                Some(2) if joliet.is_none() && is_joliet(&d) => {
                    // A damaged Joliet tree is no reason to refuse the plain one.
                    if let Ok(root) = root {
                        joliet = Some(root);
                        ids[1] = raw_id(&d);
                    }
                }
                Some(255) => break,
                _ => {}
            }
        }
        let Some((root, at)) = primary else {
            return Err(Error::new("no primary volume descriptor", 16 * SECTOR));
        };
        let mut iso = Iso {
            media,
            label: String::new(),
            root,
            scheme: Scheme::Plain,
        };
        let dir = iso.read_extent(root, at + 156)?;
        if let Some(skip) = sp_skip(&dir) {
            iso.scheme = Scheme::Rock(skip);
        } else if let Some(jroot) = joliet {
            iso.root = jroot;
            iso.scheme = Scheme::Joliet;
        }
        let [pid, jid] = &ids;
        iso.label = volume_id(pid, false);
        if iso.label.is_empty() {
            iso.label = volume_id(jid, true);
        }
        Ok(iso)
    }

    /// A directory or file extent, whole, after checking it fits the medium.
    fn read_extent(&self, ext: Extent, at: u64) -> Result<Vec<u8>, Error> {
        let start = ext.lba.saturating_mul(SECTOR);
        let len = u64::from(ext.size);
        if start.saturating_add(len) > self.media.size() {
            return Err(Error::new("extent past the end of the medium", at));
        }
        let mut buf = vec![0u8; ext.size as usize];
        self.media.read_at(start, &mut buf)?;
        Ok(buf)
    }

    /// All records of a directory except `.` and `..`.
    fn entries(&self, dir: Extent, at: u64) -> Result<Vec<Entry>, Error> {
        if dir.size > MAX_DIR {
            return Err(Error::new("directory larger than 1 MiB", at));
        }
        let buf = self.read_extent(dir, at)?;
        let base = dir.lba.saturating_mul(SECTOR);
        let mut out = Vec::new();
        let mut pos = 0usize;
        let mut ce_budget = MAX_CE_DIR;
        while let Some(&len) = buf.get(pos) {
            let len = usize::from(len);
            let rec_at = base + pos as u64;
            if len == 0 {
                // Records never span sectors; the rest of this one is padding.
                pos = (pos | (SECTOR as usize - 1)) + 1;
                continue;
            }
            let in_sector = pos % SECTOR as usize;
            if len < REC_NAME + 1 || in_sector + len > SECTOR as usize {
                return Err(Error::new("bad directory record length", rec_at));
            }
            let Some(rec) = buf.get(pos..pos + len) else {
                return Err(Error::new("directory record past its extent", rec_at));
            };
            pos += len;
            let name_len = usize::from(byte(rec, REC_NAME_LEN));
            let Some(raw) = rec.get(REC_NAME..REC_NAME + name_len) else {
                return Err(Error::new("directory record name past the record", rec_at));
            };
            if matches!(raw, [] | [0] | [1]) {
                continue;
            }
            if byte(rec, REC_UNIT) != 0 {
                return Err(Error::new("interleaved file", rec_at));
            }
            let mut mode = None;
            let mut nm = Vec::new();
            if let Scheme::Rock(skip) = self.scheme {
                let su = REC_NAME + name_len + (1 - name_len % 2) + usize::from(skip);
                let su = rec.get(su..).unwrap_or(&[]);
                mode = self.rock(su, rec_at, &mut nm, &mut ce_budget)?;
            }
            let name = if nm.is_empty() {
                let joliet = self.scheme == Scheme::Joliet;
                let mut n = strip_version(decode(raw, joliet));
                if !joliet && n.as_bytes().last() == Some(&b'.') {
                    n.truncate(n.len() - 1);
                }
                n
            } else {
                decode(&nm, false)
            };
            out.push(Entry {
                name,
                ext: Extent {
                    lba: u64::from(le32(rec, REC_LBA)) + u64::from(byte(rec, REC_XAR)),
                    size: le32(rec, REC_SIZE),
                },
                flags: byte(rec, REC_FLAGS),
                mode,
                at: rec_at,
            });
        }
        Ok(out)
    }

    /// Walks a system use area and its continuations, collecting the `NM`
    /// name into `nm`; returns the `PX` mode. `budget` counts the
    /// continuation areas the whole directory may still read.
    #[inline(never)]
    fn rock(
        &self,
        first: &[u8],
        at: u64,
        nm: &mut Vec<u8>,
        budget: &mut u32,
    ) -> Result<Option<u32>, Error> {
        let mut mode = None;
        let mut cont: Vec<u8>;
        let mut area = first;
        let mut hops = 0;
        loop {
            let mut next = None;
            let mut p = area;
            while let Some(&[s0, s1, len, _]) = p.get(..4) {
                let len = usize::from(len);
                let Some((e, rest)) = p.split_at_checked(len).filter(|_| len >= 4) else {
                    return Err(Error::new("bad system use entry length", at));
                };
                p = rest;
                match &[s0, s1] {
                    b"ST" => break,
                    b"CE" if len >= 28 => next = Some((le32(e, 4), le32(e, 12), le32(e, 20))),
                    b"PX" if len >= 12 => mode = Some(le32(e, 4)),
                    // CURRENT/PARENT flags name `.`/`..`, which are never looked up.
                    b"NM" if byte(e, 4) & 0x06 == 0 => {
                        nm.extend_from_slice(e.get(5..).unwrap_or(&[]))
                    }
                    _ => {}
                }
            }
            let Some((lba, off, len)) = next else {
                return Ok(mode);
            };
            hops += 1;
            match budget.checked_sub(1) {
                Some(left) if hops <= MAX_CE => *budget = left,
                _ => return Err(Error::new("too many continuation areas", at)),
            }
            if u64::from(off) + u64::from(len) > SECTOR {
                return Err(Error::new("continuation area crosses a sector", at));
            }
            let start = u64::from(lba).saturating_mul(SECTOR) + u64::from(off);
            if start.saturating_add(u64::from(len)) > self.media.size() {
                return Err(Error::new(
                    "continuation area past the end of the medium",
                    at,
                ));
            }
            cont = vec![0u8; len as usize];
            self.media.read_at(start, &mut cont)?;
            area = &cont;
        }
    }

    /// The entry at `path`; `None` when any component is missing. The root
    /// has no record of its own: it comes back as a nameless directory.
    fn lookup(&self, path: &str) -> Result<Option<Entry>, Error> {
        let mut list: Vec<Entry> = Vec::new();
        let mut found: Option<usize> = None;
        let mut depth = 0;
        for comp in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(Error::new("path too deep", 0));
            }
            let (dir, at) = match found.and_then(|i| list.get(i)) {
                None => (self.root, 0),
                Some(e) if e.is_dir() => (e.ext, e.at),
                Some(_) => return Ok(None),
            };
            list = self.entries(dir, at)?;
            found = self.pick(&list, comp);
            if found.is_none() {
                return Ok(None);
            }
        }
        let Some(i) = found else {
            return Ok(Some(Entry {
                name: String::new(),
                ext: self.root,
                flags: FLAG_DIR,
                mode: None,
                at: 0,
            }));
        };
        list.truncate(i + 1);
        Ok(list.pop())
    }

    /// The record named `comp`: exactly, else ignoring ASCII case, else (on
    /// plain volumes) by its level-1 mangling.
    fn pick(&self, list: &[Entry], comp: &str) -> Option<usize> {
        list.iter()
            .position(|e| e.name == comp)
            .or_else(|| list.iter().position(|e| e.name.eq_ignore_ascii_case(comp)))
            .or_else(|| {
                if self.scheme != Scheme::Plain {
                    return None;
                }
                let (file, dir) = (mangle(comp, false), mangle(comp, true));
                list.iter()
                    .position(|e| e.name == *if e.is_dir() { &dir } else { &file })
            })
    }
}

/// Does a supplementary descriptor carry a Joliet UCS-2 escape sequence?
fn is_joliet(d: &[u8]) -> bool {
    matches!(d.get(88..91), Some(b"%/@" | b"%/C" | b"%/E"))
}

/// The SUSP skip length when the first record (`.`) of the root starts its
/// system use area with `SP` (SUSP 5.3).
fn sp_skip(root: &[u8]) -> Option<u8> {
    let len = usize::from(*root.first()?);
    let rec = root.get(..len)?;
    // The `.` record has a one-byte name, so its system use area starts at 34.
    match rec.get(34..41)? {
        &[b'S', b'P', 7, 1, 0xBE, 0xEF, skip] => Some(skip),
        _ => None,
    }
}

/// `NAME.EXT;1` without `;1`; other `;` are part of the name.
fn strip_version(mut n: String) -> String {
    let b = n.as_bytes();
    if let Some(i) = b.iter().rposition(|&c| c == b';') {
        if b.get(i + 1..)
            .is_some_and(|v| v.iter().all(u8::is_ascii_digit))
        {
            n.truncate(i);
        }
    }
    n
}

/// The level-1 name mkisofs makes of `name`: upper case, `[A-Z0-9_]` only,
/// 8.3 for files (extension after the last dot), 8 for directories.
fn mangle(name: &str, dir: bool) -> String {
    let b = name.as_bytes();
    let dot = b.iter().rposition(|&c| c == b'.').filter(|_| !dir);
    let (stem, ext) = dot.and_then(|i| b.split_at_checked(i)).unwrap_or((b, &[]));
    let mut m = String::new();
    upper(&mut m, stem, 8);
    if let Some((_, ext)) = ext.split_first() {
        m.push('.');
        upper(&mut m, ext, 3);
    }
    m
}

/// Appends the first `n` characters of `s`, each as one `[A-Z0-9_]`.
fn upper(m: &mut String, s: &[u8], n: usize) {
    let mut left = n;
    // A UTF-8 continuation byte belongs to the character already counted.
    for &c in s.iter().filter(|&&c| c & 0xC0 != 0x80) {
        let Some(l) = left.checked_sub(1) else { break };
        left = l;
        m.push(if c.is_ascii_alphanumeric() {
            char::from(c.to_ascii_uppercase())
        } else {
            '_'
        });
    }
}

impl Volume for Iso<'_> {
    fn label(&self) -> &str {
        &self.label
    }

    fn read_file(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let Some(e) = self.lookup(path)? else {
            return Ok(None);
        };
        if e.flags & FLAG_MULTI != 0 {
            return Err(Error::new("multi-extent file", e.at));
        }
        if !e.is_file() {
            return Ok(None);
        }
        if u64::from(e.ext.size) > max as u64 {
            return Err(Error::new("file larger than allowed", e.at));
        }
        if e.ext.size == 0 {
            return Ok(Some(Vec::new()));
        }
        self.read_extent(e.ext, e.at).map(Some)
    }

    fn list_dir(&self, path: &str) -> Result<Option<Vec<String>>, Error> {
        let (dir, at) = match self.lookup(path)? {
            Some(e) if e.is_dir() => (e.ext, e.at),
            _ => return Ok(None),
        };
        let mut names = Vec::new();
        for e in self.entries(dir, at)? {
            // Only the last record of a multi-extent file names it once.
            if e.flags & FLAG_MULTI == 0 && super::component(&e.name) {
                names.push(e.name);
            }
        }
        Ok(Some(names))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::wire::testing::{Mem, Tmp};
    use alloc::string::ToString;
    use std::process::Command;

    /// Runs `cmd ... -o IMAGE TREE` over a tree of `files` (a name ending
    /// in `/` is a directory, `@target` content a symlink). A missing tool
    /// fails the test.
    fn image(cmd: &[&str], files: &[(&str, &[u8])]) -> Vec<u8> {
        let tmp = Tmp::new("iso");
        let tree = tmp.0.join("tree");
        std::fs::create_dir_all(&tree).unwrap();
        for (name, data) in files {
            let p = tree.join(name);
            if name.ends_with('/') {
                std::fs::create_dir_all(&p).unwrap();
                continue;
            }
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            if let Some(target) = data.strip_prefix(b"@") {
                std::os::unix::fs::symlink(std::str::from_utf8(target).unwrap(), &p).unwrap();
            } else {
                std::fs::write(&p, data).unwrap();
            }
        }
        let out = tmp.0.join("out.iso");
        let st = Command::new(cmd[0])
            .args(&cmd[1..])
            .arg("-o")
            .arg(&out)
            .arg(&tree)
            .output()
            .unwrap_or_else(|e| panic!("{} is required for these tests: {e}", cmd[0]));
        assert!(
            st.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        std::fs::read(&out).unwrap()
    }

    fn big() -> Vec<u8> {
        (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn nocloud_files(big: &[u8]) -> Vec<(&'static str, &[u8])> {
        std::vec![
            ("meta-data", b"instance-id: i-1\n".as_slice()),
            ("user-data", big),
            ("vendor-data", b"".as_slice()),
            ("network-config", b"version: 2\n".as_slice()),
            ("sub/", b"".as_slice()),
            ("sub/deeper.txt", b"x".as_slice()),
        ]
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The root of `nocloud_files`, listed at `dir` by any name scheme.
    fn assert_nocloud_root(iso: &Iso, dir: &str) {
        assert_eq!(
            sorted(iso.list_dir(dir).unwrap().unwrap()),
            names(&[
                "meta-data",
                "network-config",
                "sub",
                "user-data",
                "vendor-data"
            ])
        );
    }

    /// The NoCloud checks every name scheme must pass.
    fn check_nocloud(img: &[u8], label: &str) {
        let m_iso = Mem(img);
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.label(), label);
        let big = big();
        assert_eq!(
            iso.read_file("meta-data", 4096).unwrap().unwrap(),
            b"instance-id: i-1\n"
        );
        assert_eq!(iso.read_file("/user-data", 10_000).unwrap().unwrap(), big);
        assert_eq!(iso.read_file("vendor-data", 10).unwrap().unwrap(), b"");
        assert_eq!(
            iso.read_file("network-config", 100).unwrap().unwrap(),
            b"version: 2\n"
        );
        assert_eq!(iso.read_file("sub/deeper.txt", 1).unwrap().unwrap(), b"x");
        assert_eq!(iso.read_file("nope", 100).unwrap(), None);
        assert_eq!(iso.read_file("sub/nope", 100).unwrap(), None);
        assert_eq!(iso.read_file("meta-data/x", 100).unwrap(), None);
        assert_eq!(iso.read_file("sub", 100).unwrap(), None);
        assert_eq!(iso.read_file("", 100).unwrap(), None);
        let e = iso.read_file("user-data", 9_999).unwrap_err();
        assert_eq!(e.what, "file larger than allowed");
        assert_eq!(iso.list_dir("user-data").unwrap(), None);
        assert_eq!(iso.list_dir("missing").unwrap(), None);
    }

    #[test]
    fn genisoimage_joliet_rock() {
        let big = big();
        let img = image(
            &["genisoimage", "-quiet", "-V", "cidata", "-J", "-r"],
            &nocloud_files(&big),
        );
        check_nocloud(&img, "cidata");
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert!(matches!(iso.scheme, Scheme::Rock(0)));
        assert_nocloud_root(&iso, "");
        assert_eq!(
            iso.list_dir("/sub/").unwrap().unwrap(),
            names(&["deeper.txt"])
        );
        // Case-insensitive fallback.
        assert_eq!(iso.read_file("SUB/Deeper.TXT", 1).unwrap().unwrap(), b"x");
    }

    #[test]
    fn genisoimage_joliet_only() {
        let big = big();
        let img = image(
            &["genisoimage", "-quiet", "-V", "cidata", "-J"],
            &nocloud_files(&big),
        );
        check_nocloud(&img, "cidata");
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert!(iso.scheme == Scheme::Joliet);
        assert_nocloud_root(&iso, "/");
    }

    #[test]
    fn genisoimage_rock_only() {
        let big = big();
        let img = image(
            &["genisoimage", "-quiet", "-V", "CIDATA", "-r"],
            &nocloud_files(&big),
        );
        check_nocloud(&img, "CIDATA");
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert!(matches!(iso.scheme, Scheme::Rock(_)));
        assert_nocloud_root(&iso, ".");
    }

    #[test]
    fn genisoimage_plain_level1() {
        let big = big();
        let img = image(
            &["genisoimage", "-quiet", "-V", "cidata"],
            &nocloud_files(&big),
        );
        check_nocloud(&img, "cidata");
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert!(iso.scheme == Scheme::Plain);
        assert_eq!(
            iso.list_dir("").unwrap().unwrap(),
            names(&["META_DAT", "NETWORK_", "SUB", "USER_DAT", "VENDOR_D"])
        );
        assert_eq!(
            iso.list_dir("sub").unwrap().unwrap(),
            names(&["DEEPER.TXT"])
        );
    }

    fn configdrive_files() -> Vec<(&'static str, &'static [u8])> {
        std::vec![
            (
                "openstack/latest/meta_data.json",
                b"{\"uuid\":\"u\"}".as_slice()
            ),
            (
                "openstack/2018-08-27/user_data",
                b"#cloud-config\n".as_slice()
            ),
            ("ec2/latest/meta-data.json", b"{}".as_slice()),
        ]
    }

    fn check_configdrive(iso: &Iso) {
        assert_eq!(iso.label(), "config-2");
        assert_eq!(
            iso.read_file("openstack/latest/meta_data.json", 100)
                .unwrap()
                .unwrap(),
            b"{\"uuid\":\"u\"}"
        );
        assert_eq!(
            iso.read_file("/openstack/2018-08-27/user_data", 100)
                .unwrap()
                .unwrap(),
            b"#cloud-config\n"
        );
        assert_eq!(
            iso.read_file("ec2/latest/meta-data.json", 100)
                .unwrap()
                .unwrap(),
            b"{}"
        );
        assert_eq!(
            iso.read_file("openstack/latest/user_data", 100).unwrap(),
            None
        );
        assert_eq!(iso.read_file("openstack/latest", 100).unwrap(), None);
    }

    #[test]
    fn xorriso_config_drive() {
        for extra in [&["-r", "-J"][..], &["-r"][..]] {
            let mut cmd = std::vec!["xorriso", "-as", "mkisofs", "-quiet", "-V", "config-2"];
            cmd.extend_from_slice(extra);
            let img = image(&cmd, &configdrive_files());
            let m_iso = Mem(img.as_slice());
            let iso = Iso::open(&m_iso).unwrap();
            assert!(matches!(iso.scheme, Scheme::Rock(_)));
            check_configdrive(&iso);
            assert_eq!(
                sorted(iso.list_dir("openstack").unwrap().unwrap()),
                names(&["2018-08-27", "latest"])
            );
            assert_eq!(
                iso.list_dir("openstack/latest").unwrap().unwrap(),
                names(&["meta_data.json"])
            );
        }
    }

    #[test]
    fn genisoimage_plain_config_drive() {
        let img = image(
            &["genisoimage", "-quiet", "-V", "config-2"],
            &configdrive_files(),
        );
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        check_configdrive(&iso);
        assert_eq!(
            iso.list_dir("openstack").unwrap().unwrap(),
            names(&["2018_08_", "LATEST"])
        );
        assert_eq!(
            iso.list_dir("OPENSTAC/latest").unwrap().unwrap(),
            names(&["META_DAT.JSO"])
        );
    }

    #[test]
    fn opennebula_context() {
        for flags in [&["-J", "-r"][..], &[][..]] {
            let mut cmd = std::vec!["genisoimage", "-quiet", "-V", "CONTEXT"];
            cmd.extend_from_slice(flags);
            let img = image(&cmd, &[("context.sh", b"HOSTNAME='a'\n".as_slice())]);
            let m_iso = Mem(img.as_slice());
            let iso = Iso::open(&m_iso).unwrap();
            assert_eq!(iso.label(), "CONTEXT");
            assert_eq!(
                iso.read_file("context.sh", 100).unwrap().unwrap(),
                b"HOSTNAME='a'\n"
            );
            assert_eq!(
                probe_label(&Mem(img.as_slice())).unwrap().as_deref(),
                Some("CONTEXT")
            );
        }
    }

    #[test]
    fn rock_ridge_symlink_is_not_a_file() {
        let img = image(
            &["genisoimage", "-quiet", "-V", "cidata", "-r"],
            &[
                ("user-data", b"u".as_slice()),
                ("link", b"@user-data".as_slice()),
            ],
        );
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            sorted(iso.list_dir("").unwrap().unwrap()),
            names(&["link", "user-data"])
        );
        assert_eq!(iso.read_file("link", 100).unwrap(), None);
        assert_eq!(iso.read_file("user-data", 100).unwrap().unwrap(), b"u");
    }

    #[test]
    fn mangling() {
        assert_eq!(mangle("user-data", false), "USER_DAT");
        assert_eq!(mangle("meta_data.json", false), "META_DAT.JSO");
        assert_eq!(mangle("a.b.c", false), "A_B.C");
        assert_eq!(mangle("openstack", true), "OPENSTAC");
        assert_eq!(mangle("2018-08-27", true), "2018_08_");
        assert_eq!(mangle("a.b", true), "A_B");
        assert_eq!(mangle("é.x", false), "_.X");
        assert_eq!(strip_version(String::from("A.;1")), "A.");
        assert_eq!(strip_version(String::from("a;b")), "a;b");
        assert_eq!(ucs2(&[0, b'a', 0xD8, 0x00, 0, b'b']), "a\u{FFFD}b");
    }

    #[test]
    fn probe() {
        let img = image(
            &["genisoimage", "-quiet", "-V", "cidata", "-J", "-r"],
            &[("a", b"a".as_slice())],
        );
        assert_eq!(
            probe_label(&Mem(img.as_slice())).unwrap().as_deref(),
            Some("cidata")
        );
        assert_eq!(probe_label(&Mem(&[0u8; 40_000][..])).unwrap(), None);
        assert_eq!(probe_label(&Mem(&img[..34_000])).unwrap(), None);
        assert_eq!(probe_label(&Mem(&[][..])).unwrap(), None);

        let tmp = Tmp::new("iso");
        let fat = tmp.0.join("fat.img");
        let st = Command::new("mkfs.vfat")
            .args(["-n", "CIDATA", "-C"])
            .arg(&fat)
            .arg("1024")
            .output()
            .expect("mkfs.vfat is required for this test");
        assert!(st.status.success());
        let fat = std::fs::read(&fat).unwrap();
        assert_eq!(probe_label(&Mem(fat.as_slice())).unwrap(), None);
        assert_eq!(
            Iso::open(&Mem(fat.as_slice())).err().unwrap().what,
            "no primary volume descriptor"
        );
        assert_eq!(
            Iso::open(&Mem(&[0u8; 100][..])).err().unwrap().what,
            "no primary volume descriptor"
        );
    }

    /// Everything a caller might do with an image; results are ignored,
    /// only panics and hangs matter.
    fn exercise(img: &[u8]) {
        let _ = probe_label(&Mem(img));
        let m = Mem(img);
        if let Ok(iso) = Iso::open(&m) {
            let _ = iso.label();
            for p in ["", "sub/deeper.txt", "user-data", "nope"] {
                let _ = iso.read_file(p, 1 << 16);
                let _ = iso.list_dir(p);
            }
        }
    }

    #[test]
    fn truncated_images() {
        let big = big();
        for flags in [&["-J", "-r"][..], &[][..]] {
            let mut cmd = std::vec!["genisoimage", "-quiet", "-V", "cidata"];
            cmd.extend_from_slice(flags);
            let img = image(&cmd, &nocloud_files(&big));
            let mut cut = 0;
            while cut < img.len() {
                exercise(&img[..cut]);
                cut += if cut < 80_000 { 97 } else { 2048 };
            }
            // A cut inside user-data's extent is reported, not read short.
            let m_iso = Mem(img.as_slice());
            let iso = Iso::open(&m_iso).unwrap();
            let e = iso.lookup("user-data").unwrap().unwrap();
            let end = (e.ext.lba * SECTOR) as usize + 5_000;
            let m_short = Mem(&img[..end]);
            let short = Iso::open(&m_short).unwrap();
            assert_eq!(
                short.read_file("user-data", 10_000).unwrap_err().what,
                "extent past the end of the medium"
            );
        }
    }

    #[test]
    fn flipped_bytes() {
        let big = big();
        let mut img = image(
            &["genisoimage", "-quiet", "-V", "cidata", "-J", "-r"],
            &nocloud_files(&big),
        );
        let start = std::time::Instant::now();
        let end = (32_768 + 40_960).min(img.len());
        for i in 32_768..end {
            let orig = img[i];
            for v in [0x00, 0xFF, orig ^ 0x01, orig ^ 0x80] {
                img[i] = v;
                exercise(&img);
            }
            img[i] = orig;
        }
        assert!(start.elapsed().as_secs() < 300, "{:?}", start.elapsed());
        check_nocloud(&img, "cidata");
    }

    // Hand-made images: PVD at 16, terminator at 17, root at 18.

    fn rec(name: &[u8], lba: u32, size: u32, flags: u8, su: &[u8]) -> Vec<u8> {
        let mut r = std::vec![0u8; 33];
        r[2..6].copy_from_slice(&lba.to_le_bytes());
        r[6..10].copy_from_slice(&lba.to_be_bytes());
        r[10..14].copy_from_slice(&size.to_le_bytes());
        r[14..18].copy_from_slice(&size.to_be_bytes());
        r[25] = flags;
        r[28] = 1;
        r[32] = name.len() as u8;
        r.extend_from_slice(name);
        if name.len() % 2 == 0 {
            r.push(0);
        }
        r.extend_from_slice(su);
        if r.len() % 2 == 1 {
            r.push(0);
        }
        r[0] = r.len() as u8;
        r
    }

    const SP: &[u8] = &[b'S', b'P', 7, 1, 0xBE, 0xEF, 0];

    /// Root directory extent at sector 18 of `root_size` bytes holding
    /// `.` (with `dot_su`), `..` and `entries`; `sectors` in all.
    fn handmade(root_size: u32, dot_su: &[u8], entries: &[Vec<u8>], sectors: usize) -> Vec<u8> {
        let mut img = std::vec![0u8; sectors * 2048];
        let pvd = 16 * 2048;
        img[pvd] = 1;
        img[pvd + 1..pvd + 7].copy_from_slice(b"CD001\x01");
        img[pvd + 40..pvd + 72].copy_from_slice(b"HAND                            ");
        img[pvd + 156..pvd + 190].copy_from_slice(&rec(&[0], 18, root_size, 2, &[]));
        let term = 17 * 2048;
        img[term] = 255;
        img[term + 1..term + 7].copy_from_slice(b"CD001\x01");
        let mut dir = rec(&[0], 18, root_size, 2, dot_su);
        dir.extend(rec(&[1], 18, root_size, 2, &[]));
        for e in entries {
            dir.extend_from_slice(e);
        }
        img[18 * 2048..18 * 2048 + dir.len()].copy_from_slice(&dir);
        img
    }

    #[test]
    fn handmade_plain() {
        let img = handmade(2048, &[], &[rec(b"A.;1", 20, 3, 0, &[])], 21);
        let mut img = img;
        img[20 * 2048..20 * 2048 + 3].copy_from_slice(b"abc");
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.label(), "HAND");
        assert_eq!(iso.list_dir("").unwrap().unwrap(), names(&["A"]));
        assert_eq!(iso.read_file("a", 3).unwrap().unwrap(), b"abc");
        assert_eq!(
            iso.read_file("a", 2).unwrap_err().what,
            "file larger than allowed"
        );
    }

    #[test]
    fn extent_past_end() {
        let img = handmade(2048, &[], &[rec(b"A.;1", 20, 3, 0, &[])], 20);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        let e = iso.read_file("a", 100).unwrap_err();
        assert_eq!(
            e,
            Error::new("extent past the end of the medium", 18 * 2048 + 68)
        );
        // Root past the end.
        let img = handmade(4096, &[], &[], 19);
        assert_eq!(
            Iso::open(&Mem(img.as_slice())).err().unwrap().what,
            "extent past the end of the medium"
        );
        // A huge length is refused before anything is allocated.
        let img = handmade(2048, &[], &[rec(b"A.;1", 20, u32::MAX, 0, &[])], 21);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.read_file("a", usize::MAX).unwrap_err().what,
            "extent past the end of the medium"
        );
        let img = handmade(2048, &[], &[rec(b"D", 20, u32::MAX, 2, &[])], 21);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("d").unwrap_err().what,
            "directory larger than 1 MiB"
        );
    }

    #[test]
    fn zero_length_root() {
        let img = handmade(0, &[], &[], 19);
        assert_eq!(
            Iso::open(&Mem(img.as_slice())).err().unwrap().what,
            "bad root directory record"
        );
    }

    #[test]
    fn directory_pointing_at_itself() {
        let img = handmade(2048, &[], &[rec(b"LOOP", 18, 2048, 2, &[])], 19);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("loop/loop/loop").unwrap().unwrap(),
            names(&["LOOP"])
        );
        assert_eq!(iso.read_file("loop/loop/x", 10).unwrap(), None);
        let deep = "loop/".repeat(9);
        assert_eq!(iso.list_dir(&deep).unwrap_err().what, "path too deep");
        assert_eq!(
            iso.read_file(&"loop/".repeat(1000), 10).unwrap_err().what,
            "path too deep"
        );
    }

    #[test]
    fn rock_ridge_names_and_continuations() {
        // NM split across the record and a continuation area at sector 19.
        // X's record follows `.` with SP and `..` (76 bytes), its 38-byte head, then NM (8).
        const CE_AT: usize = 18 * 2048 + 76 + 38 + 8;
        let mut ce = std::vec![b'C', b'E', 28, 1];
        for v in [19u32, 100, 11] {
            ce.extend_from_slice(&v.to_le_bytes());
            ce.extend_from_slice(&v.to_be_bytes());
        }
        let mut su = std::vec![b'N', b'M', 8, 1, 1, b'u', b's', b'e'];
        su.extend_from_slice(&ce);
        let mut img = handmade(2048, SP, &[rec(b"X.;1", 20, 2, 0, &su)], 21);
        img[19 * 2048 + 100..19 * 2048 + 111].copy_from_slice(b"NM\x0b\x01\x00r-data");
        img[20 * 2048..20 * 2048 + 2].copy_from_slice(b"hi");
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.list_dir("").unwrap().unwrap(), names(&["user-data"]));
        assert_eq!(iso.read_file("user-data", 2).unwrap().unwrap(), b"hi");

        // The continuation area points back at itself: bounded, then an error.
        let mut looped = img.clone();
        let mut ce2 = std::vec![b'C', b'E', 28, 1];
        for v in [19u32, 100, 28] {
            ce2.extend_from_slice(&v.to_le_bytes());
            ce2.extend_from_slice(&v.to_be_bytes());
        }
        looped[19 * 2048 + 100..19 * 2048 + 128].copy_from_slice(&ce2);
        looped[CE_AT + 20..CE_AT + 24].copy_from_slice(&28u32.to_le_bytes());
        let m_iso = Mem(looped.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("").unwrap_err().what,
            "too many continuation areas"
        );

        // Continuation crossing its sector, or past the medium.
        let mut bad = img.clone();
        let p = CE_AT + 12;
        bad[p..p + 4].copy_from_slice(&2040u32.to_le_bytes());
        let m_iso = Mem(bad.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("").unwrap_err().what,
            "continuation area crosses a sector"
        );
        let mut bad = img.clone();
        bad[p - 8..p - 4].copy_from_slice(&500u32.to_le_bytes());
        let m_iso = Mem(bad.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("").unwrap_err().what,
            "continuation area past the end of the medium"
        );
    }

    /// A root of `count` records, each with one continuation area.
    fn many_continuations(count: usize) -> Vec<u8> {
        let mut ce = std::vec![b'C', b'E', 28, 1];
        for v in [35u32, 0, 4] {
            ce.extend_from_slice(&v.to_le_bytes());
            ce.extend_from_slice(&v.to_be_bytes());
        }
        let mut img = handmade(12 * 2048, SP, &[], 36);
        img[35 * 2048..35 * 2048 + 4].copy_from_slice(b"ST\x04\x01");
        let mut at = 18 * 2048 + 76;
        for _ in 0..count {
            let r = rec(b"F.;1", 20, 0, 0, &ce);
            if at % 2048 + r.len() > 2048 {
                at = (at / 2048 + 1) * 2048;
            }
            img[at..at + r.len()].copy_from_slice(&r);
            at += r.len();
        }
        assert!(at < 30 * 2048);
        img
    }

    #[test]
    fn continuation_budget_per_directory() {
        let img = many_continuations(200);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.list_dir("").unwrap().unwrap().len(), 200);
        let img = many_continuations(300);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("").unwrap_err().what,
            "too many continuation areas"
        );
    }

    #[test]
    fn bad_susp_entries() {
        for su in [
            &[b'N', b'M', 0, 1, 0, b'a'][..],
            &[b'N', b'M', 40, 1, 0, b'a'][..],
        ] {
            let img = handmade(2048, SP, &[rec(b"X.;1", 20, 0, 0, su)], 21);
            let m_iso = Mem(img.as_slice());
            let iso = Iso::open(&m_iso).unwrap();
            assert_eq!(
                iso.list_dir("").unwrap_err().what,
                "bad system use entry length"
            );
        }
        // PX says directory, the ISO flag says file: the flag wins, and it is
        // no regular file either.
        let mut px = std::vec![b'P', b'X', 36, 1];
        for v in [0o040_755u32, 1, 0, 0] {
            px.extend_from_slice(&v.to_le_bytes());
            px.extend_from_slice(&v.to_be_bytes());
        }
        let img = handmade(2048, SP, &[rec(b"X.;1", 20, 0, 0, &px)], 21);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.list_dir("x").unwrap(), None);
        assert_eq!(iso.read_file("x", 10).unwrap(), None);
    }

    #[test]
    fn bad_records() {
        // A record crossing the sector boundary.
        // `.` and `..` take 68 bytes, ten fillers of 196 bring it to 2028.
        let mut entries = std::vec![rec(b"F", 20, 0, 0, &[0; 162]); 10];
        assert_eq!(entries[0].len(), 196);
        entries.push(rec(b"A.;1", 20, 0, 0, &[]));
        let img = handmade(4096, &[], &entries, 21);
        let at = 18 * 2048 + 2028;
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("").unwrap_err(),
            Error::new("bad directory record length", at as u64)
        );
        // A name longer than its record.
        let mut r = rec(b"A.;1", 20, 0, 0, &[]);
        r[32] = 200;
        let img = handmade(2048, &[], &[r], 21);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(
            iso.list_dir("").unwrap_err().what,
            "directory record name past the record"
        );
        // A zero length skips to the next sector, where a record is found.
        let mut img = handmade(4096, &[], &[], 21);
        let r = rec(b"B.;1", 20, 0, 0, &[]);
        img[19 * 2048..19 * 2048 + r.len()].copy_from_slice(&r);
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.list_dir("").unwrap().unwrap(), names(&["B"]));
        assert_eq!(iso.read_file("b", 0).unwrap().unwrap(), b"");
    }

    #[test]
    fn multi_extent_file() {
        // Two records for one file, the first flagged "more extents follow".
        let mut img = handmade(
            2048,
            &[],
            &[
                rec(b"BIG.;1", 20, 2048, 0x80, &[]),
                rec(b"BIG.;1", 21, 5, 0, &[]),
            ],
            22,
        );
        img[20 * 2048] = b'x';
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.list_dir("").unwrap().unwrap(), names(&["BIG"]));
        assert_eq!(
            iso.read_file("big", 1 << 20).unwrap_err(),
            Error::new("multi-extent file", 18 * 2048 + 68)
        );
    }

    #[test]
    fn joliet_label_fallback() {
        let mut img = image(
            &["genisoimage", "-quiet", "-V", "cidata", "-J"],
            &[("meta-data", b"m".as_slice())],
        );
        img[16 * 2048 + 40..16 * 2048 + 72].fill(b' ');
        let m_iso = Mem(img.as_slice());
        let iso = Iso::open(&m_iso).unwrap();
        assert_eq!(iso.label(), "cidata");
        assert_eq!(
            probe_label(&Mem(img.as_slice())).unwrap().as_deref(),
            Some("")
        );
    }
}
