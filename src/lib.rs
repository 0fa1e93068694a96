//! egret: contextualize a freshly booted instance from the initramfs.
//!
//! One straight pipe, one layer per directory (see DESIGN.md):
//! - [`text`]: pure text formats (YAML subset, MIME, base64, gzip, cmdline).
//! - [`source`]: one module per configuration source; each yields [`source::Documents`].
//! - [`cloudconfig`]: documents into the one normalized [`model::Context`].
//! - [`ignition`]: Ignition v3 configs into the same `Context`.
//! - [`wire`]: byte formats read from media and firmware (ISO9660, FAT, SMBIOS).
//! - [`sysroot`]: every write into the target root, confined to it.
//! - [`cli`]: argument parsing and the top-level flow.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod cli;
pub mod cloudconfig;
pub mod crypt;
pub mod detect;
pub mod ignition;
pub mod log;
pub mod model;
pub mod platform;
pub mod source;
pub mod sshkey;
pub mod stdio;
pub mod sysroot;
pub mod text;
pub mod wire;
