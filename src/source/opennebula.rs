//! OpenNebula's context disk (`CONTEXT` label): one `context.sh`, parsed by
//! [`crate::text::shell`] later, never executed.

use alloc::string::String;

use super::{Documents, FetchError, MetaKind};
use crate::wire::Volume;

/// Largest `context.sh` read (OpenNebula's are a few KiB).
const MAX_CONTEXT: usize = 1 << 20;

/// Reads a context disk from `vol`; `source` is e.g. `opennebula:/dev/sr0`.
pub fn from_volume(vol: &dyn Volume, source: String) -> Result<Documents, FetchError> {
    match vol.read_file("context.sh", MAX_CONTEXT) {
        Ok(Some(c)) => Ok(Documents {
            source,
            meta_data: Some(c),
            meta_kind: MetaKind::OpenNebula,
            ..Documents::default()
        }),
        Ok(None) => Err(FetchError::Absent(alloc::format!(
            "{source}: no context.sh"
        ))),
        Err(e) => Err(FetchError::Io(alloc::format!("{source}: {e}"))),
    }
}
