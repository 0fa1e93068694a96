//! NoCloud seed directories: `meta-data`, `user-data`, optional `vendor-data`
//! and `network-config`, either on the running system (`nocloud:DIR`) or
//! inside the sysroot (injected seeds, read through the confined [`Root`]).
//! A seed on a medium or in a host directory is read through a [`Volume`].

use alloc::string::String;
use alloc::vec::Vec;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::{Documents, FetchError, MAX_DOC};
use crate::sysroot::root::Root;
use crate::text::cat;
use crate::wire::Volume;

/// A seed on a volume: an ISO9660 or FAT medium, or a directory of the
/// running system. `source` is e.g. `nocloud:/dev/sr0`.
pub fn from_volume(vol: &dyn Volume, source: String) -> Result<Documents, FetchError> {
    collect(source, &mut |name| {
        vol.read_file(name, MAX_DOC).map_err(|e| e.what)
    })
}

/// A seed directory inside the sysroot.
pub fn from_root_dir(root: &Root, dir: &str) -> Result<Documents, FetchError> {
    let dir = dir.trim_end_matches('/');
    collect(cat(&["injected:", dir]), &mut |name| {
        root.read_follow(&cat(&[dir, "/", name]), MAX_DOC)
            .map_err(|e| super::disk::errno_text(e.errno))
    })
}

/// Reads one seed file by name: `None` if missing, else the bytes or why not.
type ReadFn<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, &'static str> + 'a;

fn collect(source: String, read: &mut ReadFn<'_>) -> Result<Documents, FetchError> {
    let mut docs = Documents::default();
    for (name, slot) in [
        ("meta-data", &mut docs.meta_data),
        ("user-data", &mut docs.user_data),
        ("vendor-data", &mut docs.vendor_data),
        ("network-config", &mut docs.network_config),
    ] {
        *slot = read(name).map_err(|e| FetchError::Io(cat(&[&source, "/", name, ": ", e])))?;
    }
    docs.source = source;
    // cloud-init needs meta-data to call a directory a seed; so do we, but a
    // lone user-data is also accepted (instance id then defaults).
    if docs.meta_data.is_none() && docs.user_data.is_none() {
        return Err(FetchError::Absent(cat(&[
            &docs.source,
            ": no meta-data or user-data",
        ])));
    }
    Ok(docs)
}

/// Reads a whole file of the running system; `None` if missing.
pub fn read_host(path: &str, max: usize) -> Result<Option<Vec<u8>>, Errno> {
    let fd = match rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) | Err(Errno::NOTDIR) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => return Ok(Some(out)),
            Ok(n) => {
                if out.len() + n > max {
                    return Err(Errno::FBIG);
                }
                out.extend_from_slice(buf.get(..n).unwrap_or_default());
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}
