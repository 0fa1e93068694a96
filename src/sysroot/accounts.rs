//! The account databases (`passwd`, `shadow`, `group`, `gshadow`) and
//! `login.defs`, edited as text: pure functions over bytes, no I/O.
//!
//! Every line is kept as its original bytes with its parsed fields beside
//! it; only a line egret changes is re-rendered from its fields, and new
//! lines go at the end (before the first NIS `+`/`-` compat line, where
//! shadow-utils puts them too). Comments, NIS lines and malformed lines are
//! kept verbatim and never matched, except that a name they carry still
//! counts as taken, so egret never creates a second entry for it.
//!
//! This module must never produce a duplicate name or id, never write a
//! field containing a separator (`:` or a newline, `,` in names and member
//! lists), and never drop or reorder a line it did not change.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Longest user or group name accepted (shadow-utils' default limit).
const NAME_MAX: usize = 32;

/// Why an account edit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The name is empty, too long, all digits, or has a character outside
    /// `[A-Za-z0-9_.-]` (plus a final `$`), or does not start with a letter
    /// or `_`.
    BadName,
    /// A user or group with that name already exists.
    NameTaken,
    /// The requested uid or gid is already in use.
    IdTaken,
    /// Every id in the configured range is in use.
    NoFreeId,
    /// No such user in `passwd`.
    NoSuchUser,
    /// No such group in `group`.
    NoSuchGroup,
    /// A field holds a separator (`:`, newline, NUL) or an impossible id.
    BadField,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::BadName => "invalid user or group name",
            Error::NameTaken => "name already in use",
            Error::IdTaken => "id already in use",
            Error::NoFreeId => "no free id in the configured range",
            Error::NoSuchUser => "no such user",
            Error::NoSuchGroup => "no such group",
            Error::BadField => "invalid character in an account field",
        })
    }
}

/// The id ranges and defaults of `/etc/login.defs` that account creation
/// needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginDefs {
    /// `UID_MIN`: lowest uid for normal users.
    pub uid_min: u32,
    /// `UID_MAX`: highest uid for normal users.
    pub uid_max: u32,
    /// `SYS_UID_MIN`: lowest uid for system users.
    pub sys_uid_min: u32,
    /// `SYS_UID_MAX`: highest uid for system users.
    pub sys_uid_max: u32,
    /// `GID_MIN`: lowest gid for normal groups.
    pub gid_min: u32,
    /// `GID_MAX`: highest gid for normal groups.
    pub gid_max: u32,
    /// `SYS_GID_MIN`: lowest gid for system groups.
    pub sys_gid_min: u32,
    /// `SYS_GID_MAX`: highest gid for system groups.
    pub sys_gid_max: u32,
    /// `CREATE_HOME`, when present.
    pub create_home: Option<bool>,
    /// `USERGROUPS_ENAB`; absent means no, as in shadow-utils.
    pub usergroups_enab: bool,
}

impl Default for LoginDefs {
    fn default() -> LoginDefs {
        LoginDefs {
            uid_min: 1000,
            uid_max: 60000,
            sys_uid_min: 101,
            sys_uid_max: 999,
            gid_min: 1000,
            gid_max: 60000,
            sys_gid_min: 101,
            sys_gid_max: 999,
            create_home: None,
            usergroups_enab: false,
        }
    }
}

/// `strtoul(s, 0)` as shadow-utils reads numbers: `0x` hex, leading-`0`
/// octal, else decimal; anything else (sign, junk, overflow) is `None`.
fn parse_num(s: &[u8]) -> Option<u32> {
    let (digits, radix) = match s {
        [b'0', b'x' | b'X', h @ ..] => (h, 16),
        [b'0', o @ ..] if !o.is_empty() => (o, 8),
        _ => (s, 10),
    };
    crate::text::radix(digits, radix).and_then(|v| u32::try_from(v).ok())
}

fn parse_bool(s: &[u8]) -> Option<bool> {
    if s.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// The numeric keys of `login.defs` egret reads, in [`LoginDefs`] order.
const NUM_KEYS: [&str; 8] = [
    "UID_MIN",
    "UID_MAX",
    "SYS_UID_MIN",
    "SYS_UID_MAX",
    "GID_MIN",
    "GID_MAX",
    "SYS_GID_MIN",
    "SYS_GID_MAX",
];

impl LoginDefs {
    /// Reads `KEY value` lines; comments, unknown keys and bad values are
    /// ignored and leave the shadow-utils default. An unset `SYS_UID_MAX`
    /// (`SYS_GID_MAX`) is `UID_MIN - 1` (`GID_MIN - 1`), as in shadow-utils.
    pub fn parse(text: &[u8]) -> LoginDefs {
        let d = LoginDefs::default();
        // The last valid value of a key wins, as in shadow-utils.
        let mut n: [Option<u32>; 8] = [None; 8];
        let (mut create_home, mut usergroups_enab) = (None, None);
        for line in text.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            if line.starts_with(b"#") {
                continue;
            }
            let mut words = line
                .split(u8::is_ascii_whitespace)
                .filter(|w| !w.is_empty());
            let (Some(key), Some(value)) = (words.next(), words.next()) else {
                continue;
            };
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            if let Some(i) = NUM_KEYS.iter().position(|k| k.as_bytes() == key) {
                if let (Some(slot), Some(v)) = (n.get_mut(i), parse_num(value)) {
                    *slot = Some(v);
                }
            } else if key == b"CREATE_HOME" {
                create_home = parse_bool(value).or(create_home);
            } else if key == b"USERGROUPS_ENAB" {
                usergroups_enab = parse_bool(value).or(usergroups_enab);
            }
        }
        let [uid_min, uid_max, sys_uid_min, sys_uid_max, gid_min, gid_max, sys_gid_min, sys_gid_max] =
            n;
        let uid_min = uid_min.unwrap_or(d.uid_min);
        let gid_min = gid_min.unwrap_or(d.gid_min);
        LoginDefs {
            uid_min,
            uid_max: uid_max.unwrap_or(d.uid_max),
            sys_uid_min: sys_uid_min.unwrap_or(d.sys_uid_min),
            sys_uid_max: sys_uid_max.unwrap_or(uid_min.saturating_sub(1)),
            gid_min,
            gid_max: gid_max.unwrap_or(d.gid_max),
            sys_gid_min: sys_gid_min.unwrap_or(d.sys_gid_min),
            sys_gid_max: sys_gid_max.unwrap_or(gid_min.saturating_sub(1)),
            create_home,
            usergroups_enab: usergroups_enab.unwrap_or(d.usergroups_enab),
        }
    }
}

/// One `passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// The comment field (full name, room, phones: commas allowed).
    pub gecos: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// One `group` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Group id.
    pub gid: u32,
    /// Supplementary members, in file order.
    pub members: Vec<String>,
}

