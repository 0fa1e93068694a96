//! Block-device and firmware sources through the real binary: NoCloud,
//! config-2 and OpenNebula media made by genisoimage, xorriso and
//! mkfs.vfat+mtools; fw_cfg and SMBIOS trees as the kernel shows them; and
//! detection over a fake `/sys` + `/dev` (`EGRET_HOST`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

/// `egret apply --sysroot ROOT [--from FROM]` with the scratch's command line and host.
fn apply(s: &Scratch, root: &Path, from: Option<&str>, cmdline: &str) -> (i32, String, String) {
    let mut args = vec!["apply", "--sysroot", root.to_str().unwrap()];
    if let Some(f) = from {
        args.extend(["--from", f]);
    }
    text(&egret(&args, &s.cmdline(cmdline)))
}

/// `egret apply --sysroot ROOT --from KIND:PATH`.
fn apply_from(s: &Scratch, root: &Path, kind: &str, path: &Path) -> (i32, String, String) {
    apply(s, root, Some(&format!("{kind}:{}", path.display())), "")
}

/// A snapshot without what differs between two applies by design: random
/// salts and host keys, and the log.
fn stable(root: &Path) -> Snapshot {
    let mut snap = snapshot(root);
    snap.retain(|k, _| {
        !(k == "etc/shadow" || k.starts_with("etc/ssh/ssh_host_") || k == "var/log/egret.log")
    });
    snap
}

#[test]
fn nocloud_on_every_kind_of_medium_gives_the_same_sysroot() {
    let s = Scratch::new("media");
    let seed = s.seed("full");
    let reference = {
        let root = s.path("ref");
        copy_tree(&s.sysroot(), &root);
        let (code, _, err) = apply_from(&s, &root, "nocloud", &seed);
        assert_eq!(code, 0, "{err}");
        stable(&root)
    };
    let media: Vec<(&str, PathBuf)> = vec![
        (
            "genisoimage -J -r",
            iso(&seed, &s.path("jr.iso"), "cidata", &["-J", "-r"]),
        ),
        (
            "genisoimage -J",
            iso(&seed, &s.path("j.iso"), "cidata", &["-J"]),
        ),
        (
            "genisoimage -r",
            iso(&seed, &s.path("r.iso"), "CIDATA", &["-r"]),
        ),
        (
            "genisoimage level 1",
            iso(&seed, &s.path("l1.iso"), "cidata", &[]),
        ),
        (
            "xorriso -r -J",
            iso(&seed, &s.path("x.iso"), "cidata", &["xorriso", "-r", "-J"]),
        ),
        ("mkfs.vfat", vfat(&seed, &s.path("seed.img"), "CIDATA")),
    ];
    for (what, img) in media {
        let root = s.path(&format!("root-{}", what.replace(' ', "_")));
        let _ = fs::remove_dir_all(&root);
        copy_tree(&s.sysroot(), &root);
        let (code, _, err) = apply_from(&s, &root, "nocloud", &img);
        assert_eq!(code, 0, "{what}: {err}");
        assert!(
            err.contains(&format!("source nocloud:{}: found", img.display())),
            "{what}: {err}"
        );
        assert_eq!(
            diff(&reference, &stable(&root)),
            Vec::<String>::new(),
            "{what}"
        );
    }
}

