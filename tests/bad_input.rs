//! Malformed documents: exit 2, one line naming file:line:column, and the
//! sysroot untouched, whatever else the documents contain.

use crate::common::*;

/// Applies `user_data` and checks that nothing was written.
fn refused(name: &str, user_data: &[u8], expect: &str) {
    let s = Scratch::new(name);
    let root = s.sysroot();
    let seed = s.seed_with(
        name,
        &[
            ("meta-data", b"instance-id: iid-bad\n"),
            ("user-data", user_data),
        ],
    );
    let before = snapshot(&root);
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 2, "{name}: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("egret: error:"))
        .unwrap_or_else(|| panic!("{name}: no error line in {err}"));
    assert!(line.contains(expect), "{name}: `{line}` lacks `{expect}`");
    assert!(
        line.contains(&format!("nocloud:{}/user-data", seed.display())),
        "{name}: error names the document: {line}"
    );
    assert_eq!(
        diff(&before, &snapshot(&root)),
        Vec::<String>::new(),
        "{name}: sysroot changed"
    );
}

#[test]
fn bad_yaml_names_line_and_column() {
    refused(
        "yaml",
        b"#cloud-config\nhostname: ok\nusers:\n  - name: a\n     bad: indent\n",
        "user-data:5:",
    );
    refused(
        "quote",
        b"#cloud-config\nwrite_files:\n  - path: /x\n    content: \"never closed\n",
        "user-data:4:",
    );
    refused(
        "flow",
        b"#cloud-config\ngroups: [a, b\nhostname: x\n",
        "user-data:",
    );
}

#[test]
fn anchors_and_custom_tags_are_refused() {
    refused(
        "anchor",
        b"#cloud-config\nbase: &b {x: 1}\nother: *b\n",
        "user-data:2:",
    );
    refused(
        "tag",
        b"#cloud-config\nhostname: !python/object x\n",
        "user-data:2:",
    );
}

#[test]
fn wrong_types_are_refused_with_position() {
    refused(
        "uid",
        b"#cloud-config\nusers:\n  - name: a\n    uid: lots\n",
        "user-data:4:10: expected an integer",
    );
    refused(
        "perm",
        b"#cloud-config\nwrite_files:\n  - path: /etc/x\n    permissions: rw-r--r--\n",
        "user-data:4:18: permissions must be octal",
    );
    refused(
        "b64",
        b"#cloud-config\nwrite_files:\n  - path: /etc/x\n    encoding: b64\n    content: '***'\n",
        "user-data:4:15: content is not base64",
    );
    refused(
        "host",
        b"#cloud-config\nhostname: 'bad host!'\n",
        "invalid hostname",
    );
    refused(
        "name",
        b"#cloud-config\nusers:\n  - name: 'root:x'\n",
        "invalid user name",
    );
    refused(
        "sudo",
        b"#cloud-config\nusers:\n  - name: a\n    sudo: true\n",
        "user-data:4:11: sudo: true is not a rule",
    );
}

#[test]
fn bad_gzip_mime_and_jinja_are_refused() {
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(b"not deflate at all");
    refused("gzip", &gz, "user-data");
    refused(
        "mime",
        b"Content-Type: multipart/mixed\nMIME-Version: 1.0\n\nno boundary\n",
        "user-data",
    );
    refused(
        "jinja",
        b"## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n",
        "jinja",
    );
}

#[test]
fn bad_meta_data_is_refused() {
    let s = Scratch::new("md");
    let root = s.sysroot();
    let seed = s.seed_with(
        "md",
        &[
            (
                "meta-data",
                b"{\"instance-id\": \"i-1\", \"local-hostname\": [1, 2\n",
            ),
            ("user-data", b"#cloud-config\n"),
        ],
    );
    let before = snapshot(&root);
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/meta-data:"), "{err}");
    assert_eq!(diff(&before, &snapshot(&root)), Vec::<String>::new());
}

#[test]
fn json_meta_data_is_read() {
    let s = Scratch::new("mdjson");
    let root = s.sysroot();
    let seed = s.seed_with(
        "mdj",
        &[
            (
                "meta-data",
                b"{\"instance-id\":\"i-json\",\"local-hostname\":\"jsonhost\"}",
            ),
            ("user-data", b"#cloud-config\n"),
        ],
    );
    let (code, _, err) = text(&apply_seed(&s, &root, &seed, &[], ""));
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&root, "etc/hostname"), "jsonhost\n");
}

#[test]
fn garbage_never_crashes() {
    // Every prefix of a real seed, and some noise: exit 0 or 2, never a crash.
    let full = std::fs::read(fixture("nocloud/full/user-data")).unwrap();
    let s = Scratch::new("garbage");
    let root = s.sysroot();
    let cl = s.cmdline("");
    let mut cases: Vec<Vec<u8>> = (0..full.len())
        .step_by(97)
        .map(|n| full[..n].to_vec())
        .collect();
    cases.push(vec![0xff, 0xfe, 0x00, 0x41]);
    cases.push(b"#cloud-config\n\t- x\n".to_vec());
    cases.push([b"#cloud-config\n".as_slice(), &b"[".repeat(10000)].concat());
    for (i, c) in cases.iter().enumerate() {
        let seed = s.seed_with(
            &format!("g{i}"),
            &[("meta-data", b"instance-id: g\n"), ("user-data", c)],
        );
        let o = egret(
            &["show", "--from", &format!("nocloud:{}", seed.display())],
            &cl,
        );
        let code = o.status.code();
        assert!(
            matches!(code, Some(0) | Some(2)),
            "case {i}: {:?} {}",
            code,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    drop(root);
}
