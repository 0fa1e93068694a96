//! The one normalized `Context`: everything egret will apply, merged from all
//! documents of the chosen source. Only this type crosses from parsing to
//! applying; it holds no raw YAML and no string maps.
//!
//! Secrets (passwords, hashes) live in [`Secret`], whose JSON form is always
//! `"<redacted>"`, so `egret show` and `result.json` can never print them.

use alloc::string::String;
use alloc::vec::Vec;
use nanoserde::{SerJson, SerJsonState};

/// A value that must never be printed or logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl SerJson for Secret {
    fn ser_json(&self, _d: usize, s: &mut SerJsonState) {
        s.out.push_str("\"<redacted>\"");
    }
}

/// How a password is given.
#[derive(Clone, Debug, PartialEq, Eq, SerJson)]
pub enum Password {
    /// Already a crypt(3) hash (`passwd`, `hashed_passwd`, chpasswd `type: hash`).
    Hash(Secret),
    /// Plain text, hashed with SHA-512 crypt when applied.
    Plain(Secret),
}

/// `sudo:` of a user: `None` when absent or `false`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub gecos: Option<String>,
    /// Supplementary groups, created when missing.
    pub groups: Vec<String>,
    pub primary_group: Option<String>,
    pub no_user_group: bool,
    pub shell: Option<String>,
    pub homedir: Option<String>,
    pub no_create_home: bool,
    pub system: bool,
    pub uid: Option<u32>,
    pub lock_passwd: bool,
    pub password: Option<Password>,
    /// sudoers rules, e.g. `ALL=(ALL) NOPASSWD:ALL`; empty for none.
    pub sudo: Vec<String>,
    pub ssh_authorized_keys: Vec<String>,
    /// `expiredate` as days since 1970-01-01.
    pub expiredate: Option<u64>,
    /// This entry is the image's default user (`default` in `users:`).
    pub is_default: bool,
    /// `shell` applies to an existing user too (systemd's `passwd.shell.root`);
    /// cloud-config entries leave an existing user's shell alone, as cloud-init.
    pub set_shell: bool,
}

impl User {
    /// A user with only a name and `lock_passwd`: out of line, since
    /// `..User::default()` writes out every field at each call site.
    #[inline(never)]
    pub fn named(name: &str, lock_passwd: bool) -> User {
        User {
            name: String::from(name),
            lock_passwd,
            ..User::default()
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
    /// The gid of a new group (Ignition `gid`); an existing group must have it.
    pub gid: Option<u32>,
    /// A new group gets a gid from the system range.
    pub system: bool,
}

/// Where `write_files` content ends up and how.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteFile {
    pub path: String,
    /// Decoded bytes (after b64/gzip/data: URI); shown as a length only.
    pub content: Content,
    pub permissions: u32,
    pub owner: String,
    pub append: bool,
    pub defer: bool,
    /// An existing file may be replaced (always, for cloud-config). `false`
    /// (Ignition's default): a different file already there is a conflict.
    pub overwrite: bool,
    /// No mode was given: an existing file keeps its own (Ignition).
    pub keep_mode: bool,
    pub kind: NodeKind,
}

/// What a [`WriteFile`] makes at its path.
#[derive(Clone, Debug, Default, PartialEq, Eq, SerJson)]
pub enum NodeKind {
    /// A regular file holding the content.
    #[default]
    File,
    /// A directory (Ignition `storage.directories`): an existing one only
    /// gets the mode (unless `keep_mode`) and owner, never loses a file.
    Dir,
    /// A symbolic link to this target, stored verbatim.
    Symlink(String),
    /// A hard link to the regular file at this absolute path in the sysroot.
    HardLink(String),
}

/// What to do to a systemd unit besides writing its files (Ignition
/// `systemd.units`): `enable`/`disable` as `systemctl` does it, `unmask`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitOp {
    /// e.g. `app.service`, `getty@tty1.service`.
    pub name: String,
    /// `Some(true)`: enabled, `Some(false)`: disabled, `None`: left alone.
    pub enable: Option<bool>,
    /// A `/dev/null` link at the unit's path is removed (`mask: false`).
    pub unmask: bool,
}

/// File content: JSON shows only its size, never the bytes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Content(pub Vec<u8>);

impl core::fmt::Debug for Content {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl SerJson for Content {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        self.0.len().ser_json(d, s)
    }
}

/// `chpasswd` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChPasswd {
    pub name: String,
    pub password: Password,
}

/// `manage_etc_hosts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, SerJson)]
pub enum EtcHosts {
    /// Render the whole file (`true`, `template`).
    Template,
    /// Only keep a `127.0.1.1 fqdn hostname` line up to date (`localhost`).
    Localhost,
}

