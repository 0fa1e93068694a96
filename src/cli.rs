//! The command line (DESIGN.md's CLI contract) and the top-level flow:
//! plan sources, fetch, build the context, apply, report.
//!
//! Exit status: 0 applied or nothing to do, 2 invalid input (nothing of it
//! applied), 1 any other failure.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{Arguments, Write as _};

use nanoserde::{SerJson, SerJsonState};

use crate::cloudconfig::{self, Inputs};
use crate::detect;
use crate::log::{write_all, Log};
use crate::model::Context;
use crate::source::{self, nocloud::read_host, Documents, FetchError, Host, Spec};
use crate::sysroot::apply::{self, Outcome};
use crate::sysroot::root::Root;
use crate::text::cmdline::{self, Cmdline};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

const USAGE: &str =
    "usage: egret apply    [--sysroot DIR] [--from SOURCE]... [--force] [--timeout SECS]
       egret show     [--sysroot DIR] [--from SOURCE]... [--timeout SECS]
       egret validate FILE...
       egret --version | --help
SOURCE: nocloud:PATH  configdrive:PATH  opennebula:PATH  fwcfg[:DIR]  smbios[:DIR]
        injected[:DIR]   (ec2, openstack, gce: later releases)
        PATH: a block device, an ISO9660 or FAT image file, or a directory
environment: EGRET_CMDLINE=FILE reads the kernel command line from FILE (default /proc/cmdline)
             EGRET_HOST=DIR reads /sys, /dev and /proc under DIR (tests)
";

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAIL: i32 = 1;
pub const EXIT_INVALID: i32 = 2;

const INITRD_RELEASE: &str = "/etc/initrd-release";
const RESULT_JSON: &str = "/run/egret/result.json";
const CONF: &str = "/etc/egret/egret.conf";
/// `CONF` as messages name it when it comes from the sysroot.
const SYSROOT_CONF: &str = "sysroot:/etc/egret/egret.conf";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opts {
    pub sysroot: Option<String>,
    pub from: Vec<String>,
    pub force: bool,
    pub timeout: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Apply(Opts),
    Show(Opts),
    Validate(Vec<String>),
    Version,
    Help,
}

/// Every message of this module is built here, out of line: one formatting
/// call instead of a `format!` expansion at each of its many call sites.
#[inline(never)]
fn cat(args: Arguments) -> String {
    alloc::fmt::format(args)
}

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    let cmd = match it.next().map(String::as_str) {
        None => return Err("no command given".to_owned()),
        Some("--version" | "-V" | "version") => return Ok(Command::Version),
        Some("--help" | "-h" | "help") => return Ok(Command::Help),
        Some(c @ ("apply" | "show")) => c,
        Some("validate") => {
            let files = it.as_slice();
            if files.is_empty() {
                return Err("validate needs at least one FILE".to_owned());
            }
            if let Some(f) = files.iter().find(|f| f.starts_with('-') && f.len() > 1) {
                return Err(cat(format_args!("unknown option `{f}`")));
            }
            return Ok(Command::Validate(files.to_vec()));
        }
        Some(other) => return Err(cat(format_args!("unknown command `{other}`"))),
    };
    let apply = cmd == "apply";
    let mut o = Opts::default();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (a.as_str(), None),
        };
        if name == "--force" && apply && inline.is_none() {
            o.force = true;
            continue;
        }
        if !matches!(name, "--sysroot" | "--from" | "--timeout") {
            return Err(cat(format_args!("unknown option `{a}` for {cmd}")));
        }
        let Some(v) = inline.or_else(|| it.next().map(String::as_str)) else {
            return Err(cat(format_args!("{name} needs a value")));
        };
        match name {
            "--sysroot" => o.sysroot = Some(String::from(v)),
            "--from" => match Spec::parse(v) {
                Ok(_) => o.from.push(String::from(v)),
                Err(e) => return Err(cat(format_args!("--from {v}: {e}"))),
            },
            _ => match v.parse() {
                Ok(t) => o.timeout = Some(t),
                Err(_) => {
                    return Err(cat(format_args!(
                        "--timeout: `{v}` is not a number of seconds"
                    )))
                }
            },
        }
    }
    Ok(if apply {
        Command::Apply(o)
    } else {
        Command::Show(o)
    })
}

/// The clocks egret reads: the binary's runtime provides them (musl's
/// `clock_gettime`), so the library links no vDSO parser of its own.
pub trait Clock {
    /// Milliseconds of a monotonic clock, for durations.
    fn monotonic_ms(&self) -> u64;
    /// Seconds since the Unix epoch, for shadow's day counts.
    fn unix_seconds(&self) -> u64;
}

