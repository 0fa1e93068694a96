//! The [`Context`] into the sysroot: accounts, keys, sudo, hostname, files,
//! host keys, first-boot scripts and the per-instance state.
//!
//! Every write goes through [`Root`], so nothing lands outside the sysroot.
//! Account changes are planned in memory first (so `write_files` owners can
//! name users this run creates), then written file by file. A failing step is
//! logged and the others still run; the instance is only marked applied when
//! every step succeeded, so the next boot tries again.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use super::accounts::{self, Accounts, LoginDefs};
use super::root::{self, Kind, Root};
use crate::log::Log;
use crate::model::{Context, EtcHosts, NodeKind, Password, Secret, User, WriteFile};
use crate::text::cat;
use crate::text::printable;

/// Largest system file egret reads back (passwd, sshd_config, ...).
pub(super) const MAX_FILE: usize = 8 << 20;
const STATE_DIR: &str = "/var/lib/egret";
const STATE_ID: &str = "/var/lib/egret/instance-id";
const SCRIPTS_DIR: &str = "/var/lib/egret/scripts";
const SCRIPTS_DONE: &str = "/var/lib/egret/scripts.done";
const KEYGEN_DONE: &str = "/var/lib/egret/ssh-keygen.done";
// The unit and script texts spell these paths out: a constant text costs
// less than formatting one at run time.
const KEYGEN_SCRIPT: &str = "/var/lib/egret/ssh-keygen";
const FIRSTBOOT_SCRIPT: &str = "/var/lib/egret/firstboot";
pub(super) const UNIT_DIR: &str = "/etc/systemd/system";
const WANTS_DIR: &str = "/etc/systemd/system/multi-user.target.wants";
const SUDOERS_FILE: &str = "/etc/sudoers.d/90-egret-users";

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Re-apply even if this instance id was applied before.
    pub force: bool,
    /// Today, in days since 1970-01-01 (shadow's unit).
    pub today: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// This instance id was applied before and `--force` was not given.
    AlreadyApplied,
}

/// Why an apply did not complete; each problem was logged. The instance is
/// not marked applied either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failed {
    /// The documents conflict with the image (a uid already taken, a
    /// `write_files` owner that does not exist, ...): found while planning,
    /// before anything was written, so nothing was.
    Refused(usize),
    /// Steps failed while writing (I/O); the other steps were done.
    Steps(usize),
}

impl core::fmt::Display for Failed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failed::Refused(n) => write!(
                f,
                "{n} conflict(s) between the documents and the image; nothing written"
            ),
            Failed::Steps(n) => write!(f, "{n} step(s) failed"),
        }
    }
}

/// Applies `ctx` to `root`.
#[inline(never)]
pub fn apply(root: &Root, ctx: &Context, opts: &Options, log: &mut Log) -> Result<Outcome, Failed> {
    let mut run = Run {
        root,
        log,
        failures: 0,
        conflicts: 0,
    };
    let previous = run.read_string(STATE_ID);
    let previous = previous.as_deref().map(str::trim);
    let new_instance = previous != Some(ctx.instance_id.as_str());
    let id = printable(ctx.instance_id.as_bytes());
    if !new_instance && !opts.force {
        run.log.say(format_args!(
            "instance {id} already applied; nothing to do (--force re-applies)"
        ));
        return Ok(Outcome::AlreadyApplied);
    }
    match previous {
        Some(p) if new_instance => run.log.say(format_args!(
            "new instance {id} (was {})",
            printable(p.as_bytes())
        )),
        Some(_) => run
            .log
            .say(format_args!("re-applying instance {id} (--force)")),
        None => run.log.say(format_args!("first boot of instance {id}")),
    }

    // One syncfs at the end instead of an fsync of each directory after
    // each rename (see Root::batch_dir_syncs): fewer waits on the disk.
    root.batch_dir_syncs();
    let mut plan = run.plan_accounts(ctx, opts.today);
    // Every owner must exist (in the image or among the users this run
    // creates) before the first write: bad input never half-applies.
    for f in &ctx.write_files {
        if resolve_owner(&f.owner, plan.as_ref().map(|p| &p.acc)).is_none() {
            run.conflict(format_args!(
                "write_files {}: unknown owner `{}`",
                printable(f.path.as_bytes()),
                printable(f.owner.as_bytes())
            ));
        }
    }
    run.check_nodes(ctx);
    if run.conflicts > 0 {
        return Err(Failed::Refused(run.conflicts));
    }

    run.write_files(ctx, plan.as_ref().map(|p| &p.acc), false);
    if let Some(p) = &mut plan {
        run.write_accounts(p);
        run.homes_and_keys(p);
        run.sudoers(&p.sudo);
    }
    run.hostname(ctx);
    run.ssh(ctx, new_instance);
    run.timezone(ctx);
    run.scripts(ctx, new_instance);
    // Deferred files (and all of Ignition's storage) after the users exist.
    run.write_files(ctx, plan.as_ref().map(|p| &p.acc), true);
    run.unit_ops(ctx);
    run.selinux();

    // Everything on disk before the instance is recorded as applied, and the
    // record itself on disk before egret says so.
    run.flush();
    if run.failures > 0 {
        return Err(Failed::Steps(run.failures));
    }
    run.mkdir(STATE_DIR, 0o700, 0, 0);
    run.write(
        STATE_ID,
        cat(&[&ctx.instance_id, "\n"]).as_bytes(),
        0o644,
        0,
        0,
    );
    run.flush();
    if run.failures > 0 {
        return Err(Failed::Steps(run.failures));
    }
    Ok(Outcome::Applied)
}

/// The account changes of this run, computed before anything is written.
struct Plan {
    acc: Accounts,
    original: accounts::Rendered,
    users: Vec<Planned>,
    /// (user, rule)
    sudo: Vec<(String, String)>,
    home_mode: u32,
}

/// A user whose home and keys egret sees to.
struct Planned {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
    create_home: bool,
    keys: Vec<String>,
    /// authorized_keys options put before each key (root with disable_root).
    key_options: Option<String>,
}

pub(super) struct Run<'a> {
    pub(super) root: &'a Root,
    pub(super) log: &'a mut Log,
    failures: usize,
    /// Problems of the input found while planning (see `Failed::Refused`).
    conflicts: usize,
}

