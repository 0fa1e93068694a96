//! The command-line contract: show, validate, version, help, usage errors.

use crate::common::*;

#[test]
fn show_prints_the_context_and_redacts_secrets() {
    let s = Scratch::new("show");
    let seed = s.seed("full");
    let (code, out, err) = text(&egret(
        &["show", "--from", &format!("nocloud:{}", seed.display())],
        &s.cmdline(""),
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with('{') && out.trim_end().ends_with('}'),
        "{out}"
    );
    assert!(out.contains("\"instance_id\":\"iid-full-01\""), "{out}");
    assert!(out.contains("\"name\":\"alice\""));
    assert!(out.contains("<redacted>"));
    for secret in ["bob-Secret-Pw-42", "root-Plain-Pw-7", "3xnLzHwcp8"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} shown"
        );
    }
    assert!(
        out.contains("`packages` ignored"),
        "warnings are part of show: {out}"
    );
}

#[test]
fn show_writes_nothing() {
    let s = Scratch::new("show-ro");
    let root = s.sysroot();
    let seed = s.seed("full");
    let before = snapshot(&root);
    let (code, _, _) = text(&egret(
        &[
            "show",
            "--sysroot",
            root.to_str().unwrap(),
            "--from",
            &format!("nocloud:{}", seed.display()),
        ],
        &s.cmdline(""),
    ));
    assert_eq!(code, 0);
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn validate_reports_ok_and_errors() {
    let s = Scratch::new("validate");
    let ok = fixture("nocloud/full/user-data");
    let md = fixture("nocloud/full/meta-data");
    let (code, out, err) = text(&egret(
        &["validate", ok.to_str().unwrap(), md.to_str().unwrap()],
        &s.cmdline(""),
    ));
    assert_eq!(code, 0, "{err}");
    // Offline there is no image, so `default` is skipped with a warning too.
    assert!(
        out.contains("user-data: ok (user-data, 2 warning(s))"),
        "{out}"
    );
    assert!(out.contains("warning: 58:1: `packages` ignored"), "{out}");
    assert!(out.contains("meta-data: ok (meta-data"), "{out}");
    let bad = s.path("user-data");
    std::fs::write(&bad, "#cloud-config\nusers:\n  - name: x\n   - y\n").unwrap();
    let (code, _, err) = text(&egret(&["validate", bad.to_str().unwrap()], &s.cmdline("")));
    assert_eq!(code, 2);
    assert!(err.starts_with(&format!("{}:4:", bad.display())), "{err}");
    let (code, _, _) = text(&egret(
        &["validate", "/nonexistent/user-data"],
        &s.cmdline(""),
    ));
    assert_eq!(code, 1);
}

#[test]
fn version_help_and_usage_errors() {
    let s = Scratch::new("usage");
    let cl = s.cmdline("");
    let (code, out, _) = text(&egret(&["--version"], &cl));
    assert_eq!(
        (code, out.as_str()),
        (0, concat!("egret ", env!("CARGO_PKG_VERSION"), "\n"))
    );
    let (code, out, _) = text(&egret(&["--help"], &cl));
    assert!(code == 0 && out.contains("egret apply") && out.contains("egret validate"));
    for bad in [
        &["apply", "--bogus"][..],
        &["frob"],
        &[],
        &["apply", "--from", "nosuch:x"],
        &["show", "--force"],
    ] {
        let (code, _, err) = text(&egret(bad, &cl));
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.contains("egret:"), "{bad:?}: {err}");
    }
}

#[test]
fn missing_sysroot_is_a_failure_not_a_crash() {
    let s = Scratch::new("nosysroot");
    let (code, _, err) = text(&egret(
        &["apply", "--sysroot", "/nonexistent/egret-sysroot"],
        &s.cmdline(""),
    ));
    assert_eq!(code, 1, "{err}");
}

#[test]
fn validate_reads_platform_documents() {
    let s = Scratch::new("validate-platform");
    let ctx = fixture("opennebula/context.sh");
    let md = fixture("configdrive/openstack/latest/meta_data.json");
    let (code, out, err) = text(&egret(
        &["validate", ctx.to_str().unwrap(), md.to_str().unwrap()],
        &s.cmdline(""),
    ));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("context.sh: ok (context.sh, 0 warning(s))"),
        "{out}"
    );
    assert!(
        out.contains("meta_data.json: ok (meta_data.json, 0 warning(s))"),
        "{out}"
    );
    let bad = s.path("context.sh");
    std::fs::write(&bad, "A=1\nB=`id`\n").unwrap();
    let (code, _, err) = text(&egret(&["validate", bad.to_str().unwrap()], &s.cmdline("")));
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        format!("{}:2:3: command substitution is refused", bad.display())
    );
}
