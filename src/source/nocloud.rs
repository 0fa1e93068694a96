//! NoCloud seed directories: `meta-data`, `user-data`, optional `vendor-data`
//! and `network-config`, either on the running system (`nocloud:DIR`) or
//! inside the sysroot (injected seeds, read through the confined [`Root`]).
//! Block devices and images arrive with the block-source issue.

use alloc::format;
use alloc::vec::Vec;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::{Documents, FetchError, MAX_DOC};
use crate::sysroot::root::Root;

const FILES: [&str; 4] = ["meta-data", "user-data", "vendor-data", "network-config"];

/// A seed directory on the running system.
pub fn from_host_dir(dir: &str) -> Result<Documents, FetchError> {
    let source = format!("nocloud:{dir}");
    match rustix::fs::stat(dir) {
        Ok(st)
            if rustix::fs::FileType::from_raw_mode(st.st_mode)
                == rustix::fs::FileType::Directory => {}
        Ok(_) => {
            return Err(FetchError::Unsupported(format!(
                "{source} (not a directory; images and devices arrive in a later release)"
            )))
        }
        Err(e) => return Err(FetchError::Absent(format!("{source}: {e:?}"))),
    }
    collect(source, |name| {
        read_host(&format!("{}/{name}", dir.trim_end_matches('/')), MAX_DOC)
    })
}

/// A seed directory inside the sysroot.
pub fn from_root_dir(root: &Root, dir: &str) -> Result<Documents, FetchError> {
    let source = format!("injected:{dir}");
    collect(source, |name| {
        root.read_follow(&format!("{}/{name}", dir.trim_end_matches('/')), MAX_DOC)
            .map_err(|e| e.errno)
    })
}

fn collect(
    source: alloc::string::String,
    mut read: impl FnMut(&str) -> Result<Option<Vec<u8>>, Errno>,
) -> Result<Documents, FetchError> {
    let mut docs = Documents {
        source: source.clone(),
        ..Documents::default()
    };
    for name in FILES {
        let got = read(name).map_err(|e| FetchError::Io(format!("{source}/{name}: {e:?}")))?;
        match name {
            "meta-data" => docs.meta_data = got,
            "user-data" => docs.user_data = got,
            "vendor-data" => docs.vendor_data = got,
            _ => docs.network_config = got,
        }
    }
    // cloud-init needs meta-data to call a directory a seed; so do we, but a
    // lone user-data is also accepted (instance id then defaults).
    if docs.meta_data.is_none() && docs.user_data.is_none() {
        return Err(FetchError::Absent(format!(
            "{source}: no meta-data or user-data"
        )));
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