// Each step below is `#[inline(never)]` (as is `apply`): inlined into one
// function they shared a stack frame of 8 KiB, where nearly every access
// needs a 4-byte displacement instead of one byte.
impl Run<'_> {
    // The failure helpers are out of line and take `format_args!`, like
    // `Log::say`: call sites only build their arguments.
    #[inline(never)]
    pub(super) fn conflict(&mut self, args: fmt::Arguments<'_>) {
        self.conflicts += 1;
        self.log.say(format_args!("error: {args}"));
    }

    #[inline(never)]
    pub(super) fn fail(&mut self, args: fmt::Arguments<'_>) {
        self.failures += 1;
        self.log.say(format_args!("error: {args}"));
    }

    #[inline(never)]
    fn fail_err(&mut self, e: root::Error) {
        self.fail(format_args!("{e}"));
    }

    /// Logs a failed filesystem step as a failure; true when it succeeded.
    #[inline(never)]
    pub(super) fn ok(&mut self, r: Result<(), root::Error>) -> bool {
        match r {
            Ok(()) => true,
            Err(e) => {
                self.fail_err(e);
                false
            }
        }
    }

    fn flush(&mut self) {
        let r = self.root.flush();
        self.ok(r);
    }

    fn read(&mut self, path: &str) -> Option<Vec<u8>> {
        match self.root.read_follow(path, MAX_FILE) {
            Ok(v) => v,
            Err(e) => {
                self.fail_err(e);
                None
            }
        }
    }

    fn read_string(&mut self, path: &str) -> Option<String> {
        self.read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn exists(&self, path: &str) -> bool {
        matches!(self.root.meta(path), Ok(Some(_)))
    }

    fn is_dir(&self, path: &str) -> bool {
        matches!(self.root.meta(path), Ok(Some(m)) if m.kind == Kind::Dir)
    }

    pub(super) fn write(&mut self, path: &str, data: &[u8], mode: u32, uid: u32, gid: u32) -> bool {
        // Same bytes, mode and owner: leave the file (and its mtime) alone.
        if let (Ok(Some(m)), Ok(Some(old))) = (self.root.meta(path), self.root.read(path, MAX_FILE))
        {
            if m.kind == Kind::File && old == data && m.mode == mode && m.uid == uid && m.gid == gid
            {
                return true;
            }
        }
        let r = self.root.write_atomic(path, data, mode, uid, gid);
        self.ok(r)
    }

    /// Like `write` but an existing file keeps its mode and owner.
    fn write_keep(&mut self, path: &str, data: &[u8], mode: u32, uid: u32, gid: u32) {
        if let Ok(Some(old)) = self.root.read(path, MAX_FILE) {
            if old == data {
                return;
            }
        }
        let r = self.root.write_atomic_keep(path, data, mode, uid, gid);
        self.ok(r);
    }

    pub(super) fn mkdir(&mut self, path: &str, mode: u32, uid: u32, gid: u32) -> bool {
        let r = self.root.mkdir_all(path, mode, uid, gid);
        self.ok(r)
    }

    #[inline(never)]
    fn plan_accounts(&mut self, ctx: &Context, today: u64) -> Option<Plan> {
        let passwd = self.read("/etc/passwd");
        let group = self.read("/etc/group");
        let (Some(passwd), Some(group)) = (passwd, group) else {
            if !ctx.users.is_empty()
                || !ctx.groups.is_empty()
                || !ctx.ssh_authorized_keys.is_empty()
                || !ctx.chpasswd.is_empty()
            {
                self.fail(format_args!("the sysroot has no /etc/passwd or /etc/group: users, groups and keys not applied"));
            }
            return None;
        };
        let shadow = self.read("/etc/shadow");
        let gshadow = self.read("/etc/gshadow");
        let defs_text = self.read("/etc/login.defs").unwrap_or_default();
        let defs = LoginDefs::parse(&defs_text);
        let useradd = self.read("/etc/default/useradd").unwrap_or_default();
        let mut acc = Accounts::parse(&passwd, shadow.as_deref(), &group, gshadow.as_deref());
        let original = acc.render();
        let default_shell = conf_value(&useradd, "SHELL").unwrap_or("/bin/sh");
        let home_base = conf_value(&useradd, "HOME").unwrap_or("/home");

        for g in &ctx.groups {
            let r = match (acc.gid_of(&g.name), g.gid) {
                // Ignition's `gid`: an existing group must already have it.
                (Some(e), Some(gid)) if e != gid => Err(accounts::Error::IdTaken),
                (None, Some(gid)) if acc.group_by_gid(gid).is_some() => {
                    Err(accounts::Error::IdTaken)
                }
                (None, Some(gid)) => acc.add_group(&g.name, gid),
                _ => ensure_group(&mut acc, &defs, &g.name, g.system).map(drop),
            };
            if let Err(e) = r {
                self.conflict(format_args!("group {}: {e}", g.name));
            }
        }
        let default_name = ctx
            .users
            .iter()
            .find(|u| u.is_default)
            .map(|u| u.name.as_str());
        let mut users = Vec::new();
        let mut sudo = Vec::new();
        for u in &ctx.users {
            match self.plan_user(&mut acc, &defs, u, today, default_shell, home_base) {
                Ok(mut p) => {
                    if default_name == Some(u.name.as_str()) {
                        merge_keys(&mut p.keys, &ctx.ssh_authorized_keys);
                    }
                    for rule in &u.sudo {
                        sudo.push((u.name.clone(), rule.clone()));
                    }
                    users.push(p);
                }
                Err(e) => self.conflict(format_args!("user {}: {e}", u.name)),
            }
        }
        self.members_and_passwords(ctx, &mut acc, today);
        if !ctx.ssh_authorized_keys.is_empty() {
            root_keys(ctx, &acc, &mut users, default_name);
        }
        Some(Plan {
            acc,
            original,
            users,
            sudo,
            home_mode: home_mode(&defs_text),
        })
    }

    /// Group members after the users, so members created by this run
    /// count; then `chpasswd`.
    #[inline(never)]
    fn members_and_passwords(&mut self, ctx: &Context, acc: &mut Accounts, today: u64) {
        for g in &ctx.groups {
            for m in &g.members {
                if !acc.has_user(m) {
                    self.log.say(format_args!(
                        "warning: group {}: member {m} does not exist, skipped",
                        g.name
                    ));
                } else if let Err(e) = acc.add_member(&g.name, m) {
                    self.conflict(format_args!("group {}: {e}", g.name));
                }
            }
        }
        for c in &ctx.chpasswd {
            if !acc.has_user(&c.name) {
                self.log.say(format_args!(
                    "warning: chpasswd: user {} does not exist, skipped",
                    c.name
                ));
                continue;
            }
            let set = match set_password(acc, &c.name, &c.password, today) {
                Ok(set) => set,
                Err(e) => {
                    self.conflict(format_args!("chpasswd {}: {e}", c.name));
                    continue;
                }
            };
            if ctx.chpasswd_expire {
                if let Err(e) = acc.set_lastchg(&c.name, 0) {
                    self.conflict(format_args!("chpasswd {}: {e}", c.name));
                }
            }
            self.log.say(format_args!(
                "chpasswd: password of {} {}",
                c.name,
                if set { "set" } else { "unchanged" }
            ));
        }
    }

    #[inline(never)]
    fn plan_user(
        &mut self,
        acc: &mut Accounts,
        defs: &LoginDefs,
        u: &User,
        today: u64,
        default_shell: &str,
        home_base: &str,
    ) -> Result<Planned, accounts::Error> {
        let (uid, gid, home, create_home) = match acc.user(&u.name) {
            Some(mut e) => {
                self.log.say(format_args!(
                    "user {} exists (uid {}): kept, settings applied",
                    u.name, e.uid
                ));
                if let (true, Some(sh)) = (u.set_shell, &u.shell) {
                    acc.set_shell(&u.name, sh)?;
                }
                (e.uid, e.gid, core::mem::take(&mut e.home), false)
            }
            None => {
                let uid = match u.uid {
                    Some(uid) if acc.user_by_uid(uid).is_some() => {
                        return Err(accounts::Error::IdTaken)
                    }
                    Some(uid) => uid,
                    None => acc.alloc_uid(u.system, defs)?,
                };
                let gid = if let Some(pg) = &u.primary_group {
                    ensure_group(acc, defs, pg, u.system)?
                } else if u.no_user_group {
                    acc.gid_of("users").unwrap_or(100)
                } else if let Some(g) = acc.gid_of(&u.name) {
                    g
                } else {
                    let gid = acc.alloc_gid(u.system, defs, Some(uid))?;
                    acc.add_group(&u.name, gid)?;
                    gid
                };
                let home = u
                    .homedir
                    .clone()
                    .unwrap_or_else(|| cat(&[home_base.trim_end_matches('/'), "/", &u.name]));
                let mut entry = accounts::User {
                    name: u.name.clone(),
                    uid,
                    gid,
                    gecos: u.gecos.clone().unwrap_or_default(),
                    home,
                    shell: u.shell.clone().unwrap_or_else(|| default_shell.to_owned()),
                };
                acc.add_user(&entry, today)?;
                self.log.say(format_args!(
                    "user {} created (uid {uid}, gid {gid})",
                    u.name
                ));
                let home = core::mem::take(&mut entry.home);
                (uid, gid, home, !u.no_create_home && !u.system)
            }
        };
        for g in &u.groups {
            ensure_group(acc, defs, g, false)?;
            acc.add_member(g, &u.name)?;
        }
        if let Some(pw) = &u.password {
            set_password(acc, &u.name, pw, today)?;
        }
        if u.lock_passwd {
            acc.lock(&u.name)?;
        }
        if let Some(d) = u.expiredate {
            acc.set_expiredate(&u.name, Some(d))?;
        }
        Ok(Planned {
            name: u.name.clone(),
            uid,
            gid,
            home,
            create_home,
            keys: u.ssh_authorized_keys.clone(),
            key_options: None,
        })
    }

    #[inline(never)]
    fn write_accounts(&mut self, p: &Plan) {
        let new = p.acc.render();
        let shadow_gid = p.acc.gid_of("shadow").unwrap_or(0);
        if new.passwd != p.original.passwd {
            self.write_keep("/etc/passwd", &new.passwd, 0o644, 0, 0);
        }
        if new.group != p.original.group {
            self.write_keep("/etc/group", &new.group, 0o644, 0, 0);
        }
        if let Some(s) = &new.shadow {
            if Some(s) != p.original.shadow.as_ref() {
                self.write_keep("/etc/shadow", s, 0o640, 0, shadow_gid);
            }
        }
        if let Some(s) = &new.gshadow {
            if Some(s) != p.original.gshadow.as_ref() {
                self.write_keep("/etc/gshadow", s, 0o640, 0, shadow_gid);
            }
        }
    }

    #[inline(never)]
    fn homes_and_keys(&mut self, p: &Plan) {
        for u in &p.users {
            if u.create_home && !self.exists(&u.home) {
                self.home(u, p.home_mode);
            }
            if !u.keys.is_empty() {
                self.keys(u);
            }
        }
    }

    #[inline(never)]
    fn home(&mut self, u: &Planned, mode: u32) {
        let parent = parent_of(&u.home);
        if self.mkdir(parent, 0o755, 0, 0) && self.mkdir(&u.home, mode, u.uid, u.gid) {
            let r = self.root.copy_tree("/etc/skel", &u.home, u.uid, u.gid);
            self.ok(r);
            self.log
                .say(format_args!("home {} created for {}", u.home, u.name));
        }
    }

    #[inline(never)]
    fn keys(&mut self, u: &Planned) {
        let dir = cat(&[u.home.trim_end_matches('/'), "/.ssh"]);
        let file = cat(&[&dir, "/authorized_keys"]);
        if !self.is_dir(&u.home) {
            self.log.say(format_args!(
                "warning: {}: home {} does not exist, keys not written",
                u.name, u.home
            ));
            return;
        }
        if !self.is_dir(&dir) && !self.mkdir(&dir, 0o700, u.uid, u.gid) {
            return;
        }
        let r = self.root.set_owner_mode(&dir, 0o700, u.uid, u.gid);
        self.ok(r);
        let old = self.read_string(&file).unwrap_or_default();
        let (text, added) = authorized_keys(&old, &u.keys, u.key_options.as_deref());
        if self.write(&file, text.as_bytes(), 0o600, u.uid, u.gid) {
            self.log
                .say(format_args!("{}: {added} key(s) added to {file}", u.name));
        }
    }

    #[inline(never)]
    fn sudoers(&mut self, rules: &[(String, String)]) {
        if rules.is_empty() {
            return;
        }
        let mut text =
            String::from("# Written by egret: sudo rules from the instance's user-data.\n");
        let mut last = "";
        for (user, rule) in rules {
            if user != last {
                let _ = writeln!(text, "\n# User rules for {user}");
                last = user;
            }
            let _ = writeln!(text, "{user} {rule}");
        }
        match self.read_string("/etc/sudoers") {
            None => self.log.line("warning: the image has no /etc/sudoers (sudo not installed?); rules written anyway"),
            Some(s) => {
                let included = s.lines().any(|l| {
                    let l = l.trim_ascii_start();
                    (l.starts_with("#includedir") || l.starts_with("@includedir")) && find(l, "/etc/sudoers.d").is_some()
                });
                if !included {
                    let mut s = s;
                    if !s.is_empty() && !s.ends_with('\n') {
                        s.push('\n');
                    }
                    s.push_str("@includedir /etc/sudoers.d\n");
                    self.write_keep("/etc/sudoers", s.as_bytes(), 0o440, 0, 0);
                }
            }
        }
        if (self.is_dir("/etc/sudoers.d") || self.mkdir("/etc/sudoers.d", 0o750, 0, 0))
            && self.write(SUDOERS_FILE, text.as_bytes(), 0o440, 0, 0)
        {
            self.log.say(format_args!(
                "sudo: {} rule(s) in {SUDOERS_FILE}",
                rules.len()
            ));
        }
    }

    /// The `write_files` entries with this `defer`, in document order.
    fn write_files(&mut self, ctx: &Context, acc: Option<&Accounts>, defer: bool) {
        for f in ctx.write_files.iter().filter(|f| f.defer == defer) {
            self.write_file(f, acc);
        }
    }

    fn write_file(&mut self, f: &WriteFile, acc: Option<&Accounts>) {
        let Some((uid, gid)) = resolve_owner(&f.owner, acc) else {
            self.fail(format_args!(
                "write_files {}: unknown owner `{}`",
                printable(f.path.as_bytes()),
                printable(f.owner.as_bytes())
            ));
            return;
        };
        if !self.mkdir(parent_of(&f.path), 0o755, 0, 0) {
            return;
        }
        if f.kind != NodeKind::File {
            return self.write_node(f, uid, gid);
        }
        let mut data = Vec::new();
        if f.append {
            data = self.read(&f.path).unwrap_or_default();
            // A re-run (--force) must not append the same content again.
            if !f.content.0.is_empty() && data.ends_with(&f.content.0) {
                self.log.say(format_args!(
                    "{}: already ends with the content to append",
                    printable(f.path.as_bytes())
                ));
                return;
            }
        }
        data.extend_from_slice(&f.content.0);
        // Ignition without a mode: an existing file keeps its own.
        let mode = match self.root.meta(&f.path) {
            Ok(Some(m)) if f.keep_mode && m.kind == Kind::File => m.mode,
            _ => f.permissions,
        };
        if self.write(&f.path, &data, mode, uid, gid) {
            self.log.say(format_args!(
                "wrote {} ({} bytes, mode {:04o}, owner {})",
                printable(f.path.as_bytes()),
                data.len(),
                mode,
                printable(f.owner.as_bytes())
            ));
        }
    }

    #[inline(never)]
    fn hostname(&mut self, ctx: &Context) {
        if ctx.preserve_hostname {
            self.log.line("hostname: preserve_hostname set, left alone");
            return;
        }
        let short = ctx.hostname.as_deref();
        let fqdn = ctx.fqdn.as_deref().or(short);
        let name = if ctx.prefer_fqdn_over_hostname {
            fqdn
        } else {
            short
        };
        let Some(name) = name else { return };
        if (ctx.create_hostname_file || self.exists("/etc/hostname"))
            && self.write_keep_ok("/etc/hostname", cat(&[name, "\n"]).as_bytes())
        {
            self.log.say(format_args!("hostname {name}"));
        }
        let (Some(short), Some(fqdn)) = (short, fqdn) else {
            return;
        };
        let names = if fqdn == short {
            short.to_owned()
        } else {
            cat(&[fqdn, " ", short])
        };
        match ctx.manage_etc_hosts {
            None => {}
            Some(EtcHosts::Template) => {
                let text = format!(
                    "# Written by egret (manage_etc_hosts: true): changes are overwritten\n# for a new instance; set manage_etc_hosts: false to keep your own.\n127.0.1.1 {names}\n127.0.0.1 localhost\n\n# The following lines are desirable for IPv6 capable hosts\n::1 localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
                );
                self.write_keep("/etc/hosts", text.as_bytes(), 0o644, 0, 0);
            }
            Some(EtcHosts::Localhost) => {
                let old = self.read_string("/etc/hosts").unwrap_or_default();
                let text = hosts_localhost(&old, &names);
                self.write_keep("/etc/hosts", text.as_bytes(), 0o644, 0, 0);
            }
        }
    }

    fn write_keep_ok(&mut self, path: &str, data: &[u8]) -> bool {
        let before = self.failures;
        self.write_keep(path, data, 0o644, 0, 0);
        self.failures == before
    }

    #[inline(never)]
    fn ssh<'c>(&mut self, ctx: &'c Context, new_instance: bool) {
        if !self.is_dir("/etc/ssh") {
            if ctx.ssh_pwauth.is_some() {
                self.log
                    .line("warning: the image has no /etc/ssh: ssh_pwauth and host keys skipped");
            }
            return;
        }
        if let Some(on) = ctx.ssh_pwauth {
            self.pwauth(on);
        }
        if new_instance && ctx.ssh_deletekeys {
            let n = self.remove_in("/etc/ssh", |name| {
                name.starts_with("ssh_host_")
                    && (name.ends_with("_key") || name.ends_with("_key.pub"))
            });
            if n > 0 {
                self.log.say(format_args!(
                    "ssh: {n} host key file(s) of the image removed"
                ));
            }
        }
        // One pass over the types asked for: Ed25519 is made here, the
        // others (in their order) at first boot.
        let mut ed25519 = false;
        let mut others: Vec<&str> = Vec::new();
        let mut note = |t: &'c str| {
            if t == "ed25519" {
                ed25519 = true;
            } else {
                others.push(t);
            }
        };
        match &ctx.ssh_genkeytypes {
            Some(ts) => ts.iter().for_each(|t| note(t)),
            None => ["rsa", "ecdsa", "ed25519"].iter().for_each(|t| note(t)),
        }
        if ed25519 && !self.exists("/etc/ssh/ssh_host_ed25519_key") {
            self.host_key(ctx);
        }
        if new_instance && !others.is_empty() {
            self.keygen_unit(&others, ctx.ssh_genkeytypes.is_some());
        }
    }

    /// The Ed25519 host key, made here (out of line: the key generation's
    /// big frame would otherwise make every stack access in `ssh` long).
    #[inline(never)]
    fn host_key(&mut self, ctx: &Context) {
        let comment = cat(&["root@", ctx.hostname.as_deref().unwrap_or("localhost")]);
        match crate::sshkey::generate_ed25519(&comment) {
            Ok(k) => {
                let a = self.write(
                    "/etc/ssh/ssh_host_ed25519_key",
                    k.private.as_bytes(),
                    0o600,
                    0,
                    0,
                );
                let b = self.write(
                    "/etc/ssh/ssh_host_ed25519_key.pub",
                    k.public.as_bytes(),
                    0o644,
                    0,
                    0,
                );
                if a && b {
                    self.log.line("ssh: Ed25519 host key generated");
                }
            }
            Err(_) => self.fail(format_args!("ssh: no randomness for the host key")),
        }
    }

    #[inline(never)]
    fn pwauth(&mut self, on: bool) {
        let value = if on { "yes" } else { "no" };
        let line = cat(&["PasswordAuthentication ", value]);
        let main = self.read_string("/etc/ssh/sshd_config").unwrap_or_default();
        let has_include = main.lines().any(|l| {
            let l = l.trim_ascii_start();
            l.len() > 8
                && l.get(..8)
                    .is_some_and(|k| k.eq_ignore_ascii_case("include "))
                && find(l, "sshd_config.d").is_some()
        });
        if has_include {
            // sshd takes the first value it reads and the Include comes first
            // in Debian's file, so a drop-in named early wins.
            let text = format!("# Written by egret (ssh_pwauth).\n{line}\n");
            if self.mkdir("/etc/ssh/sshd_config.d", 0o755, 0, 0) {
                self.write(
                    "/etc/ssh/sshd_config.d/50-egret.conf",
                    text.as_bytes(),
                    0o644,
                    0,
                    0,
                );
            }
        } else {
            let text = set_sshd_option(&main, "PasswordAuthentication", value);
            self.write_keep("/etc/ssh/sshd_config", text.as_bytes(), 0o644, 0, 0);
        }
        self.log.say(format_args!("ssh: {line}"));
    }

    /// Removes the entries of `dir` that `pick` selects; returns how many
    /// were removed (or were already gone).
    fn remove_in(&mut self, dir: &str, pick: fn(&str) -> bool) -> usize {
        let mut n = 0;
        for name in self.root.list(dir).unwrap_or_default() {
            if pick(&name) {
                let r = self.root.remove(&cat(&[dir, "/", &name]));
                if self.ok(r.map(drop)) {
                    n += 1;
                }
            }
        }
        n
    }

    pub(super) fn has_systemd(&self) -> bool {
        self.exists("/usr/lib/systemd/systemd") || self.exists("/lib/systemd/systemd")
    }

    /// RSA/ECDSA host keys at first boot: before sshd when the user asked for
    /// them, in the background otherwise (sshd starts with egret's Ed25519 key).
    #[inline(never)]
    fn keygen_unit(&mut self, types: &[&str], before_sshd: bool) {
        if !self.has_systemd() {
            self.log.say(format_args!(
                "warning: no systemd in the image: {} host keys not scheduled",
                join(types, ",")
            ));
            return;
        }
        let mut script = String::from(
            "#!/bin/sh\n# Written by egret: host keys egret does not make in the initramfs.\n",
        );
        for t in types {
            let _ = writeln!(script, "[ -e /etc/ssh/ssh_host_{t}_key ] || ssh-keygen -q -N '' -t {t} -f /etc/ssh/ssh_host_{t}_key");
        }
        script.push_str(": > /var/lib/egret/ssh-keygen.done\n");
        let order = if before_sshd {
            "# ssh_genkeytypes asked for these types: sshd must start with them.\nBefore=ssh.service sshd.service\n"
        } else {
            "# Not ordered before sshd: it starts at once with egret's Ed25519 key.\n"
        };
        let unit = format!(
            "[Unit]\nDescription=egret: SSH host keys ({})\n{order}# Once per instance: egret removes the marker for a new instance.\nConditionPathExists=!/var/lib/egret/ssh-keygen.done\n\n[Service]\nType=oneshot\nExecStart=/bin/sh /var/lib/egret/ssh-keygen\n\n[Install]\nWantedBy=multi-user.target\n",
            join(types, ", ")
        );
        let _ = self.root.remove(KEYGEN_DONE);
        self.install_unit("egret-ssh-keygen.service", &unit, KEYGEN_SCRIPT, &script);
    }

    fn install_unit(&mut self, name: &str, unit: &str, script_path: &str, script: &str) {
        if !(self.mkdir(STATE_DIR, 0o700, 0, 0) && self.mkdir(WANTS_DIR, 0o755, 0, 0)) {
            return;
        }
        self.write(script_path, script.as_bytes(), 0o700, 0, 0);
        let path = format!("{UNIT_DIR}/{name}");
        self.write(&path, unit.as_bytes(), 0o644, 0, 0);
        let r = self.root.symlink(&path, &format!("{WANTS_DIR}/{name}"));
        self.ok(r);
    }

    #[inline(never)]
    fn timezone(&mut self, ctx: &Context) {
        let Some(tz) = &ctx.timezone else { return };
        let zone = cat(&["/usr/share/zoneinfo/", tz]);
        if !self.exists(&zone) {
            self.log.say(format_args!(
                "warning: timezone {tz}: {zone} not in the image, skipped"
            ));
            return;
        }
        self.write_keep("/etc/timezone", cat(&[tz, "\n"]).as_bytes(), 0o644, 0, 0);
        let r = self
            .root
            .symlink(&cat(&["../usr/share/zoneinfo/", tz]), "/etc/localtime");
        if self.ok(r) {
            self.log.say(format_args!("timezone {tz}"));
        }
    }

    /// First-boot scripts: one oneshot unit runs them in order, once per instance.
    #[inline(never)]
    fn scripts(&mut self, ctx: &Context, new_instance: bool) {
        if ctx.scripts.is_empty() {
            return;
        }
        if !self.has_systemd() {
            self.fail(format_args!(
                "no systemd in the image: bootcmd/runcmd/scripts cannot be scheduled"
            ));
            return;
        }
        if !self.mkdir(SCRIPTS_DIR, 0o700, 0, 0) {
            return;
        }
        // A new instance gets exactly its own scripts.
        self.remove_in(SCRIPTS_DIR, |_| true);
        for (i, s) in ctx.scripts.iter().enumerate() {
            let name = format!("{SCRIPTS_DIR}/{:03}-{}", i + 1, file_name(&s.name));
            self.write(&name, &s.body.0, 0o700, 0, 0);
        }
        let runner = cat(&[
            "#!/bin/sh\n# Written by egret: runs this instance's scripts once, in order.\nexec >>/var/log/egret-scripts.log 2>&1\nexport INSTANCE_ID=",
            &sh_single_quote(&ctx.instance_id),
            "\nfor s in /var/lib/egret/scripts/*; do\n\t[ -f \"$s\" ] || continue\n\techo \"egret: $(date -u +%FT%TZ) running ${s##*/}\"\n\t\"$s\"\n\techo \"egret: ${s##*/} exited $?\"\ndone\n: > /var/lib/egret/scripts.done\n",
        ]);
        let unit = "[Unit]\nDescription=egret: first-boot scripts (bootcmd, user-data scripts, runcmd)\n# Scripts may use the network, as cloud-init's runcmd can.\nWants=network-online.target\nAfter=network-online.target\n# Once per instance: egret removes the marker for a new instance.\nConditionPathExists=!/var/lib/egret/scripts.done\n\n[Service]\nType=oneshot\nExecStart=/bin/sh /var/lib/egret/firstboot\nTimeoutSec=0\n\n[Install]\nWantedBy=multi-user.target\n";
        if new_instance {
            let _ = self.root.remove(SCRIPTS_DONE);
        }
        self.install_unit("egret-firstboot.service", unit, FIRSTBOOT_SCRIPT, &runner);
        self.log.say(format_args!(
            "{} script(s) scheduled for first boot (egret-firstboot.service)",
            ctx.scripts.len()
        ));
    }

    /// With SELinux enabled in the image, every path written is relabelled
    /// at boot by systemd-tmpfiles.
    #[inline(never)]
    fn selinux(&mut self) {
        let Some(cfg) = self.read_string("/etc/selinux/config") else {
            return;
        };
        let enabled = cfg.lines().any(|l| {
            let l = l.trim_ascii();
            l == "SELINUX=enforcing" || l == "SELINUX=permissive"
        });
        if !enabled {
            return;
        }
        let mut text =
            String::from("# Written by egret: restore SELinux labels of what egret wrote.\n");
        for p in self.root.written() {
            if p.bytes().any(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let _ = writeln!(text, "z {p} - - - -");
        }
        if self.mkdir("/etc/tmpfiles.d", 0o755, 0, 0) {
            self.write(
                "/etc/tmpfiles.d/egret-relabel.conf",
                text.as_bytes(),
                0o644,
                0,
                0,
            );
        }
    }
}

