//! Configuration sources: each yields [`Documents`], the raw bytes of
//! meta-data, user-data, vendor-data and network-config plus where they came
//! from. Sources only read; they never interpret documents (that is
//! `cloudconfig`) and never write.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::sysroot::root::Root;
use crate::text::cat;

pub mod block;
pub mod configdrive;
pub mod disk;
pub mod fwcfg;
pub mod nocloud;
pub mod opennebula;
pub mod smbios;

/// The running system's files egret reads to detect sources: `/sys`, `/dev`,
/// `/proc`. `EGRET_HOST=DIR` moves them under `DIR` so tests can fake
/// devices and firmware; production leaves it empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Host {
    pub prefix: String,
}

impl Host {
    pub fn from_env(env: &[String]) -> Host {
        let prefix = env
            .iter()
            .find_map(|kv| kv.strip_prefix("EGRET_HOST="))
            .unwrap_or("")
            .trim_end_matches('/');
        Host {
            prefix: prefix.to_owned(),
        }
    }

    /// `p` (absolute) on the host.
    pub fn path(&self, p: &str) -> String {
        let mut s = self.prefix.clone();
        s.push_str(p);
        s
    }
}

/// Largest document egret reads from any source.
pub const MAX_DOC: usize = 16 << 20;

/// The raw documents of one source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Documents {
    /// e.g. `nocloud:/run/seed` or `injected:/var/lib/cloud/seed/nocloud`.
    pub source: String,
    pub meta_data: Option<Vec<u8>>,
    pub user_data: Option<Vec<u8>>,
    pub vendor_data: Option<Vec<u8>>,
    pub network_config: Option<Vec<u8>>,
    /// How `meta_data` is written.
    pub meta_kind: MetaKind,
    /// The name user-data had, when not the source's usual one (fw_cfg's
    /// Ignition entry `opt/com.coreos/config`): messages name it.
    pub user_data_name: Option<&'static str>,
    /// systemd credentials from firmware (fw_cfg, SMBIOS type 11).
    pub credentials: Vec<Credential>,
    /// What the source skipped while reading, e.g. a malformed credential.
    pub warnings: Vec<String>,
}

/// The format of [`Documents::meta_data`], fixed by the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetaKind {
    /// NoCloud `meta-data`: YAML or JSON.
    #[default]
    NoCloud,
    /// OpenStack config-2 `meta_data.json`; `vendor_data` is
    /// `vendor_data.json` (or `vendor_data2.json`) and `network_config` is
    /// `network_data.json`.
    ConfigDrive,
    /// OpenNebula `context.sh`, which also carries user-data and scripts.
    OpenNebula,
}

/// A systemd credential handed over by firmware, e.g. `system.hostname`.
/// Ordered by name (then value), the order they are applied in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Credential {
    pub name: String,
    pub value: Vec<u8>,
}

impl Documents {
    /// A document's name for messages: `nocloud:/seed/user-data`.
    pub fn name(&self, doc: &str) -> String {
        let sep = if self.source.ends_with('/') { "" } else { "/" };
        cat(&[&self.source, sep, doc])
    }

    pub fn is_empty(&self) -> bool {
        self.meta_data.is_none()
            && self.user_data.is_none()
            && self.vendor_data.is_none()
            && self.network_config.is_none()
            && self.credentials.is_empty()
    }
}

/// A source as named on the command line (`--from`) or in `egret.sources=`.
/// A `PATH` is a block device, an ISO9660 or FAT image file, or a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// `nocloud:PATH`.
    NoCloud(String),
    /// `configdrive:PATH`: OpenStack config-2.
    ConfigDrive(String),
    /// `opennebula:PATH`: a CONTEXT disk.
    OpenNebula(String),
    /// `fwcfg[:DIR]`, default [`fwcfg::DEFAULT_DIR`].
    FwCfg(Option<String>),
    /// `smbios[:DIR]`, default [`smbios::DEFAULT_DIR`].
    Smbios(Option<String>),
    /// `injected` (the standard seed directories inside the sysroot) or
    /// `injected:DIR` (one directory inside the sysroot).
    Injected(Option<String>),
    /// A source this build knows by name but does not read yet.
    Unsupported(String),
}

/// Seed directories inside the sysroot, in the order they are tried.
pub const INJECTED_DIRS: &[&str] = &[
    "/etc/egret/seed",
    "/var/lib/cloud/seed/nocloud",
    "/var/lib/cloud/seed/nocloud-net",
];

/// Source kinds from DESIGN.md that later releases read.
const KNOWN: &[&str] = &["ec2", "openstack", "gce"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// Not a source kind egret knows.
    UnknownKind(String),
    /// The kind needs a path: `nocloud:PATH`.
    MissingPath(String),
}

