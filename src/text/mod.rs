//! Pure text and byte formats: no I/O, no knowledge of where bytes came from.

pub mod base64;
pub mod cmdline;
pub mod gzip;
pub mod mime;
pub mod userdata;
pub mod value;
pub mod yaml;