/// The four databases rendered back to bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// `/etc/passwd`.
    pub passwd: Vec<u8>,
    /// `/etc/shadow`, when it existed or an edit needed it.
    pub shadow: Option<Vec<u8>>,
    /// `/etc/group`.
    pub group: Vec<u8>,
    /// `/etc/gshadow`, only when it existed.
    pub gshadow: Option<Vec<u8>>,
}

/// Which database a table holds: decides what a well-formed line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Passwd,
    Shadow,
    Group,
    Gshadow,
}

#[derive(Debug, Clone, PartialEq)]
struct Line {
    /// The original bytes, without the newline.
    raw: Vec<u8>,
    /// The fields of a well-formed entry; `None` for blank, comment, NIS
    /// and malformed lines.
    fields: Option<Vec<String>>,
    /// Render from `fields` rather than `raw`.
    dirty: bool,
}

impl Line {
    fn new(fields: Vec<String>) -> Line {
        Line {
            raw: fields.join(":").into_bytes(),
            fields: Some(fields),
            dirty: false,
        }
    }

    fn field(&self, i: usize) -> Option<&str> {
        self.fields.as_ref()?.get(i).map(String::as_str)
    }

    fn id(&self, i: usize) -> Option<u32> {
        self.field(i)?.parse().ok()
    }

    /// Sets field `i`, padding with empty fields up to `len`.
    fn set(&mut self, i: usize, len: usize, value: &str) {
        if let Some(f) = self.fields.as_mut() {
            while f.len() < len.max(i.saturating_add(1)) {
                f.push(String::new());
            }
            if let Some(slot) = f.get_mut(i) {
                if slot != value {
                    value.clone_into(slot);
                    self.dirty = true;
                }
            }
        }
    }

    /// Blank lines, comments and NIS compat entries are never entries.
    fn is_special(raw: &[u8]) -> bool {
        matches!(raw.first(), None | Some(b'#' | b'+' | b'-'))
    }

    fn is_nis(&self) -> bool {
        matches!(self.raw.first(), Some(b'+' | b'-'))
    }

    /// The text before the first `:` of any non-special line, well-formed
    /// or not: what makes a name taken.
    fn raw_name(&self) -> Option<&[u8]> {
        if Line::is_special(&self.raw) {
            return None;
        }
        self.raw.split(|&b| b == b':').next()
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u32>().is_ok()
}

fn parse_line(raw: &[u8], db: Db) -> Option<Vec<String>> {
    if Line::is_special(raw) {
        return None;
    }
    let text = core::str::from_utf8(raw).ok()?;
    let fields = split_owned(text, ':', true);
    let name_ok = fields.first().is_some_and(|n| !n.is_empty());
    let f = |i: usize| fields.get(i).map(String::as_str).unwrap_or("");
    let ok = name_ok
        && match db {
            Db::Passwd => fields.len() == 7 && is_id(f(2)) && is_id(f(3)),
            Db::Group => fields.len() == 4 && is_id(f(2)),
            // Only fields 2, 3 and 8 (members: 4) are ever touched, padded
            // when short: any line naming a user is matched, so no
            // duplicate is ever added beside it.
            Db::Shadow | Db::Gshadow => true,
        };
    ok.then_some(fields)
}

#[derive(Debug, Clone, PartialEq)]
struct Table {
    lines: Vec<Line>,
}

impl Table {
    fn parse(data: &[u8], db: Db) -> Table {
        let body = data.strip_suffix(b"\n").unwrap_or(data);
        // Loops rather than `collect` here and below: its code is large.
        let mut lines = Vec::new();
        if !data.is_empty() {
            for raw in body.split(|&b| b == b'\n') {
                lines.push(Line {
                    raw: raw.to_vec(),
                    fields: parse_line(raw, db),
                    dirty: false,
                });
            }
        }
        Table { lines }
    }

    fn entries(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.fields.is_some())
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| l.field(0) == Some(name) && l.fields.is_some())
    }

    fn name_taken(&self, name: &str) -> bool {
        self.lines
            .iter()
            .any(|l| l.raw_name() == Some(name.as_bytes()))
    }

    fn ids(&self, field: usize) -> Vec<u32> {
        let mut ids = Vec::new();
        for id in self.entries().filter_map(|l| l.id(field)) {
            ids.push(id);
        }
        super::root::sort(&mut ids);
        ids.dedup();
        ids
    }

    /// Appends, but before the first NIS line: entries after `+` are
    /// shadowed by the NIS map on compat systems.
    fn insert(&mut self, fields: Vec<String>) -> usize {
        let at = self
            .lines
            .iter()
            .position(Line::is_nis)
            .unwrap_or(self.lines.len());
        self.lines.insert(at, Line::new(fields));
        at
    }

    fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            match (&l.fields, l.dirty) {
                (Some(f), true) => out.extend_from_slice(f.join(":").as_bytes()),
                _ => out.extend_from_slice(&l.raw),
            }
            out.push(b'\n');
        }
        out
    }
}

/// User and group names as shadow-utils' default `[a-z_][a-z0-9_-]*[$]?`,
/// relaxed like Debian to uppercase and `.`, at most 32 characters.
fn check_name(name: &str) -> Result<(), Error> {
    let bytes = name.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return Err(Error::BadName);
    };
    let rest = rest.strip_suffix(&[b'$'][..]).unwrap_or(rest);
    let first_ok = first.is_ascii_alphabetic() || first == b'_';
    let rest_ok = rest
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    // The first-character rule already rules out `-x`, `.`, `..` and
    // all-digit names; the checks stay explicit for the next reader.
    let all_digits = bytes.iter().all(u8::is_ascii_digit);
    if bytes.len() > NAME_MAX
        || !first_ok
        || !rest_ok
        || all_digits
        || name == "."
        || name == ".."
        || first == b'-'
    {
        return Err(Error::BadName);
    }
    Ok(())
}

/// Whether egret may create a user or group called `name` (the rule
/// [`Accounts::add_user`] and [`Accounts::add_group`] apply): documents are
/// checked against it before anything is applied.
pub fn valid_name(name: &str) -> bool {
    check_name(name).is_ok()
}

/// A member already listed in a file may predate our name rules; it only
/// has to be safe inside a comma-separated field.
fn check_member(name: &str) -> Result<(), Error> {
    let bad = |c: char| matches!(c, ':' | ',') || c.is_whitespace() || c.is_control();
    if name.is_empty() || name.len() > NAME_MAX || name.chars().any(bad) {
        return Err(Error::BadName);
    }
    Ok(())
}

fn check_field(s: &str) -> Result<(), Error> {
    if s.bytes().any(|b| matches!(b, b':' | b'\n' | b'\r' | b'\0')) {
        return Err(Error::BadField);
    }
    Ok(())
}

