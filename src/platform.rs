//! What platforms say besides cloud-config: OpenStack's `meta_data.json`
//! and `vendor_data.json`, OpenNebula's `context.sh` variables, and systemd
//! credentials from fw_cfg or SMBIOS. Each becomes plain meta-data (instance
//! id, hostname, keys), extra documents, users and scripts that
//! `cloudconfig` folds in below user-data.
//!
//! Like `cloudconfig`, this module only interprets: it never reads a source
//! and never writes. A malformed document is an error naming file and
//! position; a value egret does not use is a warning.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{Content, Password, Script, Secret, User};
use crate::source::{Credential, Documents, MetaKind};
use crate::text::value::{Node, Pos, Value};
use crate::text::{base64, shell};

/// A platform document egret refuses names the file and the position, as
/// every other document does.
pub use crate::cloudconfig::Error;
use crate::cloudconfig::{fail, push_keys, tree, Fail};

/// What a platform adds to the documents of its source.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Platform {
    pub instance_id: Option<String>,
    pub hostname: Option<String>,
    /// Keys for the default user (else root), like NoCloud's `public-keys`.
    pub public_keys: Vec<String>,
    /// User-data carried inside the platform's own document (OpenNebula).
    pub user_data: Option<Vec<u8>>,
    /// Vendor-data unwrapped from the platform's JSON (config drive).
    pub vendor_data: Option<Vec<u8>>,
    /// Users the platform configures (OpenNebula `USERNAME`, root credentials).
    pub users: Vec<User>,
    pub scripts: Vec<Script>,
    /// OpenStack's `admin_pass`; used only if egret.conf allows it.
    pub admin_pass: Option<Secret>,
    pub warnings: Vec<String>,
}

/// Reads the platform documents of `docs`. NoCloud sources give an empty
/// [`Platform`] unless they carry credentials.
pub fn read(docs: &Documents) -> Result<Platform, Error> {
    let mut p = Platform::default();
    fill(docs, &mut p).map_err(|e| *e)?;
    Ok(p)
}

/// [`read`] into `p`, with the boxed error of the other readers: nothing
/// big is moved on the way out.
#[inline(never)]
pub(crate) fn fill(docs: &Documents, p: &mut Platform) -> Result<(), Fail> {
    match docs.meta_kind {
        MetaKind::NoCloud => {}
        MetaKind::ConfigDrive => configdrive(docs, p)?,
        MetaKind::OpenNebula => {
            if let Some(b) = &docs.meta_data {
                opennebula(b, &docs.name("context.sh"), p)?;
            }
        }
    }
    credentials(&docs.credentials, &docs.source, p);
    Ok(())
}

fn bad(file: &str, n: &Node, what: &str) -> Fail {
    fail(file, n.pos, what.to_owned())
}

/// A scalar as text; numbers too (`"uuid": 42` is not worth refusing).
fn text(n: &Node) -> Option<String> {
    match &n.value {
        Value::Str(s) | Value::Float(s) => Some(s.clone()),
        Value::Int(i) => Some(alloc::format!("{i}")),
        _ => None,
    }
}

fn string(file: &str, n: &Node, what: &str) -> Result<Option<String>, Fail> {
    match &n.value {
        Value::Null => Ok(None),
        _ => text(n).map(Some).ok_or_else(|| bad(file, n, what)),
    }
}

/// `k` unless it is empty, a comment or already there.
pub(crate) fn push_key(keys: &mut Vec<String>, k: &str) {
    let k = k.trim_ascii();
    if !k.is_empty() && !k.starts_with('#') && !keys.iter().any(|x| x == k) {
        keys.push(k.to_owned());
    }
}

