//! egret's report: one line per decision, prefixed `egret:`, to stderr and,
//! inside the initramfs, to `/dev/kmsg`; every line is also kept so it can be
//! copied to the sysroot's `/var/log/egret.log` and `/run/egret/result.json`.
//!
//! Callers must never pass secrets (passwords, hashes, user-data bodies).

use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::OwnedFd;

pub struct Log {
    lines: Vec<String>,
    kmsg: Option<OwnedFd>,
    quiet: bool,
}

impl core::fmt::Debug for Log {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Log")
            .field("lines", &self.lines.len())
            .finish()
    }
}

impl Log {
    /// A log to stderr; `kmsg` also sends each line to the kernel log (initramfs).
    pub fn new(kmsg: bool) -> Log {
        let kmsg = kmsg
            .then(|| {
                rustix::fs::open(
                    "/dev/kmsg",
                    rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
                    rustix::fs::Mode::empty(),
                )
                .ok()
            })
            .flatten();
        Log {
            lines: Vec::new(),
            kmsg,
            quiet: false,
        }
    }

    /// A log that only collects (tests, `show`'s warnings).
    pub fn silent() -> Log {
        Log {
            lines: Vec::new(),
            kmsg: None,
            quiet: true,
        }
    }

    pub fn line(&mut self, msg: &str) {
        if !self.quiet {
            let mut out = String::with_capacity(msg.len() + 8);
            out.push_str("egret: ");
            out.push_str(msg);
            out.push('\n');
            let _ = write_all(crate::stdio::stderr(), out.as_bytes());
            if let Some(fd) = &self.kmsg {
                // <6> is KERN_INFO; kmsg takes one record per write.
                let mut rec = String::from("<6>");
                rec.push_str(&out);
                let _ = rustix::io::write(fd, rec.as_bytes());
            }
        }
        self.lines.push(String::from(msg));
    }

    /// `line(&format!(..))` kept out of line: each call site only builds its
    /// `format_args!`, and none allocates (and frees) a message of its own.
    #[inline(never)]
    pub fn say(&mut self, args: core::fmt::Arguments<'_>) {
        self.line(&alloc::fmt::format(args));
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

/// Writes all of `b`, retrying short writes and EINTR.
pub fn write_all<Fd: rustix::fd::AsFd>(fd: Fd, mut b: &[u8]) -> rustix::io::Result<()> {
    while !b.is_empty() {
        match rustix::io::write(&fd, b) {
            Ok(0) => return Err(rustix::io::Errno::IO),
            Ok(n) => b = b.get(n..).unwrap_or_default(),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
