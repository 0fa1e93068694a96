//! Documents into the one [`Context`]: meta-data, vendor-data and user-data
//! are parsed, cloud-config trees merged (vendor below user, later parts over
//! earlier ones), and every key interpreted with cloud-init's semantics.
//!
//! This module owns the meaning of cloud-config keys. It never touches the
//! sysroot: whatever it cannot interpret is either an error (the whole input
//! is refused, nothing is applied) or a warning (the key is skipped).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::model::{
    ChPasswd, Content, Context, EtcHosts, Group, Password, Script, Secret, User, WriteFile,
    DISABLE_ROOT_OPTS,
};
use crate::source::Documents;
use crate::text::userdata::{self, Piece};
use crate::text::value::{Entry, Node, Pos, Value};
use crate::text::{base64, gzip, yaml};

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
    let root = parse_yaml(bytes, file)?;
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
    yaml::parse(bytes).map_err(|e| Error {
        file: file.to_owned(),
        pos: Pos {
            line: e.line,
            col: e.col,
        },
        msg: e.kind.to_string(),
    })
}

/// The image's configuration of egret (`/etc/egret/egret.conf`): for now its
/// `default_user`, in the same form as a cloud-config `users` entry.
pub fn parse_conf(bytes: &[u8], file: &str) -> Result<Option<User>, Error> {
    let root = parse_yaml(bytes, file)?;
    let r = Reader { file };
    let mut warnings = Vec::new();
    match root.get("default_user") {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) => {
            let mut u = r.user_map(n, &mut warnings)?;
            u.is_default = true;
            Ok(Some(u))
        }
    }
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
}

/// Instance id when meta-data gives none (cloud-init's NoCloud default).
pub const DEFAULT_INSTANCE_ID: &str = "iid-dsnocloud";

/// Parses and merges one source's documents into a [`Context`]. Every document
/// is validated before anything is returned: one error refuses the whole set.
pub fn build(docs: &Documents, inputs: &Inputs) -> Result<Context, Error> {
    let mut ctx = Context {
        source: docs.source.clone(),
        disable_root: true,
        create_hostname_file: true,
        disable_root_opts: DISABLE_ROOT_OPTS.to_owned(),
        chpasswd_expire: true,
        ssh_deletekeys: true,
        ..Context::default()
    };
    let md = match &docs.meta_data {
        Some(b) => parse_meta_data(b, &docs.name("meta-data"))?,
        None => MetaData::default(),
    };
    ctx.instance_id = inputs
        .cmdline_instance_id
        .clone()
        .or(md.instance_id)
        .unwrap_or_else(|| DEFAULT_INSTANCE_ID.to_owned());
    let md_hostname = inputs.cmdline_hostname.clone().or(md.local_hostname);

    // Vendor data first, user data over it; scripts keep that order too.
    let mut merged: Option<Node> = None;
    let mut scripts: Vec<Script> = Vec::new();
    for (label, bytes) in [
        ("vendor-data", &docs.vendor_data),
        ("user-data", &docs.user_data),
    ] {
        let Some(bytes) = bytes else { continue };
        let name = docs.name(label);
        let split = userdata::split(bytes, &name).map_err(|e| Error {
            file: name.clone(),
            pos: Pos::default(),
            msg: e.to_string(),
        })?;
        ctx.warnings.extend(split.warnings);
        for piece in split.pieces {
            match piece {
                Piece::CloudConfig { body, name: part } => {
                    let file = if part == name {
                        name.clone()
                    } else {
                        format!("{name}({part})")
                    };
                    let tree = parse_yaml(&body, &file)?;
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
                            return Err(Error {
                                file,
                                pos: tree.pos,
                                msg: "cloud-config must be a mapping".to_owned(),
                            })
                        }
                    }
                }
                Piece::Script { body, name: part } => scripts.push(Script {
                    name: part,
                    body: Content(body),
                }),
                Piece::Boothook { body, name: part } => {
                    ctx.warnings.push(format!(
                        "{name}: boothook {part} runs at first boot, not in the initramfs"
                    ));
                    scripts.push(Script {
                        name: part,
                        body: Content(boothook_script(&body)),
                    });
                }
            }
        }
    }
    ctx.network_config = docs.network_config.clone().map(Content);

    let cfg = merged.unwrap_or(Node::new(Pos::default(), Value::Map(Vec::new())));
    // Errors in merged trees name the user-data document; positions stay exact
    // because every node keeps the position it was parsed at.
    let file = docs.name("user-data");
    let r = Reader { file: &file };
    r.apply_cloud_config(&cfg, &mut ctx, inputs, md.public_keys, md_hostname, scripts)?;
    Ok(ctx)
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