/// Keys of the instance: the default user's, else root's (see model).
#[inline(never)]
fn root_keys(ctx: &Context, acc: &Accounts, users: &mut Vec<Planned>, default_name: Option<&str>) {
    let Some(mut r) = acc.user("root") else {
        return;
    };
    let options = match (default_name, ctx.disable_root) {
        (Some(d), true) => Some(replace(
            &replace(&ctx.disable_root_opts, "$USER", d),
            "$DISABLE_USER",
            "root",
        )),
        _ => None,
    };
    let pos = users.iter().position(|p| p.name == "root");
    let mut p = match pos {
        Some(i) => users.remove(i),
        None => Planned {
            name: core::mem::take(&mut r.name),
            uid: r.uid,
            gid: r.gid,
            home: core::mem::take(&mut r.home),
            create_home: false,
            keys: Vec::new(),
            key_options: None,
        },
    };
    merge_keys(&mut p.keys, &ctx.ssh_authorized_keys);
    p.key_options = options;
    users.push(p);
}

fn ensure_group(
    acc: &mut Accounts,
    defs: &LoginDefs,
    name: &str,
    system: bool,
) -> Result<u32, accounts::Error> {
    if let Some(gid) = acc.gid_of(name) {
        return Ok(gid);
    }
    let gid = acc.alloc_gid(system, defs, None)?;
    acc.add_group(name, gid)?;
    Ok(gid)
}

