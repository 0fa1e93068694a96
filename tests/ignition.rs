//! Ignition v3 configs through the real binary: from QEMU's fw_cfg entry
//! (`opt/com.coreos/config`, as the kernel shows it) and as NoCloud
//! user-data on a cidata ISO, applied to a Debian-like sysroot.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::*;

/// A fw_cfg tree with Ignition's entry holding `config`.
fn fwcfg(s: &Scratch, config: &[u8]) -> PathBuf {
    let dir = s.path("fw_cfg");
    let entry = dir.join("opt/com.coreos/config");
    fs::create_dir_all(&entry).unwrap();
    fs::write(entry.join("raw"), config).unwrap();
    fs::write(entry.join("size"), format!("{}\n", config.len())).unwrap();
    dir
}

fn apply_fwcfg(s: &Scratch, root: &Path, dir: &Path, extra: &[&str]) -> (i32, String, String) {
    text(&apply_source(
        s,
        root,
        &format!("fwcfg:{}", dir.display()),
        extra,
        "",
    ))
}

/// The sysroot with a getty template in the image, as Debian has it.
fn sysroot(s: &Scratch) -> PathBuf {
    let root = s.sysroot();
    let units = root.join("usr/lib/systemd/system");
    fs::create_dir_all(&units).unwrap();
    fs::write(
        units.join("getty@.service"),
        "[Service]\nExecStart=-/sbin/agetty %I\n\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n",
    )
    .unwrap();
    root
}

