//! Directories, links and systemd units of a [`Context`] (Ignition's
//! `storage.directories`, `storage.links`, `systemd.units`), and the checks
//! of `overwrite: false` against what the image already has.
//!
//! Like the rest of `apply`, every write goes through [`Root`]; a directory
//! of the image is never removed, only given a mode and owner.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::accounts::Accounts;
use super::apply::{parent_of, resolve_owner, Run, MAX_FILE, UNIT_DIR};
use super::root::{Kind, Meta};
use crate::cloudconfig::printable;
use crate::model::{Context, Unit};
use crate::text::cat;

/// Ignition's preset file, under egret's name: systemd's first-boot
/// `preset-all` (on images that run it) then agrees with the links below.
const PRESET: &str = "/etc/systemd/system-preset/20-egret.preset";

/// Where an image keeps unit files, most local first.
const UNIT_PATHS: [&str; 3] = [UNIT_DIR, "/usr/lib/systemd/system", "/lib/systemd/system"];

impl Run<'_> {
    fn meta_of(&self, path: &str) -> Option<Meta> {
        self.root.meta(path).ok().flatten()
    }

    /// Before the first write: `overwrite: false` entries that would replace
    /// something different, directories where a file or link should go, and
    /// unknown owners are conflicts (nothing is written).
    #[inline(never)]
    pub(super) fn check_nodes(&mut self, ctx: &Context, acc: Option<&Accounts>) {
        for f in &ctx.write_files {
            let Some(m) = self.meta_of(&f.path) else {
                continue;
            };
            let same = || {
                self.root.read(&f.path, MAX_FILE).ok().flatten().as_deref()
                    == Some(f.content.0.as_slice())
            };
            let bad = match m.kind {
                Kind::Dir => Some("a directory is there"),
                _ if f.overwrite || f.append && m.kind == Kind::File => None,
                Kind::File if same() => None,
                _ => Some("something different is there and overwrite is false"),
            };
            if let Some(why) = bad {
                self.conflict(format_args!("file {}: {why}", printable(&f.path)));
            }
        }
        for d in &ctx.directories {
            let bad =
                matches!(self.meta_of(&d.path), Some(m) if m.kind != Kind::Dir && !d.overwrite);
            self.owner_or_conflict("directory", &d.path, &d.owner, acc, bad);
        }
        for l in &ctx.links {
            let created = ctx.write_files.iter().any(|f| f.path == l.target);
            let bad = match self.meta_of(&l.path) {
                Some(m) if m.kind == Kind::Dir => true,
                Some(m) if !l.overwrite => !self.link_matches(l.hard, &l.target, &l.path, &m),
                _ => false,
            } || l.hard
                && !created
                && self.meta_of(&l.target).is_none_or(|m| m.kind != Kind::File);
            self.owner_or_conflict("link", &l.path, &l.owner, acc, bad);
        }
    }

    fn owner_or_conflict(
        &mut self,
        what: &str,
        path: &str,
        owner: &str,
        acc: Option<&Accounts>,
        bad: bool,
    ) {
        if bad {
            self.conflict(format_args!(
                "{what} {}: something else is there (or the target is missing) and overwrite is false",
                printable(path)
            ));
        }
        if resolve_owner(owner, acc).is_none() {
            self.conflict(format_args!(
                "{what} {}: unknown owner `{}`",
                printable(path),
                printable(owner)
            ));
        }
    }

    /// Whether `path` (described by `m`) already is the link asked for.
    fn link_matches(&self, hard: bool, target: &str, path: &str, m: &Meta) -> bool {
        if hard {
            return m.kind == Kind::File && self.meta_of(target).is_some_and(|t| t.ino == m.ino);
        }
        m.kind == Kind::Symlink
            && self.root.read_link(path).ok().flatten().as_deref() == Some(target)
    }

    /// Directories, parents first; an existing one only gets mode and owner.
    #[inline(never)]
    pub(super) fn directories(&mut self, ctx: &Context, acc: Option<&Accounts>) {
        let mut order: Vec<(usize, usize)> = ctx
            .directories
            .iter()
            .enumerate()
            .map(|(i, d)| (d.path.bytes().filter(|&b| b == b'/').count(), i))
            .collect();
        super::root::sort(&mut order);
        for d in order.iter().filter_map(|&(_, i)| ctx.directories.get(i)) {
            let Some((uid, gid)) = resolve_owner(&d.owner, acc) else {
                continue;
            };
            let path = &d.path;
            let existing = self.meta_of(path);
            if let Some(m) = &existing {
                if m.kind != Kind::Dir {
                    // check_nodes allowed it: overwrite is true.
                    let r = self.root.remove(path);
                    if !self.ok(r.map(drop)) {
                        continue;
                    }
                }
            }
            let mode = match (d.mode, &existing) {
                (Some(m), _) => m,
                (None, Some(m)) if m.kind == Kind::Dir => m.mode,
                (None, _) => 0o755,
            };
            // Missing parents as Ignition makes them: root's, 0755.
            if !(self.mkdir(parent_of(path), 0o755, 0, 0) && self.mkdir(path, mode, uid, gid)) {
                continue;
            }
            let r = self.root.set_owner_mode(path, mode, uid, gid);
            if self.ok(r) {
                self.log.say(format_args!(
                    "directory {} (mode {mode:04o}, owner {})",
                    printable(path),
                    printable(&d.owner)
                ));
            }
        }
    }

    #[inline(never)]
    pub(super) fn links(&mut self, ctx: &Context, acc: Option<&Accounts>) {
        for l in &ctx.links {
            let Some((uid, gid)) = resolve_owner(&l.owner, acc) else {
                continue;
            };
            if !self.mkdir(parent_of(&l.path), 0o755, 0, 0) {
                continue;
            }
            let done = match self.meta_of(&l.path) {
                Some(m) => self.link_matches(l.hard, &l.target, &l.path, &m),
                None => false,
            };
            if !done {
                let r = if l.hard {
                    self.root.hard_link(&l.target, &l.path)
                } else {
                    self.root.symlink(&l.target, &l.path)
                };
                if !self.ok(r) {
                    continue;
                }
            }
            if !l.hard {
                let r = self.root.set_owner_mode(&l.path, 0, uid, gid);
                self.ok(r);
            }
            self.log.say(format_args!(
                "{} link {} -> {}",
                if l.hard { "hard" } else { "symbolic" },
                printable(&l.path),
                printable(&l.target)
            ));
        }
    }

    /// Unit files, drop-ins, masks, and enabling as `systemctl enable`
    /// does it (links from the `[Install]` section), plus a preset file.
    #[inline(never)]
    pub(super) fn units(&mut self, ctx: &Context) {
        if ctx.units.is_empty() {
            return;
        }
        if !self.has_systemd() {
            self.fail(format_args!(
                "no systemd in the image: systemd.units cannot be installed"
            ));
            return;
        }
        let mut preset =
            String::from("# Written by egret: the units its config enables or disables.\n");
        for u in &ctx.units {
            let path = cat(&[UNIT_DIR, "/", &u.name]);
            if !self.mkdir(UNIT_DIR, 0o755, 0, 0) {
                continue;
            }
            if let Some(c) = &u.contents {
                self.write(&path, &c.0, 0o644, 0, 0);
            }
            if !u.dropins.is_empty() {
                let dir = cat(&[&path, ".d"]);
                if self.mkdir(&dir, 0o755, 0, 0) {
                    for d in &u.dropins {
                        self.write(&cat(&[&dir, "/", &d.name]), &d.contents.0, 0o644, 0, 0);
                    }
                }
            }
            match u.mask {
                Some(true) => {
                    let r = self.root.symlink("/dev/null", &path);
                    if self.ok(r) {
                        self.log.say(format_args!("unit {} masked", u.name));
                    }
                }
                Some(false)
                    if self.root.read_link(&path).ok().flatten().as_deref()
                        == Some("/dev/null") =>
                {
                    let r = self.root.remove(&path);
                    self.ok(r.map(drop));
                    self.log.say(format_args!("unit {} unmasked", u.name));
                }
                _ => {}
            }
            if let Some(on) = u.enabled {
                let _ = writeln!(
                    preset,
                    "{} {}",
                    if on { "enable" } else { "disable" },
                    u.name
                );
                self.enable(u, on);
            }
        }
        if ctx.units.iter().any(|u| u.enabled.is_some())
            && self.mkdir(parent_of(PRESET), 0o755, 0, 0)
        {
            self.write(PRESET, preset.as_bytes(), 0o644, 0, 0);
        }
    }

    /// Adds (or removes) the links the unit's `[Install]` section asks for.
    #[inline(never)]
    fn enable(&mut self, u: &Unit, on: bool) {
        let name = u.name.as_str();
        // An instance (`getty@tty1.service`) is enabled from its template.
        let at = name.bytes().position(|b| b == b'@');
        let dot = name.bytes().rposition(|b| b == b'.').unwrap_or(0);
        let template = at
            .and_then(|a| Some(cat(&[name.get(..=a)?, name.get(dot..)?])))
            .unwrap_or_default();
        let mut found = None;
        for dir in UNIT_PATHS {
            for n in [name, template.as_str()] {
                let p = cat(&[dir, "/", n]);
                if found.is_none() && !n.is_empty() {
                    if let Ok(Some(text)) = self.root.read_follow(&p, 1 << 20) {
                        found = Some((p, text));
                    }
                }
            }
        }
        let what = if on { "enabled" } else { "disabled" };
        let Some((unit_path, text)) = found else {
            self.log.say(format_args!(
                "warning: unit {name}: no unit file in the image, not {what}"
            ));
            return;
        };
        let install = install_section(&text);
        // A template given by its own name links its default instance.
        let is_template = at.is_some_and(|a| a + 1 == dot);
        let link_name = match (&install.default_instance, is_template) {
            (_, false) => String::from(name),
            (Some(i), true) => cat(&[
                name.get(..dot).unwrap_or_default(),
                i,
                name.get(dot..).unwrap_or_default(),
            ]),
            (None, true) => String::new(),
        };
        let mut links: Vec<String> = Vec::new();
        for (t, kind) in &install.targets {
            if !link_name.is_empty() {
                links.push(cat(&[UNIT_DIR, "/", t, kind, &link_name]));
            }
        }
        for a in &install.alias {
            links.push(cat(&[UNIT_DIR, "/", a]));
        }
        if links.is_empty() {
            self.log.say(format_args!(
                "warning: unit {name}: nothing in [Install] to act on, not {what}"
            ));
            return;
        }
        for l in &links {
            let r = if on {
                if !self.mkdir(parent_of(l), 0o755, 0, 0) {
                    continue;
                }
                self.root.symlink(&unit_path, l)
            } else if self.root.read_link(l).ok().flatten().is_some() {
                self.root.remove(l).map(drop)
            } else {
                Ok(())
            };
            self.ok(r);
        }
        self.log.say(format_args!("unit {name} {what}"));
    }
}