/// Sets a password unless the current hash already matches it (so a second
/// run writes the same bytes). Returns whether it changed.
fn set_password(
    acc: &mut Accounts,
    name: &str,
    pw: &Password,
    today: u64,
) -> Result<bool, accounts::Error> {
    let current = acc.hash(name).unwrap_or_default();
    let current = current.trim_start_matches('!');
    let hash = match pw {
        Password::Hash(Secret(h)) => {
            if current == h {
                return Ok(false);
            }
            h.clone()
        }
        Password::Plain(Secret(p)) => {
            if crate::crypt::verify(p.as_bytes(), current) {
                return Ok(false);
            }
            crate::crypt::hash_password(p.as_bytes()).map_err(|_| accounts::Error::BadField)?
        }
    };
    acc.set_hash(name, &hash, today)?;
    Ok(true)
}

fn resolve_owner(owner: &str, acc: Option<&Accounts>) -> Option<(u32, u32)> {
    let (u, g) = owner.split_once(':').unwrap_or((owner, ""));
    let uid = match numeric_id(u) {
        Some(n) => n,
        None => acc?.user(u)?.uid,
    };
    let gid = match numeric_id(g) {
        _ if g.is_empty() => 0,
        Some(n) => n,
        None => acc?.gid_of(g)?,
    };
    Some((uid, gid))
}

