//! SMBIOS type 11 OEM strings (`-smbios type=11,value=...`), as systemd reads
//! them: `io.systemd.credential:NAME=VALUE` and
//! `io.systemd.credential.binary:NAME=BASE64`. Other strings are not ours
//! and are skipped. The entries come from the kernel's `dmi-sysfs`.

use alloc::string::String;

use super::{nocloud::read_host, Credential, Documents, FetchError};
use crate::text::base64;
use crate::wire::smbios;

/// Where `dmi-sysfs` puts the SMBIOS structures.
pub const DEFAULT_DIR: &str = "/sys/firmware/dmi/entries";

/// One OEM string as a credential, or `None` if it is not one.
pub fn credential(s: &[u8]) -> Option<Result<Credential, &'static str>> {
    let (rest, binary) = if let Some(r) = s.strip_prefix(b"io.systemd.credential:") {
        (r, false)
    } else {
        (s.strip_prefix(b"io.systemd.credential.binary:")?, true)
    };
    let eq = rest.iter().position(|&b| b == b'=')?;
    let (name, value) = rest.split_at(eq);
    let value = value.get(1..).unwrap_or_default();
    let name = match core::str::from_utf8(name) {
        Ok(n) if !n.is_empty() && !n.bytes().any(|b| b == b'/') => n,
        _ => return Some(Err("invalid credential name")),
    };
    let value = if binary {
        match base64::decode(value) {
            Ok(v) => v,
            Err(_) => return Some(Err("invalid base64 in a binary credential")),
        }
    } else {
        value.to_vec()
    };
    Some(Ok(Credential {
        name: String::from(name),
        value,
    }))
}

/// Reads every type 11 structure under `dir` (host path); `shown` names the source.
pub fn fetch(dir: &str, shown: &str) -> Result<Documents, FetchError> {
    let source = alloc::format!("smbios:{shown}");
    let names = match crate::wire::Volume::list_dir(&super::disk::HostDir(dir.into()), "") {
        Ok(Some(n)) => n,
        _ => return Err(FetchError::Absent(alloc::format!("{source}: no entries"))),
    };
    let mut docs = Documents {
        source: source.clone(),
        ..Documents::default()
    };
    for name in names.iter().filter(|n| n.starts_with("11-")) {
        let raw = match read_host(&alloc::format!("{dir}/{name}/raw"), 64 << 10) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                return Err(FetchError::Io(alloc::format!(
                    "{source}/{name}: {}",
                    super::disk::errno_text(e)
                )))
            }
        };
        let strings = smbios::strings(&raw, smbios::OEM_STRINGS)
            .map_err(|e| FetchError::Io(alloc::format!("{source}/{name}/raw: {e}")))?;
        for (i, s) in strings.iter().enumerate() {
            match credential(s) {
                None => {}
                Some(Ok(c)) => docs.credentials.push(c),
                Some(Err(what)) => docs
                    .warnings
                    .push(alloc::format!("{source}/{name}: string {}: {what}", i + 1)),
            }
        }
    }
    // Applied in name order, whatever structures they came in.
    crate::sysroot::root::sort(&mut docs.credentials);
    if docs.credentials.is_empty() {
        let why = docs.warnings.pop();
        return Err(FetchError::Absent(
            why.unwrap_or_else(|| alloc::format!("{source}: no credentials")),
        ));
    }
    Ok(docs)
}
