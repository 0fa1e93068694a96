//! The confined view of the target root filesystem: every byte egret writes
//! into the sysroot goes through [`Root`].
//!
//! The sysroot is opened once as a directory fd. Every path is an absolute
//! string *inside* it (`/etc/passwd`), normalised lexically (`//`, `.` and
//! `..` never climb above `/`), and its parent directory is resolved with
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: an absolute symlink in
//! the image (`/etc -> /tmp/evil`, OSTree's `/home -> var/home`) resolves
//! inside the root, so nothing can be read or written outside it. The final
//! component is then acted on with the `*at` calls relative to that parent.
//!
//! A final component that is a symlink is *replaced*, never followed: writes
//! behave like `install`, not like `cat >`. [`Root::read`] and [`Root::meta`]
//! do not follow it either; [`Root::read_follow`] does (still confined), for
//! configuration such as `/etc/login.defs` that images ship as symlinks.
//!
//! This module must never build a `"<sysroot>/" + path` string, never follow
//! a symlink with the host's view of `/`, never remove a directory, and never
//! allocate by a size read from disk beyond the caller's cap.

use alloc::borrow::ToOwned;
use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ffi::CStr;
use core::fmt;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{self, AtFlags, Dir, FileType, Gid, Mode, OFlags, ResolveFlags, Stat, Uid, CWD};
use rustix::io::Errno;

/// Bounded retries for `openat2`'s `EAGAIN` (a concurrent rename in the
/// tree) and for `EINTR` on any call, so no input can spin us forever.
const RETRIES: u32 = 64;
/// [`Root::copy_tree`] never descends deeper than this below `from`.
const COPY_MAX_DEPTH: usize = 16;
/// [`Root::copy_tree`] copies at most this many entries in all.
const COPY_MAX_ENTRIES: usize = 10_000;
/// Largest single file [`Root::copy_tree`] copies (skeleton files are small).
const COPY_MAX_FILE: usize = 16 << 20;
/// [`Root::list`] refuses directories with more entries than this.
const LIST_MAX_ENTRIES: usize = 100_000;
/// Symlinks [`Root::mkdir_all`] may re-aim through (dangling `/home -> var/home`).
const MKDIR_MAX_LINKS: u32 = 16;
/// Temp names carry the target's name only when it is short enough to keep
/// `.<name>.egret-XXXXXXXX` within NAME_MAX (255).
const TEMP_NAME_MAX: usize = 200;

/// A failed filesystem operation inside the sysroot.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// The operation that failed (`"open"`, `"write"`, `"rename"` ...).
    pub op: &'static str,
    /// The path as the caller gave it, inside the sysroot.
    pub path: String,
    /// What the kernel (or our own validation) said.
    pub errno: Errno,
}

impl Error {
    fn new(op: &'static str, path: &str, errno: Errno) -> Error {
        Error {
            op,
            path: path.to_owned(),
            errno,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.op, self.path)?;
        match errno_name(self.errno) {
            Some(name) => f.write_str(name),
            None => write!(f, "errno {}", self.errno.raw_os_error()),
        }
    }
}

/// Symbolic names for the errnos a sysroot write can plausibly meet; without
/// std there is no strerror, and `ENOENT` reads better than `os error 2`.
fn errno_name(e: Errno) -> Option<&'static str> {
    Some(match e {
        Errno::PERM => "EPERM (operation not permitted)",
        Errno::NOENT => "ENOENT (no such file or directory)",
        Errno::INTR => "EINTR (interrupted)",
        Errno::IO => "EIO (input/output error)",
        Errno::NXIO => "ENXIO (no such device or address)",
        Errno::TOOBIG => "E2BIG (too many entries)",
        Errno::BADF => "EBADF (bad file descriptor)",
        Errno::AGAIN => "EAGAIN (try again)",
        Errno::NOMEM => "ENOMEM (out of memory)",
        Errno::ACCESS => "EACCES (permission denied)",
        Errno::BUSY => "EBUSY (device or resource busy)",
        Errno::EXIST => "EEXIST (file exists)",
        Errno::XDEV => "EXDEV (cross-device link)",
        Errno::NOTDIR => "ENOTDIR (not a directory)",
        Errno::ISDIR => "EISDIR (is a directory)",
        Errno::INVAL => "EINVAL (invalid argument)",
        Errno::TXTBSY => "ETXTBSY (text file busy)",
        Errno::FBIG => "EFBIG (file too large)",
        Errno::NOSPC => "ENOSPC (no space left on device)",
        Errno::ROFS => "EROFS (read-only file system)",
        Errno::MLINK => "EMLINK (too many links)",
        Errno::NAMETOOLONG => "ENAMETOOLONG (file name too long)",
        Errno::NOSYS => "ENOSYS (function not implemented)",
        Errno::NOTEMPTY => "ENOTEMPTY (directory not empty)",
        Errno::LOOP => "ELOOP (too many levels of symbolic links)",
        Errno::NOTSUP => "EOPNOTSUPP (operation not supported)",
        Errno::DQUOT => "EDQUOT (disk quota exceeded)",
        Errno::STALE => "ESTALE (stale file handle)",
        _ => return None,
    })
}

/// What kind of entry a path names (its last component, not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed by [`Root::meta`]).
    Symlink,
    /// A device node, FIFO or socket.
    Other,
}

/// `lstat`-style metadata of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The entry's type.
    pub kind: Kind,
    /// Permission bits including setuid, setgid and sticky; no type bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (the target length for a symlink).
    pub size: u64,
}

impl Meta {
    fn from_stat(st: &Stat) -> Meta {
        let kind = match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        Meta {
            kind,
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            size: u64::try_from(st.st_size).unwrap_or(0),
        }
    }
}

/// A normalised path inside the root: its components, none `.`/`..`/empty.
struct Norm<'a> {
    parts: Vec<&'a str>,
}

