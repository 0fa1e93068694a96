//! Pure text and byte formats: no I/O, no knowledge of where bytes came from.

pub mod base64;
pub mod cmdline;
pub mod gzip;
pub mod mime;
pub mod shell;
pub mod userdata;
pub mod value;
pub mod yaml;

use alloc::string::String;

/// `parts` joined: what `format!` of plain strings does, without its
/// formatting machinery at every call site.
#[inline(never)]
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push_str(p);
    }
    s
}
