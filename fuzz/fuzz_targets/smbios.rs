//! SMBIOS OEM strings and the systemd credentials in them: never panics,
//! strings carry no NUL, and credential names are non-empty without `/`.
#![no_main]

use egret::source::smbios::credential;
use egret::wire::smbios;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(strings) = smbios::strings(data, smbios::OEM_STRINGS) else {
        return;
    };
    let total: usize = strings.iter().map(|s| s.len()).sum();
    assert!(total < data.len(), "strings longer than the structure");
    for s in strings {
        assert!(!s.contains(&0), "NUL inside a string");
        if let Some(Ok(c)) = credential(s) {
            assert!(!c.name.is_empty() && !c.name.contains('/'), "name {:?}", c.name);
        }
    }
});
