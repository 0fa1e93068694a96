//! MIME messages as cloud-init writes them (`cloud-init devel make-mime`,
//! Python's `email` package): multipart user-data flattened into its parts.
//!
//! Owns header parsing (case-insensitive names, folded lines, parameters
//! with quoted or plain values, RFC 2231 `name*=charset''value`), RFC 2046
//! boundaries (the line break before a delimiter belongs to it; preamble
//! and epilogue are ignored; a missing closing delimiter keeps the parts
//! seen, as Python does) and the transfer encodings `7bit`, `8bit`,
//! `binary`, `base64` and `quoted-printable`. Like Python, a missing or
//! malformed `Content-Type` means `text/plain`, and a part whose first line
//! is not a header has no headers. RFC 2231 continuations (`name*0=`) are
//! not joined: cloud-init's tools never write them.
//!
//! It never interprets what a part contains (that is `userdata`'s job),
//! never panics, and recurses at most [`MAX_DEPTH`] levels.

use crate::text::base64;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Multipart nesting deeper than this is refused.
pub const MAX_DEPTH: usize = 8;

/// One leaf part of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Lowercased `type/subtype` without parameters; `text/plain` when the
    /// part has no usable `Content-Type`.
    pub content_type: String,
    /// `Content-Disposition` `filename=`, else `Content-Type` `name=`,
    /// exactly as sent (not sanitised: it is untrusted input).
    pub filename: Option<String>,
    /// The body after undoing its `Content-Transfer-Encoding`.
    pub body: Vec<u8>,
}

/// Why a message could not be split into parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// 1-based line in the whole message.
    pub line: u32,
    /// What went wrong there.
    pub kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    /// A `multipart/*` type without a (non-empty) `boundary` parameter.
    NoBoundary,
    /// A multipart body without a single delimiter line.
    NoParts,
    /// Multipart nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A `Content-Transfer-Encoding` this module does not know; holds the
    /// name, shortened and with non-printable bytes replaced.
    UnknownEncoding(String),
    /// A `base64` body that does not decode.
    Base64(base64::Error),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            ErrorKind::NoBoundary => "multipart Content-Type without a boundary parameter",
            ErrorKind::NoParts => "multipart message without any part",
            ErrorKind::TooDeep => "multipart messages nested too deeply",
            ErrorKind::UnknownEncoding(name) => {
                return write!(f, "unknown Content-Transfer-Encoding \"{name}\"");
            }
            ErrorKind::Base64(_) => "part body is not valid base64",
        };
        f.write_str(msg)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

/// True if `b` starts with a header block whose `Content-Type` is
/// `multipart/*`, whatever the header order.
pub fn is_multipart(b: &[u8]) -> bool {
    let (headers, _) = Headers::parse(b, 0, b.len());
    headers.is_multipart()
}

/// True if `b` starts with a header block that makes it a MIME message:
/// a multipart `Content-Type`, or any `Content-Type` with `MIME-Version`.
pub fn is_mime(b: &[u8]) -> bool {
    let (headers, _) = Headers::parse(b, 0, b.len());
    headers.is_multipart() || (headers.content_type.is_some() && headers.mime_version)
}

/// Splits a message into its leaf parts, in order, flattening nested
/// multiparts. A message that is not multipart is one part.
pub fn parse(msg: &[u8]) -> Result<Vec<Part>, Error> {
    let mut parts = Vec::new();
    parse_entity(msg, 0, msg.len(), 0, &mut parts)?;
    Ok(parts)
}

/// 1-based line number of a byte offset in the whole message.
fn line_of(msg: &[u8], offset: usize) -> u32 {
    let before = msg.get(..offset).unwrap_or(msg);
    let n = before.iter().filter(|&&c| c == b'\n').count();
    u32::try_from(n).unwrap_or(u32::MAX).saturating_add(1)
}

fn error(msg: &[u8], offset: usize, kind: ErrorKind) -> Error {
    Error {
        line: line_of(msg, offset),
        kind,
    }
}

/// One line of `msg` within a range: where it starts, where its content
/// ends (before `\n` or `\r\n`), and where the next line starts.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