/// OpenStack `meta_data.json`, `vendor_data.json`.
fn configdrive(docs: &Documents, p: &mut Platform) -> Result<(), Fail> {
    if let Some(b) = &docs.meta_data {
        let file = docs.name("meta_data.json");
        let md = tree(b, &file)?;
        if !matches!(md.value, Value::Map(_)) {
            return Err(bad(&file, &md, "meta_data.json must be an object"));
        }
        if let Some(n) = md.get("uuid") {
            p.instance_id = string(&file, n, "uuid must be a string")?;
        }
        for k in ["hostname", "name"] {
            if let (None, Some(n)) = (&p.hostname, md.get(k)) {
                p.hostname = string(&file, n, "hostname must be a string")?;
            }
        }
        match md.get("public_keys").map(|n| &n.value) {
            None | Some(Value::Null) => {}
            Some(Value::Map(entries)) => {
                for e in entries {
                    let k = text(&e.value)
                        .ok_or_else(|| bad(&file, &e.value, "a public key must be a string"))?;
                    push_key(&mut p.public_keys, &k);
                }
            }
            Some(_) => {
                let n = md.get("public_keys").unwrap_or(&md);
                return Err(bad(&file, n, "public_keys must be an object"));
            }
        }
        if let Some(Value::Seq(keys)) = md.get("keys").map(|n| &n.value) {
            for k in keys {
                if let Some(d) = k.get("data").and_then(text) {
                    push_key(&mut p.public_keys, &d);
                }
            }
        }
        if let Some(n) = md.get("admin_pass") {
            p.admin_pass = string(&file, n, "admin_pass must be a string")?.map(Secret);
        }
    }
    if let Some(b) = &docs.vendor_data {
        let file = docs.name("vendor_data.json");
        let vd = tree(b, &file)?;
        p.vendor_data = vendor(&vd, &file, 0)?;
    }
    Ok(())
}

/// cloud-init's `convert_vendordata`: a string is vendor-data; an object
/// carries it under `cloud-init`.
fn vendor(n: &Node, file: &str, depth: u8) -> Result<Option<Vec<u8>>, Fail> {
    match &n.value {
        Value::Null => Ok(None),
        Value::Str(s) => Ok(Some(s.as_bytes().to_vec())),
        Value::Map(_) if depth == 0 => match n.get("cloud-init") {
            Some(v) => vendor(v, file, 1),
            None => Ok(None),
        },
        _ => Err(bad(
            file,
            n,
            "vendor data must be a string or hold one under `cloud-init`",
        )),
    }
}

/// OpenNebula's context variables, with the meaning its own contextualization
/// packages give them (and cloud-init's for `USER_DATA`).
fn opennebula(bytes: &[u8], file: &str, p: &mut Platform) -> Result<(), Fail> {
    let vars = shell::parse(bytes).map_err(|e| {
        fail(
            file,
            Pos {
                line: e.line,
                col: e.col,
            },
            e.what.to_owned(),
        )
    })?;
    let get = |k: &str| vars.get(k).filter(|v| !v.is_empty());
    let b64 = |k: &str| -> Result<Option<Vec<u8>>, Fail> {
        match get(k) {
            None => Ok(None),
            Some(v) => base64::decode(v.as_bytes()).map(Some).map_err(|_| {
                fail(
                    file,
                    Pos::default(),
                    alloc::format!("{k} is not valid base64"),
                )
            }),
        }
    };
    p.instance_id = get("VMID").map(|id| alloc::format!("opennebula-{id}"));
    p.hostname = get("SET_HOSTNAME")
        .or_else(|| get("HOSTNAME"))
        .map(ToOwned::to_owned);

    let mut keys = Vec::new();
    push_keys(
        &mut keys,
        get("SSH_KEY")
            .or_else(|| get("SSH_PUBLIC_KEY"))
            .unwrap_or_default(),
    );
    let name = get("USERNAME").unwrap_or("root");
    let password = if let Some(h) = b64("CRYPTED_PASSWORD_BASE64")? {
        Some(Password::Hash(Secret(utf8(
            h,
            "CRYPTED_PASSWORD_BASE64",
            file,
        )?)))
    } else if let Some(pw) = b64("PASSWORD_BASE64")? {
        Some(Password::Plain(Secret(utf8(pw, "PASSWORD_BASE64", file)?)))
    } else if let Some(h) = get("CRYPTED_PASSWORD") {
        Some(Password::Hash(Secret(h.to_owned())))
    } else {
        get("PASSWORD").map(|pw| Password::Plain(Secret(pw.to_owned())))
    };
    if name != "root" || !keys.is_empty() || password.is_some() {
        let root = name == "root";
        // One-context gives a named user passwordless sudo unless told NO.
        let sudo = !root && !get("USERNAME_SUDO").is_some_and(|v| v.eq_ignore_ascii_case("no"));
        let mut u = User::named(name, password.is_none() && !root);
        u.shell = Some(get("USERNAME_SHELL").unwrap_or("/bin/bash").to_owned()).filter(|_| !root);
        u.password = password;
        if sudo {
            u.sudo.push("ALL=(ALL) NOPASSWD:ALL".to_owned());
        }
        u.ssh_authorized_keys = keys;
        p.users.push(u);
    }

    let user_data = match get("USER_DATA").or_else(|| get("USERDATA")) {
        None => None,
        Some(u) => {
            let enc = get("USERDATA_ENCODING").or_else(|| get("USER_DATA_ENCODING"));
            if enc.is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
                let k = if get("USER_DATA").is_some() {
                    "USER_DATA"
                } else {
                    "USERDATA"
                };
                b64(k)?
            } else {
                Some(u.as_bytes().to_vec())
            }
        }
    };
    p.user_data = user_data;

    let script = match b64("START_SCRIPT_BASE64")? {
        Some(s) => Some(s),
        None => get("START_SCRIPT").map(|s| s.as_bytes().to_vec()),
    };
    if let Some(mut body) = script {
        if !body.starts_with(b"#!") {
            let mut sh = b"#!/bin/sh\n".to_vec();
            sh.append(&mut body);
            body = sh;
        }
        p.scripts.push(Script {
            name: "START_SCRIPT".to_owned(),
            body: Content(body),
        });
    }
    Ok(())
}