/// An owner or group given as a number, or `root` (0 even when the image
/// has no accounts files).
fn numeric_id(name: &str) -> Option<u32> {
    match name {
        "root" => Some(0),
        _ => name.parse().ok(),
    }
}

fn merge_keys(into: &mut Vec<String>, keys: &[String]) {
    for k in keys {
        if !into.contains(k) {
            into.push(k.clone());
        }
    }
}

/// The identity of a key line: type and blob, so a key already present with
/// another comment or other options is not added twice.
fn key_identity(line: &str) -> String {
    if let Some(k) = crate::sshkey::parse_public_line(line) {
        return cat(&[k.kind, " ", k.blob]);
    }
    // Not a key egret can decode: still compare by type and blob when the
    // line has that shape (after any options), so a changed comment or
    // option does not duplicate it.
    let mut words = line.split_ascii_whitespace();
    while let Some(t) = words.next() {
        if t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-") {
            if let Some(b) = words.next() {
                return cat(&[t, " ", b]);
            }
            break;
        }
    }
    line.trim_ascii().to_owned()
}

/// Merges `keys` into an authorized_keys text: every existing line kept,
/// new keys appended. Returns the text and how many keys were added.
pub fn authorized_keys(old: &str, keys: &[String], options: Option<&str>) -> (String, usize) {
    let mut have: Vec<String> = Vec::new();
    for line in old.lines() {
        have.push(key_identity(line));
    }
    let mut text = String::from(old);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let mut added = 0;
    for k in keys {
        let id = key_identity(k);
        if have.contains(&id) {
            continue;
        }
        if let Some(o) = options {
            text.push_str(o);
            text.push(' ');
        }
        text.push_str(k.trim_ascii());
        text.push('\n');
        have.push(id);
        added += 1;
    }
    (text, added)
}