/// The lines of `msg[start..end]`; the last one may lack a line break.
fn lines(msg: &[u8], start: usize, end: usize) -> impl Iterator<Item = Line> + '_ {
    let mut pos = start;
    core::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let rest = msg.get(pos..end)?;
        let line = match rest.iter().position(|&c| c == b'\n') {
            Some(n) => {
                let lf = pos.saturating_add(n);
                let cr = n > 0 && rest.get(n - 1) == Some(&b'\r');
                Line {
                    start: pos,
                    end: if cr { lf - 1 } else { lf },
                    next: lf.saturating_add(1),
                }
            }
            None => Line {
                start: pos,
                end,
                next: end,
            },
        };
        pos = line.next;
        Some(line)
    })
}

/// The headers this module needs, unfolded, with the offset of the line
/// each started on (for error positions). The first of duplicates wins,
/// as with Python's `Message.get`.
#[derive(Default)]
struct Headers {
    content_type: Option<(usize, Vec<u8>)>,
    disposition: Option<(usize, Vec<u8>)>,
    encoding: Option<(usize, Vec<u8>)>,
    mime_version: bool,
}

impl Headers {
    /// Parses the header block at the start of `msg[start..end]`; returns
    /// it and where the body starts.
    fn parse(msg: &[u8], start: usize, end: usize) -> (Headers, usize) {
        let mut h = Headers::default();
        // Which header a continuation line extends: 0 none (or one we do not
        // keep), 1 Content-Type, 2 Content-Disposition, 3 encoding.
        let mut current = 0u8;
        for line in lines(msg, start, end) {
            let text = msg.get(line.start..line.end).unwrap_or_default();
            let Some(&first) = text.first() else {
                return (h, line.next);
            };
            if first == b' ' || first == b'\t' {
                let slot = match current {
                    1 => &mut h.content_type,
                    2 => &mut h.disposition,
                    3 => &mut h.encoding,
                    _ => continue,
                };
                if let Some((_, v)) = slot {
                    v.extend_from_slice(text);
                }
                continue;
            }
            let Some((name, value)) = split_header(text) else {
                // Not a header: the body starts here, without a blank line.
                return (h, line.start);
            };
            let value = trim(value).to_vec();
            let (slot, id) = if name.eq_ignore_ascii_case(b"content-type") {
                (&mut h.content_type, 1)
            } else if name.eq_ignore_ascii_case(b"content-disposition") {
                (&mut h.disposition, 2)
            } else if name.eq_ignore_ascii_case(b"content-transfer-encoding") {
                (&mut h.encoding, 3)
            } else {
                h.mime_version |= name.eq_ignore_ascii_case(b"mime-version");
                current = 0;
                continue;
            };
            if slot.is_none() {
                *slot = Some((line.start, value));
                current = id;
            } else {
                current = 0;
            }
        }
        (h, end)
    }

    fn is_multipart(&self) -> bool {
        content_type(self).mime.starts_with("multipart/")
    }
}

/// `Name: value` as Python's parser recognises it: a name of printable
/// ASCII without spaces or colons, directly followed by a colon.
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&c| c == b':')?;
    let (name, rest) = line.split_at(colon);
    if name.is_empty() || !name.iter().all(|&c| (0x21..=0x7e).contains(&c)) {
        return None;
    }
    Some((name, rest.get(1..).unwrap_or_default()))
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// A parsed `Content-Type` or `Content-Disposition` value.
struct HeaderValue {
    /// The part before the first `;`, lowercased and trimmed.
    mime: String,
    /// Parameters with lowercased names, values unquoted.
    params: Vec<(String, String)>,
}