impl core::fmt::Display for SpecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SpecError::UnknownKind(k) => write!(f, "unknown source `{k}`"),
            SpecError::MissingPath(k) => write!(f, "source `{k}` needs a path: `{k}:PATH`"),
        }
    }
}

impl Spec {
    pub fn parse(s: &str) -> Result<Spec, SpecError> {
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a).filter(|a| !a.is_empty())),
            None => (s, None),
        };
        let path = |make: fn(String) -> Spec| {
            arg.map(|a| make(a.to_owned()))
                .ok_or_else(|| SpecError::MissingPath(kind.to_owned()))
        };
        match kind {
            "nocloud" | "nocloud-net" => path(Spec::NoCloud),
            "configdrive" => path(Spec::ConfigDrive),
            "opennebula" => path(Spec::OpenNebula),
            "fwcfg" => Ok(Spec::FwCfg(arg.map(ToOwned::to_owned))),
            "smbios" => Ok(Spec::Smbios(arg.map(ToOwned::to_owned))),
            "injected" => Ok(Spec::Injected(arg.map(ToOwned::to_owned))),
            k if KNOWN.contains(&k) => Ok(Spec::Unsupported(s.to_owned())),
            k => Err(SpecError::UnknownKind(k.to_owned())),
        }
    }
}

/// Why a source gave nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// Nothing there: the next source is tried.
    Absent(String),
    /// Something there but unreadable: reported, the next source is tried.
    Io(String),
    /// Not readable by this build.
    Unsupported(String),
}

impl core::fmt::Display for FetchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FetchError::Absent(m) | FetchError::Io(m) => f.write_str(m),
            FetchError::Unsupported(s) => {
                write!(f, "source `{s}` is not supported by this build yet")
            }
        }
    }
}

/// Fetches one source. `root` is the sysroot, for injected seeds; `host`
/// places firmware directories.
pub fn fetch(spec: &Spec, root: Option<&Root>, host: &Host) -> Result<Documents, FetchError> {
    match spec {
        Spec::NoCloud(path) => on_disk("nocloud", path, nocloud::from_volume),
        Spec::ConfigDrive(path) => on_disk("configdrive", path, configdrive::from_volume),
        Spec::OpenNebula(path) => on_disk("opennebula", path, opennebula::from_volume),
        Spec::FwCfg(dir) => match dir {
            Some(d) => fwcfg::fetch(d, d),
            None => fwcfg::fetch(&host.path(fwcfg::DEFAULT_DIR), fwcfg::DEFAULT_DIR),
        },
        Spec::Smbios(dir) => match dir {
            Some(d) => smbios::fetch(d, d),
            None => smbios::fetch(&host.path(smbios::DEFAULT_DIR), smbios::DEFAULT_DIR),
        },
        Spec::Injected(Some(dir)) => match root {
            Some(r) => nocloud::from_root_dir(r, dir),
            None => Err(FetchError::Absent(format!("injected:{dir}: no sysroot"))),
        },
        Spec::Injected(None) => {
            let Some(r) = root else {
                return Err(FetchError::Absent("injected: no sysroot".to_owned()));
            };
            for dir in INJECTED_DIRS {
                match nocloud::from_root_dir(r, dir) {
                    Err(FetchError::Absent(_)) => continue,
                    other => return other,
                }
            }
            Err(FetchError::Absent(
                "injected: no seed in the sysroot".to_owned(),
            ))
        }
        Spec::Unsupported(s) => Err(FetchError::Unsupported(s.clone())),
    }
}

/// A source on a `PATH`: device, image file or directory.
fn on_disk(
    kind: &str,
    path: &str,
    read: fn(&dyn crate::wire::Volume, String) -> Result<Documents, FetchError>,
) -> Result<Documents, FetchError> {
    let source = cat(&[kind, ":", path]);
    let d = match disk::Disk::open(path) {
        Ok(d) => d,
        Err(e) => {
            let msg = alloc::format!("{source}: {e}");
            return Err(match e {
                disk::OpenError::Absent(_) => FetchError::Absent(msg),
                _ => FetchError::Io(msg),
            });
        }
    };
    let mut got = None;
    match d.with_volume(&mut |v| got = Some(read(v, source.clone()))) {
        // `with_volume` succeeded, so `read` ran.
        Ok(()) => got.unwrap_or_else(|| Err(FetchError::Io(source.clone()))),
        Err(e) => Err(FetchError::Io(alloc::format!("{source}: {e}"))),
    }
}
