//! FAT12/16/32 with VFAT long names, read-only: the boot sector (BPB), the
//! FAT, directories and files, enough to take a NoCloud (`CIDATA`) or
//! OpenStack (`config-2`) seed off a disk or image without mounting it.
//!
//! The medium is untrusted. This module never writes, never follows a cluster
//! number it has not range-checked, never allocates more than the caller's
//! `max` for a file or [`DIR_MAX`] for a directory, and never walks a chain
//! further than the file size or that cap allows: a file's chain must end
//! exactly where its size does, which also rejects loops, since a looping
//! chain never ends.
//!
//! Decisions:
//! - The 0x55AA boot signature is required: every formatter since DOS 2
//!   writes it, and it is the cheap test that tells FAT from zeroed disks and
//!   other filesystems. Whatever fails the BPB's shape is "not FAT"
//!   (`probe_label` says `Ok(None)`); a BPB of the right shape that does not
//!   fit the medium or itself is damage (`Err`).
//! - Only the first FAT is read (or the active one when FAT32 mirroring is
//!   off), through one cached window, so a lookup costs one `read_at` per
//!   8 KiB of FAT touched.
//! - The label is the root directory's label entry, as blkid reports it,
//!   searched in the first 16 KiB of the root (where mkfs and mlabel put it),
//!   else the BPB label unless it is `NO NAME`.
//! - Short names and labels are taken as Latin-1: seeds are ASCII, and a code
//!   page table is not worth its size here.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;

use super::{Error, Media, Volume};

/// Largest directory read, in bytes: a seed's directories hold a handful of names.
pub const DIR_MAX: u32 = 1 << 20;
/// Most path components followed in one lookup.
const DEPTH_MAX: usize = 16;
/// Bytes of FAT read at once; a FAT12 FAT fits whole.
const WINDOW: u64 = 8192;
/// Bytes of the root directory searched for the label entry.
const LABEL_SCAN: u64 = 16384;
const ATTR_LABEL: u8 = 0x08;
const ATTR_DIR: u8 = 0x10;
const ATTR_LFN: u8 = 0x0F;
/// Where the 13 UCS-2 units of a long-name entry sit.
const LFN_AT: [u8; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// A validated FAT volume on a medium.
pub struct Fat<'m> {
    media: &'m dyn Media,
    /// 12, 16 or 32, from the cluster count.
    bits: u8,
    cluster_bytes: u32,
    /// Byte offset and size of the FAT in use.
    fat_at: u64,
    fat_bytes: u64,
    /// The fixed root region of FAT12/16.
    root_at: u64,
    root_bytes: u32,
    /// The root directory's first cluster on FAT32.
    root_cluster: u32,
    data_at: u64,
    /// Data clusters: valid numbers are `2..clusters + 2`.
    clusters: u32,
    window: Cell<Vec<u8>>,
    window_at: Cell<u64>,
    label: String,
}

/// A directory entry, names decoded.
struct Entry {
    /// The long name when it is intact, else empty.
    name: String,
    short: String,
    attr: u8,
    cluster: u32,
    size: u32,
}

/// Little-endian `n` bytes at `at`; 0 when out of range, which callers treat as damage.
#[inline(always)]
fn le(b: &[u8], at: usize, n: usize) -> u32 {
    let mut v = [0u8; 4];
    if let Some(s) = b.get(at..at.saturating_add(n)) {
        if let Some(d) = v.get_mut(..s.len()) {
            d.copy_from_slice(s);
        }
    }
    u32::from_le_bytes(v)
}

/// Appends `part` without its trailing spaces, as Latin-1.
fn push_trimmed(s: &mut String, part: &[u8], lower: bool) {
    let n = part.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
    for &b in part.iter().take(n) {
        s.push(char::from(if lower { b.to_ascii_lowercase() } else { b }));
    }
}

/// A label from its 11 bytes; `None` when blank or the `NO NAME` placeholder.
fn label_of(raw: &[u8]) -> Option<String> {
    let mut s = String::new();
    push_trimmed(&mut s, raw.get(..11)?, false);
    (!s.is_empty() && s != "NO NAME").then_some(s)
}

/// The 8.3 name, with the NT lowercase flags (byte 12) applied.
fn short_name(e: &[u8; 32]) -> String {
    let mut base = [0u8; 8];
    base.copy_from_slice(&e[..8]);
    if base[0] == 0x05 {
        // 0xE5 is the deleted marker, so a name starting with it is stored as 0x05.
        base[0] = 0xE5;
    }
    let mut s = String::new();
    push_trimmed(&mut s, &base, e[12] & 0x08 != 0);
    if e[8..11].iter().any(|&b| b != b' ') {
        s.push('.');
        push_trimmed(&mut s, &e[8..11], e[12] & 0x10 != 0);
    }
    s
}

/// The VFAT checksum of an 8.3 name, which ties long-name entries to it.
fn checksum(name: &[u8]) -> u8 {
    name.iter()
        .take(11)
        .fold(0u8, |s, &b| s.rotate_right(1).wrapping_add(b))
}

