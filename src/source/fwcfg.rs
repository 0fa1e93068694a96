//! QEMU fw_cfg (`-fw_cfg name=opt/...,file=...`), as the kernel's
//! `qemu_fw_cfg` driver shows it: `by_name/<name>/{size,raw}`. Read are
//! egret's own entries (NoCloud documents), Ignition's config, and systemd's
//! credentials.
//!
//! Every read of `raw` makes the driver re-read the entry from offset 0, so
//! a file read in 16 KiB steps costs O(n²): each entry is read with one
//! `read` of its announced size.

use alloc::vec::Vec;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::disk::{errno_text, HostDir};
use super::{nocloud::read_host, Credential, Documents, FetchError, MAX_DOC};
use crate::text::cat;
use crate::wire::Volume;

/// Where the kernel puts fw_cfg entries.
pub const DEFAULT_DIR: &str = "/sys/firmware/qemu_fw_cfg/by_name";
/// egret's own entries: `opt/dev.egret/{meta-data,user-data,vendor-data,network-config}`.
pub const OWN: &str = "opt/dev.egret";
/// Ignition's config on QEMU (`ignition.platform.id=qemu`).
pub const IGNITION: &str = "opt/com.coreos/config";
/// systemd's credentials: `opt/io.systemd.credentials/NAME`.
pub const CREDENTIALS: &str = "opt/io.systemd.credentials";

/// Largest credential, as systemd's `CREDENTIAL_SIZE_MAX`.
const MAX_CREDENTIAL: usize = 1 << 20;

/// Reads one entry (`dir/name`); `None` when absent.
fn entry(base: &str, max: usize) -> Result<Option<Vec<u8>>, Errno> {
    let size = match read_host(&cat(&[base, "/size"]), 32)? {
        Some(s) => core::str::from_utf8(s.trim_ascii())
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or(Errno::INVAL)?,
        // A plain directory tree (tests, `fwcfg:DIR` copies) has no `size`.
        None => return read_host(&cat(&[base, "/raw"]), max),
    };
    if size > max {
        return Err(Errno::FBIG);
    }
    let fd = match rustix::fs::open(
        cat(&[base, "/raw"]).as_str(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut buf = alloc::vec![0u8; size];
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        match rustix::io::read(&fd, rest) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(done);
    Ok(Some(buf))
}

/// Reads the fw_cfg entries under `dir` (host path); `shown` names the source.
pub fn fetch(dir: &str, shown: &str) -> Result<Documents, FetchError> {
    let mut docs = Documents {
        source: cat(&["fwcfg:", shown]),
        ..Documents::default()
    };
    let read = |name: &str, max: usize| {
        entry(&cat(&[dir, "/", name]), max)
            .map_err(|e| FetchError::Io(cat(&["fwcfg:", shown, "/", name, ": ", errno_text(e)])))
    };
    for (file, slot) in [
        ("meta-data", &mut docs.meta_data),
        ("user-data", &mut docs.user_data),
        ("vendor-data", &mut docs.vendor_data),
        ("network-config", &mut docs.network_config),
    ] {
        *slot = read(&cat(&[OWN, "/", file]), MAX_DOC)?;
    }
    // egret's own user-data wins; Ignition's config is user-data too.
    if docs.user_data.is_none() {
        docs.user_data = read(IGNITION, MAX_DOC)?;
        docs.user_data_name = Some(IGNITION);
    }
    if let Ok(Some(names)) = HostDir(cat(&[dir, "/", CREDENTIALS])).list_dir("") {
        // Listed in name order: the order credentials are applied in.
        for name in names {
            if let Some(value) = read(&cat(&[CREDENTIALS, "/", &name]), MAX_CREDENTIAL)? {
                docs.credentials.push(Credential { name, value });
            }
        }
    }
    if docs.is_empty() {
        return Err(FetchError::Absent(cat(&[
            &docs.source,
            ": no egret, Ignition or credential entries",
        ])));
    }
    Ok(docs)
}