/// What `systemctl enable` reads from a unit file.
#[derive(Debug, Default, PartialEq)]
pub struct Install {
    /// (target, `.wants/` or `.requires/`): from `WantedBy=`, `RequiredBy=`.
    pub targets: Vec<(String, &'static str)>,
    pub alias: Vec<String>,
    pub default_instance: Option<String>,
}

/// The `[Install]` section of a unit file: space-separated lists, repeated
/// keys adding up, an empty value clearing that key's list, as systemd
/// reads them. Only unit names are kept: nothing else becomes a path.
pub fn install_section(text: &[u8]) -> Install {
    let mut out = Install::default();
    let mut inside = false;
    for line in String::from_utf8_lossy(text).lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[Install]";
            continue;
        }
        let Some((k, v)) = line.split_once('=').filter(|_| inside) else {
            continue;
        };
        let v = v.trim();
        let kind = match k.trim() {
            "WantedBy" => ".wants/",
            "RequiredBy" => ".requires/",
            "Alias" => "",
            "DefaultInstance" => {
                out.default_instance =
                    (!v.is_empty() && !v.bytes().any(|b| b == b'/')).then(|| v.into());
                continue;
            }
            _ => continue,
        };
        if v.is_empty() {
            out.targets.retain(|(_, k)| *k != kind);
            if kind.is_empty() {
                out.alias.clear();
            }
        }
        for name in v.split_ascii_whitespace() {
            if !crate::ignition::valid_unit_name(name) {
                continue;
            }
            if kind.is_empty() {
                out.alias.push(name.into());
            } else if !out.targets.iter().any(|(t, k)| t == name && *k == kind) {
                out.targets.push((name.into(), kind));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn install_sections() {
        let i = install_section(
            b"[Unit]\nWantedBy=not-here.target\n[Install]\nWantedBy=multi-user.target  graphical.target\nWantedBy=multi-user.target\nRequiredBy=a.service\nAlias=b.service ../x bad\nDefaultInstance=tty1\n[Service]\nAlias=c.service\n",
        );
        let t = |n: &str, k: &'static str| (String::from(n), k);
        assert_eq!(
            i.targets,
            [
                t("multi-user.target", ".wants/"),
                t("graphical.target", ".wants/"),
                t("a.service", ".requires/")
            ]
        );
        assert_eq!(i.alias, ["b.service"]);
        assert_eq!(i.default_instance.as_deref(), Some("tty1"));
        let cleared =
            install_section(b"[Install]\nWantedBy=a.target\nWantedBy=\nWantedBy=b.target\n");
        assert_eq!(cleared.targets, [(String::from("b.target"), ".wants/")]);
        assert_eq!(
            install_section(b"no sections\nWantedBy=a.target\n"),
            Install::default()
        );
    }
}
