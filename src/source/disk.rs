//! The `PATH` of a disk source: a block device, an image file, or a directory
//! (already-mounted media, tests). Devices and images are read in userspace
//! through [`crate::wire`]: nothing is mounted, and a medium is only ever
//! opened read-only.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, SeekFrom};
use rustix::io::Errno;

use super::nocloud::read_host;
use crate::sysroot::root::utf8_names;
use crate::wire::{self, fat::Fat, iso9660::Iso, Media, Volume};

/// A block device or an image file, read with `pread`.
pub struct FileMedia {
    fd: OwnedFd,
    size: u64,
}

impl FileMedia {
    pub fn open(path: &str) -> Result<FileMedia, Errno> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )?;
        // st_size is 0 for a block device; the end of the file is its size.
        let size = rustix::fs::seek(&fd, SeekFrom::End(0))?;
        Ok(FileMedia { fd, size })
    }
}

impl Media for FileMedia {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), wire::Error> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            let at = offset.saturating_add(done as u64);
            match rustix::io::pread(&self.fd, rest, at) {
                Ok(0) => return Err(wire::Error::new("read past the end of the medium", at)),
                Ok(n) => done += n,
                Err(Errno::INTR) => {}
                Err(_) => return Err(wire::Error::new("I/O error reading the medium", at)),
            }
        }
        Ok(())
    }
}

/// A filesystem found on a medium, or a directory of the running system.
pub enum Disk {
    Image(Box<FileMedia>),
    Dir(HostDir),
}

/// Why a `PATH` could not be opened as a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// Nothing at the path (or no medium in the drive).
    Absent(Errno),
    /// The path exists but cannot be read.
    Io(Errno),
    /// Neither ISO9660 nor FAT, or damaged.
    Format(wire::Error),
}

impl core::fmt::Display for OpenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OpenError::Absent(e) | OpenError::Io(e) => write!(f, "{}", errno_text(*e)),
            OpenError::Format(e) => write!(f, "{e}"),
        }
    }
}

/// Short text for the errors a disk source meets.
pub fn errno_text(e: Errno) -> &'static str {
    match e {
        Errno::NOENT => "no such file or directory",
        Errno::NOMEDIUM => "no medium",
        Errno::ACCESS | Errno::PERM => "permission denied",
        Errno::NOTDIR => "not a directory",
        Errno::FBIG => "file too large",
        Errno::IO => "I/O error",
        _ => "cannot read",
    }
}

impl Disk {
    /// Opens `path`: a directory as it is, anything else as an ISO9660 or FAT medium.
    pub fn open(path: &str) -> Result<Disk, OpenError> {
        let st = rustix::fs::stat(path).map_err(OpenError::Absent)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            return Ok(Disk::Dir(HostDir(String::from(path.trim_end_matches('/')))));
        }
        let m = FileMedia::open(path).map_err(|e| match e {
            Errno::NOENT | Errno::NOMEDIUM | Errno::NXIO => OpenError::Absent(e),
            e => OpenError::Io(e),
        })?;
        let m = Box::new(m);
        // Probe both so a damaged ISO is reported as such, not as "not FAT".
        let disk = Disk::Image(m);
        disk.with_volume(&mut |_| ()).map_err(OpenError::Format)?;
        Ok(disk)
    }

    /// Runs `f` on the volume; `f` is called exactly when this succeeds.
    /// Each call re-reads the superblocks (from the page cache after `open`):
    /// cheaper than keeping a self-borrowing reader. Not generic over a
    /// result, so the probing below exists once.
    pub fn with_volume(&self, f: &mut dyn FnMut(&dyn Volume)) -> Result<(), wire::Error> {
        match self {
            Disk::Dir(d) => {
                f(d);
                Ok(())
            }
            // A damaged ISO is reported as such, not as "not FAT".
            Disk::Image(m) => match Iso::open(&**m) {
                Ok(iso) => {
                    f(&iso);
                    Ok(())
                }
                Err(e) => match wire::iso9660::probe_label(&**m) {
                    Ok(Some(_)) => Err(e),
                    _ => match wire::fat::probe_label(&**m) {
                        Ok(None) => Err(wire::Error::new("neither ISO9660 nor FAT", 0)),
                        _ => Fat::open(&**m).map(|fat| f(&fat)),
                    },
                },
            },
        }
    }
}

/// A directory of the running system seen as a [`Volume`].
pub struct HostDir(pub String);

impl HostDir {
    fn join(&self, path: &str) -> String {
        let mut p = self.0.clone();
        p.push('/');
        p.push_str(path.trim_start_matches('/'));
        p
    }
}

/// An errno as a volume error: directories have no byte offsets.
fn dir_error(e: Errno) -> wire::Error {
    wire::Error::new(errno_text(e), 0)
}

impl Volume for HostDir {
    fn label(&self) -> &str {
        ""
    }

    fn read_file(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, wire::Error> {
        match read_host(&self.join(path), max) {
            Err(Errno::ISDIR) => Ok(None),
            r => r.map_err(dir_error),
        }
    }

    fn list_dir(&self, path: &str) -> Result<Option<Vec<String>>, wire::Error> {
        let fd = match rustix::fs::open(
            self.join(path).as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(None),
            Err(e) => return Err(dir_error(e)),
        };
        // Names that are not UTF-8 cannot be asked for, and names with
        // control characters are not components: neither is listed.
        let names = utf8_names(fd.as_fd(), 4096, wire::component).map_err(dir_error)?;
        Ok(Some(names))
    }
}
