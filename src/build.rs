//! Build script (lives in src/ to keep the top level as the project fixes it).
//! Link arguments for the `egret` binary only: test harnesses unwind on
//! panic and must keep their unwind tables.

fn main() {
    println!("cargo:rerun-if-changed=src/build.rs");
    println!("cargo:rerun-if-changed=.cargo/no-eh-frame.ld");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !target.ends_with("-linux-musl") {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    // panic = "abort": nothing ever unwinds, so core's, alloc's and musl's
    // unwind tables are ~50 KiB of dead weight (see the script's comment).
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/.cargo/no-eh-frame.ld");
    println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
    // Code and read-only data share one segment instead of each being padded
    // to its own page (binutils' x86-64 default since 2.31): -4 KiB.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
    // No RELRO: in a static non-PIE musl binary nothing applies PT_GNU_RELRO
    // (no dynamic loader runs; the kernel ignores it), yet it pads the file
    // to align the writable segment. With it gone and a small common page
    // size, the few writable bytes follow the code in the file: up to -4 KiB.
    println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
    println!("cargo:rustc-link-arg-bins=-Wl,-z,common-page-size=16");
}
