//! The standard streams as borrowed fds. The only `unsafe` of the library:
//! rustix cannot know, without std, that fds 1 and 2 stay open.
//!
//! egret's binary guarantees it: before anything else, `rt::sanitize_fds`
//! reopens any of fds 0-2 that is closed onto `/dev/null` (as std's runtime
//! does), so these numbers never name a file egret opened itself.
#![allow(unsafe_code)]

use rustix::fd::BorrowedFd;

pub fn stdout() -> BorrowedFd<'static> {
    // SAFETY: fd 1 is open for the whole life of the process (see module doc).
    unsafe { rustix::stdio::stdout() }
}

pub fn stderr() -> BorrowedFd<'static> {
    // SAFETY: fd 2 is open for the whole life of the process (see module doc).
    unsafe { rustix::stdio::stderr() }
}