/// `u32::MAX` is `(uid_t)-1`, "no change" to chown(2): never an id.
fn check_id(id: u32) -> Result<(), Error> {
    if id == u32::MAX {
        return Err(Error::BadField);
    }
    Ok(())
}

fn members(field: &str) -> Vec<String> {
    split_owned(field, ',', false)
}

/// The pieces of `s` between `sep`s, empty ones only with `keep_empty`:
/// one body for a line's fields and a member list.
#[inline(never)]
fn split_owned(s: &str, sep: char, keep_empty: bool) -> Vec<String> {
    let mut out = Vec::new();
    for p in s.split(sep) {
        if keep_empty || !p.is_empty() {
            out.push(p.to_owned());
        }
    }
    out
}

/// The lowest id in `lo..=hi` not in `used` (sorted, deduplicated).
fn lowest_free(used: &[u32], lo: u32, hi: u32) -> Option<u32> {
    let hi = hi.min(u32::MAX - 1);
    let mut c = lo;
    for &u in used {
        if u < c {
            continue;
        }
        if u > c {
            break;
        }
        c = c.checked_add(1)?;
    }
    (c <= hi).then_some(c)
}

/// The highest id in `lo..=hi` not in `used` (sorted, deduplicated).
fn highest_free(used: &[u32], lo: u32, hi: u32) -> Option<u32> {
    let mut c = hi.min(u32::MAX - 1);
    if c < lo {
        return None;
    }
    for &u in used.iter().rev() {
        if u > c {
            continue;
        }
        if u < c {
            break;
        }
        if c == lo {
            return None;
        }
        c = c.checked_sub(1)?;
    }
    Some(c)
}

/// useradd's choice: one above the highest id used in the range (or the
/// range's start), else the lowest free one.
fn next_free(used: &[u32], lo: u32, hi: u32) -> Option<u32> {
    if lo > hi {
        return None;
    }
    let top = used.iter().copied().filter(|&u| u >= lo && u <= hi).max();
    let candidate = match top {
        None => Some(lo),
        Some(t) => t.checked_add(1),
    };
    match candidate {
        Some(c) if c <= hi && c != u32::MAX => Some(c),
        _ => lowest_free(used, lo, hi),
    }
}

/// The four account databases of one root, edited in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Accounts {
    passwd: Table,
    shadow: Option<Table>,
    group: Table,
    gshadow: Option<Table>,
}

fn user_of(l: &Line) -> Option<User> {
    Some(User {
        name: l.field(0)?.to_owned(),
        uid: l.id(2)?,
        gid: l.id(3)?,
        gecos: l.field(4)?.to_owned(),
        home: l.field(5)?.to_owned(),
        shell: l.field(6)?.to_owned(),
    })
}

fn group_of(l: &Line) -> Option<Group> {
    Some(Group {
        name: l.field(0)?.to_owned(),
        gid: l.id(2)?,
        members: members(l.field(3)?),
    })
}

/// A new line's fields (out of line: every line egret adds is made here).
#[inline(never)]
fn row(fields: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        out.push((*f).to_owned());
    }
    out
}

/// The fields of a shadow line with no aging: what "no shadow entry"
/// meant, so creating one changes nothing but where the hash lives.
fn shadow_fields(name: &str, hash: &str) -> Vec<String> {
    row(&[name, hash, "", "", "", "", "", "", ""])
}

impl Accounts {
    /// Parses the four files; never fails: malformed lines are kept
    /// verbatim and ignored for lookups.
    pub fn parse(
        passwd: &[u8],
        shadow: Option<&[u8]>,
        group: &[u8],
        gshadow: Option<&[u8]>,
    ) -> Accounts {
        Accounts {
            passwd: Table::parse(passwd, Db::Passwd),
            shadow: shadow.map(|s| Table::parse(s, Db::Shadow)),
            group: Table::parse(group, Db::Group),
            gshadow: gshadow.map(|s| Table::parse(s, Db::Gshadow)),
        }
    }

    /// The first `passwd` entry named `name`.
    pub fn user(&self, name: &str) -> Option<User> {
        self.passwd
            .entries()
            .find(|l| l.field(0) == Some(name))
            .and_then(user_of)
    }

    /// The first `passwd` entry with `uid`.
    pub fn user_by_uid(&self, uid: u32) -> Option<User> {
        self.passwd
            .entries()
            .find(|l| l.id(2) == Some(uid))
            .and_then(user_of)
    }

    /// The first `group` entry named `name`.
    pub fn group(&self, name: &str) -> Option<Group> {
        self.group
            .entries()
            .find(|l| l.field(0) == Some(name))
            .and_then(group_of)
    }

    /// The gid of [`Accounts::group`] (out of line: most callers want only
    /// that, and there are many).
    #[inline(never)]
    pub fn gid_of(&self, name: &str) -> Option<u32> {
        // Every entry has all four fields (see `parse_line`, `add_group`).
        self.group
            .entries()
            .find(|l| l.field(0) == Some(name))
            .and_then(|l| l.id(2))
    }

    /// Whether [`Accounts::user`] finds `name` (out of line, like `gid_of`).
    #[inline(never)]
    pub fn has_user(&self, name: &str) -> bool {
        self.user(name).is_some()
    }

    /// The first `group` entry with `gid`.
    pub fn group_by_gid(&self, gid: u32) -> Option<Group> {
        self.group
            .entries()
            .find(|l| l.id(2) == Some(gid))
            .and_then(group_of)
    }

    /// A free uid, as useradd picks it: for a normal user one above the
    /// highest used in `UID_MIN..=UID_MAX` (or `UID_MIN`), falling back to
    /// the lowest free; for a system user the highest free counting down
    /// from `SYS_UID_MAX`.
    pub fn alloc_uid(&self, system: bool, defs: &LoginDefs) -> Result<u32, Error> {
        let used = self.passwd.ids(2);
        let found = if system {
            highest_free(&used, defs.sys_uid_min, defs.sys_uid_max)
        } else {
            next_free(&used, defs.uid_min, defs.uid_max)
        };
        found.ok_or(Error::NoFreeId)
    }

    /// A free gid, as [`Accounts::alloc_uid`] over the GID ranges; `prefer`
    /// (the new user's uid, for its private group) wins when it is free and
    /// inside the range, like useradd.
    pub fn alloc_gid(
        &self,
        system: bool,
        defs: &LoginDefs,
        prefer: Option<u32>,
    ) -> Result<u32, Error> {
        let used = self.group.ids(2);
        let (lo, hi) = if system {
            (defs.sys_gid_min, defs.sys_gid_max)
        } else {
            (defs.gid_min, defs.gid_max)
        };
        if let Some(p) = prefer {
            if p >= lo && p <= hi && p != u32::MAX && used.binary_search(&p).is_err() {
                return Ok(p);
            }
        }
        let found = if system {
            highest_free(&used, lo, hi)
        } else {
            next_free(&used, lo, hi)
        };
        found.ok_or(Error::NoFreeId)
    }