impl<'m> Fat<'m> {
    /// Parses and validates the boot sector (BPB), determines FAT12/16/32 by
    /// cluster count (Microsoft's rule: < 4085 FAT12, < 65525 FAT16, else
    /// FAT32) and finds the label.
    pub fn open(media: &'m dyn Media) -> Result<Fat<'m>, Error> {
        Fat::load(media)?.ok_or(Error::new("not a FAT boot sector", 0))
    }

    /// [`Fat::parse`], then the label; `None` when the boot sector is not FAT.
    fn load(media: &'m dyn Media) -> Result<Option<Fat<'m>>, Error> {
        let Some(mut fat) = Fat::parse(media)? else {
            return Ok(None);
        };
        if let Some(l) = fat.root_label()? {
            fat.label = l;
        }
        Ok(Some(fat))
    }

    /// The geometry, and the BPB label; `None` when the boot sector is not FAT.
    fn parse(media: &'m dyn Media) -> Result<Option<Fat<'m>>, Error> {
        let mut b = [0u8; 512];
        if media.size() < 512 {
            return Ok(None);
        }
        media.read_at(0, &mut b)?;
        let bps = le(&b, 11, 2);
        let spc = le(&b, 13, 1);
        let reserved = le(&b, 14, 2);
        let nfats = le(&b, 16, 1);
        let root_entries = le(&b, 17, 2);
        let total = match le(&b, 19, 2) {
            0 => le(&b, 32, 4),
            n => n,
        };
        let fat_sectors = match le(&b, 22, 2) {
            0 => le(&b, 36, 4),
            n => n,
        };
        if le(&b, 510, 2) != 0xAA55
            || !bps.is_power_of_two()
            || !(512..=4096).contains(&bps)
            || !spc.is_power_of_two()
            || reserved == 0
            || nfats == 0
            || fat_sectors == 0
            || total == 0
        {
            return Ok(None);
        }
        let bps = u64::from(bps);
        let damage = |what| Err(Error::new(what, 11));
        if u64::from(total) * bps > media.size() {
            return damage("FAT volume larger than the medium");
        }
        let root_sectors = u64::from(root_entries * 32).div_ceil(bps);
        let meta = u64::from(reserved) + u64::from(nfats) * u64::from(fat_sectors) + root_sectors;
        let Some(data_sectors) = u64::from(total).checked_sub(meta) else {
            return damage("FAT metadata larger than the volume");
        };
        let clusters = data_sectors / u64::from(spc);
        let bits: u8 = match clusters {
            0 => return damage("FAT volume without data clusters"),
            1..4085 => 12,
            4085..65525 => 16,
            // Larger numbers would collide with the bad and end-of-chain markers.
            65525..0x0FFF_FFF5 => 32,
            _ => return damage("too many FAT32 clusters"),
        };
        if (bits == 32) != (root_entries == 0) {
            return damage("root directory does not fit the FAT type");
        }
        let fat_bytes = u64::from(fat_sectors) * bps;
        if ((clusters + 2) * u64::from(bits)).div_ceil(8) > fat_bytes {
            return damage("FAT too small for the volume");
        }
        let mut active = 0;
        let mut root_cluster = 0;
        let label_at = if bits == 32 {
            let flags = le(&b, 40, 2);
            if flags & 0x80 != 0 {
                // Mirroring off: only the active FAT is current.
                active = flags & 0x0F;
                if active >= nfats {
                    return damage("active FAT out of range");
                }
            }
            root_cluster = le(&b, 44, 4);
            if root_cluster < 2 || u64::from(root_cluster) >= clusters + 2 {
                return damage("FAT32 root cluster out of range");
            }
            0x42
        } else {
            0x26
        };
        let label = match b.get(label_at) {
            Some(0x29) => label_of(b.get(label_at + 5..).unwrap_or_default()),
            _ => None,
        };
        Ok(Some(Fat {
            media,
            bits,
            cluster_bytes: spc * bps as u32,
            fat_at: (u64::from(reserved) + u64::from(active) * u64::from(fat_sectors)) * bps,
            fat_bytes,
            root_at: (meta - root_sectors) * bps,
            root_bytes: root_entries * 32,
            root_cluster,
            data_at: meta * bps,
            clusters: clusters as u32,
            window: Cell::new(Vec::new()),
            window_at: Cell::new(u64::MAX),
            label: label.unwrap_or_default(),
        }))
    }

    /// The root directory's label entry, searched in its first bytes only.
    fn root_label(&self) -> Result<Option<String>, Error> {
        let (at, len) = match self.bits {
            32 => (self.cluster_at(self.root_cluster), self.cluster_bytes),
            _ => (self.root_at, self.root_bytes),
        };
        let mut data = vec![0; u64::from(len).min(LABEL_SCAN) as usize];
        self.media.read_at(at, &mut data)?;
        for e in data.chunks_exact(32) {
            let (first, attr) = (le(e, 0, 1), le(e, 11, 1) as u8);
            if first == 0 {
                break;
            }
            if first != 0xE5 && attr & 0x3F != ATTR_LFN && attr & ATTR_LABEL != 0 {
                return Ok(label_of(e));
            }
        }
        Ok(None)
    }

    fn cluster_at(&self, c: u32) -> u64 {
        self.data_at + u64::from(c.saturating_sub(2)) * u64::from(self.cluster_bytes)
    }

    /// The FAT entry of cluster `c`: `Some(next)`, or `None` at the end of the chain.
    fn next(&self, c: u32) -> Result<Option<u32>, Error> {
        let off = u64::from(c) * u64::from(self.bits) / 8;
        let start = off - off % WINDOW;
        let mut win = self.window.take();
        if self.window_at.get() != start {
            self.window_at.set(u64::MAX);
            let n = self.fat_bytes.saturating_sub(start).min(WINDOW + 4) as usize;
            if win.len() != n {
                win = vec![0; n];
            }
            // A FAT12 entry can straddle the window's end: the window overlaps the next by 4 bytes.
            self.media.read_at(self.fat_at + start, &mut win)?;
            self.window_at.set(start);
        }
        let at = (off - start) as usize;
        let raw = if self.bits == 32 {
            le(&win, at, 4)
        } else {
            le(&win, at, 2)
        };
        self.window.set(win);
        let (v, end) = match self.bits {
            12 if c & 1 == 1 => (raw >> 4, 0xFF8),
            12 => (raw & 0xFFF, 0xFF8),
            16 => (raw, 0xFFF8),
            _ => (raw & 0x0FFF_FFFF, 0x0FFF_FFF8),
        };
        let what = match v {
            _ if v >= end => return Ok(None),
            0 => "free cluster in a cluster chain",
            _ if v == end - 1 => "bad cluster in a cluster chain",
            _ if v < 2 || v - 2 >= self.clusters => "cluster number out of range",
            _ => return Ok(Some(v)),
        };
        Err(Error::new(what, self.fat_at + off))
    }

    /// The chain from `first` as runs of contiguous clusters `(start, count)`.
    /// A file (`exact`) must have exactly `want` clusters; a directory at most `want`.
    fn chain(&self, first: u32, want: u32, exact: bool) -> Result<Vec<(u32, u32)>, Error> {
        if first < 2 || first - 2 >= self.clusters {
            return Err(Error::new("cluster number out of range", self.fat_at));
        }
        let mut runs = vec![(first, 1u32)];
        let (mut c, mut n) = (first, 1);
        loop {
            let at = self.fat_at + u64::from(c) * u64::from(self.bits) / 8;
            match self.next(c)? {
                None if exact && n < want => {
                    return Err(Error::new("cluster chain shorter than the file", at))
                }
                None => return Ok(runs),
                Some(_) if n >= want => {
                    let what = if exact {
                        "cluster chain longer than the file, or looping"
                    } else {
                        "directory too large, or its cluster chain loops"
                    };
                    return Err(Error::new(what, at));
                }
                Some(next) => {
                    n += 1;
                    match runs.last_mut() {
                        Some((s, k)) if s.checked_add(*k) == Some(next) => *k += 1,
                        _ => runs.push((next, 1)),
                    }
                    c = next;
                }
            }
        }
    }

    /// Reads a chain: `size` bytes of a file, or a whole directory when `None`.
    fn read_chain(&self, first: u32, size: Option<u32>) -> Result<Vec<u8>, Error> {
        let cb = self.cluster_bytes;
        let want = match size {
            Some(s) => s.div_ceil(cb),
            // A chain can't hold more clusters than the volume has.
            None => (DIR_MAX / cb).min(self.clusters).max(1),
        };
        if want > self.clusters {
            return Err(Error::new(
                "file larger than the volume",
                self.cluster_at(first),
            ));
        }
        let runs = self.chain(first, want, size.is_some())?;
        let len = match size {
            Some(s) => s as usize,
            None => runs.iter().map(|r| r.1 as usize * cb as usize).sum(),
        };
        let mut out = vec![0; len];
        let mut rest = out.as_mut_slice();
        for (s, k) in runs {
            let n = (u64::from(k) * u64::from(cb)).min(rest.len() as u64) as usize;
            let Some((head, tail)) = rest.split_at_mut_checked(n) else {
                break;
            };
            self.media.read_at(self.cluster_at(s), head)?;
            rest = tail;
        }
        Ok(out)
    }

    /// A directory's bytes; `None` is the root.
    fn dir_data(&self, cluster: Option<u32>) -> Result<Vec<u8>, Error> {
        match (cluster, self.bits) {
            (None, 12 | 16) => {
                let mut v = vec![0; self.root_bytes as usize];
                self.media.read_at(self.root_at, &mut v)?;
                Ok(v)
            }
            (None, _) => self.read_chain(self.root_cluster, None),
            (Some(c), _) => self.read_chain(c, None),
        }
    }

    /// Calls `f` on each live entry (not `.`, `..`, labels) until it returns true.
    fn each(&self, data: &[u8], f: &mut dyn FnMut(&mut Entry) -> bool) {
        let mut units = [0u16; 20 * 13];
        // One entry reused, so its strings are allocated once per directory.
        let mut ent = Entry {
            name: String::new(),
            short: String::new(),
            attr: 0,
            cluster: 0,
            size: 0,
        };
        // Next long-name ordinal expected (0: none pending), parts in the name, checksum.
        let (mut want, mut parts, mut sum) = (0u8, 0u8, 0u8);
        for e in data.chunks_exact(32) {
            let Ok(e) = <&[u8; 32]>::try_from(e) else {
                break;
            };
            let (first, attr) = (e[0], e[11]);
            if first == 0 {
                break;
            }
            if first == 0xE5 {
                (want, parts) = (0, 0);
                continue;
            }
            if attr & 0x3F == ATTR_LFN {
                let ord = first & 0x1F;
                if first & 0x40 != 0 {
                    (want, parts, sum) = (ord, ord, e[13]);
                }
                if ord == 0 || ord > 20 || ord != want || e[13] != sum {
                    (want, parts) = (0, 0);
                    continue;
                }
                let base = usize::from(ord - 1) * 13;
                for (i, &at) in LFN_AT.iter().enumerate() {
                    let at = usize::from(at);
                    if let (Some(u), Some(&[lo, hi])) = (units.get_mut(base + i), e.get(at..at + 2))
                    {
                        *u = u16::from_le_bytes([lo, hi]);
                    }
                }
                want -= 1;
                continue;
            }
            let long = parts != 0 && want == 0 && checksum(e) == sum;
            let len = usize::from(parts) * 13;
            (want, parts) = (0, 0);
            if attr & ATTR_LABEL != 0 || first == b'.' {
                continue;
            }
            let name = &mut ent.name;
            name.clear();
            if long {
                let units = units.get(..len).unwrap_or_default();
                let mut i = 0;
                while let Some(&u) = units.get(i) {
                    i += 1;
                    let mut c = u32::from(u);
                    if u == 0 {
                        break;
                    }
                    if let (0xD800..0xDC00, Some(&l @ 0xDC00..0xE000)) = (u, units.get(i)) {
                        i += 1;
                        c = 0x10000 + ((c - 0xD800) << 10 | u32::from(l - 0xDC00));
                    }
                    name.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
            let hi = if self.bits == 32 {
                le(e, 20, 2) << 16
            } else {
                0
            };
            ent.short = short_name(e);
            ent.attr = attr;
            ent.cluster = hi | le(e, 26, 2);
            ent.size = le(e, 28, 4);
            if f(&mut ent) {
                return;
            }
        }
    }

    /// Resolves a path: `Some((is_dir, cluster, size))`, cluster `None` for the root.
    fn find(&self, path: &str) -> Result<Option<(bool, Option<u32>, u32)>, Error> {
        let mut found = (true, None, 0);
        let mut depth = 0;
        for comp in path.as_bytes().split(|&b| b == b'/') {
            if comp.is_empty() || comp == b"." {
                continue;
            }
            if !found.0 {
                return Ok(None);
            }
            depth += 1;
            if depth > DEPTH_MAX {
                return Err(Error::new("path too deep", 0));
            }
            let data = self.dir_data(found.1)?;
            let mut hit = None;
            self.each(&data, &mut |e| {
                let m = e.name.as_bytes().eq_ignore_ascii_case(comp)
                    || e.short.as_bytes().eq_ignore_ascii_case(comp);
                if m {
                    hit = Some((e.attr & ATTR_DIR != 0, Some(e.cluster), e.size));
                }
                m
            });
            let Some(h) = hit else {
                return Ok(None);
            };
            found = h;
        }
        Ok(Some(found))
    }
}

impl Volume for Fat<'_> {
    fn label(&self) -> &str {
        &self.label
    }

    fn read_file(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let Some((false, Some(c), size)) = self.find(path)? else {
            return Ok(None);
        };
        if u64::from(size) > max as u64 {
            return Err(Error::new("file larger than the limit", self.cluster_at(c)));
        }
        if size == 0 {
            return Ok(Some(Vec::new()));
        }
        self.read_chain(c, Some(size)).map(Some)
    }

    fn list_dir(&self, path: &str) -> Result<Option<Vec<String>>, Error> {
        let Some((true, cluster, _)) = self.find(path)? else {
            return Ok(None);
        };
        let data = self.dir_data(cluster)?;
        let mut names = Vec::new();
        self.each(&data, &mut |e| {
            let n = if e.name.is_empty() {
                &mut e.short
            } else {
                &mut e.name
            };
            if super::component(n) {
                names.push(core::mem::take(n));
            }
            false
        });
        Ok(Some(names))
    }
}

/// Cheap probe for block-device discovery: the boot sector and the start of
/// the root directory, two reads. `Ok(Some(label))` for a FAT filesystem
/// (label may be empty), `Ok(None)` when the boot sector is not FAT.
pub fn probe_label(media: &dyn Media) -> Result<Option<String>, Error> {
    Ok(Fat::load(media)?.map(|f| f.label))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::wire::testing::{run, Mem, Tmp};
    use alloc::format;
    use alloc::string::ToString;
    use std::os::unix::fs::FileExt;

    /// An image file read in place: the FAT32 image is 34 MiB, mostly holes.
    struct Disk(std::fs::File);
    impl Media for Disk {
        fn size(&self) -> u64 {
            self.0.metadata().unwrap().len()
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
            self.0
                .read_exact_at(buf, offset)
                .map_err(|_| Error::new("read error", offset))
        }
    }

    /// Counts `read_at` calls.
    struct Counting<'a>(&'a dyn Media, Cell<usize>);
    impl Media for Counting<'_> {
        fn size(&self) -> u64 {
            self.0.size()
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
            self.1.set(self.1.get() + 1);
            self.0.read_at(offset, buf)
        }
    }

    fn open_err(m: &dyn Media) -> &'static str {
        match Fat::open(m) {
            Err(e) => e.what,
            Ok(_) => panic!("opened"),
        }
    }

    fn mkfs(img: &str, kib: u32, bits: u8, extra: &[&str]) {
        let (kib, bits) = (kib.to_string(), bits.to_string());
        let mut args = vec!["-C", img, "-F", bits.as_str(), "-n", "CIDATA"];
        args.extend_from_slice(extra);
        args.push(kib.as_str());
        run("mkfs.vfat", &args);
    }

    fn mcopy(img: &str, src: &str, name: &str) {
        run("mcopy", &["-i", img, src, &format!("::{name}")]);
    }

    /// Deterministic bytes that differ per file and per position.
    fn pattern(n: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    const META: &[u8] = b"instance-id: iid-local01\nlocal-hostname: cloudimg\n";
    const USER: &[u8] = b"#cloud-config\npassword: passw0rd\n";
    const VENDOR: &[u8] = b"#cloud-config\n{}\n";
    const NET: &[u8] = b"version: 2\nethernets: {}\n";

    /// A NoCloud seed plus names that exercise long/short names and a subtree.
    fn seed(t: &Tmp, img: &str) {
        mcopy(img, &t.file("m", META), "meta-data");
        mcopy(img, &t.file("u", USER), "user-data");
        mcopy(img, &t.file("v", VENDOR), "vendor-data");
        mcopy(img, &t.file("n", NET), "network-config");
        mcopy(img, &t.file("s", b"short"), "USER.TXT");
        mcopy(img, &t.file("x", b"mixed"), "Meta-Data.Json");
        mcopy(img, &t.file("e", b""), "empty");
        run(
            "mmd",
            &[
                "-i",
                img,
                "::openstack",
                "::openstack/latest",
                "::openstack/2018-08-27",
            ],
        );
        mcopy(
            img,
            &t.file("j", b"{\"uuid\": \"u\"}"),
            "openstack/latest/meta_data.json",
        );
        mcopy(img, &t.file("d", USER), "openstack/2018-08-27/user_data");
    }

    fn check_seed(fat: &Fat) {
        assert_eq!(fat.label(), "CIDATA");
        for (name, body) in [
            ("meta-data", META),
            ("/user-data", USER),
            ("vendor-data", VENDOR),
            ("network-config", NET),
            ("USER.TXT", b"short"),
            ("user.txt", b"short"),
            ("Meta-Data.Json", b"mixed"),
            ("META-DATA.JSON", b"mixed"),
            ("empty", b""),
            ("openstack/latest/meta_data.json", b"{\"uuid\": \"u\"}"),
            ("OPENSTACK//2018-08-27/./USER_DATA", USER),
        ] {
            assert_eq!(
                fat.read_file(name, 1 << 20).unwrap().as_deref(),
                Some(body),
                "{name}"
            );
        }
        // The generated short names match too.
        assert_eq!(
            fat.read_file("NETWOR~1", 100).unwrap().as_deref(),
            Some(NET)
        );
        assert_eq!(fat.read_file("missing", 100), Ok(None));
        assert_eq!(fat.read_file("meta-data/x", 100), Ok(None));
        assert_eq!(fat.read_file("openstack", 100), Ok(None));
        assert_eq!(fat.read_file("openstack/latest/nope", 100), Ok(None));
        assert_eq!(
            fat.read_file("user-data", USER.len()).unwrap().as_deref(),
            Some(USER)
        );
        let e = fat.read_file("user-data", USER.len() - 1).unwrap_err();
        assert_eq!(e.what, "file larger than the limit");
        let root = fat.list_dir("").unwrap().unwrap();
        let want = [
            "meta-data",
            "user-data",
            "vendor-data",
            "network-config",
            "USER.TXT",
            "Meta-Data.Json",
            "empty",
            "openstack",
        ];
        assert_eq!(root[..want.len()], want);
        assert_eq!(fat.list_dir("/").unwrap().unwrap(), root);
        assert_eq!(
            fat.list_dir("openstack").unwrap().unwrap(),
            ["latest", "2018-08-27"]
        );
        assert_eq!(
            fat.list_dir("openstack/latest/").unwrap().unwrap(),
            ["meta_data.json"]
        );
        assert_eq!(fat.list_dir("meta-data"), Ok(None));
        assert_eq!(fat.list_dir("nope"), Ok(None));
    }

    fn image(tag: &str, kib: u32, bits: u8, extra: &[&str]) -> (Tmp, String) {
        let t = Tmp::new(tag);
        let img = t.path("img");
        mkfs(&img, kib, bits, extra);
        seed(&t, &img);
        (t, img)
    }

    #[test]
    fn fat12_seed() {
        let (_t, img) = image("f12", 1440, 12, &[]);
        let bytes = std::fs::read(&img).unwrap();
        let m = Mem(&bytes);
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.bits, 12);
        check_seed(&fat);
        assert_eq!(probe_label(&m), Ok(Some("CIDATA".into())));
    }

    #[test]
    fn fat16_seed() {
        let (_t, img) = image("f16", 20 * 1024, 16, &["-s", "1"]);
        let bytes = std::fs::read(&img).unwrap();
        let m = Mem(&bytes);
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.bits, 16);
        check_seed(&fat);
        assert_eq!(probe_label(&m), Ok(Some("CIDATA".into())));
    }

