//! `egret apply` of a NoCloud seed directory onto a Debian-like sysroot.

use crate::common::*;
use std::fs;

fn apply_full(s: &Scratch) -> (std::path::PathBuf, String) {
    let root = s.sysroot();
    let seed = s.seed("full");
    let o = apply_seed(s, &root, &seed, &[], "");
    let (code, _, err) = text(&o);
    assert_eq!(code, 0, "{err}");
    (root, err)
}

fn line_of(file: &str, name: &str) -> String {
    file.lines()
        .find(|l| l.split(':').next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in\n{file}"))
        .to_owned()
}

#[test]
fn users_and_groups_like_useradd() {
    let s = Scratch::new("users");
    let (root, _) = apply_full(&s);
    let passwd = read(&root, "etc/passwd");
    assert_eq!(
        line_of(&passwd, "alice"),
        "alice:x:1001:1003:Alice Example:/home/alice:/bin/bash"
    );
    assert_eq!(
        line_of(&passwd, "bob"),
        "bob:x:1002:1004::/home/bob:/bin/sh"
    );
    assert_eq!(
        line_of(&passwd, "svc"),
        "svc:x:999:997::/home/svc:/usr/sbin/nologin"
    );
    // The image's own lines are kept byte for byte, in order, ours appended.
    let before = fs::read_to_string(fixture("sysroot/debian/etc/passwd")).unwrap();
    assert!(passwd.starts_with(&before), "image lines changed");
    assert_eq!(
        passwd.lines().filter(|l| l.starts_with("debian:")).count(),
        1,
        "default user duplicated"
    );

    let group = read(&root, "etc/group");
    assert_eq!(line_of(&group, "admins"), "admins:x:1001:alice");
    assert_eq!(line_of(&group, "cloud-users"), "cloud-users:x:1002:bob");
    assert_eq!(line_of(&group, "alice"), "alice:x:1003:");
    assert_eq!(line_of(&group, "sudo"), "sudo:x:27:debian,alice");
    assert_eq!(line_of(&group, "users"), "users:x:100:bob");
    assert_eq!(line_of(&group, "adm"), "adm:x:4:debian");
    let gshadow = read(&root, "etc/gshadow");
    assert_eq!(line_of(&gshadow, "admins"), "admins:!::alice");
    assert_eq!(
        meta(&root, "etc/shadow"),
        (0o640, 0, 42),
        "shadow keeps its mode and group"
    );
    assert_eq!(meta(&root, "etc/gshadow"), (0o640, 0, 42));
    assert_eq!(meta(&root, "etc/passwd"), (0o644, 0, 0));
}

#[test]
fn passwords_locks_and_expiry() {
    let s = Scratch::new("passwords");
    let (root, err) = apply_full(&s);
    let shadow = read(&root, "etc/shadow");
    let alice: Vec<String> = line_of(&shadow, "alice")
        .split(':')
        .map(String::from)
        .collect();
    assert_eq!(alice[1], "$6$rounds=4096$saltsalt$3xnLzHwcp8/eCy1v3n.0s5pZ7hXnEY3Ld0xYA0y4EKuCv1oWcD9UpDQaWkHOqvFnQFOvW9ytiJvIzP3iZ1Ekz/");
    let bob: Vec<String> = line_of(&shadow, "bob")
        .split(':')
        .map(String::from)
        .collect();
    assert!(
        bob[1].starts_with("$6$") && bob[1].len() > 90,
        "plain_text_passwd hashed: {}",
        bob[1]
    );
    assert_eq!(bob[7], "22645", "expiredate 2032-01-01 in days");
    // lock_passwd defaults to true: the default user's hash is locked, kept.
    assert!(line_of(&shadow, "debian").starts_with("debian:!$6$keepme$"));
    // svc is a system user with no password: locked.
    assert!(line_of(&shadow, "svc").starts_with("svc:!:"));
    // chpasswd with expire: false sets root's password without forcing a change.
    let root_pw: Vec<String> = line_of(&shadow, "root")
        .split(':')
        .map(String::from)
        .collect();
    assert!(root_pw[1].starts_with("$6$"));
    assert_ne!(root_pw[2], "0");
    // No secret ever reaches the log.
    let log = read(&root, "var/log/egret.log");
    for secret in ["bob-Secret-Pw-42", "root-Plain-Pw-7", "3xnLzHwcp8", &bob[1]] {
        assert!(
            !err.contains(secret) && !log.contains(secret),
            "secret {secret} logged"
        );
    }
}

#[test]
fn homes_keys_and_sudo() {
    let s = Scratch::new("keys");
    let (root, _) = apply_full(&s);
    assert_eq!(meta(&root, "home/alice"), (0o700, 1001, 1003));
    assert_eq!(meta(&root, "home/alice/.bashrc"), (0o644, 1001, 1003));
    assert_eq!(
        read(&root, "home/alice/.bashrc"),
        read(&root, "etc/skel/.bashrc")
    );
    assert_eq!(meta(&root, "home/alice/.ssh"), (0o700, 1001, 1003));
    assert_eq!(
        meta(&root, "home/alice/.ssh/authorized_keys"),
        (0o600, 1001, 1003)
    );
    assert_eq!(
        read(&root, "home/alice/.ssh/authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAliceKeyAliceKeyAliceKeyAliceKey0000 alice@laptop\n"
    );
    assert!(!root.join("home/svc").exists(), "system user without home");

    // The default user gets meta-data and top-level keys; the image's key stays.
    assert_eq!(
        read(&root, "home/debian/.ssh/authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExistingKeyOfTheImage existing@image\n\
         ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMetaDataKeyForTheDefaultUser0000000000 meta@example\n\
         ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCTopLevelKeyTopLevelKey top@example\n"
    );
    assert_eq!(
        meta(&root, "home/debian/.ssh/authorized_keys"),
        (0o600, 1000, 1000)
    );
    // disable_root (default): root's copy tells you to log in as debian.
    let rk = read(&root, "root/.ssh/authorized_keys");
    assert_eq!(rk.lines().count(), 2);
    assert!(
        rk.lines().all(|l| l.starts_with("no-port-forwarding,")
            && l.contains(
                "Please login as the user \\\"debian\\\" rather than the user \\\"root\\\""
            )),
        "{rk}"
    );
    assert_eq!(meta(&root, "root/.ssh"), (0o700, 0, 0));

    assert_eq!(
        read(&root, "etc/sudoers.d/90-egret-users"),
        "# Written by egret: sudo rules from the instance's user-data.\n\n# User rules for debian\ndebian ALL=(ALL) NOPASSWD:ALL\n\n# User rules for alice\nalice ALL=(ALL) NOPASSWD:ALL\n\n# User rules for bob\nbob ALL=(ALL) /usr/bin/systemctl\n"
    );
    assert_eq!(meta(&root, "etc/sudoers.d/90-egret-users"), (0o440, 0, 0));
    assert_eq!(
        read(&root, "etc/sudoers"),
        fs::read_to_string(fixture("sysroot/debian/etc/sudoers")).unwrap(),
        "sudoers already includes sudoers.d"
    );
}

#[test]
fn hostname_hosts_timezone_sshd() {
    let s = Scratch::new("host");
    let (root, err) = apply_full(&s);
    assert_eq!(read(&root, "etc/hostname"), "web1\n");
    assert_eq!(read(&root, "etc/hosts"), "127.0.1.1 web1.example.org web1\n127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n");
    assert_eq!(read(&root, "etc/timezone"), "Europe/Berlin\n");
    assert_eq!(
        fs::read_link(root.join("etc/localtime")).unwrap().to_str(),
        Some("../usr/share/zoneinfo/Europe/Berlin")
    );
    assert_eq!(
        read(&root, "etc/ssh/sshd_config.d/50-egret.conf"),
        "# Written by egret (ssh_pwauth).\nPasswordAuthentication no\n"
    );
    assert!(
        err.contains("`packages` ignored: egret installs no packages"),
        "{err}"
    );
}

#[test]
fn write_files_with_encodings_owners_defer_append() {
    let s = Scratch::new("files");
    let (root, _) = apply_full(&s);
    assert_eq!(read(&root, "etc/motd"), "Welcome to web1.\n");
    assert_eq!(meta(&root, "etc/motd"), (0o644, 0, 0));
    assert_eq!(read(&root, "etc/app/config.json"), "{\"key\": \"value\"}\n");
    assert_eq!(meta(&root, "etc/app/config.json"), (0o640, 1001, 1001));
    assert_eq!(meta(&root, "etc/app"), (0o755, 0, 0));
    assert_eq!(
        read(&root, "home/alice/notes.txt"),
        "deferred until alice exists"
    );
    assert_eq!(meta(&root, "home/alice/notes.txt"), (0o644, 1001, 1003));
    assert_eq!(read(&root, "etc/hosts.allow"), "sshd: ALL\n");
    let leftovers: Vec<_> = snapshot(&root)
        .into_keys()
        .filter(|k| k.contains(".egret-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn host_keys_and_first_boot_scripts() {
    let s = Scratch::new("firstboot");
    let (root, _) = apply_full(&s);
    let key = read(&root, "etc/ssh/ssh_host_ed25519_key");
    assert!(
        key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        "image key replaced by a fresh one"
    );
    assert_eq!(meta(&root, "etc/ssh/ssh_host_ed25519_key"), (0o600, 0, 0));
    assert!(read(&root, "etc/ssh/ssh_host_ed25519_key.pub")
        .starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
    let keygen = read(&root, "etc/systemd/system/egret-ssh-keygen.service");
    assert!(
        !keygen.contains("Before=ssh.service"),
        "default key types do not hold sshd back"
    );
    assert!(
        read(&root, "var/lib/egret/ssh-keygen").contains("-t rsa")
            && read(&root, "var/lib/egret/ssh-keygen").contains("-t ecdsa")
    );

    assert_eq!(
        read(&root, "var/lib/egret/scripts/001-bootcmd"),
        "#!/bin/sh\necho bootcmd ran > /run/bootcmd\n"
    );
    assert_eq!(read(&root, "var/lib/egret/scripts/002-runcmd"), "#!/bin/sh\nsh -c 'echo '\\''hello from runcmd'\\'' > /var/tmp/runcmd'\ntouch /var/tmp/second\n");
    assert_eq!(
        meta(&root, "var/lib/egret/scripts/002-runcmd"),
        (0o700, 0, 0)
    );
    let unit = read(&root, "etc/systemd/system/egret-firstboot.service");
    assert!(
        unit.contains("ConditionPathExists=!/var/lib/egret/scripts.done")
            && unit.contains("ExecStart=/bin/sh /var/lib/egret/firstboot")
    );
    assert_eq!(
        fs::read_link(
            root.join("etc/systemd/system/multi-user.target.wants/egret-firstboot.service")
        )
        .unwrap()
        .to_str(),
        Some("/etc/systemd/system/egret-firstboot.service")
    );
    assert_eq!(read(&root, "var/lib/egret/instance-id"), "iid-full-01\n");
}

#[test]
fn second_apply_changes_nothing_and_force_gives_the_same_bytes() {
    let s = Scratch::new("idem");
    let (root, _) = apply_full(&s);
    let seed = s.path("seed-full");
    let first = snapshot(&root);
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0);
    assert!(err.contains("already applied; nothing to do"), "{err}");
    assert_eq!(diff(&first, &snapshot(&root)), Vec::<String>::new());

    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &["--force"], ""));
    assert_eq!(code, 0, "{err}");
    let mut a = first.clone();
    let mut b = snapshot(&root);
    // The log grows by design; the host key is per instance, not per run.
    a.remove("var/log/egret.log");
    b.remove("var/log/egret.log");
    assert_eq!(diff(&a, &b), Vec::<String>::new());
}

#[test]
fn a_new_instance_is_provisioned_again_without_duplicates() {
    let s = Scratch::new("newiid");
    let (root, _) = apply_full(&s);
    let key1 = read(&root, "etc/ssh/ssh_host_ed25519_key");
    let seed2 = s.seed("full");
    let md = read(&seed2, "meta-data").replace("iid-full-01", "iid-full-02");
    fs::write(seed2.join("meta-data"), md).unwrap();
    let (code, _, err) = text(&apply_seed(&s, &root, &seed2, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("new instance iid-full-02 (was iid-full-01)"),
        "{err}"
    );
    assert_ne!(
        read(&root, "etc/ssh/ssh_host_ed25519_key"),
        key1,
        "host key regenerated per instance"
    );
    let passwd = read(&root, "etc/passwd");
    assert_eq!(passwd.matches("\nalice:").count(), 1);
    assert_eq!(read(&root, "etc/group").matches("\nadmins:").count(), 1);
    assert_eq!(
        read(&root, "home/debian/.ssh/authorized_keys")
            .lines()
            .count(),
        3
    );
}

#[test]
fn injected_seed_is_found_without_from() {
    let s = Scratch::new("injected");
    let root = s.sysroot();
    let seed = root.join("var/lib/cloud/seed/nocloud");
    fs::create_dir_all(&seed).unwrap();
    fs::write(seed.join("meta-data"), "instance-id: iid-injected\n").unwrap();
    fs::write(
        seed.join("user-data"),
        "#cloud-config\nhostname: injected-host\n",
    )
    .unwrap();
    let (code, _, err) = text(&egret(
        &["apply", "--sysroot", root.to_str().unwrap()],
        &s.cmdline("quiet"),
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("source injected:/var/lib/cloud/seed/nocloud: found"),
        "{err}"
    );
    assert_eq!(read(&root, "etc/hostname"), "injected-host\n");
}

#[test]
fn egret_seed_dir_wins_over_cloud_init_seed() {
    let s = Scratch::new("injected-order");
    let root = s.sysroot();
    for (dir, host) in [
        ("etc/egret/seed", "from-egret"),
        ("var/lib/cloud/seed/nocloud", "from-cloud-init"),
    ] {
        fs::create_dir_all(root.join(dir)).unwrap();
        fs::write(
            root.join(dir).join("user-data"),
            format!("#cloud-config\nhostname: {host}\n"),
        )
        .unwrap();
    }
    let (code, _, err) = text(&egret(
        &["apply", "--sysroot", root.to_str().unwrap()],
        &s.cmdline(""),
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&root, "etc/hostname"), "from-egret\n");
}

#[test]
fn cmdline_ds_overrides_instance_id_and_hostname() {
    let s = Scratch::new("cmdline");
    let root = s.sysroot();
    let seed = s.seed_with(
        "cl",
        &[
            (
                "meta-data",
                b"instance-id: from-seed\nlocal-hostname: seedhost\n",
            ),
            ("user-data", b"#cloud-config\n"),
        ],
    );
    let cl = s.cmdline(&format!(
        "root=/dev/vda1 ro ds=nocloud;s=file://{}/;i=iid-cmdline;h=cmdhost console=ttyS0\n",
        seed.display()
    ));
    let (code, _, err) = text(&egret(&["apply", "--sysroot", root.to_str().unwrap()], &cl));
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&root, "var/lib/egret/instance-id"), "iid-cmdline\n");
    assert_eq!(read(&root, "etc/hostname"), "cmdhost\n");
}

#[test]
fn egret_off_does_nothing() {
    let s = Scratch::new("off");
    let root = s.sysroot();
    let seed = s.seed("full");
    let before = snapshot(&root);
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], "quiet egret=off"));
    assert_eq!(code, 0);
    assert!(err.contains("disabled by egret=off"));
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn nothing_found_is_not_an_error() {
    let s = Scratch::new("nothing");
    let root = s.sysroot();
    let before = snapshot(&root);
    let (code, _, err) = text(&egret(
        &["apply", "--sysroot", root.to_str().unwrap()],
        &s.cmdline(""),
    ));
    assert_eq!(code, 0);
    assert!(
        err.contains("no configuration source found; nothing to do"),
        "{err}"
    );
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn gzip_and_multipart_user_data() {
    let s = Scratch::new("mime");
    let root = s.sysroot();
    let mime = "Content-Type: multipart/mixed; boundary=\"===============4242==\"\nMIME-Version: 1.0\n\n--===============4242==\nContent-Type: text/cloud-config; charset=\"us-ascii\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename=\"config.yaml\"\n\n#cloud-config\nhostname: from-mime\nusers: []\n\n--===============4242==\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"hello.sh\"\n\nIyEvYmluL3NoCmVjaG8gaGVsbG8K\n--===============4242==--\n";
    let raw = s.path("ud");
    fs::write(&raw, mime).unwrap();
    let gz = std::process::Command::new("gzip")
        .arg("-9nc")
        .arg(&raw)
        .output()
        .unwrap();
    assert!(gz.status.success());
    let seed = s.seed_with(
        "gz",
        &[
            ("meta-data", b"instance-id: iid-mime\n"),
            ("user-data", &gz.stdout),
        ],
    );
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&root, "etc/hostname"), "from-mime\n");
    assert_eq!(
        read(&root, "var/lib/egret/scripts/001-hello.sh"),
        "#!/bin/sh\necho hello\n"
    );
}

