//! Nothing lands outside the sysroot: not through `..`, not through absolute
//! symlinks in the image, not through a symlinked home or `.ssh`.

use crate::common::*;
use std::fs;
use std::os::unix::fs::symlink;

#[test]
fn writes_stay_inside_the_sysroot() {
    let s = Scratch::new("confine");
    let root = s.sysroot();
    let outside = s.path("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("canary"), "untouched").unwrap();
    // Absolute symlinks in the image that point at the host's directories.
    symlink(&outside, root.join("etc/cron.d")).unwrap();
    symlink("/", root.join("var/escape")).unwrap();
    fs::create_dir_all(root.join("home")).unwrap();
    symlink(&outside, root.join("home/mallory")).unwrap();
    let ud = format!(
        "#cloud-config\nwrite_files:\n  - path: /etc/cron.d/job\n    content: a\n  - path: ../../../{o}/dotdot\n    content: b\n  - path: /var/escape/{o}/abs\n    content: c\n  - path: /etc/cron.d/../../{o}/mixed\n    content: d\nusers:\n  - name: mallory\n    ssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMallory m@x]\n",
        o = outside.display()
    );
    let seed = s.seed_with(
        "c",
        &[
            ("meta-data", b"instance-id: iid-confine\n"),
            ("user-data", ud.as_bytes()),
        ],
    );
    let o = apply_seed(&s, &root, &seed, &[], "");
    let (_, _, err) = text(&o);
    let entries: Vec<_> = fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries,
        vec![std::ffi::OsString::from("canary")],
        "wrote outside the sysroot: {err}"
    );
    assert_eq!(
        fs::read_to_string(outside.join("canary")).unwrap(),
        "untouched"
    );
    // The absolute link resolved inside the root instead.
    assert!(
        root.join(outside.strip_prefix("/").unwrap())
            .join("job")
            .exists()
            || root.join("etc/cron.d").is_symlink(),
        "{err}"
    );
    assert!(
        root.join(outside.strip_prefix("/").unwrap())
            .join("dotdot")
            .exists(),
        "`..` is clamped at the root: {err}"
    );
}
