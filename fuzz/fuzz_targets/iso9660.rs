//! ISO9660 reader (plain, Rock Ridge, Joliet): never panics on any image.
#![no_main]

mod volume;

use egret::wire::iso9660::{probe_label, Iso};
use libfuzzer_sys::fuzz_target;
use volume::Bytes;

fuzz_target!(|data: &[u8]| {
    let m = Bytes(data);
    let _ = probe_label(&m);
    if let Ok(iso) = Iso::open(&m) {
        volume::exercise(&iso);
    }
});
