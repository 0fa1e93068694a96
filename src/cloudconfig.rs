//! Documents into the one [`Context`]: meta-data, vendor-data and user-data
//! are parsed, cloud-config trees merged (vendor below user, later parts over
//! earlier ones), and every key interpreted with cloud-init's semantics.
//!
//! This module owns the meaning of cloud-config keys. It never touches the
//! sysroot: whatever it cannot interpret is either an error (the whole input
//! is refused, nothing is applied) or a warning (the key is skipped).

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{
    ChPasswd, Content, Context, EtcHosts, Group, NodeKind, Password, Script, Secret, User,
    WriteFile, DISABLE_ROOT_OPTS,
};
use crate::platform;
use crate::source::{Documents, MetaKind};
use crate::sysroot::accounts::valid_name;
use crate::text::userdata::{self, Piece};
use crate::text::value::{Entry, Node, Pos, Value};
use crate::text::{base64, gzip, printable, yaml};

/// Largest decoded `write_files` content or decompressed user-data.
pub const MAX_DECODED: usize = 16 << 20;

/// An input that egret refuses: names the document and the position.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// The document, e.g. `nocloud:/seed/user-data`.
    pub file: String,
    /// 0 when the format has no lines (gzip, base64 of a whole document).
    pub pos: Pos,
    pub msg: String,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.pos.line == 0 {
            write!(f, "{}: {}", self.file, self.msg)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.pos.line, self.pos.col, self.msg
            )
        }
    }
}

/// What meta-data says about the instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetaData {
    pub instance_id: Option<String>,
    pub local_hostname: Option<String>,
    pub public_keys: Vec<String>,
}

/// Parses a NoCloud `meta-data` (YAML or JSON).
pub fn parse_meta_data(bytes: &[u8], file: &str) -> Result<MetaData, Error> {
    meta_data(bytes, file).map_err(|e| *e)
}

fn meta_data(bytes: &[u8], file: &str) -> Result<MetaData, Fail> {
    let root = tree(bytes, file)?;
    let mut md = MetaData::default();
    if root.is_null() {
        return Ok(md);
    }
    let r = Reader { file };
    if !matches!(root.value, Value::Map(_)) {
        return Err(r.err(&root, "meta-data must be a mapping"));
    }
    if let Some(n) = root.get("instance-id").or_else(|| root.get("instance_id")) {
        md.instance_id = r.opt_string(n)?;
    }
    if let Some(n) = root.get("local-hostname").or_else(|| root.get("hostname")) {
        md.local_hostname = r.opt_string(n)?;
    }
    if let Some(n) = root.get("public-keys").or_else(|| root.get("public_keys")) {
        md.public_keys = r.public_keys(n)?;
    }
    Ok(md)
}

/// Parses YAML, naming the document in errors.
pub fn parse_yaml(bytes: &[u8], file: &str) -> Result<Node, Error> {
    tree(bytes, file).map_err(|e| *e)
}

pub(crate) fn tree(bytes: &[u8], file: &str) -> Result<Node, Fail> {
    yaml::parse(bytes).map_err(|e| {
        fail(
            file,
            Pos {
                line: e.line,
                col: e.col,
            },
            alloc::format!("{}", e.kind),
        )
    })
}

pub(crate) fn fail(file: &str, pos: Pos, msg: String) -> Fail {
    Box::new(Error {
        file: file.to_owned(),
        pos,
        msg,
    })
}

/// The image's configuration of egret (`/etc/egret/egret.conf`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conf {
    /// `default_user`, in the same form as a cloud-config `users` entry.
    pub default_user: Option<User>,
    /// `configdrive_admin_pass: true`: OpenStack's `admin_pass` becomes the
    /// default user's password (root's without one). Off by default.
    pub configdrive_admin_pass: bool,
}

pub fn parse_conf(bytes: &[u8], file: &str) -> Result<Conf, Error> {
    conf(bytes, file).map_err(|e| *e)
}

fn conf(bytes: &[u8], file: &str) -> Result<Conf, Fail> {
    let root = tree(bytes, file)?;
    let r = Reader { file };
    let mut warnings = Vec::new();
    let mut c = Conf::default();
    if let Some(n) = root.get("default_user").filter(|n| !n.is_null()) {
        let mut u = r.user_map(n, &mut warnings)?;
        u.is_default = true;
        c.default_user = Some(u);
    }
    r.flag(
        &root,
        "configdrive_admin_pass",
        &mut c.configdrive_admin_pass,
    )?;
    Ok(c)
}

/// Everything [`build`] needs besides the documents.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The image's default user, if it configures one.
    pub default_user: Option<User>,
    /// `ds=nocloud;i=...` from the kernel command line: overrides meta-data.
    pub cmdline_instance_id: Option<String>,
    /// `ds=nocloud;h=...`: overrides meta-data.
    pub cmdline_hostname: Option<String>,
    /// egret.conf's `configdrive_admin_pass`.
    pub configdrive_admin_pass: bool,
}

/// Instance id when meta-data gives none (cloud-init's NoCloud default).
pub const DEFAULT_INSTANCE_ID: &str = "iid-dsnocloud";

/// Parses and merges one source's documents into a [`Context`]. Every document
/// is validated before anything is returned: one error refuses the whole set.
pub fn build(docs: &Documents, inputs: &Inputs) -> Result<Context, Error> {
    build_ctx(docs, inputs).map_err(|e| *e)
}

#[inline(never)] // measured: smaller out of line
fn build_ctx(docs: &Documents, inputs: &Inputs) -> Result<Context, Fail> {
    let mut ctx = Context {
        source: docs.source.clone(),
        disable_root: true,
        create_hostname_file: true,
        disable_root_opts: DISABLE_ROOT_OPTS.to_owned(),
        chpasswd_expire: true,
        ssh_deletekeys: true,
        ..Context::default()
    };
    // Platform documents (config-2, OpenNebula, credentials) sit below
    // meta-data and user-data: what the user wrote wins.
    let mut plat = platform::Platform::default();
    platform::fill(docs, &mut plat)?;
    ctx.warnings.extend_from_slice(&docs.warnings);
    ctx.warnings.append(&mut plat.warnings);
    let MetaData {
        instance_id: md_id,
        local_hostname: md_host,
        public_keys: md_keys,
    } = match (&docs.meta_data, docs.meta_kind) {
        (Some(b), MetaKind::NoCloud) => meta_data(b, &docs.name("meta-data"))?,
        _ => MetaData::default(),
    };
    // Owned inputs go into `ctx` as soon as they are read, so that the
    // error exits below have less of their own to drop.
    let mut keys = md_keys;
    for k in core::mem::take(&mut plat.public_keys) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    ctx.ssh_authorized_keys = keys;
    let id_given = inputs.cmdline_instance_id.is_some() || md_id.is_some();
    ctx.instance_id = inputs
        .cmdline_instance_id
        .clone()
        .or(md_id)
        .or(plat.instance_id.take())
        .unwrap_or_else(|| DEFAULT_INSTANCE_ID.to_owned());
    let md_hostname = inputs
        .cmdline_hostname
        .clone()
        .or(md_host)
        .or(plat.hostname.take());
    let (user_label, vendor_label) = match docs.meta_kind {
        MetaKind::NoCloud => ("user-data", "vendor-data"),
        MetaKind::ConfigDrive => ("user_data", "vendor_data.json"),
        MetaKind::OpenNebula => ("context.sh(USER_DATA)", ""),
    };
    let user_label = docs.user_data_name.unwrap_or(user_label);
    let vendor_data = match docs.meta_kind {
        MetaKind::ConfigDrive => &plat.vendor_data,
        _ => &docs.vendor_data,
    };
    let user_data = docs.user_data.as_ref().or(plat.user_data.as_ref());

    // Vendor data first, user data over it; scripts keep that order too.
    let mut merged: Option<Node> = None;
    // Ignition configs, read after cloud-config (which sets the user list).
    let mut ignition: Vec<(String, Node)> = Vec::new();
    let mut ignition_hash = crate::crypt::sha512();
    for (label, bytes) in [
        (vendor_label, vendor_data.as_ref()),
        (user_label, user_data),
    ] {
        let Some(bytes) = bytes else { continue };
        let name = docs.name(label);
        let mut split = userdata::split(bytes, &name)
            .map_err(|e| fail(&name, Pos::default(), format!("{e}")))?;
        ctx.warnings.append(&mut split.warnings);
        for piece in split.pieces {
            match piece {
                Piece::CloudConfig { body, name: part } => {
                    let file = part_file(&name, &part);
                    let tree = tree(&body, &file)?;
                    match &tree.value {
                        Value::Null => {}
                        Value::Map(_) => {
                            Reader { file: &file }.check_keys(&tree, &mut ctx.warnings);
                            merged = Some(match merged.take() {
                                None => tree,
                                Some(base) => merge(base, tree),
                            });
                        }
                        _ => {
                            return Err(fail(
                                &file,
                                tree.pos,
                                "cloud-config must be a mapping".to_owned(),
                            ))
                        }
                    }
                }
                Piece::Ignition { body, name: part } => {
                    let file = part_file(&name, &part);
                    ignition_hash.update(body.as_slice());
                    let tree = tree(&body, &file)?;
                    ignition.push((file, tree));
                }
                Piece::Script { body, name: part } => ctx.scripts.push(Script {
                    name: part,
                    body: Content(body),
                }),
                Piece::Boothook { body, name: part } => {
                    ctx.warnings.push(format!(
                        "{name}: boothook {part} runs at first boot, not in the initramfs"
                    ));
                    ctx.scripts.push(Script {
                        name: part,
                        body: Content(boothook_script(&body)),
                    });
                }
            }
        }
    }
    ctx.network_config = docs.network_config.clone().map(Content);

    let merged_none = merged.is_none();
    let cfg = merged.unwrap_or(Node::new(Pos::default(), Value::Map(Vec::new())));
    // Errors in merged trees name the user-data document; positions stay exact
    // because every node keeps the position it was parsed at.
    let file = docs.name(user_label);
    let r = Reader { file: &file };
    ctx.scripts.append(&mut plat.scripts);
    r.apply_cloud_config(&cfg, &mut ctx, inputs, md_hostname.as_deref())?;
    if !ignition.is_empty() {
        // Ignition makes no default user: only cloud-config asks for one.
        if merged_none {
            ctx.users.retain(|u| !u.is_default);
        }
        for (file, tree) in &ignition {
            crate::ignition::read(tree, file, &mut ctx)?;
        }
        // Without an instance id from meta-data or the command line, the
        // config is the instance: a new one provisions again, the same one
        // never twice (as Ignition runs once per machine).
        if !id_given {
            // What the platform made of its own documents counts too.
            ignition_hash.update(ctx.instance_id.as_bytes());
            let d = ignition_hash.finalize();
            ctx.instance_id = platform::hex_id("ignition-", &d, 8);
        }
    }
    // The platform's users first: a user-data entry for the same name is
    // applied after it and wins.
    let mut users = core::mem::take(&mut plat.users);
    users.append(&mut ctx.users);
    ctx.users = users;
    if let Some(pw) = plat.admin_pass.take() {
        let file = docs.name("meta_data.json");
        admin_pass(&mut ctx, pw, inputs, &file);
    }
    Ok(ctx)
}