#[test]
fn config_drive_on_iso_and_vfat() {
    let s = Scratch::new("cfg2");
    let tree = fixture("configdrive");
    for (what, img) in [
        (
            "iso",
            iso(&tree, &s.path("cfg2.iso"), "config-2", &["-J", "-r"]),
        ),
        ("vfat", vfat(&tree, &s.path("cfg2.img"), "CONFIG-2")),
    ] {
        let root = s.path(&format!("root-{what}"));
        copy_tree(&s.sysroot(), &root);
        let (code, _, err) = apply_from(&s, &root, "configdrive", &img);
        assert_eq!(code, 0, "{what}: {err}");
        assert_eq!(
            read(&root, "var/lib/egret/instance-id").trim(),
            "83679162-1378-4288-a2d4-70e13ec132aa"
        );
        assert_eq!(read(&root, "etc/hostname"), "cfg2\n", "{what}");
        let keys = read(&root, "home/debian/.ssh/authorized_keys");
        assert!(
            keys.contains("NovaKey") && keys.contains("SecondKey"),
            "{what}: {keys}"
        );
        assert_eq!(
            keys.matches("nova@example").count(),
            1,
            "public_keys and keys name the same key once"
        );
        assert!(read(&root, "home/carol/.ssh/authorized_keys").contains("CarolKey"));
        assert_eq!(read(&root, "etc/cfg2-vendor"), "from vendor_data.json");
        assert!(
            read(&root, "etc/ssh/sshd_config.d/50-egret.conf")
                .contains("PasswordAuthentication no"),
            "user_data wins over vendor data"
        );
        assert!(!read(&root, "etc/shadow").contains("Nova-Admin-Pw-9"));
        assert!(
            err.contains("admin_pass ignored (egret.conf has no `configdrive_admin_pass: true`)"),
            "{err}"
        );
        assert!(!err.contains("Nova-Admin-Pw-9"), "secrets never logged");
    }
}

#[test]
fn config_drive_admin_pass_where_the_image_allows_it() {
    let s = Scratch::new("cfg2-admin");
    let root = s.sysroot();
    let conf = root.join("etc/egret/egret.conf");
    let mut text = fs::read_to_string(&conf).unwrap();
    text.push_str("configdrive_admin_pass: true\n");
    fs::write(&conf, text).unwrap();
    let before = read(&root, "etc/shadow");
    let img = iso(
        &fixture("configdrive"),
        &s.path("c.iso"),
        "config-2",
        &["-r"],
    );
    let (code, _, err) = apply_from(&s, &root, "configdrive", &img);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("Nova-Admin-Pw-9"), "secrets never logged");
    let shadow = read(&root, "etc/shadow");
    let line = shadow.lines().find(|l| l.starts_with("debian:")).unwrap();
    let hash = line.split(':').nth(1).unwrap();
    assert!(hash.starts_with("$6$"), "{line}");
    assert!(
        egret::crypt::verify(b"Nova-Admin-Pw-9", hash),
        "the default user's password is admin_pass"
    );
    assert_ne!(before, shadow);
}

#[test]
fn config_drive_without_latest_uses_the_newest_version() {
    let s = Scratch::new("cfg2-dated");
    let tree = s.path("tree");
    for (v, host) in [
        ("2012-08-10", "old"),
        ("2018-08-27", "new"),
        ("2015-10-15", "mid"),
    ] {
        let d = tree.join("openstack").join(v);
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join("meta_data.json"),
            format!(r#"{{"uuid":"u-{host}","hostname":"{host}"}}"#),
        )
        .unwrap();
    }
    fs::create_dir_all(tree.join("ec2/latest")).unwrap();
    let root = s.sysroot();
    let img = iso(&tree, &s.path("c.iso"), "config-2", &["-r"]);
    let (code, _, err) = apply_from(&s, &root, "configdrive", &img);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&root, "etc/hostname"), "new\n");
    assert!(err.contains("openstack/2018-08-27: found"), "{err}");
}