    /// Adds `name:x:gid:` to `group` and `name:!::` to `gshadow` (only when
    /// that file exists and has no line for the name yet).
    pub fn add_group(&mut self, name: &str, gid: u32) -> Result<(), Error> {
        check_name(name)?;
        check_id(gid)?;
        if self.group.name_taken(name) {
            return Err(Error::NameTaken);
        }
        if self.group.ids(2).binary_search(&gid).is_ok() {
            return Err(Error::IdTaken);
        }
        self.group.insert(row(&[name, "x", &gid.to_string(), ""]));
        if let Some(gs) = self.gshadow.as_mut() {
            if !gs.name_taken(name) {
                gs.insert(row(&[name, "!", "", ""]));
            }
        }
        Ok(())
    }

    /// Appends `user` to the member list of `group` in `group` and, where
    /// it has a line, `gshadow`. `false` when nothing changed (already a
    /// member in both). The user need not exist: that is the caller's call.
    pub fn add_member(&mut self, group: &str, user: &str) -> Result<bool, Error> {
        check_member(user)?;
        let at = self.group.find(group).ok_or(Error::NoSuchGroup)?;
        let mut changed = false;
        if let Some(line) = self.group.lines.get_mut(at) {
            changed |= add_to_list(line, 3, 4, user);
        }
        if let Some(gs) = self.gshadow.as_mut() {
            if let Some(line) = gs.find(group).and_then(|i| gs.lines.get_mut(i)) {
                changed |= add_to_list(line, 3, 4, user);
            }
        }
        Ok(changed)
    }

    /// Adds `name:x:uid:gid:gecos:home:shell` to `passwd` and the locked
    /// `name:!:LASTCHG:0:99999:7:::` to `shadow` (created when the image had
    /// none). A stale shadow line for the name is reset to that, so the new
    /// account never inherits an old password.
    pub fn add_user(&mut self, u: &User, lastchg_days: u64) -> Result<(), Error> {
        check_name(&u.name)?;
        check_id(u.uid)?;
        check_id(u.gid)?;
        for f in [&u.gecos, &u.home, &u.shell] {
            check_field(f)?;
        }
        if self.passwd.name_taken(&u.name) {
            return Err(Error::NameTaken);
        }
        if self.passwd.ids(2).binary_search(&u.uid).is_ok() {
            return Err(Error::IdTaken);
        }
        if let Some(sh) = &self.shadow {
            if sh.find(&u.name).is_none() && sh.name_taken(&u.name) {
                return Err(Error::BadField);
            }
        }
        let (uid, gid) = (u.uid.to_string(), u.gid.to_string());
        let (name, day) = (u.name.as_str(), lastchg_days.to_string());
        self.passwd
            .insert(row(&[name, "x", &uid, &gid, &u.gecos, &u.home, &u.shell]));
        let fields = row(&[name, "!", &day, "0", "99999", "7", "", "", ""]);
        let shadow = self
            .shadow
            .get_or_insert_with(|| Table::parse(b"", Db::Shadow));
        match shadow.find(&u.name).and_then(|i| shadow.lines.get_mut(i)) {
            Some(line) => {
                line.fields = Some(fields);
                line.dirty = true;
            }
            None => {
                shadow.insert(fields);
            }
        }
        Ok(())
    }

    /// The index of `name`'s shadow line, creating it (and the table) when
    /// missing: a hash still in `passwd` moves there, `passwd` gets `x`.
    fn shadow_line(&mut self, name: &str) -> Result<&mut Line, Error> {
        let pw_at = self.passwd.find(name).ok_or(Error::NoSuchUser)?;
        let shadow = self
            .shadow
            .get_or_insert_with(|| Table::parse(b"", Db::Shadow));
        let at = match shadow.find(name) {
            Some(i) => i,
            // A line we cannot parse (not UTF-8) names the user: editing
            // it would lose bytes, adding another would duplicate it.
            None if shadow.name_taken(name) => return Err(Error::BadField),
            None => {
                let pw_line = self.passwd.lines.get_mut(pw_at).ok_or(Error::NoSuchUser)?;
                let old = pw_line.field(1).unwrap_or("x").to_owned();
                // `x` without a shadow line can never authenticate: locked.
                let hash = if old == "x" { "!" } else { old.as_str() };
                let at = shadow.insert(shadow_fields(name, hash));
                pw_line.set(1, 7, "x");
                at
            }
        };
        shadow.lines.get_mut(at).ok_or(Error::NoSuchUser)
    }

    /// Sets the password hash (shadow field 2) and the day of the last
    /// change (field 3). `passwd`'s password field becomes `x` so the
    /// shadow entry is the one consulted.
    pub fn set_hash(&mut self, name: &str, hash: &str, lastchg_days: u64) -> Result<(), Error> {
        check_field(hash)?;
        let line = self.shadow_line(name)?;
        line.set(1, 9, hash);
        line.set(2, 9, &lastchg_days.to_string());
        if let Some(pw) = self
            .passwd
            .find(name)
            .and_then(|i| self.passwd.lines.get_mut(i))
        {
            pw.set(1, 7, "x");
        }
        Ok(())
    }

    /// Sets the login shell (passwd field 7), like `usermod -s`.
    pub fn set_shell(&mut self, name: &str, shell: &str) -> Result<(), Error> {
        check_field(shell)?;
        let i = self.passwd.find(name).ok_or(Error::NoSuchUser)?;
        let line = self.passwd.lines.get_mut(i).ok_or(Error::NoSuchUser)?;
        line.set(6, 7, shell);
        Ok(())
    }

    /// Locks the password like `usermod -L`: a `!` is prepended unless the
    /// hash already starts with one.
    pub fn lock(&mut self, name: &str) -> Result<(), Error> {
        let line = self.shadow_line(name)?;
        let hash = line.field(1).unwrap_or("");
        if !hash.starts_with('!') {
            let locked = alloc::format!("!{hash}");
            line.set(1, 9, &locked);
        }
        Ok(())
    }

    /// Sets the day of the last password change (shadow field 3); `0`
    /// forces a change at the next login.
    pub fn set_lastchg(&mut self, name: &str, days: u64) -> Result<(), Error> {
        self.shadow_line(name)?.set(2, 9, &days.to_string());
        Ok(())
    }

    /// Sets (or, with `None`, clears) the account expiry day (shadow field 8).
    pub fn set_expiredate(&mut self, name: &str, days: Option<u64>) -> Result<(), Error> {
        let value = days.map(|d| d.to_string()).unwrap_or_default();
        self.shadow_line(name)?.set(7, 9, &value);
        Ok(())
    }