/// A user-data piece's name for messages: the document's, or
/// `user-data(PART)` for a MIME part.
fn part_file(name: &str, part: &str) -> String {
    if part == name {
        name.to_owned()
    } else {
        format!("{name}({part})")
    }
}

/// OpenStack's `admin_pass`, only where the image allows it: the default
/// user's password (root's when there is none), unless user-data set one.
fn admin_pass(ctx: &mut Context, pw: Secret, inputs: &Inputs, file: &str) {
    if !inputs.configdrive_admin_pass {
        ctx.warnings.push(format!(
            "{file}: admin_pass ignored (egret.conf has no `configdrive_admin_pass: true`)"
        ));
        return;
    }
    // The image's default user if this instance has it (as `default` or by
    // name), else root.
    let default = inputs.default_user.as_ref().map(|u| u.name.as_str());
    let name = match ctx
        .users
        .iter()
        .find(|u| u.is_default || Some(u.name.as_str()) == default)
    {
        Some(u) => u.name.clone(),
        None => "root".to_owned(),
    };
    // Any entry of that user with a password (`users:` may name it twice).
    if ctx
        .users
        .iter()
        .any(|u| u.name == name && u.password.is_some())
    {
        ctx.warnings.push(format!(
            "{file}: admin_pass not used: user-data sets the password of {name}"
        ));
        return;
    }
    if !ctx.users.iter().any(|u| u.name == name) {
        ctx.users.push(User::named(&name, false));
    }
    if let Some(u) = ctx.users.iter_mut().rev().find(|u| u.name == name) {
        u.password = Some(Password::Plain(pw));
        u.lock_passwd = false;
    }
}

/// Recursive dict merge, `over` wins: what cloud-init does between its config
/// layers (`mergemanydict`). Lists and scalars are replaced whole.
pub fn merge(base: Node, over: Node) -> Node {
    match (base.value, over.value) {
        (Value::Map(mut b), Value::Map(o)) => {
            for e in o {
                match b.iter().position(|x| x.key == e.key) {
                    Some(i) => {
                        let old = b.remove(i);
                        b.push(Entry {
                            key: e.key,
                            key_pos: e.key_pos,
                            value: merge(old.value, e.value),
                        });
                    }
                    None => b.push(e),
                }
            }
            Node::new(base.pos, Value::Map(b))
        }
        (_, v) => Node::new(over.pos, v),
    }
}

/// A boothook body as a first-boot script: cloud-init runs it with the
/// instance id in `INSTANCE_ID`; egret's runner exports that too.
fn boothook_script(body: &[u8]) -> Vec<u8> {
    let rest = body.strip_prefix(b"#cloud-boothook").unwrap_or(body);
    let mut out = Vec::from(&b"#!/bin/sh\n"[..]);
    out.extend_from_slice(rest.strip_prefix(b"\n").unwrap_or(rest));
    out
}

/// Keys egret applies, space-separated: one string is smaller than a table of them.
const APPLIED: &str =
    "users groups ssh_authorized_keys disable_root disable_root_opts hostname fqdn \
     prefer_fqdn_over_hostname preserve_hostname create_hostname_file manage_etc_hosts \
     write_files chpasswd password ssh_pwauth ssh_deletekeys ssh_genkeytypes timezone runcmd \
     bootcmd";

/// cloud-init keys egret knows and deliberately does not apply: space-separated
/// keys, then why.
const IGNORED: &[(&str, &str)] = &[
    (
        "packages package_update package_upgrade package_reboot_if_required apt yum_repos \
         zypper apk_repos snap",
        "egret installs no packages",
    ),
    (
        "network",
        "network configuration arrives with a later egret release",
    ),
    (
        "ntp locale keyboard mounts swap final_message power_state ca_certs rsyslog \
         ssh_publish_hostkeys allow_public_ssh_keys output seed_random random_seed datasource \
         manage_resolv_conf resolv_conf wireguard lxd chef puppet salt_minion ansible \
         byobu_by_default landscape mcollective spacewalk rh_subscription ubuntu_advantage \
         ubuntu_pro updates drivers write_metadata vendor_data",
        "not supported",
    ),
    ("growpart resize_rootfs", "egret does not resize disks"),
    ("disk_setup", "egret does not partition disks"),
    ("fs_setup", "egret does not make filesystems"),
    ("phone_home", "egret sends nothing home"),
    ("ssh_keys", "host keys from user-data are not supported yet"),
    ("ssh_import_id", "egret fetches no keys from key servers"),
    (
        "ssh_quiet_keygen ssh_fp_console_blacklist ssh_key_console_blacklist \
         no_ssh_fingerprints authkey_hash",
        "not needed",
    ),
    (
        "merge_how merge_type",
        "egret merges mappings recursively and replaces lists",
    ),
    (
        "cloud_init_modules cloud_config_modules cloud_final_modules",
        "egret has no modules",
    ),
    (
        "system_info",
        "the default user comes from /etc/egret/egret.conf",
    ),
    (
        "datasource_list",
        "use egret.sources= on the kernel command line",
    ),
    ("debug", "use egret.debug on the kernel command line"),
];

/// Whether `key` is one of the space-separated words of `list`.
pub(crate) fn in_list(list: &str, key: &str) -> bool {
    list.split(' ').any(|k| k == key)
}

/// An [`Error`] while reading a tree: boxed so that the many `?` exits of
/// the readers move one pointer, not the whole error.
pub(crate) type Fail = Box<Error>;

/// Reads typed values out of a tree, naming `file` and the node's position.
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a str,
}