impl HeaderValue {
    fn parse(v: &[u8]) -> HeaderValue {
        let mut i = 0usize;
        let at = |i: usize| v.get(i).copied();
        while at(i).is_some_and(|c| c != b';') {
            i += 1;
        }
        let mime = lossy(trim(v.get(..i).unwrap_or_default())).to_ascii_lowercase();
        let mut params = Vec::new();
        loop {
            while at(i).is_some_and(|c| c == b';' || c.is_ascii_whitespace()) {
                i += 1;
            }
            if at(i).is_none() {
                break;
            }
            let name_start = i;
            while at(i).is_some_and(|c| c != b'=' && c != b';') {
                i += 1;
            }
            let name = trim(v.get(name_start..i).unwrap_or_default());
            let mut value = Vec::new();
            if at(i) == Some(b'=') {
                i += 1;
                while at(i).is_some_and(|c| c == b' ' || c == b'\t') {
                    i += 1;
                }
                if at(i) == Some(b'"') {
                    i += 1;
                    while let Some(c) = at(i) {
                        i += 1;
                        match c {
                            b'"' => break,
                            b'\\' => {
                                if let Some(e) = at(i) {
                                    value.push(e);
                                    i += 1;
                                }
                            }
                            _ => value.push(c),
                        }
                    }
                    // Anything between the closing quote and `;` is noise.
                    while at(i).is_some_and(|c| c != b';') {
                        i += 1;
                    }
                } else {
                    let s = i;
                    while at(i).is_some_and(|c| c != b';') {
                        i += 1;
                    }
                    value = trim(v.get(s..i).unwrap_or_default()).to_vec();
                }
            }
            let mut name = lossy(name).to_ascii_lowercase();
            let value = match name.strip_suffix('*') {
                Some(base) => {
                    let decoded = rfc2231(&value);
                    name = base.to_owned();
                    decoded
                }
                None => lossy(&value),
            };
            params.push((name, value));
        }
        HeaderValue { mime, params }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `charset'language'percent-encoded` (RFC 2231); the charset is assumed
/// to be UTF-8 or ASCII, which is what Python writes.
fn rfc2231(v: &[u8]) -> String {
    let mut fields = v.splitn(3, |&c| c == b'\'');
    let (Some(_), Some(_), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
        return lossy(v);
    };
    let mut out = Vec::with_capacity(text.len());
    let mut it = text.iter().copied();
    while let Some(c) = it.next() {
        if c == b'%' {
            let mut ahead = it.clone();
            if let (Some(h), Some(l)) = (ahead.next().and_then(hex), ahead.next().and_then(hex)) {
                out.push(h << 4 | l);
                it = ahead;
                continue;
            }
        }
        out.push(c);
    }
    lossy(&out)
}

fn hex(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The effective content type of an entity: Python's rule is that anything
/// but exactly one `/` between non-empty halves means `text/plain`.
fn content_type(h: &Headers) -> HeaderValue {
    let parsed = h.content_type.as_ref().map(|(_, v)| HeaderValue::parse(v));
    match parsed {
        Some(ct) if valid_mime(&ct.mime) => ct,
        _ => HeaderValue {
            mime: "text/plain".to_owned(),
            params: parsed.map(|p| p.params).unwrap_or_default(),
        },
    }
}

fn valid_mime(m: &str) -> bool {
    let mut halves = m.split('/');
    matches!(
        (halves.next(), halves.next(), halves.next()),
        (Some(t), Some(s), None) if !t.is_empty() && !s.is_empty()
    )
}

fn parse_entity(
    msg: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    out: &mut Vec<Part>,
) -> Result<(), Error> {
    let (headers, body_start) = Headers::parse(msg, start, end);
    let ct = content_type(&headers);
    let ct_line = headers.content_type.as_ref().map_or(start, |(o, _)| *o);
    if ct.mime.starts_with("multipart/") {
        if depth >= MAX_DEPTH {
            return Err(error(msg, ct_line, ErrorKind::TooDeep));
        }
        let boundary = ct.param("boundary").map(str::trim_end).unwrap_or_default();
        if boundary.is_empty() {
            return Err(error(msg, ct_line, ErrorKind::NoBoundary));
        }
        let ranges = split_multipart(msg, body_start, end, boundary.as_bytes());
        if ranges.is_empty() {
            return Err(error(msg, ct_line, ErrorKind::NoParts));
        }
        for (s, e) in ranges {
            parse_entity(msg, s, e, depth.saturating_add(1), out)?;
        }
        return Ok(());
    }
    let raw = msg.get(body_start..end).unwrap_or_default();
    let body = match headers.encoding {
        None => raw.to_vec(),
        Some((line, ref name)) => {
            let name = trim(name);
            if name.eq_ignore_ascii_case(b"base64") {
                base64::decode(raw).map_err(|e| {
                    let at = match e {
                        base64::Error::BadByte { offset }
                        | base64::Error::BadPadding { offset } => body_start.saturating_add(offset),
                        base64::Error::Truncated => end,
                    };
                    error(msg, at, ErrorKind::Base64(e))
                })?
            } else if name.eq_ignore_ascii_case(b"quoted-printable") {
                quoted_printable(raw)
            } else if ["7bit", "8bit", "binary", ""]
                .iter()
                .any(|k| name.eq_ignore_ascii_case(k.as_bytes()))
            {
                raw.to_vec()
            } else {
                return Err(error(
                    msg,
                    line,
                    ErrorKind::UnknownEncoding(crate::text::printable(name)),
                ));
            }
        }
    };
    let disposition = headers
        .disposition
        .as_ref()
        .map(|(_, v)| HeaderValue::parse(v));
    let filename = disposition
        .as_ref()
        .and_then(|d| d.param("filename"))
        .or_else(|| ct.param("name"))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned);
    out.push(Part {
        content_type: ct.mime,
        filename,
        body,
    });
    Ok(())
}

/// The body ranges between the delimiter lines of a multipart body.
fn split_multipart(msg: &[u8], start: usize, end: usize, boundary: &[u8]) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    for line in lines(msg, start, end) {
        let text = msg.get(line.start..line.end).unwrap_or_default();
        let Some(rest) = text
            .strip_prefix(b"--")
            .and_then(|t| t.strip_prefix(boundary))
        else {
            continue;
        };
        let (closing, rest) = match rest.strip_prefix(b"--") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if !rest.iter().all(|&c| c == b' ' || c == b'\t') {
            continue;
        }
        if let Some(s) = current {
            parts.push((s, eol_before(msg, line.start).max(s)));
        }
        if closing {
            // The epilogue is ignored.
            return parts;
        }
        current = Some(line.next);
    }
    // No closing delimiter: the last part runs to the end, as in Python.
    if let Some(s) = current {
        parts.push((s, end));
    }
    parts
}

/// Where the line break that ends just before `pos` starts.
fn eol_before(msg: &[u8], pos: usize) -> usize {
    let Some(p) = pos.checked_sub(1).filter(|&p| msg.get(p) == Some(&b'\n')) else {
        return pos;
    };
    match p.checked_sub(1) {
        Some(q) if msg.get(q) == Some(&b'\r') => q,
        _ => p,
    }
}

/// Quoted-printable (RFC 2045 6.7) decoded like Python's `quopri`: trailing
/// whitespace dropped, `=` at the end of a line joins it to the next,
/// `=XX` is a byte, any other `=` is kept, and line breaks become `\n`.
fn quoted_printable(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut rest = b;
    while !rest.is_empty() {
        let (line, had_lf, next) = match rest.iter().position(|&c| c == b'\n') {
            Some(n) => (
                rest.get(..n).unwrap_or_default(),
                true,
                rest.get(n.saturating_add(1)..).unwrap_or_default(),
            ),
            None => (rest, false, &b""[..]),
        };
        rest = next;
        let line = line.trim_ascii_end();
        let (line, soft) = match line.strip_suffix(b"=") {
            Some(l) => (l, true),
            None => (line, false),
        };
        let mut it = line.iter().copied();
        while let Some(c) = it.next() {
            if c == b'=' {
                let mut ahead = it.clone();
                if let (Some(h), Some(l)) = (ahead.next().and_then(hex), ahead.next().and_then(hex))
                {
                    out.push(h << 4 | l);
                    it = ahead;
                    continue;
                }
            }
            out.push(c);
        }
        if had_lf && !soft {
            out.push(b'\n');
        }
    }
    out
}

// Tests panic on purpose: that is how they fail.
/// Shaped like `cloud-init devel make-mime -a config.yaml:cloud-config
/// -a script.sh:x-shellscript`; shared by the MIME and user-data tests.
#[cfg(test)]
pub(crate) const MAKE_MIME: &str = "\
Content-Type: multipart/mixed; boundary=\"===============123==\"
MIME-Version: 1.0

--===============123==
Content-Type: text/cloud-config; charset=\"us-ascii\"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename=\"config.yaml\"

#cloud-config
hostname: egret

--===============123==
Content-Type: text/x-shellscript; charset=\"us-ascii\"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename=\"script.sh\"

#!/bin/sh
echo hi

--===============123==--
";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::MAKE_MIME;
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn part(ct: &str, name: Option<&str>, body: &[u8]) -> Part {
        Part {
            content_type: ct.into(),
            filename: name.map(Into::into),
            body: body.to_vec(),
        }
    }