#[test]
fn opennebula_context_iso() {
    let s = Scratch::new("one");
    let root = s.sysroot();
    let img = iso(
        &fixture("opennebula"),
        &s.path("ctx.iso"),
        "CONTEXT",
        &["-J"],
    );
    let (code, _, err) = apply_from(&s, &root, "opennebula", &img);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        read(&root, "var/lib/egret/instance-id").trim(),
        "opennebula-42"
    );
    assert_eq!(read(&root, "etc/hostname"), "one-vm\n");
    let passwd = read(&root, "etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("oneadmin:"))
        .expect("user made");
    assert!(line.ends_with(":/home/oneadmin:/bin/sh"), "{line}");
    let keys = read(&root, "home/oneadmin/.ssh/authorized_keys");
    assert!(keys.contains("OneKey") && keys.contains("TwoKey"), "{keys}");
    assert!(read(&root, "etc/shadow").contains("oneadmin:$6$rounds=4096$saltsalt$3xnL"));
    assert!(read(&root, "etc/sudoers.d/90-egret-users").contains("oneadmin ALL=(ALL) NOPASSWD:ALL"));
    assert_eq!(read(&root, "etc/one-userdata"), "from USER_DATA");
    let scripts = fs::read_dir(root.join("var/lib/egret/scripts")).unwrap();
    let bodies: Vec<String> = scripts
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        bodies
            .iter()
            .any(|b| b.starts_with("#!/bin/sh\n") && b.contains("echo 'started'")),
        "{bodies:?}"
    );
}

#[test]
fn malformed_context_sh_is_refused_with_its_position() {
    let s = Scratch::new("one-bad");
    let root = s.sysroot();
    let tree = s.path("ctx");
    fs::create_dir_all(&tree).unwrap();
    fs::write(
        tree.join("context.sh"),
        "HOSTNAME='a'\nUSERNAME='unterminated\n",
    )
    .unwrap();
    let before = snapshot(&root);
    let (code, _, err) = apply_from(&s, &root, "opennebula", &tree);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("opennebula:{}/context.sh:2:", tree.display())),
        "{err}"
    );
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn a_damaged_medium_is_an_error_naming_it_and_nothing_is_written() {
    let s = Scratch::new("damaged");
    let root = s.sysroot();
    let img = iso(
        &fixture("nocloud/full"),
        &s.path("seed.iso"),
        "cidata",
        &["-J", "-r"],
    );
    let bytes = fs::read(&img).unwrap();
    // Cut inside the root directory's extent.
    let cut = s.path("cut.iso");
    fs::write(&cut, &bytes[..40 * 1024]).unwrap();
    let before = snapshot(&root);
    let (code, _, err) = apply_from(&s, &root, "nocloud", &cut);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("nocloud:{}: ", cut.display())),
        "{err}"
    );
    assert!(err.contains("at byte"), "the error names the offset: {err}");
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());

    let zeros = s.path("zeros.img");
    fs::write(&zeros, vec![0u8; 64 << 10]).unwrap();
    let (code, _, err) = apply_from(&s, &root, "nocloud", &zeros);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("neither ISO9660 nor FAT at byte 0"), "{err}");
}

/// A fake machine under the scratch's `host/`: block devices whose `/dev`
/// nodes are image files.
fn device(s: &Scratch, name: &str, image: Option<&Path>) {
    let host = s.path("host");
    let sys = host.join("sys/class/block").join(name);
    fs::create_dir_all(&sys).unwrap();
    fs::create_dir_all(host.join("dev")).unwrap();
    match image {
        Some(img) => {
            let size = fs::metadata(img).unwrap().len() / 512;
            fs::write(sys.join("size"), format!("{size}\n")).unwrap();
            fs::copy(img, host.join("dev").join(name)).unwrap();
        }
        None => fs::write(sys.join("size"), "0\n").unwrap(),
    }
}