/// Keys egret applies.
const APPLIED: &[&str] = &[
    "users",
    "groups",
    "ssh_authorized_keys",
    "disable_root",
    "disable_root_opts",
    "hostname",
    "fqdn",
    "prefer_fqdn_over_hostname",
    "preserve_hostname",
    "create_hostname_file",
    "manage_etc_hosts",
    "write_files",
    "chpasswd",
    "password",
    "ssh_pwauth",
    "ssh_deletekeys",
    "ssh_genkeytypes",
    "timezone",
    "runcmd",
    "bootcmd",
];

/// cloud-init keys egret knows and deliberately does not apply (with why).
const IGNORED: &[(&str, &str)] = &[
    ("packages", "egret installs no packages"),
    ("package_update", "egret installs no packages"),
    ("package_upgrade", "egret installs no packages"),
    ("package_reboot_if_required", "egret installs no packages"),
    ("apt", "egret installs no packages"),
    ("yum_repos", "egret installs no packages"),
    ("zypper", "egret installs no packages"),
    ("apk_repos", "egret installs no packages"),
    ("snap", "egret installs no packages"),
    (
        "network",
        "network configuration arrives with a later egret release",
    ),
    ("ntp", "not supported"),
    ("locale", "not supported"),
    ("keyboard", "not supported"),
    ("mounts", "not supported"),
    ("swap", "not supported"),
    ("growpart", "egret does not resize disks"),
    ("resize_rootfs", "egret does not resize disks"),
    ("disk_setup", "egret does not partition disks"),
    ("fs_setup", "egret does not make filesystems"),
    ("phone_home", "egret sends nothing home"),
    ("final_message", "not supported"),
    ("power_state", "not supported"),
    ("ca_certs", "not supported"),
    ("rsyslog", "not supported"),
    ("ssh_keys", "host keys from user-data are not supported yet"),
    ("ssh_import_id", "egret fetches no keys from key servers"),
    ("ssh_quiet_keygen", "not needed"),
    ("ssh_publish_hostkeys", "not supported"),
    ("ssh_fp_console_blacklist", "not needed"),
    ("ssh_key_console_blacklist", "not needed"),
    ("no_ssh_fingerprints", "not needed"),
    ("authkey_hash", "not needed"),
    ("allow_public_ssh_keys", "not supported"),
    ("output", "not supported"),
    ("seed_random", "not supported"),
    ("random_seed", "not supported"),
    (
        "merge_how",
        "egret merges mappings recursively and replaces lists",
    ),
    (
        "merge_type",
        "egret merges mappings recursively and replaces lists",
    ),
    ("cloud_init_modules", "egret has no modules"),
    ("cloud_config_modules", "egret has no modules"),
    ("cloud_final_modules", "egret has no modules"),
    (
        "system_info",
        "the default user comes from /etc/egret/egret.conf",
    ),
    ("datasource", "not supported"),
    (
        "datasource_list",
        "use egret.sources= on the kernel command line",
    ),
    ("manage_resolv_conf", "not supported"),
    ("resolv_conf", "not supported"),
    ("wireguard", "not supported"),
    ("lxd", "not supported"),
    ("chef", "not supported"),
    ("puppet", "not supported"),
    ("salt_minion", "not supported"),
    ("ansible", "not supported"),
    ("byobu_by_default", "not supported"),
    ("landscape", "not supported"),
    ("mcollective", "not supported"),
    ("spacewalk", "not supported"),
    ("rh_subscription", "not supported"),
    ("ubuntu_advantage", "not supported"),
    ("ubuntu_pro", "not supported"),
    ("updates", "not supported"),
    ("drivers", "not supported"),
    ("write_metadata", "not supported"),
    ("vendor_data", "not supported"),
    ("debug", "use egret.debug on the kernel command line"),
];