/// Runs egret: `args` includes the program name, `env` is `KEY=value` pairs.
pub fn run(args: &[String], env: &[String], clock: &dyn Clock) -> i32 {
    let rest = args.get(1..).unwrap_or_default();
    match parse_args(rest) {
        Ok(Command::Version) => out(concat!("egret ", env!("CARGO_PKG_VERSION"), "\n"), EXIT_OK),
        Ok(Command::Help) => out(USAGE, EXIT_OK),
        Ok(Command::Validate(files)) => validate(&files),
        Ok(Command::Show(o)) => show(&o, env, clock),
        Ok(Command::Apply(o)) => run_apply(&o, env, clock),
        Err(e) => {
            let msg = cat(format_args!("egret: {e}\n{}", USAGE));
            let _ = write_all(crate::stdio::stderr(), msg.as_bytes());
            EXIT_INVALID
        }
    }
}

fn out(s: &str, code: i32) -> i32 {
    let _ = write_all(crate::stdio::stdout(), s.as_bytes());
    code
}

fn read_cmdline(env: &[String], log: &mut Log) -> Cmdline {
    let path = env
        .iter()
        .find_map(|kv| kv.strip_prefix("EGRET_CMDLINE="))
        .unwrap_or("/proc/cmdline");
    match read_host(path, 64 << 10) {
        Ok(Some(b)) => cmdline::parse(&b),
        Ok(None) => Cmdline::default(),
        Err(e) => {
            log.say(format_args!("warning: cannot read {path}: {e:?}"));
            Cmdline::default()
        }
    }
}

/// What `show` and `apply` share: the chosen source's context.
enum Gathered {
    Ctx(alloc::boxed::Box<Context>),
    Nothing,
    Invalid,
    Failed,
}

/// The running system as `gather` sees it.
struct Env<'a> {
    host: Host,
    clock: &'a dyn Clock,
}

fn gather(o: &Opts, cmd: &Cmdline, root: Option<&Root>, env: &Env, log: &mut Log) -> Gathered {
    let (host, clock) = (&env.host, env.clock);
    let mut specs = Vec::new();
    let named: &[String] = if !o.from.is_empty() {
        &o.from
    } else if let Some(s) = &cmd.sources {
        let mut m = String::from("sources from egret.sources=: ");
        for (i, x) in s.iter().enumerate() {
            if i > 0 {
                m.push(',');
            }
            m.push_str(x);
        }
        log.line(&m);
        s
    } else {
        &[]
    };
    for n in named {
        match Spec::parse(n) {
            Ok(s) => specs.push(s),
            Err(e) if !o.from.is_empty() => {
                log.say(format_args!("error: --from {n}: {e}"));
                return Gathered::Invalid;
            }
            Err(e) => log.say(format_args!("warning: egret.sources: {e}, skipped")),
        }
    }
    let mut ds = cmd.ds.clone();
    if named.is_empty() {
        let timeout = o.timeout.or(cmd.timeout).unwrap_or(detect::DEFAULT_TIMEOUT);
        let plan = detect::plan(cmd, host, root.is_some(), timeout, clock, log);
        specs = plan.specs;
        ds = plan.ds;
    }

    let mut docs: Option<Documents> = None;
    let mut failed = false;
    // Read once, and only if a firmware source is tried.
    let mut cvm: Option<Option<&'static str>> = None;
    for s in &specs {
        let firmware = match s {
            Spec::FwCfg(_) => Some("fwcfg"),
            Spec::Smbios(_) => Some("smbios"),
            _ => None,
        };
        if let Some(kind) = firmware {
            if let Some(cvm) = *cvm.get_or_insert_with(|| detect::confidential(host)) {
                log.say(format_args!(
                    "source {kind}: skipped, the hypervisor of a confidential VM ({cvm}) is not trusted"
                ));
                continue;
            }
        }
        match source::fetch(s, root, host) {
            Ok(d) => {
                log.say(format_args!("source {}: found", d.source));
                docs = Some(d);
                break;
            }
            // An absent source's message is its name and why.
            Err(e @ FetchError::Absent(_)) => log.say(format_args!("source {e}: skipped")),
            Err(e) => {
                failed = true;
                log.say(format_args!("source error: {e}"));
            }
        }
    }
    let ds = ds.as_ref();
    let docs = match docs {
        Some(d) => d,
        None if ds.is_some_and(|d| d.instance_id.is_some() || d.hostname.is_some()) => {
            log.line("source: only the kernel command line (ds=nocloud;i=...;h=...)");
            Documents {
                source: "cmdline".to_owned(),
                ..Documents::default()
            }
        }
        // A source was there but could not be read: that is a failure,
        // not "nothing to do".
        None if failed => return Gathered::Failed,
        None => {
            log.line("no configuration source found; nothing to do");
            return Gathered::Nothing;
        }
    };

    let mut inputs = Inputs {
        cmdline_instance_id: ds.and_then(|d| d.instance_id.clone()),
        cmdline_hostname: ds.and_then(|d| d.hostname.clone()),
        default_user: None,
        configdrive_admin_pass: false,
    };
    let conf = match root.map(|r| r.read_follow(CONF, 1 << 20)) {
        Some(Ok(Some(b))) => Some((b, SYSROOT_CONF)),
        _ => match read_host(CONF, 1 << 20) {
            Ok(Some(b)) => Some((b, CONF)),
            _ => None,
        },
    };
    if let Some((bytes, name)) = conf {
        match cloudconfig::parse_conf(&bytes, name) {
            Ok(c) => {
                inputs.default_user = c.default_user;
                inputs.configdrive_admin_pass = c.configdrive_admin_pass;
            }
            Err(e) => {
                log.say(format_args!("error: {e}"));
                return Gathered::Invalid;
            }
        }
    }
    match cloudconfig::build(&docs, &inputs) {
        Ok(ctx) => {
            for w in &ctx.warnings {
                log.say(format_args!("warning: {w}"));
            }
            Gathered::Ctx(alloc::boxed::Box::new(ctx))
        }
        Err(e) => {
            log.say(format_args!("error: {e}; nothing applied"));
            Gathered::Invalid
        }
    }
}

