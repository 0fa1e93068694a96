//! MIME splitter: never panics, parts never outgrow the message (every
//! transfer encoding shrinks), content types are lowercase without
//! parameters, and error lines lie inside the message.
#![no_main]

use egret::text::mime;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = (mime::is_mime(data), mime::is_multipart(data));
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    match mime::parse(data) {
        Ok(parts) => {
            let total: usize = parts.iter().map(|p| p.body.len()).sum();
            assert!(total <= data.len(), "parts larger than the message");
            for p in &parts {
                let t = &p.content_type;
                assert!(!t.is_empty() && !t.contains(';'), "content type {t:?}");
                assert_eq!(*t, t.to_ascii_lowercase(), "content type not lowercased");
            }
        }
        Err(e) => assert!((1..=lines).contains(&e.line), "error line {} of {lines}", e.line),
    }
});
