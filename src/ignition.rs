//! Ignition v3 configs (`ignition.version` 3.0.0 to 3.6.0) into the one
//! [`Context`], wherever user-data is one: QEMU's `opt/com.coreos/config`,
//! NoCloud or config-2 user-data, a MIME part.
//!
//! The JSON is read by the YAML subset parser (JSON is YAML's flow style),
//! so every error names the document, line and column, and the Ignition
//! key path (`storage.files[2].contents.source`).
//!
//! Applied: `passwd.users`, `passwd.groups`, `storage.files` (inline `data:`
//! sources, gzip, sha512/sha256 verification, append, overwrite, mode,
//! owner), `storage.directories`, `storage.links`, `systemd.units`. Refused,
//! naming the key, so that a config is never half-applied: anything that
//! would have to be fetched (`http`, `https`, `tftp`, `s3`, `gs`, `arn`
//! sources, `ignition.config.merge`/`replace`), disks, partitions, RAID,
//! LUKS, filesystems, kernel arguments, and `shouldExist: false` (egret
//! never deletes users or groups of the image).
//!
//! The config is checked against [`SCHEMA`] in one walk (types, unknown
//! keys, refusals); reading it afterwards cannot meet a wrong type. It owns
//! the meaning of Ignition keys, and never touches the sysroot.

use alloc::string::String;
use alloc::vec::Vec;

use crate::cloudconfig::{
    data_uri, decimal, fail, has_byte, in_list, push_user, Fail, Reader, MAX_DECODED,
};
use crate::model::{Content, Context, Group, NodeKind, Password, Secret, UnitOp, User, WriteFile};
use crate::sysroot::accounts::valid_name;
use crate::text::value::{Node, Value};
use crate::text::{cat, gzip, printable};

/// The newest spec version egret reads; older 3.x configs are a subset.
const NEWEST: &str = "3.6.0";

/// Every key egret knows, as `PARENT.KEY:T` where PARENT is the last key
/// above (list items add none; the top level is empty) and T what the
/// value must be: `s` string, `b` boolean, `i` integer in 0..2^32, `o`
/// object, `l` list of objects, `t` list of strings, `*` anything (only
/// about fetching: nothing to do), `0`..`2` refused unless empty (the
/// reason is [`REFUSED`]'s), `3` refused when false. Null is always
/// allowed, as in Ignition.
const SCHEMA: &str = "\
.ignition:o ignition.version:s ignition.config:o config.merge:0 config.replace:0 \
ignition.timeouts:* ignition.security:* ignition.proxy:* \
.passwd:o passwd.users:l users.name:s users.passwordHash:s users.sshAuthorizedKeys:t \
users.uid:i users.gecos:s users.homeDir:s users.noCreateHome:b users.primaryGroup:s \
users.groups:t users.noUserGroup:b users.noLogInit:b users.shell:s users.shouldExist:3 \
users.system:b passwd.groups:l groups.name:s groups.gid:i groups.passwordHash:s \
groups.shouldExist:3 groups.system:b \
.storage:o storage.disks:1 storage.raid:1 storage.filesystems:1 storage.luks:1 \
storage.files:l storage.directories:l storage.links:l \
files.path:s files.overwrite:b files.mode:i files.user:o files.group:o files.contents:o \
files.append:l directories.path:s directories.overwrite:b directories.mode:i \
directories.user:o directories.group:o links.path:s links.overwrite:b links.user:o \
links.group:o links.target:s links.hard:b user.id:i user.name:s group.id:i group.name:s \
contents.source:s contents.compression:s contents.httpHeaders:* contents.verification:o \
append.source:s append.compression:s append.httpHeaders:* append.verification:o \
verification.hash:s \
.systemd:o systemd.units:l units.name:s units.enabled:b units.mask:b units.contents:s \
units.dropins:l dropins.name:s dropins.contents:s \
.kernelArguments:o kernelArguments.shouldExist:2 kernelArguments.shouldNotExist:2";

/// Why a key of type `0`..`3` is refused.
const REFUSED: [&str; 4] = [
    "not supported: egret fetches no configs (put everything in this one)",
    "not supported: egret does not partition disks or make filesystems, RAID or LUKS devices",
    "not supported: egret does not change the kernel command line",
    "false is not supported: egret never deletes users or groups",
];