    #[test]
    fn make_mime_output() {
        let m = MAKE_MIME.as_bytes();
        assert!(is_multipart(m));
        assert!(is_mime(m));
        assert_eq!(
            parse(m).unwrap(),
            vec![
                part(
                    "text/cloud-config",
                    Some("config.yaml"),
                    b"#cloud-config\nhostname: egret\n"
                ),
                part(
                    "text/x-shellscript",
                    Some("script.sh"),
                    b"#!/bin/sh\necho hi\n"
                ),
            ]
        );
    }

    #[test]
    fn crlf_line_endings() {
        let m = MAKE_MIME.replace('\n', "\r\n");
        let parts = parse(m.as_bytes()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"#cloud-config\r\nhostname: egret\r\n");
        assert_eq!(parts[1].body, b"#!/bin/sh\r\necho hi\r\n");
        assert_eq!(parts[1].filename.as_deref(), Some("script.sh"));
    }

    #[test]
    fn not_multipart() {
        assert!(!is_multipart(b"#cloud-config\nhostname: x\n"));
        assert!(!is_mime(b"#cloud-config\nhostname: x\n"));
        assert!(!is_multipart(b""));
        // The header must be at the top, not after a blank line.
        assert!(!is_multipart(
            b"\nContent-Type: multipart/mixed; boundary=x\n"
        ));
        // A Content-Type alone is no MIME message; with MIME-Version it is.
        let single = b"Content-Type: text/x-shellscript\n\n#!/bin/sh\n";
        assert!(!is_multipart(single) && !is_mime(single));
        let single = b"MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\n#!/bin/sh\n";
        assert!(!is_multipart(single) && is_mime(single));
        assert_eq!(
            parse(single).unwrap(),
            vec![part("text/x-shellscript", None, b"#!/bin/sh\n")]
        );
        // No headers at all: one text/plain part with everything.
        assert_eq!(
            parse(b"#cloud-config\na: b\n").unwrap(),
            vec![part("text/plain", None, b"#cloud-config\na: b\n")]
        );
        assert_eq!(parse(b"").unwrap(), vec![part("text/plain", None, b"")]);
    }

