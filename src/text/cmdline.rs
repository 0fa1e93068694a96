//! The kernel command line (`/proc/cmdline`): egret's own switches and
//! cloud-init's `ds=` seed hint.
//!
//! Owns: splitting the line into words the way the kernel's `next_arg`
//! (`lib/cmdline.c`) does, and reading `egret=`, `egret.sources=`,
//! `egret.timeout=`, `egret.debug`, `egret.strict` and `ds=` from them. The
//! `ds=` value syntax (`nocloud;s=URL;i=ID;h=NAME`) is also what SMBIOS
//! serial numbers carry, so [`parse_ds`] is public.
//!
//! Must never: fail or panic on any input (a boot must not stop because of a
//! typo on the command line): unknown words, malformed values and words that
//! are not UTF-8 are skipped, and the last valid occurrence of a key wins.
//!
//! Words after `--` (which the kernel hands to init) are read too, as
//! cloud-init does: it also scans all of `/proc/cmdline`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// What the command line asks of egret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cmdline {
    /// `egret=off` (or `0`, `no`, `false`): do nothing this boot.
    pub off: bool,
    /// `egret.sources=a,b`: only these sources, in this order. An empty
    /// value gives an empty list; what that means is the caller's choice.
    pub sources: Option<Vec<String>>,
    /// `egret.timeout=SECS`: total deadline for finding a source.
    pub timeout: Option<u32>,
    /// `egret.debug` (or `egret.debug=1`): verbose log.
    pub debug: bool,
    /// `egret.strict`: a failure fails the boot instead of being logged.
    pub strict: bool,
    /// cloud-init's `ds=nocloud;s=...;i=...;h=...`.
    pub ds: Option<Ds>,
}

/// A cloud-init data source hint (`ds=` value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ds {
    /// Data source name, lowercased: `nocloud`, `nocloud-net`, or another.
    pub kind: String,
    /// `s=` or `seedfrom=`: where the seed lives (URL or path).
    pub seedfrom: Option<String>,
    /// `i=` or `instance-id=`.
    pub instance_id: Option<String>,
    /// `h=` or `local-hostname=`.
    pub hostname: Option<String>,
}

/// Reads the whole command line. Never fails: what is not understood is
/// ignored.
pub fn parse(cmdline: &[u8]) -> Cmdline {
    let mut out = Cmdline::default();
    for (param, val) in Words(cmdline) {
        // A word that is not UTF-8 cannot be one of ours.
        let Ok(param) = core::str::from_utf8(param) else {
            continue;
        };
        let val = match val.map(core::str::from_utf8) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(_)) => continue,
        };
        match (param, val) {
            ("egret", Some(v)) => {
                if let Some(on) = switch(v) {
                    out.off = !on;
                }
            }
            ("egret.sources", Some(v)) => {
                out.sources = Some(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(ToString::to_string)
                        .collect(),
                );
            }
            ("egret.timeout", Some(v)) => {
                if let Ok(secs) = v.parse::<u32>() {
                    out.timeout = Some(secs);
                }
            }
            ("egret.debug", v) => {
                if let Some(on) = v.map_or(Some(true), switch) {
                    out.debug = on;
                }
            }
            ("egret.strict", v) => {
                if let Some(on) = v.map_or(Some(true), switch) {
                    out.strict = on;
                }
            }
            ("ds", Some(v)) => {
                if let Some(ds) = parse_ds(v) {
                    out.ds = Some(ds);
                }
            }
            _ => {}
        }
    }
    out
}

/// Parses a `ds=` value such as `nocloud;s=http://10.0.0.1/;h=myhost` (a
/// leading `ds=` is tolerated, as SMBIOS serials carry it). Keys may be short
/// (`s`, `i`, `h`) or cloud-init's long names (`seedfrom`, `instance-id`,
/// `local-hostname`); unknown keys, empty items (a trailing `;`) and empty
/// values are ignored, later keys override earlier ones, keys and values are
/// trimmed. `None` when the data source name is missing or not a name.
pub fn parse_ds(value: &str) -> Option<Ds> {
    let value = value.trim_ascii();
    let value = value.strip_prefix("ds=").unwrap_or(value);
    let mut items = value.split(';');
    let kind = items.next()?.trim_ascii();
    if kind.is_empty()
        || !kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let mut ds = Ds {
        kind: kind.to_ascii_lowercase(),
        seedfrom: None,
        instance_id: None,
        hostname: None,
    };
    for item in items {
        let Some((key, val)) = item.split_once('=') else {
            continue;
        };
        let val = val.trim_ascii();
        if val.is_empty() {
            continue;
        }
        let slot = match key.trim_ascii() {
            "s" | "seedfrom" => &mut ds.seedfrom,
            "i" | "instance-id" => &mut ds.instance_id,
            "h" | "local-hostname" => &mut ds.hostname,
            _ => continue,
        };
        *slot = Some(val.to_string());
    }
    Some(ds)
}

