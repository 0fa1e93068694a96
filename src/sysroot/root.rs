//! The confined view of the target root filesystem: every byte egret writes
//! into the sysroot goes through [`Root`].
//!
//! The sysroot is opened once as a directory fd. Every path is an absolute
//! string *inside* it (`/etc/passwd`), normalised lexically (`//`, `.` and
//! `..` never climb above `/`), and its parent directory is resolved with
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: an absolute symlink in
//! the image (`/etc -> /tmp/evil`, OSTree's `/home -> var/home`) resolves
//! inside the root, so nothing can be read or written outside it. The
//! normalised path goes to the kernel as it is, absolute: under
//! `RESOLVE_IN_ROOT` an absolute path also starts at the root fd
//! (openat2(2)). The final component is then acted on with the `*at` calls
//! relative to that parent.
//!
//! A final component that is a symlink is *replaced*, never followed: writes
//! behave like `install`, not like `cat >`. [`Root::read`] and [`Root::meta`]
//! do not follow it either; [`Root::read_follow`] does (still confined), for
//! configuration such as `/etc/login.defs` that images ship as symlinks.
//!
//! This module must never build a `"<sysroot>/" + path` string, never follow
//! a symlink with the host's view of `/`, never remove a directory, and never
//! allocate by a size read from disk beyond the caller's cap.
//!
//! Size matters here (the binary has a budget): every kernel path is turned
//! into a `CStr` once, by `cstring`, so rustix never converts a `&str` at a
//! call site; errors travel inside as an `(op, errno)` pair and become an
//! [`Error`] with the caller's path once, at the edge.

use alloc::borrow::ToOwned;
use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::ffi::CStr;
use core::fmt;
use core::mem::MaybeUninit;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{
    self, AtFlags, FileType, Gid, Mode, OFlags, RawDir, ResolveFlags, Stat, Uid, CWD,
};
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

/// A directory, readable so it can also be listed and fsynced.
const DIR: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);
/// A directory entry that must not be a symlink (copy_tree's own steps).
const DIR_NOFOLLOW: OFlags = DIR.union(OFlags::NOFOLLOW);
/// Reading (or fchmod-ing) an entry without following it; `NONBLOCK` and
/// `NOCTTY` so an entry swapped for a FIFO or tty cannot block or adopt us.
const READ: OFlags = READ_FOLLOW.union(OFlags::NOFOLLOW);
/// [`READ`] for [`Root::read_follow`], which follows the final symlink.
const READ_FOLLOW: OFlags = OFlags::RDONLY
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOCTTY)
    .union(OFlags::NONBLOCK);
/// A new file that must not exist yet, not even as a dangling symlink.
const CREATE: OFlags = OFlags::CREATE
    .union(OFlags::EXCL)
    .union(OFlags::WRONLY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NOCTTY);

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
    // Out of line: it is the one place a path is copied for an error.
    #[inline(never)]
    fn new(op: Op, path: &str, errno: Errno) -> Error {
        Error {
            op: op.name(),
            path: path.to_owned(),
            errno,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &[self.op, " ", &self.path, ": "] {
            f.write_str(part)?;
        }
        match errno_name(self.errno) {
            Some(name) => f.write_str(name),
            None => write!(f, "errno {}", self.errno.raw_os_error()),
        }
    }
}

/// Symbolic names for the errnos a sysroot write can plausibly meet; without
/// std there is no strerror, and `ENOENT` reads better than `os error 2`.
/// The names are one string, `|`-separated in the order of [`ERRNOS`]: a
/// `match` of strings costs a table of pointers besides the text.
fn errno_name(e: Errno) -> Option<&'static str> {
    let i = ERRNOS.iter().position(|&x| x == e)?;
    ERRNO_NAMES.split('|').nth(i)
}

const ERRNOS: [Errno; 28] = [
    Errno::PERM,
    Errno::NOENT,
    Errno::INTR,
    Errno::IO,
    Errno::NXIO,
    Errno::TOOBIG,
    Errno::BADF,
    Errno::AGAIN,
    Errno::NOMEM,
    Errno::ACCESS,
    Errno::BUSY,
    Errno::EXIST,
    Errno::XDEV,
    Errno::NOTDIR,
    Errno::ISDIR,
    Errno::INVAL,
    Errno::TXTBSY,
    Errno::FBIG,
    Errno::NOSPC,
    Errno::ROFS,
    Errno::MLINK,
    Errno::NAMETOOLONG,
    Errno::NOSYS,
    Errno::NOTEMPTY,
    Errno::LOOP,
    Errno::NOTSUP,
    Errno::DQUOT,
    Errno::STALE,
];

const ERRNO_NAMES: &str = concat!(
    "EPERM (operation not permitted)|",
    "ENOENT (no such file or directory)|",
    "EINTR (interrupted)|",
    "EIO (input/output error)|",
    "ENXIO (no such device or address)|",
    "E2BIG (too many entries)|",
    "EBADF (bad file descriptor)|",
    "EAGAIN (try again)|",
    "ENOMEM (out of memory)|",
    "EACCES (permission denied)|",
    "EBUSY (device or resource busy)|",
    "EEXIST (file exists)|",
    "EXDEV (cross-device link)|",
    "ENOTDIR (not a directory)|",
    "EISDIR (is a directory)|",
    "EINVAL (invalid argument)|",
    "ETXTBSY (text file busy)|",
    "EFBIG (file too large)|",
    "ENOSPC (no space left on device)|",
    "EROFS (read-only file system)|",
    "EMLINK (too many links)|",
    "ENAMETOOLONG (file name too long)|",
    "ENOSYS (function not implemented)|",
    "ENOTEMPTY (directory not empty)|",
    "ELOOP (too many levels of symbolic links)|",
    "EOPNOTSUPP (operation not supported)|",
    "EDQUOT (disk quota exceeded)|",
    "ESTALE (stale file handle)",
);

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
    /// Inode number: two paths with the same are hard links of one file.
    pub ino: u64,
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
            ino: st.st_ino,
        }
    }
}

