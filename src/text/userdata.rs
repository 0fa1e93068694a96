//! Raw user-data (or vendor-data) bytes into ordered pieces: cloud-config
//! documents, scripts and boothooks, plus a warning for everything egret
//! recognises but does not do.
//!
//! Detection follows cloud-init (`user_data.py`, `handlers.type_from_starts_with`):
//! gzip is inflated and looked at again; a MIME message is split and each
//! part handled by its `Content-Type`, with `text/plain`-like parts (and
//! `text/x-shellscript` parts that start with another known marker)
//! classified by content; a document is classified by its first bytes
//! after a UTF-8 BOM and leading whitespace, compared case-insensitively as
//! cloud-init does (it lowercases before comparing). Part file names are
//! cleaned the way cloud-init's `clean_filename` does, since the caller
//! may use them as file names.
//!
//! It owns no YAML: cloud-config bodies come out unparsed. It must never
//! fetch anything (`#include` is a warning), never render templates (jinja
//! is an error, so a half-rendered config is never applied), never put
//! user-data bodies into warnings beyond a short escaped first line, and
//! never inflate more than [`MAX_INFLATED`] bytes in total.

use crate::text::{base64, gzip, mime, printable};
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// All gzip layers of one user-data together may inflate to this much.
pub const MAX_INFLATED: usize = 16 << 20;

/// gzip and MIME layers inside one another beyond this are refused.
pub const MAX_NESTING: usize = 6;

/// One thing to act on, in the order the user-data gave them.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// `#cloud-config` YAML, still unparsed: the caller parses and merges.
    CloudConfig {
        /// The YAML text.
        body: Vec<u8>,
        /// The part's file name, else the name given to [`split`].
        name: String,
    },
    /// A `#!` script, to run at first boot, in order.
    Script {
        /// The script, interpreter line included.
        body: Vec<u8>,
        /// The part's cleaned file name, else `part-NNN`.
        name: String,
    },
    /// An Ignition config (a JSON object with an `ignition` key), still
    /// unparsed: the caller checks its version and reads it.
    Ignition {
        /// The JSON text.
        body: Vec<u8>,
        /// The part's file name, else the name given to [`split`].
        name: String,
    },
    /// A `#cloud-boothook`: egret cannot run it in the initramfs, so the
    /// caller turns it into a first-boot script with a warning.
    Boothook {
        /// The boothook, marker line included.
        body: Vec<u8>,
        /// The part's cleaned file name, else `part-NNN`.
        name: String,
    },
}

/// The pieces of a user-data document and what was ignored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    /// What to act on, in order.
    pub pieces: Vec<Piece>,
    /// One line each, naming the document; no user-data beyond a short
    /// escaped first line.
    pub warnings: Vec<String>,
}

/// Why user-data could not be split. Any of these rejects the whole
/// document: applying part of it could leave a half-configured system.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A gzip layer is corrupt or truncated.
    Gzip(gzip::Error),
    /// A MIME layer is malformed; the line is in that layer's text, after
    /// any gzip around it was inflated.
    Mime(mime::Error),
    /// Base64 user-data does not decode; for callers whose source hands
    /// user-data over base64-encoded and who decode it before [`split`].
    Base64(base64::Error),
    /// A jinja template (`## template: jinja`, `text/jinja2`).
    Jinja,
    /// gzip and MIME nested deeper than [`MAX_NESTING`].
    TooDeep,
    /// Inflating would exceed [`MAX_INFLATED`].
    TooLarge,
}

impl From<gzip::Error> for Error {
    fn from(e: gzip::Error) -> Self {
        match e {
            gzip::Error::TooLarge => Error::TooLarge,
            e => Error::Gzip(e),
        }
    }
}

impl From<mime::Error> for Error {
    fn from(e: mime::Error) -> Self {
        Error::Mime(e)
    }
}