/// `manage_etc_hosts: localhost`: one `127.0.1.1` line with our names.
pub fn hosts_localhost(old: &str, names: &str) -> String {
    let want = format!("127.0.1.1 {names}\n");
    let mut out = String::new();
    let mut done = false;
    for line in old.lines() {
        let is_ours = line.split_ascii_whitespace().next() == Some("127.0.1.1");
        if is_ours {
            if !done {
                out.push_str(&want);
                done = true;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !done {
        out.insert_str(0, &want);
    }
    out
}

/// Sets `key value` in sshd_config: replaces the first global occurrence
/// (before any `Match`), else inserts before the first `Match`, else appends.
pub fn set_sshd_option(text: &str, key: &str, value: &str) -> String {
    let set = cat(&[key, " ", value, "\n"]);
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let word = line.split_ascii_whitespace().next().unwrap_or("");
        if !done && word.eq_ignore_ascii_case("match") {
            out.push_str(&set);
            done = true;
        }
        if !done && word.eq_ignore_ascii_case(key) {
            out.push_str(&set);
            done = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !done {
        out.push_str(&set);
    }
    out
}

/// `KEY=value` from `/etc/default/useradd`.
fn conf_value<'t>(text: &'t [u8], key: &str) -> Option<&'t str> {
    let text = core::str::from_utf8(text).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.trim_ascii().split_once('=')?;
        (k.trim_ascii() == key && !v.trim_ascii().is_empty()).then(|| trim_quotes(v.trim_ascii()))
    })
}