/// The operation that failed; [`Error::op`] is its name. A byte instead of
/// a `&str` keeps the internal `Result`s in registers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    /// `"open"`
    Open,
    /// `"open parent of"`
    OpenParent,
    /// `"read"`
    Read,
    /// `"stat"`
    Stat,
    /// `"write"`
    Write,
    /// `"create temp for"`
    CreateTemp,
    /// `"create"`
    Create,
    /// `"chown"`
    Chown,
    /// `"chmod"`
    Chmod,
    /// `"fsync"`
    Fsync,
    /// `"fsync directory of"`
    FsyncDir,
    /// `"rename"`
    Rename,
    /// `"mkdir"`
    Mkdir,
    /// `"symlink"`
    Symlink,
    /// `"readlink"`
    Readlink,
    /// `"remove"`
    Remove,
    /// `"list"`
    List,
    /// `"copy"`
    Copy,
    /// `"link"`
    Link,
}

/// [`Op`]'s names, in its order.
const OP_NAMES: &str = concat!(
    "open|",
    "open parent of|",
    "read|",
    "stat|",
    "write|",
    "create temp for|",
    "create|",
    "chown|",
    "chmod|",
    "fsync|",
    "fsync directory of|",
    "rename|",
    "mkdir|",
    "symlink|",
    "readlink|",
    "remove|",
    "list|",
    "copy|",
    "link",
);

impl Op {
    fn name(self) -> &'static str {
        OP_NAMES.split('|').nth(self as usize).unwrap_or("")
    }
}

/// A failure inside this module: the operation and what the kernel said.
/// The caller's path is attached once, by [`Error::new`], at the edge.
type Res<T> = Result<T, (Op, Errno)>;

/// Names the operation an `Errno` came from.
trait WithOp<T> {
    fn op(self, op: Op) -> Res<T>;
}

impl<T> WithOp<T> for Result<T, Errno> {
    fn op(self, op: Op) -> Res<T> {
        self.map_err(|e| (op, e))
    }
}

/// An error mapper for `op` on `path`, for `map_err`.
fn err_at<'a>(op: Op, path: &'a str) -> impl Fn(Errno) -> Error + 'a {
    move |e| Error::new(op, path, e)
}

/// The edge: `(op, errno)` plus the caller's `path`.
fn at<T>(path: &str, r: Res<T>) -> Result<T, Error> {
    r.map_err(|(op, e)| Error::new(op, path, e))
}

/// Lexical normalisation into the canonical `/a/b/c`: collapse `//`, drop
/// `.`, let `..` pop but never above `/`. Rejects empty, relative and
/// NUL-bearing paths.
fn norm(path: &str) -> Result<String, Errno> {
    if !path.starts_with('/') || path.bytes().any(|b| b == 0) {
        return Err(Errno::INVAL);
    }
    let mut out = String::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                let cut = out.bytes().rposition(|b| b == b'/').unwrap_or(0);
                out.truncate(cut);
            }
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// The parent of a normalised path and its final plain name; the root
/// itself has no final name, so operations on `/` are refused.
fn split(abs: &str) -> Result<(&str, CString), Errno> {
    match abs.rsplit_once('/') {
        Some((parent, name)) if !name.is_empty() => Ok((
            if parent.is_empty() { "/" } else { parent },
            cstring(name.as_bytes())?,
        )),
        _ => Err(Errno::INVAL),
    }
}

/// `s` for the kernel; an embedded NUL is `EINVAL`, as rustix would say.
fn cstring(s: &[u8]) -> Result<CString, Errno> {
    CString::new(s).map_err(|_| Errno::INVAL)
}

/// `None` for a missing entry (or parent: `ENOTDIR` too, like stat(1)).
fn found<T>(r: Result<T, Errno>) -> Result<Option<T>, Errno> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
        Err(e) => Err(e),
    }
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

/// `openat(dir, name)`, never resolving more than the one name.
fn open_at(dir: BorrowedFd<'_>, name: &CStr, flags: OFlags, mode: u32) -> Result<OwnedFd, Errno> {
    intr(|| fs::openat(dir, name, flags, Mode::from_bits_truncate(mode)))
}

/// `lstat` of `name` in `dir`.
fn stat_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<Stat, Errno> {
    intr(|| fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW))
}

fn sync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    intr(|| fs::fsync(fd))
}

/// Owner, then mode: chown clears setuid, so chmod must come after it.
fn own(fd: BorrowedFd<'_>, mode: u32, u: Uid, g: Gid) -> Res<()> {
    fs::fchown(fd, Some(u), Some(g)).op(Op::Chown)?;
    fs::fchmod(fd, perm(mode)).op(Op::Chmod)
}

/// A freshly created file's whole life before it is linked in: contents,
/// owner and mode, fsync.
fn fill(fd: BorrowedFd<'_>, data: &[u8], mode: u32, u: Uid, g: Gid) -> Res<()> {
    write_all(fd, data).op(Op::Write)?;
    own(fd, mode, u, g)?;
    sync(fd).op(Op::Fsync)
}

/// `mkdirat` (0700 until owned) + open without following + chown + chmod.
fn mkdir_owned(parent: BorrowedFd<'_>, name: &CStr, mode: u32, u: Uid, g: Gid) -> Res<OwnedFd> {
    intr(|| fs::mkdirat(parent, name, Mode::from_bits_truncate(0o700))).op(Op::Mkdir)?;
    let fd = open_at(parent, name, DIR_NOFOLLOW, 0).op(Op::Open)?;
    own(fd.as_fd(), mode, u, g)?;
    Ok(fd)
}

