//! The whole interpretation of NoCloud documents: user-data alone, and, when
//! the input holds a 0xFF byte (never in UTF-8 text), meta-data before it
//! and user-data after it. Never panics.
#![no_main]

use egret::cloudconfig;
use egret::source::Documents;
use libfuzzer_sys::fuzz_target;

fn docs(meta: Option<&[u8]>, user: &[u8]) -> Documents {
    Documents {
        source: "fuzz".into(),
        meta_data: meta.map(<[u8]>::to_vec),
        user_data: Some(user.to_vec()),
        ..Default::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let inputs = Default::default();
    if let Ok(ctx) = cloudconfig::build(&docs(None, data), &inputs) {
        assert_eq!(ctx.source, "fuzz");
    }
    if let Some(at) = data.iter().position(|&b| b == 0xff) {
        let (meta, user) = data.split_at(at);
        let _ = cloudconfig::build(&docs(Some(meta), &user[1..]), &inputs);
    }
});