#[test]
fn detection_finds_labelled_devices_in_precedence_order() {
    let s = Scratch::new("detect");
    let root = s.sysroot();
    device(&s, "loop0", None);
    device(
        &s,
        "vda",
        Some(&{
            let p = s.path("zero.img");
            fs::write(&p, vec![0u8; 64 << 10]).unwrap();
            p
        }),
    );
    device(
        &s,
        "sr0",
        Some(&iso(
            &fixture("configdrive"),
            &s.path("c.iso"),
            "config-2",
            &["-r"],
        )),
    );
    device(
        &s,
        "vdb",
        Some(&vfat(&fixture("nocloud/full"), &s.path("n.img"), "cidata")),
    );
    device(
        &s,
        "sr1",
        Some(&iso(
            &fixture("opennebula"),
            &s.path("o.iso"),
            "CONTEXT",
            &["-J"],
        )),
    );
    let (code, _, err) = apply(&s, &root, None, "");
    assert_eq!(code, 0, "{err}");
    let host = s.path("host");
    let at = |needle: &str| {
        err.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {err}"))
    };
    // NoCloud first, then config-2, then OpenNebula, whatever the device names.
    let n = at(&format!(
        "{}/dev/vdb labelled cidata: nocloud",
        host.display()
    ));
    let c = at(&format!(
        "{}/dev/sr0 labelled config-2: configdrive",
        host.display()
    ));
    let o = at(&format!(
        "{}/dev/sr1 labelled CONTEXT: opennebula",
        host.display()
    ));
    assert!(n < c && c < o, "{err}");
    assert!(err.contains("detect: 3 labelled block device(s)"), "{err}");
    assert!(
        err.contains(&format!("source nocloud:{}/dev/vdb: found", host.display())),
        "{err}"
    );
    assert_eq!(
        read(&root, "var/lib/egret/instance-id").trim(),
        "iid-full-01"
    );
}

#[test]
fn a_promised_disk_is_waited_for_within_the_timeout() {
    let s = Scratch::new("wait");
    let root = s.sysroot();
    let (code, _, err) = apply(&s, &root, None, "ds=nocloud egret.timeout=1");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("ds= promises a nocloud disk: waiting up to 1 s"),
        "{err}"
    );
    assert!(err.contains("detect: no nocloud disk after"), "{err}");
    // Without a promise there is no wait at all; `i=`/`h=` make the command
    // line a seed of its own, so they promise no disk either.
    let (_, _, err) = apply(&s, &root, None, "");
    assert!(!err.contains("waiting"), "{err}");
    let (code, _, err) = apply(&s, &root, None, "ds=nocloud;i=iid-cmdline egret.timeout=30");
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("waiting"), "{err}");
    assert!(
        err.contains("source: only the kernel command line"),
        "{err}"
    );
}

/// A fw_cfg entry as the kernel shows it: `raw` and `size`.
fn fw_cfg(s: &Scratch, name: &str, value: &[u8]) {
    let d = s.path("host/sys/firmware/qemu_fw_cfg/by_name").join(name);
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("raw"), value).unwrap();
    fs::write(d.join("size"), format!("{}\n", value.len())).unwrap();
}

const ROOT_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootCredKeyRootCredKeyRootCredKeyRoot0 cred@host";
const HASH: &str = "$6$rounds=4096$saltsalt$3xnLzHwcp8/eCy1v3n.0s5pZ7hXnEY3Ld0xYA0y4EKuCv1oWcD9UpDQaWkHOqvFnQFOvW9ytiJvIzP3iZ1Ekz/";