/// `.<name>.egret-XXXXXXXX`: hidden, recognisable, unique per attempt.
fn temp_name(name: &CStr) -> Result<CString, Errno> {
    let mut raw = [0u8; 4];
    getrandom::fill(&mut raw).map_err(|e| {
        e.raw_os_error()
            .map(Errno::from_raw_os_error)
            .unwrap_or(Errno::IO)
    })?;
    let mut s = Vec::from(*b".");
    let name = name.to_bytes();
    if name.len() <= TEMP_NAME_MAX {
        s.extend_from_slice(name);
        s.push(b'.');
    }
    s.extend_from_slice(b"egret-");
    for &b in &raw {
        for &d in &[b >> 4, b & 0xf] {
            s.push(if d < 10 { b'0' + d } else { b'a' - 10 + d });
        }
    }
    cstring(&s)
}

/// Creates a fresh temp entry beside `name` with `make`, on a new random
/// name while (a bounded number of times) it says `EEXIST`.
fn make_temp<T>(
    name: &CStr,
    mut make: impl FnMut(&CStr) -> Result<T, Errno>,
) -> Result<(CString, T), Errno> {
    let mut n = 0;
    loop {
        let tmp = temp_name(name)?;
        match make(&tmp) {
            Ok(v) => return Ok((tmp, v)),
            Err(Errno::EXIST) if n < RETRIES => n += 1,
            Err(e) => return Err(e),
        }
    }
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
/// `getdents64` straight into a stack buffer (one entry needs at most ~280
/// bytes); the fd's offset moves, so callers pass a fresh fd.
pub(crate) fn dir_names(dir: BorrowedFd<'_>, cap: usize) -> Result<Vec<CString>, Errno> {
    let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
    let mut entries = RawDir::new(dir, &mut buf);
    let mut names = Vec::new();
    while let Some(entry) = entries.next() {
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
    sort(&mut names);
    Ok(names)
}

/// The [`dir_names`] that are UTF-8 and that `keep` accepts, as strings:
/// one body for [`Root::list`] and the host directories of sources.
pub(crate) fn utf8_names(
    dir: BorrowedFd<'_>,
    cap: usize,
    keep: fn(&str) -> bool,
) -> Result<Vec<String>, Errno> {
    let mut out = Vec::new();
    for name in dir_names(dir, cap)? {
        if let Ok(name) = name.into_string() {
            if keep(&name) {
                out.push(name);
            }
        }
    }
    Ok(out)
}

/// Heapsort: O(n log n) on any input, in a fraction of the code core's
/// generic sort instantiates per element type; every sort of egret uses it.
/// Not stable: callers sort distinct items or do not care.
pub fn sort<T: Ord>(v: &mut [T]) {
    let less = |v: &[T], a: usize, b: usize| v.get(a) < v.get(b);
    let mut end = v.len();
    let mut start = end / 2;
    loop {
        if start > 0 {
            start -= 1;
        } else if end > 1 {
            end -= 1;
            v.swap(0, end);
        } else {
            return;
        }
        let mut root = start;
        loop {
            let mut child = root.saturating_mul(2).saturating_add(1);
            if child >= end {
                break;
            }
            if child.saturating_add(1) < end && less(v, child, child.saturating_add(1)) {
                child = child.saturating_add(1);
            }
            if !less(v, root, child) {
                break;
            }
            v.swap(root, child);
            root = child;
        }
    }
}

/// The sysroot, opened once; see the module documentation for the rules.
pub struct Root {
    fd: OwnedFd,
    written: RefCell<Vec<String>>,
    /// Directory fsyncs deferred to one `syncfs` in [`Root::flush`].
    batched: Cell<bool>,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Root").field("fd", &self.fd).finish()
    }
}

impl Root {
    /// Opens the directory at `path` (a host path, e.g. `/sysroot`) as the root.
    pub fn open(path: &str) -> Result<Root, Error> {
        let fd = cstring(path.as_bytes())
            .and_then(|c| open_at(CWD, &c, DIR, 0))
            .map_err(err_at(Op::Open, path))?;
        Ok(Root {
            fd,
            written: RefCell::new(Vec::new()),
            batched: Cell::new(false),
        })
    }

    /// `openat2(root, abs, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`,
    /// retried on `EAGAIN`/`EINTR`. The only way a path string reaches the
    /// kernel with more than one component.
    fn open_in(&self, abs: &str, flags: OFlags) -> Result<OwnedFd, Errno> {
        let path = cstring(abs.as_bytes())?;
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        let mut n = 0;
        loop {
            match fs::openat2(&self.fd, &*path, flags, Mode::empty(), resolve) {
                Err(Errno::AGAIN | Errno::INTR) if n < RETRIES => n += 1,
                r => return r,
            }
        }
    }

    /// From now on, directory entries (renames, new directories, unlinks)
    /// are made durable by one [`Root::flush`] instead of an fsync of each
    /// directory after each change. File contents are still fsynced before
    /// they are renamed into place, so every path is, after a crash, either
    /// its old or its complete new file; what a crash before `flush` can lose
    /// is that some renames did not happen yet, which is why a caller flushes
    /// before it records that it is done.
    pub fn batch_dir_syncs(&self) {
        self.batched.set(true);
    }

    /// `syncfs(2)` on the sysroot's filesystem: everything written so far,
    /// directory entries included, is on disk when this returns.
    pub fn flush(&self) -> Result<(), Error> {
        fs::syncfs(&self.fd).map_err(|errno| Error {
            op: "syncfs",
            path: String::from("/"),
            errno,
        })
    }

    /// fsyncs a directory after a change to its entries, unless batched.
    fn dir_sync(&self, dir: BorrowedFd<'_>) -> Result<(), Errno> {
        if self.batched.get() {
            return Ok(());
        }
        sync(dir)
    }

    /// A directory fd, opened read-only so it can also be listed and fsynced.
    fn open_dir(&self, abs: &str) -> Result<OwnedFd, Errno> {
        self.open_in(abs, DIR)
    }

    fn log(&self, abs: &str) {
        let mut w = self.written.borrow_mut();
        if !w.iter().any(|p| p == abs) {
            w.push(abs.to_owned());
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
        self.read_at(path, max).map_err(err_at(Op::Read, path))
    }

    fn read_at(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Errno> {
        // Look before opening: opening a device node the image planted
        // could have side effects on the host's hardware.
        let Some((dir, name, st)) = self.lstat(path)? else {
            return Ok(None);
        };
        must_be_regular(st.st_mode)?;
        let Some(fd) = found(open_at(dir.as_fd(), &name, READ, 0))? else {
            return Ok(None);
        };
        read_capped(fd.as_fd(), max).map(Some)
    }

    /// Like [`Root::read`], but every symlink, the final one included, is
    /// followed, still confined to the root.
    pub fn read_follow(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Error> {
        self.read_follow_at(path, max)
            .map_err(err_at(Op::Read, path))
    }

    fn read_follow_at(&self, path: &str, max: usize) -> Result<Option<Vec<u8>>, Errno> {
        let abs = norm(path)?;
        // O_PATH first, for the same reason as in `read`.
        let Some(pinned) = found(self.open_in(&abs, OFlags::PATH | OFlags::CLOEXEC))? else {
            return Ok(None);
        };
        must_be_regular(fs::fstat(&pinned)?.st_mode)?;
        let fd = self.open_in(&abs, READ_FOLLOW)?;
        read_capped(fd.as_fd(), max).map(Some)
    }

    /// `lstat` of `path`: `None` when missing; a final symlink is described,
    /// not followed.
    pub fn meta(&self, path: &str) -> Result<Option<Meta>, Error> {
        self.meta_at(path).map_err(err_at(Op::Stat, path))
    }

    fn meta_at(&self, path: &str) -> Result<Option<Meta>, Errno> {
        let st = if norm(path)? == "/" {
            Some(fs::fstat(&self.fd)?)
        } else {
            self.lstat(path)?.map(|(_, _, st)| st)
        };
        Ok(st.as_ref().map(Meta::from_stat))
    }

    /// The opened parent directory of `path` and the final name, `None`
    /// when the parent is missing; `/` itself has no parent (`EINVAL`).
    fn parent(&self, path: &str) -> Result<Option<(OwnedFd, CString)>, Errno> {
        match self.open_parent(path, Op::Read) {
            Ok((_, dir, name)) => Ok(Some((dir, name))),
            Err((Op::OpenParent, Errno::NOENT | Errno::NOTDIR)) => Ok(None),
            Err((_, e)) => Err(e),
        }
    }

    /// `path` normalised, its parent directory opened and its final name.
    /// A bad path is `op`'s `EINVAL`, whatever else [`Op::OpenParent`]'s.
    fn open_parent(&self, path: &str, op: Op) -> Res<(String, OwnedFd, CString)> {
        let abs = norm(path).op(op)?;
        let (parent, name) = split(&abs).op(op)?;
        let dir = self.open_dir(parent).op(Op::OpenParent)?;
        Ok((abs, dir, name))
    }

    /// [`Root::parent`] and the `lstat` of the entry; `None` when missing.
    fn lstat(&self, path: &str) -> Result<Option<(OwnedFd, CString, Stat)>, Errno> {
        let Some((dir, name)) = self.parent(path)? else {
            return Ok(None);
        };
        Ok(found(stat_at(dir.as_fd(), &name))?.map(|st| (dir, name, st)))
    }

    /// Atomically replaces `path` with `data`, owned `uid:gid` with `mode`
    /// (setuid bits included). The parent must exist. A symlink at `path` is
    /// replaced, not followed; a directory there is `EISDIR`.
    ///
    /// Temp file in the same directory, write, chown, chmod (after chown,
    /// which clears setuid), fsync, rename, fsync the directory (or, after
    /// [`Root::batch_dir_syncs`], at [`Root::flush`]); the temp file is
    /// removed on any failure.
    pub fn write_atomic(
        &self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<(), Error> {
        at(path, self.write_at(path, data, mode, uid, gid, false, None))
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
        at(path, self.write_at(path, data, mode, uid, gid, true, None))
    }

    /// Atomically replaces `path`: with a regular file holding `data`, or,
    /// given a `link` target, with a symlink (`data`, `mode` and the owner
    /// unused). One body for both, so the temp-and-rename dance exists once.
    #[allow(clippy::too_many_arguments)]
    fn write_at(
        &self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
        keep: bool,
        link: Option<&CStr>,
    ) -> Res<()> {
        let op = if link.is_some() {
            Op::Symlink
        } else {
            Op::Write
        };
        uid_gid(uid, gid).op(op)?;
        let (abs, dir, name) = self.open_parent(path, op)?;
        let dir = dir.as_fd();
        let (mut mode, mut uid, mut gid) = (mode, uid, gid);
        if link.is_none() {
            match stat_at(dir, &name) {
                Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                    FileType::Directory => return Err((Op::Write, Errno::ISDIR)),
                    FileType::RegularFile if keep => {
                        mode = st.st_mode & 0o7777;
                        uid = st.st_uid;
                        gid = st.st_gid;
                    }
                    _ => {}
                },
                Err(Errno::NOENT) => {}
                Err(e) => return Err((Op::Stat, e)),
            }
        }
        let (u, g) = uid_gid(uid, gid).op(Op::Chown)?;
        let (tmp, fd) = make_temp(&name, |t| match link {
            Some(target) => intr(|| fs::symlinkat(target, dir, t)).map(|()| None),
            None => open_at(dir, t, CREATE, 0o600).map(Some),
        })
        .op(if link.is_some() {
            Op::Symlink
        } else {
            Op::CreateTemp
        })?;
        let filled = match fd {
            Some(fd) => fill(fd.as_fd(), data, mode, u, g),
            None => Ok(()),
        };
        self.commit(dir, &tmp, &name, &abs, filled)
    }

    /// Renames the finished temp entry `tmp` over `name` and logs `abs`; on
    /// any failure, `filled`'s included, the temp entry is removed instead.
    fn commit(
        &self,
        dir: BorrowedFd<'_>,
        tmp: &CStr,
        name: &CStr,
        abs: &str,
        filled: Res<()>,
    ) -> Res<()> {
        let renamed =
            filled.and_then(|()| intr(|| fs::renameat(dir, tmp, dir, name)).op(Op::Rename));
        if let Err(e) = renamed {
            let _ = fs::unlinkat(dir, tmp, AtFlags::empty());
            return Err(e);
        }
        // Replaced from here on, even if the directory fsync fails.
        self.log(abs);
        self.dir_sync(dir).op(Op::FsyncDir)
    }

    /// Creates every missing directory of `path` with `mode` and `uid:gid`;
    /// existing ones, and symlinks to directories, are left untouched.
    /// Intermediate directories get the same mode and owner as the last, so
    /// create shared parents first (`mkdir_all("/home", 0o755, 0, 0)` before
    /// a user's home) or a user ends up owning them. A dangling symlink on
    /// the way (OSTree's `/home -> var/home` before tmpfiles ran) is
    /// followed by creating its target, still inside the root.
    pub fn mkdir_all(&self, path: &str, mode: u32, uid: u32, gid: u32) -> Result<(), Error> {
        at(path, self.mkdir_at(path, mode, uid, gid))
    }

    fn mkdir_at(&self, path: &str, mode: u32, uid: u32, gid: u32) -> Res<()> {
        let (u, g) = uid_gid(uid, gid).op(Op::Mkdir)?;
        let mut abs = norm(path).op(Op::Mkdir)?;
        let mut links = 0;
        'restart: loop {
            let mut dir = self.open_dir("/").op(Op::Open)?;
            // `abs[..end]` is the prefix up to and including `name`.
            let mut end = 0usize;
            for name in abs.split('/') {
                if name.is_empty() {
                    continue;
                }
                let start = end;
                end = end.saturating_add(1).saturating_add(name.len());
                let prefix = abs.get(..end).unwrap_or_default();
                let cname = cstring(name.as_bytes()).op(Op::Mkdir)?;
                let created = match intr(|| fs::mkdirat(&dir, &*cname, perm(mode))) {
                    Ok(()) => true,
                    Err(Errno::EXIST) => false,
                    Err(e) => return Err((Op::Mkdir, e)),
                };
                let next = match self.open_dir(prefix) {
                    Ok(d) => d,
                    Err(Errno::NOENT) if !created => {
                        // Only a dangling symlink makes mkdir say EEXIST and
                        // the open say ENOENT: aim at its target and restart.
                        let target = fs::readlinkat(&dir, &*cname, Vec::new())
                            .map_err(|_| (Op::Mkdir, Errno::NOENT))?;
                        links += 1;
                        if links > MKDIR_MAX_LINKS {
                            return Err((Op::Mkdir, Errno::LOOP));
                        }
                        let target = target.to_str().map_err(|_| (Op::Mkdir, Errno::INVAL))?;
                        let mut base = String::new();
                        if !target.starts_with('/') {
                            base.push_str(abs.get(..start).unwrap_or_default());
                        }
                        base.push('/');
                        base.push_str(target);
                        base.push_str(abs.get(end..).unwrap_or_default());
                        abs = norm(&base).op(Op::Mkdir)?;
                        continue 'restart;
                    }
                    Err(e) => return Err((Op::Open, e)),
                };
                if created {
                    own(next.as_fd(), mode, u, g)?;
                    self.dir_sync(dir.as_fd()).op(Op::Fsync)?;
                    self.log(prefix);
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
    // Out of line, like copy_tree: inlined into apply's one big function
    // it cost ~0.5 KiB more than the call.
    #[inline(never)]
    pub fn set_owner_mode(&self, path: &str, mode: u32, uid: u32, gid: u32) -> Result<(), Error> {
        at(path, self.owner_mode_at(path, mode, uid, gid))
    }

    fn owner_mode_at(&self, path: &str, mode: u32, uid: u32, gid: u32) -> Res<()> {
        let (u, g) = uid_gid(uid, gid).op(Op::Chown)?;
        let (_, dir, name) = self.open_parent(path, Op::Chown)?;
        let dir = dir.as_fd();
        // O_PATH pins the entry itself, symlink or not, without opening it.
        let pinned = open_at(
            dir,
            &name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            0,
        )
        .op(Op::Open)?;
        let st = fs::fstat(&pinned).op(Op::Stat)?;
        let kind = FileType::from_raw_mode(st.st_mode);
        match kind {
            FileType::RegularFile | FileType::Directory | FileType::Symlink => {}
            _ => return Err((Op::Chmod, Errno::NOTSUP)),
        }
        fs::chownat(&pinned, c"", Some(u), Some(g), AtFlags::EMPTY_PATH).op(Op::Chown)?;
        if kind != FileType::Symlink {
            let fd = open_at(dir, &name, READ, 0).op(Op::Open)?;
            let again = fs::fstat(&fd).op(Op::Stat)?;
            if again.st_ino != st.st_ino || again.st_dev != st.st_dev {
                return Err((Op::Chmod, Errno::AGAIN));
            }
            fs::fchmod(&fd, perm(mode)).op(Op::Chmod)?;
        }
        Ok(())
    }

    /// Unlinks the file or symlink at `path`; `false` when it was missing.
    /// A directory is never removed (`EISDIR`).
    pub fn remove(&self, path: &str) -> Result<bool, Error> {
        self.remove_at(path).map_err(err_at(Op::Remove, path))
    }

    fn remove_at(&self, path: &str) -> Result<bool, Errno> {
        let Some((dir, name)) = self.parent(path)? else {
            return Ok(false);
        };
        match intr(|| fs::unlinkat(&dir, &*name, AtFlags::empty())) {
            Err(Errno::NOENT) => return Ok(false),
            r => r?,
        }
        self.dir_sync(dir.as_fd())?;
        Ok(true)
    }

    /// Entry names in the directory `dir` (symlinks followed, confined),
    /// sorted, without `.` and `..`; empty when missing. Names that are not
    /// UTF-8 are skipped: nothing egret manages has one.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        self.list_at(dir).map_err(err_at(Op::List, dir))
    }

    fn list_at(&self, dir: &str) -> Result<Vec<String>, Errno> {
        let abs = norm(dir)?;
        match found(self.open_dir(&abs))? {
            Some(fd) => utf8_names(fd.as_fd(), LIST_MAX_ENTRIES, |_| true),
            None => Ok(Vec::new()),
        }
    }

    /// Atomically points `path` at `target` (stored verbatim, resolved later
    /// by whoever reads it): a temp symlink renamed over whatever file or
    /// symlink is there; a directory there is `EISDIR`.
    pub fn symlink(&self, target: &str, path: &str) -> Result<(), Error> {
        at(path, self.symlink_at(target, path))
    }

    fn symlink_at(&self, target: &str, path: &str) -> Res<()> {
        if target.is_empty() {
            return Err((Op::Symlink, Errno::INVAL));
        }
        let target = cstring(target.as_bytes()).op(Op::Symlink)?;
        self.write_at(path, &[], 0, 0, 0, false, Some(&target))
    }

    /// The target of the symlink at `path`; `None` when nothing or
    /// something else is there.
    pub fn read_link(&self, path: &str) -> Result<Option<String>, Error> {
        self.read_link_at(path).map_err(err_at(Op::Readlink, path))
    }

    fn read_link_at(&self, path: &str) -> Result<Option<String>, Errno> {
        let Some((dir, name, st)) = self.lstat(path)? else {
            return Ok(None);
        };
        if FileType::from_raw_mode(st.st_mode) != FileType::Symlink {
            return Ok(None);
        }
        let t = fs::readlinkat(&dir, &*name, Vec::new())?;
        Ok(Some(String::from_utf8_lossy(t.as_bytes()).into_owned()))
    }

    /// Atomically makes `path` another name of the regular file at `target`
    /// (both in the root; a symlink at `target` is refused, not followed):
    /// a temp hard link renamed over whatever file or symlink is at `path`.
    pub fn hard_link(&self, target: &str, path: &str) -> Result<(), Error> {
        at(path, self.hard_link_at(target, path))
    }

    fn hard_link_at(&self, target: &str, path: &str) -> Res<()> {
        let (_, tdir, tname) = self.open_parent(target, Op::Link)?;
        let st = stat_at(tdir.as_fd(), &tname).op(Op::Stat)?;
        must_be_regular(st.st_mode).op(Op::Link)?;
        let (abs, dir, name) = self.open_parent(path, Op::Link)?;
        let dir = dir.as_fd();
        let (tmp, ()) = make_temp(&name, |t| {
            intr(|| fs::linkat(tdir.as_fd(), &*tname, dir, t, AtFlags::empty()))
        })
        .op(Op::Link)?;
        self.commit(dir, &tmp, &name, &abs, Ok(()))
    }

    /// Copies the tree at `from` into the directory `to`, like useradd's
    /// `/etc/skel` copy: directories and regular files keep their mode,
    /// symlinks their target, everything is owned `uid:gid`; other file
    /// types are skipped. An entry already present in `to` is left alone
    /// (and not descended into). `to` is created (with `from`'s mode) when
    /// missing, its parent must exist; a missing `from` copies nothing.
    /// Depth is capped at 16 levels and 10 000 entries.
    // Out of line: inlined into its one caller it cost ~0.5 KiB more.
    #[inline(never)]
    pub fn copy_tree(&self, from: &str, to: &str, uid: u32, gid: u32) -> Result<(), Error> {
        let mut who = to;
        let mut path = String::new();
        let r = self.copy_tree_at(from, to, uid, gid, &mut who, &mut path);
        at(if path.is_empty() { who } else { &path }, r)
    }

    /// [`Root::copy_tree`]. An error is about `who` (`from` or `to`, as the
    /// step that failed), or, once the walk has begun, about `path`, the
    /// walk's buffer.
    fn copy_tree_at<'a>(
        &self,
        from: &'a str,
        to: &'a str,
        uid: u32,
        gid: u32,
        who: &mut &'a str,
        path: &mut String,
    ) -> Res<()> {
        let (u, g) = uid_gid(uid, gid).op(Op::Copy)?;
        *who = from;
        let src_abs = norm(from).op(Op::Copy)?;
        *who = to;
        let dst_abs = norm(to).op(Op::Copy)?;
        *who = from;
        let Some(src) = found(self.open_dir(&src_abs)).op(Op::Open)? else {
            return Ok(());
        };
        *who = to;
        let dst = match self.open_dir(&dst_abs) {
            Ok(d) => d,
            Err(Errno::NOENT) => {
                let (parent, name) = split(&dst_abs).op(Op::Mkdir)?;
                let pdir = self.open_dir(parent).op(Op::OpenParent)?;
                *who = from;
                let st = fs::fstat(&src).op(Op::Stat)?;
                *who = to;
                let fd = mkdir_owned(pdir.as_fd(), &name, st.st_mode, u, g)
                    .map_err(|(_, e)| (Op::Mkdir, e))?;
                self.log(&dst_abs);
                fd
            }
            Err(e) => return Err((Op::Open, e)),
        };
        *path = dst_abs;
        let mut budget = COPY_MAX_ENTRIES;
        self.copy_dir(src.as_fd(), dst.as_fd(), path, u, g, 0, &mut budget)
    }

    /// Copies the entries of `src` into `dst`. `path` is `dst`'s path on
    /// entry and on success; one buffer serves the whole walk, and on
    /// failure it names what failed, for [`at`].
    #[allow(clippy::too_many_arguments)]
    fn copy_dir(
        &self,
        src: BorrowedFd<'_>,
        dst: BorrowedFd<'_>,
        path: &mut String,
        u: Uid,
        g: Gid,
        depth: usize,
        budget: &mut usize,
    ) -> Res<()> {
        if depth >= COPY_MAX_DEPTH {
            return Err((Op::Copy, Errno::LOOP));
        }
        let names = dir_names(src, COPY_MAX_ENTRIES).op(Op::List)?;
        let len = path.len();
        for name in names {
            path.truncate(len);
            if !path.ends_with('/') {
                path.push('/');
            }
            path.push_str(&String::from_utf8_lossy(name.to_bytes()));
            *budget = budget.checked_sub(1).ok_or((Op::Copy, Errno::TOOBIG))?;
            if let Some((sub_src, sub_dst)) = self.copy_entry(src, dst, &name, path, u, g)? {
                let (s, d) = (sub_src.as_fd(), sub_dst.as_fd());
                self.copy_dir(s, d, path, u, g, depth + 1, budget)?;
                self.dir_sync(d).op(Op::Fsync)?;
            }
        }
        path.truncate(len);
        self.dir_sync(dst).op(Op::Fsync)
    }

    /// One entry of [`Root::copy_dir`]; a directory comes back as the
    /// `(src, dst)` pair to descend into.
    // Out of line: kept out of copy_dir's recursive frame it is smaller.
    #[inline(never)]
    fn copy_entry(
        &self,
        src: BorrowedFd<'_>,
        dst: BorrowedFd<'_>,
        name: &CStr,
        abs: &str,
        u: Uid,
        g: Gid,
    ) -> Res<Option<(OwnedFd, OwnedFd)>> {
        match stat_at(dst, name) {
            Ok(_) => return Ok(None),
            Err(Errno::NOENT) => {}
            Err(e) => return Err((Op::Stat, e)),
        }
        let st = stat_at(src, name).op(Op::Stat)?;
        let mut sub = None;
        match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                let sub_src = open_at(src, name, DIR_NOFOLLOW, 0).op(Op::Open)?;
                sub = Some((sub_src, mkdir_owned(dst, name, st.st_mode, u, g)?));
            }
            FileType::RegularFile => {
                let fd = open_at(src, name, READ, 0).op(Op::Open)?;
                let data = read_capped(fd.as_fd(), COPY_MAX_FILE).op(Op::Read)?;
                let out = open_at(dst, name, CREATE, 0o600).op(Op::Create)?;
                if let Err(e) = fill(out.as_fd(), &data, st.st_mode, u, g) {
                    let _ = fs::unlinkat(dst, name, AtFlags::empty());
                    return Err(e);
                }
            }
            FileType::Symlink => {
                let target = fs::readlinkat(src, name, Vec::new()).op(Op::Readlink)?;
                intr(|| fs::symlinkat(&*target, dst, name)).op(Op::Symlink)?;
                fs::chownat(dst, name, Some(u), Some(g), AtFlags::SYMLINK_NOFOLLOW)
                    .op(Op::Chown)?;
            }
            _ => return Ok(None),
        }
        self.log(abs);
        Ok(sub)
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
    fn batched_dir_syncs_still_write_everything_and_flush() {
        let f = Fixture::new("batched");
        let r = f.open();
        r.batch_dir_syncs();
        r.mkdir_all("/var/lib/x", 0o700, 0, 0).unwrap();
        r.write_atomic("/var/lib/x/a", b"1", 0o600, 0, 0).unwrap();
        r.symlink("a", "/var/lib/x/b").unwrap();
        assert!(r.remove("/var/lib/x/b").unwrap());
        r.flush().unwrap();
        assert_eq!(sfs::read(f.p("var/lib/x/a")).unwrap(), b"1");
        assert_eq!(mode_of(&f.p("var/lib/x")), 0o700);
        assert!(!f.p("var/lib/x/b").exists());
        assert_eq!(temps_in(&f.p("var/lib/x")), Vec::<String>::new());
    }

    #[test]
    fn normalise_paths() {
        let n = norm("//etc/./ssh/../passwd").unwrap();
        assert_eq!(n, "/etc/passwd");
        assert_eq!(split(&n).unwrap(), ("/etc", c"passwd".to_owned()));
        let n = norm("/../../..").unwrap();
        assert_eq!(n, "/");
        assert_eq!(split(&n).err(), Some(Errno::INVAL));
        let n = norm("/a/../../b/").unwrap();
        assert_eq!(n, "/b");
        assert_eq!(split(&n).unwrap(), ("/", c"b".to_owned()));
        assert_eq!(norm("/a/b/..").unwrap(), "/a");
        assert_eq!(norm("").err(), Some(Errno::INVAL));
        assert_eq!(norm("etc/passwd").err(), Some(Errno::INVAL));
        assert_eq!(norm("/etc/pa\0sswd").err(), Some(Errno::INVAL));
        // A NUL popped by `..` is still refused.
        assert_eq!(norm("/a\0/..").err(), Some(Errno::INVAL));
    }

    #[test]
    fn sort_is_bytewise() {
        let mut v: Vec<CString> = ["b", "a", ".x", "ab", "B", "", "a", "\u{e9}"]
            .iter()
            .map(|s| CString::new(*s).unwrap())
            .collect();
        sort(&mut v);
        let got: Vec<&str> = v.iter().map(|c| c.to_str().unwrap()).collect();
        assert_eq!(got, ["", ".x", "B", "a", "a", "ab", "b", "\u{e9}"]);
        for n in 0..40u32 {
            let mut v: Vec<CString> = (0..n)
                .map(|i| CString::new(std::format!("{}", (i * 7919) % 101)).unwrap())
                .collect();
            let mut want = v.clone();
            want.sort();
            sort(&mut v);
            assert_eq!(v, want, "{n}");
        }
    }

    #[test]
    fn name_tables_line_up() {
        assert_eq!(ERRNO_NAMES.split('|').count(), ERRNOS.len());
        for (e, name) in ERRNOS.iter().zip(ERRNO_NAMES.split('|')) {
            assert_eq!(errno_name(*e), Some(name));
        }
        assert_eq!(
            errno_name(Errno::PERM),
            Some("EPERM (operation not permitted)")
        );
        assert_eq!(
            errno_name(Errno::NOTSUP),
            Some("EOPNOTSUPP (operation not supported)")
        );
        assert_eq!(errno_name(Errno::STALE), Some("ESTALE (stale file handle)"));
        assert_eq!(errno_name(Errno::PIPE), None);
        let ops = [
            (Op::Open, "open"),
            (Op::OpenParent, "open parent of"),
            (Op::Read, "read"),
            (Op::Stat, "stat"),
            (Op::Write, "write"),
            (Op::CreateTemp, "create temp for"),
            (Op::Create, "create"),
            (Op::Chown, "chown"),
            (Op::Chmod, "chmod"),
            (Op::Fsync, "fsync"),
            (Op::FsyncDir, "fsync directory of"),
            (Op::Rename, "rename"),
            (Op::Mkdir, "mkdir"),
            (Op::Symlink, "symlink"),
            (Op::Readlink, "readlink"),
            (Op::Remove, "remove"),
            (Op::List, "list"),
            (Op::Copy, "copy"),
            (Op::Link, "link"),
        ];
        assert_eq!(OP_NAMES.split('|').count(), ops.len());
        for (op, name) in ops {
            assert_eq!(op.name(), name);
        }
    }

    #[test]
    fn error_display() {
        let e = Error::new(Op::Write, "/etc/passwd", Errno::NOENT);
        assert_eq!(
            e.to_string(),
            "write /etc/passwd: ENOENT (no such file or directory)"
        );
        let e = Error::new(Op::Read, "/x", Errno::from_raw_os_error(200));
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
                size: 15,
                ino: sfs::metadata(f.p("etc/shadow")).unwrap().ino(),
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

    /// Which operation and path an error names: the same for every way in.
    #[test]
    fn errors_name_op_and_path() {
        let f = Fixture::new("errpaths");
        sfs::create_dir_all(f.p("etc/skel/dir")).unwrap();
        sfs::create_dir(f.p("etc/d")).unwrap();
        let r = f.open();
        let err = |e: Error| (e.op, e.path, e.errno);
        let s = |p: &str| String::from(p);
        assert_eq!(
            err(r.symlink("x", "/etc/d").unwrap_err()),
            ("rename", s("/etc/d"), Errno::ISDIR)
        );
        assert_eq!(
            err(r.symlink("x", "/").unwrap_err()),
            ("symlink", s("/"), Errno::INVAL)
        );
        assert_eq!(
            err(r.symlink("x", "/no/x").unwrap_err()),
            ("open parent of", s("/no/x"), Errno::NOENT)
        );
        assert_eq!(
            err(r.write_atomic("/etc/d", b"", 0o644, 0, 0).unwrap_err()),
            ("write", s("/etc/d"), Errno::ISDIR)
        );
        let deep = std::format!("/etc/skel/dir{}", "/dir".repeat(COPY_MAX_DEPTH));
        let cases = [
            (
                "/etc/skel",
                "/home/x",
                u32::MAX,
                ("copy", "/home/x", Errno::INVAL),
            ),
            ("skel", "/home/x", 0, ("copy", "skel", Errno::INVAL)),
            ("/etc/skel", "x", 0, ("copy", "x", Errno::INVAL)),
            (
                "/etc/skel",
                "/no/x",
                0,
                ("open parent of", "/no/x", Errno::NOENT),
            ),
            (
                "/etc/skel",
                "//etc/skel/dir",
                0,
                ("copy", &deep, Errno::LOOP),
            ),
        ];
        for (from, to, uid, (op, path, errno)) in cases {
            let e = r
                .copy_tree(from, to, uid, 0)
                .map(|()| ("ok", s(""), Errno::INVAL));
            assert_eq!(e.unwrap_or_else(err), (op, s(path), errno), "{from} {to}");
        }
    }
}
