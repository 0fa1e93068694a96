//! base64: decoding never panics, what decodes re-encodes to itself, and
//! every byte string survives encode-then-decode.
#![no_main]

use egret::text::base64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = base64::decode(data) {
        assert!(v.len() <= data.len() * 3 / 4 + 2, "decoded longer than possible");
        let again = base64::decode(base64::encode(&v).as_bytes());
        assert_eq!(again.as_deref(), Ok(&v[..]), "decode(encode(decode(x)))");
    }
    let enc = base64::encode(data);
    assert_eq!(enc.len(), data.len().div_ceil(3) * 4, "encoded length");
    assert_eq!(base64::decode(enc.as_bytes()).as_deref(), Ok(data), "round trip");
});