    #[test]
    fn header_names_case_order_and_folding() {
        let m = b"mime-version: 1.0\r\nCONTENT-TYPE: Multipart/Mixed;\r\n\tBoundary=abc\r\n\r\n\
preamble\r\n--abc\r\ncontent-type: TEXT/Cloud-Config\r\ncontent-disposition: attachment;\r\n  filename=\"a b.yaml\"\r\n\r\nx: 1\r\n--abc--\r\nepilogue\r\n";
        assert!(is_multipart(m));
        assert_eq!(
            parse(m).unwrap(),
            vec![part("text/cloud-config", Some("a b.yaml"), b"x: 1")]
        );
    }

    #[test]
    fn parameters() {
        let v = HeaderValue::parse(
            b"text/plain ; charset=us-ascii;name=\"q\\\"uo;ted\" ; empty=; flag; x = \"y\" junk; a*=utf-8''%C3%A9t%C3%A9.sh",
        );
        assert_eq!(v.mime, "text/plain");
        assert_eq!(v.param("charset"), Some("us-ascii"));
        assert_eq!(v.param("name"), Some("q\"uo;ted"));
        assert_eq!(v.param("empty"), Some(""));
        assert_eq!(v.param("flag"), Some(""));
        assert_eq!(v.param("x"), Some("y"));
        assert_eq!(v.param("a"), Some("été.sh"));
        assert_eq!(v.param("missing"), None);
        // An unterminated quote runs to the end.
        assert_eq!(
            HeaderValue::parse(b"a/b; boundary=\"xy").param("boundary"),
            Some("xy")
        );
    }