/// One thing to run at first boot, in order, never in the initramfs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// `bootcmd`, `runcmd`, or the user-data part's name.
    pub name: String,
    /// A complete script (starts with `#!`); shown as a length only.
    pub body: Content,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// Where the documents came from, e.g. `nocloud:/run/seed`.
    pub source: String,
    pub instance_id: String,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
    pub prefer_fqdn_over_hostname: bool,
    pub preserve_hostname: bool,
    /// `create_hostname_file: false`: only an existing `/etc/hostname` is updated.
    pub create_hostname_file: bool,
    pub manage_etc_hosts: Option<EtcHosts>,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    /// Keys from meta-data and top-level `ssh_authorized_keys`: the default
    /// user's, else root's.
    pub ssh_authorized_keys: Vec<String>,
    pub disable_root: bool,
    pub disable_root_opts: String,
    /// cloud-config `write_files`, and Ignition's files, directories,
    /// links and unit files.
    pub write_files: Vec<WriteFile>,
    pub unit_ops: Vec<UnitOp>,
    pub chpasswd: Vec<ChPasswd>,
    pub chpasswd_expire: bool,
    pub ssh_pwauth: Option<bool>,
    pub ssh_deletekeys: bool,
    /// `None`: not given (egret makes Ed25519 itself, the rest later in the
    /// background); `Some`: exactly these, before sshd starts.
    pub ssh_genkeytypes: Option<Vec<String>>,
    pub timezone: Option<String>,
    pub scripts: Vec<Script>,
    /// Raw network-config, kept for the network issue.
    pub network_config: Option<Content>,
    pub warnings: Vec<String>,
}

/// A JSON object written as nanoserde's derive writes one (fields in
/// order, a `None` field left out), one out-of-line call per field: the
/// derive inlines every field's code, 3.5 KiB for `Context` alone.
struct Obj<'a> {
    s: &'a mut SerJsonState,
    d: usize,
    first: bool,
}

impl<'a> Obj<'a> {
    #[inline(never)]
    fn new(d: usize, s: &'a mut SerJsonState) -> Obj<'a> {
        s.st_pre();
        Obj { s, d, first: true }
    }

    #[inline(never)]
    fn f(&mut self, name: &str, v: &dyn SerJson) {
        if !self.first {
            self.s.conl();
        }
        self.first = false;
        self.s.field(self.d + 1, name);
        v.ser_json(self.d + 1, self.s);
    }

    fn opt<T: SerJson>(&mut self, name: &str, v: &Option<T>) {
        if let Some(v) = v {
            self.f(name, v);
        }
    }

    #[inline(never)]
    fn end(self) {
        self.s.st_post(self.d);
    }
}

impl SerJson for User {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("name", &self.name);
        o.opt("gecos", &self.gecos);
        o.f("groups", &self.groups);
        o.opt("primary_group", &self.primary_group);
        o.f("no_user_group", &self.no_user_group);
        o.opt("shell", &self.shell);
        o.opt("homedir", &self.homedir);
        o.f("no_create_home", &self.no_create_home);
        o.f("system", &self.system);
        o.opt("uid", &self.uid);
        o.f("lock_passwd", &self.lock_passwd);
        o.opt("password", &self.password);
        o.f("sudo", &self.sudo);
        o.f("ssh_authorized_keys", &self.ssh_authorized_keys);
        o.opt("expiredate", &self.expiredate);
        o.f("is_default", &self.is_default);
        o.f("set_shell", &self.set_shell);
        o.end();
    }
}

impl SerJson for Group {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("name", &self.name);
        o.f("members", &self.members);
        o.opt("gid", &self.gid);
        o.f("system", &self.system);
        o.end();
    }
}

impl SerJson for WriteFile {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("path", &self.path);
        o.f("content", &self.content);
        o.f("permissions", &self.permissions);
        o.f("owner", &self.owner);
        o.f("append", &self.append);
        o.f("defer", &self.defer);
        o.f("overwrite", &self.overwrite);
        o.f("keep_mode", &self.keep_mode);
        o.f("kind", &self.kind);
        o.end();
    }
}

impl SerJson for UnitOp {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("name", &self.name);
        o.opt("enable", &self.enable);
        o.f("unmask", &self.unmask);
        o.end();
    }
}

impl SerJson for ChPasswd {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("name", &self.name);
        o.f("password", &self.password);
        o.end();
    }
}

impl SerJson for Script {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("name", &self.name);
        o.f("body", &self.body);
        o.end();
    }
}

impl SerJson for Context {
    fn ser_json(&self, d: usize, s: &mut SerJsonState) {
        let mut o = Obj::new(d, s);
        o.f("source", &self.source);
        o.f("instance_id", &self.instance_id);
        o.opt("hostname", &self.hostname);
        o.opt("fqdn", &self.fqdn);
        o.f("prefer_fqdn_over_hostname", &self.prefer_fqdn_over_hostname);
        o.f("preserve_hostname", &self.preserve_hostname);
        o.f("create_hostname_file", &self.create_hostname_file);
        o.opt("manage_etc_hosts", &self.manage_etc_hosts);
        o.f("users", &self.users);
        o.f("groups", &self.groups);
        o.f("ssh_authorized_keys", &self.ssh_authorized_keys);
        o.f("disable_root", &self.disable_root);
        o.f("disable_root_opts", &self.disable_root_opts);
        o.f("write_files", &self.write_files);
        o.f("unit_ops", &self.unit_ops);
        o.f("chpasswd", &self.chpasswd);
        o.f("chpasswd_expire", &self.chpasswd_expire);
        o.opt("ssh_pwauth", &self.ssh_pwauth);
        o.f("ssh_deletekeys", &self.ssh_deletekeys);
        o.opt("ssh_genkeytypes", &self.ssh_genkeytypes);
        o.opt("timezone", &self.timezone);
        o.f("scripts", &self.scripts);
        o.opt("network_config", &self.network_config);
        o.f("warnings", &self.warnings);
        o.end();
    }
}

/// cloud-init's default `disable_root_opts`; `$USER` and `$DISABLE_USER` are
/// substituted when applied.
pub const DISABLE_ROOT_OPTS: &str = "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user \\\"$USER\\\" rather than the user \\\"$DISABLE_USER\\\".';echo;sleep 10;exit 142\"";