impl From<base64::Error> for Error {
    fn from(e: base64::Error) -> Self {
        Error::Base64(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            Error::Gzip(e) => return write!(f, "gzip user-data: {e}"),
            Error::Mime(e) => return write!(f, "MIME user-data: {e}"),
            Error::Base64(e) => return write!(f, "base64 user-data: {e}"),
            Error::Jinja => {
                "`## template: jinja` user-data is not supported (egret renders no templates)"
            }
            Error::TooDeep => "user-data nests gzip and MIME too deeply",
            Error::TooLarge => "user-data inflates to more than 16 MiB",
        };
        f.write_str(msg)
    }
}

/// Splits user-data into pieces. `name` ("user-data", "vendor-data")
/// names the document in warnings and unnamed cloud-configs.
pub fn split(data: &[u8], name: &str) -> Result<Split, Error> {
    let mut w = Walker {
        name,
        out: Split::default(),
        inflated: 0,
        parts: 0,
    };
    w.document(data, None, 0)?;
    Ok(w.out)
}

/// Content types whose parts are classified by what they contain.
/// The gzip ones are cloud-init's `DECOMP_TYPES`: content detection
/// inflates them.
const BY_CONTENT: &[&str] = &[
    "text/plain",
    "text/x-not-multipart",
    "application/octet-stream",
    "application/gzip",
    "application/gzip-compressed",
    "application/gzipped",
    "application/x-compress",
    "application/x-compressed",
    "application/x-gunzip",
    "application/x-gzip",
    "application/x-gzip-compressed",
];