#[test]
fn fw_cfg_documents_and_credentials() {
    let s = Scratch::new("fwcfg");
    let root = s.sysroot();
    fw_cfg(
        &s,
        "opt/dev.egret/user-data",
        b"#cloud-config\nwrite_files:\n  - path: /etc/from-fwcfg\n    content: hi\n",
    );
    fw_cfg(
        &s,
        "opt/io.systemd.credentials/system.hostname",
        b"fw-host\n",
    );
    fw_cfg(
        &s,
        "opt/io.systemd.credentials/ssh.authorized_keys.root",
        format!("{ROOT_KEY}\n").as_bytes(),
    );
    fw_cfg(
        &s,
        "opt/io.systemd.credentials/passwd.hashed-password.root",
        HASH.as_bytes(),
    );
    fw_cfg(
        &s,
        "opt/io.systemd.credentials/passwd.plaintext-password.root",
        b"loses-to-the-hash",
    );
    fw_cfg(
        &s,
        "opt/io.systemd.credentials/firstboot.locale",
        b"C.UTF-8",
    );
    fw_cfg(
        &s,
        "opt/io.systemd.credentials/passwd.shell.root",
        b"/bin/zsh\n",
    );
    let (code, _, err) = apply(&s, &root, None, "");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("detect: fw_cfg entries"), "{err}");
    assert_eq!(read(&root, "etc/from-fwcfg"), "hi");
    assert_eq!(read(&root, "etc/hostname"), "fw-host\n");
    assert!(read(&root, "root/.ssh/authorized_keys").contains(ROOT_KEY));
    assert!(read(&root, "etc/shadow").contains(&format!("root:{HASH}:")));
    let passwd = read(&root, "etc/passwd");
    assert!(
        passwd.lines().next().unwrap().ends_with(":/root:/bin/zsh"),
        "{passwd}"
    );
    assert!(
        err.contains("credential firstboot.locale is left to systemd"),
        "{err}"
    );
    assert!(!err.contains("loses-to-the-hash"));

    // The same machine as a confidential VM: firmware is not trusted.
    let root2 = s.path("root2");
    copy_tree(&fixture("sysroot/debian"), &root2);
    fs::create_dir_all(s.path("host/proc")).unwrap();
    fs::write(
        s.path("host/proc/cpuinfo"),
        "processor\t: 0\nflags\t\t: fpu sse2 hypervisor sev sev_es sev_snp\n",
    )
    .unwrap();
    let (code, _, err) = apply(&s, &root2, None, "");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("source fwcfg: skipped, the hypervisor of a confidential VM (sev_snp)"),
        "{err}"
    );
    assert!(!root2.join("etc/from-fwcfg").exists());
}

/// An SMBIOS type 11 structure with `strings`, as `dmi-sysfs` shows it.
fn oem_strings(s: &Scratch, n: u32, strings: &[&str]) {
    let d = s.path(&format!("host/sys/firmware/dmi/entries/11-{n}"));
    fs::create_dir_all(&d).unwrap();
    let mut raw = vec![11u8, 5, 0, 0, strings.len() as u8];
    for st in strings {
        raw.extend_from_slice(st.as_bytes());
        raw.push(0);
    }
    raw.push(0);
    fs::write(d.join("raw"), raw).unwrap();
}

#[test]
fn smbios_oem_strings_and_the_serial_number() {
    let s = Scratch::new("smbios");
    let root = s.sysroot();
    let b64 = |t: &str| {
        let o = std::process::Command::new("base64")
            .arg("-w0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        o.stdin.as_ref().unwrap().write_all(t.as_bytes()).unwrap();
        String::from_utf8(o.wait_with_output().unwrap().stdout).unwrap()
    };
    oem_strings(
        &s,
        0,
        &["not ours", "io.systemd.credential:system.hostname=oem-host"],
    );
    oem_strings(
        &s,
        1,
        &[&format!(
            "io.systemd.credential.binary:ssh.authorized_keys.root={}",
            b64(ROOT_KEY)
        )],
    );
    let (code, _, err) = apply(&s, &root, None, "");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("detect: SMBIOS OEM strings"), "{err}");
    assert_eq!(read(&root, "etc/hostname"), "oem-host\n");
    assert!(read(&root, "root/.ssh/authorized_keys").contains(ROOT_KEY));
    assert!(read(&root, "var/lib/egret/instance-id").starts_with("credentials-"));

    // cloud-init's ds=nocloud in the system serial points at a seed.
    let s2 = Scratch::new("serial");
    let root2 = s2.sysroot();
    let seed = s2.seed("full");
    let id = s2.path("host/sys/class/dmi/id");
    fs::create_dir_all(&id).unwrap();
    fs::write(
        id.join("product_serial"),
        format!("ds=nocloud;s=file://{}/;i=iid-serial\n", seed.display()),
    )
    .unwrap();
    let (code, _, err) = apply(&s2, &root2, None, "");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("detect: ds= from the SMBIOS system serial"),
        "{err}"
    );
    assert_eq!(
        read(&root2, "var/lib/egret/instance-id").trim(),
        "iid-serial"
    );
}