/// Reads one config (already parsed into `tree`) into `ctx`: users after
/// those already there (replacing one of the same name), groups, files,
/// directories, links and units in config order.
#[inline(never)]
pub fn read(tree: &Node, file: &str, ctx: &mut Context) -> Result<(), Fail> {
    let ig = Ign { file };
    if !matches!(tree.value, Value::Map(_)) {
        return Err(ig.err(tree, "", "an Ignition config must be an object"));
    }
    let mut shown = String::new();
    ig.walk(tree, "", &mut shown, &mut ctx.warnings)?;
    let ign = tree.get("ignition");
    let version = ign.and_then(|i| str_at(i, "version")).unwrap_or_default();
    let minor = version
        .strip_prefix("3.")
        .and_then(|v| v.strip_suffix(".0"))
        // As `parse::<u8>()`: digits with an optional `+`.
        .filter(|m| !m.starts_with('-'))
        .and_then(decimal);
    if minor.is_none_or(|m| m > 6) {
        let at = ign.and_then(|i| i.get("version")).unwrap_or(tree);
        return Err(ig.err(
            at,
            "ignition.version",
            &alloc::format!(
                "`{}` is not supported: egret reads Ignition spec 3.0.0 to {NEWEST} \
                 (convert older configs with ign-converter)",
                printable(version.as_bytes())
            ),
        ));
    }
    let first = ctx.write_files.len();
    let passwd = tree.get("passwd");
    for (i, u) in items(passwd, "users").iter().enumerate() {
        let user = ig.user(u, i)?;
        push_user(&mut ctx.users, user);
    }
    for (i, g) in items(passwd, "groups").iter().enumerate() {
        let name = str_of(g, "name").unwrap_or_default();
        if !valid_name(&name) {
            return Err(ig.at(
                g,
                "passwd.groups",
                i,
                "name",
                "missing or not a valid group name",
            ));
        }
        if g.get("passwordHash").is_some_and(|h| !h.is_null()) {
            ig.warn(
                &mut ctx.warnings,
                g,
                "passwd.groups",
                i,
                "passwordHash ignored: egret sets no group passwords",
            );
        }
        ctx.groups.push(Group {
            name,
            members: Vec::new(),
            gid: int_of(g, "gid"),
            system: flag(g, "system"),
        });
    }
    // Directories, then files, then links (which may need their target).
    let storage = tree.get("storage");
    for list in ["storage.directories", "storage.files", "storage.links"] {
        let key = list.get(8..).unwrap_or_default();
        for (i, n) in items(storage, key).iter().enumerate() {
            let f = ig.entry(n, list, i)?;
            // Ignition requires every file, directory and link to have its own path.
            if ctx.write_files.iter().skip(first).any(|x| x.path == f.path) {
                return Err(ig.at(n, list, i, "path", "given twice"));
            }
            ctx.write_files.push(f);
        }
    }
    for (i, n) in items(tree.get("systemd"), "units").iter().enumerate() {
        ig.unit(n, i, ctx)?;
    }
    Ok(())
}

/// The string at `key` of `n` (validated: a string or nothing).
#[inline(never)]
fn str_of(n: &Node, key: &str) -> Option<String> {
    str_at(n, key).map(String::from)
}

/// [`str_of`] borrowed, where no copy is kept.
#[inline(never)]
fn str_at<'n>(n: &'n Node, key: &str) -> Option<&'n str> {
    n.get(key).and_then(Node::as_str)
}

#[inline(never)]
fn flag(n: &Node, key: &str) -> bool {
    matches!(n.get(key).map(|v| &v.value), Some(Value::Bool(true)))
}

#[inline(never)]
fn int_of(n: &Node, key: &str) -> Option<u32> {
    match n.get(key).map(|v| &v.value) {
        Some(Value::Int(i)) => u32::try_from(*i).ok(),
        _ => None,
    }
}

/// The list at `key` of `parent`; empty when either is missing or null.
#[inline(never)]
fn items<'n>(parent: Option<&'n Node>, key: &str) -> &'n [Node] {
    match parent.and_then(|p| p.get(key)).map(|v| &v.value) {
        Some(Value::Seq(v)) => v,
        _ => &[],
    }
}

struct Ign<'a> {
    file: &'a str,
}

