//! Detection: which sources can exist on this machine, in what order, and
//! whether to wait for one. Reads only cheap local facts (the command line,
//! the SMBIOS serial, `/sys/class/block` labels, fw_cfg and SMBIOS entry
//! names, CPU flags) and logs the reason for every source chosen or pruned.
//!
//! Default precedence: metadata servers, then disks (NoCloud, config drive,
//! OpenNebula, as cloud-init orders them), then firmware (fw_cfg, SMBIOS),
//! then seeds injected into the image. Only a hint that a disk will come
//! (a bare `ds=nocloud`, `ds=configdrive`, `ds=opennebula`) makes egret
//! wait, and never past the deadline.

use alloc::string::String;
use alloc::vec::Vec;

use crate::cli::Clock;
use crate::log::Log;
use crate::source::block::{self, Labelled};
use crate::source::nocloud::read_host;
use crate::source::{fwcfg, smbios, Host, Spec};
use crate::text::cmdline::{self, Ds};

/// Default deadline for waiting on a promised device, seconds.
pub const DEFAULT_TIMEOUT: u32 = 30;

/// How often the device list is re-read while waiting.
const POLL_MS: u64 = 50;

/// The sources worth trying, in order, and the seed hint in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub specs: Vec<Spec>,
    /// `ds=` from the command line, else from the SMBIOS system serial.
    pub ds: Option<Ds>,
}

/// A disk source's [`Spec`] for a device path.
type MakeSpec = fn(String) -> Spec;

/// The disk sources, in precedence order, with the labels that announce
/// them (as cloud-init matches labels).
const DISKS: [(&str, MakeSpec); 3] = [
    ("nocloud", Spec::NoCloud),
    ("configdrive", Spec::ConfigDrive),
    ("opennebula", Spec::OpenNebula),
];

/// The index in [`DISKS`] of the source a label announces.
fn disk_of_label(label: &str) -> Option<usize> {
    let is = |l: &str| label.eq_ignore_ascii_case(l);
    if is("cidata") {
        Some(0)
    } else if is("config-2") {
        Some(1)
    } else if is("CONTEXT") || is("CDROM") {
        Some(2)
    } else {
        None
    }
}

/// The disk source a label announces, as cloud-init matches labels.
pub fn kind_of_label(label: &str) -> Option<&'static str> {
    DISKS.get(disk_of_label(label)?).map(|d| d.0)
}

/// Inside a confidential VM the hypervisor is not trusted, so neither is
/// what it hands over outside the encrypted disk: fw_cfg and SMBIOS (the
/// rule systemd follows for credentials). The kernel shows a TDX or SEV
/// guest in the CPU flags of a machine that also has `hypervisor`.
pub fn confidential(host: &Host) -> Option<&'static str> {
    let info = read_host(&host.path("/proc/cpuinfo"), 1 << 20).ok()??;
    let flags = info
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"flags"))?;
    let has = |f: &[u8]| flags.split(|&b| b == b' ' || b == b'\t').any(|w| w == f);
    if !has(b"hypervisor") {
        return None;
    }
    ["tdx_guest", "sev_snp", "sev_es", "sev"]
        .iter()
        .copied()
        .find(|f| has(f.as_bytes()))
}

/// Adds the disk sources for the labelled devices, in precedence order.
fn disk_specs(found: &[Labelled], log: &mut Log, specs: &mut Vec<Spec>) {
    for (k, (kind, make)) in DISKS.iter().enumerate() {
        for d in found {
            if disk_of_label(&d.label) != Some(k) {
                continue;
            }
            log.say(format_args!(
                "detect: {} labelled {}: {kind}",
                d.dev, d.label
            ));
            specs.push(make(d.dev.clone()));
        }
    }
}

/// The index in [`DISKS`] of the device kind a `ds=` hint promises, if any. A bare `ds=nocloud`
/// says the seed is on a disk; with `s=`, `i=` or `h=` the command line
/// names the seed itself (or is one), and nothing is waited for.
fn promised(ds: Option<&Ds>) -> Option<usize> {
    let ds = ds?;
    let bare = ds.seedfrom.is_none() && ds.instance_id.is_none() && ds.hostname.is_none();
    match ds.kind.as_str() {
        "nocloud" | "nocloud-net" if bare => Some(0),
        "configdrive" | "config-drive" | "config_drive" => Some(1),
        "opennebula" => Some(2),
        _ => None,
    }
}