    #[test]
    fn filename_sources() {
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/x-shellscript; name=\"n.sh\"\n\nA\n--b\n\
Content-Type: text/x-shellscript; name=\"n.sh\"\nContent-Disposition: attachment; filename=\"f.sh\"\n\nB\n--b\n\
Content-Disposition: attachment; filename=\"  \"\n\nC\n--b\n\
Content-Disposition: attachment; filename*=utf-8''%E2%9C%93.sh\n\nD\n--b--\n";
        let p = parse(m).unwrap();
        let names: Vec<_> = p.iter().map(|p| p.filename.as_deref()).collect();
        assert_eq!(names, [Some("n.sh"), Some("f.sh"), None, Some("✓.sh")]);
        assert_eq!(p[2].content_type, "text/plain");
    }

    #[test]
    fn base64_and_quoted_printable_parts() {
        let m = b"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\n\
IyEvYmluL3NoCmVjaG8g\naGkK\n--b\n\
Content-Type: text/plain\nContent-Transfer-Encoding: Quoted-Printable\n\n\
caf=C3=A9 =3D ok  \nsoft=\nbreak\r\n=ZZ end\n--b--\n";
        let p = parse(m).unwrap();
        assert_eq!(p[0].body, b"#!/bin/sh\necho hi\n");
        assert_eq!(p[1].body, "café = ok\nsoftbreak\n=ZZ end".as_bytes());
    }

    #[test]
    fn bad_base64_names_its_line() {
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Transfer-Encoding: base64\n\nIyEv\nYm*u\n--b--\n";
        assert_eq!(
            parse(m),
            Err(Error {
                line: 7,
                kind: ErrorKind::Base64(base64::Error::BadByte { offset: 7 }),
            })
        );
        assert_eq!(
            parse(m).unwrap_err().to_string(),
            "line 7: part body is not valid base64"
        );
    }

    #[test]
    fn unknown_encoding() {
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\x01\n\nbody\n--b--\n";
        let e = parse(m).unwrap_err();
        assert_eq!(
            e,
            Error {
                line: 5,
                kind: ErrorKind::UnknownEncoding("x-uuencode\\x01".into()),
            }
        );
        assert_eq!(
            e.to_string(),
            "line 5: unknown Content-Transfer-Encoding \"x-uuencode\\x01\""
        );
    }

    #[test]
    fn nested_multipart_is_flattened() {
        let m = b"Content-Type: multipart/mixed; boundary=outer\n\n--outer\n\
Content-Type: text/cloud-config\n\na: 1\n--outer\n\
Content-Type: multipart/alternative; boundary=inner\n\n--inner\n\
Content-Type: text/x-shellscript\n\n#!/bin/sh\n--inner\n\n#cloud-boothook\n--inner--\n\
--outer\nContent-Type: text/cloud-config\n\nb: 2\n--outer--\n";
        assert_eq!(
            parse(m).unwrap(),
            vec![
                part("text/cloud-config", None, b"a: 1"),
                part("text/x-shellscript", None, b"#!/bin/sh"),
                part("text/plain", None, b"#cloud-boothook"),
                part("text/cloud-config", None, b"b: 2"),
            ]
        );
    }

