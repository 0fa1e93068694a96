//! egret's binary: wiring only. The C `main` that musl's startup calls turns
//! argv/envp into strings and hands them to `egret::cli::run`; everything else
//! lives in the library.
#![no_std]
#![no_main]

extern crate alloc;

mod rt;

#[global_allocator]
static ALLOC: rt::Heap = rt::Heap::new();

// no_mangle is an unsafe attribute: this is the C `main` musl's startup calls.
#[allow(unsafe_code)]
#[no_mangle]
extern "C" fn main(
    argc: core::ffi::c_int,
    argv: *const *const core::ffi::c_char,
    envp: *const *const core::ffi::c_char,
) -> core::ffi::c_int {
    rt::sanitize_fds();
    let args = rt::strings(argv, usize::try_from(argc).unwrap_or(0));
    let env = rt::strings(envp, 4096);
    egret::cli::run(&args, &env, &rt::MuslClock)
}