    /// The password hash of `name`: its shadow field, or a hash still kept
    /// in `passwd` on a system without a shadow entry for it.
    pub fn hash(&self, name: &str) -> Option<String> {
        if let Some(sh) = &self.shadow {
            if let Some(l) = sh.find(name).and_then(|i| sh.lines.get(i)) {
                return l.field(1).map(ToOwned::to_owned);
            }
        }
        let pw = self
            .passwd
            .find(name)
            .and_then(|i| self.passwd.lines.get(i))?;
        pw.field(1).filter(|h| *h != "x").map(ToOwned::to_owned)
    }

    /// The four files as bytes: untouched lines byte for byte, changed ones
    /// re-rendered, new ones in place; every line ends with a newline.
    pub fn render(&self) -> Rendered {
        Rendered {
            passwd: self.passwd.render(),
            shadow: self.shadow.as_ref().map(Table::render),
            group: self.group.render(),
            gshadow: self.gshadow.as_ref().map(Table::render),
        }
    }
}

/// Appends `user` to the comma list in field `i` unless present.
fn add_to_list(line: &mut Line, i: usize, len: usize, user: &str) -> bool {
    let mut list = members(line.field(i).unwrap_or(""));
    if list.iter().any(|m| m == user) {
        return false;
    }
    list.push(user.to_owned());
    line.set(i, len, &list.join(","));
    true
}