    #[test]
    fn depth_cap() {
        let nest = |levels: usize| {
            let mut m = Vec::new();
            for i in 0..levels {
                m.extend_from_slice(
                    format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes(),
                );
            }
            m.extend_from_slice(b"\nleaf\n");
            m
        };
        assert_eq!(
            parse(&nest(MAX_DEPTH)).unwrap(),
            vec![part("text/plain", None, b"leaf\n")]
        );
        assert_eq!(
            parse(&nest(MAX_DEPTH + 1)),
            Err(Error {
                line: 1 + 3 * MAX_DEPTH as u32,
                kind: ErrorKind::TooDeep
            })
        );
        // Deeper still is refused the same way, without recursing further.
        assert_eq!(parse(&nest(10_000)).unwrap_err().kind, ErrorKind::TooDeep);
    }

    #[test]
    fn boundary_lines() {
        // Trailing whitespace on delimiters; a line that only starts with
        // the boundary is body; empty parts; no preamble.
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nA\n--bX\n--b\n--b\n\nB\n--b-- \nepilogue --b\n";
        assert_eq!(
            parse(m).unwrap(),
            vec![
                part("text/plain", None, b"A\n--bX"),
                part("text/plain", None, b""),
                part("text/plain", None, b"B"),
            ]
        );
    }

    #[test]
    fn missing_closing_boundary_keeps_parts() {
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nA\n--b\n\nB\nmore\n";
        assert_eq!(
            parse(m).unwrap(),
            vec![
                part("text/plain", None, b"A"),
                part("text/plain", None, b"B\nmore\n"),
            ]
        );
    }

    #[test]
    fn structural_errors() {
        let m = b"MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--b\n\nA\n--b--\n";
        assert_eq!(
            parse(m),
            Err(Error {
                line: 2,
                kind: ErrorKind::NoBoundary
            })
        );
        let m = b"Content-Type: multipart/mixed; boundary=\"\"\n\n";
        assert_eq!(parse(m).unwrap_err().kind, ErrorKind::NoBoundary);
        let m = b"Content-Type: multipart/mixed; boundary=b\n\nno delimiter here\n--c--\n";
        assert_eq!(
            parse(m),
            Err(Error {
                line: 1,
                kind: ErrorKind::NoParts
            })
        );
        assert_eq!(
            Error {
                line: 3,
                kind: ErrorKind::NoParts
            }
            .to_string(),
            "line 3: multipart message without any part"
        );
        assert_eq!(
            ErrorKind::NoBoundary.to_string(),
            "multipart Content-Type without a boundary parameter"
        );
        assert_eq!(
            ErrorKind::TooDeep.to_string(),
            "multipart messages nested too deeply"
        );
    }

    #[test]
    fn malformed_content_type_is_text_plain() {
        for ct in ["text", "a/b/c", "/x", "", "multipart"] {
            let m = format!("Content-Type: {ct}\n\nbody");
            assert_eq!(
                parse(m.as_bytes()).unwrap(),
                vec![part("text/plain", None, b"body")]
            );
        }
    }

    #[test]
    fn part_without_header_separator() {
        // The first line is not a header, so it is body (as in Python).
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n#cloud-config\nx: 1\n--b--\n";
        assert_eq!(
            parse(m).unwrap(),
            vec![part("text/plain", None, b"#cloud-config\nx: 1")]
        );
    }

    #[test]
    fn truncations_never_panic() {
        let m = MAKE_MIME.as_bytes();
        for len in 0..=m.len() {
            let cut = &m[..len];
            match parse(cut) {
                // Cut right after the closing delimiter's boundary: a third,
                // empty part opens.
                Ok(parts) => assert!((1..=3).contains(&parts.len()), "len {len}"),
                // Cut inside the boundary parameter or before it, or inside
                // an encoding name.
                Err(e) => assert!(
                    matches!(
                        e.kind,
                        ErrorKind::NoParts | ErrorKind::NoBoundary | ErrorKind::UnknownEncoding(_)
                    ),
                    "len {len}: {e}"
                ),
            }
        }
        // Cut in the middle of the second part: both parts, the second short.
        let cut = &m[..m.len() - 30];
        let parts = parse(cut).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].body, b"#!/bin/sh\necho");
    }
}