fn link(root: &Path, rel: &str) -> String {
    fs::read_link(root.join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .display()
        .to_string()
}

#[test]
fn fw_cfg_ignition_config_is_applied() {
    let s = Scratch::new("ign");
    let root = sysroot(&s);
    let dir = fwcfg(&s, &fs::read(fixture("ignition/config.ign")).unwrap());
    let hosts_before = read(&root, "etc/hosts");
    let (code, _, err) = apply_fwcfg(&s, &root, &dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("first boot of instance ignition-"), "{err}");

    // passwd: users and groups, with the given uid, shell, gecos, groups.
    let passwd = read(&root, "etc/passwd");
    assert!(
        passwd.contains("core:x:1001:1001:CoreOS Admin:/home/core:/bin/bash\n"),
        "{passwd}"
    );
    assert!(passwd.contains("svc:x:990:"), "{passwd}");
    let group = read(&root, "etc/group");
    assert!(group.contains("docker:x:995:core\n"), "{group}");
    assert!(
        group
            .lines()
            .any(|l| l.starts_with("sudo:") && l.ends_with("core")),
        "{group}"
    );
    let shadow = read(&root, "etc/shadow");
    assert!(
        shadow.contains("core:$6$rounds=4096$saltsalt$KJMg"),
        "no hash for core"
    );
    assert!(!root.join("home/svc").exists(), "noCreateHome");
    let keys = read(&root, "home/core/.ssh/authorized_keys");
    assert!(keys.contains("core@laptop"), "{keys}");
    assert_eq!(
        meta(&root, "home/core/.ssh/authorized_keys"),
        (0o600, 1001, 1001)
    );
    // The image's default user is cloud-config's, not Ignition's.
    assert!(!err.contains("user debian"), "{err}");

    // storage: files, with overwrite, gzip + sha512, append, sha256, empty.
    assert_eq!(read(&root, "etc/hostname"), "ign-host\n");
    assert_eq!(
        read(&root, "etc/app/app.conf"),
        "# written by Ignition\nmax=4\n"
    );
    assert_eq!(meta(&root, "etc/app/app.conf"), (0o640, 990, 0));
    assert_eq!(meta(&root, "etc/app"), (0o755, 0, 0));
    assert_eq!(
        read(&root, "etc/hosts"),
        format!("{hosts_before}192.0.2.10 db.internal\n")
    );
    assert_eq!(read(&root, "var/lib/app/run.sh"), "#!/bin/sh\necho app\n");
    assert_eq!(meta(&root, "var/lib/app/run.sh"), (0o755, 0, 0));
    assert_eq!(read(&root, "etc/empty-marker"), "");
    assert_eq!(meta(&root, "etc/empty-marker"), (0o644, 0, 0));
    // directories and links
    assert_eq!(meta(&root, "var/lib/app"), (0o750, 990, 995));
    assert_eq!(link(&root, "etc/app/current"), "app.conf");
    assert_eq!(
        fs::symlink_metadata(root.join("etc/app/current"))
            .unwrap()
            .uid(),
        990
    );
    assert_eq!(
        fs::metadata(root.join("var/lib/app/conf-hard"))
            .unwrap()
            .ino(),
        fs::metadata(root.join("etc/app/app.conf")).unwrap().ino()
    );

    // systemd: contents, drop-in, enabled from [Install], an image template
    // enabled as an instance, a mask, and the preset file.
    let unit = "etc/systemd/system/app.service";
    assert!(read(&root, unit).contains("ExecStart=/var/lib/app/run.sh"));
    assert_eq!(
        read(&root, "etc/systemd/system/app.service.d/10-env.conf"),
        "[Service]\nEnvironment=MODE=prod\n"
    );
    assert_eq!(
        link(
            &root,
            "etc/systemd/system/multi-user.target.wants/app.service"
        ),
        "/etc/systemd/system/app.service"
    );
    assert_eq!(
        link(
            &root,
            "etc/systemd/system/getty.target.wants/getty@ttyS1.service"
        ),
        "/usr/lib/systemd/system/getty@.service"
    );
    assert_eq!(link(&root, "etc/systemd/system/cups.service"), "/dev/null");
    let preset = read(&root, "etc/systemd/system-preset/20-egret.preset");
    assert!(
        preset.contains("enable app.service\nenable getty@ttyS1.service\n"),
        "{preset}"
    );
}

#[test]
fn ignition_apply_twice_is_the_same() {
    let s = Scratch::new("ign-twice");
    let root = sysroot(&s);
    let dir = fwcfg(&s, &fs::read(fixture("ignition/config.ign")).unwrap());
    assert_eq!(apply_fwcfg(&s, &root, &dir, &[]).0, 0);
    let stable = |root: &Path| {
        let mut snap = snapshot(root);
        snap.retain(|k, _| !(k.starts_with("etc/ssh/ssh_host_") || k == "var/log/egret.log"));
        snap
    };
    let first = stable(&root);
    let (code, _, err) = apply_fwcfg(&s, &root, &dir, &[]);
    assert_eq!(code, 0);
    assert!(err.contains("already applied"), "{err}");
    let (code, _, err) = apply_fwcfg(&s, &root, &dir, &["--force"]);
    assert_eq!(code, 0, "{err}");
    // Same bytes: nothing appended twice, no file "exists" conflict with
    // what the first run wrote itself.
    assert_eq!(diff(&first, &stable(&root)), Vec::<String>::new());

    // A changed config is a new instance.
    let mut other = fs::read(fixture("ignition/config.ign")).unwrap();
    other.extend_from_slice(b"\n");
    let dir2 = s.path("fw_cfg2");
    fs::rename(&dir, &dir2).unwrap();
    fs::write(dir2.join("opt/com.coreos/config/raw"), &other).unwrap();
    fs::write(
        dir2.join("opt/com.coreos/config/size"),
        other.len().to_string(),
    )
    .unwrap();
    let (code, _, err) = apply_fwcfg(&s, &root, &dir2, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("new instance ignition-"), "{err}");
}

#[test]
fn overwrite_false_on_a_different_file_refuses_the_whole_config() {
    let s = Scratch::new("ign-conflict");
    let root = sysroot(&s);
    let before = snapshot(&root);
    // /etc/hostname is in the image; Ignition's default is overwrite: false.
    let cfg = br#"{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core"}]},
        "storage":{"files":[{"path":"/etc/hostname","contents":{"source":"data:,other%0A"}}]}}"#;
    let (code, _, err) = apply_fwcfg(&s, &root, &fwcfg(&s, cfg), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("file /etc/hostname: something different is there and overwrite is false"),
        "{err}"
    );
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn unsupported_ignition_keys_are_refused_with_their_position() {
    let s = Scratch::new("ign-refused");
    let root = sysroot(&s);
    let before = snapshot(&root);
    for (cfg, want) in [
        (
            "{\n  \"ignition\": {\"version\": \"3.4.0\"},\n  \"storage\": {\"files\": [{\"path\": \"/etc/x\",\n    \"contents\": {\"source\": \"https://example.com/x\"}}]}\n}\n",
            "/opt/com.coreos/config:4:28: storage.files[0].contents: `https` sources are not supported",
        ),
        (
            "{\"ignition\": {\"version\": \"3.4.0\"}, \"storage\": {\"disks\": [{\"device\": \"/dev/vdb\", \"wipeTable\": true}]}}",
            "/opt/com.coreos/config:1:57: storage.disks: not supported",
        ),
        (
            "{\"ignition\": {\"version\": \"2.2.0\"}}",
            "/opt/com.coreos/config:1:26: ignition.version: `2.2.0` is not supported",
        ),
        ("{\"ignition\": {\"version\": \"3.4.0\"", "/opt/com.coreos/config:1:"),
    ] {
        let dir = fwcfg(&s, cfg.as_bytes());
        let (code, _, err) = apply_fwcfg(&s, &root, &dir, &[]);
        assert_eq!(code, 2, "{cfg}: {err}");
        assert!(err.contains(want), "{cfg}\n got: {err}\nwant: {want}");
        assert_eq!(err.matches("error").count(), 1, "one error line: {err}");
        fs::remove_dir_all(&dir).unwrap();
    }
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn ignition_as_nocloud_user_data_on_an_iso() {
    let s = Scratch::new("ign-iso");
    let root = sysroot(&s);
    let seed = s.seed_with(
        "ign",
        &[
            ("meta-data", b"instance-id: i-ign\n"),
            (
                "user-data",
                br#"{"ignition":{"version":"3.0.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOgnmrLoW4yM4mh1Ipe2eOf9ZzWRm+Ew2UZN0rLcX8uh k"]}]}}"#,
            ),
        ],
    );
    let img = iso(&seed, &s.path("seed.iso"), "cidata", &["-J", "-r"]);
    let (code, _, err) = text(&apply_seed(&s, &root, &img, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("first boot of instance i-ign"), "{err}");
    assert!(read(&root, "home/core/.ssh/authorized_keys").contains("AAAAC3Nza"));
}