fn utf8(b: Vec<u8>, what: &str, file: &str) -> Result<String, Fail> {
    String::from_utf8(b)
        .map_err(|_| fail(file, Pos::default(), alloc::format!("{what} is not UTF-8")))
}

/// systemd credentials egret applies itself; systemd in the real root reads
/// the others (and these too, where it still can).
fn credentials(creds: &[Credential], source: &str, p: &mut Platform) {
    if creds.is_empty() {
        return;
    }
    let mut root = User::named("root", false);
    let mut touched = false;
    for c in creds {
        let value = core::str::from_utf8(&c.value).map(|v| v.trim_end_matches('\n'));
        let Ok(value) = value else {
            p.warnings.push(alloc::format!(
                "{source}: credential {} is not UTF-8, skipped",
                c.name
            ));
            continue;
        };
        match c.name.as_str() {
            "system.hostname" => p.hostname = Some(value.trim_ascii().to_owned()),
            "ssh.authorized_keys.root" => {
                push_keys(&mut root.ssh_authorized_keys, value);
                touched = true;
            }
            "passwd.hashed-password.root" => {
                root.password = Some(Password::Hash(Secret(value.to_owned())));
                touched = true;
            }
            "passwd.plaintext-password.root" => {
                // The hash wins, whatever the order, as in systemd.
                if !matches!(root.password, Some(Password::Hash(_))) {
                    root.password = Some(Password::Plain(Secret(value.to_owned())));
                }
                touched = true;
            }
            "passwd.shell.root" => {
                root.shell = Some(value.trim_ascii().to_owned());
                root.set_shell = true;
                touched = true;
            }
            other => p.warnings.push(alloc::format!(
                "{source}: credential {other} is left to systemd"
            )),
        }
    }
    if touched {
        p.users.push(root);
    }
    if p.instance_id.is_none() {
        // No instance id in firmware: the credentials themselves are the
        // instance, so new ones provision again and the same ones never twice.
        let mut h = crate::crypt::sha512();
        for c in creds {
            h.update(c.name.as_bytes());
            h.update(&b"\0"[..]);
            h.update(c.value.as_slice());
            h.update(&b"\0"[..]);
        }
        p.instance_id = Some(hex_id("credentials-", &h.finalize(), 8));
    }
}

