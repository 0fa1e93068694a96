//! OpenStack config drive (`config-2`): `openstack/latest/` or, without it,
//! the newest dated version directory. Read are `meta_data.json`,
//! `user_data`, `vendor_data.json` (else `vendor_data2.json`) and
//! `network_data.json`; `ec2/` is not needed and may be missing.

use alloc::string::String;

use super::{Documents, FetchError, MetaKind, MAX_DOC};
use crate::wire::Volume;

/// `YYYY-MM-DD`, the form of OpenStack's version directories.
fn is_dated(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// The version directory to read, e.g. `openstack/latest`.
fn version(vol: &dyn Volume) -> Result<Option<String>, crate::wire::Error> {
    let Some(names) = vol.list_dir("openstack")? else {
        return Ok(None);
    };
    if names.iter().any(|n| n.eq_ignore_ascii_case("latest")) {
        return Ok(Some(String::from("openstack/latest")));
    }
    // Dates sort as text.
    Ok(names
        .iter()
        .filter(|n| is_dated(n))
        .max()
        .map(|n| alloc::format!("openstack/{n}")))
}

/// Reads a config drive from `vol`; `source` is e.g. `configdrive:/dev/sr0`.
pub fn from_volume(vol: &dyn Volume, source: String) -> Result<Documents, FetchError> {
    let bad = |e: crate::wire::Error| FetchError::Io(alloc::format!("{source}: {e}"));
    let Some(dir) = version(vol).map_err(bad)? else {
        return Err(FetchError::Absent(alloc::format!(
            "{source}: no openstack/ directory"
        )));
    };
    let read = |f: &str| {
        vol.read_file(&alloc::format!("{dir}/{f}"), MAX_DOC)
            .map_err(bad)
    };
    let Some(meta) = read("meta_data.json")? else {
        return Err(FetchError::Absent(alloc::format!(
            "{source}: no {dir}/meta_data.json"
        )));
    };
    // Filled in place: every `?` below then drops one `Documents`.
    let mut docs = Documents {
        meta_data: Some(meta),
        meta_kind: MetaKind::ConfigDrive,
        ..Documents::default()
    };
    docs.vendor_data = read("vendor_data.json")?;
    if docs.vendor_data.is_none() {
        docs.vendor_data = read("vendor_data2.json")?;
    }
    docs.user_data = read("user_data")?;
    docs.network_config = read("network_data.json")?;
    docs.source = alloc::format!("{source}/{dir}");
    Ok(docs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn dated_versions() {
        assert!(is_dated("2018-08-27"));
        assert!(!is_dated("latest"));
        assert!(!is_dated("2018-08-2"));
        assert!(!is_dated("2018_08_27"));
    }
}
