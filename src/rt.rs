//! The binary's runtime: what std would otherwise provide for a `no_main`,
//! `no_std` program linked against musl. The global allocator (size
//! classes over mmap), the arguments and environment handed to C `main`, the panic
//! handler, and the two never-called unwinding symbols that the prebuilt
//! `alloc` still references under `panic = "abort"`.
//!
//! This is the only module of the binary allowed `unsafe`; it must never grow
//! logic beyond turning C pointers into Rust values.
#![allow(unsafe_code)]

use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_char, c_int, CStr};

#[link(name = "c")]
extern "C" {
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

/// egret's allocator: size classes with free lists, carved from mmap'ed
/// chunks, and whole mappings for large blocks. egret is one short-lived
/// thread, so this replaces musl's malloc (10 KiB of the binary) with a
/// few hundred bytes; nothing else in the binary calls malloc.
pub struct Heap {
    state: core::cell::UnsafeCell<State>,
}

struct State {
    /// Free blocks of class `c` (size `MIN << c`), linked through their first word.
    free: [*mut u8; CLASSES],
    /// The unused rest of the current chunk.
    next: usize,
    end: usize,
}

/// Smallest block: two words, so every block can hold the free-list link.
const MIN: usize = 16;
/// Classes 16 B .. 32 KiB; larger blocks get their own mapping.
const CLASSES: usize = 12;
const CHUNK: usize = 256 << 10;
const PAGE: usize = 4096;

impl Heap {
    pub const fn new() -> Heap {
        Heap {
            state: core::cell::UnsafeCell::new(State {
                free: [core::ptr::null_mut(); CLASSES],
                next: 0,
                end: 0,
            }),
        }
    }
}

// SAFETY: egret never starts a thread; the one thread is the only user.
unsafe impl Sync for Heap {}

/// The class of a layout, or `None` for a block that gets its own mapping.
/// A block of class `c` is aligned to `min(MIN << c, PAGE)`, which is at
/// least the layout's alignment because the class covers `max(size, align)`.
fn class(layout: Layout) -> Option<usize> {
    let need = layout.size().max(layout.align()).max(MIN);
    let c = (need.next_power_of_two() / MIN).trailing_zeros() as usize;
    (c < CLASSES).then_some(c)
}

fn map(len: usize) -> *mut u8 {
    use rustix::mm::{MapFlags, ProtFlags};
    // SAFETY: a fresh anonymous private mapping aliases nothing.
    match unsafe {
        rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    } {
        Ok(p) => p.cast(),
        Err(_) => core::ptr::null_mut(),
    }
}

fn pages(size: usize) -> usize {
    size.next_multiple_of(PAGE)
}

// SAFETY: blocks handed out never overlap: each is carved once from a chunk
// or is a whole mapping, and returns to a free list (or is unmapped) only
// through `dealloc`, with the layout it was allocated with (GlobalAlloc's
// contract), which gives back the same class. Alignment: see `class`; large
// blocks are page aligned and `Layout` alignments above a page are refused.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > PAGE {
            return core::ptr::null_mut();
        }
        let Some(c) = class(layout) else {
            return map(pages(layout.size()));
        };
        let st = &mut *self.state.get();
        let Some(slot) = st.free.get_mut(c) else {
            return core::ptr::null_mut();
        };
        let head = *slot;
        if !head.is_null() {
            *slot = *(head as *mut *mut u8);
            return head;
        }
        let size = MIN << c;
        let mut at = st.next.next_multiple_of(size.min(PAGE));
        if st.end < size || at > st.end - size {
            let chunk = map(CHUNK);
            if chunk.is_null() {
                return chunk;
            }
            st.next = chunk as usize;
            st.end = st.next + CHUNK;
            at = st.next;
        }
        st.next = at + size;
        at as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(layout) {
            Some(c) => {
                if let Some(slot) = (*self.state.get()).free.get_mut(c) {
                    *(ptr as *mut *mut u8) = *slot;
                    *slot = ptr;
                }
            }
            None => {
                let _ = rustix::mm::munmap(ptr.cast(), pages(layout.size()));
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let (old, new) = (class(layout), class(new_layout));
        if old.is_some() && old == new {
            return ptr;
        }
        if old.is_none() && new.is_none() {
            // A large block grows (or shrinks) by remapping, not copying.
            return match rustix::mm::mremap(
                ptr.cast(),
                pages(layout.size()),
                pages(new_size),
                rustix::mm::MremapFlags::MAYMOVE,
            ) {
                Ok(p) => p.cast(),
                Err(_) => core::ptr::null_mut(),
            };
        }
        let to = self.alloc(new_layout);
        if !to.is_null() {
            core::ptr::copy_nonoverlapping(ptr, to, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        to
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