impl Ign<'_> {
    /// `what: msg` at `n`.
    #[inline(never)]
    fn err(&self, n: &Node, what: &str, msg: &str) -> Fail {
        let sep = if what.is_empty() { "" } else { ": " };
        fail(self.file, n.pos, cat(&[what, sep, msg]))
    }

    /// `list[i].key: msg` at `n`.
    #[inline(never)]
    fn at(&self, n: &Node, list: &str, i: usize, key: &str, msg: &str) -> Fail {
        let dot = if key.is_empty() { "" } else { "." };
        fail(
            self.file,
            n.pos,
            alloc::format!("{list}[{i}]{dot}{key}: {msg}"),
        )
    }

    #[inline(never)]
    fn warn(&self, w: &mut Vec<String>, n: &Node, list: &str, i: usize, msg: &str) {
        Reader { file: self.file }.warn_at(w, n.pos, format_args!("{list}[{i}]: {msg}"));
    }

    /// Checks every key under `n` against [`SCHEMA`]; `parent` is the last
    /// key above, `shown` the path so far for messages.
    #[inline(never)]
    fn walk(
        &self,
        n: &Node,
        parent: &str,
        shown: &mut String,
        w: &mut Vec<String>,
    ) -> Result<(), Fail> {
        let Value::Map(entries) = &n.value else {
            return Ok(());
        };
        for e in entries {
            let len = shown.len();
            if len > 0 {
                shown.push('.');
            }
            shown.push_str(&e.key);
            let v = &e.value;
            let t = schema_type(parent, &e.key);
            let empty = match &v.value {
                Value::Null => true,
                Value::Seq(s) => s.is_empty(),
                Value::Map(m) => m.is_empty(),
                _ => false,
            };
            let refused = match t {
                Some(b'0'..=b'2') => !empty,
                Some(b'3') => matches!(v.value, Value::Bool(false)),
                _ => false,
            };
            if let Some(why) = t
                .filter(|_| refused)
                .and_then(|r| REFUSED.get(usize::from(r.wrapping_sub(b'0'))))
            {
                return Err(self.err(v, shown, why));
            }
            let ok = match (t, &v.value) {
                (None, _) => {
                    Reader { file: self.file }.warn_at(
                        w,
                        e.key_pos,
                        format_args!("unknown Ignition key `{shown}` ignored"),
                    );
                    true
                }
                (Some(_), Value::Null) | (Some(b'*' | b'0'..=b'2'), _) => true,
                (Some(b's'), Value::Str(_)) | (Some(b'o'), Value::Map(_)) => true,
                (Some(b'b' | b'3'), Value::Bool(_)) => true,
                (Some(b'i'), Value::Int(i)) => u32::try_from(*i).is_ok(),
                (Some(b'l'), Value::Seq(s)) => s.iter().all(|x| matches!(x.value, Value::Map(_))),
                (Some(b't'), Value::Seq(s)) => s.iter().all(|x| matches!(x.value, Value::Str(_))),
                _ => false,
            };
            if !ok {
                let what = match t {
                    Some(b's') => "must be a string",
                    Some(b'b' | b'3') => "must be true or false",
                    Some(b'i') => "must be an integer from 0 to 4294967295",
                    Some(b'o') => "must be an object",
                    Some(b'l') => "must be a list of objects",
                    _ => "must be a list of strings",
                };
                return Err(self.err(v, shown, what));
            }
            match &v.value {
                Value::Map(_) => self.walk(v, &e.key, shown, w)?,
                Value::Seq(list) if t == Some(b'l') => {
                    for (i, item) in list.iter().enumerate() {
                        let l = shown.len();
                        let _ = core::fmt::Write::write_fmt(shown, format_args!("[{i}]"));
                        self.walk(item, &e.key, shown, w)?;
                        shown.truncate(l);
                    }
                }
                _ => {}
            }
            shown.truncate(len);
        }
        Ok(())
    }

    #[inline(never)]
    fn user(&self, n: &Node, i: usize) -> Result<User, Fail> {
        let s = |k| str_of(n, k);
        // Ignition locks nothing; a new user without a hash gets useradd's
        // locked `!`.
        let name = str_at(n, "name").unwrap_or_default();
        let mut u = User::named(name, false);
        for k in items(Some(n), "sshAuthorizedKeys") {
            let k = k.as_str().unwrap_or_default().trim_ascii();
            if !k.is_empty() && !u.ssh_authorized_keys.iter().any(|x| x == k) {
                u.ssh_authorized_keys.push(String::from(k));
            }
        }
        for g in items(Some(n), "groups") {
            if let Some(g) = g.as_str() {
                u.groups.push(String::from(g));
            }
        }
        u.gecos = s("gecos");
        u.primary_group = s("primaryGroup");
        u.no_user_group = flag(n, "noUserGroup");
        u.shell = s("shell");
        // Ignition's usermod changes an existing user's shell too.
        u.set_shell = u.shell.is_some();
        u.homedir = s("homeDir");
        u.no_create_home = flag(n, "noCreateHome");
        u.system = flag(n, "system");
        u.uid = int_of(n, "uid");
        u.password = s("passwordHash").map(|h| Password::Hash(Secret(h)));
        if !valid_name(&u.name) {
            return Err(self.at(
                n,
                "passwd.users",
                i,
                "",
                "a name, group or field that /etc/passwd cannot hold (':' or a newline)",
            ));
        }
        // The same rules as a cloud-config user's fields and groups.
        Reader { file: self.file }.check_user(n, &u)?;
        Ok(u)
    }

    /// One `storage.files`, `.directories` or `.links` entry.
    #[inline(never)]
    fn entry(&self, n: &Node, list: &str, i: usize) -> Result<WriteFile, Fail> {
        let path = str_of(n, "path").unwrap_or_default();
        if !path.starts_with('/') || has_byte(&path, b"\0") {
            return Err(self.at(n, list, i, "path", "missing or not an absolute path"));
        }
        let mode = int_of(n, "mode");
        if mode.is_some_and(|m| m > 0o7777) {
            return Err(self.at(
                n,
                list,
                i,
                "mode",
                "out of range (a decimal number, e.g. 420 for 0644)",
            ));
        }
        let mut owner = String::new();
        for key in ["user", "group"] {
            let o = n.get(key);
            let id = o.and_then(|o| int_of(o, "id"));
            let name = o.and_then(|o| str_at(o, "name"));
            if key == "group" {
                owner.push(':');
            }
            // Written straight into `owner`: no string of its own.
            match (id, name) {
                (Some(_), Some(_)) => {
                    return Err(self.at(n, list, i, key, "give id or name, not both"))
                }
                (Some(id), None) => {
                    let _ = core::fmt::Write::write_fmt(&mut owner, format_args!("{id}"));
                }
                (None, Some(name)) if valid_name(name) => owner.push_str(name),
                (None, Some(_)) => return Err(self.at(n, list, i, key, "not a valid name")),
                (None, None) => owner.push('0'),
            }
        }
        let overwrite = flag(n, "overwrite");
        let mut f = WriteFile {
            path,
            permissions: mode.unwrap_or(0o644),
            owner,
            // Ignition writes files after the users exist.
            defer: true,
            overwrite,
            keep_mode: mode.is_none(),
            ..WriteFile::default()
        };
        match list.as_bytes().get(8) {
            Some(b'd') => {
                f.kind = NodeKind::Dir;
                f.permissions = mode.unwrap_or(0o755);
            }
            Some(b'l') => {
                let target = str_of(n, "target").unwrap_or_default();
                let hard = flag(n, "hard");
                if target.is_empty() || has_byte(&target, b"\0") || hard && !target.starts_with('/')
                {
                    return Err(self.at(
                        n,
                        list,
                        i,
                        "target",
                        "missing, or not absolute for a hard link",
                    ));
                }
                f.kind = if hard {
                    NodeKind::HardLink(target)
                } else {
                    NodeKind::Symlink(target)
                };
            }
            _ => {
                let mut data = match n.get("contents") {
                    Some(r) => self.resource(r, i, "contents")?,
                    None => None,
                };
                // Without a source an existing file is kept and the
                // fragments appended; with one it is the whole file.
                f.append = data.is_none();
                if overwrite && f.append {
                    return Err(self.at(n, list, i, "overwrite", "true needs contents.source"));
                }
                let mut data = data.take().unwrap_or_default();
                for r in items(Some(n), "append") {
                    if let Some(b) = self.resource(r, i, "append")? {
                        data.extend_from_slice(&b);
                    }
                }
                f.content = Content(data);
            }
        }
        Ok(f)
    }

    /// A `contents`/`append` resource: its bytes, `None` without a source.
    #[inline(never)]
    fn resource(&self, n: &Node, i: usize, key: &str) -> Result<Option<Vec<u8>>, Fail> {
        let Some(uri) = str_at(n, "source") else {
            return Ok(None);
        };
        let at = n.get("source").unwrap_or(n);
        let bad = |msg: &str| self.at(at, "storage.files", i, key, msg);
        let mut bytes = match data_uri(uri) {
            Some(Ok(b)) => b,
            Some(Err(msg)) => return Err(bad(msg)),
            None => {
                let scheme = uri.split_once(':').map(|(s, _)| s).unwrap_or("relative");
                return Err(bad(&alloc::format!(
                    "`{}` sources are not supported: egret fetches nothing; inline the file as a data: URL",
                    printable(scheme.as_bytes())
                )));
            }
        };
        match str_at(n, "compression") {
            None | Some("") => {}
            Some("gzip") => {
                bytes = gzip::decompress(&bytes, MAX_DECODED)
                    .map_err(|e| bad(&alloc::format!("not gzip: {e}")))?;
            }
            Some(_) => return Err(bad("compression must be gzip or null")),
        }
        if let Some(h) = n.get("verification").and_then(|v| str_at(v, "hash")) {
            let (kind, want) = h.split_once('-').unwrap_or((h, ""));
            let got: Vec<u8> = match kind {
                "sha512" => {
                    // The out-of-line state of the other SHA-512 users.
                    let mut h = crate::crypt::sha512();
                    h.update(&bytes);
                    h.finalize().to_vec()
                }
                "sha256" => crate::crypt::sha256(&bytes).to_vec(),
                _ => return Err(bad("verification.hash must be sha512-HEX or sha256-HEX")),
            };
            let hex = crate::platform::hex_id("", &got, got.len());
            if !hex.eq_ignore_ascii_case(want) {
                return Err(bad("verification.hash does not match the contents"));
            }
        }
        Ok(Some(bytes))
    }

    #[inline(never)]
    /// One `systemd.units` entry: its files, its mask, what to enable.
    fn unit(&self, n: &Node, i: usize, ctx: &mut Context) -> Result<(), Fail> {
        let bad = |key: &str, msg: &str| self.at(n, "systemd.units", i, key, msg);
        let name = str_of(n, "name").unwrap_or_default();
        if !valid_unit_name(&name) {
            return Err(bad("name", "missing or not a unit name (e.g. app.service)"));
        }
        let bool_of = |k| match n.get(k).map(|v| &v.value) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        };
        let (enable, mask) = (bool_of("enabled"), bool_of("mask"));
        let contents = str_at(n, "contents");
        if mask == Some(true) && (contents.is_some() || enable == Some(true)) {
            return Err(bad(
                "mask",
                "a masked unit cannot also have contents or be enabled",
            ));
        }
        let dir = "/etc/systemd/system/";
        let out = &mut ctx.write_files;
        if let Some(c) = contents {
            unit_file(out, &[dir, &name], c, NodeKind::File);
        }
        for d in items(Some(n), "dropins") {
            let dname = str_at(d, "name").unwrap_or_default();
            if !dname.ends_with(".conf") || has_byte(dname, b"/\0\n") {
                return Err(bad("dropins", "a drop-in needs a name ending in .conf"));
            }
            // A drop-in without contents is not written, as Ignition.
            if let Some(c) = str_at(d, "contents") {
                unit_file(out, &[dir, &name, ".d/", dname], c, NodeKind::File);
            }
        }
        if mask == Some(true) {
            let null = NodeKind::Symlink(String::from("/dev/null"));
            unit_file(out, &[dir, &name], "", null);
        }
        if enable.is_some() || mask == Some(false) {
            ctx.unit_ops.push(UnitOp {
                name,
                enable,
                unmask: mask == Some(false),
            });
        }
        Ok(())
    }
}