impl<'a> Norm<'a> {
    /// Lexical normalisation: collapse `//`, drop `.`, let `..` pop but never
    /// above `/`. Rejects empty, relative and NUL-bearing paths.
    fn parse(path: &'a str) -> Result<Norm<'a>, Errno> {
        if path.is_empty() || !path.starts_with('/') || path.contains('\0') {
            return Err(Errno::INVAL);
        }
        let mut parts = Vec::new();
        for c in path.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        Ok(Norm { parts })
    }

    /// The path relative to the root fd (`"."` for the root itself).
    fn rel(&self) -> String {
        join_rel(&self.parts)
    }

    /// `/a/b/c` as a canonical absolute string, for the write log.
    fn abs(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            s.push('/');
            s.push_str(p);
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    /// The parent (relative to the root fd) and the final plain name; the
    /// root itself has no final name, so operations on `/` are refused.
    fn split(&self) -> Result<(String, &'a str), Errno> {
        match self.parts.split_last() {
            Some((name, parent)) => Ok((join_rel(parent), name)),
            None => Err(Errno::INVAL),
        }
    }
}

fn join_rel(parts: &[&str]) -> String {
    if parts.is_empty() {
        return ".".to_owned();
    }
    parts.join("/")
}

/// An error mapper for `op` on `path`, for `map_err`.
fn err_at<'a>(op: &'static str, path: &'a str) -> impl Fn(Errno) -> Error + 'a {
    move |e| Error::new(op, path, e)
}

fn uid_gid(uid: u32, gid: u32) -> Result<(Uid, Gid), Errno> {
    // -1 means "leave unchanged" to chown(2); an explicit owner is required.
    if uid == u32::MAX || gid == u32::MAX {
        return Err(Errno::INVAL);
    }
    Ok((Uid::from_raw_unchecked(uid), Gid::from_raw_unchecked(gid)))
}

fn perm(mode: u32) -> Mode {
    Mode::from_bits_truncate(mode & 0o7777)
}

/// Runs `f` again on `EINTR`, a bounded number of times.
fn intr<T>(mut f: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    let mut n = 0;
    loop {
        match f() {
            Err(Errno::INTR) if n < RETRIES => n += 1,
            r => return r,
        }
    }
}

fn is_missing(e: Errno) -> bool {
    e == Errno::NOENT || e == Errno::NOTDIR
}

fn random_suffix() -> Result<[u8; 8], Errno> {
    let mut raw = [0u8; 4];
    getrandom::fill(&mut raw).map_err(|e| {
        e.raw_os_error()
            .map(Errno::from_raw_os_error)
            .unwrap_or(Errno::IO)
    })?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 8];
    for (pair, b) in out.chunks_exact_mut(2).zip(raw) {
        if let [hi, lo] = pair {
            *hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            *lo = HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
        }
    }
    Ok(out)
}

/// `.<name>.egret-XXXXXXXX`: hidden, recognisable, unique per attempt.
fn temp_name(name: &str) -> Result<String, Errno> {
    let suffix = random_suffix()?;
    let mut s = String::from(".");
    if name.len() <= TEMP_NAME_MAX {
        s.push_str(name);
        s.push('.');
    }
    s.push_str("egret-");
    for b in suffix {
        s.push(char::from(b));
    }
    Ok(s)
}

/// Writes all of `data`, looping over short writes.
fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        let n = intr(|| rustix::io::write(fd, data))?;
        if n == 0 {
            return Err(Errno::IO);
        }
        data = data.get(n..).ok_or(Errno::IO)?;
    }
    Ok(())
}

/// Only regular files are read: `EISDIR` for a directory, `ELOOP` for an
/// unfollowed symlink, `EINVAL` for devices, FIFOs and sockets.
fn must_be_regular(st_mode: u32) -> Result<(), Errno> {
    match FileType::from_raw_mode(st_mode) {
        FileType::RegularFile => Ok(()),
        FileType::Directory => Err(Errno::ISDIR),
        FileType::Symlink => Err(Errno::LOOP),
        _ => Err(Errno::INVAL),
    }
}

/// Reads a regular file to its end, refusing more than `max` bytes.
fn read_capped(fd: BorrowedFd<'_>, max: usize) -> Result<Vec<u8>, Errno> {
    let st = fs::fstat(fd)?;
    must_be_regular(st.st_mode)?;
    let hint = usize::try_from(st.st_size).unwrap_or(0).min(max);
    let mut out = Vec::with_capacity(hint);
    let mut buf = [0u8; 4096];
    loop {
        let n = intr(|| rustix::io::read(fd, &mut buf))?;
        if n == 0 {
            return Ok(out);
        }
        let chunk = buf.get(..n).ok_or(Errno::IO)?;
        if out.len().saturating_add(n) > max {
            return Err(Errno::FBIG);
        }
        out.extend_from_slice(chunk);
    }
}

/// The names in a directory, without `.` and `..`, sorted bytewise.
fn dir_names(dir: BorrowedFd<'_>, cap: usize) -> Result<Vec<CString>, Errno> {
    let mut names = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        if names.len() >= cap {
            return Err(Errno::TOOBIG);
        }
        names.push(name.to_owned());
    }
    names.sort();
    Ok(names)
}

fn lossy(name: &CStr) -> String {
    String::from_utf8_lossy(name.to_bytes()).into_owned()
}

/// The sysroot, opened once; see the module documentation for the rules.
pub struct Root {
    fd: OwnedFd,
    written: RefCell<Vec<String>>,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Root").field("fd", &self.fd).finish()
    }
}

