//! What the iso9660 and fat targets share: the fuzz input as a medium, and
//! the calls sources make on a volume, with the trait's promises checked.

use egret::wire::{Error, Media, Volume};

/// `&[u8]` cannot coerce to `&dyn Media` (`[u8]` is unsized), so the bytes go
/// through egret's own `impl Media for [u8]` behind a sized wrapper.
pub struct Bytes<'a>(pub &'a [u8]);

impl Media for Bytes<'_> {
    fn size(&self) -> u64 {
        self.0.size()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.0.read_at(offset, buf)
    }
}

const FILES: &[&str] = &[
    "user-data",
    "meta-data",
    "openstack/latest/meta_data.json",
    "context.sh",
];
const MAX: usize = 1 << 20;

fn list(v: &dyn Volume, dir: &str) -> Vec<String> {
    let Ok(Some(names)) = v.list_dir(dir) else {
        return Vec::new();
    };
    // What `Volume::list_dir` promises: every name is one path component
    // (no `/`, no control byte, not `.` or `..`), whatever the medium holds.
    for n in &names {
        assert!(egret::wire::component(n), "directory {dir:?} lists {n:?}");
    }
    names
}

fn read(v: &dyn Volume, path: &str) {
    if let Ok(Some(f)) = v.read_file(path, MAX) {
        assert!(f.len() <= MAX, "{path}: {} bytes past the limit", f.len());
    }
}

/// What NoCloud, config-2 and OpenNebula reading does with a volume, plus a
/// walk of a few names the volume itself lists (bounded: the input decides
/// how many there are).
pub fn exercise(v: &dyn Volume) {
    let _ = v.label();
    for name in list(v, "").iter().take(8) {
        read(v, name);
        for sub in list(v, name).iter().take(8) {
            read(v, &format!("{name}/{sub}"));
        }
    }
    list(v, "openstack");
    list(v, "/openstack/latest");
    for f in FILES {
        read(v, f);
    }
    read(v, "/user-data");
}
