//! The less common forms of the keys egret applies, one behaviour a test.

use crate::common::*;
use std::fs;

/// Applies `user_data` (and optionally vendor-data) onto a fresh sysroot.
fn run(
    name: &str,
    user_data: &str,
    vendor: Option<&str>,
    prepare: impl FnOnce(&std::path::Path),
) -> (Scratch, std::path::PathBuf, String) {
    let s = Scratch::new(name);
    let root = s.sysroot();
    prepare(&root);
    let mut files: Vec<(&str, &[u8])> = vec![
        (
            "meta-data",
            b"instance-id: iid-v\nlocal-hostname: node7.example.net\n",
        ),
        ("user-data", user_data.as_bytes()),
    ];
    if let Some(v) = vendor {
        files.push(("vendor-data", v.as_bytes()));
    }
    let seed = s.seed_with(name, &files);
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{name}: {err}");
    (s, root, err)
}

#[test]
fn vendor_data_is_below_user_data() {
    let (_s, root, _) = run(
        "vendor",
        "#cloud-config\nhostname: from-user\n",
        Some("#cloud-config\nhostname: from-vendor\ntimezone: Europe/Berlin\nruncmd: [echo vendor]\n"),
        |_| {},
    );
    assert_eq!(read(&root, "etc/hostname"), "from-user\n");
    assert_eq!(
        read(&root, "etc/timezone"),
        "Europe/Berlin\n",
        "vendor keys user-data does not set still apply"
    );
    assert_eq!(
        read(&root, "var/lib/egret/scripts/001-runcmd"),
        "#!/bin/sh\necho vendor\n"
    );
}

#[test]
fn meta_data_hostname_prefer_fqdn_and_template_hosts() {
    let (_s, root, _) = run(
        "fqdn",
        "#cloud-config\nprefer_fqdn_over_hostname: true\nmanage_etc_hosts: true\n",
        None,
        |_| {},
    );
    assert_eq!(read(&root, "etc/hostname"), "node7.example.net\n");
    let hosts = read(&root, "etc/hosts");
    assert!(
        hosts.contains("\n127.0.1.1 node7.example.net node7\n127.0.0.1 localhost\n"),
        "{hosts}"
    );
    assert!(hosts.starts_with("# Written by egret"), "{hosts}");
}

#[test]
fn preserve_hostname_leaves_it_alone() {
    let (_s, root, err) = run(
        "preserve",
        "#cloud-config\npreserve_hostname: true\nhostname: other\n",
        None,
        |_| {},
    );
    assert_eq!(read(&root, "etc/hostname"), "debian\n");
    assert!(err.contains("preserve_hostname set"), "{err}");
}

#[test]
fn old_users_dict_form_password_key_and_chpasswd_list() {
    let (_s, root, _) = run(
        "dictform",
        "#cloud-config\nusers:\n  default:\n  carol:\n    gecos: Carol\n    lock_passwd: false\npassword: debian-pw-1\nchpasswd:\n  list: |\n    carol:$6$abc$hashhashhash\n",
        None,
        |_| {},
    );
    let passwd = read(&root, "etc/passwd");
    assert!(
        passwd.contains("\ncarol:x:1001:1001:Carol:/home/carol:/bin/sh\n"),
        "{passwd}"
    );
    let shadow = read(&root, "etc/shadow");
    let carol: Vec<&str> = shadow
        .lines()
        .find(|l| l.starts_with("carol:"))
        .unwrap()
        .split(':')
        .collect();
    assert_eq!(
        (carol[1], carol[2]),
        ("$6$abc$hashhashhash", "0"),
        "chpasswd expire defaults to true"
    );
    let debian: Vec<&str> = shadow
        .lines()
        .find(|l| l.starts_with("debian:"))
        .unwrap()
        .split(':')
        .collect();
    assert!(
        debian[1].starts_with("$6$") && !debian[1].contains("keepme"),
        "password: sets the default user's"
    );
    assert_eq!(debian[2], "0");
}