/// Builds the plan. `timeout` bounds the wait for a promised device.
pub fn plan(
    cmd: &cmdline::Cmdline,
    host: &Host,
    have_root: bool,
    timeout: u32,
    clock: &dyn Clock,
    log: &mut Log,
) -> Plan {
    let mut plan = Plan {
        ds: cmd.ds.clone(),
        ..Plan::default()
    };
    if plan.ds.is_none() {
        // cloud-init reads `ds=nocloud;...` from the SMBIOS system serial too.
        let serial = read_host(&host.path("/sys/class/dmi/id/product_serial"), 4096);
        if let Ok(Some(s)) = serial {
            if let Some(ds) = core::str::from_utf8(&s).ok().and_then(cmdline::parse_ds) {
                log.line("detect: ds= from the SMBIOS system serial");
                plan.ds = Some(ds);
            }
        }
    }
    log.line("detect: metadata servers: not read by this release");

    if let Some(ds) = &plan.ds {
        match ds.seedfrom.as_deref() {
            Some(s) if s.starts_with('/') || s.starts_with("file://") => {
                let p = s.strip_prefix("file://").unwrap_or(s);
                log.say(format_args!("detect: ds={} seedfrom {p}", ds.kind));
                plan.specs.push(Spec::NoCloud(String::from(p)));
            }
            Some(s) => log.say(format_args!(
                "detect: seedfrom {} needs the network: not in this release, skipped",
                crate::text::printable(s.as_bytes())
            )),
            None => {}
        }
    }

    let start = clock.monotonic_ms();
    let mut found = block::scan(host);
    let elapsed = clock.monotonic_ms().saturating_sub(start);
    log.say(format_args!(
        "detect: {} labelled block device(s) in {elapsed} ms",
        found.len()
    ));
    if let Some((k, (kind, _))) = promised(plan.ds.as_ref()).and_then(|k| Some((k, DISKS.get(k)?)))
    {
        let deadline = start.saturating_add(u64::from(timeout) * 1000);
        let waited = |f: &[Labelled]| f.iter().any(|d| disk_of_label(&d.label) == Some(k));
        if !waited(&found) {
            log.say(format_args!(
                "detect: ds= promises a {kind} disk: waiting up to {timeout} s"
            ));
            while !waited(&found) && clock.monotonic_ms() < deadline {
                let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
                    tv_sec: 0,
                    tv_nsec: (POLL_MS * 1_000_000) as _,
                });
                found = block::scan(host);
            }
            let ms = clock.monotonic_ms().saturating_sub(start);
            if waited(&found) {
                log.say(format_args!("detect: the {kind} disk came after {ms} ms"));
            } else {
                log.say(format_args!(
                    "detect: no {kind} disk after {ms} ms, going on"
                ));
            }
        }
    }
    disk_specs(&found, log, &mut plan.specs);

    let fw = host.path(fwcfg::DEFAULT_DIR);
    let has_fwcfg = [fwcfg::OWN, fwcfg::IGNITION, fwcfg::CREDENTIALS]
        .iter()
        .any(|e| {
            rustix::fs::access(
                crate::text::cat(&[&fw, "/", e]).as_str(),
                rustix::fs::Access::EXISTS,
            )
            .is_ok()
        });
    let dmi = host.path(smbios::DEFAULT_DIR);
    let has_oem = crate::wire::Volume::list_dir(&crate::source::disk::HostDir(dmi), "")
        .ok()
        .flatten()
        .is_some_and(|n| n.iter().any(|n| n.starts_with("11-")));
    // Inside a confidential VM these are skipped when fetched (see `confidential`).
    if has_fwcfg {
        log.line("detect: fw_cfg entries for egret, Ignition or credentials");
        plan.specs.push(Spec::FwCfg(None));
    }
    if has_oem {
        log.line("detect: SMBIOS OEM strings");
        plan.specs.push(Spec::Smbios(None));
    }

    if have_root {
        plan.specs.push(Spec::Injected(None));
    } else {
        log.line("detect: no sysroot, injected seeds not searched");
    }
    plan
}