/// `s` without the `"`s at either end (`trim_matches('"')`, by bytes).
fn trim_quotes(s: &str) -> &str {
    let quote = |b: &u8| *b == b'"';
    let start = s.bytes().take_while(quote).count();
    let s = s.get(start..).unwrap_or_default();
    let end = s.len() - s.bytes().rev().take_while(quote).count();
    s.get(..end).unwrap_or_default()
}

/// New homes: login.defs `HOME_MODE`, else `0777 & ~UMASK` as useradd does.
fn home_mode(defs: &[u8]) -> u32 {
    let text = core::str::from_utf8(defs).unwrap_or("");
    let get = |key: &str| {
        text.lines().find_map(|l| {
            let mut w = l.split_ascii_whitespace();
            (w.next() == Some(key))
                .then(|| w.next().and_then(|v| u32::from_str_radix(v, 8).ok()))
                .flatten()
        })
    };
    match (get("HOME_MODE"), get("UMASK")) {
        (Some(m), _) => m & 0o7777,
        (None, Some(u)) => 0o777 & !u,
        (None, None) => 0o755,
    }
}

pub(super) fn parent_of(path: &str) -> &str {
    // A byte search: `rsplit_once` pulls in a reverse char searcher.
    let p = path.trim_end_matches('/');
    match p.bytes().rposition(|b| b == b'/') {
        Some(0) | None => "/",
        Some(i) => p.get(..i).unwrap_or("/"),
    }
}

/// A script name safe as a file name.
fn file_name(name: &str) -> String {
    // Every character kept is ASCII and none becomes a dot, so the
    // prefix test can look at `name` itself.
    let mut s = String::new();
    if name.is_empty() || name.starts_with('.') {
        s.push_str("script");
    }
    for c in name.chars().take(64) {
        let keep = c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
        s.push(if keep { c } else { '_' });
    }
    s
}

/// `parts.join(sep)`, without `join`'s generic code.
fn join(parts: &[&str], sep: &str) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(p);
    }
    s
}

/// Where `pat` first occurs in `text` (never, for an empty `pat`): a byte
/// loop, not `core::str`'s pattern searchers, which cost kilobytes.
fn find(text: &str, pat: &str) -> Option<usize> {
    let (t, p) = (text.as_bytes(), pat.as_bytes());
    if p.is_empty() {
        return None;
    }
    (0..t.len()).find(|&i| t.get(i..).is_some_and(|r| r.starts_with(p)))
}