impl Reader<'_> {
    fn err(&self, n: &Node, msg: &str) -> Fail {
        fail(self.file, n.pos, msg.to_owned())
    }

    fn errf(&self, n: &Node, msg: core::fmt::Arguments<'_>) -> Fail {
        fail(self.file, n.pos, alloc::fmt::format(msg))
    }

    /// `what `value``, the value made printable: most refusals of a value.
    fn bad(&self, n: &Node, what: &str, v: &str) -> Fail {
        self.errf(n, format_args!("{what} `{}`", printable(v.as_bytes())))
    }

    fn warn(&self, w: &mut Vec<String>, n: &Node, msg: &str) {
        self.warnf(w, n, format_args!("{msg}"));
    }

    fn warnf(&self, w: &mut Vec<String>, n: &Node, msg: core::fmt::Arguments<'_>) {
        self.warn_at(w, n.pos, msg);
    }

    pub(crate) fn warn_at(&self, w: &mut Vec<String>, pos: Pos, msg: core::fmt::Arguments<'_>) {
        w.push(format!("{}:{}:{}: {}", self.file, pos.line, pos.col, msg));
    }

    /// Warns about every top-level key egret does not apply.
    fn check_keys(&self, tree: &Node, w: &mut Vec<String>) {
        let Value::Map(entries) = &tree.value else {
            return;
        };
        for e in entries {
            if in_list(APPLIED, &e.key) {
                continue;
            }
            let k = &e.key;
            match IGNORED.iter().find(|(keys, _)| in_list(keys, k)) {
                Some((_, why)) => self.warn_at(w, e.key_pos, format_args!("`{k}` ignored: {why}")),
                None => self.warn_at(
                    w,
                    e.key_pos,
                    format_args!("unknown cloud-config key `{k}` ignored"),
                ),
            }
        }
    }

    /// A scalar as cloud-init's `str()` would give it; `None` for null.
    fn opt_string(&self, n: &Node) -> Result<Option<String>, Fail> {
        Ok(match &n.value {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(format!("{i}")),
            Value::Float(f) => Some(f.clone()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
            _ => return Err(self.err(n, "expected a string")),
        })
    }

    fn string(&self, n: &Node) -> Result<String, Fail> {
        self.opt_string(n)?
            .ok_or_else(|| self.err(n, "expected a string, found null"))
    }

    /// cloud-init's `util.is_true`/`translate_bool`: booleans and their spellings.
    fn boolean(&self, n: &Node) -> Result<bool, Fail> {
        match &n.value {
            Value::Bool(b) => Ok(*b),
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            Value::Str(s) => {
                let s = s.to_ascii_lowercase();
                if in_list("true yes on 1 y", &s) {
                    Ok(true)
                } else if in_list("false no off 0 n", &s) {
                    Ok(false)
                } else {
                    Err(self.err(n, "expected a boolean"))
                }
            }
            _ => Err(self.err(n, "expected a boolean")),
        }
    }

    /// `map`'s boolean `key` into `slot`, which keeps its value without one.
    #[inline(never)] // out of line: 10 call sites
    fn flag(&self, map: &Node, key: &str, slot: &mut bool) -> Result<(), Fail> {
        if let Some(n) = map.get(key) {
            *slot = self.boolean(n)?;
        }
        Ok(())
    }

    fn u32(&self, n: &Node) -> Result<u32, Fail> {
        let v = match &n.value {
            Value::Int(i) => *i,
            Value::Str(s) => match decimal(s.trim_ascii()) {
                Some(v) => v,
                None => return Err(self.err(n, "expected an integer")),
            },
            _ => return Err(self.err(n, "expected an integer")),
        };
        u32::try_from(v).map_err(|_| self.err(n, "integer out of range"))
    }

    /// Every item of a list as a string.
    fn strings(&self, items: &[Node]) -> Result<Vec<String>, Fail> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(self.string(i)?);
        }
        Ok(out)
    }

    /// A list of strings, or one string split at commas (cloud-init accepts
    /// `groups: a, b` and `users: default, foo`).
    fn comma_list(&self, n: &Node) -> Result<Vec<String>, Fail> {
        match &n.value {
            Value::Null => Ok(Vec::new()),
            Value::Seq(items) => self.strings(items),
            _ => {
                let mut out = Vec::new();
                for s in self.string(n)?.split(',') {
                    let s = s.trim_ascii();
                    if !s.is_empty() {
                        out.push(s.to_owned());
                    }
                }
                Ok(out)
            }
        }
    }

    /// SSH keys: a list, or one string (possibly several lines).
    fn key_list(&self, n: &Node) -> Result<Vec<String>, Fail> {
        let mut out = Vec::new();
        match &n.value {
            Value::Null => {}
            Value::Seq(items) => {
                for i in items {
                    push_keys(&mut out, &self.string(i)?);
                }
            }
            _ => push_keys(&mut out, &self.string(n)?),
        }
        Ok(out)
    }

    /// meta-data `public-keys`: string, list, or a map whose values are keys,
    /// key lists, or `{openssh-key: ...}` (EC2 style).
    fn public_keys(&self, n: &Node) -> Result<Vec<String>, Fail> {
        match &n.value {
            Value::Map(entries) => {
                let mut out = Vec::new();
                for e in entries {
                    let v = e.value.get("openssh-key").unwrap_or(&e.value);
                    out.append(&mut self.key_list(v)?);
                }
                Ok(out)
            }
            _ => self.key_list(n),
        }
    }

    fn seq<'n>(&self, n: &'n Node, what: &str) -> Result<&'n [Node], Fail> {
        match &n.value {
            Value::Seq(items) => Ok(items),
            Value::Null => Ok(&[]),
            _ => Err(self.errf(n, format_args!("{what} must be a list"))),
        }
    }

    /// `ctx` arrives with meta-data's keys in `ssh_authorized_keys` and the
    /// user-data scripts in `scripts`.
    #[inline(never)]
    fn apply_cloud_config(
        &self,
        cfg: &Node,
        ctx: &mut Context,
        inputs: &Inputs,
        md_hostname: Option<&str>,
    ) -> Result<(), Fail> {
        let w = &mut ctx.warnings;

        // Users and groups.
        match cfg.get("users") {
            None => {
                if let Some(d) = &inputs.default_user {
                    ctx.users.push(d.clone());
                }
            }
            Some(n) => ctx.users = self.users(n, inputs.default_user.as_ref(), w)?,
        }
        if let Some(n) = cfg.get("groups") {
            ctx.groups = self.groups(n)?;
        }
        if let Some(n) = cfg.get("ssh_authorized_keys") {
            for k in self.key_list(n)? {
                if !ctx.ssh_authorized_keys.contains(&k) {
                    ctx.ssh_authorized_keys.push(k);
                }
            }
        }
        self.flag(cfg, "disable_root", &mut ctx.disable_root)?;
        if let Some(n) = cfg.get("disable_root_opts") {
            ctx.disable_root_opts = self.string(n)?;
        }

        // Hostname, as cloud-init's util.get_hostname_fqdn.
        let cfg_host = match cfg.get("hostname") {
            Some(n) => self.opt_string(n)?,
            None => None,
        };
        let cfg_fqdn = match cfg.get("fqdn") {
            Some(n) => self.opt_string(n)?,
            None => None,
        };
        let (host, fqdn) = match (cfg_fqdn, cfg_host) {
            (Some(f), h) => (Some(h.unwrap_or_else(|| first_label(&f))), Some(f)),
            (None, Some(h)) if has_byte(&h, b".") => (Some(first_label(&h)), Some(h)),
            (None, Some(h)) => (Some(h), md_hostname.map(ToOwned::to_owned)),
            (None, None) => (
                md_hostname.map(first_label),
                md_hostname.map(ToOwned::to_owned),
            ),
        };
        for (what, v) in [("hostname", &host), ("fqdn", &fqdn)] {
            if let Some(v) = v {
                if !valid_hostname(v) {
                    let n = cfg.get(what).unwrap_or(cfg);
                    return Err(self.errf(
                        n,
                        format_args!("invalid {what} `{}`", printable(v.as_bytes())),
                    ));
                }
            }
        }
        ctx.hostname = host;
        ctx.fqdn = fqdn;
        self.flag(
            cfg,
            "prefer_fqdn_over_hostname",
            &mut ctx.prefer_fqdn_over_hostname,
        )?;
        self.flag(cfg, "preserve_hostname", &mut ctx.preserve_hostname)?;
        self.flag(cfg, "create_hostname_file", &mut ctx.create_hostname_file)?;
        if let Some(n) = cfg.get("manage_etc_hosts") {
            ctx.manage_etc_hosts = match &n.value {
                Value::Str(s) if s == "localhost" => Some(EtcHosts::Localhost),
                Value::Str(s) if s == "template" => Some(EtcHosts::Template),
                _ => self.boolean(n)?.then_some(EtcHosts::Template),
            };
        }

        if let Some(n) = cfg.get("write_files") {
            for item in self.seq(n, "write_files")? {
                ctx.write_files.push(self.write_file(item, w)?);
            }
        }

        // Passwords.
        if let Some(n) = cfg.get("password") {
            let pw = self.string(n)?;
            match ctx.users.iter().find(|u| u.is_default) {
                Some(u) => ctx.chpasswd.push(ChPasswd {
                    name: u.name.clone(),
                    password: guess_password(pw),
                }),
                None => self.warn(w, n, "`password` ignored: no default user configured"),
            }
        }
        if let Some(n) = cfg.get("chpasswd") {
            self.chpasswd(n, &mut ctx.chpasswd, &mut ctx.chpasswd_expire, w)?;
        }
        if let Some(n) = cfg.get("ssh_pwauth") {
            ctx.ssh_pwauth = match &n.value {
                Value::Str(s) if s == "unchanged" => None,
                _ => Some(self.boolean(n)?),
            };
        }
        self.flag(cfg, "ssh_deletekeys", &mut ctx.ssh_deletekeys)?;
        if let Some(n) = cfg.get("ssh_genkeytypes") {
            let types = self.comma_list(n)?;
            for t in &types {
                if !in_list("rsa ecdsa ed25519 dsa", t) {
                    return Err(self.bad(n, "unknown ssh key type", t));
                }
            }
            ctx.ssh_genkeytypes = Some(types);
        }
        if let Some(n) = cfg.get("timezone") {
            let tz = self.string(n)?;
            if !valid_timezone(&tz) {
                return Err(self.bad(n, "invalid timezone", &tz));
            }
            ctx.timezone = Some(tz);
        }

        // First-boot scripts: bootcmd, then user-data scripts, then runcmd.
        if let Some(n) = cfg.get("bootcmd") {
            let body = Content(self.commands(n, "bootcmd")?);
            ctx.scripts.insert(
                0,
                Script {
                    name: "bootcmd".to_owned(),
                    body,
                },
            );
        }
        if let Some(n) = cfg.get("runcmd") {
            ctx.scripts.push(Script {
                name: "runcmd".to_owned(),
                body: Content(self.commands(n, "runcmd")?),
            });
        }
        Ok(())
    }

    fn users(
        &self,
        n: &Node,
        default: Option<&User>,
        w: &mut Vec<String>,
    ) -> Result<Vec<User>, Fail> {
        let mut out: Vec<User> = Vec::new();
        // `name: default` (old form: the key `default`) extends the default user.
        let add = |out: &mut Vec<User>, u: User, is_default: bool| match default {
            Some(d) if is_default => push_user(out, overlay_default(d, u)),
            _ => push_user(out, u),
        };
        match &n.value {
            Value::Null => {}
            Value::Str(_) => self.user_names(n, default, &mut out, w)?,
            // Old form: `users: {name: {config...}}`.
            Value::Map(entries) => {
                for e in entries {
                    match &e.value.value {
                        Value::Map(_) => {
                            let u = self.user_map_named(&e.value, Some(&e.key), w)?;
                            add(&mut out, u, e.key == "default");
                        }
                        _ => self.user_name(&e.key, &e.value, default, &mut out, w),
                    }
                }
            }
            Value::Seq(items) => {
                for item in items {
                    match &item.value {
                        Value::Map(_) => {
                            let u = self.user_map(item, w)?;
                            let is_default = u.name == "default";
                            add(&mut out, u, is_default);
                        }
                        _ => self.user_names(item, default, &mut out, w)?,
                    }
                }
            }
            _ => return Err(self.err(n, "users must be a list")),
        }
        for u in &out {
            if !valid_name(&u.name) {
                return Err(self.bad(n, "invalid user name", &u.name));
            }
        }
        Ok(out)
    }

    /// Users named in a string or a list.
    fn user_names(
        &self,
        n: &Node,
        default: Option<&User>,
        out: &mut Vec<User>,
        w: &mut Vec<String>,
    ) -> Result<(), Fail> {
        for name in self.comma_list(n)? {
            self.user_name(&name, n, default, out, w);
        }
        Ok(())
    }

    /// A user given by name only; `default` is the image's default user.
    fn user_name(
        &self,
        name: &str,
        n: &Node,
        default: Option<&User>,
        out: &mut Vec<User>,
        w: &mut Vec<String>,
    ) {
        if name != "default" {
            push_user(out, User::named(name, true));
            return;
        }
        match default {
            Some(d) => push_user(out, d.clone()),
            None => self.warn(
                w,
                n,
                "`default` user skipped: the image configures none in /etc/egret/egret.conf",
            ),
        }
    }

    /// One `users:` mapping entry.
    fn user_map(&self, n: &Node, w: &mut Vec<String>) -> Result<User, Fail> {
        self.user_map_named(n, None, w)
    }

    /// A `users:` mapping entry; `name` is the key of the old
    /// `users: {name: {...}}` form, which the entry's own `name:` overrides.
    fn user_map_named(
        &self,
        n: &Node,
        name: Option<&str>,
        w: &mut Vec<String>,
    ) -> Result<User, Fail> {
        let Value::Map(entries) = &n.value else {
            return Err(self.err(n, "a user must be a mapping"));
        };
        let mut u = User::named(name.unwrap_or_default(), true);
        let mut hashed: Option<String> = None;
        let mut plain: Option<String> = None;
        for e in entries {
            let v = &e.value;
            let key = e.key.as_str();
            // Keys of one type share one reader call: one call site, not one
            // per key.
            let text = match key {
                "gecos" => Some(&mut u.gecos),
                "primary_group" | "primary-group" => Some(&mut u.primary_group),
                "shell" => Some(&mut u.shell),
                "homedir" => Some(&mut u.homedir),
                "passwd" | "hashed_passwd" => Some(&mut hashed),
                "plain_text_passwd" => Some(&mut plain),
                _ => None,
            };
            if let Some(slot) = text {
                *slot = self.opt_string(v)?;
                continue;
            }
            let flag = match key {
                "no_user_group" | "no-user-group" => Some(&mut u.no_user_group),
                "no_create_home" | "no-create-home" => Some(&mut u.no_create_home),
                "system" => Some(&mut u.system),
                "lock_passwd" | "lock-passwd" => Some(&mut u.lock_passwd),
                _ => None,
            };
            if let Some(slot) = flag {
                *slot = self.boolean(v)?;
                continue;
            }
            match key {
                "name" => u.name = self.string(v)?,
                "groups" => u.groups = self.comma_list(v)?,
                "uid" => {
                    u.uid = if v.is_null() {
                        None
                    } else {
                        Some(self.u32(v)?)
                    }
                }
                "sudo" => {
                    u.sudo = match &v.value {
                        Value::Null | Value::Bool(false) => Vec::new(),
                        Value::Bool(true) => {
                            return Err(self.err(
                                v,
                                "sudo: true is not a rule; use e.g. `ALL=(ALL) NOPASSWD:ALL`",
                            ))
                        }
                        Value::Seq(items) => self.strings(items)?,
                        _ => vec_of(self.string(v)?),
                    };
                    for rule in &u.sudo {
                        if has_byte(rule, b"\n") {
                            return Err(self.err(v, "a sudo rule must be one line"));
                        }
                    }
                }
                "ssh_authorized_keys" | "ssh-authorized-keys" => {
                    u.ssh_authorized_keys = self.key_list(v)?
                }
                "expiredate" => {
                    u.expiredate = match self.opt_string(v)? {
                        None => None,
                        Some(d) => Some(
                            days_from_date(&d)
                                .ok_or_else(|| self.err(v, "expiredate must be YYYY-MM-DD"))?,
                        ),
                    }
                }
                "create_groups" => {
                    if !self.boolean(v)? {
                        self.warn(
                            w,
                            v,
                            "create_groups: false is not supported; missing groups are created",
                        );
                    }
                }
                other => self.warnf(w, v, format_args!("user key `{other}` ignored")),
            }
        }
        // cloud-init: a hash wins over plain text.
        u.password = match (hashed, plain) {
            (Some(h), _) => Some(Password::Hash(Secret(h))),
            (None, Some(p)) => Some(Password::Plain(Secret(p))),
            (None, None) => None,
        };
        self.check_user(n, &u)?;
        Ok(u)
    }

    /// What every user entry must satisfy, whichever format gave it.
    pub(crate) fn check_user(&self, n: &Node, u: &User) -> Result<(), Fail> {
        if u.name.is_empty() {
            return Err(self.err(n, "a user needs a name"));
        }
        for (what, v) in [
            ("gecos", &u.gecos),
            ("shell", &u.shell),
            ("homedir", &u.homedir),
            ("primary_group", &u.primary_group),
        ] {
            if let Some(v) = v {
                if has_byte(v, b":\n") {
                    return Err(self.errf(
                        n,
                        format_args!("{what} of {} contains ':' or a newline", u.name),
                    ));
                }
            }
        }
        for g in &u.groups {
            if !valid_name(g) {
                return Err(self.bad(n, "invalid group name", g));
            }
        }
        Ok(())
    }

    #[inline(never)] // measured: smaller out of line
    fn groups(&self, n: &Node) -> Result<Vec<Group>, Fail> {
        let mut out = Vec::new();
        // A list of names or `{name: members}` maps, or one such item alone.
        let items = match &n.value {
            Value::Seq(items) => items.as_slice(),
            _ => core::slice::from_ref(n),
        };
        for i in items {
            match &i.value {
                Value::Map(entries) => {
                    for e in entries {
                        out.push(Group {
                            name: e.key.clone(),
                            members: self.comma_list(&e.value)?,
                            ..Group::default()
                        });
                    }
                }
                _ => {
                    for name in self.comma_list(i)? {
                        out.push(Group {
                            name,
                            ..Group::default()
                        });
                    }
                }
            }
        }
        for g in &out {
            if !valid_name(&g.name) || g.members.iter().any(|m| !valid_name(m)) {
                return Err(self.bad(n, "invalid group or member name in", &g.name));
            }
        }
        Ok(out)
    }

    #[inline(never)] // measured: smaller out of line
    fn write_file(&self, n: &Node, w: &mut Vec<String>) -> Result<WriteFile, Fail> {
        let Value::Map(_) = &n.value else {
            return Err(self.err(n, "a write_files entry must be a mapping"));
        };
        let path_node = n
            .get("path")
            .ok_or_else(|| self.err(n, "write_files entry without path"))?;
        let mut path = self.string(path_node)?;
        if path.is_empty() || has_byte(&path, b"\0") {
            return Err(self.err(path_node, "invalid path"));
        }
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        let mut content: Vec<u8> = match n.get("content") {
            None => Vec::new(),
            Some(c) => match &c.value {
                Value::Binary(b) => b.clone(),
                Value::Null => Vec::new(),
                _ => self.string(c)?.into_bytes(),
            },
        };
        let encoding = match n.get("encoding") {
            Some(e) => {
                let mut s = self.string(e)?;
                s.make_ascii_lowercase();
                s
            }
            None => "text/plain".to_owned(),
        };
        let at = n.get("encoding").unwrap_or(n);
        // `gz`, `b64`, or both as `gz+b64`; each with its long spelling too.
        let (g, b) = encoding.split_once('+').unwrap_or((&encoding, &encoding));
        let (mut gz, mut b64) = (in_list("gz gzip", g), in_list("b64 base64", b));
        let known = if has_byte(&encoding, b"+") {
            gz && b64
        } else {
            gz || b64 || encoding == "text/plain"
        };
        if !known {
            self.warnf(
                w,
                at,
                format_args!("unknown encoding `{encoding}`, content written as text"),
            );
            (gz, b64) = (false, false);
        }
        if b64 {
            content = base64::decode(&content)
                .map_err(|e| self.errf(at, format_args!("content is not base64: {e}")))?;
        }
        if gz {
            content = gzip::decompress(&content, MAX_DECODED)
                .map_err(|e| self.errf(at, format_args!("content is not gzip: {e}")))?;
        }
        if let Some(src) = n.get("source") {
            let uri_node = src.get("uri").unwrap_or(src);
            let uri = self.string(uri_node)?;
            match data_uri(&uri) {
                Some(Ok(bytes)) => content = bytes,
                Some(Err(msg)) => return Err(self.err(uri_node, msg)),
                None => self.warn(
                    w,
                    uri_node,
                    "source: only data: URIs are read (egret fetches no URLs); using content",
                ),
            }
        }
        let permissions = match n.get("permissions") {
            None => 0o644,
            Some(p) => self.permissions(p, w)?,
        };
        let owner = match n.get("owner") {
            Some(o) => self.string(o)?,
            None => "root:root".to_owned(),
        };
        let (mut append, mut defer) = (false, false);
        self.flag(n, "append", &mut append)?;
        self.flag(n, "defer", &mut defer)?;
        Ok(WriteFile {
            path,
            content: Content(content),
            permissions,
            owner,
            append,
            defer,
            overwrite: true,
            keep_mode: false,
            kind: NodeKind::File,
        })
    }

    /// cloud-init's `decode_perms`: an integer is taken as is (YAML reads
    /// `0644` as octal already), a string is octal.
    #[inline(never)] // measured: smaller out of line
    fn permissions(&self, n: &Node, w: &mut Vec<String>) -> Result<u32, Fail> {
        let mode = match &n.value {
            Value::Int(i) => {
                let m = u32::try_from(*i).map_err(|_| self.err(n, "permissions out of range"))?;
                if m > 0o777 && format!("{i}").bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    self.warnf(w, n, format_args!("permissions {i} is read as a decimal number (octal {m:o}); write '0{i}'"));
                }
                m
            }
            Value::Str(s) => {
                let t = s.trim_ascii();
                let t = t.strip_prefix("0o").unwrap_or(t);
                u32::from_str_radix(t, 8)
                    .map_err(|_| self.err(n, "permissions must be octal, e.g. '0644'"))?
            }
            _ => return Err(self.err(n, "permissions must be octal, e.g. '0644'")),
        };
        if mode > 0o7777 {
            return Err(self.err(n, "permissions out of range"));
        }
        Ok(mode)
    }

    #[inline(never)] // measured: smaller out of line
    fn chpasswd(
        &self,
        n: &Node,
        out: &mut Vec<ChPasswd>,
        expire: &mut bool,
        w: &mut Vec<String>,
    ) -> Result<(), Fail> {
        self.flag(n, "expire", expire)?;
        if let Some(users) = n.get("users") {
            for u in self.seq(users, "chpasswd.users")? {
                let name = self.string(
                    u.get("name")
                        .ok_or_else(|| self.err(u, "chpasswd user without name"))?,
                )?;
                let pw_node = u
                    .get("password")
                    .ok_or_else(|| self.err(u, "chpasswd user without password"))?;
                let pw = self.string(pw_node)?;
                let kind = match u.get("type") {
                    Some(t) => Some(self.string(t)?),
                    None => None,
                };
                let password = match kind.as_deref().unwrap_or("hash") {
                    "hash" => Password::Hash(Secret(pw)),
                    "text" => Password::Plain(Secret(pw)),
                    "RANDOM" => {
                        self.warn(w, u, "chpasswd type RANDOM is not supported; entry skipped");
                        continue;
                    }
                    _ => return Err(self.err(u, "chpasswd type must be hash, text or RANDOM")),
                };
                out.push(ChPasswd { name, password });
            }
        }
        if let Some(list) = n.get("list") {
            self.warn(
                w,
                list,
                "chpasswd.list is deprecated in cloud-init; use chpasswd.users",
            );
            match &list.value {
                Value::Seq(items) => {
                    for line in self.strings(items)? {
                        self.chpasswd_line(&line, list, out, w)?;
                    }
                }
                _ => {
                    for line in self.string(list)?.lines() {
                        self.chpasswd_line(line, list, out, w)?;
                    }
                }
            }
        }
        for c in out.iter() {
            if !valid_name(&c.name) {
                return Err(self.bad(n, "invalid user name", &c.name));
            }
        }
        Ok(())
    }

    /// One `user:password` line of the deprecated `chpasswd.list`.
    fn chpasswd_line(
        &self,
        line: &str,
        list: &Node,
        out: &mut Vec<ChPasswd>,
        w: &mut Vec<String>,
    ) -> Result<(), Fail> {
        let line = line.trim_ascii();
        if line.is_empty() {
            return Ok(());
        }
        let Some((name, pw)) = line.split_once(':') else {
            return Err(self.err(list, "chpasswd.list entries are `user:password`"));
        };
        if pw == "R" || pw == "RANDOM" {
            self.warn(
                w,
                list,
                "chpasswd RANDOM passwords are not supported; entry skipped",
            );
            return Ok(());
        }
        out.push(ChPasswd {
            name: name.to_owned(),
            password: guess_password(pw.to_owned()),
        });
        Ok(())
    }

    /// `runcmd`/`bootcmd` into one shell script, as cloud-init's `shellify`:
    /// strings verbatim, lists quoted word by word.
    fn commands(&self, n: &Node, what: &str) -> Result<Vec<u8>, Fail> {
        let mut s = Vec::from(&b"#!/bin/sh\n"[..]);
        let items = match &n.value {
            Value::Str(_) => core::slice::from_ref(n),
            _ => self.seq(n, what)?,
        };
        for item in items {
            match &item.value {
                Value::Seq(words) => {
                    for (i, word) in words.iter().enumerate() {
                        if i > 0 {
                            s.push(b' ');
                        }
                        shell_quote(&mut s, &self.string(word)?);
                    }
                }
                _ => s.extend_from_slice(self.string(item)?.as_bytes()),
            }
            s.push(b'\n');
        }
        Ok(s)
    }
}