/// What a document or part is, by marker or content type.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    CloudConfig,
    Script,
    Boothook,
    Jinja,
    Include(&'static str),
    PartHandler,
    Archive(&'static str),
    Jsonp(&'static str),
}

/// cloud-init's `INCLUSION_TYPES_MAP`, longest first so that
/// `#cloud-config-archive` is not taken for `#cloud-config`.
const MARKERS: &[(&str, Kind)] = &[
    (
        "#cloud-config-archive",
        Kind::Archive("#cloud-config-archive"),
    ),
    ("#cloud-config-jsonp", Kind::Jsonp("#cloud-config-jsonp")),
    ("## template: jinja", Kind::Jinja),
    ("#cloud-boothook", Kind::Boothook),
    ("#cloud-config", Kind::CloudConfig),
    ("#part-handler", Kind::PartHandler),
    ("#include-once", Kind::Include("#include-once")),
    ("#include", Kind::Include("#include")),
    ("#!", Kind::Script),
];

fn kind_of_type(ct: &str) -> Option<Kind> {
    Some(match ct {
        "text/cloud-config" => Kind::CloudConfig,
        "text/x-shellscript"
        | "text/x-shellscript-per-boot"
        | "text/x-shellscript-per-instance"
        | "text/x-shellscript-per-once" => Kind::Script,
        "text/cloud-boothook" => Kind::Boothook,
        "text/jinja2" => Kind::Jinja,
        "text/x-include-url" => Kind::Include("text/x-include-url"),
        "text/x-include-once-url" => Kind::Include("text/x-include-once-url"),
        "text/part-handler" => Kind::PartHandler,
        "text/cloud-config-archive" => Kind::Archive("text/cloud-config-archive"),
        "text/cloud-config-jsonp" => Kind::Jsonp("text/cloud-config-jsonp"),
        _ => return None,
    })
}

/// The marker `text` starts with, compared as cloud-init does: lowercased.
fn marker(text: &[u8]) -> Option<Kind> {
    MARKERS.iter().find_map(|(m, k)| {
        let head = text.get(..m.len())?;
        head.eq_ignore_ascii_case(m.as_bytes()).then_some(*k)
    })
}

/// cloud-init's template detection: a first line `##template:jinja`, in
/// any case, with any blanks around the words.
fn is_jinja(text: &[u8]) -> bool {
    let first = text.split(|&c| c == b'\n').next().unwrap_or_default();
    let Some(rest) = first.strip_prefix(b"##") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest
        .get(..9)
        .filter(|h| h.eq_ignore_ascii_case(b"template:"))
        .and_then(|_| rest.get(9..))
    else {
        return false;
    };
    rest.trim_ascii().eq_ignore_ascii_case(b"jinja")
}

const BOM: &[u8] = b"\xef\xbb\xbf";

struct Walker<'n> {
    name: &'n str,
    out: Split,
    /// Bytes inflated so far, across all gzip layers.
    inflated: usize,
    /// Leaf parts numbered so far, for `part-NNN` (from 1, as cloud-init).
    parts: u32,
}

/// Where a leaf came from, for names and warnings.
struct Origin {
    /// The cleaned file name of its MIME part, if any.
    filename: Option<String>,
    /// Whether it is a MIME part (else the whole document).
    is_part: bool,
    /// Its `part-NNN` number.
    number: u32,
}

impl Walker<'_> {
    /// A whole document, or a part to classify by content.
    fn document(
        &mut self,
        data: &[u8],
        origin: Option<&Origin>,
        depth: usize,
    ) -> Result<(), Error> {
        let data = data.strip_prefix(BOM).unwrap_or(data);
        if gzip::is_gzip(data) {
            let depth = deeper(depth)?;
            let budget = MAX_INFLATED.saturating_sub(self.inflated);
            let plain = gzip::decompress(data, budget)?;
            self.inflated = self.inflated.saturating_add(plain.len());
            return self.document(&plain, origin, depth);
        }
        if is_jinja(data) {
            return Err(Error::Jinja);
        }
        if mime::is_mime(data) {
            let depth = deeper(depth)?;
            for part in mime::parse(data)? {
                let origin =
                    self.next_origin(part.filename.as_deref().and_then(clean_filename), true);
                self.part(&part.body, &part.content_type, &origin, depth)?;
            }
            return Ok(());
        }
        let origin = match origin {
            Some(o) => o,
            None => &self.next_origin(None, false),
        };
        self.by_content(data, origin)
    }

    fn next_origin(&mut self, filename: Option<String>, is_part: bool) -> Origin {
        self.parts = self.parts.saturating_add(1);
        Origin {
            filename,
            is_part,
            number: self.parts,
        }
    }

    /// One MIME part, by its content type.
    fn part(&mut self, body: &[u8], ct: &str, origin: &Origin, depth: usize) -> Result<(), Error> {
        if BY_CONTENT.contains(&ct) {
            return self.document(body, Some(origin), depth);
        }
        let Some(kind) = kind_of_type(ct) else {
            let what = format!(
                "content type \"{}\" is not supported, ignored",
                printable(ct.as_bytes())
            );
            self.warn(origin, &what);
            return Ok(());
        };
        // cloud-init lets a known marker override `text/x-shellscript`:
        // scripts need `#!`, so anything else was mislabelled.
        let kind = match (kind, ct) {
            (Kind::Script, "text/x-shellscript") => {
                let text = body.strip_prefix(BOM).unwrap_or(body);
                marker(text.trim_ascii_start()).unwrap_or(Kind::Script)
            }
            _ => kind,
        };
        self.emit(kind, body, origin)
    }

    /// A document without a content type: by its first bytes.
    fn by_content(&mut self, data: &[u8], origin: &Origin) -> Result<(), Error> {
        let text = data.trim_ascii_start();
        if let Some(kind) = marker(text) {
            return self.emit(kind, data, origin);
        }
        if text.is_empty() {
            return Ok(());
        }
        if text.starts_with(b"{") && contains(text, b"\"ignition\"") {
            self.out.pieces.push(Piece::Ignition {
                body: data.to_vec(),
                name: origin
                    .filename
                    .clone()
                    .unwrap_or_else(|| self.name.to_owned()),
            });
            return Ok(());
        }
        let first = text.split(|&c| c == b'\n').next().unwrap_or_default();
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        let what = format!(
            "unrecognised user-data (first line \"{}\") ignored",
            printable(first)
        );
        self.warn(origin, &what);
        Ok(())
    }

    fn emit(&mut self, kind: Kind, body: &[u8], origin: &Origin) -> Result<(), Error> {
        let body = body.strip_prefix(BOM).unwrap_or(body).to_vec();
        let piece_name = || {
            origin
                .filename
                .clone()
                .unwrap_or_else(|| format!("part-{:03}", origin.number))
        };
        let piece = match kind {
            Kind::CloudConfig => Piece::CloudConfig {
                body,
                name: origin
                    .filename
                    .clone()
                    .unwrap_or_else(|| self.name.to_owned()),
            },
            Kind::Script => Piece::Script {
                body,
                name: piece_name(),
            },
            Kind::Boothook => Piece::Boothook {
                body,
                name: piece_name(),
            },
            Kind::Jinja => return Err(Error::Jinja),
            Kind::Include(what) => {
                let what = format!("{what} ignored: egret fetches no URLs from user-data");
                self.warn(origin, &what);
                return Ok(());
            }
            Kind::PartHandler => {
                self.warn(origin, "part handler ignored: egret runs no part handlers");
                return Ok(());
            }
            Kind::Archive(what) => {
                self.warn(origin, &format!("{what}: not supported yet, ignored"));
                return Ok(());
            }
            Kind::Jsonp(what) => {
                self.warn(origin, &format!("{what}: not supported, ignored"));
                return Ok(());
            }
        };
        self.out.pieces.push(piece);
        Ok(())
    }

    /// `user-data: what`, or `user-data part NAME: what` for MIME parts.
    fn warn(&mut self, origin: &Origin, what: &str) {
        let line = if origin.is_part {
            let part = origin
                .filename
                .clone()
                .unwrap_or_else(|| format!("part-{:03}", origin.number));
            format!("{} part {part}: {what}", self.name)
        } else {
            format!("{}: {what}", self.name)
        };
        self.out.warnings.push(line);
    }
}

