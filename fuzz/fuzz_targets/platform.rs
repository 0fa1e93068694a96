//! Platform documents: the first byte picks OpenStack config-2 or OpenNebula
//! `context.sh` (bit 0) and, for config-2, whether the rest is meta_data.json
//! or vendor_data.json (bit 1). Never panics.
#![no_main]

use egret::platform;
use egret::source::{Documents, MetaKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let kind = if sel & 1 == 0 {
        MetaKind::ConfigDrive
    } else {
        MetaKind::OpenNebula
    };
    let mut docs = Documents {
        source: "fuzz".into(),
        meta_kind: kind,
        ..Default::default()
    };
    if kind == MetaKind::ConfigDrive && sel & 2 != 0 {
        docs.meta_data = Some(b"{}".to_vec());
        docs.vendor_data = Some(rest.to_vec());
    } else {
        docs.meta_data = Some(rest.to_vec());
    }
    let _ = platform::read(&docs);
});