#[inline(never)]
fn show(o: &Opts, env: &[String], clock: &dyn Clock) -> i32 {
    let mut log = Log::new(false);
    let cmd = read_cmdline(env, &mut log);
    let root = match &o.sysroot {
        Some(p) => match Root::open(p) {
            Ok(r) => Some(r),
            Err(e) => {
                log.say(format_args!("error: {e}"));
                return EXIT_FAIL;
            }
        },
        None => None,
    };
    let genv = Env {
        host: Host::from_env(env),
        clock,
    };
    match gather(o, &cmd, root.as_ref(), &genv, &mut log) {
        Gathered::Ctx(ctx) => {
            let mut json = ctx.serialize_json();
            json.push('\n');
            out(&json, EXIT_OK)
        }
        Gathered::Nothing => EXIT_OK,
        Gathered::Invalid => EXIT_INVALID,
        Gathered::Failed => EXIT_FAIL,
    }
}

/// `result.json`: one JSON object of `fields`, in order, exactly as
/// nanoserde's derive writes a struct, without a struct and its clones.
#[inline(never)]
fn report(fields: &[(&str, J)]) -> String {
    let mut s = SerJsonState::new(String::new());
    s.st_pre();
    for (i, (name, v)) in fields.iter().enumerate() {
        if i > 0 {
            s.conl();
        }
        s.field(1, name);
        match v {
            J::S(v) => v.ser_json(1, &mut s),
            J::N(n) => n.ser_json(1, &mut s),
            J::L(l) => {
                s.out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        s.conl();
                    }
                    v.ser_json(2, &mut s);
                }
                s.out.push(']');
            }
        }
    }
    s.st_post(0);
    s.out
}

