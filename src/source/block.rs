//! Block-device discovery without blkid or udev: the kernel's list in
//! `/sys/class/block`, each candidate's label read straight from its
//! superblock (ISO9660 primary descriptor, FAT boot sector and root label).
//! Two small reads per device; nothing is mounted or written.

use alloc::string::String;
use alloc::vec::Vec;

use super::disk::FileMedia;
use super::Host;
use crate::wire::{fat, iso9660};

/// A device with a filesystem egret can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labelled {
    /// `/dev/sr0` (under [`Host`]'s prefix in tests).
    pub dev: String,
    /// As recorded on the medium (`cidata`, `CONFIG-2`, ...); may be empty.
    pub label: String,
}

/// Device names that never carry a seed: RAM disks, device-mapper and md
/// (their members are scanned instead), and unbound loop devices (size 0).
fn skipped(name: &str) -> bool {
    ["ram", "zram", "dm-", "md", "nbd"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Every block device with an ISO9660 or FAT label, in name order.
/// Devices without a medium, unreadable ones and other filesystems are
/// left out quietly: a scan must never fail the boot.
pub fn scan(host: &Host) -> Vec<Labelled> {
    let sys = host.path("/sys/class/block");
    let Ok(Some(names)) = crate::wire::Volume::list_dir(&super::disk::HostDir(sys), "") else {
        return Vec::new();
    };
    // Listed in name order, so the scan's order is the same at every boot.
    let mut out = Vec::new();
    for name in names.iter().filter(|n| !skipped(n)) {
        let size = host.path(&alloc::format!("/sys/class/block/{name}/size"));
        if matches!(super::nocloud::read_host(&size, 64), Ok(Some(s)) if s.trim_ascii() == b"0") {
            continue;
        }
        let dev = host.path(&alloc::format!("/dev/{name}"));
        let Ok(m) = FileMedia::open(&dev) else {
            continue;
        };
        let label = match iso9660::probe_label(&m) {
            Ok(Some(l)) => Some(l),
            _ => fat::probe_label(&m).ok().flatten(),
        };
        if let Some(label) = label {
            out.push(Labelled { dev, label });
        }
    }
    out
}