/// Reads typed values out of a tree, naming `file` and the node's position.
struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn err(&self, n: &Node, msg: &str) -> Error {
        Error {
            file: self.file.to_owned(),
            pos: n.pos,
            msg: msg.to_owned(),
        }
    }

    fn warn(&self, w: &mut Vec<String>, n: &Node, msg: &str) {
        w.push(format!(
            "{}:{}:{}: {}",
            self.file, n.pos.line, n.pos.col, msg
        ));
    }

    /// Warns about every top-level key egret does not apply.
    fn check_keys(&self, tree: &Node, w: &mut Vec<String>) {
        let Value::Map(entries) = &tree.value else {
            return;
        };
        for e in entries {
            if APPLIED.contains(&e.key.as_str()) {
                continue;
            }
            let at = format!("{}:{}:{}", self.file, e.key_pos.line, e.key_pos.col);
            match IGNORED.iter().find(|(k, _)| *k == e.key) {
                Some((_, why)) => w.push(format!("{at}: `{}` ignored: {why}", e.key)),
                None => w.push(format!(
                    "{at}: unknown cloud-config key `{}` ignored",
                    e.key
                )),
            }
        }
    }

    /// A scalar as cloud-init's `str()` would give it; `None` for null.
    fn opt_string(&self, n: &Node) -> Result<Option<String>, Error> {
        Ok(match &n.value {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.clone()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
            _ => return Err(self.err(n, "expected a string")),
        })
    }

    fn string(&self, n: &Node) -> Result<String, Error> {
        self.opt_string(n)?
            .ok_or_else(|| self.err(n, "expected a string, found null"))
    }

    /// cloud-init's `util.is_true`/`translate_bool`: booleans and their spellings.
    fn boolean(&self, n: &Node) -> Result<bool, Error> {
        match &n.value {
            Value::Bool(b) => Ok(*b),
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            Value::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" | "y" => Ok(true),
                "false" | "no" | "off" | "0" | "n" => Ok(false),
                _ => Err(self.err(n, "expected a boolean")),
            },
            _ => Err(self.err(n, "expected a boolean")),
        }
    }

    fn u32(&self, n: &Node) -> Result<u32, Error> {
        let v = match &n.value {
            Value::Int(i) => *i,
            Value::Str(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| self.err(n, "expected an integer"))?,
            _ => return Err(self.err(n, "expected an integer")),
        };
        u32::try_from(v).map_err(|_| self.err(n, "integer out of range"))
    }

    /// A list of strings, or one string split at commas (cloud-init accepts
    /// `groups: a, b` and `users: default, foo`).
    fn comma_list(&self, n: &Node) -> Result<Vec<String>, Error> {
        match &n.value {
            Value::Null => Ok(Vec::new()),
            Value::Seq(items) => items.iter().map(|i| self.string(i)).collect(),
            _ => Ok(self
                .string(n)?
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(ToOwned::to_owned)
                .collect()),
        }
    }

    /// SSH keys: a list, or one string (possibly several lines).
    fn key_list(&self, n: &Node) -> Result<Vec<String>, Error> {
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
    fn public_keys(&self, n: &Node) -> Result<Vec<String>, Error> {
        match &n.value {
            Value::Map(entries) => {
                let mut out = Vec::new();
                for e in entries {
                    let v = e.value.get("openssh-key").unwrap_or(&e.value);
                    out.extend(self.key_list(v)?);
                }
                Ok(out)
            }
            _ => self.key_list(n),
        }
    }

    fn seq<'n>(&self, n: &'n Node, what: &str) -> Result<&'n [Node], Error> {
        match &n.value {
            Value::Seq(items) => Ok(items),
            Value::Null => Ok(&[]),
            _ => Err(self.err(n, &format!("{what} must be a list"))),
        }
    }

    fn apply_cloud_config(
        &self,
        cfg: &Node,
        ctx: &mut Context,
        inputs: &Inputs,
        md_keys: Vec<String>,
        md_hostname: Option<String>,
        part_scripts: Vec<Script>,
    ) -> Result<(), Error> {
        let mut warnings = Vec::new();
        let w = &mut warnings;

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
        ctx.ssh_authorized_keys = md_keys;
        if let Some(n) = cfg.get("ssh_authorized_keys") {
            for k in self.key_list(n)? {
                if !ctx.ssh_authorized_keys.contains(&k) {
                    ctx.ssh_authorized_keys.push(k);
                }
            }
        }
        if let Some(n) = cfg.get("disable_root") {
            ctx.disable_root = self.boolean(n)?;
        }
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
            (None, Some(h)) if h.contains('.') => (Some(first_label(&h)), Some(h)),
            (None, Some(h)) => (Some(h), md_hostname.clone()),
            (None, None) => (md_hostname.as_deref().map(first_label), md_hostname.clone()),
        };
        for (what, v) in [("hostname", &host), ("fqdn", &fqdn)] {
            if let Some(v) = v {
                if !valid_hostname(v) {
                    let n = cfg.get(what).unwrap_or(cfg);
                    return Err(self.err(n, &format!("invalid {what} `{}`", printable(v))));
                }
            }
        }
        ctx.hostname = host;
        ctx.fqdn = fqdn;
        if let Some(n) = cfg.get("prefer_fqdn_over_hostname") {
            ctx.prefer_fqdn_over_hostname = self.boolean(n)?;
        }
        if let Some(n) = cfg.get("preserve_hostname") {
            ctx.preserve_hostname = self.boolean(n)?;
        }
        if let Some(n) = cfg.get("create_hostname_file") {
            ctx.create_hostname_file = self.boolean(n)?;
        }
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
            self.chpasswd(n, ctx, w)?;
        }
        if let Some(n) = cfg.get("ssh_pwauth") {
            ctx.ssh_pwauth = match &n.value {
                Value::Str(s) if s == "unchanged" => None,
                _ => Some(self.boolean(n)?),
            };
        }
        if let Some(n) = cfg.get("ssh_deletekeys") {
            ctx.ssh_deletekeys = self.boolean(n)?;
        }
        if let Some(n) = cfg.get("ssh_genkeytypes") {
            let types = self.comma_list(n)?;
            for t in &types {
                if !matches!(t.as_str(), "rsa" | "ecdsa" | "ed25519" | "dsa") {
                    return Err(self.err(n, &format!("unknown ssh key type `{}`", printable(t))));
                }
            }
            ctx.ssh_genkeytypes = Some(types);
        }
        if let Some(n) = cfg.get("timezone") {
            let tz = self.string(n)?;
            if !valid_timezone(&tz) {
                return Err(self.err(n, &format!("invalid timezone `{}`", printable(&tz))));
            }
            ctx.timezone = Some(tz);
        }

        // First-boot scripts: bootcmd, then user-data scripts, then runcmd.
        if let Some(n) = cfg.get("bootcmd") {
            ctx.scripts.push(Script {
                name: "bootcmd".to_owned(),
                body: Content(self.commands(n, "bootcmd")?),
            });
        }
        ctx.scripts.extend(part_scripts);
        if let Some(n) = cfg.get("runcmd") {
            ctx.scripts.push(Script {
                name: "runcmd".to_owned(),
                body: Content(self.commands(n, "runcmd")?),
            });
        }
        ctx.warnings.extend(warnings);
        Ok(())
    }

    fn users(
        &self,
        n: &Node,
        default: Option<&User>,
        w: &mut Vec<String>,
    ) -> Result<Vec<User>, Error> {
        let mut out: Vec<User> = Vec::new();
        let push = |u: User, out: &mut Vec<User>| match out.iter_mut().find(|x| x.name == u.name) {
            Some(x) => *x = u,
            None => out.push(u),
        };
        let by_name = |name: &str, node: &Node, out: &mut Vec<User>, w: &mut Vec<String>| {
            if name == "default" {
                match default {
                    Some(d) => push(d.clone(), out),
                    None => self.warn(w, node, "`default` user skipped: the image configures none in /etc/egret/egret.conf"),
                }
            } else {
                push(
                    User {
                        name: name.to_owned(),
                        lock_passwd: true,
                        ..User::default()
                    },
                    out,
                );
            }
        };
        match &n.value {
            Value::Null => {}
            Value::Str(_) => {
                for name in self.comma_list(n)? {
                    by_name(&name, n, &mut out, w);
                }
            }
            // Old form: `users: {name: {config...}}`.
            Value::Map(entries) => {
                for e in entries {
                    match &e.value.value {
                        Value::Map(_) => {
                            let u = self.user_map_named(&e.value, Some(&e.key), w)?;
                            match (e.key.as_str(), default) {
                                ("default", Some(d)) => push(overlay_default(d, u), &mut out),
                                _ => push(u, &mut out),
                            }
                        }
                        _ => by_name(&e.key, &e.value, &mut out, w),
                    }
                }
            }
            Value::Seq(items) => {
                for item in items {
                    match &item.value {
                        Value::Map(_) => {
                            let u = self.user_map(item, w)?;
                            // `- name: default` extends the default user.
                            match (u.name.as_str(), default) {
                                ("default", Some(d)) => push(overlay_default(d, u), &mut out),
                                _ => push(u, &mut out),
                            }
                        }
                        Value::Seq(_) => {
                            for name in self.comma_list(item)? {
                                by_name(&name, item, &mut out, w);
                            }
                        }
                        _ => {
                            for name in self.comma_list(item)? {
                                by_name(&name, item, &mut out, w);
                            }
                        }
                    }
                }
            }
            _ => return Err(self.err(n, "users must be a list")),
        }
        for u in &out {
            if !valid_name(&u.name) {
                return Err(self.err(n, &format!("invalid user name `{}`", printable(&u.name))));
            }
        }
        Ok(out)
    }

    /// One `users:` mapping entry.
    fn user_map(&self, n: &Node, w: &mut Vec<String>) -> Result<User, Error> {
        self.user_map_named(n, None, w)
    }

    /// A `users:` mapping entry; `name` is the key of the old
    /// `users: {name: {...}}` form, which the entry's own `name:` overrides.
    fn user_map_named(
        &self,
        n: &Node,
        name: Option<&str>,
        w: &mut Vec<String>,
    ) -> Result<User, Error> {
        let Value::Map(entries) = &n.value else {
            return Err(self.err(n, "a user must be a mapping"));
        };
        let mut u = User {
            name: name.unwrap_or_default().to_owned(),
            lock_passwd: true,
            ..User::default()
        };
        let mut hashed: Option<String> = None;
        let mut plain: Option<String> = None;
        for e in entries {
            let v = &e.value;
            match e.key.as_str() {
                "name" => u.name = self.string(v)?,
                "gecos" => u.gecos = self.opt_string(v)?,
                "groups" => u.groups = self.comma_list(v)?,
                "primary_group" | "primary-group" => u.primary_group = self.opt_string(v)?,
                "no_user_group" | "no-user-group" => u.no_user_group = self.boolean(v)?,
                "shell" => u.shell = self.opt_string(v)?,
                "homedir" => u.homedir = self.opt_string(v)?,
                "no_create_home" | "no-create-home" => u.no_create_home = self.boolean(v)?,
                "system" => u.system = self.boolean(v)?,
                "uid" => {
                    u.uid = if v.is_null() {
                        None
                    } else {
                        Some(self.u32(v)?)
                    }
                }
                "lock_passwd" | "lock-passwd" => u.lock_passwd = self.boolean(v)?,
                "passwd" | "hashed_passwd" => hashed = self.opt_string(v)?,
                "plain_text_passwd" => plain = self.opt_string(v)?,
                "sudo" => {
                    u.sudo = match &v.value {
                        Value::Null | Value::Bool(false) => Vec::new(),
                        Value::Bool(true) => {
                            return Err(self.err(
                                v,
                                "sudo: true is not a rule; use e.g. `ALL=(ALL) NOPASSWD:ALL`",
                            ))
                        }
                        Value::Seq(items) => items
                            .iter()
                            .map(|i| self.string(i))
                            .collect::<Result<_, _>>()?,
                        _ => vec_of(self.string(v)?),
                    };
                    for rule in &u.sudo {
                        if rule.contains('\n') {
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
                other => self.warn(w, v, &format!("user key `{other}` ignored")),
            }
        }
        // cloud-init: a hash wins over plain text.
        u.password = match (hashed, plain) {
            (Some(h), _) => Some(Password::Hash(Secret(h))),
            (None, Some(p)) => Some(Password::Plain(Secret(p))),
            (None, None) => None,
        };
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
                if v.contains([':', '\n']) {
                    return Err(self.err(
                        n,
                        &format!("{what} of {} contains ':' or a newline", u.name),
                    ));
                }
            }
        }
        for g in &u.groups {
            if !valid_name(g) {
                return Err(self.err(n, &format!("invalid group name `{}`", printable(g))));
            }
        }
        Ok(u)
    }

    fn groups(&self, n: &Node) -> Result<Vec<Group>, Error> {
        let mut out = Vec::new();
        let add_map = |entries: &[Entry], out: &mut Vec<Group>| -> Result<(), Error> {
            for e in entries {
                out.push(Group {
                    name: e.key.clone(),
                    members: self.comma_list(&e.value)?,
                });
            }
            Ok(())
        };
        match &n.value {
            Value::Null => {}
            Value::Map(entries) => add_map(entries, &mut out)?,
            Value::Seq(items) => {
                for i in items {
                    match &i.value {
                        Value::Map(entries) => add_map(entries, &mut out)?,
                        _ => {
                            for name in self.comma_list(i)? {
                                out.push(Group {
                                    name,
                                    members: Vec::new(),
                                });
                            }
                        }
                    }
                }
            }
            _ => {
                for name in self.comma_list(n)? {
                    out.push(Group {
                        name,
                        members: Vec::new(),
                    });
                }
            }
        }
        for g in &out {
            if !valid_name(&g.name) || g.members.iter().any(|m| !valid_name(m)) {
                return Err(self.err(
                    n,
                    &format!("invalid group or member name in `{}`", printable(&g.name)),
                ));
            }
        }
        Ok(out)
    }

    fn write_file(&self, n: &Node, w: &mut Vec<String>) -> Result<WriteFile, Error> {
        let Value::Map(_) = &n.value else {
            return Err(self.err(n, "a write_files entry must be a mapping"));
        };
        let path_node = n
            .get("path")
            .ok_or_else(|| self.err(n, "write_files entry without path"))?;
        let mut path = self.string(path_node)?;
        if path.is_empty() || path.contains('\0') {
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
            Some(e) => self.string(e)?.to_ascii_lowercase(),
            None => "text/plain".to_owned(),
        };
        let at = n.get("encoding").unwrap_or(n);
        let (b64, gz) = match encoding.as_str() {
            "b64" | "base64" => (true, false),
            "gz" | "gzip" => (false, true),
            "gz+b64" | "gz+base64" | "gzip+b64" | "gzip+base64" => (true, true),
            "text/plain" => (false, false),
            other => {
                self.warn(
                    w,
                    at,
                    &format!("unknown encoding `{other}`, content written as text"),
                );
                (false, false)
            }
        };
        if b64 {
            content = base64::decode(&content)
                .map_err(|e| self.err(at, &format!("content is not base64: {e}")))?;
        }
        if gz {
            content = gzip::decompress(&content, MAX_DECODED)
                .map_err(|e| self.err(at, &format!("content is not gzip: {e}")))?;
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
        let append = match n.get("append") {
            Some(a) => self.boolean(a)?,
            None => false,
        };
        let defer = match n.get("defer") {
            Some(a) => self.boolean(a)?,
            None => false,
        };
        Ok(WriteFile {
            path,
            content: Content(content),
            permissions,
            owner,
            append,
            defer,
        })
    }

    /// cloud-init's `decode_perms`: an integer is taken as is (YAML reads
    /// `0644` as octal already), a string is octal.
    fn permissions(&self, n: &Node, w: &mut Vec<String>) -> Result<u32, Error> {
        let mode = match &n.value {
            Value::Int(i) => {
                let m = u32::try_from(*i).map_err(|_| self.err(n, "permissions out of range"))?;
                if m > 0o777 && i.to_string().bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    self.warn(w, n, &format!("permissions {i} is read as a decimal number (octal {m:o}); write '0{i}'"));
                }
                m
            }
            Value::Str(s) => {
                let t = s.trim();
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

    fn chpasswd(&self, n: &Node, ctx: &mut Context, w: &mut Vec<String>) -> Result<(), Error> {
        if let Some(e) = n.get("expire") {
            ctx.chpasswd_expire = self.boolean(e)?;
        }
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
                    Some(t) => self.string(t)?,
                    None => "hash".to_owned(),
                };
                let password = match kind.as_str() {
                    "hash" => Password::Hash(Secret(pw)),
                    "text" => Password::Plain(Secret(pw)),
                    "RANDOM" => {
                        self.warn(w, u, "chpasswd type RANDOM is not supported; entry skipped");
                        continue;
                    }
                    _ => return Err(self.err(u, "chpasswd type must be hash, text or RANDOM")),
                };
                ctx.chpasswd.push(ChPasswd { name, password });
            }
        }
        if let Some(list) = n.get("list") {
            self.warn(
                w,
                list,
                "chpasswd.list is deprecated in cloud-init; use chpasswd.users",
            );
            let lines: Vec<String> = match &list.value {
                Value::Seq(items) => items
                    .iter()
                    .map(|i| self.string(i))
                    .collect::<Result<_, _>>()?,
                _ => self.string(list)?.lines().map(ToOwned::to_owned).collect(),
            };
            for line in lines {
                let line = line.trim();
                if line.is_empty() {
                    continue;
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
                    continue;
                }
                ctx.chpasswd.push(ChPasswd {
                    name: name.to_owned(),
                    password: guess_password(pw.to_owned()),
                });
            }
        }
        for c in &ctx.chpasswd {
            if !valid_name(&c.name) {
                return Err(self.err(n, &format!("invalid user name `{}`", printable(&c.name))));
            }
        }
        Ok(())
    }

    /// `runcmd`/`bootcmd` into one shell script, as cloud-init's `shellify`:
    /// strings verbatim, lists quoted word by word.
    fn commands(&self, n: &Node, what: &str) -> Result<Vec<u8>, Error> {
        let mut s = String::from("#!/bin/sh\n");
        if let Value::Str(_) = &n.value {
            s.push_str(&self.string(n)?);
            s.push('\n');
            return Ok(s.into_bytes());
        }
        for item in self.seq(n, what)? {
            match &item.value {
                Value::Seq(words) => {
                    let mut first = true;
                    for word in words {
                        if !first {
                            s.push(' ');
                        }
                        first = false;
                        shell_quote(&mut s, &self.string(word)?);
                    }
                }
                _ => s.push_str(&self.string(item)?),
            }
            s.push('\n');
        }
        Ok(s.into_bytes())
    }
}