/// `prefix` and the first `n` bytes of `digest` in hex: with 8, an instance
/// id made from the documents themselves.
pub fn hex_id(prefix: &str, digest: &[u8], n: usize) -> String {
    let mut id = String::from(prefix);
    for nibble in digest.iter().take(n).flat_map(|b| [b >> 4, b & 15]) {
        id.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
    }
    id
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn docs(kind: MetaKind, meta: &str) -> Documents {
        Documents {
            source: "test:/m".to_owned(),
            meta_data: Some(meta.as_bytes().to_vec()),
            meta_kind: kind,
            ..Documents::default()
        }
    }

    fn one(vars: &str) -> Platform {
        read(&docs(MetaKind::OpenNebula, vars)).unwrap()
    }

    #[test]
    fn config_drive_meta_data() {
        let p = read(&docs(
            MetaKind::ConfigDrive,
            r#"{"uuid":"u-1","name":"n1","public_keys":{"a":"ssh-ed25519 AAAA a","b":"ssh-ed25519 BBBB b\n"},
               "keys":[{"data":"ssh-ed25519 AAAA a"},{"data":"ssh-rsa CCCC c"},{"type":"x509"}],"admin_pass":"pw"}"#,
        ))
        .unwrap();
        assert_eq!(p.instance_id.as_deref(), Some("u-1"));
        assert_eq!(
            p.hostname.as_deref(),
            Some("n1"),
            "`name` when there is no `hostname`"
        );
        assert_eq!(
            p.public_keys,
            ["ssh-ed25519 AAAA a", "ssh-ed25519 BBBB b", "ssh-rsa CCCC c"]
        );
        assert!(p.warnings.is_empty());
        assert_eq!(p.admin_pass, Some(Secret("pw".to_owned())));
        let p = read(&docs(
            MetaKind::ConfigDrive,
            r#"{"uuid": 42, "hostname": "h", "name": "n"}"#,
        ))
        .unwrap();
        assert_eq!(
            (p.instance_id.as_deref(), p.hostname.as_deref()),
            (Some("42"), Some("h"))
        );
    }

    #[test]
    fn config_drive_errors_name_the_position() {
        let e = read(&docs(
            MetaKind::ConfigDrive,
            "{\"uuid\": \"u\",\n \"public_keys\": [\"k\"]}",
        ))
        .unwrap_err();
        assert_eq!(e.file, "test:/m/meta_data.json");
        assert_eq!(
            (e.pos.line, e.pos.col, e.msg.as_str()),
            (2, 17, "public_keys must be an object")
        );
        let e = read(&docs(MetaKind::ConfigDrive, "[1]")).unwrap_err();
        assert_eq!(e.msg, "meta_data.json must be an object");
        let e = read(&docs(MetaKind::ConfigDrive, "{\"uuid\": {}}")).unwrap_err();
        assert_eq!(e.msg, "uuid must be a string");
        let e = read(&docs(MetaKind::ConfigDrive, "{\"a\": [}")).unwrap_err();
        assert_eq!(e.pos.line, 1);
    }

    #[test]
    fn vendor_data_forms() {
        let mut d = docs(MetaKind::ConfigDrive, "{}");
        for (vd, want) in [
            (r##""#cloud-config\na: 1""##, Some("#cloud-config\na: 1")),
            (
                r##"{"cloud-init": "#!/bin/sh\necho"}"##,
                Some("#!/bin/sh\necho"),
            ),
            (r#"{"other": "x"}"#, None),
            ("null", None),
        ] {
            d.vendor_data = Some(vd.as_bytes().to_vec());
            let p = read(&d).unwrap();
            assert_eq!(p.vendor_data.as_deref(), want.map(str::as_bytes), "{vd}");
        }
        for vd in ["[\"x\"]", r#"{"cloud-init": {"cloud-init": "x"}}"#, "1"] {
            d.vendor_data = Some(vd.as_bytes().to_vec());
            let e = read(&d).unwrap_err();
            assert_eq!(e.file, "test:/m/vendor_data.json", "{vd}");
        }
    }

    #[test]
    fn opennebula_root_by_default() {
        let p = one(
            "SSH_PUBLIC_KEY='ssh-ed25519 AAAA one\n# comment\n\nssh-rsa BBBB two'\nPASSWORD='pw'\n",
        );
        assert_eq!(p.users.len(), 1);
        let u = &p.users[0];
        assert_eq!(u.name, "root");
        assert_eq!(
            u.ssh_authorized_keys,
            ["ssh-ed25519 AAAA one", "ssh-rsa BBBB two"]
        );
        assert_eq!(u.password, Some(Password::Plain(Secret("pw".to_owned()))));
        assert!(u.sudo.is_empty() && u.shell.is_none() && !u.lock_passwd);
        assert_eq!(p.instance_id, None, "no VMID: the NoCloud default applies");
        // Nothing for root: no user entry at all.
        assert!(one("DISK_ID='1'\n").users.is_empty());
    }

    #[test]
    fn opennebula_named_user_and_password_precedence() {
        let p = one("USERNAME=alice\nUSERNAME_SUDO=no\nPASSWORD=plain\nCRYPTED_PASSWORD='$6$x$y'\nVMID=7\nHOSTNAME=h\nSET_HOSTNAME=s\n");
        let u = &p.users[0];
        assert_eq!(
            (u.name.as_str(), u.shell.as_deref()),
            ("alice", Some("/bin/bash"))
        );
        assert!(u.sudo.is_empty(), "USERNAME_SUDO=NO");
        assert_eq!(
            u.password,
            Some(Password::Hash(Secret("$6$x$y".to_owned())))
        );
        assert_eq!(p.instance_id.as_deref(), Some("opennebula-7"));
        assert_eq!(p.hostname.as_deref(), Some("s"));
        // base64 forms win over plain ones; a named user gets sudo by default.
        let p =
            one("USERNAME=bob\nPASSWORD=plain\nPASSWORD_BASE64=YjY0\nUSERNAME_SHELL=/bin/zsh\n");
        let u = &p.users[0];
        assert_eq!(u.password, Some(Password::Plain(Secret("b64".to_owned()))));
        assert_eq!(u.sudo, ["ALL=(ALL) NOPASSWD:ALL"]);
        assert_eq!(u.shell.as_deref(), Some("/bin/zsh"));
        let p = one("USERNAME=bob\nCRYPTED_PASSWORD_BASE64=JDYkYSRi\nPASSWORD_BASE64=YjY0\n");
        assert_eq!(
            p.users[0].password,
            Some(Password::Hash(Secret("$6$a$b".to_owned())))
        );
        assert!(!p.users[0].lock_passwd);
        assert!(
            one("USERNAME=carol\n").users[0].lock_passwd,
            "no password: locked"
        );
    }

    #[test]
    fn opennebula_user_data_and_scripts() {
        let p = one("USER_DATA='#cloud-config\nhostname: x'\n");
        assert_eq!(
            p.user_data.as_deref(),
            Some(&b"#cloud-config\nhostname: x"[..])
        );
        let p = one("USERDATA=I2Nsb3VkLWNvbmZpZwo=\nUSER_DATA_ENCODING=base64\n");
        assert_eq!(p.user_data.as_deref(), Some(&b"#cloud-config\n"[..]));
        let p = one("START_SCRIPT='echo hi'\n");
        assert_eq!(p.scripts[0].body.0, b"#!/bin/sh\necho hi");
        let p = one("START_SCRIPT='x'\nSTART_SCRIPT_BASE64=IyEvYmluL2Jhc2gKdHJ1ZQ==\n");
        assert_eq!(p.scripts[0].body.0, b"#!/bin/bash\ntrue");
        assert_eq!(p.scripts.len(), 1);
    }

    #[test]
    fn opennebula_errors() {
        let e = read(&docs(MetaKind::OpenNebula, "A=1\nB=$(id)\n")).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.pos.line, e.pos.col),
            ("test:/m/context.sh", 2, 3)
        );
        let e = read(&docs(
            MetaKind::OpenNebula,
            "USER_DATA=%%\nUSERDATA_ENCODING=base64\n",
        ))
        .unwrap_err();
        assert_eq!(e.msg, "USER_DATA is not valid base64");
        let e = read(&docs(MetaKind::OpenNebula, "PASSWORD_BASE64=//79\n")).unwrap_err();
        assert_eq!(e.msg, "PASSWORD_BASE64 is not UTF-8");
    }

    fn cred(name: &str, value: &str) -> Credential {
        Credential {
            name: name.to_owned(),
            value: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn credentials() {
        let mut d = Documents {
            credentials: alloc::vec![
                cred("passwd.plaintext-password.root", "plain"),
                cred("passwd.hashed-password.root", "$6$a$b\n"),
                cred("passwd.shell.root", "/bin/zsh\n"),
                cred(
                    "ssh.authorized_keys.root",
                    "ssh-ed25519 AAAA k\nssh-ed25519 AAAA k\n"
                ),
                cred("system.hostname", " vm1\n"),
                cred("tmpfiles.extra", "x"),
            ],
            ..Documents::default()
        };
        let p = read(&d).unwrap();
        let u = &p.users[0];
        assert_eq!(
            u.password,
            Some(Password::Hash(Secret("$6$a$b".to_owned()))),
            "the hash wins"
        );
        assert_eq!((u.shell.as_deref(), u.set_shell), (Some("/bin/zsh"), true));
        assert_eq!(u.ssh_authorized_keys, ["ssh-ed25519 AAAA k"]);
        assert_eq!(p.hostname.as_deref(), Some("vm1"));
        assert_eq!(p.warnings.len(), 1);
        let id = p.instance_id.clone().unwrap();
        assert!(
            id.starts_with("credentials-") && id.len() == 12 + 16,
            "{id}"
        );
        assert_eq!(
            read(&d).unwrap().instance_id,
            p.instance_id,
            "same credentials, same id"
        );
        d.credentials[4].value = b"vm2".to_vec();
        assert_ne!(read(&d).unwrap().instance_id, p.instance_id);
        // Only unused credentials: no user entry, still an instance id.
        d.credentials = alloc::vec![cred("x", "y"), cred("bad", "\u{0}\u{ff}")];
        d.credentials[1].value = alloc::vec![0xff];
        let p = read(&d).unwrap();
        assert!(p.users.is_empty());
        assert!(
            p.warnings[1].contains("bad is not UTF-8"),
            "{:?}",
            p.warnings
        );
    }
}
