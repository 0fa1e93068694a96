//! Shell variable files (OpenNebula `context.sh`): never panics, and every
//! variable parsed can be looked up by its name.
#![no_main]

use egret::text::shell;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(vars) = shell::parse(data) else {
        return;
    };
    for v in &vars.0 {
        assert!(!v.name.is_empty(), "empty variable name");
        assert!(vars.get(&v.name).is_some(), "variable {:?} not found", v.name);
    }
    let _ = (vars.get("USER_DATA"), vars.get("SSH_PUBLIC_KEY"), vars.get(""));
});
