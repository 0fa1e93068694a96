//! The binary's runtime: what std would otherwise provide for a `no_main`,
//! `no_std` program linked against musl. The global allocator (musl's
//! `malloc`), the arguments and environment handed to C `main`, the panic
//! handler, and the two never-called unwinding symbols that the prebuilt
//! `alloc` still references under `panic = "abort"`.
//!
//! This is the only module of the binary allowed `unsafe`; it must never grow
//! logic beyond turning C pointers into Rust values.
#![allow(unsafe_code)]

use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_char, c_int, c_void, CStr};

#[link(name = "c")]
extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn aligned_alloc(align: usize, size: usize) -> *mut c_void;
    fn _exit(status: c_int) -> !;
    fn clock_gettime(clock: c_int, ts: *mut Timespec) -> c_int;
}

/// `struct timespec` on x86-64 musl.
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

const CLOCK_REALTIME: c_int = 0;
const CLOCK_MONOTONIC: c_int = 1;

fn now(clock: c_int) -> Timespec {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; on failure it stays zero.
    unsafe { clock_gettime(clock, &mut ts) };
    ts
}

/// musl's clock_gettime (vDSO when the kernel offers one, else the syscall).
pub struct MuslClock;

impl egret::cli::Clock for MuslClock {
    fn monotonic_ms(&self) -> u64 {
        let t = now(CLOCK_MONOTONIC);
        u64::try_from(t.tv_sec)
            .unwrap_or(0)
            .saturating_mul(1000)
            .saturating_add(u64::try_from(t.tv_nsec).unwrap_or(0) / 1_000_000)
    }
    fn unix_seconds(&self) -> u64 {
        u64::try_from(now(CLOCK_REALTIME).tv_sec).unwrap_or(0)
    }
}

/// Ends the process at once, without running anything else.
pub fn exit(status: c_int) -> ! {
    // SAFETY: _exit(2) takes any status and never returns.
    unsafe { _exit(status) }
}

/// musl's malloc aligns to 16 bytes; larger alignments go through `aligned_alloc`.
const MALLOC_ALIGN: usize = 16;

pub struct Malloc;

// SAFETY: musl's allocator is thread-safe and returns memory aligned to
// MALLOC_ALIGN; stricter layouts use aligned_alloc, whose size we round up to a
// multiple of the alignment as C11 requires.
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            malloc(layout.size()) as *mut u8
        } else {
            let size = layout.size().next_multiple_of(layout.align());
            aligned_alloc(layout.align(), size) as *mut u8
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        free(ptr as *mut c_void)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

/// Copies a NULL-terminated `char *[]` (argv or envp) into owned strings,
/// replacing invalid UTF-8 lossily: egret's own arguments are ASCII, and a
/// garbled one fails argument parsing with a clear message instead.
pub fn strings(mut p: *const *const c_char, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    if p.is_null() {
        return out;
    }
    while out.len() < limit {
        // SAFETY: C's startup code hands main a NULL-terminated array of
        // NUL-terminated strings that lives for the whole process; we stop at
        // the first NULL and never read past it.
        let s = unsafe { *p };
        if s.is_null() {
            break;
        }
        // SAFETY: see above, `s` is a valid NUL-terminated string.
        let bytes = unsafe { CStr::from_ptr(s) }.to_bytes();
        out.push(String::from_utf8_lossy(bytes).into_owned());
        // SAFETY: not past the terminating NULL, which we have not reached.
        p = unsafe { p.add(1) };
    }
    out
}

/// Opens `/dev/null` onto any of fds 0-2 that is closed, so that the standard
/// streams never alias a file egret opens (see `egret::stdio`).
pub fn sanitize_fds() {
    for fd in 0..3 {
        // SAFETY: only probes the descriptor number; nothing is read or closed.
        let probe = rustix::io::fcntl_getfd(unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) });
        if probe == Err(rustix::io::Errno::BADF) {
            // open(2) returns the lowest free number: this very fd. It is
            // deliberately leaked for the life of the process.
            if let Ok(f) = rustix::fs::open(
                "/dev/null",
                rustix::fs::OFlags::RDWR,
                rustix::fs::Mode::empty(),
            ) {
                core::mem::forget(f);
            }
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write;
    let mut line: heapless::String<256> = heapless::String::new();
    let _ = writeln!(line, "egret: internal error: {}", info.message());
    let _ = rustix::io::write(egret::stdio::stderr(), line.as_bytes());
    exit(1)
}

/// Never called with `panic = "abort"`; the prebuilt `alloc` still names it.
#[no_mangle]
extern "C" fn _Unwind_Resume() -> ! {
    exit(1)
}

/// Never called with `panic = "abort"`; the prebuilt `alloc` still names it.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
