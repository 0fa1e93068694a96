//! Kernel command line: never panics, leading blanks change nothing, and a
//! `ds=` kind is always lowercase.
#![no_main]

use egret::text::cmdline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = cmdline::parse(data);
    if let Some(ds) = &c.ds {
        assert_eq!(ds.kind, ds.kind.to_ascii_lowercase(), "ds kind not lowercased");
    }
    let mut padded = b" \t".to_vec();
    padded.extend_from_slice(data);
    assert_eq!(cmdline::parse(&padded), c, "leading blanks changed the result");
    if let Ok(s) = core::str::from_utf8(data) {
        let _ = cmdline::parse_ds(s);
    }
});
