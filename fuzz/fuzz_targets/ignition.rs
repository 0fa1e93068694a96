//! Ignition configs as user-data: parsing, the schema walk and every
//! decoding step (data: URLs, gzip, hashes), into a context. Never panics.
#![no_main]

use egret::cloudconfig;
use egret::source::Documents;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let docs = Documents {
        source: "fuzz".into(),
        user_data: Some(data.to_vec()),
        ..Default::default()
    };
    if let Ok(ctx) = cloudconfig::build(&docs, &Default::default()) {
        // Every path of the storage section is absolute.
        assert!(ctx.write_files.iter().all(|f| f.path.starts_with('/')));
    }
});
