//! Configuration sources: each yields [`Documents`], the raw bytes of
//! meta-data, user-data, vendor-data and network-config plus where they came
//! from. Sources only read; they never interpret documents (that is
//! `cloudconfig`) and never write.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::sysroot::root::Root;

pub mod nocloud;

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
}

impl Documents {
    /// A document's name for messages: `nocloud:/seed/user-data`.
    pub fn name(&self, doc: &str) -> String {
        if self.source.ends_with('/') {
            format!("{}{doc}", self.source)
        } else {
            format!("{}/{doc}", self.source)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.meta_data.is_none()
            && self.user_data.is_none()
            && self.vendor_data.is_none()
            && self.network_config.is_none()
    }
}

/// A source as named on the command line (`--from`) or in `egret.sources=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// `nocloud:PATH`: a seed directory on the running system.
    NoCloud(String),
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
const KNOWN: &[&str] = &[
    "configdrive",
    "opennebula",
    "fwcfg",
    "smbios",
    "ec2",
    "openstack",
    "gce",
];

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
        match kind {
            "nocloud" | "nocloud-net" => arg
                .map(|a| Spec::NoCloud(a.to_owned()))
                .ok_or_else(|| SpecError::MissingPath(kind.to_owned())),
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

/// Fetches one source. `root` is the sysroot, for injected seeds.
pub fn fetch(spec: &Spec, root: Option<&Root>) -> Result<Documents, FetchError> {
    match spec {
        Spec::NoCloud(path) => nocloud::from_host_dir(path),
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
