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

#[test]
fn ostree_style_symlinked_home_and_root_resolve_inside_the_image() {
    let s = Scratch::new("ostree");
    let root = s.sysroot();
    // Fedora CoreOS / Atomic layout: /home and /root are symlinks into /var,
    // one relative, one absolute; /var/home does not exist yet.
    fs::remove_dir_all(root.join("home")).unwrap();
    fs::remove_dir_all(root.join("root")).unwrap();
    symlink("var/home", root.join("home")).unwrap();
    fs::create_dir_all(root.join("var/roothome")).unwrap();
    symlink("/var/roothome", root.join("root")).unwrap();
    fs::write(
        root.join("etc/passwd"),
        read(&root, "etc/passwd")
            .replace("root:x:0:0:root:/root:", "root:x:0:0:root:/var/roothome:"),
    )
    .unwrap();
    let seed = s.seed_with(
        "o",
        &[
            ("meta-data", b"instance-id: iid-ostree\npublic-keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOstreeKey core@x]\n"),
            ("user-data", b"#cloud-config\nusers:\n  - name: core\n    ssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICoreKey core@laptop]\n"),
        ],
    );
    fs::remove_file(root.join("etc/egret/egret.conf")).unwrap();
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert!(
        root.join("home").is_symlink(),
        "the image's symlink is kept"
    );
    assert_eq!(
        read(&root, "var/home/core/.ssh/authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICoreKey core@laptop\n"
    );
    assert_eq!(meta(&root, "var/home/core"), (0o700, 1001, 1001));
    assert_eq!(
        read(&root, "var/roothome/.ssh/authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOstreeKey core@x\n"
    );
    let outside_home = std::path::Path::new("/var/home/core");
    assert!(
        !outside_home.exists(),
        "nothing written to the host's /var/home"
    );
}