/// A unit file, drop-in or mask link at the path `path` joins; out of line:
/// three call sites.
#[inline(never)]
fn unit_file(out: &mut Vec<WriteFile>, path: &[&str], text: &str, kind: NodeKind) {
    out.push(WriteFile {
        path: cat(path),
        content: Content(text.as_bytes().to_vec()),
        permissions: 0o644,
        owner: String::from("0:0"),
        defer: true,
        overwrite: true,
        kind,
        ..WriteFile::default()
    });
}

/// The type letter [`SCHEMA`] gives `parent.key`, `None` for an unknown key.
#[inline(never)]
fn schema_type(parent: &str, key: &str) -> Option<u8> {
    SCHEMA.split(' ').find_map(|tok| {
        let rest = tok.as_bytes().strip_prefix(parent.as_bytes())?;
        let rest = rest.strip_prefix(b".")?.strip_prefix(key.as_bytes())?;
        match rest {
            [b':', t] => Some(*t),
            _ => None,
        }
    })
}

/// systemd's unit names: `[A-Za-z0-9:_.\\@-]`, at most 255 bytes, a known type suffix.
pub fn valid_unit_name(name: &str) -> bool {
    let Some((stem, kind)) = name.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && name.len() <= 255
        && in_list(
            "service socket device mount automount swap target path timer slice scope",
            kind,
        )
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":_.\\@-".contains(&b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::cloudconfig::parse_yaml;
    use alloc::format;
    use alloc::string::ToString;

    fn ctx(json: &str) -> Result<Context, String> {
        let tree = parse_yaml(json.as_bytes(), "ign").map_err(|e| e.to_string())?;
        let mut c = Context::default();
        read(&tree, "ign", &mut c).map_err(|e| e.to_string())?;
        Ok(c)
    }

    fn err(json: &str) -> String {
        ctx(json).unwrap_err()
    }

    const V: &str = r#""ignition":{"version":"3.4.0"}"#;

    #[test]
    fn users_and_groups() {
        let c = ctx(&format!(
            r#"{{{V},"passwd":{{"users":[{{"name":"core","passwordHash":"$6$x$y","sshAuthorizedKeys":["ssh-ed25519 AAAA a","ssh-rsa BBBB b"],"uid":1500,"gecos":"Core","homeDir":"/var/home/core","noCreateHome":false,"primaryGroup":"wheel","groups":["adm","docker"],"noUserGroup":true,"shell":"/bin/zsh","system":false,"noLogInit":true}}],"groups":[{{"name":"docker","gid":990,"system":true}}]}}}}"#
        ))
        .unwrap();
        let u = &c.users[0];
        assert_eq!(u.name, "core");
        assert_eq!(u.password, Some(Password::Hash(Secret("$6$x$y".into()))));
        assert_eq!(
            u.ssh_authorized_keys,
            ["ssh-ed25519 AAAA a", "ssh-rsa BBBB b"]
        );
        assert_eq!(u.uid, Some(1500));
        assert_eq!(u.gecos.as_deref(), Some("Core"));
        assert_eq!(u.homedir.as_deref(), Some("/var/home/core"));
        assert_eq!(u.primary_group.as_deref(), Some("wheel"));
        assert_eq!(u.groups, ["adm", "docker"]);
        assert!(u.no_user_group && !u.no_create_home && !u.system && !u.lock_passwd);
        assert!(u.set_shell);
        assert_eq!(
            c.groups,
            [Group {
                name: "docker".into(),
                members: Vec::new(),
                gid: Some(990),
                system: true
            }]
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn files_directories_links() {
        let c = ctx(&format!(
            r#"{{{V},"storage":{{
              "files":[
                {{"path":"/etc/motd","mode":420,"overwrite":true,"contents":{{"source":"data:,hello%20world%0A"}},"user":{{"name":"core"}},"group":{{"id":10}}}},
                {{"path":"/etc/b64","contents":{{"source":"data:text/plain;charset=utf-8;base64,aGk="}}}},
                {{"path":"/etc/gz","contents":{{"compression":"gzip","source":"data:;base64,H4sIAAAAAAAC/8tIzcnJBwCGphA2BQAAAA==","verification":{{"hash":"sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}}}}},
                {{"path":"/etc/app.conf","append":[{{"source":"data:,a%3D1%0A"}},{{"source":"data:,b%3D2%0A"}}]}},
                {{"path":"/etc/empty"}}
              ],
              "directories":[{{"path":"/var/lib/app","mode":448,"user":{{"id":1000}}}}],
              "links":[{{"path":"/etc/localtime","target":"../usr/share/zoneinfo/UTC","overwrite":true}},{{"path":"/etc/hard","target":"/etc/motd","hard":true}}]
            }}}}"#
        ))
        .unwrap();
        // Directories, then files, then links.
        let (d, f, l) = (&c.write_files[0], &c.write_files[1..6], &c.write_files[6..]);
        assert_eq!(
            (
                d.path.as_str(),
                &d.kind,
                d.permissions,
                d.owner.as_str(),
                d.overwrite,
                d.keep_mode
            ),
            (
                "/var/lib/app",
                &NodeKind::Dir,
                0o700,
                "1000:0",
                false,
                false
            )
        );
        assert_eq!(f[0].content.0, b"hello world\n");
        assert_eq!(
            (
                f[0].permissions,
                f[0].owner.as_str(),
                f[0].overwrite,
                f[0].append,
                f[0].keep_mode
            ),
            (0o644, "core:10", true, false, false)
        );
        assert_eq!(f[1].content.0, b"hi");
        assert_eq!(
            (f[1].owner.as_str(), f[1].overwrite, f[1].keep_mode),
            ("0:0", false, true)
        );
        assert_eq!(f[2].content.0, b"hello");
        assert_eq!(f[3].content.0, b"a=1\nb=2\n");
        assert!(f[3].append);
        assert!(f[4].content.0.is_empty() && f[4].append);
        assert!(f.iter().all(|f| f.defer && f.kind == NodeKind::File));
        assert_eq!(
            l[0].kind,
            NodeKind::Symlink("../usr/share/zoneinfo/UTC".into())
        );
        assert_eq!(
            (l[0].path.as_str(), l[0].overwrite),
            ("/etc/localtime", true)
        );
        assert_eq!(l[1].kind, NodeKind::HardLink("/etc/motd".into()));
    }

    #[test]
    fn units() {
        let c = ctx(&format!(
            r#"{{{V},"systemd":{{"units":[
              {{"name":"app.service","enabled":true,"contents":"[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n","dropins":[{{"name":"10-env.conf","contents":"[Service]\nEnvironment=A=1\n"}},{{"name":"20-none.conf"}}]}},
              {{"name":"getty@tty1.service","enabled":false}},
              {{"name":"cups.socket","mask":true}},
              {{"name":"lp.socket","mask":false}}
            ]}}}}"#
        ))
        .unwrap();
        let paths: Vec<(&str, &NodeKind)> = c
            .write_files
            .iter()
            .map(|f| (f.path.as_str(), &f.kind))
            .collect();
        let null = NodeKind::Symlink("/dev/null".into());
        assert_eq!(
            paths,
            [
                ("/etc/systemd/system/app.service", &NodeKind::File),
                (
                    "/etc/systemd/system/app.service.d/10-env.conf",
                    &NodeKind::File
                ),
                ("/etc/systemd/system/cups.socket", &null),
            ]
        );
        assert!(c
            .write_files
            .iter()
            .all(|f| f.overwrite && f.permissions == 0o644));
        let op = |name: &str, enable, unmask| UnitOp {
            name: name.into(),
            enable,
            unmask,
        };
        assert_eq!(
            c.unit_ops,
            [
                op("app.service", Some(true), false),
                op("getty@tty1.service", Some(false), false),
                op("lp.socket", None, true)
            ]
        );
    }

    #[test]
    fn refusals_name_the_key_and_position() {
        for (json, want) in [
            (
                r#"{"ignition":{"version":"2.2.0"}}"#,
                "ign:1:24: ignition.version: `2.2.0` is not supported",
            ),
            (
                r#"{"ignition":{"version":"3.5.0-experimental"}}"#,
                "is not supported",
            ),
            (
                r#"{"ignition":{}}"#,
                "ignition.version: `` is not supported",
            ),
            (
                r#"{"ignition":{"version":"3.0.0","config":{"merge":[{"source":"http://x/c.ign"}]}}}"#,
                "ignition.config.merge: not supported",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"files":[{{"path":"/a","contents":{{"source":"https://example.com/a"}}}}]}}}}"#
                ),
                "storage.files[0].contents: `https` sources are not supported",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"files":[{{"path":"/a","append":[{{"source":"s3://b/k"}}]}}]}}}}"#
                ),
                "storage.files[0].append: `s3` sources",
            ),
            (
                &format!(r#"{{{V},"storage":{{"disks":[{{"device":"/dev/vdb"}}]}}}}"#),
                "storage.disks: not supported",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"filesystems":[{{"device":"/dev/vdb","format":"ext4"}}]}}}}"#
                ),
                "storage.filesystems: not supported",
            ),
            (
                &format!(r#"{{{V},"kernelArguments":{{"shouldExist":["quiet"]}}}}"#),
                "kernelArguments.shouldExist: not supported",
            ),
            (
                &format!(r#"{{{V},"passwd":{{"users":[{{"name":"old","shouldExist":false}}]}}}}"#),
                "passwd.users[0].shouldExist: false is not supported",
            ),
            (
                &format!(r#"{{{V},"passwd":{{"users":[{{"uid":5}}]}}}}"#),
                "passwd.users[0]: a name",
            ),
            (
                &format!(r#"{{{V},"storage":{{"files":[{{"path":"rel"}}]}}}}"#),
                "storage.files[0].path: missing or not an absolute path",
            ),
            (
                &format!(r#"{{{V},"storage":{{"files":[{{"path":"/a","overwrite":true}}]}}}}"#),
                "overwrite: true needs contents.source",
            ),
            (
                &format!(r#"{{{V},"storage":{{"files":[{{"path":"/a","mode":"0644"}}]}}}}"#),
                "storage.files[0].mode: must be an integer",
            ),
            (
                &format!(r#"{{{V},"storage":{{"files":[{{"path":"/a","mode":4096}}]}}}}"#),
                "mode: out of range",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"files":[{{"path":"/a","user":{{"id":1,"name":"x"}}}}]}}}}"#
                ),
                "user: give id or name, not both",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"files":[{{"path":"/a","contents":{{"source":"data:,x","verification":{{"hash":"sha512-00"}}}}}}]}}}}"#
                ),
                "verification.hash does not match",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"files":[{{"path":"/a","contents":{{"source":"data:,x","compression":"xz"}}}}]}}}}"#
                ),
                "compression must be gzip or null",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"files":[{{"path":"/a"}}],"links":[{{"path":"/a","target":"b"}}]}}}}"#
                ),
                "storage.links[0].path: given twice",
            ),
            (
                &format!(r#"{{{V},"storage":{{"links":[{{"path":"/a"}}]}}}}"#),
                "storage.links[0].target: missing",
            ),
            (
                &format!(
                    r#"{{{V},"storage":{{"links":[{{"path":"/a","target":"b","hard":true}}]}}}}"#
                ),
                "not absolute for a hard link",
            ),
            (
                &format!(r#"{{{V},"systemd":{{"units":[{{"name":"app"}}]}}}}"#),
                "systemd.units[0].name: missing or not a unit name",
            ),
            (
                &format!(
                    r#"{{{V},"systemd":{{"units":[{{"name":"a.service","mask":true,"enabled":true}}]}}}}"#
                ),
                "cannot also have contents or be enabled",
            ),
            (
                &format!(
                    r#"{{{V},"systemd":{{"units":[{{"name":"a.service","dropins":[{{"name":"../x.conf","contents":""}}]}}]}}}}"#
                ),
                "drop-in needs a name ending in .conf",
            ),
            ("[1]", "an Ignition config must be an object"),
        ] {
            let e = err(json);
            assert!(e.contains(want), "{json}\n  got: {e}\n  want: {want}");
        }
    }

    #[test]
    fn unknown_keys_warn_and_every_3x_version_reads() {
        for v in [
            "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0",
        ] {
            let c = ctx(&format!(r#"{{"ignition":{{"version":"{v}","timeouts":{{}}}},"networkd":{{}},"passwd":{{"users":[{{"name":"a","bogus":1}}]}}}}"#)).unwrap();
            assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
            assert!(
                c.warnings[0].contains("unknown Ignition key `networkd`"),
                "{:?}",
                c.warnings
            );
            assert!(c.warnings[1].contains("unknown Ignition key `passwd.users[0].bogus`"));
        }
        assert!(err(r#"{"ignition":{"version":"3.7.0"}}"#).contains("3.0.0 to 3.6.0"));
        // The minor version reads as `parse::<u8>()` reads it.
        for v in ["3.+6.0", "3.006.0"] {
            ctx(&format!(r#"{{"ignition":{{"version":"{v}"}}}}"#)).unwrap();
        }
        for v in [
            "3.-0.0",
            "3.256.0",
            "3..0",
            "3.+.0",
            "3.1 .0",
            "3.99999999999999999999.0",
        ] {
            assert!(
                err(&format!(r#"{{"ignition":{{"version":"{v}"}}}}"#)).contains("3.0.0 to 3.6.0"),
                "{v}"
            );
        }
    }

    #[test]
    fn unit_names() {
        for ok in [
            "a.service",
            "getty@tty1.service",
            "foo@.service",
            "x-y_z.timer",
            "-.mount",
            "a\\x2db.mount",
        ] {
            assert!(valid_unit_name(ok), "{ok}");
        }
        for bad in ["a", ".service", "a.exe", "a/b.service", "a b.service", ""] {
            assert!(!valid_unit_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_prefix_and_byte_flip_is_an_error_or_a_context() {
        let json = format!(
            r#"{{{V},"passwd":{{"users":[{{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}}]}},"storage":{{"files":[{{"path":"/etc/x","contents":{{"source":"data:;base64,aGk=","compression":null}},"mode":384}}]}},"systemd":{{"units":[{{"name":"a.service","enabled":true}}]}}}}"#
        );
        let b = json.as_bytes();
        for i in 0..b.len() {
            let _ = ctx(core::str::from_utf8(&b[..i]).unwrap());
            let mut m = b.to_vec();
            m[i] ^= 0x20;
            if let Ok(s) = core::str::from_utf8(&m) {
                let _ = ctx(s);
            }
        }
    }
}