/// A `- name: default` entry: the given keys over the configured default user.
fn overlay_default(d: &User, u: User) -> User {
    let mut out = d.clone();
    let empty = User::default();
    if u.gecos.is_some() {
        out.gecos = u.gecos;
    }
    if u.groups != empty.groups {
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
    out.ssh_authorized_keys.extend(u.ssh_authorized_keys);
    out
}

fn vec_of(s: String) -> Vec<String> {
    alloc::vec![s]
}

/// One key per non-empty, non-comment line.
fn push_keys(out: &mut Vec<String>, s: &str) {
    for line in s.lines() {
        let line = line.trim();
        if !line.is_empty() && !line.starts_with('#') && !out.iter().any(|k| k == line) {
            out.push(line.to_owned());
        }
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

/// A user or group name egret may write into `/etc/passwd`/`/etc/group`.
pub fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n != "."
        && n != ".."
        && !n.starts_with('-')
        && !n.bytes().all(|b| b.is_ascii_digit())
        && n.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphanumeric()
                || b == b'_'
                || b == b'.'
                || b == b'-'
                || (b == b'$' && i + 1 == n.len())
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

/// Escapes control characters for a log line.
pub fn printable(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(64) {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn shell_quote(out: &mut String, w: &str) {
    if !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        out.push_str(w);
        return;
    }
    out.push('\'');
    out.push_str(&w.replace('\'', "'\\''"));
    out.push('\'');
}

/// `YYYY-MM-DD` to days since the epoch (proleptic Gregorian).
pub fn days_from_date(s: &str) -> Option<u64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
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

fn percent_decode(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| core::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
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