/// A value of `result.json`; strings as `String`, whose serializer the
/// binary has anyway.
enum J<'a> {
    S(&'a String),
    N(u64),
    L(&'a [String]),
}

#[inline(never)]
fn run_apply(o: &Opts, env: &[String], clock: &dyn Clock) -> i32 {
    let start = clock.monotonic_ms();
    let in_initrd = rustix::fs::access(INITRD_RELEASE, rustix::fs::Access::EXISTS).is_ok();
    let mut log = Log::new(in_initrd);
    let cmd = read_cmdline(env, &mut log);
    if cmd.off {
        log.line("disabled by egret=off on the kernel command line");
        return EXIT_OK;
    }
    let sysroot = o.sysroot.as_deref().unwrap_or("/sysroot");
    let root = match Root::open(sysroot) {
        Ok(r) => r,
        Err(e) => {
            log.say(format_args!("error: sysroot: {e}"));
            return EXIT_FAIL;
        }
    };
    let genv = Env {
        host: Host::from_env(env),
        clock,
    };
    let ctx = match gather(o, &cmd, Some(&root), &genv, &mut log) {
        Gathered::Ctx(c) => c,
        Gathered::Nothing => return EXIT_OK,
        Gathered::Invalid => return EXIT_INVALID,
        Gathered::Failed => return EXIT_FAIL,
    };
    let opts = apply::Options {
        force: o.force,
        today: clock.unix_seconds() / 86_400,
    };
    // `wrote`: refused or already applied wrote nothing, the log included.
    let (code, outcome, wrote) = match apply::apply(&root, &ctx, &opts, &mut log) {
        Ok(Outcome::Applied) => (EXIT_OK, "applied", true),
        Ok(Outcome::AlreadyApplied) => (EXIT_OK, "already-applied", false),
        Err(e @ apply::Failed::Refused(_)) => {
            log.say(format_args!("error: {e}"));
            (EXIT_INVALID, "refused", false)
        }
        Err(e) => {
            log.say(format_args!(
                "error: {e}; the instance will be applied again at next boot"
            ));
            (EXIT_FAIL, "failed", true)
        }
    };
    let elapsed = clock.monotonic_ms().saturating_sub(start);
    log.say(format_args!(
        "{outcome}: {} from {} in {elapsed} ms",
        crate::text::printable(ctx.instance_id.as_bytes()),
        ctx.source
    ));
    if wrote {
        append_sysroot_log(&root, &log);
    }
    if in_initrd {
        let json = report(&[
            ("version", J::S(&VERSION.to_owned())),
            ("outcome", J::S(&outcome.to_owned())),
            ("source", J::S(&ctx.source)),
            ("instance_id", J::S(&ctx.instance_id)),
            ("elapsed_ms", J::N(elapsed)),
            ("written", J::L(&root.written())),
            ("warnings", J::L(&ctx.warnings)),
            ("log", J::L(log.lines())),
        ]);
        write_result(&json, &mut log);
    }
    code
}

/// Appends this run's log to the sysroot's `/var/log/egret.log`.
#[inline(never)]
fn append_sysroot_log(root: &Root, log: &Log) {
    const PATH: &str = "/var/log/egret.log";
    let mut text = root.read(PATH, 4 << 20).ok().flatten().unwrap_or_default();
    for l in log.lines() {
        text.extend_from_slice(b"egret: ");
        text.extend_from_slice(l.as_bytes());
        text.push(b'\n');
    }
    if root.mkdir_all("/var/log", 0o755, 0, 0).is_ok() {
        let _ = root.write_atomic(PATH, &text, 0o640, 0, 0);
    }
}

/// `/run/egret/result.json` of the initramfs (carried into the real root's `/run`).
#[inline(never)]
fn write_result(json: &str, log: &mut Log) {
    let done = Root::open("/run").and_then(|run| {
        run.mkdir_all("/egret", 0o755, 0, 0)?;
        run.write_atomic("/egret/result.json", json.as_bytes(), 0o644, 0, 0)
    });
    if let Err(e) = done {
        log.say(format_args!("warning: {}: {e}", RESULT_JSON));
    }
}

/// Whether `hay` holds `a`, then `-` or `_`, then `b`: a byte loop instead
/// of core's substring searcher.
fn has(hay: &[u8], a: &[u8], b: &[u8]) -> bool {
    let mut t = hay;
    while let Some((_, rest)) = t.split_first() {
        if let Some([b'-' | b'_', tail @ ..]) = t.strip_prefix(a) {
            if tail.starts_with(b) {
                return true;
            }
        }
        t = rest;
    }
    false
}

/// What a file given to `validate` is, by its name.
fn kind_of(path: &str) -> &'static str {
    let b = path.as_bytes();
    let base = match b.iter().rposition(|&c| c == b'/') {
        Some(i) => b.get(i + 1..).unwrap_or_default(),
        None => b,
    };
    if base == b"context.sh" {
        "context.sh"
    } else if base == b"meta_data.json" {
        "meta_data.json"
    } else if has(base, b"meta", b"data") {
        "meta-data"
    } else if has(base, b"network", b"config") {
        "network-config"
    } else if base.ends_with(b".conf") {
        "egret.conf"
    } else if has(base, b"vendor", b"data") {
        "vendor-data"
    } else {
        "user-data"
    }
}