    #[test]
    fn fat32_seed() {
        let (_t, img) = image("f32", 34 * 1024, 32, &["-s", "1"]);
        let m = Disk(std::fs::File::open(&img).unwrap());
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.bits, 32);
        check_seed(&fat);
        let c = Counting(&m, Cell::new(0));
        assert_eq!(probe_label(&c), Ok(Some("CIDATA".into())));
        assert_eq!(c.1.get(), 2);
    }

    #[test]
    fn labels() {
        let t = Tmp::new("label");
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        assert_eq!(
            probe_label(&Mem(&std::fs::read(&img).unwrap())),
            Ok(Some("CIDATA".into()))
        );
        // mlabel records labels upper case; mkfs.vfat as given (nova's config drive).
        run("mlabel", &["-i", &img, "::config-2"]);
        let bytes = std::fs::read(&img).unwrap();
        assert_eq!(Fat::open(&Mem(&bytes)).unwrap().label(), "CONFIG-2");
        let img2 = t.path("img2");
        mkfs(&img2, 1440, 12, &["-n", "config-2"]);
        let bytes = std::fs::read(&img2).unwrap();
        assert_eq!(Fat::open(&Mem(&bytes)).unwrap().label(), "config-2");
        assert_eq!(probe_label(&Mem(&bytes)), Ok(Some("config-2".into())));
        // The root entry wins over the BPB, as with blkid.
        let mut b = bytes.clone();
        b[0x2B..0x36].copy_from_slice(b"OTHER      ");
        assert_eq!(Fat::open(&Mem(&b)).unwrap().label(), "config-2");
        // Without a root entry, the BPB's label; `NO NAME` is no label.
        let root = Fat::open(&Mem(&b)).unwrap().root_at as usize;
        b[root] = 0xE5;
        assert_eq!(Fat::open(&Mem(&b)).unwrap().label(), "OTHER");
        b[0x2B..0x36].copy_from_slice(b"NO NAME    ");
        assert_eq!(Fat::open(&Mem(&b)).unwrap().label(), "");
        assert_eq!(probe_label(&Mem(&b)), Ok(Some(String::new())));
        // No extended boot signature: the label field is not there.
        b[0x2B..0x36].copy_from_slice(b"OTHER      ");
        b[0x26] = 0;
        assert_eq!(Fat::open(&Mem(&b)).unwrap().label(), "");

        let img32 = t.path("img32");
        mkfs(&img32, 34 * 1024, 32, &["-s", "1"]);
        run("mlabel", &["-i", &img32, "::cfg-two"]);
        let d = Disk(std::fs::File::open(&img32).unwrap());
        assert_eq!(Fat::open(&d).unwrap().label(), "CFG-TWO");
        assert_eq!(probe_label(&d), Ok(Some("CFG-TWO".into())));
    }

    #[test]
    fn probe_others() {
        let t = Tmp::new("probe");
        assert_eq!(probe_label(&Mem(&[0; 4096])), Ok(None));
        assert_eq!(probe_label(&Mem(&[])), Ok(None));
        assert_eq!(probe_label(&Mem(&[0x55; 100])), Ok(None));
        assert_eq!(open_err(&Mem(&[0; 4096])), "not a FAT boot sector");
        let dir = t.path("tree");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(t.path("tree/meta-data"), META).unwrap();
        let iso = t.path("seed.iso");
        run(
            "genisoimage",
            &["-quiet", "-o", &iso, "-V", "cidata", "-J", "-r", &dir],
        );
        let bytes = std::fs::read(&iso).unwrap();
        assert_eq!(probe_label(&Mem(&bytes)), Ok(None));
        // A short FAT medium: a bare boot sector whose volume is missing.
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        let bytes = std::fs::read(&img).unwrap();
        assert_eq!(
            probe_label(&Mem(&bytes[..4096])).unwrap_err().what,
            "FAT volume larger than the medium"
        );
        assert_eq!(probe_label(&Mem(&bytes[..511])), Ok(None));
    }

    #[test]
    fn nt_lowercase_flags_and_05() {
        let t = Tmp::new("nt");
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        mcopy(&img, &t.file("a", b"A"), "README.TXT");
        let mut b = std::fs::read(&img).unwrap();
        let root = Fat::open(&Mem(&b)).unwrap().root_at as usize;
        // Entry 0 is the label, entry 1 the file.
        let e = root + 32;
        assert_eq!(&b[e..e + 11], b"README  TXT");
        b[e + 12] = 0x08;
        assert_eq!(
            Fat::open(&Mem(&b)).unwrap().list_dir("").unwrap().unwrap(),
            ["readme.TXT"]
        );
        b[e + 12] = 0x18;
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.list_dir("").unwrap().unwrap(), ["readme.txt"]);
        assert_eq!(fat.read_file("README.TXT", 9).unwrap().unwrap(), b"A");
        b[e] = 0x05;
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.list_dir("").unwrap().unwrap(), ["\u{e5}eadme.txt"]);
        // Deleted entries are skipped; 0x00 ends the directory.
        b[e] = 0xE5;
        assert_eq!(
            Fat::open(&Mem(&b))
                .unwrap()
                .list_dir("")
                .unwrap()
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn long_names_checked() {
        let t = Tmp::new("lfn");
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        let long = "A Rather-Long Name with ünïcode.txt";
        mcopy(&img, &t.file("a", b"body"), long);
        mcopy(&img, &t.file("b", b"two"), "second-file");
        let mut b = std::fs::read(&img).unwrap();
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.list_dir("").unwrap().unwrap(), [long, "second-file"]);
        assert_eq!(
            fat.read_file("a rather-long NAME with ünïcode.TXT", 9)
                .unwrap()
                .unwrap(),
            b"body"
        );
        let root = fat.root_at as usize;
        // 36 UCS-2 units: 3 long entries after the label, then the 8.3 entry.
        assert_eq!(b[root + 32], 0x43);
        let short = root + 4 * 32;
        let short_name = short_name(b[short..short + 32].try_into().unwrap());
        assert_eq!(short_name, "ARATHE~1.TXT");
        // A checksum mismatch falls back to the short name.
        b[short + 1] ^= 1;
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        let names = fat.list_dir("").unwrap().unwrap();
        assert_eq!(names, ["ASATHE~1.TXT", "second-file"]);
        b[short + 1] ^= 1;
        // A missing middle part falls back too.
        b[root + 64] = 0xE5;
        let names = Fat::open(&Mem(&b)).unwrap().list_dir("").unwrap().unwrap();
        assert_eq!(names, ["ARATHE~1.TXT", "second-file"]);
        // Out-of-order parts too.
        b[root + 64] = 0x02;
        b[root + 96] = 0x02;
        let names = Fat::open(&Mem(&b)).unwrap().list_dir("").unwrap().unwrap();
        assert_eq!(names, ["ARATHE~1.TXT", "second-file"]);
    }

    /// Sets FAT entry `c` to `v` in every FAT copy.
    fn set_fat(b: &mut [u8], fat: &Fat, c: u32, v: u32) {
        let nfats = u64::from(b[16]);
        for i in 0..nfats {
            let base = (fat.fat_at + i * fat.fat_bytes) as usize;
            match fat.bits {
                12 => {
                    let at = base + (c as usize * 3) / 2;
                    let old = u16::from_le_bytes([b[at], b[at + 1]]);
                    let new = if c & 1 == 1 {
                        (old & 0x000F) | ((v as u16) << 4)
                    } else {
                        (old & 0xF000) | (v as u16 & 0xFFF)
                    };
                    b[at..at + 2].copy_from_slice(&new.to_le_bytes());
                }
                16 => {
                    let at = base + c as usize * 2;
                    b[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes());
                }
                _ => {
                    let at = base + c as usize * 4;
                    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }

    fn first_cluster(fat: &Fat, path: &str) -> u32 {
        fat.find(path).unwrap().unwrap().1.unwrap()
    }

    fn read_err(b: &[u8], path: &str, max: usize) -> &'static str {
        let m = Mem(b);
        match Fat::open(&m).unwrap().read_file(path, max) {
            Err(e) => e.what,
            Ok(r) => panic!("{path}: read {:?} bytes", r.map(|v| v.len())),
        }
    }

    /// A FAT12 seed with a 100 KiB file whose chain is fragmented.
    fn fragmented(t: &Tmp, bits: u8, kib: u32, extra: &[&str]) -> (String, Vec<u8>) {
        let img = t.path("img");
        mkfs(&img, kib, bits, extra);
        seed(t, &img);
        for i in 0..12 {
            mcopy(&img, &t.file("f", &pattern(1500, i)), &format!("f{i:02}"));
        }
        for i in (0..12).step_by(2) {
            run("mdel", &["-i", &img, &format!("::f{i:02}")]);
        }
        let big = pattern(100 * 1024 + 7, 99);
        mcopy(&img, &t.file("big", &big), "big-file.bin");
        (img, big)
    }

    #[test]
    fn big_fragmented_files() {
        for (bits, kib, extra) in [(12, 1440, &[][..]), (16, 20 * 1024, &["-s", "1"][..])] {
            let t = Tmp::new(&format!("big{bits}"));
            let (img, big) = fragmented(&t, bits, kib, extra);
            let b = std::fs::read(&img).unwrap();
            let m = Mem(&b);
            let fat = Fat::open(&m).unwrap();
            check_seed(&fat);
            let got = fat.read_file("BIG-FILE.BIN", big.len()).unwrap().unwrap();
            assert!(got == big, "FAT{bits}: 100 KiB file differs");
            let c = first_cluster(&fat, "big-file.bin");
            let runs = fat
                .chain(c, (big.len() as u32).div_ceil(fat.cluster_bytes), true)
                .unwrap();
            assert!(runs.len() > 3, "FAT{bits}: not fragmented: {runs:?}");
            for i in (1..12).step_by(2) {
                let f = fat.read_file(&format!("F{i:02}"), 1500).unwrap().unwrap();
                assert!(f == pattern(1500, i));
            }
            assert_eq!(fat.read_file("f00", 1500), Ok(None));
        }
    }

    #[test]
    fn few_reads() {
        let t = Tmp::new("reads");
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        let big = pattern(100 * 1024, 5);
        mcopy(&img, &t.file("big", &big), "big");
        let b = std::fs::read(&img).unwrap();
        let m = Mem(&b);
        let c = Counting(&m, Cell::new(0));
        let fat = Fat::open(&c).unwrap();
        assert_eq!(c.1.get(), 2);
        assert!(fat.read_file("big", 1 << 20).unwrap().unwrap() == big);
        // Root directory, one FAT window, one contiguous run.
        assert_eq!(c.1.get(), 5);
    }

    #[test]
    fn fat32_fragmented_and_active_fat() {
        let t = Tmp::new("big32");
        let (img, big) = fragmented(&t, 32, 34 * 1024, &["-s", "1"]);
        let mut b = std::fs::read(&img).unwrap();
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        assert!(fat.read_file("big-file.bin", big.len()).unwrap().unwrap() == big);
        let c = first_cluster(&fat, "big-file.bin");
        let (fat_at, bytes) = (fat.fat_at, fat.fat_bytes as usize);
        // Mirroring off with FAT #1 active: FAT #0 is no longer read.
        b[40] = 0x81;
        b[fat_at as usize..fat_at as usize + bytes].fill(0);
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        assert!(fat.read_file("big-file.bin", big.len()).unwrap().unwrap() == big);
        b[40] = 0x85;
        assert_eq!(open_err(&Mem(&b)), "active FAT out of range");
        b[40] = 0;
        assert_eq!(
            read_err(&b, "big-file.bin", 1 << 20),
            "free cluster in a cluster chain"
        );
        // The upper four bits of a FAT32 entry are reserved and ignored.
        b[40] = 0x81;
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        let next = fat.next(c).unwrap().unwrap();
        let mut b2 = b.clone();
        set_fat(&mut b2, &fat, c, next | 0xF000_0000);
        assert!(
            Fat::open(&Mem(&b2))
                .unwrap()
                .read_file("big-file.bin", 1 << 20)
                .unwrap()
                .unwrap()
                == big
        );
        set_fat(&mut b2, &fat, c, fat.clusters + 2);
        assert_eq!(
            read_err(&b2, "big-file.bin", 1 << 20),
            "cluster number out of range"
        );
    }

    #[test]
    fn damaged_chains() {
        let t = Tmp::new("chains");
        let (img, big) = fragmented(&t, 12, 1440, &[]);
        let b = std::fs::read(&img).unwrap();
        let m = Mem(&b);
        let fat = Fat::open(&m).unwrap();
        let c = first_cluster(&fat, "big-file.bin");
        let second = fat.next(c).unwrap().unwrap();
        let max = 1 << 20;
        let patched = |cl: u32, v: u32| {
            let mut x = b.clone();
            set_fat(&mut x, &fat, cl, v);
            x
        };
        for (cluster, value, want) in [
            (second, c, "cluster chain longer than the file, or looping"),
            (c, c, "cluster chain longer than the file, or looping"),
            (c, fat.clusters + 2, "cluster number out of range"),
            (c, 1, "cluster number out of range"),
            (c, 0, "free cluster in a cluster chain"),
            (c, 0xFF7, "bad cluster in a cluster chain"),
            (c, 0xFFF, "cluster chain shorter than the file"),
        ] {
            let x = patched(cluster, value);
            assert_eq!(
                read_err(&x, "big-file.bin", max),
                want,
                "{cluster} -> {value}"
            );
        }
        let u = first_cluster(&fat, "user-data");
        let x = patched(u, c);
        assert_eq!(
            read_err(&x, "user-data", max),
            "cluster chain longer than the file, or looping"
        );
        // A looping directory is cut at the cap.
        let d = first_cluster(&fat, "openstack");
        let x = patched(d, d);
        let m = Mem(&x);
        let e = Fat::open(&m).unwrap().list_dir("openstack").unwrap_err();
        assert_eq!(e.what, "directory too large, or its cluster chain loops");
        let e = Fat::open(&m)
            .unwrap()
            .read_file("openstack/latest/meta_data.json", max);
        assert_eq!(
            e.unwrap_err().what,
            "directory too large, or its cluster chain loops"
        );
        // Directory entries: a first cluster past the volume, a size past it.
        let root = fat.root_at as usize;
        let data = fat.dir_data(None).unwrap();
        let at = root
            + data
                .chunks(32)
                .position(|e| e.starts_with(b"USER-D"))
                .unwrap()
                * 32;
        let mut x = b.clone();
        x[at + 26..at + 28].copy_from_slice(&0xFF0u16.to_le_bytes());
        assert_eq!(
            read_err(&x, "user-data", max),
            "cluster number out of range"
        );
        let mut x = b.clone();
        x[at + 28..at + 32].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            read_err(&x, "user-data", usize::MAX),
            "file larger than the volume"
        );
        assert_eq!(read_err(&x, "user-data", max), "file larger than the limit");
        assert!(
            Fat::open(&Mem(&b))
                .unwrap()
                .read_file("big-file.bin", max)
                .unwrap()
                .unwrap()
                == big
        );
    }

    #[test]
    fn bad_boot_sectors() {
        let t = Tmp::new("bpb");
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        let good = std::fs::read(&img).unwrap();
        let with = |at: usize, v: &[u8]| {
            let mut b = good.clone();
            b[at..at + v.len()].copy_from_slice(v);
            b
        };
        for (at, v) in [
            (510, &[0x55, 0xAB][..]),
            (11, &[0, 0]),
            (11, &[0xE8, 0x03]),
            (11, &[0, 0x20]),
            (13, &[0]),
            (13, &[3]),
            (14, &[0, 0]),
            (16, &[0]),
            (19, &[0, 0]),
        ] {
            let b = with(at, v);
            assert_eq!(probe_label(&Mem(&b)), Ok(None), "{at} {v:?}");
            assert_eq!(open_err(&Mem(&b)), "not a FAT boot sector");
        }
        for (at, v, what) in [
            (19, &[0x41, 0x0B][..], "FAT volume larger than the medium"),
            (22, &[0, 0x10], "FAT metadata larger than the volume"),
            (22, &[1, 0], "FAT too small for the volume"),
            // FAT12's 32-bit FAT size field holds other bytes.
            (22, &[0, 0], "FAT metadata larger than the volume"),
            (17, &[0, 0], "root directory does not fit the FAT type"),
            (19, &[33, 0], "FAT volume without data clusters"),
        ] {
            assert_eq!(open_err(&Mem(&with(at, v))), what);
            assert_eq!(probe_label(&Mem(&with(at, v))).unwrap_err().what, what);
        }

        let img = t.path("img32");
        mkfs(&img, 34 * 1024, 32, &["-s", "1"]);
        let good = std::fs::read(&img).unwrap();
        let with = |at: usize, v: &[u8]| {
            let mut b = good.clone();
            b[at..at + v.len()].copy_from_slice(v);
            b
        };
        for v in [0u32, 1, 0x10_0000] {
            let b = with(44, &v.to_le_bytes());
            assert_eq!(open_err(&Mem(&b)), "FAT32 root cluster out of range");
        }
        assert_eq!(
            open_err(&Mem(&with(17, &[0, 2]))),
            "root directory does not fit the FAT type"
        );
    }

    #[test]
    fn truncated() {
        let t = Tmp::new("trunc");
        let img = t.path("img");
        mkfs(&img, 1440, 12, &[]);
        seed(&t, &img);
        let b = std::fs::read(&img).unwrap();
        for len in (0..b.len()).step_by(511).chain([b.len() - 1]) {
            let m = Mem(&b[..len]);
            assert!(Fat::open(&m).is_err(), "{len}");
            assert!(matches!(probe_label(&m), Ok(None) | Err(_)));
        }
        // A volume that claims fewer sectors than its files use: they fall outside it.
        let mut x = b.clone();
        x[19..21].copy_from_slice(&(33u16 + 8).to_le_bytes());
        let m = Mem(&x);
        let fat = Fat::open(&m).unwrap();
        assert_eq!(fat.clusters, 8);
        assert_eq!(fat.read_file("meta-data", 1 << 20).unwrap().unwrap(), META);
        let e = fat.read_file("openstack/latest/meta_data.json", 1 << 20);
        assert_eq!(e.unwrap_err().what, "cluster number out of range");
    }

    /// Opens and reads everything a seed source would, counting reads.
    fn exercise(b: &[u8]) -> usize {
        let m = Mem(b);
        let c = Counting(&m, Cell::new(0));
        if let Ok(fat) = Fat::open(&c) {
            let _ = fat.label();
            for p in [
                "meta-data",
                "user-data",
                "NETWOR~1",
                "openstack/latest/meta_data.json",
                "big-file.bin",
            ] {
                let _ = fat.read_file(p, 1 << 20);
            }
            let _ = fat.list_dir("");
            let _ = fat.list_dir("openstack/latest");
        }
        c.1.get()
    }

    #[test]
    fn byte_flips() {
        let t = Tmp::new("flip");
        let (img, _) = fragmented(&t, 12, 1440, &[]);
        let mut b = std::fs::read(&img).unwrap();
        let (fat_at, root, end) = {
            let m = Mem(&b);
            let fat = Fat::open(&m).unwrap();
            (
                fat.fat_at as usize,
                fat.root_at as usize,
                fat.data_at as usize + 2048,
            )
        };
        let mut most = 0;
        // The boot sector, the FAT's used part, the root's used part, the first subdirectories.
        for i in (0..512)
            .chain(fat_at..fat_at + 512)
            .chain(root..root + 2048)
            .chain(end - 2048..end)
        {
            for x in [0xFF, 0x01] {
                b[i] ^= x;
                most = most.max(exercise(&b));
                b[i] ^= x;
            }
        }
        // Several bytes at once, deterministically.
        let noise = pattern(2000 * 8 * 4, 7);
        for round in noise.chunks(32) {
            let mut saved = Vec::new();
            for w in round.chunks(4) {
                let at = u32::from_le_bytes(w.try_into().unwrap()) as usize % end;
                saved.push((at, b[at]));
                b[at] ^= w[0] | 1;
            }
            most = most.max(exercise(&b));
            for &(at, v) in saved.iter().rev() {
                b[at] = v;
            }
        }
        // Bounded work: every path costs a few dozen reads at most.
        assert!(most < 400, "{most} reads");
    }

    #[test]
    fn fat32_byte_flips() {
        let t = Tmp::new("flip32");
        let img = t.path("img");
        mkfs(&img, 34 * 1024, 32, &["-s", "1"]);
        seed(&t, &img);
        let mut b = std::fs::read(&img).unwrap();
        let (fat_at, root) = {
            let m = Mem(&b);
            let fat = Fat::open(&m).unwrap();
            (
                fat.fat_at as usize,
                fat.cluster_at(fat.root_cluster) as usize,
            )
        };
        for i in (0..512).chain(fat_at..fat_at + 256).chain(root..root + 512) {
            for x in [0xFF, 0x01, 0x10] {
                b[i] ^= x;
                exercise(&b);
                b[i] ^= x;
            }
        }
    }
}