impl Root {
    /// Opens the directory at `path` (a host path, e.g. `/sysroot`) as the root.
    pub fn open(path: &str) -> Result<Root, Error> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = intr(|| fs::openat(CWD, path, flags, Mode::empty()))
            .map_err(|e| Error::new("open", path, e))?;
        Ok(Root {
            fd,
            written: RefCell::new(Vec::new()),
        })
    }

    /// `openat2(root, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`,
    /// retried on `EAGAIN`/`EINTR`. The only way a path string reaches the
    /// kernel with more than one component.
    fn open_in(&self, rel: &str, flags: OFlags) -> Result<OwnedFd, Errno> {
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        let mut n = 0;
        loop {
            match fs::openat2(&self.fd, rel, flags, Mode::empty(), resolve) {
                Err(Errno::AGAIN | Errno::INTR) if n < RETRIES => n += 1,
                r => return r,
            }
        }
    }

    /// A directory fd, opened read-only so it can also be listed and fsynced.
    fn open_dir(&self, rel: &str) -> Result<OwnedFd, Errno> {
        self.open_in(rel, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC)
    }

    fn log(&self, abs: String) {
        let mut w = self.written.borrow_mut();
        if !w.contains(&abs) {
            w.push(abs);
        }
    }

    /// Paths created or replaced so far, in order, each once.
    pub fn written(&self) -> Vec<String> {
        self.written.borrow().clone()
    }

    /// The contents of the regular file at `path`, or `None` when it (or a
    /// parent) is missing. A final symlink is not followed (`ELOOP`); more
    /// than `max` bytes is `EFBIG`.
    pub fn read(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let err = |e| Error::new("read", path, e);
        let norm = Norm::parse(path).map_err(err)?;
        let (parent, name) = norm.split().map_err(err)?;
        let dir = match self.open_dir(&parent) {
            Ok(d) => d,
            Err(e) if is_missing(e) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        // Look before opening: opening a device node the image planted
        // could have side effects on the host's hardware.
        match intr(|| fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)) {
            Ok(st) => must_be_regular(st.st_mode).map_err(err)?,
            Err(e) if is_missing(e) => return Ok(None),
            Err(e) => return Err(err(e)),
        }
        let flags =
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK;
        let fd = match intr(|| fs::openat(&dir, name, flags, Mode::empty())) {
            Ok(fd) => fd,
            Err(e) if is_missing(e) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        read_capped(fd.as_fd(), max).map(Some).map_err(err)
    }

    /// Like [`Root::read`], but every symlink, the final one included, is
    /// followed, still confined to the root.
    pub fn read_follow(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let err = |e| Error::new("read", path, e);
        let norm = Norm::parse(path).map_err(err)?;
        let rel = norm.rel();
        // O_PATH first, for the same reason as in `read`.
        let pinned = match self.open_in(&rel, OFlags::PATH | OFlags::CLOEXEC) {
            Ok(fd) => fd,
            Err(e) if is_missing(e) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let st = fs::fstat(&pinned).map_err(err)?;
        must_be_regular(st.st_mode).map_err(err)?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
        let fd = self.open_in(&rel, flags).map_err(err)?;
        read_capped(fd.as_fd(), max).map(Some).map_err(err)
    }

    /// `lstat` of `path`: `None` when missing; a final symlink is described,
    /// not followed.
    pub fn meta(&self, path: &str) -> Result<Option<Meta>, Error> {
        let err = |e| Error::new("stat", path, e);
        let norm = Norm::parse(path).map_err(err)?;
        let Ok((parent, name)) = norm.split() else {
            return fs::fstat(&self.fd)
                .map(|st| Some(Meta::from_stat(&st)))
                .map_err(err);
        };
        let dir = match self.open_dir(&parent) {
            Ok(d) => d,
            Err(e) if is_missing(e) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        match intr(|| fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)) {
            Ok(st) => Ok(Some(Meta::from_stat(&st))),
            Err(e) if is_missing(e) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    /// Atomically replaces `path` with `data`, owned `uid:gid` with `mode`
    /// (setuid bits included). The parent must exist. A symlink at `path` is
    /// replaced, not followed; a directory there is `EISDIR`.
    ///
    /// Temp file in the same directory, write, chown, chmod (after chown,
    /// which clears setuid), fsync, rename, fsync the directory; the temp
    /// file is removed on any failure.
    pub fn write_atomic(
        &self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(), Error> {
        self.write_inner(path, data, mode, uid, gid, false)
    }

    /// Like [`Root::write_atomic`], but when a regular file already exists
    /// at `path` its mode and owner are kept (passwd, shadow, sshd_config:
    /// the image knows best). `mode`/`uid`/`gid` apply to a new file only.
    pub fn write_atomic_keep(
        &self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(), Error> {
        self.write_inner(path, data, mode, uid, gid, true)
    }

    fn write_inner(
        &self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
        keep: bool,
    ) -> Result<(), Error> {
        let err = |op| move |e| Error::new(op, path, e);
        let norm = Norm::parse(path).map_err(err("write"))?;
        let (parent, name) = norm.split().map_err(err("write"))?;
        uid_gid(uid, gid).map_err(err("write"))?;
        let dir = self.open_dir(&parent).map_err(err("open parent of"))?;
        let (mut mode, mut uid, mut gid) = (mode, uid, gid);
        match intr(|| fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => return Err(err("write")(Errno::ISDIR)),
                FileType::RegularFile if keep => {
                    mode = st.st_mode & 0o7777;
                    uid = st.st_uid;
                    gid = st.st_gid;
                }
                _ => {}
            },
            Err(Errno::NOENT) => {}
            Err(e) => return Err(err("stat")(e)),
        }
        let (tmp, fd) = self
            .create_temp(&dir, name)
            .map_err(err("create temp for"))?;
        let filled = (|| {
            write_all(fd.as_fd(), data).map_err(err("write"))?;
            let (u, g) = uid_gid(uid, gid).map_err(err("chown"))?;
            fs::fchown(&fd, Some(u), Some(g)).map_err(err("chown"))?;
            fs::fchmod(&fd, perm(mode)).map_err(err("chmod"))?;
            intr(|| fs::fsync(&fd)).map_err(err("fsync"))?;
            drop(fd);
            intr(|| fs::renameat(&dir, tmp.as_str(), &dir, name)).map_err(err("rename"))
        })();
        if let Err(e) = filled {
            let _ = fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
            return Err(e);
        }
        // Replaced from here on, even if the directory fsync fails.
        self.log(norm.abs());
        intr(|| fs::fsync(&dir)).map_err(err("fsync directory of"))
    }

    /// `O_CREAT | O_EXCL | O_NOFOLLOW` on a fresh random name, mode 0600.
    fn create_temp(&self, dir: &OwnedFd, name: &str) -> Result<(String, OwnedFd), Errno> {
        let flags = OFlags::CREATE
            | OFlags::EXCL
            | OFlags::WRONLY
            | OFlags::CLOEXEC
            | OFlags::NOFOLLOW
            | OFlags::NOCTTY;
        let mut n = 0;
        loop {
            let tmp = temp_name(name)?;
            match intr(|| fs::openat(dir, tmp.as_str(), flags, Mode::from_bits_truncate(0o600))) {
                Ok(fd) => return Ok((tmp, fd)),
                Err(Errno::EXIST) if n < RETRIES => n += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates every missing directory of `path` with `mode` and `uid:gid`;
    /// existing ones, and symlinks to directories, are left untouched.
    /// Intermediate directories get the same mode and owner as the last, so
    /// create shared parents first (`mkdir_all("/home", 0o755, 0, 0)` before
    /// a user's home) or a user ends up owning them. A dangling symlink on
    /// the way (OSTree's `/home -> var/home` before tmpfiles ran) is
    /// followed by creating its target, still inside the root.
    pub fn mkdir_all(&self, path: &str, mode: u32, uid: u32, gid: u32) -> Result<(), Error> {
        let err = |op| move |e| Error::new(op, path, e);
        let (u, g) = uid_gid(uid, gid).map_err(err("mkdir"))?;
        let mut current: String = Norm::parse(path).map_err(err("mkdir"))?.abs();
        let mut links = 0;
        'restart: loop {
            let norm = Norm::parse(&current).map_err(err("mkdir"))?;
            let mut dir = self.open_dir(".").map_err(err("open"))?;
            for (i, name) in norm.parts.iter().enumerate() {
                let prefix = norm.parts.get(..=i).unwrap_or_default();
                let rel = join_rel(prefix);
                let created = match intr(|| fs::mkdirat(&dir, *name, perm(mode))) {
                    Ok(()) => true,
                    Err(Errno::EXIST) => false,
                    Err(e) => return Err(err("mkdir")(e)),
                };
                let next = match self.open_dir(&rel) {
                    Ok(d) => d,
                    Err(Errno::NOENT) if !created => {
                        // Only a dangling symlink makes mkdir say EEXIST and
                        // the open say ENOENT: aim at its target and restart.
                        let target = fs::readlinkat(&dir, *name, Vec::new())
                            .map_err(|_| err("mkdir")(Errno::NOENT))?;
                        links += 1;
                        if links > MKDIR_MAX_LINKS {
                            return Err(err("mkdir")(Errno::LOOP));
                        }
                        let target = target.to_str().map_err(|_| err("mkdir")(Errno::INVAL))?;
                        let mut base = if target.starts_with('/') {
                            String::new()
                        } else {
                            Norm {
                                parts: prefix
                                    .split_last()
                                    .map(|(_, p)| p.to_vec())
                                    .unwrap_or_default(),
                            }
                            .abs()
                        };
                        base.push('/');
                        base.push_str(target);
                        for rest in norm.parts.get(i + 1..).unwrap_or_default() {
                            base.push('/');
                            base.push_str(rest);
                        }
                        current = Norm::parse(&base).map_err(err("mkdir"))?.abs();
                        continue 'restart;
                    }
                    Err(e) => return Err(err("open")(e)),
                };
                if created {
                    fs::fchown(&next, Some(u), Some(g)).map_err(err("chown"))?;
                    fs::fchmod(&next, perm(mode)).map_err(err("chmod"))?;
                    intr(|| fs::fsync(&dir)).map_err(err("fsync"))?;
                    let mut abs = String::new();
                    for p in prefix {
                        abs.push('/');
                        abs.push_str(p);
                    }
                    self.log(abs);
                }
                dir = next;
            }
            return Ok(());
        }
    }

    /// Sets owner then mode of `path` without following a final symlink: a
    /// symlink only gets its owner (its mode means nothing on Linux).
    /// Device nodes, FIFOs and sockets are refused (`EOPNOTSUPP`): opening
    /// them to chmod through an fd could have side effects.
    pub fn set_owner_mode(&self, path: &str, mode: u32, uid: u32, gid: u32) -> Result<(), Error> {
        let err = |op| move |e| Error::new(op, path, e);
        let norm = Norm::parse(path).map_err(err("chown"))?;
        let (u, g) = uid_gid(uid, gid).map_err(err("chown"))?;
        let (parent, name) = norm.split().map_err(err("chown"))?;
        let dir = self.open_dir(&parent).map_err(err("open parent of"))?;
        // O_PATH pins the entry itself, symlink or not, without opening it.
        let pinned = intr(|| {
            fs::openat(
                &dir,
                name,
                OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
        })
        .map_err(err("open"))?;
        let st = fs::fstat(&pinned).map_err(err("stat"))?;
        let kind = FileType::from_raw_mode(st.st_mode);
        match kind {
            FileType::RegularFile | FileType::Directory | FileType::Symlink => {}
            _ => return Err(err("chmod")(Errno::NOTSUP)),
        }
        fs::chownat(&pinned, "", Some(u), Some(g), AtFlags::EMPTY_PATH).map_err(err("chown"))?;
        if kind != FileType::Symlink {
            let flags = OFlags::RDONLY
                | OFlags::NOFOLLOW
                | OFlags::NONBLOCK
                | OFlags::NOCTTY
                | OFlags::CLOEXEC;
            let fd = intr(|| fs::openat(&dir, name, flags, Mode::empty())).map_err(err("open"))?;
            let again = fs::fstat(&fd).map_err(err("stat"))?;
            if again.st_ino != st.st_ino || again.st_dev != st.st_dev {
                return Err(err("chmod")(Errno::AGAIN));
            }
            fs::fchmod(&fd, perm(mode)).map_err(err("chmod"))?;
        }
        Ok(())
    }

    /// Unlinks the file or symlink at `path`; `false` when it was missing.
    /// A directory is never removed (`EISDIR`).
    pub fn remove(&self, path: &str) -> Result<bool, Error> {
        let err = |e| Error::new("remove", path, e);
        let norm = Norm::parse(path).map_err(err)?;
        let (parent, name) = norm.split().map_err(err)?;
        let dir = match self.open_dir(&parent) {
            Ok(d) => d,
            Err(e) if is_missing(e) => return Ok(false),
            Err(e) => return Err(err(e)),
        };
        match intr(|| fs::unlinkat(&dir, name, AtFlags::empty())) {
            Ok(()) => {}
            Err(Errno::NOENT) => return Ok(false),
            Err(e) => return Err(err(e)),
        }
        intr(|| fs::fsync(&dir)).map_err(err)?;
        Ok(true)
    }

    /// Entry names in the directory `dir` (symlinks followed, confined),
    /// sorted, without `.` and `..`; empty when missing. Names that are not
    /// UTF-8 are skipped: nothing egret manages has one.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        let err = |e| Error::new("list", dir, e);
        let norm = Norm::parse(dir).map_err(err)?;
        let fd = match self.open_dir(&norm.rel()) {
            Ok(d) => d,
            Err(e) if is_missing(e) => return Ok(Vec::new()),
            Err(e) => return Err(err(e)),
        };
        let names = dir_names(fd.as_fd(), LIST_MAX_ENTRIES).map_err(err)?;
        Ok(names
            .into_iter()
            .filter_map(|n| n.into_string().ok())
            .collect())
    }

    /// Atomically points `path` at `target` (stored verbatim, resolved later
    /// by whoever reads it): a temp symlink renamed over whatever file or
    /// symlink is there; a directory there is `EISDIR`.
    pub fn symlink(&self, target: &str, path: &str) -> Result<(), Error> {
        let err = |op| move |e| Error::new(op, path, e);
        let norm = Norm::parse(path).map_err(err("symlink"))?;
        let (parent, name) = norm.split().map_err(err("symlink"))?;
        if target.is_empty() || target.contains('\0') {
            return Err(err("symlink")(Errno::INVAL));
        }
        let dir = self.open_dir(&parent).map_err(err("open parent of"))?;
        let mut n = 0;
        let tmp = loop {
            let tmp = temp_name(name).map_err(err("symlink"))?;
            match intr(|| fs::symlinkat(target, &dir, tmp.as_str())) {
                Ok(()) => break tmp,
                Err(Errno::EXIST) if n < RETRIES => n += 1,
                Err(e) => return Err(err("symlink")(e)),
            }
        };
        if let Err(e) = intr(|| fs::renameat(&dir, tmp.as_str(), &dir, name)) {
            let _ = fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
            return Err(err("rename")(e));
        }
        self.log(norm.abs());
        intr(|| fs::fsync(&dir)).map_err(err("fsync directory of"))
    }

    /// Copies the tree at `from` into the directory `to`, like useradd's
    /// `/etc/skel` copy: directories and regular files keep their mode,
    /// symlinks their target, everything is owned `uid:gid`; other file
    /// types are skipped. An entry already present in `to` is left alone
    /// (and not descended into). `to` is created (with `from`'s mode) when
    /// missing, its parent must exist; a missing `from` copies nothing.
    /// Depth is capped at 16 levels and 10 000 entries.
    pub fn copy_tree(&self, from: &str, to: &str, uid: u32, gid: u32) -> Result<(), Error> {
        let err = err_at;
        let (u, g) = uid_gid(uid, gid).map_err(err("copy", to))?;
        let src_norm = Norm::parse(from).map_err(err("copy", from))?;
        let dst_norm = Norm::parse(to).map_err(err("copy", to))?;
        let src = match self.open_dir(&src_norm.rel()) {
            Ok(d) => d,
            Err(e) if is_missing(e) => return Ok(()),
            Err(e) => return Err(err("open", from)(e)),
        };
        let dst = match self.open_dir(&dst_norm.rel()) {
            Ok(d) => d,
            Err(Errno::NOENT) => {
                let (parent, name) = dst_norm.split().map_err(err("mkdir", to))?;
                let pdir = self.open_dir(&parent).map_err(err("open parent of", to))?;
                let st = fs::fstat(&src).map_err(err("stat", from))?;
                let fd = self
                    .mkdir_owned(&pdir, name, st.st_mode, u, g)
                    .map_err(err("mkdir", to))?;
                self.log(dst_norm.abs());
                fd
            }
            Err(e) => return Err(err("open", to)(e)),
        };
        let mut budget = COPY_MAX_ENTRIES;
        self.copy_dir(&src, &dst, &dst_norm.abs(), u, g, 0, &mut budget)
    }

    /// `mkdirat` + open without following + chown + chmod, for copy_tree.
    fn mkdir_owned(
        &self,
        parent: &OwnedFd,
        name: &str,
        mode: u32,
        u: Uid,
        g: Gid,
    ) -> Result<OwnedFd, Errno> {
        intr(|| fs::mkdirat(parent, name, Mode::from_bits_truncate(0o700)))?;
        let fd = intr(|| {
            fs::openat(
                parent,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
        })?;
        fs::fchown(&fd, Some(u), Some(g))?;
        fs::fchmod(&fd, perm(mode))?;
        Ok(fd)
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_dir(
        &self,
        src: &OwnedFd,
        dst: &OwnedFd,
        dst_abs: &str,
        u: Uid,
        g: Gid,
        depth: usize,
        budget: &mut usize,
    ) -> Result<(), Error> {
        let err = err_at;
        if depth >= COPY_MAX_DEPTH {
            return Err(err("copy", dst_abs)(Errno::LOOP));
        }
        let names = dir_names(src.as_fd(), COPY_MAX_ENTRIES).map_err(err("list", dst_abs))?;
        for name in names {
            let mut abs = String::from(dst_abs.trim_end_matches('/'));
            abs.push('/');
            abs.push_str(&lossy(&name));
            *budget = budget
                .checked_sub(1)
                .ok_or_else(|| err("copy", &abs)(Errno::TOOBIG))?;
            match intr(|| fs::statat(dst, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)) {
                Ok(_) => continue,
                Err(Errno::NOENT) => {}
                Err(e) => return Err(err("stat", &abs)(e)),
            }
            let st = intr(|| fs::statat(src, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW))
                .map_err(err("stat", &abs))?;
            match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => {
                    let sub_src = intr(|| {
                        fs::openat(
                            src,
                            name.as_c_str(),
                            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                            Mode::empty(),
                        )
                    })
                    .map_err(err("open", &abs))?;
                    intr(|| fs::mkdirat(dst, name.as_c_str(), Mode::from_bits_truncate(0o700)))
                        .map_err(err("mkdir", &abs))?;
                    let sub_dst = intr(|| {
                        fs::openat(
                            dst,
                            name.as_c_str(),
                            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                            Mode::empty(),
                        )
                    })
                    .map_err(err("open", &abs))?;
                    fs::fchown(&sub_dst, Some(u), Some(g)).map_err(err("chown", &abs))?;
                    fs::fchmod(&sub_dst, perm(st.st_mode)).map_err(err("chmod", &abs))?;
                    self.log(abs.clone());
                    self.copy_dir(&sub_src, &sub_dst, &abs, u, g, depth + 1, budget)?;
                    intr(|| fs::fsync(&sub_dst)).map_err(err("fsync", &abs))?;
                }
                FileType::RegularFile => {
                    let flags = OFlags::RDONLY
                        | OFlags::NOFOLLOW
                        | OFlags::NONBLOCK
                        | OFlags::NOCTTY
                        | OFlags::CLOEXEC;
                    let fd = intr(|| fs::openat(src, name.as_c_str(), flags, Mode::empty()))
                        .map_err(err("open", &abs))?;
                    let data = read_capped(fd.as_fd(), COPY_MAX_FILE).map_err(err("read", &abs))?;
                    let wflags = OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::WRONLY
                        | OFlags::NOFOLLOW
                        | OFlags::NOCTTY
                        | OFlags::CLOEXEC;
                    let out = intr(|| {
                        fs::openat(
                            dst,
                            name.as_c_str(),
                            wflags,
                            Mode::from_bits_truncate(0o600),
                        )
                    })
                    .map_err(err("create", &abs))?;
                    let filled = (|| {
                        write_all(out.as_fd(), &data).map_err(err("write", &abs))?;
                        fs::fchown(&out, Some(u), Some(g)).map_err(err("chown", &abs))?;
                        fs::fchmod(&out, perm(st.st_mode)).map_err(err("chmod", &abs))?;
                        intr(|| fs::fsync(&out)).map_err(err("fsync", &abs))
                    })();
                    if let Err(e) = filled {
                        let _ = fs::unlinkat(dst, name.as_c_str(), AtFlags::empty());
                        return Err(e);
                    }
                    self.log(abs);
                }
                FileType::Symlink => {
                    let target = fs::readlinkat(src, name.as_c_str(), Vec::new())
                        .map_err(err("readlink", &abs))?;
                    intr(|| fs::symlinkat(target.as_c_str(), dst, name.as_c_str()))
                        .map_err(err("symlink", &abs))?;
                    fs::chownat(
                        dst,
                        name.as_c_str(),
                        Some(u),
                        Some(g),
                        AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .map_err(err("chown", &abs))?;
                    self.log(abs);
                }
                _ => {}
            }
        }
        intr(|| fs::fsync(dst)).map_err(err("fsync", dst_abs))
    }
}

#[cfg(test)]
// A failed unwrap in a test is a failed test, which is what it should be.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use std::fs as sfs;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    /// A fresh `<tmp>/egret-root-<name>-<pid>/{root,outside}` pair.
    struct Fixture {
        base: PathBuf,
        root: PathBuf,
        outside: PathBuf,
    }

    impl Fixture {
        fn new(name: &str) -> Fixture {
            let base = std::env::temp_dir().join(std::format!(
                "egret-root-{}-{}",
                name,
                std::process::id()
            ));
            let _ = sfs::remove_dir_all(&base);
            let root = base.join("root");
            let outside = base.join("outside");
            sfs::create_dir_all(root.join("etc")).unwrap();
            sfs::create_dir_all(&outside).unwrap();
            sfs::write(outside.join("passwd"), b"outside\n").unwrap();
            Fixture {
                base,
                root,
                outside,
            }
        }

        fn open(&self) -> Root {
            Root::open(self.root.to_str().unwrap()).unwrap()
        }

        fn p(&self, rel: &str) -> PathBuf {
            self.root.join(rel)
        }

        /// The "outside" directory still holds exactly its one file.
        fn assert_outside_untouched(&self) {
            let names: Vec<_> = sfs::read_dir(&self.outside)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(names, vec!["passwd".to_string()]);
            assert_eq!(
                sfs::read(self.outside.join("passwd")).unwrap(),
                b"outside\n"
            );
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = sfs::remove_dir_all(&self.base);
        }
    }

    fn temps_in(dir: &Path) -> Vec<String> {
        sfs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".egret-") || n.starts_with(".egret-"))
            .collect()
    }

    fn mode_of(p: &Path) -> u32 {
        sfs::symlink_metadata(p).unwrap().mode() & 0o7777
    }

    #[test]
    fn normalise_paths() {
        let n = Norm::parse("//etc/./ssh/../passwd").unwrap();
        assert_eq!(n.parts, vec!["etc", "passwd"]);
        assert_eq!(n.abs(), "/etc/passwd");
        assert_eq!(n.rel(), "etc/passwd");
        let n = Norm::parse("/../../..").unwrap();
        assert!(n.parts.is_empty());
        assert_eq!(n.abs(), "/");
        assert_eq!(n.rel(), ".");
        assert_eq!(n.split().err(), Some(Errno::INVAL));
        let n = Norm::parse("/a/../../b/").unwrap();
        assert_eq!(n.split().unwrap(), (".".to_string(), "b"));
        assert_eq!(Norm::parse("").err(), Some(Errno::INVAL));
        assert_eq!(Norm::parse("etc/passwd").err(), Some(Errno::INVAL));
        assert_eq!(Norm::parse("/etc/pa\0sswd").err(), Some(Errno::INVAL));
    }

    #[test]
    fn error_display() {
        let e = Error::new("write", "/etc/passwd", Errno::NOENT);
        assert_eq!(
            e.to_string(),
            "write /etc/passwd: ENOENT (no such file or directory)"
        );
        let e = Error::new("read", "/x", Errno::from_raw_os_error(200));
        assert_eq!(e.to_string(), "read /x: errno 200");
    }

    #[test]
    fn open_requires_directory() {
        let f = Fixture::new("open");
        sfs::write(f.p("file"), b"x").unwrap();
        let e = Root::open(f.p("file").to_str().unwrap()).unwrap_err();
        assert_eq!(e.errno, Errno::NOTDIR);
        assert_eq!(e.op, "open");
        let e = Root::open(f.p("missing").to_str().unwrap()).unwrap_err();
        assert_eq!(e.errno, Errno::NOENT);
    }

    #[test]
    fn write_read_roundtrip_with_mode_and_owner() {
        let f = Fixture::new("write");
        let r = f.open();
        r.write_atomic("/etc/hostname", b"box\n", 0o644, 0, 0)
            .unwrap();
        r.write_atomic("/etc/shadow", b"root:*:1::::::\n", 0o640, 0, 42)
            .unwrap();
        r.write_atomic("/etc/suid", b"x", 0o4755, 1000, 1000)
            .unwrap();
        assert_eq!(sfs::read(f.p("etc/hostname")).unwrap(), b"box\n");
        assert_eq!(mode_of(&f.p("etc/hostname")), 0o644);
        let md = sfs::metadata(f.p("etc/shadow")).unwrap();
        assert_eq!((md.mode() & 0o7777, md.uid(), md.gid()), (0o640, 0, 42));
        let md = sfs::metadata(f.p("etc/suid")).unwrap();
        // setuid survives because chmod runs after chown.
        assert_eq!(
            (md.mode() & 0o7777, md.uid(), md.gid()),
            (0o4755, 1000, 1000)
        );
        assert_eq!(
            r.read("/etc/hostname", 100).unwrap(),
            Some(b"box\n".to_vec())
        );
        assert_eq!(
            r.meta("/etc/shadow").unwrap(),
            Some(Meta {
                kind: Kind::File,
                mode: 0o640,
                uid: 0,
                gid: 42,
                size: 15
            })
        );
        // Replace keeps nothing of the old file but the name.
        r.write_atomic("/etc/hostname", b"other\n", 0o600, 5, 6)
            .unwrap();
        assert_eq!(sfs::read(f.p("etc/hostname")).unwrap(), b"other\n");
        let md = sfs::metadata(f.p("etc/hostname")).unwrap();
        assert_eq!((md.mode() & 0o7777, md.uid(), md.gid()), (0o600, 5, 6));
        r.write_atomic("/etc/empty", b"", 0o644, 0, 0).unwrap();
        assert_eq!(r.read("/etc/empty", 0).unwrap(), Some(Vec::new()));
        assert!(temps_in(&f.p("etc")).is_empty());
        assert_eq!(
            r.written(),
            vec!["/etc/hostname", "/etc/shadow", "/etc/suid", "/etc/empty"]
        );
    }

    #[test]
    fn write_keep_preserves_existing_mode_and_owner() {
        let f = Fixture::new("keep");
        sfs::write(f.p("etc/shadow"), b"old\n").unwrap();
        sfs::set_permissions(f.p("etc/shadow"), sfs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::chown(f.p("etc/shadow"), Some(0), Some(42)).unwrap();
        let r = f.open();
        r.write_atomic_keep("/etc/shadow", b"new\n", 0o600, 7, 7)
            .unwrap();
        let md = sfs::metadata(f.p("etc/shadow")).unwrap();
        assert_eq!((md.mode() & 0o7777, md.uid(), md.gid()), (0o640, 0, 42));
        assert_eq!(sfs::read(f.p("etc/shadow")).unwrap(), b"new\n");
        // A new file takes the given mode and owner.
        r.write_atomic_keep("/etc/gshadow", b"g\n", 0o600, 3, 4)
            .unwrap();
        let md = sfs::metadata(f.p("etc/gshadow")).unwrap();
        assert_eq!((md.mode() & 0o7777, md.uid(), md.gid()), (0o600, 3, 4));
        // A symlink's mode means nothing: the given mode applies.
        symlink("/nowhere", f.p("etc/passwd")).unwrap();
        r.write_atomic_keep("/etc/passwd", b"p\n", 0o644, 0, 0)
            .unwrap();
        assert_eq!(mode_of(&f.p("etc/passwd")), 0o644);
        assert!(temps_in(&f.p("etc")).is_empty());
    }

    #[test]
    fn write_refuses_directory_and_bad_paths() {
        let f = Fixture::new("refuse");
        let r = f.open();
        sfs::create_dir(f.p("etc/dir")).unwrap();
        let e = r.write_atomic("/etc/dir", b"x", 0o644, 0, 0).unwrap_err();
        assert_eq!((e.op, e.errno), ("write", Errno::ISDIR));
        assert!(f.p("etc/dir").is_dir());
        for bad in ["", "etc/x", "/", "/..", "/etc/\0x"] {
            let e = r.write_atomic(bad, b"x", 0o644, 0, 0).unwrap_err();
            assert_eq!(e.errno, Errno::INVAL, "{bad:?}");
        }
        let e = r
            .write_atomic("/etc/x", b"x", 0o644, u32::MAX, 0)
            .unwrap_err();
        assert_eq!(e.errno, Errno::INVAL);
        let e = r.write_atomic("/nodir/x", b"x", 0o644, 0, 0).unwrap_err();
        assert_eq!((e.op, e.errno), ("open parent of", Errno::NOENT));
        assert!(temps_in(&f.p("etc")).is_empty());
        assert!(r.written().is_empty());
    }

    #[test]
    fn writes_stay_inside_root() {
        let f = Fixture::new("confine");
        let out = f.outside.to_str().unwrap().to_string();
        // Absolute symlinks in the image that would escape on the host.
        symlink(&out, f.p("evil")).unwrap();
        symlink("/", f.p("etc/up")).unwrap();
        symlink("../../../../../../..", f.p("etc/rel")).unwrap();
        sfs::create_dir_all(f.p("var/home")).unwrap();
        symlink("var/home", f.p("home")).unwrap();
        let r = f.open();
        r.write_atomic("/evil/passwd", b"in\n", 0o644, 0, 0)
            .unwrap_err();
        // /evil resolves to <root>/<outside path>, which does not exist.
        r.write_atomic("/../../../passwd", b"a\n", 0o644, 0, 0)
            .unwrap();
        assert_eq!(sfs::read(f.p("passwd")).unwrap(), b"a\n");
        r.write_atomic("/etc/up/shadow", b"b\n", 0o644, 0, 0)
            .unwrap();
        assert_eq!(sfs::read(f.p("shadow")).unwrap(), b"b\n");
        r.write_atomic("/etc/rel/group", b"c\n", 0o644, 0, 0)
            .unwrap();
        assert_eq!(sfs::read(f.p("group")).unwrap(), b"c\n");
        r.write_atomic("/home/x", b"d\n", 0o644, 0, 0).unwrap();
        assert_eq!(sfs::read(f.p("var/home/x")).unwrap(), b"d\n");
        // The escape target exists inside the root only if we make it so.
        let inner = out.trim_start_matches('/');
        sfs::create_dir_all(f.p(inner)).unwrap();
        r.write_atomic("/evil/passwd", b"in\n", 0o644, 0, 0)
            .unwrap();
        assert_eq!(sfs::read(f.p(inner).join("passwd")).unwrap(), b"in\n");
        r.mkdir_all("/evil/deep/er", 0o755, 0, 0).unwrap();
        assert!(f.p(inner).join("deep/er").is_dir());
        r.symlink("/x", "/etc/up/link").unwrap();
        assert!(r.remove("/evil/passwd").unwrap());
        assert_eq!(
            r.read("/etc/rel/passwd", 10).unwrap(),
            Some(b"a\n".to_vec())
        );
        assert_eq!(
            r.read_follow("/evil/../etc/up/passwd", 10).unwrap(),
            Some(b"a\n".to_vec())
        );
        f.assert_outside_untouched();
    }

    #[test]
    fn final_symlink_is_replaced_not_followed() {
        let f = Fixture::new("final");
        let target = f.outside.join("passwd");
        symlink(&target, f.p("etc/passwd")).unwrap();
        symlink("shadow.real", f.p("etc/shadow")).unwrap();
        sfs::write(f.p("etc/shadow.real"), b"real\n").unwrap();
        let r = f.open();
        assert_eq!(r.meta("/etc/passwd").unwrap().unwrap().kind, Kind::Symlink);
        assert_eq!(r.read("/etc/shadow", 100).unwrap_err().errno, Errno::LOOP);
        assert_eq!(
            r.read_follow("/etc/shadow", 100).unwrap(),
            Some(b"real\n".to_vec())
        );
        // read_follow of an absolute link to the outside stays inside: missing.
        assert_eq!(r.read_follow("/etc/passwd", 100).unwrap(), None);
        r.write_atomic("/etc/passwd", b"root\n", 0o644, 0, 0)
            .unwrap();
        r.write_atomic("/etc/shadow", b"new\n", 0o600, 0, 0)
            .unwrap();
        assert!(!sfs::symlink_metadata(f.p("etc/passwd"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(sfs::read(f.p("etc/passwd")).unwrap(), b"root\n");
        assert_eq!(sfs::read(f.p("etc/shadow.real")).unwrap(), b"real\n");
        assert_eq!(sfs::read(f.p("etc/shadow")).unwrap(), b"new\n");
        f.assert_outside_untouched();
    }

    #[test]
    fn read_caps_and_missing() {
        let f = Fixture::new("read");
        sfs::write(f.p("etc/big"), [7u8; 10_000]).unwrap();
        sfs::write(f.p("etc/file"), b"f").unwrap();
        sfs::create_dir(f.p("etc/d")).unwrap();
        let r = f.open();
        assert_eq!(r.read("/etc/big", 10_000).unwrap().unwrap().len(), 10_000);
        let e = r.read("/etc/big", 9_999).unwrap_err();
        assert_eq!((e.op, e.errno), ("read", Errno::FBIG));
        assert_eq!(
            r.read_follow("/etc/big", 9_999).unwrap_err().errno,
            Errno::FBIG
        );
        assert_eq!(r.read("/etc/missing", 10).unwrap(), None);
        assert_eq!(r.read("/missing/dir/x", 10).unwrap(), None);
        // A file used as a directory is "missing" (ENOTDIR), like stat(1).
        assert_eq!(r.read("/etc/file/x", 10).unwrap(), None);
        assert_eq!(r.read_follow("/etc/missing", 10).unwrap(), None);
        assert_eq!(r.read("/etc/d", 10).unwrap_err().errno, Errno::ISDIR);
        symlink("d", f.p("etc/dl")).unwrap();
        assert_eq!(
            r.read_follow("/etc/dl", 10).unwrap_err().errno,
            Errno::ISDIR
        );
        // A FIFO is refused without blocking on it.
        fs::mkfifoat(
            CWD,
            f.p("etc/fifo").to_str().unwrap(),
            Mode::from_bits_truncate(0o644),
        )
        .unwrap();
        assert_eq!(r.read("/etc/fifo", 10).unwrap_err().errno, Errno::INVAL);
        assert_eq!(
            r.read_follow("/etc/fifo", 10).unwrap_err().errno,
            Errno::INVAL
        );
        assert_eq!(r.meta("/etc/fifo").unwrap().unwrap().kind, Kind::Other);
        let e = r.set_owner_mode("/etc/fifo", 0o600, 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::NOTSUP);
        assert_eq!(r.read("/", 10).unwrap_err().errno, Errno::INVAL);
        assert_eq!(r.meta("/etc/missing").unwrap(), None);
        assert_eq!(r.meta("/nope/x").unwrap(), None);
        assert_eq!(r.meta("/").unwrap().unwrap().kind, Kind::Dir);
        assert_eq!(r.meta("/etc/d").unwrap().unwrap().kind, Kind::Dir);
    }

    #[test]
    fn mkdir_all_creates_missing_only() {
        let f = Fixture::new("mkdir");
        sfs::create_dir_all(f.p("home")).unwrap();
        sfs::set_permissions(f.p("home"), sfs::Permissions::from_mode(0o751)).unwrap();
        let r = f.open();
        r.mkdir_all("/home/alice/.ssh", 0o700, 1000, 1001).unwrap();
        assert_eq!(mode_of(&f.p("home")), 0o751);
        assert_eq!(sfs::metadata(f.p("home")).unwrap().uid(), 0);
        for d in ["home/alice", "home/alice/.ssh"] {
            let md = sfs::metadata(f.p(d)).unwrap();
            assert_eq!(
                (md.mode() & 0o7777, md.uid(), md.gid()),
                (0o700, 1000, 1001)
            );
        }
        // Again: nothing changes, nothing logged twice.
        r.mkdir_all("/home/alice/.ssh", 0o755, 0, 0).unwrap();
        assert_eq!(mode_of(&f.p("home/alice/.ssh")), 0o700);
        assert_eq!(r.written(), vec!["/home/alice", "/home/alice/.ssh"]);
        r.mkdir_all("/", 0o755, 0, 0).unwrap();
        sfs::write(f.p("etc/file"), b"").unwrap();
        let e = r.mkdir_all("/etc/file/sub", 0o755, 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::NOTDIR);
    }

    #[test]
    fn mkdir_all_through_dangling_symlink() {
        let f = Fixture::new("dangling");
        sfs::create_dir(f.p("var")).unwrap();
        symlink("var/home", f.p("home")).unwrap();
        symlink("/var/roothome", f.p("root")).unwrap();
        let r = f.open();
        r.mkdir_all("/home/core", 0o700, 1000, 1000).unwrap();
        assert!(f.p("var/home/core").is_dir());
        assert_eq!(sfs::metadata(f.p("var/home/core")).unwrap().uid(), 1000);
        r.mkdir_all("/root/.ssh", 0o700, 0, 0).unwrap();
        assert!(f.p("var/roothome/.ssh").is_dir());
        assert_eq!(
            r.written(),
            vec![
                "/var/home",
                "/var/home/core",
                "/var/roothome",
                "/var/roothome/.ssh"
            ]
        );
        // A symlink loop is cut off.
        symlink("loop2", f.p("loop1")).unwrap();
        symlink("loop1", f.p("loop2")).unwrap();
        let e = r.mkdir_all("/loop1/x", 0o755, 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::LOOP);
        f.assert_outside_untouched();
    }

    #[test]
    fn set_owner_mode_does_not_follow() {
        let f = Fixture::new("chown");
        sfs::write(f.p("etc/file"), b"x").unwrap();
        sfs::write(f.p("etc/target"), b"t").unwrap();
        symlink("target", f.p("etc/link")).unwrap();
        let r = f.open();
        r.set_owner_mode("/etc/file", 0o4750, 12, 34).unwrap();
        let md = sfs::metadata(f.p("etc/file")).unwrap();
        assert_eq!((md.mode() & 0o7777, md.uid(), md.gid()), (0o4750, 12, 34));
        r.set_owner_mode("/etc/link", 0o600, 56, 78).unwrap();
        let lmd = sfs::symlink_metadata(f.p("etc/link")).unwrap();
        assert_eq!((lmd.uid(), lmd.gid()), (56, 78));
        let tmd = sfs::metadata(f.p("etc/target")).unwrap();
        assert_eq!((tmd.uid(), tmd.gid()), (0, 0));
        assert_ne!(tmd.mode() & 0o7777, 0o600);
        r.set_owner_mode("/etc", 0o755, 0, 0).unwrap();
        assert_eq!(mode_of(&f.p("etc")), 0o755);
        let e = r.set_owner_mode("/etc/missing", 0o600, 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::NOENT);
        let e = r.set_owner_mode("/", 0o600, 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::INVAL);
    }

    #[test]
    fn remove_and_list() {
        let f = Fixture::new("list");
        sfs::write(f.p("etc/b"), b"").unwrap();
        sfs::write(f.p("etc/a"), b"").unwrap();
        sfs::create_dir(f.p("etc/d")).unwrap();
        symlink("/etc/a", f.p("etc/l")).unwrap();
        let r = f.open();
        assert_eq!(r.list("/etc").unwrap(), vec!["a", "b", "d", "l"]);
        assert_eq!(r.list("/missing").unwrap(), Vec::<String>::new());
        assert_eq!(r.list("/etc/a").unwrap(), Vec::<String>::new());
        assert!(r.list("/").unwrap().contains(&"etc".to_string()));
        assert!(r.remove("/etc/a").unwrap());
        assert!(!r.remove("/etc/a").unwrap());
        assert!(!r.remove("/missing/a").unwrap());
        assert!(r.remove("/etc/l").unwrap());
        let e = r.remove("/etc/d").unwrap_err();
        assert_eq!((e.op, e.errno), ("remove", Errno::ISDIR));
        assert!(f.p("etc/d").is_dir());
        assert_eq!(r.list("/etc").unwrap(), vec!["b", "d"]);
        assert!(r.written().is_empty());
    }

    #[test]
    fn symlink_replaces_atomically() {
        let f = Fixture::new("symlink");
        sfs::write(f.p("etc/localtime"), b"old").unwrap();
        sfs::create_dir(f.p("etc/dir")).unwrap();
        let r = f.open();
        r.symlink("/usr/share/zoneinfo/UTC", "/etc/localtime")
            .unwrap();
        assert_eq!(
            sfs::read_link(f.p("etc/localtime")).unwrap(),
            Path::new("/usr/share/zoneinfo/UTC")
        );
        r.symlink("../run/x", "/etc/localtime").unwrap();
        assert_eq!(
            sfs::read_link(f.p("etc/localtime")).unwrap(),
            Path::new("../run/x")
        );
        assert_eq!(
            r.meta("/etc/localtime").unwrap().unwrap().kind,
            Kind::Symlink
        );
        let e = r.symlink("x", "/etc/dir").unwrap_err();
        assert_eq!(e.errno, Errno::ISDIR);
        assert_eq!(r.symlink("", "/etc/e").unwrap_err().errno, Errno::INVAL);
        assert!(temps_in(&f.p("etc")).is_empty());
        assert_eq!(r.written(), vec!["/etc/localtime"]);
    }

    #[test]
    fn copy_tree_like_skel() {
        let f = Fixture::new("copy");
        sfs::create_dir_all(f.p("etc/skel/.config/app")).unwrap();
        sfs::write(f.p("etc/skel/.bashrc"), b"bashrc\n").unwrap();
        sfs::set_permissions(f.p("etc/skel/.bashrc"), sfs::Permissions::from_mode(0o640)).unwrap();
        sfs::write(f.p("etc/skel/.profile"), b"profile\n").unwrap();
        sfs::write(f.p("etc/skel/.config/app/rc"), b"rc").unwrap();
        sfs::set_permissions(f.p("etc/skel/.config"), sfs::Permissions::from_mode(0o700)).unwrap();
        symlink("/etc/outside", f.p("etc/skel/link")).unwrap();
        sfs::create_dir_all(f.p("home/bob")).unwrap();
        sfs::write(f.p("home/bob/.profile"), b"mine\n").unwrap();
        let r = f.open();
        r.copy_tree("/etc/skel", "/home/bob", 1000, 100).unwrap();
        assert_eq!(sfs::read(f.p("home/bob/.bashrc")).unwrap(), b"bashrc\n");
        assert_eq!(sfs::read(f.p("home/bob/.profile")).unwrap(), b"mine\n");
        assert_eq!(sfs::read(f.p("home/bob/.config/app/rc")).unwrap(), b"rc");
        assert_eq!(
            sfs::read_link(f.p("home/bob/link")).unwrap(),
            Path::new("/etc/outside")
        );
        for (p, mode) in [
            ("home/bob/.bashrc", 0o640),
            ("home/bob/.config", 0o700),
            ("home/bob/.config/app", 0o755),
        ] {
            let md = sfs::metadata(f.p(p)).unwrap();
            assert_eq!(
                (md.mode() & 0o7777, md.uid(), md.gid()),
                (mode, 1000, 100),
                "{p}"
            );
        }
        let lmd = sfs::symlink_metadata(f.p("home/bob/link")).unwrap();
        assert_eq!((lmd.uid(), lmd.gid()), (1000, 100));
        // The existing file kept its owner.
        assert_eq!(sfs::metadata(f.p("home/bob/.profile")).unwrap().uid(), 0);
        assert_eq!(
            r.written(),
            vec![
                "/home/bob/.bashrc",
                "/home/bob/.config",
                "/home/bob/.config/app",
                "/home/bob/.config/app/rc",
                "/home/bob/link",
            ]
        );
        // Idempotent; a missing source is nothing to copy.
        r.copy_tree("/etc/skel", "/home/bob", 1000, 100).unwrap();
        assert_eq!(r.written().len(), 5);
        r.copy_tree("/etc/noskel", "/home/bob", 1000, 100).unwrap();
        // A missing destination is created with the source's mode.
        sfs::set_permissions(f.p("etc/skel"), sfs::Permissions::from_mode(0o750)).unwrap();
        r.copy_tree("/etc/skel", "/home/carol", 1001, 1001).unwrap();
        let md = sfs::metadata(f.p("home/carol")).unwrap();
        assert_eq!(
            (md.mode() & 0o7777, md.uid(), md.gid()),
            (0o750, 1001, 1001)
        );
        assert_eq!(sfs::read(f.p("home/carol/.profile")).unwrap(), b"profile\n");
        let e = r.copy_tree("/etc/skel", "/nope/dave", 1, 1).unwrap_err();
        assert_eq!(e.errno, Errno::NOENT);
    }

    #[test]
    fn copy_tree_depth_capped() {
        let f = Fixture::new("deep");
        let mut deep = f.p("src");
        for _ in 0..COPY_MAX_DEPTH + 1 {
            deep = deep.join("d");
        }
        sfs::create_dir_all(&deep).unwrap();
        sfs::create_dir(f.p("dst")).unwrap();
        let r = f.open();
        let e = r.copy_tree("/src", "/dst", 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::LOOP);
        // Copying a tree into itself ends too.
        sfs::create_dir_all(f.p("self/a")).unwrap();
        let e = r.copy_tree("/self", "/self/a", 0, 0).unwrap_err();
        assert_eq!(e.errno, Errno::LOOP);
    }
}