/// `text.replace(pat, with)` through [`find`] (an empty `pat` replaces
/// nothing).
fn replace(text: &str, pat: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = find(rest, pat) {
        // A match of a whole string starts and ends on char boundaries.
        let (Some(head), Some(tail)) = (rest.get(..i), rest.get(i + pat.len()..)) else {
            break;
        };
        out.push_str(head);
        out.push_str(with);
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn sh_single_quote(s: &str) -> String {
    format!("'{}'", replace(s, "'", "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorized_keys_merge_keeps_lines_and_dedups_by_blob() {
        let old = "# managed by hand\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeep old@host\n";
        let keys = [
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeep other-comment".to_owned(),
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ new".to_owned(),
        ];
        let (text, added) = authorized_keys(old, &keys, None);
        assert_eq!(added, 1);
        assert_eq!(text, "# managed by hand\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeep old@host\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ new\n");
        let (again, added) = authorized_keys(&text, &keys, None);
        assert_eq!((again.as_str(), added), (text.as_str(), 0));
    }

    #[test]
    fn useradd_values_lose_their_quotes_like_trim_matches() {
        for s in ["", "\"", "\"\"", "\"a\"", "\"\"a b\"", "a\"b", "\"é\""] {
            assert_eq!(trim_quotes(s), s.trim_matches('"'));
        }
        let text = b"# c\nSHELL=\"/bin/bash\"\nHOME = /srv/home \nEMPTY=\n";
        assert_eq!(conf_value(text, "SHELL"), Some("/bin/bash"));
        assert_eq!(conf_value(text, "HOME"), Some("/srv/home"));
        assert_eq!(conf_value(text, "EMPTY"), None);
    }

    #[test]
    fn hosts_localhost_replaces_or_inserts() {
        assert_eq!(
            hosts_localhost("127.0.0.1 localhost\n127.0.1.1 old\n", "a.example a"),
            "127.0.0.1 localhost\n127.0.1.1 a.example a\n"
        );
        assert_eq!(
            hosts_localhost("127.0.0.1 localhost\n", "a"),
            "127.0.1.1 a\n127.0.0.1 localhost\n"
        );
    }

    #[test]
    fn sshd_option_before_match() {
        let t = "Port 22\n#PasswordAuthentication yes\nMatch User x\n  X11Forwarding no\n";
        assert_eq!(set_sshd_option(t, "PasswordAuthentication", "no"), "Port 22\n#PasswordAuthentication yes\nPasswordAuthentication no\nMatch User x\n  X11Forwarding no\n");
        assert_eq!(
            set_sshd_option(
                "PasswordAuthentication yes\n",
                "PasswordAuthentication",
                "no"
            ),
            "PasswordAuthentication no\n"
        );
    }

    #[test]
    fn home_mode_from_login_defs() {
        assert_eq!(home_mode(b"UMASK 022\nHOME_MODE 0700\n"), 0o700);
        assert_eq!(home_mode(b"UMASK 027\n"), 0o750);
        assert_eq!(home_mode(b""), 0o755);
    }

    #[test]
    fn owners() {
        assert_eq!(resolve_owner("root:root", None), Some((0, 0)));
        assert_eq!(resolve_owner("1000:100", None), Some((1000, 100)));
        assert_eq!(resolve_owner("alice", None), None);
        assert_eq!(resolve_owner("7:", None), Some((7, 0)));
        assert_eq!(resolve_owner("root:5", None), Some((0, 5)));
        assert_eq!(resolve_owner(":0", None), None);
        assert_eq!(resolve_owner("0:staff", None), None);
        assert_eq!(resolve_owner("4294967296", None), None);
    }

    #[test]
    fn string_helpers() {
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert_eq!(cat(&[]), "");
        assert_eq!(join(&["rsa", "ecdsa"], ", "), "rsa, ecdsa");
        assert_eq!(join(&["", "x", ""], ","), ",x,");
        assert_eq!(join(&[], ","), "");
        assert_eq!(find("a/etc/sudoers.d", "/etc/sudoers.d"), Some(1));
        assert_eq!(find("/etc/sudoers", "/etc/sudoers.d"), None);
        assert_eq!(find("", "x"), None);
        assert_eq!(find("x", ""), None);
        assert_eq!(replace("$USER/$USER$", "$USER", "é"), "é/é$");
        assert_eq!(replace("no match", "$USER", "x"), "no match");
        assert_eq!(replace("aaa", "aa", "b"), "ba");
        assert_eq!(replace("abc", "", "x"), "abc");
        assert_eq!(sh_single_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_single_quote(""), "''");
    }

    #[test]
    fn parents_and_names() {
        assert_eq!(parent_of("/etc/x"), "/etc");
        assert_eq!(parent_of("/x"), "/");
        assert_eq!(parent_of("/home/a/"), "/home");
        assert_eq!(parent_of("x"), "/");
        assert_eq!(parent_of("/"), "/");
        assert_eq!(parent_of("é/ü"), "é");
        assert_eq!(file_name("../evil name"), "script.._evil_name");
        assert_eq!(file_name("part-001"), "part-001");
        assert_eq!(file_name(""), "script");
        assert_eq!(file_name(".x y"), "script.x_y");
        assert_eq!(file_name("é\n"), "__");
        assert_eq!(file_name(&"a".repeat(70)), "a".repeat(64));
    }

    #[test]
    fn key_identity_of_lines_sshkey_cannot_decode() {
        assert_eq!(key_identity("ssh-new AAAA comment"), "ssh-new AAAA");
        assert_eq!(
            key_identity("from=\"x\" sk-other BBBB c d"),
            "sk-other BBBB"
        );
        assert_eq!(key_identity("  ecdsa-x  "), "ecdsa-x");
        assert_eq!(key_identity(" not a key "), "not a key");
    }

    #[test]
    fn sshd_option_appended_when_absent() {
        assert_eq!(
            set_sshd_option("Port 22", "PasswordAuthentication", "yes"),
            "Port 22\nPasswordAuthentication yes\n"
        );
        assert_eq!(set_sshd_option("", "A", "b"), "A b\n");
    }
}
