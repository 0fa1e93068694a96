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
#[derive(Clone, Debug, Default, PartialEq, Eq, SerJson)]
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

#[derive(Clone, Debug, Default, PartialEq, Eq, SerJson)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
    /// The gid of a new group (Ignition `gid`); an existing group must have it.
    pub gid: Option<u32>,
    /// A new group gets a gid from the system range.
    pub system: bool,
}

/// Where `write_files` content ends up and how.
#[derive(Clone, Debug, Default, PartialEq, Eq, SerJson)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, SerJson)]
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
#[derive(Clone, Debug, PartialEq, Eq, SerJson)]
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
#[derive(Clone, Debug, PartialEq, Eq, SerJson)]
pub struct Script {
    /// `bootcmd`, `runcmd`, or the user-data part's name.
    pub name: String,
    /// A complete script (starts with `#!`); shown as a length only.
    pub body: Content,
}

#[derive(Clone, Debug, Default, PartialEq, SerJson)]
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

/// cloud-init's default `disable_root_opts`; `$USER` and `$DISABLE_USER` are
/// substituted when applied.
pub const DISABLE_ROOT_OPTS: &str = "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as the user \\\"$USER\\\" rather than the user \\\"$DISABLE_USER\\\".';echo;sleep 10;exit 142\"";