/// Adds `u`, replacing an earlier user of the same name.
pub(crate) fn push_user(out: &mut Vec<User>, u: User) {
    match out.iter_mut().find(|x| x.name == u.name) {
        Some(x) => *x = u,
        None => out.push(u),
    }
}

/// A `- name: default` entry: the given keys over the configured default user.
fn overlay_default(d: &User, mut u: User) -> User {
    let mut out = d.clone();
    if u.gecos.is_some() {
        out.gecos = u.gecos;
    }
    if !u.groups.is_empty() {
        out.groups = u.groups;
    }
    if u.shell.is_some() {
        out.shell = u.shell;
    }
    if u.password.is_some() {
        out.password = u.password;
    }
    if !u.sudo.is_empty() {
        out.sudo = u.sudo;
    }
    out.lock_passwd = u.lock_passwd;
    out.ssh_authorized_keys.append(&mut u.ssh_authorized_keys);
    out
}

/// Whether `s` contains one of the ASCII bytes in `set`: a byte loop, not
/// `core::str`'s pattern searchers.
pub(crate) fn has_byte(s: &str, set: &[u8]) -> bool {
    s.bytes().any(|b| set.contains(&b))
}

fn vec_of(s: String) -> Vec<String> {
    alloc::vec![s]
}

/// One key per non-empty, non-comment line.
pub(crate) fn push_keys(out: &mut Vec<String>, s: &str) {
    for line in s.lines() {
        platform::push_key(out, line);
    }
}