#[inline(never)]
fn validate(files: &[String]) -> i32 {
    let mut code = EXIT_OK;
    let mut report = String::new();
    for f in files {
        let bytes = match read_host(f, source::MAX_DOC) {
            Ok(Some(b)) => b,
            r => {
                let _ = match r {
                    Err(e) => writeln!(report, "{f}: {e:?}"),
                    _ => writeln!(report, "{f}: no such file"),
                };
                code = code.max(EXIT_FAIL);
                continue;
            }
        };
        let kind = kind_of(f);
        // Only the warnings are kept, taken rather than moved out: a partial
        // move would drop the other fields one by one here.
        let mut warnings = Vec::new();
        let failed = match kind {
            "meta-data" => cloudconfig::parse_meta_data(&bytes, f).err(),
            "network-config" => cloudconfig::parse_yaml(&bytes, f).err(),
            "egret.conf" => cloudconfig::parse_conf(&bytes, f).err(),
            "context.sh" | "meta_data.json" => {
                // Named by its directory, so messages name the file itself.
                let dir = f.rsplit_once('/').map_or(".", |(d, _)| d);
                let docs = Documents {
                    source: String::from(dir),
                    meta_kind: if kind == "context.sh" {
                        source::MetaKind::OpenNebula
                    } else {
                        source::MetaKind::ConfigDrive
                    },
                    meta_data: Some(bytes),
                    ..Documents::default()
                };
                match crate::platform::read(&docs) {
                    Ok(mut p) => {
                        warnings = core::mem::take(&mut p.warnings);
                        None
                    }
                    Err(e) => Some(e),
                }
            }
            _ => {
                // The document's name in messages is the file itself.
                let docs = Documents {
                    source: String::new(),
                    user_data: Some(bytes),
                    ..Documents::default()
                };
                match cloudconfig::build(&docs, &Inputs::default()) {
                    Ok(mut c) => {
                        warnings = core::mem::take(&mut c.warnings);
                        None
                    }
                    Err(mut e) => {
                        e.file = f.clone();
                        Some(e)
                    }
                }
            }
        };
        match failed {
            None => {
                let _ = writeln!(report, "{f}: ok ({kind}, {} warning(s))", warnings.len());
                for w in &warnings {
                    let mut w = w.as_str();
                    while let Some(r) = w.strip_prefix("/user-data") {
                        w = r;
                    }
                    while let Some(r) = w.strip_prefix(':') {
                        w = r;
                    }
                    let _ = writeln!(report, "  warning: {w}");
                }
            }
            Some(e) => {
                let _ = writeln!(report, "{e}");
                code = code.max(EXIT_INVALID);
            }
        }
    }
    let _ = if code == EXIT_OK {
        write_all(crate::stdio::stdout(), report.as_bytes())
    } else {
        write_all(crate::stdio::stderr(), report.as_bytes())
    };
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_the_contract() {
        assert_eq!(
            parse_args(&args(&[
                "apply",
                "--sysroot",
                "/s",
                "--from",
                "nocloud:/a",
                "--from=injected",
                "--force",
                "--timeout",
                "5"
            ])),
            Ok(Command::Apply(Opts {
                sysroot: Some("/s".into()),
                from: vec!["nocloud:/a".into(), "injected".into()],
                force: true,
                timeout: Some(5)
            }))
        );
        assert_eq!(
            parse_args(&args(&["show"])),
            Ok(Command::Show(Opts::default()))
        );
        assert_eq!(
            parse_args(&args(&["validate", "a", "b"])),
            Ok(Command::Validate(args(&["a", "b"])))
        );
        assert_eq!(parse_args(&args(&["--version"])), Ok(Command::Version));
        assert_eq!(parse_args(&args(&["--help"])), Ok(Command::Help));
    }

    #[test]
    fn refuses_what_is_not_in_the_contract() {
        assert!(parse_args(&args(&[])).is_err());
        assert!(parse_args(&args(&["frob"])).is_err());
        assert!(parse_args(&args(&["apply", "--bogus"])).is_err());
        assert!(parse_args(&args(&["show", "--force"])).is_err());
        assert!(parse_args(&args(&["apply", "--from"])).is_err());
        assert!(parse_args(&args(&["apply", "--timeout", "x"])).is_err());
        assert!(parse_args(&args(&["validate"])).is_err());
        assert!(parse_args(&args(&["validate", "--x"])).is_err());
    }

    #[test]
    fn error_messages_are_exact() {
        let err = |a: &[&str]| parse_args(&args(a)).err().unwrap_or_default();
        assert_eq!(err(&[]), "no command given");
        assert_eq!(err(&["frob"]), "unknown command `frob`");
        assert_eq!(err(&["validate"]), "validate needs at least one FILE");
        assert_eq!(err(&["validate", "a", "-x"]), "unknown option `-x`");
        assert_eq!(
            err(&["show", "--force"]),
            "unknown option `--force` for show"
        );
        assert_eq!(
            err(&["apply", "--force=1"]),
            "unknown option `--force=1` for apply"
        );
        assert_eq!(err(&["apply", "-x=1"]), "unknown option `-x=1` for apply");
        assert_eq!(err(&["apply", "--from"]), "--from needs a value");
        assert_eq!(err(&["show", "--sysroot"]), "--sysroot needs a value");
        assert_eq!(
            err(&["apply", "--timeout=x"]),
            "--timeout: `x` is not a number of seconds"
        );
        assert_eq!(
            err(&["apply", "--from", "frob"]),
            "--from frob: unknown source `frob`"
        );
    }

    #[test]
    fn inline_values_and_repeats() {
        assert_eq!(
            parse_args(&args(&[
                "show",
                "--sysroot=",
                "--timeout=7",
                "--sysroot",
                "/b"
            ])),
            Ok(Command::Show(Opts {
                sysroot: Some("/b".into()),
                timeout: Some(7),
                ..Opts::default()
            }))
        );
        assert_eq!(
            parse_args(&args(&["validate", "-", "x"])),
            Ok(Command::Validate(args(&["-", "x"])))
        );
    }

    #[test]
    fn cat_formats_once() {
        assert_eq!(cat(format_args!("a{}c", 'b')), "abc");
        let mut log = Log::silent();
        log.say(format_args!("x {} y", 1));
        assert_eq!(log.lines(), ["x 1 y"]);
    }

    #[test]
    fn report_is_what_the_derive_wrote() {
        #[derive(SerJson)]
        struct Report {
            version: String,
            outcome: String,
            elapsed_ms: u64,
            written: Vec<String>,
            log: Vec<String>,
        }
        let r = Report {
            version: "1.2".into(),
            outcome: "a\"b\n\u{1}".into(),
            elapsed_ms: 42,
            written: vec![],
            log: args(&["x", "y\\z"]),
        };
        let json = report(&[
            ("version", J::S(&r.version)),
            ("outcome", J::S(&r.outcome)),
            ("elapsed_ms", J::N(r.elapsed_ms)),
            ("written", J::L(&r.written)),
            ("log", J::L(&r.log)),
        ]);
        assert_eq!(json, r.serialize_json());
        assert_eq!(
            json,
            r#"{"version":"1.2","outcome":"a\"b\n\u0001","elapsed_ms":42,"written":[],"log":["x","y\\z"]}"#
        );
        assert_eq!(report(&[]), "{}");
    }

    #[test]
    fn has_finds_both_separators() {
        assert!(has(b"meta-data", b"meta", b"data"));
        assert!(has(b"xmeta_datay", b"meta", b"data"));
        assert!(has(b"metameta-data", b"meta", b"data"));
        assert!(!has(b"meta.data", b"meta", b"data"));
        assert!(!has(b"meta-dat", b"meta", b"data"));
        assert!(!has(b"meta-", b"meta", b"data"));
        assert!(!has(b"", b"meta", b"data"));
    }

    #[test]
    fn validate_kinds() {
        assert_eq!(kind_of("/seed/meta-data"), "meta-data");
        assert_eq!(kind_of("user-data"), "user-data");
        assert_eq!(kind_of("x/network-config"), "network-config");
        assert_eq!(kind_of("cloud.yaml"), "user-data");
        assert_eq!(kind_of("/etc/egret/egret.conf"), "egret.conf");
        assert_eq!(kind_of("seed/vendor_data"), "vendor-data");
        assert_eq!(kind_of("meta-data.d/user-data"), "user-data");
        assert_eq!(kind_of("/a/b/network_config.yaml"), "network-config");
        assert_eq!(kind_of("/x.conf/vendor-data"), "vendor-data");
        assert_eq!(kind_of("meta_data.conf"), "meta-data");
        assert_eq!(kind_of("/"), "user-data");
        assert_eq!(kind_of(""), "user-data");
        assert_eq!(kind_of("/media/context.sh"), "context.sh");
        assert_eq!(kind_of("openstack/latest/meta_data.json"), "meta_data.json");
    }
}