fn deeper(depth: usize) -> Result<usize, Error> {
    let d = depth.saturating_add(1);
    if d > MAX_NESTING {
        return Err(Error::TooDeep);
    }
    Ok(d)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// cloud-init's `clean_filename`: `/` becomes `_` and only
/// `A-Za-z0-9_-.()` is kept, so a part name is always one safe path
/// component. Nothing usable left means no name.
fn clean_filename(f: &str) -> Option<String> {
    // A byte loop: every character kept is ASCII, so no byte of a longer
    // UTF-8 sequence can be.
    let mut cleaned = String::new();
    for b in f.bytes() {
        let b = if b == b'/' { b'_' } else { b };
        if cleaned.len() < 128 && (b.is_ascii_alphanumeric() || b"_-.()".contains(&b)) {
            cleaned.push(char::from(b));
        }
    }
    match cleaned.as_str() {
        "" | "." | ".." => None,
        _ => Some(cleaned),
    }
}

// Tests panic on purpose: that is how they fail.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::text::mime::MAKE_MIME;
    use alloc::string::ToString;
    use alloc::vec;

    fn cc(body: &str, name: &str) -> Piece {
        Piece::CloudConfig {
            body: body.as_bytes().to_vec(),
            name: name.into(),
        }
    }
    fn script(body: &str, name: &str) -> Piece {
        Piece::Script {
            body: body.as_bytes().to_vec(),
            name: name.into(),
        }
    }
    fn boothook(body: &str, name: &str) -> Piece {
        Piece::Boothook {
            body: body.as_bytes().to_vec(),
            name: name.into(),
        }
    }

    /// A gzip member around `data`, built with miniz_oxide's deflater.
    fn gz(data: &[u8]) -> Vec<u8> {
        let mut v = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        v.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, 9));
        v.extend_from_slice(&gzip::crc32(0, data).to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v
    }

    fn pieces(data: &[u8]) -> Vec<Piece> {
        let s = split(data, "user-data").unwrap();
        assert_eq!(s.warnings, Vec::<String>::new());
        s.pieces
    }

    fn warnings(data: &[u8]) -> Vec<String> {
        let s = split(data, "user-data").unwrap();
        assert_eq!(s.pieces, vec![]);
        s.warnings
    }

    #[test]
    fn plain_documents() {
        assert_eq!(
            pieces(b"#cloud-config\nhostname: a\n"),
            vec![cc("#cloud-config\nhostname: a\n", "user-data")]
        );
        assert_eq!(
            pieces(b"#!/bin/bash\necho 1\n"),
            vec![script("#!/bin/bash\necho 1\n", "part-001")]
        );
        assert_eq!(
            pieces(b"#cloud-boothook\n#!/bin/sh\n"),
            vec![boothook("#cloud-boothook\n#!/bin/sh\n", "part-001")]
        );
        // The BOM is dropped, leading blanks and the marker's case are not
        // significant (cloud-init lowercases and strips before comparing).
        assert_eq!(
            pieces(b"\xef\xbb\xbf#cloud-config\na: 1\n"),
            vec![cc("#cloud-config\na: 1\n", "user-data")]
        );
        assert_eq!(
            pieces(b"\n  #Cloud-Config\n"),
            vec![cc("\n  #Cloud-Config\n", "user-data")]
        );
        let s = split(b"#cloud-config\n", "vendor-data").unwrap();
        assert_eq!(s.pieces, vec![cc("#cloud-config\n", "vendor-data")]);
    }

    #[test]
    fn empty_is_nothing() {
        assert_eq!(split(b"", "user-data").unwrap(), Split::default());
        assert_eq!(split(b" \n\t\r\n", "user-data").unwrap(), Split::default());
        assert_eq!(split(BOM, "user-data").unwrap(), Split::default());
    }

    #[test]
    fn warnings_text() {
        assert_eq!(
            warnings(b"#include\nhttp://example.invalid/x\n"),
            ["user-data: #include ignored: egret fetches no URLs from user-data"]
        );
        assert_eq!(
            warnings(b"#include-once http://example.invalid/x\n"),
            ["user-data: #include-once ignored: egret fetches no URLs from user-data"]
        );
        assert_eq!(
            warnings(b"#cloud-config-archive\n- content: x\n"),
            ["user-data: #cloud-config-archive: not supported yet, ignored"]
        );
        assert_eq!(
            warnings(b"#cloud-config-jsonp\n[]\n"),
            ["user-data: #cloud-config-jsonp: not supported, ignored"]
        );
        assert_eq!(
            warnings(b"#part-handler\ndef list_types(): pass\n"),
            ["user-data: part handler ignored: egret runs no part handlers"]
        );
        let ign = b" {\"ignition\": {\"version\": \"3.4.0\"}}";
        assert_eq!(
            split(ign, "user-data").unwrap().pieces,
            [Piece::Ignition {
                body: ign.to_vec(),
                name: "user-data".into()
            }]
        );
        assert_eq!(
            warnings(b"{\"users\": []}\n"),
            ["user-data: unrecognised user-data (first line \"{\\\"users\\\": []}\") ignored"]
        );
        assert_eq!(
            warnings(b"hostname: x\r\n"),
            ["user-data: unrecognised user-data (first line \"hostname: x\") ignored"]
        );
        assert_eq!(
            warnings(b"\x01\xff 01234567890123456789012345678901234567890123456789012345678901234\nsecret"),
            ["user-data: unrecognised user-data (first line \"\\x01\\xff 0123456789012345678901234567890123456789012345678901234567890...\") ignored"]
        );
    }

    #[test]
    fn jinja_is_an_error() {
        for doc in [
            &b"## template: jinja\n#cloud-config\n"[..],
            b"##template:jinja\n",
            b"## Template:  JINJA \r\n#cloud-config\n",
            b"\xef\xbb\xbf## template: jinja\n",
        ] {
            assert_eq!(split(doc, "user-data"), Err(Error::Jinja), "{doc:?}");
        }
        // Not on the first line, or another engine: not jinja.
        assert_eq!(
            pieces(b"#cloud-config\n## template: jinja\n"),
            vec![cc("#cloud-config\n## template: jinja\n", "user-data")]
        );
        assert_eq!(
            warnings(b"## template: basic\n"),
            ["user-data: unrecognised user-data (first line \"## template: basic\") ignored"]
        );
        let m = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/jinja2\n\n{{ x }}\n--b--\n";
        assert_eq!(split(m.as_bytes(), "user-data"), Err(Error::Jinja));
        assert_eq!(
            Error::Jinja.to_string(),
            "`## template: jinja` user-data is not supported (egret renders no templates)"
        );
    }

    #[test]
    fn make_mime_output() {
        assert_eq!(
            pieces(MAKE_MIME.as_bytes()),
            vec![
                cc("#cloud-config\nhostname: egret\n", "config.yaml"),
                script("#!/bin/sh\necho hi\n", "script.sh"),
            ]
        );
    }

    #[test]
    fn mime_part_types_and_order() {
        let m = "\
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/x-shellscript-per-boot

#!/bin/sh
echo 1
--b
Content-Type: text/cloud-boothook

#cloud-boothook
echo 2
--b
Content-Type: text/plain

#cloud-config
a: 1
--b
Content-Type: text/x-include-url

http://example.invalid/
--b
Content-Type: text/part-handler
Content-Disposition: attachment; filename=\"h.py\"

def x(): pass
--b
Content-Type: text/cloud-config-archive

- a
--b
Content-Type: text/cloud-config-jsonp

[]
--b
Content-Type: image/png

x
--b

#!/bin/sh
echo 3
--b
Content-Type: text/x-shellscript

#cloud-config
b: 2
--b
Content-Type: application/octet-stream

stuff
--b--
";
        let s = split(m.as_bytes(), "user-data").unwrap();
        assert_eq!(
            s.pieces,
            vec![
                script("#!/bin/sh\necho 1", "part-001"),
                boothook("#cloud-boothook\necho 2", "part-002"),
                cc("#cloud-config\na: 1", "user-data"),
                script("#!/bin/sh\necho 3", "part-009"),
                cc("#cloud-config\nb: 2", "user-data"),
            ]
        );
        assert_eq!(
            s.warnings,
            [
                "user-data part part-004: text/x-include-url ignored: egret fetches no URLs from user-data",
                "user-data part h.py: part handler ignored: egret runs no part handlers",
                "user-data part part-006: text/cloud-config-archive: not supported yet, ignored",
                "user-data part part-007: text/cloud-config-jsonp: not supported, ignored",
                "user-data part part-008: content type \"image/png\" is not supported, ignored",
                "user-data part part-011: unrecognised user-data (first line \"stuff\") ignored",
            ]
        );
    }

    #[test]
    fn mime_base64_part() {
        let m = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\
Content-Disposition: attachment; filename=\"../../etc/evil sh\"\n\nIyEvYmluL3NoCmVjaG8gaGkK\n--b--\n";
        assert_eq!(
            pieces(m.as_bytes()),
            vec![script("#!/bin/sh\necho hi\n", ".._.._etc_evilsh")]
        );
    }

    #[test]
    fn single_part_mime() {
        let m = b"MIME-Version: 1.0\nContent-Type: text/cloud-config\n\nhostname: x\n";
        assert_eq!(pieces(m), vec![cc("hostname: x\n", "user-data")]);
    }

    #[test]
    fn gzip_top_level() {
        // `printf '#cloud-config\nhostname: egret\n' | gzip -9 -n`
        let real = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x53, 0x4e, 0xce, 0xc9,
            0x2f, 0x4d, 0xd1, 0x4d, 0xce, 0xcf, 0x4b, 0xcb, 0x4c, 0xe7, 0xca, 0xc8, 0x2f, 0x2e,
            0xc9, 0x4b, 0xcc, 0x4d, 0xb5, 0x52, 0x48, 0x4d, 0x2f, 0x4a, 0x2d, 0xe1, 0x02, 0x00,
            0x09, 0xed, 0x11, 0xcd, 0x1e, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            pieces(&real),
            vec![cc("#cloud-config\nhostname: egret\n", "user-data")]
        );
        // A corrupt one is an error with its position.
        let mut bad = real;
        bad[43] ^= 1;
        assert_eq!(
            split(&bad, "user-data"),
            Err(Error::Gzip(gzip::Error::CrcMismatch { offset: 42 }))
        );
        assert_eq!(
            Error::from(gzip::Error::CrcMismatch { offset: 42 }).to_string(),
            "gzip user-data: gzip CRC-32 mismatch at byte 42"
        );
    }

    #[test]
    fn nested_gzip_mime_gzip() {
        let inner = gz(b"#!/bin/sh\necho inner\n");
        let mut m = b"Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\n--b\n\
Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64\n\
Content-Disposition: attachment; filename=\"run.sh\"\n\n"
            .to_vec();
        m.extend_from_slice(base64::encode(&inner).as_bytes());
        m.extend_from_slice(
            b"\n--b\nContent-Type: text/cloud-config\n\n#cloud-config\nz: 1\n--b--\n",
        );
        assert_eq!(
            pieces(&gz(&m)),
            vec![
                script("#!/bin/sh\necho inner\n", "run.sh"),
                cc("#cloud-config\nz: 1", "user-data"),
            ]
        );
    }

    #[test]
    fn nesting_cap() {
        let mut doc = b"#cloud-config\n".to_vec();
        for _ in 0..MAX_NESTING {
            doc = gz(&doc);
        }
        assert_eq!(pieces(&doc), vec![cc("#cloud-config\n", "user-data")]);
        assert_eq!(split(&gz(&doc), "user-data"), Err(Error::TooDeep));
        assert_eq!(
            Error::TooDeep.to_string(),
            "user-data nests gzip and MIME too deeply"
        );
    }

    #[test]
    fn inflate_budget_is_shared() {
        // Two parts of 9 MiB each: each fits, together they do not.
        let big = {
            let mut v = b"#cloud-config\n".to_vec();
            v.resize(9 << 20, b'#');
            gz(&v)
        };
        assert_eq!(split(&big, "user-data").unwrap().pieces.len(), 1);
        let mut m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: application/gzip\nContent-Transfer-Encoding: base64\n\n"
            .to_vec();
        m.extend_from_slice(base64::encode(&big).as_bytes());
        m.extend_from_slice(b"\n--b\nContent-Transfer-Encoding: base64\n\n");
        m.extend_from_slice(base64::encode(&big).as_bytes());
        m.extend_from_slice(b"\n--b--\n");
        assert_eq!(split(&m, "user-data"), Err(Error::TooLarge));
        assert_eq!(
            Error::TooLarge.to_string(),
            "user-data inflates to more than 16 MiB"
        );
    }

    #[test]
    fn mime_errors_keep_their_line() {
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\nIyEv\n!!!!\n--b--\n";
        let e = split(m, "user-data").unwrap_err();
        assert_eq!(
            e,
            Error::Mime(mime::Error {
                line: 8,
                kind: mime::ErrorKind::Base64(base64::Error::BadByte { offset: 5 }),
            })
        );
        assert_eq!(
            e.to_string(),
            "MIME user-data: line 8: part body is not valid base64"
        );
        let m = b"Content-Type: multipart/mixed\n\n";
        assert_eq!(
            split(m, "user-data"),
            Err(Error::Mime(mime::Error {
                line: 1,
                kind: mime::ErrorKind::NoBoundary
            }))
        );
        assert_eq!(
            Error::from(base64::Error::Truncated).to_string(),
            "base64 user-data: base64 text ends in the middle of a byte"
        );
    }

    #[test]
    fn clean_names() {
        assert_eq!(
            clean_filename("config.yaml").as_deref(),
            Some("config.yaml")
        );
        assert_eq!(
            clean_filename("a/b c(1)-x_y").as_deref(),
            Some("a_bc(1)-x_y")
        );
        assert_eq!(clean_filename(".."), None);
        assert_eq!(clean_filename("\n\t é"), None);
        // Non-ASCII is dropped whole and not counted; at most 128 kept.
        assert_eq!(clean_filename("é.a€b").as_deref(), Some(".ab"));
        let long = "é/".repeat(200);
        assert_eq!(clean_filename(&long), Some("_".repeat(128)));
    }

    #[test]
    fn truncated_mime_never_panics() {
        let m = MAKE_MIME.as_bytes();
        for len in 0..=m.len() {
            let _ = split(&m[..len], "user-data");
        }
        let g = gz(m);
        for len in 0..g.len() {
            assert!(matches!(
                split(&g[..len], "user-data"),
                Err(Error::Gzip(_)) | Ok(_)
            ));
        }
    }
}