#[test]
fn binary_gzip_write_files_like_cloud_init_docs() {
    let s = Scratch::new("binary");
    let root = s.sysroot();
    // cloud-init's documented example: gzip bytes as !!binary.
    let ud = b"#cloud-config\nwrite_files:\n- encoding: gzip\n  content: !!binary |\n    H4sIAIDb/U8C/1NW1E/KzNMvzuBKTc7IV8hIzcnJVyjPL8pJ4QIA6N+MVxsAAAA=\n  path: /usr/bin/hello\n  permissions: '0755'\n";
    let seed = s.seed_with(
        "bin",
        &[("meta-data", b"instance-id: iid-bin\n"), ("user-data", ud)],
    );
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        read(&root, "usr/bin/hello"),
        "#!/bin/sh\necho hello world\n"
    );
    assert_eq!(meta(&root, "usr/bin/hello"), (0o755, 0, 0));
}

#[test]
fn no_default_user_sends_keys_to_root() {
    let s = Scratch::new("rootkeys");
    let root = s.sysroot();
    fs::remove_file(root.join("etc/egret/egret.conf")).unwrap();
    let seed = s.seed_with("rk", &[("meta-data", b"instance-id: i-1\npublic-keys: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootOnly root@x\n"), ("user-data", b"#cloud-config\nusers: [default]\n")]);
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("`default` user skipped"), "{err}");
    assert_eq!(
        read(&root, "root/.ssh/authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootOnly root@x\n"
    );
}

/// Large documents take every path of the binary's allocator: small size
/// classes growing into their own mappings, remapped as they grow.
#[test]
fn megabytes_of_content_arrive_byte_exact() {
    let s = Scratch::new("big");
    let root = s.sysroot();
    let body: String = (0..60_000u32)
        .map(|i| format!("line {i} {}\n", i.wrapping_mul(2_654_435_761)))
        .collect();
    let mut ud =
        String::from("#cloud-config\nwrite_files:\n  - path: /var/big.txt\n    content: |\n");
    for l in body.lines() {
        ud.push_str("      ");
        ud.push_str(l);
        ud.push('\n');
    }
    let seed = s.seed_with(
        "big",
        &[
            ("meta-data", b"instance-id: big\n"),
            ("user-data", ud.as_bytes()),
        ],
    );
    assert!(ud.len() > 1 << 20, "{}", ud.len());
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(root.join("var/big.txt")).unwrap(), body);
}
