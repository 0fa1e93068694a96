//! Byte formats read from media and firmware: filesystems egret reads in
//! userspace (no mount, no blkid, no udev in the initramfs).
//!
//! Readers here see a medium only through [`Media`] and never trust it: every
//! offset and length is checked, every loop is bounded, and any damage is an
//! [`Error`] naming the byte offset where it was found. They never write.

use alloc::string::String;
use alloc::vec::Vec;

pub mod fat;
pub mod iso9660;
pub mod smbios;

/// Random-access, read-only bytes: a block device or an image file in the
/// binary, a byte slice in tests and fuzzing.
pub trait Media {
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Fills all of `buf` from `offset`; any byte past [`Media::size`] is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error>;
}

impl Media for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(buf.len())?));
        match src {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(Error::new("read past the end of the medium", offset)),
        }
    }
}

/// Damage or an unsupported feature in a medium, at a byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// What is wrong, e.g. `directory record past its extent`.
    pub what: &'static str,
    /// Byte offset in the medium where it was found.
    pub offset: u64,
}

impl Error {
    pub const fn new(what: &'static str, offset: u64) -> Self {
        Error { what, offset }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

/// A read-only filesystem: what sources need of ISO9660, FAT, or a directory.
/// Paths are `/`-separated and relative to the root (`openstack/latest/user_data`);
/// a leading `/` is allowed.
pub trait Volume {
    /// The volume label as recorded (`cidata`, `CIDATA`, `config-2`); empty when none.
    fn label(&self) -> &str;
    /// A whole regular file; `Ok(None)` when the path does not exist or is
    /// not a regular file. A file larger than `max` bytes is an error.
    fn read_file(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Error>;
    /// The names in a directory, each a valid path component (see
    /// [`component`]: damaged names are left out); `Ok(None)` when there is no
    /// such directory.
    fn list_dir(&self, path: &str) -> Result<Option<Vec<String>>, Error>;
}

/// A name usable as one path component: not empty, not `.` or `..`, no `/`
/// and no control character. Filesystem readers list only such names, so
/// a damaged directory entry can never smuggle a path into a caller.
pub fn component(name: &str) -> bool {
    !matches!(name, "" | "." | "..") && !name.bytes().any(|b| b == b'/' || b < 0x20 || b == 0x7f)
}

/// What the readers' tests share: a byte slice as a medium, scratch
/// directories, and running the tools users make media with.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod testing {
    use super::{Error, Media};
    use std::path::PathBuf;
    use std::string::{String, ToString};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// `[u8]` is unsized, so tests hand the readers a sized view of it.
    pub struct Mem<'a>(pub &'a [u8]);

    impl Media for Mem<'_> {
        fn size(&self) -> u64 {
            self.0.size()
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
            self.0.read_at(offset, buf)
        }
    }

    /// A scratch directory, removed on drop.
    pub struct Tmp(pub PathBuf);

    impl Tmp {
        pub fn new(tag: &str) -> Tmp {
            static SEQ: AtomicU32 = AtomicU32::new(0);
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            let p = std::env::temp_dir()
                .join(std::format!("egret-wire-{}-{tag}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Tmp(p)
        }

        pub fn path(&self, name: &str) -> String {
            self.0.join(name).to_str().unwrap().to_string()
        }

        /// Writes a host file to copy into an image.
        pub fn file(&self, name: &str, body: &[u8]) -> String {
            let p = self.path(name);
            std::fs::write(&p, body).unwrap();
            p
        }
    }

    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs a tool; a missing tool fails the test (`tests/run` installs them).
    pub fn run(cmd: &str, args: &[&str]) {
        let out = std::process::Command::new(cmd)
            .args(args)
            .env("MTOOLS_SKIP_CHECK", "1")
            .output()
            .unwrap_or_else(|e| panic!("{cmd}: {e} (install dosfstools, mtools, genisoimage)"));
        assert!(
            out.status.success(),
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        for ok in [
            "user-data",
            "meta_data.json",
            "2018-08-27",
            "é",
            "a b",
            "...",
            ".x",
        ] {
            assert!(component(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "/",
            "tc/motd\n",
            "a\0",
            "\t",
            "x\u{7f}",
        ] {
            assert!(!component(bad), "{bad:?}");
        }
    }

    #[test]
    fn slices_are_media() {
        let m: &[u8] = b"abcdef";
        let mut buf = [0u8; 3];
        m.read_at(2, &mut buf).unwrap();
        assert_eq!(&buf, b"cde");
        assert_eq!(m.size(), 6);
        assert_eq!(
            m.read_at(4, &mut buf),
            Err(Error::new("read past the end of the medium", 4))
        );
        assert!(m.read_at(u64::MAX, &mut buf).is_err());
        assert_eq!(
            alloc::format!("{}", Error::new("bad record", 34816)),
            "bad record at byte 34816"
        );
    }
}
