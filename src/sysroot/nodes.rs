//! Directories, links and systemd units of a [`Context`] (Ignition's
//! `storage.directories`, `storage.links`, `systemd.units`), and the checks
//! of `overwrite: false` against what the image already has.
//!
//! Like the rest of `apply`, every write goes through [`Root`]; a directory
//! of the image is never removed, only given a mode and owner.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::apply::{parent_of, Run, MAX_FILE, UNIT_DIR};
use super::root::{Kind, Meta};
use crate::model::{Context, NodeKind, WriteFile};
use crate::text::cat;
use crate::text::printable;

/// Ignition's preset file, under egret's name: systemd's first-boot
/// `preset-all` (on images that run it) then agrees with the links below.
const PRESET: &str = "/etc/systemd/system-preset/20-egret.preset";

/// Where an image keeps unit files, most local first.
const UNIT_PATHS: [&str; 3] = [UNIT_DIR, "/usr/lib/systemd/system", "/lib/systemd/system"];

impl Run<'_> {
    fn meta_of(&self, path: &str) -> Option<Meta> {
        self.root.meta(path).ok().flatten()
    }

    /// Before the first write: an `overwrite: false` entry that would
    /// replace something different, a directory where a file or link should
    /// go, a hard link to nothing are conflicts (nothing is written).
    /// cloud-config's `write_files` (files, overwrite) are not checked.
    #[inline(never)]
    pub(super) fn check_nodes(&mut self, ctx: &Context) {
        for f in &ctx.write_files {
            let file = f.kind == NodeKind::File;
            if file && f.overwrite {
                continue;
            }
            let why = match (self.meta_of(&f.path), &f.kind) {
                (Some(m), k) if m.kind == Kind::Dir && *k != NodeKind::Dir => {
                    "a directory is there"
                }
                (Some(m), k) if !(f.overwrite || self.node_matches(f, k, &m)) => {
                    "something different is there and overwrite is false"
                }
                (_, NodeKind::HardLink(t))
                    if !ctx.write_files.iter().any(|x| x.path == *t)
                        && self.meta_of(t).is_none_or(|m| m.kind != Kind::File) =>
                {
                    "the hard link's target is not a file"
                }
                _ => continue,
            };
            self.conflict(format_args!("file {}: {why}", printable(f.path.as_bytes())));
        }
    }

    /// Whether what is at `f.path` (described by `m`) may stay: already the
    /// link or directory asked for, the same file, or a file to append to.
    fn node_matches(&self, f: &WriteFile, k: &NodeKind, m: &Meta) -> bool {
        match k {
            NodeKind::Dir => m.kind == Kind::Dir,
            NodeKind::Symlink(t) => {
                m.kind == Kind::Symlink
                    && self.root.read_link(&f.path).ok().flatten().as_ref() == Some(t)
            }
            NodeKind::HardLink(t) => {
                m.kind == Kind::File && self.meta_of(t).is_some_and(|x| x.ino == m.ino)
            }
            NodeKind::File => {
                m.kind == Kind::File
                    && (f.append
                        || self.root.read(&f.path, MAX_FILE).ok().flatten().as_deref()
                            == Some(f.content.0.as_slice()))
            }
        }
    }

    /// A directory or link of `write_files` (its parent exists): an existing
    /// directory only gets mode and owner; check_nodes allowed the rest.
    #[inline(never)]
    pub(super) fn write_node(&mut self, f: &WriteFile, uid: u32, gid: u32) {
        let path = f.path.as_str();
        let m = self.meta_of(path);
        let (what, target) = match &f.kind {
            NodeKind::Symlink(t) => ("symbolic link", t.as_str()),
            NodeKind::HardLink(t) => ("hard link", t.as_str()),
            _ => ("directory", ""),
        };
        let done = m.as_ref().is_some_and(|m| self.node_matches(f, &f.kind, m));
        let mut mode = f.permissions;
        let r = if f.kind == NodeKind::Dir {
            if let Some(m) = m.filter(|_| done && f.keep_mode) {
                mode = m.mode;
            }
            if !done && m.is_some() {
                // A file or link in the way, and overwrite allows it.
                let _ = self.root.remove(path);
            }
            self.root
                .mkdir_all(path, mode, uid, gid)
                .and_then(|()| self.root.set_owner_mode(path, mode, uid, gid))
        } else {
            let made = match (&f.kind, done) {
                (_, true) => Ok(()),
                (NodeKind::HardLink(_), _) => self.root.hard_link(target, path),
                _ => self.root.symlink(target, path),
            };
            match &f.kind {
                NodeKind::Symlink(_) => {
                    made.and_then(|()| self.root.set_owner_mode(path, 0, uid, gid))
                }
                _ => made,
            }
        };
        if self.ok(r) {
            self.log.say(format_args!(
                "{what} {} {target} (mode {mode:04o}, owner {})",
                printable(path.as_bytes()),
                printable(f.owner.as_bytes())
            ));
        }
    }

    /// Unmasks, enables and disables units, and writes the preset file.
    #[inline(never)]
    pub(super) fn unit_ops(&mut self, ctx: &Context) {
        if ctx.unit_ops.is_empty() {
            return;
        }
        if !self.has_systemd() {
            self.fail(format_args!(
                "no systemd in the image: systemd.units cannot be enabled"
            ));
            return;
        }
        let mut preset =
            String::from("# Written by egret: the units its config enables or disables.\n");
        for op in &ctx.unit_ops {
            let path = cat(&[UNIT_DIR, "/", &op.name]);
            if op.unmask
                && self.root.read_link(&path).ok().flatten().as_deref() == Some("/dev/null")
            {
                let r = self.root.remove(&path);
                self.ok(r.map(drop));
            }
            if let Some(on) = op.enable {
                let _ = writeln!(
                    preset,
                    "{} {}",
                    if on { "enable" } else { "disable" },
                    op.name
                );
                self.enable(&op.name, on);
            }
        }
        if self.mkdir(parent_of(PRESET), 0o755, 0, 0) {
            self.write(PRESET, preset.as_bytes(), 0o644, 0, 0);
        }
    }

    /// Adds (or removes) the links the unit's `[Install]` section asks for.
    #[inline(never)]
    fn enable(&mut self, name: &str, on: bool) {
        // An instance (`getty@tty1.service`) is enabled from its template.
        let at = name.bytes().position(|b| b == b'@');
        let dot = name.bytes().rposition(|b| b == b'.').unwrap_or(0);
        let template = at
            .and_then(|a| Some(cat(&[name.get(..=a)?, name.get(dot..)?])))
            .unwrap_or_default();
        let mut found = None;
        for dir in &UNIT_PATHS {
            for n in &[name, template.as_str()] {
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
        let line = line.trim_ascii();
        if line.starts_with('[') {
            inside = line == "[Install]";
            continue;
        }
        let Some((k, v)) = line.split_once('=').filter(|_| inside) else {
            continue;
        };
        let v = v.trim_ascii();
        let kind = match k.trim_ascii() {
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
            // By hand: `Vec::retain`'s code is large for a list this short.
            let mut i = 0;
            while let Some((_, k)) = out.targets.get(i) {
                if *k == kind {
                    out.targets.remove(i);
                } else {
                    i += 1;
                }
            }
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