#[test]
fn explicit_key_types_hold_sshd_back() {
    let (_s, root, _) = run(
        "keytypes",
        "#cloud-config\nssh_genkeytypes: [ed25519, rsa]\n",
        None,
        |_| {},
    );
    let unit = read(&root, "etc/systemd/system/egret-ssh-keygen.service");
    assert!(unit.contains("Before=ssh.service sshd.service"), "{unit}");
    let script = read(&root, "var/lib/egret/ssh-keygen");
    assert!(
        script.contains("-t rsa") && !script.contains("-t ecdsa"),
        "{script}"
    );
}

#[test]
fn ssh_deletekeys_false_keeps_the_image_keys() {
    let (_s, root, _) = run(
        "keepkeys",
        "#cloud-config\nssh_deletekeys: false\n",
        None,
        |_| {},
    );
    assert_eq!(
        read(&root, "etc/ssh/ssh_host_ed25519_key"),
        "image host key, must go on a new instance\n"
    );
}

#[test]
fn ssh_pwauth_without_include_edits_sshd_config() {
    let (_s, root, _) = run(
        "pwauth",
        "#cloud-config\nssh_pwauth: true\n",
        None,
        |root| {
            fs::write(
                root.join("etc/ssh/sshd_config"),
                "Port 22\nPasswordAuthentication no\nMatch User x\n  X11Forwarding no\n",
            )
            .unwrap();
        },
    );
    assert_eq!(
        read(&root, "etc/ssh/sshd_config"),
        "Port 22\nPasswordAuthentication yes\nMatch User x\n  X11Forwarding no\n"
    );
    assert!(!root.join("etc/ssh/sshd_config.d/50-egret.conf").exists());
}

#[test]
fn selinux_images_get_a_relabel_list() {
    let (_s, root, _) = run(
        "selinux",
        "#cloud-config\nhostname: labelled\n",
        None,
        |root| {
            fs::create_dir_all(root.join("etc/selinux")).unwrap();
            fs::write(
                root.join("etc/selinux/config"),
                "SELINUX=enforcing\nSELINUXTYPE=targeted\n",
            )
            .unwrap();
        },
    );
    let list = read(&root, "etc/tmpfiles.d/egret-relabel.conf");
    assert!(list.contains("\nz /etc/hostname - - - -\n"), "{list}");
    assert!(
        list.contains("\nz /etc/ssh/ssh_host_ed25519_key - - - -\n"),
        "{list}"
    );
}

#[test]
fn no_relabel_list_without_selinux() {
    let (_s, root, _) = run(
        "noselinux",
        "#cloud-config\nhostname: plain\n",
        None,
        |_| {},
    );
    assert!(!root.join("etc/tmpfiles.d/egret-relabel.conf").exists());
}

#[test]
fn egret_sources_on_the_cmdline_choose_the_seed() {
    let s = Scratch::new("sources");
    let root = s.sysroot();
    let seed = s.seed_with(
        "src",
        &[
            ("meta-data", b"instance-id: iid-src\n"),
            ("user-data", b"#cloud-config\nhostname: from-sources\n"),
        ],
    );
    // An injected seed exists too, but egret.sources= names only the other one.
    fs::create_dir_all(root.join("etc/egret/seed")).unwrap();
    fs::write(
        root.join("etc/egret/seed/user-data"),
        "#cloud-config\nhostname: injected\n",
    )
    .unwrap();
    let (code, _, err) = text(&egret(
        &["apply", "--sysroot", root.to_str().unwrap()],
        &s.cmdline(&format!("quiet egret.sources=nocloud:{}", seed.display())),
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&root, "etc/hostname"), "from-sources\n");
}

#[test]
fn conflicts_with_the_image_are_refused_before_any_write() {
    // An owner nobody has, and a uid another user holds: both found while
    // planning, so nothing at all is written (exit 2).
    for (name, ud) in [
        ("owner", "#cloud-config\nhostname: never-set\nwrite_files:\n  - path: /etc/x\n    owner: nobody-here:root\n"),
        ("uid", "#cloud-config\nhostname: never-set\nusers:\n  - name: newbie\n    uid: 1000\n"),
    ] {
        let s = Scratch::new(name);
        let root = s.sysroot();
        let seed = s.seed_with(name, &[("meta-data", b"instance-id: iid-conflict\n"), ("user-data", ud.as_bytes())]);
        let before = snapshot(&root);
        let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("nothing written"), "{name}: {err}");
        assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new(), "{name}");
    }
}