/// A password from the legacy forms: a crypt hash if it looks like one.
fn guess_password(pw: String) -> Password {
    if crate::crypt::looks_hashed(&pw) {
        Password::Hash(Secret(pw))
    } else {
        Password::Plain(Secret(pw))
    }
}

fn first_label(h: &str) -> String {
    h.split('.').next().unwrap_or(h).to_owned()
}

/// RFC 1123 labels, at most 253 characters (underscores tolerated, as
/// systemd-hostnamed does not, but clouds hand them out).
pub fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `Area/City` names as in the tz database: no `..`, no leading `/`.
pub fn valid_timezone(tz: &str) -> bool {
    !tz.is_empty()
        && tz.len() <= 128
        && !tz.starts_with('/')
        && tz
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && tz
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
}

/// Bytes, not chars: UTF-8 passes through unchanged either way.
fn shell_quote(out: &mut Vec<u8>, w: &str) {
    if !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        out.extend_from_slice(w.as_bytes());
        return;
    }
    out.push(b'\'');
    for b in w.bytes() {
        match b {
            b'\'' => out.extend_from_slice(b"'\\''"),
            b => out.push(b),
        }
    }
    out.push(b'\'');
}

/// What `str::parse::<i64>` accepts (an optional sign, then decimal digits,
/// no overflow), through the shared digit loop: no core integer parser.
pub(crate) fn decimal(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    let v = crate::text::radix(digits, 10)?;
    // Negated as unsigned, so i64::MIN fits.
    if neg {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// `YYYY-MM-DD` to days since the epoch (proleptic Gregorian).
pub fn days_from_date(s: &str) -> Option<u64> {
    let mut it = s.trim_ascii().splitn(3, '-');
    let y = decimal(it.next()?)?;
    let m = decimal(it.next()?)?;
    let d = decimal(it.next()?)?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    u64::try_from(era * 146_097 + doe - 719_468).ok()
}

/// Decodes `data:[type][;base64],payload`; `None` if not a data: URI.
pub fn data_uri(uri: &str) -> Option<Result<Vec<u8>, &'static str>> {
    let rest = uri.strip_prefix("data:")?;
    let Some((head, payload)) = rest.split_once(',') else {
        return Some(Err("data: URI without ','"));
    };
    let bytes = percent_decode(payload.as_bytes());
    if head.split(';').any(|p| p.eq_ignore_ascii_case("base64")) {
        Some(base64::decode(&bytes).map_err(|_| "data: URI is not valid base64"))
    } else {
        Some(Ok(bytes))
    }
}

#[inline(never)] // measured: smaller out of line
fn percent_decode(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            // What `u8::from_str_radix(h, 16)` takes of the next two bytes:
            // two hex digits, or `+` and one.
            // 16 for anything but a hex digit.
            let hex = |k: usize| {
                b.get(i + k)
                    .and_then(|&h| char::from(h).to_digit(16))
                    .unwrap_or(16)
            };
            let (h, l) = (hex(1), hex(2));
            let v = if b.get(i + 1) == Some(&b'+') {
                l
            } else {
                h * 16 + l
            };
            if let (true, Ok(v)) = (l < 16, u8::try_from(v)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    /// A context's scripts as (name, body) pairs.
    fn scripts(c: &Context) -> Vec<(&str, &[u8])> {
        c.scripts
            .iter()
            .map(|s| (s.name.as_str(), s.body.0.as_slice()))
            .collect()
    }

    fn docs(user_data: &str) -> Documents {
        Documents {
            source: "t".to_owned(),
            user_data: Some(user_data.as_bytes().to_vec()),
            ..Documents::default()
        }
    }

    fn ok(user_data: &str) -> Context {
        match build(&docs(user_data), &Inputs::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    fn refused(user_data: &str) -> String {
        match build(&docs(user_data), &Inputs::default()) {
            Ok(c) => panic!("accepted: {:?}", c.warnings),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn hostnames() {
        for h in ["a", "web-1.example.com", "a_b", "x1.y2", &"a".repeat(63)] {
            assert!(valid_hostname(h), "{h}");
        }
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62),
        ]
        .join(".");
        assert_eq!(long.len(), 254);
        for h in [
            "",
            "-a",
            "a-",
            "a..b",
            "a.",
            ".a",
            "bad host!",
            "é",
            &"a".repeat(64),
            &long,
        ] {
            assert!(!valid_hostname(h), "{h}");
        }
        assert!(valid_hostname(long.get(1..).unwrap_or_default()));
    }

    #[test]
    fn names() {
        for n in ["alice", "a.b-c_d", "machine$", "_x", &"a".repeat(32)] {
            assert!(valid_name(n), "{n}");
        }
        for n in [
            "",
            ".",
            "..",
            "-a",
            "1a",
            "123",
            "a$b",
            "a:b",
            "a b",
            "ä",
            &"a".repeat(33),
        ] {
            assert!(!valid_name(n), "{n}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2000-03-01"), Some(11017));
        assert_eq!(days_from_date("2024-02-29"), Some(19782));
        assert_eq!(days_from_date(" 2030-12-31 "), Some(22279));
        assert_eq!(days_from_date("9999-12-31"), Some(2932896));
        for d in [
            "1969-12-31",
            "10000-01-01",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
        ] {
            assert_eq!(days_from_date(d), None, "{d}");
        }
        for d in [
            "",
            "abc",
            "2024-01",
            "2024-01-x",
            "2024--01-01",
            "-2024-01-01",
        ] {
            assert_eq!(days_from_date(d), None, "{d}");
        }
    }

    #[test]
    fn decimal_is_i64_parse() {
        for s in [
            "0",
            "42",
            "+7",
            "-7",
            "007",
            "",
            "+",
            "-",
            "+-1",
            "1 ",
            " 1",
            "1_000",
            "0x10",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
            "١",
        ] {
            assert_eq!(decimal(s), s.parse::<i64>().ok(), "{s:?}");
        }
    }

    #[test]
    fn percent_decode_is_from_str_radix() {
        // The decoder it replaces: `u8::from_str_radix` of the two bytes.
        let reference = |b: &[u8]| -> Option<u8> {
            u8::from_str_radix(core::str::from_utf8(b.get(1..3)?).ok()?, 16).ok()
        };
        for x in 0..=255u8 {
            for y in [
                b'0', b'9', b'a', b'F', b'g', b'+', b'-', b'%', 0xc3, 0xa9, x,
            ] {
                for s in [[b'%', x, y], [b'%', y, x]] {
                    let want = match reference(&s) {
                        Some(v) => alloc::vec![v],
                        None => s.to_vec(),
                    };
                    assert_eq!(percent_decode(&s), want, "{s:?}");
                }
            }
        }
        assert_eq!(percent_decode(b"a%4"), b"a%4");
    }

    #[test]
    fn data_uris() {
        assert_eq!(data_uri("http://example.com/x"), None);
        assert_eq!(
            data_uri("data:,hello%20x%zz%4"),
            Some(Ok(b"hello x%zz%4".to_vec()))
        );
        assert_eq!(
            data_uri("data:text/plain;base64,aGk="),
            Some(Ok(b"hi".to_vec()))
        );
        assert_eq!(data_uri("data:;BASE64,aGk%3D"), Some(Ok(b"hi".to_vec())));
        assert_eq!(data_uri("data:"), Some(Err("data: URI without ','")));
        assert_eq!(
            data_uri("data:;base64,***"),
            Some(Err("data: URI is not valid base64"))
        );
    }

    fn yaml(s: &str) -> Node {
        match parse_yaml(s.as_bytes(), "t") {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn merge_maps_recursively_and_replaces_the_rest() {
        let base = yaml("a: 1\nm: {x: 1, y: [1, 2]}\nl: [1]\nz: 0\n");
        let over = yaml("m: {y: [3], w: 2}\nl: x\nn: null\n");
        let want = yaml("a: 1\nz: 0\nm: {x: 1, y: [3], w: 2}\nl: x\nn: null\n");
        let got = merge(base, over);
        let keys = |n: &Node| match &n.value {
            Value::Map(e) => e.iter().map(|e| e.key.clone()).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(keys(&got), ["a", "z", "m", "l", "n"]);
        assert_eq!(keys(got.get("m").unwrap_or(&got)), ["x", "y", "w"]);
        for k in ["a", "z", "l", "n"] {
            assert_eq!(got.get(k).map(|n| &n.value), want.get(k).map(|n| &n.value));
        }
        let y = got.get("m").and_then(|m| m.get("y")).unwrap_or(&got);
        assert_eq!(y.pos, Pos { line: 1, col: 8 });
        // A non-mapping over a mapping replaces it, and the reverse.
        assert_eq!(
            merge(yaml("a: 1\n"), yaml("[1]\n")).value,
            yaml("[1]\n").value
        );
        assert_eq!(
            merge(yaml("x\n"), yaml("a: 1\n")).value,
            yaml("a: 1\n").value
        );
    }

    #[test]
    fn unapplied_keys_are_named() {
        let c = ok("#cloud-config\nhostname: h\npackages: [x]\nnetwork: {}\ndebug: 1\nfoo: 1\nssh_keys: {}\nruncmd: []\n");
        assert_eq!(
            c.warnings,
            [
                "t/user-data:3:1: `packages` ignored: egret installs no packages",
                "t/user-data:4:1: `network` ignored: network configuration arrives with a later egret release",
                "t/user-data:5:1: `debug` ignored: use egret.debug on the kernel command line",
                "t/user-data:6:1: unknown cloud-config key `foo` ignored",
                "t/user-data:7:1: `ssh_keys` ignored: host keys from user-data are not supported yet",
            ]
        );
        // Every table entry is one word: no empty or doubled separators.
        for list in IGNORED.iter().map(|(k, _)| *k).chain([APPLIED]) {
            assert!(list
                .split(' ')
                .all(|k| !k.is_empty() && k.bytes().all(|b| b != b'\n')));
        }
        assert_eq!(APPLIED.split(' ').count(), 20);
        assert_eq!(
            IGNORED
                .iter()
                .map(|(k, _)| k.split(' ').count())
                .sum::<usize>(),
            64
        );
        assert!(in_list(APPLIED, "bootcmd") && in_list(APPLIED, "users"));
        assert!(!in_list(APPLIED, "") && !in_list(APPLIED, "user"));
    }

    #[test]
    fn write_files_encodings() {
        let file = |enc: &str, content: &str| {
            let c = ok(&format!(
                "#cloud-config\nwrite_files:\n- path: x\n  encoding: {enc}\n  content: {content}\n"
            ));
            let f = c.write_files.first().cloned().unwrap_or_default();
            assert_eq!((f.path.as_str(), f.permissions), ("/x", 0o644));
            assert_eq!(
                (f.owner.as_str(), f.append, f.defer),
                ("root:root", false, false)
            );
            (
                String::from_utf8_lossy(&f.content.0).into_owned(),
                c.warnings,
            )
        };
        let gz = "H4sIAIDb/U8C/1NW1E/KzNMvzuBKTc7IV8hIzcnJVyjPL8pJ4QIA6N+MVxsAAAA=";
        let script = "#!/bin/sh\necho hello world\n";
        for enc in ["b64", "BASE64"] {
            assert_eq!(file(enc, "aGk="), ("hi".to_owned(), vec![]));
        }
        for enc in ["gz+b64", "gzip+base64", "GZ+BASE64", "gzip+b64"] {
            assert_eq!(file(enc, gz), (script.to_owned(), vec![]));
        }
        assert_eq!(file("text/plain", "aGk="), ("aGk=".to_owned(), vec![]));
        for enc in ["gz+foo", "b64+gz", "base", "gz+b64+x", "+", "''"] {
            let shown = if enc == "''" { "" } else { enc };
            let warning = format!(
                "t/user-data:4:13: unknown encoding `{}`, content written as text",
                shown.to_ascii_lowercase()
            );
            assert_eq!(
                file(enc, "aGk="),
                ("aGk=".to_owned(), vec![warning]),
                "{enc}"
            );
        }
        assert_eq!(
            refused("#cloud-config\nwrite_files:\n- path: x\n  encoding: gz\n  content: aGk=\n"),
            format!(
                "t/user-data:4:13: content is not gzip: {}",
                gzip::decompress(b"aGk=", MAX_DECODED)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            )
        );
    }

    #[test]
    fn booleans_and_errors() {
        for (v, want) in [
            ("YES", true),
            ("on", true),
            ("y", true),
            ("1", true),
            ("'1'", true),
        ] {
            assert_eq!(
                ok(&format!("#cloud-config\ndisable_root: {v}\n")).disable_root,
                want
            );
        }
        for v in ["Off", "no", "'N'", "0", "false"] {
            let c = ok(&format!(
                "#cloud-config\ndisable_root: {v}\nssh_deletekeys: {v}\n"
            ));
            assert!(!c.disable_root && !c.ssh_deletekeys, "{v}");
        }
        assert_eq!(
            refused("#cloud-config\ndisable_root: maybe\n"),
            "t/user-data:2:15: expected a boolean"
        );
        assert_eq!(
            refused("#cloud-config\nusers:\n  - name: a\n    uid: lots\n"),
            "t/user-data:4:10: expected an integer"
        );
        assert_eq!(
            refused("#cloud-config\nhostname: 'bad\\x01'\n"),
            // A literal backslash is escaped: it cannot pass for a control byte.
            "t/user-data:2:11: invalid hostname `bad\\\\x01`"
        );
        assert_eq!(
            refused("#cloud-config\nssh_genkeytypes: [rsa, dss]\n"),
            "t/user-data:2:18: unknown ssh key type `dss`"
        );
        assert_eq!(
            refused("#cloud-config\ngroups: [{g: [ok, 'b:d']}]\n"),
            "t/user-data:2:9: invalid group or member name in `g`"
        );
        assert_eq!(
            refused("#cloud-config\nruncmd: 1\n"),
            "t/user-data:2:9: runcmd must be a list"
        );
        assert_eq!(
            refused("#cloud-config\n- 1\n"),
            "t/user-data:2:1: cloud-config must be a mapping"
        );
        assert_eq!(
            parse_meta_data(b"[1]", "md"),
            Err(Error {
                file: "md".to_owned(),
                pos: Pos { line: 1, col: 1 },
                msg: "meta-data must be a mapping".to_owned()
            })
        );
    }

    #[test]
    fn users_groups_and_commands() {
        let c = ok("#cloud-config\nusers: [a, [b, c], {name: d, groups: 'x, y'}, default, a]\ngroups: [p, {q: [a, b]}, 'r, s']\nruncmd: [[echo, \"it's\", ''], 'ls -l']\nbootcmd: date\n");
        let names: Vec<&str> = c.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        assert_eq!(
            c.users.get(3).map(|u| u.groups.clone()),
            Some(vec!["x".to_owned(), "y".to_owned()])
        );
        assert_eq!(
            c.warnings,
            ["t/user-data:2:47: `default` user skipped: the image configures none in /etc/egret/egret.conf"]
        );
        let groups: Vec<(&str, usize)> = c
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.members.len()))
            .collect();
        assert_eq!(groups, [("p", 0), ("q", 2), ("r", 0), ("s", 0)]);
        assert_eq!(
            scripts(&c),
            [
                ("bootcmd", &b"#!/bin/sh\ndate\n"[..]),
                ("runcmd", &b"#!/bin/sh\necho 'it'\\''s' ''\nls -l\n"[..]),
            ]
        );
        let d = User {
            name: "cloud".to_owned(),
            groups: vec!["wheel".to_owned()],
            is_default: true,
            lock_passwd: true,
            ..User::default()
        };
        let inputs = Inputs {
            default_user: Some(d),
            ..Inputs::default()
        };
        let c = match build(
            &docs("#cloud-config\nusers:\n- {name: default, shell: /bin/zsh}\n- default\n"),
            &inputs,
        ) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c.users.len(), 1);
        let u = c.users.first().cloned().unwrap_or_default();
        assert_eq!((u.name.as_str(), u.shell), ("cloud", None));
        let c = match build(
            &docs("#cloud-config\nusers:\n  default: {shell: /bin/zsh, groups: []}\n"),
            &inputs,
        ) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let u = c.users.first().cloned().unwrap_or_default();
        assert_eq!(
            (u.name.as_str(), u.shell.as_deref(), u.groups.len()),
            ("cloud", Some("/bin/zsh"), 1)
        );
    }

    /// Keys read through shared code paths: per-user keys by type, chpasswd
    /// in all its forms, meta-data's hostname and keys, script order.
    #[test]
    fn user_keys_chpasswd_and_script_order() {
        let d = Documents {
            source: "t".to_owned(),
            meta_data: Some(b"local-hostname: m.example.org\npublic-keys: [k1]\n".to_vec()),
            vendor_data: Some(b"#!/bin/sh\necho v\n".to_vec()),
            user_data: Some(
                b"#cloud-config\nssh_authorized_keys: [k2, k1]\nusers:\n- name: u\n  gecos: G\n  primary-group: pg\n  shell: /bin/zsh\n  homedir: /h\n  passwd: $6$s$h\n  plain_text_passwd: p\n  no-user-group: true\n  no_create_home: yes\n  system: on\n  lock-passwd: false\n  uid: '7'\n  expiredate: 1970-01-02\n  bogus: 1\n- name: v\n  plain_text_passwd: q\nchpasswd:\n  expire: false\n  users:\n  - {name: u, password: x, type: text}\n  - {name: v, password: y}\n  - {name: w, password: z, type: RANDOM}\n  list: \"a:b\\n\\n c:$1$s$h \\nd:R\\n\"\nbootcmd: [b]\nruncmd: [r]\n"
                    .to_vec(),
            ),
            ..Documents::default()
        };
        let c = match build(&d, &Inputs::default()) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let hash = |s: &str| Password::Hash(Secret(s.to_owned()));
        let plain = |s: &str| Password::Plain(Secret(s.to_owned()));
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            (c.hostname.clone(), c.fqdn.clone()),
            (some("m"), some("m.example.org"))
        );
        assert_eq!(c.ssh_authorized_keys, ["k1", "k2"]);
        assert_eq!(
            c.users,
            [
                User {
                    name: "u".to_owned(),
                    gecos: some("G"),
                    primary_group: some("pg"),
                    no_user_group: true,
                    shell: some("/bin/zsh"),
                    homedir: some("/h"),
                    no_create_home: true,
                    system: true,
                    uid: Some(7),
                    password: Some(hash("$6$s$h")),
                    expiredate: Some(1),
                    ..User::default()
                },
                User {
                    name: "v".to_owned(),
                    lock_passwd: true,
                    password: Some(plain("q")),
                    ..User::default()
                },
            ]
        );
        let pw = |name: &str, password| ChPasswd {
            name: name.to_owned(),
            password,
        };
        assert_eq!(
            c.chpasswd,
            [
                pw("u", plain("x")),
                pw("v", hash("y")),
                pw("a", plain("b")),
                pw("c", hash("$1$s$h")),
            ]
        );
        assert!(!c.chpasswd_expire);
        assert_eq!(
            scripts(&c),
            [
                ("bootcmd", &b"#!/bin/sh\nb\n"[..]),
                ("part-001", &b"#!/bin/sh\necho v\n"[..]),
                ("runcmd", &b"#!/bin/sh\nr\n"[..]),
            ]
        );
        assert_eq!(
            c.warnings,
            [
                "t/user-data:17:10: user key `bogus` ignored",
                "t/user-data:25:5: chpasswd type RANDOM is not supported; entry skipped",
                "t/user-data:26:9: chpasswd.list is deprecated in cloud-init; use chpasswd.users",
                "t/user-data:26:9: chpasswd RANDOM passwords are not supported; entry skipped",
            ]
        );

        // The list form of `chpasswd.list`, and its refusals.
        let c = ok("#cloud-config\nchpasswd: {list: ['e:f', ' ', 'g:RANDOM']}\n");
        assert_eq!(c.chpasswd, [pw("e", plain("f"))]);
        assert_eq!(c.warnings.len(), 2);
        assert_eq!(
            refused("#cloud-config\nchpasswd: {list: [e]}\n"),
            "t/user-data:2:18: chpasswd.list entries are `user:password`"
        );
        assert_eq!(
            refused("#cloud-config\nchpasswd: {list: [e, [x]]}\n"),
            "t/user-data:2:22: expected a string"
        );
        assert_eq!(
            refused("#cloud-config\nchpasswd: {users: [{name: e, password: f, type: x}]}\n"),
            "t/user-data:2:20: chpasswd type must be hash, text or RANDOM"
        );
        assert_eq!(
            refused("#cloud-config\nusers: [{name: u, shell: 'a:b'}]\n"),
            "t/user-data:2:9: shell of u contains ':' or a newline"
        );
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn config_drive_admin_pass() {
        let docs = |ud: &str| Documents {
            source: "configdrive:/d/openstack/latest".to_owned(),
            meta_data: Some(br#"{"uuid": "u", "admin_pass": "Adm1n"}"#.to_vec()),
            user_data: Some(ud.as_bytes().to_vec()),
            meta_kind: MetaKind::ConfigDrive,
            ..Documents::default()
        };
        let conf = parse_conf(
            b"default_user: {name: ubuntu}\nconfigdrive_admin_pass: yes\n",
            "c",
        )
        .unwrap();
        assert!(conf.configdrive_admin_pass);
        let mut inputs = Inputs {
            default_user: conf.default_user,
            ..Inputs::default()
        };
        // Not allowed: a warning, no password.
        let c = build(&docs("#cloud-config\n"), &inputs).unwrap();
        assert!(c.users.iter().all(|u| u.password.is_none()));
        assert_eq!(
            c.warnings,
            ["configdrive:/d/openstack/latest/meta_data.json: admin_pass ignored (egret.conf has no `configdrive_admin_pass: true`)"]
        );
        inputs.configdrive_admin_pass = true;
        let c = build(&docs("#cloud-config\n"), &inputs).unwrap();
        let u = c.users.iter().find(|u| u.is_default).unwrap();
        assert_eq!(
            u.password,
            Some(Password::Plain(Secret("Adm1n".to_owned())))
        );
        assert!(!u.lock_passwd);
        // user-data's own password wins.
        let c = build(
            &docs("#cloud-config\nusers: [default, {name: ubuntu, passwd: '$6$x$y'}]\n"),
            &inputs,
        )
        .unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("admin_pass not used")),
            "{:?}",
            c.warnings
        );
        // No default user: root.
        inputs.default_user = None;
        let c = build(&docs("#cloud-config\n"), &inputs).unwrap();
        let root = c.users.iter().find(|u| u.name == "root").unwrap();
        assert_eq!(
            root.password,
            Some(Password::Plain(Secret("Adm1n".to_owned())))
        );
    }
}
