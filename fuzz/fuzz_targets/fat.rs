//! FAT12/16/32 reader (with VFAT long names): never panics on any image.
#![no_main]

mod volume;

use egret::wire::fat::{probe_label, Fat};
use libfuzzer_sys::fuzz_target;
use volume::Bytes;

fuzz_target!(|data: &[u8]| {
    let m = Bytes(data);
    let _ = probe_label(&m);
    if let Ok(fat) = Fat::open(&m) {
        volume::exercise(&fat);
    }
});
