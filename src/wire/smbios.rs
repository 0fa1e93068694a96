//! SMBIOS structures as the kernel's `dmi-sysfs` exposes them
//! (`/sys/firmware/dmi/entries/T-N/raw`): a formatted area of `length` bytes
//! starting with the 4-byte header, then the string set, each string NUL
//! terminated, the set ended by one more NUL. Only reading; nothing here
//! decides what a string means.

use alloc::vec::Vec;

use super::Error;

/// Type 11: OEM strings, where QEMU's `-smbios type=11,value=...` lands.
pub const OEM_STRINGS: u8 = 11;

/// The strings of one structure, in order. `raw` must be a whole structure
/// of type `ty`.
pub fn strings(raw: &[u8], ty: u8) -> Result<Vec<&[u8]>, Error> {
    let (Some(&t), Some(&len)) = (raw.first(), raw.get(1)) else {
        return Err(Error::new("SMBIOS structure shorter than its header", 0));
    };
    if t != ty {
        return Err(Error::new("unexpected SMBIOS structure type", 0));
    }
    if len < 4 {
        return Err(Error::new("SMBIOS structure length below 4", 1));
    }
    let Some(mut rest) = raw.get(usize::from(len)..) else {
        return Err(Error::new("SMBIOS formatted area past the end", 1));
    };
    let mut at = u64::from(len);
    let mut out = Vec::new();
    // An empty string set is written as two NULs.
    if rest.first() == Some(&0) {
        return Ok(out);
    }
    loop {
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return Err(Error::new("SMBIOS string not terminated", at));
        };
        let (s, tail) = rest.split_at(end);
        out.push(s);
        rest = tail.get(1..).unwrap_or_default();
        at = at.saturating_add(end as u64 + 1);
        match rest.first() {
            Some(0) | None => return Ok(out),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn structure(strings: &[&[u8]]) -> Vec<u8> {
        let mut v = alloc::vec![11, 5, 0x12, 0x34, strings.len() as u8];
        for s in strings {
            v.extend_from_slice(s);
            v.push(0);
        }
        if strings.is_empty() {
            v.push(0);
        }
        v.push(0);
        v
    }

    #[test]
    fn reads_oem_strings_in_order() {
        let raw = structure(&[b"io.systemd.credential:a=b", b"", b"x"]);
        // An empty string inside the set would end it: QEMU never writes one,
        // and what follows is not a string of this structure.
        assert_eq!(
            strings(&raw, OEM_STRINGS).unwrap(),
            [&b"io.systemd.credential:a=b"[..]]
        );
        let raw = structure(&[b"one", b"two"]);
        assert_eq!(strings(&raw, OEM_STRINGS).unwrap(), [&b"one"[..], b"two"]);
        assert!(strings(&structure(&[]), OEM_STRINGS).unwrap().is_empty());
    }

    #[test]
    fn damage_is_an_error_with_offset() {
        assert_eq!(strings(&[], 11).unwrap_err().offset, 0);
        assert_eq!(
            strings(&[1, 5, 0, 0, 0, 0, 0], 11).unwrap_err().what,
            "unexpected SMBIOS structure type"
        );
        assert_eq!(
            strings(&[11, 3, 0, 0], 11).unwrap_err().what,
            "SMBIOS structure length below 4"
        );
        assert_eq!(
            strings(&[11, 40, 0, 0, 1], 11).unwrap_err().what,
            "SMBIOS formatted area past the end"
        );
        assert_eq!(
            strings(&[11, 5, 0, 0, 1, b'a', b'b'], 11).unwrap_err(),
            Error::new("SMBIOS string not terminated", 5)
        );
        // Truncation anywhere never panics.
        let raw = structure(&[b"alpha", b"beta"]);
        for n in 0..raw.len() {
            let _ = strings(raw.get(..n).unwrap(), 11);
        }
    }
}