#[cfg(test)]
// A failed unwrap in a test is a failed test, which is what it should be.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use std::vec;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
debian:x:1000:1000:Debian,,,:/home/debian:/bin/bash
";

    const SHADOW: &str = "\
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
bin:*:19000:0:99999:7:::
sys:*:19000:0:99999:7:::
sync:*:19000:0:99999:7:::
games:*:19000:0:99999:7:::
man:*:19000:0:99999:7:::
lp:*:19000:0:99999:7:::
mail:*:19000:0:99999:7:::
news:*:19000:0:99999:7:::
uucp:*:19000:0:99999:7:::
proxy:*:19000:0:99999:7:::
www-data:*:19000:0:99999:7:::
backup:*:19000:0:99999:7:::
list:*:19000:0:99999:7:::
irc:*:19000:0:99999:7:::
_apt:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
systemd-network:!*:19000::::::
debian:$6$salt$hash:19000:0:99999:7:::
";

    const GROUP: &str = "\
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:debian
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
sudo:x:27:debian
www-data:x:33:
backup:x:34:
list:x:38:
irc:x:39:
shadow:x:42:
games:x:60:
users:x:100:
nogroup:x:65534:
systemd-network:x:998:
debian:x:1000:
";

    const GSHADOW: &str = "\
root:*::
adm:*::debian
sudo:*::debian
shadow:*::
users:*::
nogroup:*::
debian:!::
";

    fn debian() -> Accounts {
        Accounts::parse(
            PASSWD.as_bytes(),
            Some(SHADOW.as_bytes()),
            GROUP.as_bytes(),
            Some(GSHADOW.as_bytes()),
        )
    }

    fn text(b: &[u8]) -> &str {
        core::str::from_utf8(b).unwrap()
    }

    /// The lines of `after` that are not in `before` (which must be a prefix
    /// apart from changed lines): here, what a test added at the end.
    fn tail<'a>(before: &str, after: &'a str) -> &'a str {
        after.strip_prefix(before).unwrap()
    }

    fn user(name: &str, uid: u32, gid: u32) -> User {
        User {
            name: name.to_string(),
            uid,
            gid,
            gecos: "A User,,,".to_string(),
            home: std::format!("/home/{name}"),
            shell: "/bin/bash".to_string(),
        }
    }

    #[test]
    fn login_defs_defaults_and_values() {
        let d = LoginDefs::parse(b"");
        assert_eq!(d, LoginDefs::default());
        assert_eq!((d.sys_uid_min, d.sys_uid_max), (101, 999));
        let d = LoginDefs::parse(
            b"# comment\nUID_MIN 500\n  UID_MAX\t 0x7530\nGID_MIN \"2000\"\nGID_MAX 070000\n\
              SYS_GID_MIN 200\nCREATE_HOME yes\nUSERGROUPS_ENAB YES\nMAIL_DIR /var/mail\n\
              SYS_UID_MIN -5\nSYS_UID_MIN 1e3\nUID_MAX 99999999999\n\xff\xfe bad\nGID_MIN\n",
        );
        assert_eq!(
            d,
            LoginDefs {
                uid_min: 500,
                uid_max: 30000,
                sys_uid_min: 101,
                sys_uid_max: 499,
                gid_min: 2000,
                gid_max: 0o70000,
                sys_gid_min: 200,
                sys_gid_max: 1999,
                create_home: Some(true),
                usergroups_enab: true,
            }
        );
        let d = LoginDefs::parse(b"SYS_UID_MAX 900\nSYS_GID_MAX 800\nCREATE_HOME no\nUID_MIN 0\n");
        assert_eq!((d.sys_uid_max, d.sys_gid_max), (900, 800));
        assert_eq!(d.create_home, Some(false));
        assert_eq!(d.uid_min, 0);
        assert_eq!(parse_num(b"0"), Some(0));
        assert_eq!(parse_num(b"0x"), None);
        assert_eq!(parse_num(b"08"), None);
        assert_eq!(parse_num(b"+5"), None);
    }

    #[test]
    fn roundtrip_byte_for_byte() {
        let a = debian();
        let r = a.render();
        assert_eq!(text(&r.passwd), PASSWD);
        assert_eq!(text(r.shadow.as_deref().unwrap()), SHADOW);
        assert_eq!(text(&r.group), GROUP);
        assert_eq!(text(r.gshadow.as_deref().unwrap()), GSHADOW);
        // Odd bytes survive: CRLF, comments, NIS, blanks, bad UTF-8, junk.
        let odd: &[u8] = b"# hand edited\r\nroot:x:0:0::/root:/bin/sh\r\n\n+@netgroup::::::\n\
              broken line\nbad:x:notanumber:0:::\n\xff\xfe:x:5:5:::\n-baduser\nnonl:x:7:7:::";
        let a = Accounts::parse(odd, None, b"", None);
        let r = a.render();
        let mut expected = odd.to_vec();
        expected.push(b'\n');
        assert_eq!(r.passwd, expected);
        assert_eq!(r.shadow, None);
        assert_eq!(r.group, b"");
        assert_eq!(r.gshadow, None);
        assert_eq!(a.user("nonl").unwrap().uid, 7);
        assert_eq!(a.user("root").unwrap().shell, "/bin/sh\r");
        assert_eq!(a.user("bad"), None);
        assert_eq!(a.user("broken line"), None);
        assert_eq!(a.user("+@netgroup"), None);
        assert_eq!(a.user_by_uid(5), None);
        assert_eq!(
            Accounts::parse(b"\n", None, b"", None).render().passwd,
            b"\n"
        );
    }

    #[test]
    fn lookups() {
        let a = debian();
        assert_eq!(
            a.user("debian"),
            Some(User {
                name: "debian".to_string(),
                uid: 1000,
                gid: 1000,
                gecos: "Debian,,,".to_string(),
                home: "/home/debian".to_string(),
                shell: "/bin/bash".to_string(),
            })
        );
        assert_eq!(a.user_by_uid(65534).unwrap().name, "nobody");
        assert_eq!(a.user_by_uid(42).unwrap().gecos, "");
        assert_eq!(a.user("nope"), None);
        assert_eq!(a.user_by_uid(4242), None);
        assert_eq!(
            a.group("sudo"),
            Some(Group {
                name: "sudo".to_string(),
                gid: 27,
                members: vec!["debian".to_string()],
            })
        );
        assert_eq!(a.group_by_gid(100).unwrap().name, "users");
        assert!(a.group("nogroup").unwrap().members.is_empty());
        assert_eq!(a.group_by_gid(4242), None);
        assert_eq!(a.hash("debian").as_deref(), Some("$6$salt$hash"));
        assert_eq!(a.hash("root").as_deref(), Some("*"));
        assert_eq!(a.hash("nope"), None);
    }

    #[test]
    fn alloc_uid_like_useradd() {
        let a = debian();
        let d = LoginDefs::default();
        assert_eq!(a.alloc_uid(false, &d), Ok(1001));
        // systemd-network holds 998.
        assert_eq!(a.alloc_uid(true, &d), Ok(999));
        let a2 = Accounts::parse(b"a:x:999:1:::\nb:x:998:1:::\n", None, b"", None);
        assert_eq!(a2.alloc_uid(true, &d), Ok(997));
        // Nobody in range: UID_MIN.
        let base = Accounts::parse(b"root:x:0:0:::\nnobody:x:65534:65534:::\n", None, b"", None);
        assert_eq!(base.alloc_uid(false, &d), Ok(1000));
        // The top of the range is used: fall back to the lowest free.
        let top = Accounts::parse(b"a:x:1000:1:::\nb:x:60000:1:::\n", None, b"", None);
        assert_eq!(top.alloc_uid(false, &d), Ok(1001));
        let small = LoginDefs {
            uid_min: 10,
            uid_max: 12,
            sys_uid_min: 5,
            sys_uid_max: 6,
            ..LoginDefs::default()
        };
        let gap = Accounts::parse(b"a:x:10:1:::\nb:x:12:1:::\nc:x:6:1:::\n", None, b"", None);
        assert_eq!(gap.alloc_uid(false, &small), Ok(11));
        assert_eq!(gap.alloc_uid(true, &small), Ok(5));
        let full = Accounts::parse(
            b"a:x:10:1:::\nb:x:11:1:::\nc:x:12:1:::\nd:x:5:1:::\ne:x:6:1:::\n",
            None,
            b"",
            None,
        );
        assert_eq!(full.alloc_uid(false, &small), Err(Error::NoFreeId));
        assert_eq!(full.alloc_uid(true, &small), Err(Error::NoFreeId));
        let inverted = LoginDefs {
            uid_min: 5,
            uid_max: 4,
            sys_uid_min: 9,
            sys_uid_max: 8,
            ..LoginDefs::default()
        };
        assert_eq!(base.alloc_uid(false, &inverted), Err(Error::NoFreeId));
        assert_eq!(base.alloc_uid(true, &inverted), Err(Error::NoFreeId));
        // (uid_t)-1 is never handed out, even when the range says so.
        let huge = LoginDefs {
            uid_min: u32::MAX - 1,
            uid_max: u32::MAX,
            sys_uid_min: 0,
            sys_uid_max: 0,
            ..LoginDefs::default()
        };
        let at_top = Accounts::parse(b"a:x:4294967294:1:::\n", None, b"", None);
        assert_eq!(at_top.alloc_uid(false, &huge), Err(Error::NoFreeId));
        assert_eq!(base.alloc_uid(true, &huge), Err(Error::NoFreeId));
        assert_eq!(full.alloc_uid(true, &huge), Ok(0));
    }

    #[test]
    fn alloc_gid_prefers_uid_when_free() {
        let a = debian();
        let d = LoginDefs::default();
        assert_eq!(a.alloc_gid(false, &d, None), Ok(1001));
        assert_eq!(a.alloc_gid(false, &d, Some(1005)), Ok(1005));
        // 1000 is taken by the debian group: the normal choice instead.
        assert_eq!(a.alloc_gid(false, &d, Some(1000)), Ok(1001));
        // Outside the range: not used, like useradd.
        assert_eq!(a.alloc_gid(false, &d, Some(500)), Ok(1001));
        assert_eq!(a.alloc_gid(true, &d, Some(500)), Ok(500));
        assert_eq!(a.alloc_gid(true, &d, Some(998)), Ok(999));
        assert_eq!(a.alloc_gid(true, &d, None), Ok(999));
        let small = LoginDefs {
            gid_min: 10,
            gid_max: 10,
            ..LoginDefs::default()
        };
        let full = Accounts::parse(b"", None, b"g:x:10:\n", None);
        assert_eq!(
            full.alloc_gid(false, &small, Some(10)),
            Err(Error::NoFreeId)
        );
        assert_eq!(full.alloc_gid(false, &small, None), Err(Error::NoFreeId));
    }

    #[test]
    fn add_user_and_group_render_exact_lines() {
        let mut a = debian();
        let uid = a.alloc_uid(false, &LoginDefs::default()).unwrap();
        let gid = a
            .alloc_gid(false, &LoginDefs::default(), Some(uid))
            .unwrap();
        assert_eq!((uid, gid), (1001, 1001));
        a.add_group("alice", gid).unwrap();
        a.add_user(&user("alice", uid, gid), 19500).unwrap();
        assert!(a.add_member("sudo", "alice").unwrap());
        assert!(a.add_member("users", "alice").unwrap());
        assert!(!a.add_member("sudo", "alice").unwrap());
        let r = a.render();
        assert_eq!(
            tail(PASSWD, text(&r.passwd)),
            "alice:x:1001:1001:A User,,,:/home/alice:/bin/bash\n"
        );
        assert_eq!(
            tail(SHADOW, text(r.shadow.as_deref().unwrap())),
            "alice:!:19500:0:99999:7:::\n"
        );
        let expected = std::format!(
            "{}alice:x:1001:\n",
            GROUP
                .replace("\nsudo:x:27:debian\n", "\nsudo:x:27:debian,alice\n")
                .replace("\nusers:x:100:\n", "\nusers:x:100:alice\n")
        );
        assert_eq!(text(&r.group), expected);
        let gshadow = text(r.gshadow.as_deref().unwrap());
        assert_eq!(
            gshadow,
            "root:*::\nadm:*::debian\nsudo:*::debian,alice\nshadow:*::\nusers:*::alice\n\
             nogroup:*::\ndebian:!::\nalice:!::\n"
        );
        assert_eq!(a.user("alice").unwrap().home, "/home/alice");
        assert_eq!(a.group("alice").unwrap().gid, 1001);
        assert_eq!(a.hash("alice").as_deref(), Some("!"));
        // Nothing else moved.
        assert_eq!(a.alloc_uid(false, &LoginDefs::default()), Ok(1002));
    }

    #[test]
    fn no_duplicates() {
        let mut a = debian();
        assert_eq!(
            a.add_user(&user("debian", 2000, 2000), 1),
            Err(Error::NameTaken)
        );
        assert_eq!(
            a.add_user(&user("newbie", 1000, 1000), 1),
            Err(Error::IdTaken)
        );
        assert_eq!(a.add_group("sudo", 2000), Err(Error::NameTaken));
        assert_eq!(a.add_group("newgrp", 27), Err(Error::IdTaken));
        // A malformed line still holds its name.
        let mut m = Accounts::parse(b"ghost:x:oops:0:::\n", Some(b""), b"grp:x:bad:\n", None);
        assert_eq!(m.add_user(&user("ghost", 5, 5), 1), Err(Error::NameTaken));
        assert_eq!(m.add_group("grp", 5), Err(Error::NameTaken));
        // NIS lines and comments never match.
        let mut n = Accounts::parse(b"#alice:x:1:1:::\n+alice::::::\n", None, b"", None);
        n.add_user(&user("alice", 1001, 1001), 7).unwrap();
        assert_eq!(
            text(&n.render().passwd),
            "#alice:x:1:1:::\nalice:x:1001:1001:A User,,,:/home/alice:/bin/bash\n+alice::::::\n"
        );
        assert_eq!(a.render(), debian().render());
    }

    #[test]
    fn new_entries_go_before_nis_lines() {
        let mut a = Accounts::parse(
            b"root:x:0:0::/root:/bin/sh\n+::::::\n",
            Some(b"root:*:1:0:99999:7:::\n+::::::::\n"),
            b"root:x:0:\n+:::\n",
            Some(b"root:*::\n"),
        );
        a.add_group("ops", 1000).unwrap();
        a.add_user(&user("bob", 1000, 1000), 5).unwrap();
        let r = a.render();
        assert_eq!(
            text(&r.passwd),
            "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000:A User,,,:/home/bob:/bin/bash\n+::::::\n"
        );
        assert_eq!(
            text(r.shadow.as_deref().unwrap()),
            "root:*:1:0:99999:7:::\nbob:!:5:0:99999:7:::\n+::::::::\n"
        );
        assert_eq!(text(&r.group), "root:x:0:\nops:x:1000:\n+:::\n");
        assert_eq!(text(r.gshadow.as_deref().unwrap()), "root:*::\nops:!::\n");
    }

    #[test]
    fn shadow_and_gshadow_created_or_not() {
        let mut a = Accounts::parse(b"root:x:0:0::/root:/bin/sh", None, b"root:x:0:", None);
        a.add_group("carol", 1000).unwrap();
        a.add_user(&user("carol", 1000, 1000), 100).unwrap();
        let r = a.render();
        assert_eq!(
            text(&r.passwd),
            "root:x:0:0::/root:/bin/sh\ncarol:x:1000:1000:A User,,,:/home/carol:/bin/bash\n"
        );
        assert_eq!(
            text(r.shadow.as_deref().unwrap()),
            "carol:!:100:0:99999:7:::\n"
        );
        assert_eq!(text(&r.group), "root:x:0:\ncarol:x:1000:\n");
        assert_eq!(r.gshadow, None);
        // Membership without gshadow touches group only.
        assert!(a.add_member("root", "carol").unwrap());
        assert_eq!(text(&a.render().group), "root:x:0:carol\ncarol:x:1000:\n");
    }

    #[test]
    fn password_edits() {
        let mut a = debian();
        a.set_hash("debian", "$6$new$HASH", 19600).unwrap();
        a.lock("root").unwrap();
        a.lock("systemd-network").unwrap();
        a.set_expiredate("news", Some(20000)).unwrap();
        a.set_lastchg("mail", 0).unwrap();
        let r = a.render();
        let shadow = text(r.shadow.as_deref().unwrap());
        let expected = SHADOW
            .replace("debian:$6$salt$hash:19000:", "debian:$6$new$HASH:19600:")
            .replace("root:*:19000", "root:!*:19000")
            .replace(
                "news:*:19000:0:99999:7:::",
                "news:*:19000:0:99999:7::20000:",
            )
            .replace("mail:*:19000:", "mail:*:0:");
        assert_eq!(shadow, expected);
        assert_eq!(text(&r.passwd), PASSWD);
        // Locking twice is one lock; clearing the expiry restores the line.
        a.lock("debian").unwrap();
        a.lock("debian").unwrap();
        assert_eq!(a.hash("debian").as_deref(), Some("!$6$new$HASH"));
        a.set_expiredate("news", None).unwrap();
        assert!(
            text(a.render().shadow.as_deref().unwrap()).contains("\nnews:*:19000:0:99999:7:::\n")
        );
        // Errors.
        assert_eq!(a.set_hash("nope", "x", 1), Err(Error::NoSuchUser));
        assert_eq!(a.set_hash("debian", "a:b", 1), Err(Error::BadField));
        assert_eq!(a.set_hash("debian", "a\nb", 1), Err(Error::BadField));
        assert_eq!(a.lock("nope"), Err(Error::NoSuchUser));
        assert_eq!(a.set_lastchg("nope", 0), Err(Error::NoSuchUser));
        assert_eq!(a.set_expiredate("nope", None), Err(Error::NoSuchUser));
    }

    #[test]
    fn shadow_line_created_from_passwd() {
        // An old-style passwd with the hash inline, no shadow file at all.
        let mut a = Accounts::parse(
            b"root:$1$abc$def:0:0::/root:/bin/sh\nopen::1:1:::\nx:x:2:2:::\n",
            None,
            b"",
            None,
        );
        assert_eq!(a.hash("root").as_deref(), Some("$1$abc$def"));
        assert_eq!(a.hash("x"), None);
        a.lock("root").unwrap();
        a.set_lastchg("open", 0).unwrap();
        a.set_expiredate("x", Some(1)).unwrap();
        let r = a.render();
        assert_eq!(
            text(&r.passwd),
            "root:x:0:0::/root:/bin/sh\nopen:x:1:1:::\nx:x:2:2:::\n"
        );
        assert_eq!(
            text(r.shadow.as_deref().unwrap()),
            "root:!$1$abc$def:::::::\nopen::0::::::\nx:!::::::1:\n"
        );
        // set_hash on a user with no shadow line.
        let mut b = Accounts::parse(b"u:x:5:5:::\n", Some(b"# shadow\n"), b"", None);
        b.set_hash("u", "$y$j9T$s$h", 42).unwrap();
        assert_eq!(
            text(b.render().shadow.as_deref().unwrap()),
            "# shadow\nu:$y$j9T$s$h:42::::::\n"
        );
        // Short shadow lines are padded when edited, kept when not.
        let mut c = Accounts::parse(
            b"u:x:5:5:::\nv:x:6:6:::\n",
            Some(b"u:!\nv:*:1\n"),
            b"",
            None,
        );
        c.set_expiredate("u", Some(9)).unwrap();
        assert_eq!(
            text(c.render().shadow.as_deref().unwrap()),
            "u:!::::::9:\nv:*:1\n"
        );
        assert_eq!(c.add_user(&user("v", 7, 7), 1), Err(Error::NameTaken));
    }

    #[test]
    fn stale_shadow_line_is_reset() {
        let mut a = Accounts::parse(
            b"root:x:0:0:::\n",
            Some(b"root:*:1::::::\nzed:$6$old$pw:1:0:99999:7:::\n"),
            b"",
            None,
        );
        a.add_user(&user("zed", 1000, 1000), 77).unwrap();
        assert_eq!(
            text(a.render().shadow.as_deref().unwrap()),
            "root:*:1::::::\nzed:!:77:0:99999:7:::\n"
        );
        // One we cannot parse is refused rather than duplicated.
        let mut b = Accounts::parse(b"", Some(b"zed:\xff:1::::::\n"), b"", None);
        assert_eq!(
            b.add_user(&user("zed", 1000, 1000), 1),
            Err(Error::BadField)
        );
        assert_eq!(b.render().passwd, b"");
    }

    #[test]
    fn names_and_fields() {
        for ok in [
            "a", "debian", "_apt", "www-data", "john.doe", "Admin", "host$", "a1", "x_-.y",
        ] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        let long = "a".repeat(33);
        for bad in [
            "", "-rf", ".", "..", "123", "1abc", "a:b", "a,b", "a b", "a\nb", "a\tb", "$", "a$b",
            "é", ".hidden", &long,
        ] {
            assert_eq!(check_name(bad), Err(Error::BadName), "{bad:?}");
        }
        assert_eq!(check_name(&"a".repeat(32)), Ok(()));
        let mut a = debian();
        assert_eq!(
            a.add_user(&user("bad name", 2000, 2000), 1),
            Err(Error::BadName)
        );
        assert_eq!(a.add_group("9", 2000), Err(Error::BadName));
        let mut u = user("ok", 2000, 2000);
        u.gecos = "x:y".to_string();
        assert_eq!(a.add_user(&u, 1), Err(Error::BadField));
        let mut u = user("ok", 2000, 2000);
        u.home = "/home/ok\n".to_string();
        assert_eq!(a.add_user(&u, 1), Err(Error::BadField));
        let mut u = user("ok", 2000, 2000);
        u.shell = "/bin/sh\r".to_string();
        assert_eq!(a.add_user(&u, 1), Err(Error::BadField));
        assert_eq!(
            a.add_user(&user("ok", u32::MAX, 1), 1),
            Err(Error::BadField)
        );
        assert_eq!(a.add_group("okg", u32::MAX), Err(Error::BadField));
        assert_eq!(a.add_member("sudo", "a,b"), Err(Error::BadName));
        assert_eq!(a.add_member("sudo", ""), Err(Error::BadName));
        assert_eq!(a.add_member("nogrp", "debian"), Err(Error::NoSuchGroup));
        // Nothing was changed by the refused edits.
        assert_eq!(a.render(), debian().render());
    }

    #[test]
    fn member_lists_keep_order_and_sync_gshadow() {
        let mut a = Accounts::parse(
            b"",
            None,
            b"wheel:x:10:b,,a\nplain:x:11:\n",
            Some(b"wheel:!:adm:a\nplain:!\n"),
        );
        // In group but not in gshadow: gshadow catches up, reported as change.
        assert!(a.add_member("wheel", "b").unwrap());
        assert!(a.add_member("wheel", "c").unwrap());
        assert!(!a.add_member("wheel", "c").unwrap());
        assert!(a.add_member("plain", "z").unwrap());
        let r = a.render();
        assert_eq!(text(&r.group), "wheel:x:10:b,a,c\nplain:x:11:z\n");
        assert_eq!(
            text(r.gshadow.as_deref().unwrap()),
            "wheel:!:adm:a,b,c\nplain:!::z\n"
        );
        assert_eq!(a.group("wheel").unwrap().members, vec!["b", "a", "c"]);
    }

    #[test]
    fn truncated_and_garbage_input_never_panics() {
        let junk: &[&[u8]] = &[
            b":::::::\n",
            b"\xff:x:1:1:::\n",
            b"a:x:99999999999:1:::\n",
            b"\0\n:",
        ];
        for cut in 0..=PASSWD.len() {
            let p = PASSWD.as_bytes().get(..cut).unwrap();
            let g = GROUP.as_bytes().get(..cut.min(GROUP.len())).unwrap();
            let sh = SHADOW.as_bytes().get(..cut.min(SHADOW.len())).unwrap();
            let mut a = Accounts::parse(p, Some(sh), g, Some(junk[cut % junk.len()]));
            let d = LoginDefs::default();
            let _ = a.alloc_uid(cut % 2 == 0, &d);
            let _ = a.alloc_gid(cut % 2 == 1, &d, Some(1000));
            let _ = a.add_group("grp", 5000);
            let _ = a.add_user(&user("usr", 5000, 5000), 1);
            let _ = a.add_member("sudo", "usr");
            let _ = a.lock("debian");
            let _ = a.set_hash("root", "h", 2);
            let _ = a.set_expiredate("sys", Some(3));
            let r = a.render();
            assert!(r.passwd.is_empty() || r.passwd.ends_with(b"\n"));
            assert!(r.passwd.starts_with(p.rsplit_once_newline()));
        }
    }

    trait Prefix {
        fn rsplit_once_newline(&self) -> &[u8];
    }

    impl Prefix for &[u8] {
        /// The complete lines of a truncated file: what must survive as is.
        fn rsplit_once_newline(&self) -> &[u8] {
            match self.iter().rposition(|&b| b == b'\n') {
                Some(i) => &self[..=i],
                None => b"",
            }
        }
    }

    #[test]
    fn error_display() {
        assert_eq!(Error::BadName.to_string(), "invalid user or group name");
        assert_eq!(Error::NameTaken.to_string(), "name already in use");
        assert_eq!(Error::IdTaken.to_string(), "id already in use");
        assert_eq!(
            Error::NoFreeId.to_string(),
            "no free id in the configured range"
        );
        assert_eq!(Error::NoSuchUser.to_string(), "no such user");
        assert_eq!(Error::NoSuchGroup.to_string(), "no such group");
        assert_eq!(
            Error::BadField.to_string(),
            "invalid character in an account field"
        );
    }
}
