//! Fixture sysroots, seeds, running the binary, and tree snapshots.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub const BIN: &str = env!("CARGO_BIN_EXE_egret");

/// A scratch directory for one test: removed when dropped.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "egret-it-{}-{}-{}",
            name,
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// A Debian-like sysroot at `<scratch>/root`, with the modes and owners
    /// Debian gives these files.
    pub fn sysroot(&self) -> PathBuf {
        let root = self.path("root");
        copy_tree(&fixture("sysroot/debian"), &root);
        for d in [
            "etc/sudoers.d",
            "etc/ssh/sshd_config.d",
            "root",
            "var/lib",
            "var/log",
            "tmp",
        ] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        set(&root, "root", 0o700, 0, 0);
        set(&root, "etc/shadow", 0o640, 0, 42);
        set(&root, "etc/gshadow", 0o640, 0, 42);
        set(&root, "etc/sudoers", 0o440, 0, 0);
        set(&root, "etc/sudoers.d", 0o750, 0, 0);
        set(&root, "etc/ssh/ssh_host_ed25519_key", 0o600, 0, 0);
        set(&root, "home/debian", 0o700, 1000, 1000);
        set(&root, "home/debian/.ssh", 0o700, 1000, 1000);
        set(&root, "home/debian/.ssh/authorized_keys", 0o600, 1000, 1000);
        set(&root, "usr/lib/systemd/systemd", 0o755, 0, 0);
        root
    }

    /// A NoCloud seed directory from `tests/fixtures/nocloud/<name>`.
    pub fn seed(&self, name: &str) -> PathBuf {
        let dst = self.path(&format!("seed-{name}"));
        copy_tree(&fixture(&format!("nocloud/{name}")), &dst);
        dst
    }

    /// A seed directory from literal documents.
    pub fn seed_with(&self, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let dst = self.path(&format!("seed-{name}"));
        fs::create_dir_all(&dst).unwrap();
        for (f, body) in files {
            fs::write(dst.join(f), body).unwrap();
        }
        dst
    }

    /// An empty kernel command line file, so tests never read the host's.
    pub fn cmdline(&self, text: &str) -> PathBuf {
        let p = self.path("cmdline");
        fs::write(&p, text).unwrap();
        p
    }
}

fn set(root: &Path, rel: &str, mode: u32, uid: u32, gid: u32) {
    let p = root.join(rel);
    std::os::unix::fs::lchown(&p, Some(uid), Some(gid)).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o755)).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            copy_tree(&e.path(), &dst);
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(e.path()).unwrap(), &dst).unwrap();
        } else {
            fs::copy(e.path(), &dst).unwrap();
            // The checkout's umask must not leak into the fixture's modes.
            let exec = fs::metadata(e.path()).unwrap().permissions().mode() & 0o111 != 0;
            fs::set_permissions(
                &dst,
                fs::Permissions::from_mode(if exec { 0o755 } else { 0o644 }),
            )
            .unwrap();
        }
    }
}

/// Runs egret with `args`, the kernel command line from `cmdline` (never the
/// host's), and `host/` next to it as the machine's `/sys`, `/dev` and `/proc`,
/// so detection never sees this machine's devices or firmware.
pub fn egret(args: &[&str], cmdline: &Path) -> Output {
    let host = cmdline.with_file_name("host");
    fs::create_dir_all(&host).unwrap();
    Command::new(BIN)
        .args(args)
        .env("EGRET_CMDLINE", cmdline)
        .env("EGRET_HOST", &host)
        .env_remove("EGRET_DEBUG")
        .output()
        .unwrap()
}

/// Runs a fixture-making tool; it must exist (`tests/run` installs them).
pub fn tool(cmd: &str, args: &[&str]) {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (tests/run installs it)"));
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// An ISO9660 image of `dir`, as `genisoimage` (or `xorriso -as mkisofs`
/// when `args` starts with `xorriso`) makes it with `args`.
pub fn iso(dir: &Path, out: &Path, label: &str, args: &[&str]) -> PathBuf {
    let (cmd, mut a) = match args.first() {
        Some(&"xorriso") => ("xorriso", vec!["-as", "mkisofs"]),
        _ => ("genisoimage", vec![]),
    };
    a.extend(args.iter().filter(|x| **x != "xorriso"));
    a.extend([
        "-quiet",
        "-V",
        label,
        "-o",
        out.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    tool(cmd, &a);
    out.to_path_buf()
}

/// A FAT image of `dir` (`mkfs.vfat -n LABEL` + `mmd`/`mcopy`), as users make
/// NoCloud and config-2 disks.
pub fn vfat(dir: &Path, out: &Path, label: &str) -> PathBuf {
    let _ = fs::remove_file(out);
    tool(
        "mkfs.vfat",
        &["-C", "-n", label, out.to_str().unwrap(), "2048"],
    );
    fn walk(img: &str, base: &Path, rel: &Path) {
        for e in fs::read_dir(base.join(rel)).unwrap() {
            let e = e.unwrap();
            let r = rel.join(e.file_name());
            let target = format!("::/{}", r.display());
            if e.file_type().unwrap().is_dir() {
                tool("mmd", &["-i", img, &target]);
                walk(img, base, &r);
            } else {
                tool("mcopy", &["-i", img, e.path().to_str().unwrap(), &target]);
            }
        }
    }
    walk(out.to_str().unwrap(), dir, Path::new(""));
    out.to_path_buf()
}

/// `egret apply --sysroot ROOT --from nocloud:SEED EXTRA...` under the
/// kernel command line `cmdline`.
pub fn apply_seed(s: &Scratch, root: &Path, seed: &Path, extra: &[&str], cmdline: &str) -> Output {
    apply_source(
        s,
        root,
        &format!("nocloud:{}", seed.display()),
        extra,
        cmdline,
    )
}

/// `egret apply --sysroot ROOT --from FROM EXTRA...` under the kernel
/// command line `cmdline`.
pub fn apply_source(s: &Scratch, root: &Path, from: &str, extra: &[&str], cmdline: &str) -> Output {
    let mut args = vec!["apply", "--sysroot", root.to_str().unwrap(), "--from", from];
    args.extend_from_slice(extra);
    egret(&args, &s.cmdline(cmdline))
}

pub fn text(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every entry below `root`: relative path → (kind, mode, uid, gid, content or link target).
pub type Snapshot = BTreeMap<String, (char, u32, u32, u32, Vec<u8>)>;

pub fn snapshot(root: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let m = fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let mode = m.mode() & 0o7777;
        if m.file_type().is_symlink() {
            out.insert(
                rel,
                (
                    'l',
                    mode,
                    m.uid(),
                    m.gid(),
                    fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                ),
            );
        } else if m.is_dir() {
            out.insert(rel.clone(), ('d', mode, m.uid(), m.gid(), Vec::new()));
            walk(root, &p, out);
        } else {
            out.insert(rel, ('f', mode, m.uid(), m.gid(), fs::read(&p).unwrap()));
        }
    }
}

pub fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn meta(root: &Path, rel: &str) -> (u32, u32, u32) {
    let m = fs::symlink_metadata(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (m.mode() & 0o7777, m.uid(), m.gid())
}

/// The lines of `rel` that differ between two snapshots, for failure messages.
pub fn diff(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    let mut d = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => d.push(format!("removed {k}")),
            Some(w) if w != v => d.push(format!("changed {k}")),
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            d.push(format!("added {k}"));
        }
    }
    d
}