/// `on`/`off` style values, case-insensitive; `None` when it is neither.
fn switch(v: &str) -> Option<bool> {
    const ON: [&str; 4] = ["1", "yes", "true", "on"];
    const OFF: [&str; 4] = ["0", "no", "false", "off"];
    if ON.iter().any(|w| v.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if OFF.iter().any(|w| v.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// ASCII whitespace. The kernel's `isspace` also counts byte 0xa0, which
/// would cut UTF-8 text apart; the words egret reads are ASCII, so that
/// difference only matters for words we ignore.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Iterates `(param, value)` pairs exactly as the kernel's `next_arg`
/// splits them: a word ends at whitespace outside double quotes; the value
/// starts after the first `=` (not counting one in the first position); a
/// quote opening the word or the value is removed, and so is one closing
/// quote at the end of the word. Quotes elsewhere stay, as in the kernel.
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.0.iter().position(|b| !is_space(*b))?;
        let args = self.0.get(start..).unwrap_or(&[]);
        let (quoted, body) = match args.split_first() {
            Some((b'"', rest)) => (true, rest),
            _ => (false, args),
        };
        let mut in_quote = quoted;
        let mut equals = None;
        let mut end = 0;
        for (i, &b) in body.iter().enumerate() {
            if is_space(b) && !in_quote {
                break;
            }
            if equals.is_none() && b == b'=' && i > 0 {
                equals = Some(i);
            }
            if b == b'"' {
                in_quote = !in_quote;
            }
            end = i + 1;
        }
        let (word, rest) = body.split_at_checked(end).unwrap_or((body, &[]));
        self.0 = rest;

        let mut strip_tail = quoted;
        let (param, val) = match equals.and_then(|e| word.split_at_checked(e)) {
            None => (word, None),
            Some((param, eq_val)) => {
                let mut val = eq_val.get(1..).unwrap_or(&[]);
                if let Some(inner) = val.strip_prefix(b"\"") {
                    val = inner;
                    strip_tail = true;
                }
                (param, Some(val))
            }
        };
        let unquote = |s: &'a [u8]| -> &'a [u8] {
            if strip_tail {
                s.strip_suffix(b"\"").unwrap_or(s)
            } else {
                s
            }
        };
        Some(match val {
            Some(v) => (param, Some(unquote(v))),
            None => (unquote(param), None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn words(s: &[u8]) -> Vec<(&[u8], Option<&[u8]>)> {
        Words(s).collect()
    }

    fn ds(kind: &str, s: Option<&str>, i: Option<&str>, h: Option<&str>) -> Ds {
        Ds {
            kind: kind.into(),
            seedfrom: s.map(Into::into),
            instance_id: i.map(Into::into),
            hostname: h.map(Into::into),
        }
    }

    #[test]
    fn real_command_lines() {
        let table: &[(&str, Cmdline)] = &[
            (
                "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=UUID=0f5c3b3e-7d1e-4b8e-9a55-2c1a3f0e6b7d ro quiet ds=nocloud;s=http://10.0.2.2:8000/;i=iid-01 egret.timeout=5 egret.sources=nocloud,injected\n",
                Cmdline {
                    timeout: Some(5),
                    sources: Some(vec!["nocloud".into(), "injected".into()]),
                    ds: Some(ds("nocloud", Some("http://10.0.2.2:8000/"), Some("iid-01"), None)),
                    ..Cmdline::default()
                },
            ),
            (
                "BOOT_IMAGE=(hd0,gpt2)/vmlinuz-6.8.5-301.fc40.x86_64 root=UUID=abcd ro rootflags=subvol=root rd.luks.uuid=luks-1 rhgb quiet egret.debug egret.strict",
                Cmdline {
                    debug: true,
                    strict: true,
                    ..Cmdline::default()
                },
            ),
            (
                "console=ttyS0,115200n8 egret=off ds=nocloud-net;seedfrom=http://169.254.169.254/seed/;local-hostname=web1;instance-id=i-123;",
                Cmdline {
                    off: true,
                    ds: Some(ds("nocloud-net", Some("http://169.254.169.254/seed/"), Some("i-123"), Some("web1"))),
                    ..Cmdline::default()
                },
            ),
            (
                "initrd=\\initrd.img root=/dev/vda1 egret=0 egret=yes egret.timeout=10 egret.timeout=abc egret.debug=0",
                Cmdline {
                    off: false,
                    timeout: Some(10),
                    debug: false,
                    ..Cmdline::default()
                },
            ),
            (
                "ostree=/ostree/boot.1/fedora-coreos/abc/0 ignition.platform.id=qemu egret=FALSE ds=NoCloud",
                Cmdline {
                    off: true,
                    ds: Some(ds("nocloud", None, None, None)),
                    ..Cmdline::default()
                },
            ),
            (
                "ro -- ds=nocloud;h=after-dashdash egret.sources=",
                Cmdline {
                    sources: Some(vec![]),
                    ds: Some(ds("nocloud", None, None, Some("after-dashdash"))),
                    ..Cmdline::default()
                },
            ),
            ("", Cmdline::default()),
            ("   \n", Cmdline::default()),
            ("egret egret.timeout egret.sources ds ds= egret.timeout=-1 egret.timeout=99999999999", Cmdline::default()),
        ];
        for (line, want) in table {
            assert_eq!(&parse(line.as_bytes()), want, "{line}");
        }
    }

    #[test]
    fn quoting_like_the_kernel() {
        let want = Some(ds("nocloud", None, None, Some("a b")));
        assert_eq!(parse(br#"ro "ds=nocloud;h=a b" quiet"#).ds, want);
        assert_eq!(parse(br#"ro ds="nocloud;h=a b" quiet"#).ds, want);
        assert_eq!(parse(b"ro\tds=\"nocloud;h=a b\"").ds, want);
        assert_eq!(
            words(br#"a "b c" d="e f" "g=h i" j"k l"m ="n" "o"#),
            vec![
                (&b"a"[..], None),
                (b"b c", None),
                (b"d", Some(&b"e f"[..])),
                (b"g", Some(&b"h i"[..])),
                (br#"j"k l"m"#, None),
                (br#"="n""#, None),
                (b"o", None),
            ]
        );
        // Quotes inside a value stay, as the kernel leaves them.
        assert_eq!(
            words(br#"x=a"b c"d y="" z=" "#),
            vec![
                (&b"x"[..], Some(&br#"a"b c"d"#[..])),
                (b"y", Some(&b""[..])),
                (b"z", Some(&b" "[..])),
            ]
        );
        assert_eq!(
            words(br#"e= f="#),
            vec![(&b"e"[..], Some(&b""[..])), (b"f", Some(&b""[..]))]
        );
        assert_eq!(words(br#"""#), vec![(&b""[..], None)]);
        assert_eq!(words(br#""a="#), vec![(&b"a"[..], Some(&b""[..]))]);
        assert_eq!(words(b"a==b"), vec![(&b"a"[..], Some(&b"=b"[..]))]);
    }

    #[test]
    fn later_occurrences_override() {
        let c = parse(b"ds=nocloud;h=one egret.sources=a ds=nocloud-net;s=/seed/ egret.sources=b,c egret.debug egret.debug=off");
        assert_eq!(c.ds, Some(ds("nocloud-net", Some("/seed/"), None, None)));
        assert_eq!(c.sources, Some(vec!["b".into(), "c".into()]));
        assert!(!c.debug);
        // An invalid later value leaves the earlier one.
        let c = parse(
            b"ds=nocloud;h=one ds=;h=two egret.timeout=3 egret.timeout=x egret=off egret=maybe",
        );
        assert_eq!(c.ds, Some(ds("nocloud", None, None, Some("one"))));
        assert_eq!(c.timeout, Some(3));
        assert!(c.off);
    }

    #[test]
    fn invalid_utf8_words_skipped() {
        let c = parse(b"egret.debug ds=nocloud;h=\xff\xfe egret.sources=\xc3 egret.timeout=7 \xff=1 root=/dev/\xe9");
        assert!(c.debug);
        assert_eq!(c.ds, None);
        assert_eq!(c.sources, None);
        assert_eq!(c.timeout, Some(7));
        // Valid UTF-8 beyond ASCII is fine.
        assert_eq!(
            parse("ds=nocloud;h=héte".as_bytes()).ds,
            Some(ds("nocloud", None, None, Some("héte")))
        );
    }

    #[test]
    fn unterminated_quote_runs_to_end() {
        let c = parse(b"ro \"ds=nocloud;h=x egret.debug");
        assert_eq!(c.ds, Some(ds("nocloud", None, None, Some("x egret.debug"))));
        assert!(!c.debug);
    }

    #[test]
    fn ds_values() {
        let table: &[(&str, Option<Ds>)] = &[
            ("nocloud", Some(ds("nocloud", None, None, None))),
            ("nocloud;", Some(ds("nocloud", None, None, None))),
            (
                "nocloud;s=http://10.0.0.1/;h=myhost",
                Some(ds(
                    "nocloud",
                    Some("http://10.0.0.1/"),
                    None,
                    Some("myhost"),
                )),
            ),
            (
                "ds=nocloud;s=http://10.0.0.1/?a=b;i=iid;",
                Some(ds(
                    "nocloud",
                    Some("http://10.0.0.1/?a=b"),
                    Some("iid"),
                    None,
                )),
            ),
            (
                "  nocloud-net ; seedfrom = file:///seed/ ;; junk; x=y ; h= ;i=a;i=b  ",
                Some(ds("nocloud-net", Some("file:///seed/"), Some("b"), None)),
            ),
            ("ConfigDrive", Some(ds("configdrive", None, None, None))),
            ("", None),
            (";s=http://x/", None),
            ("s=http://x/", None),
            ("no cloud;h=x", None),
            ("ds=", None),
        ];
        for (value, want) in table {
            assert_eq!(&parse_ds(value), want, "{value:?}");
        }
    }

    #[test]
    fn switch_words() {
        for (v, want) in [
            ("1", Some(true)),
            ("YES", Some(true)),
            ("On", Some(true)),
            ("true", Some(true)),
            ("0", Some(false)),
            ("no", Some(false)),
            ("off", Some(false)),
            ("False", Some(false)),
            ("", None),
            ("2", None),
        ] {
            assert_eq!(switch(v), want, "{v}");
        }
    }
}
