//! OpenSSH key text: writing an Ed25519 host key pair in the exact bytes
//! `ssh-keygen -t ed25519 -N ''` produces, and validating `authorized_keys`
//! lines before they are written into a user's home.
//!
//! Owns: the `openssh-key-v1` private key file (unencrypted), the one-line
//! public key file, and the shape check of public key lines (options, key
//! type, base64 blob whose embedded type and fields match, comment).
//!
//! Must never: write files (callers do, with mode 0600 for the private key),
//! log key material, or accept a line that would put more than one line (or
//! a key of a different type than it claims) into `authorized_keys`.
//!
//! Base64 is implemented here (standard alphabet, padded) because both
//! directions are needed and are a few lines each.

use alloc::string::String;
use alloc::vec::Vec;
use ed25519_compact::{KeyPair, Seed};

/// Why a key pair could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The kernel's random source failed.
    Random,
    /// The seed is all zeros, which the Ed25519 implementation refuses
    /// (it only happens with a broken random source or a bad test seed).
    WeakSeed,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Random => "no random bytes available for an SSH host key",
            Error::WeakSeed => "all-zero Ed25519 seed refused",
        })
    }
}

/// An SSH host key pair as the two files `ssh-keygen` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct HostKey {
    /// Contents of the private key file, e.g. `ssh_host_ed25519_key`
    /// (`-----BEGIN OPENSSH PRIVATE KEY-----\n...-----END OPENSSH PRIVATE KEY-----\n`).
    pub private: String,
    /// Contents of the `.pub` file: `ssh-ed25519 AAAA... comment\n`.
    pub public: String,
}

const KEY_TYPE: &str = "ssh-ed25519";
const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
const END: &str = "-----END OPENSSH PRIVATE KEY-----\n";
/// ssh-keygen wraps the private key's base64 at 70 columns.
const WRAP: usize = 70;
/// The "none" cipher's block size, to which the private section is padded.
const BLOCK: usize = 8;

/// Generates a fresh Ed25519 host key with `comment` (e.g. `root@host`).
pub fn generate_ed25519(comment: &str) -> Result<HostKey, Error> {
    let mut random = [0u8; 36];
    getrandom::fill(&mut random).map_err(|_| Error::Random)?;
    let (seed, check) = random.split_first_chunk::<32>().ok_or(Error::Random)?;
    let check = check.first_chunk::<4>().ok_or(Error::Random)?;
    ed25519_from_seed(*seed, comment, u32::from_be_bytes(*check))
}

/// Builds the key files for `seed` deterministically. `checkint` is the random
/// value OpenSSH stores twice in the private section to detect a wrong
/// passphrase; it is only an input here so tests can reproduce ssh-keygen's
/// output byte for byte.
///
/// Control characters in `comment` are dropped: a newline there would add a
/// line to the `.pub` file.
pub fn ed25519_from_seed(seed: [u8; 32], comment: &str, checkint: u32) -> Result<HostKey, Error> {
    let pair = KeyPair::try_from_seed(Seed::new(seed)).map_err(|_| Error::WeakSeed)?;
    let pk: &[u8] = pair.pk.as_ref();
    let comment: String = comment.chars().filter(|c| !c.is_control()).collect();

    let mut public_blob = Vec::with_capacity(51);
    put_string(&mut public_blob, KEY_TYPE.as_bytes());
    put_string(&mut public_blob, pk);

    let mut secret = Vec::with_capacity(64);
    secret.extend_from_slice(&seed);
    secret.extend_from_slice(pk);

    let mut private = Vec::with_capacity(160 + comment.len());
    private.extend_from_slice(&checkint.to_be_bytes());
    private.extend_from_slice(&checkint.to_be_bytes());
    put_string(&mut private, KEY_TYPE.as_bytes());
    put_string(&mut private, pk);
    put_string(&mut private, &secret);
    put_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while private.len() % BLOCK != 0 {
        private.push(pad);
        pad = pad.wrapping_add(1);
    }

    let mut file = Vec::with_capacity(256 + comment.len());
    file.extend_from_slice(b"openssh-key-v1\0");
    put_string(&mut file, b"none"); // cipher
    put_string(&mut file, b"none"); // kdf
    put_string(&mut file, b""); // kdf options
    file.extend_from_slice(&1u32.to_be_bytes()); // number of keys
    put_string(&mut file, &public_blob);
    put_string(&mut file, &private);

    let encoded = base64_encode(&file);
    let mut private_text = String::with_capacity(encoded.len() + encoded.len() / WRAP + 80);
    private_text.push_str(BEGIN);
    for line in encoded.as_bytes().chunks(WRAP) {
        // The base64 output is ASCII, so every chunk is a whole str.
        private_text.extend(line.iter().map(|b| char::from(*b)));
        private_text.push('\n');
    }
    private_text.push_str(END);

    let mut public = String::with_capacity(100 + comment.len());
    public.push_str(KEY_TYPE);
    public.push(' ');
    public.push_str(&base64_encode(&public_blob));
    // ssh-keygen writes the separating space even for an empty comment.
    public.push(' ');
    public.push_str(&comment);
    public.push('\n');

    Ok(HostKey {
        private: private_text,
        public,
    })
}

/// One validated `authorized_keys` line, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey<'a> {
    /// The options field (`no-pty,command="..."`), as written.
    pub options: Option<&'a str>,
    /// The key type, e.g. `ssh-ed25519`.
    pub kind: &'a str,
    /// The base64 key blob.
    pub blob: &'a str,
    /// Everything after the blob, trimmed; `None` when empty.
    pub comment: Option<&'a str>,
}

/// Key types sshd accepts in `authorized_keys`, without certificates.
const PLAIN_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
];
const CERT_SUFFIX: &str = "-cert-v01@openssh.com";

/// Whether `kind` is a key type we accept: a plain type, or its certificate
/// form (`ssh-ed25519-cert-v01@openssh.com`,
/// `sk-ssh-ed25519-cert-v01@openssh.com`, ...).
fn known_type(kind: &str) -> bool {
    if PLAIN_TYPES.contains(&kind) {
        return true;
    }
    let Some(stem) = kind.strip_suffix(CERT_SUFFIX) else {
        return false;
    };
    PLAIN_TYPES
        .iter()
        .any(|t| *t == stem || t.strip_suffix("@openssh.com") == Some(stem))
}

/// Validates one `authorized_keys` line (as sshd reads it) and splits it.
///
/// Returns `None` for empty lines, `#` comments, unknown key types, a blob
/// that is not base64 or whose embedded type or fields do not match the key
/// type, an unterminated quote or malformed option in the options field, and
/// for any line holding a line break or NUL inside it.
pub fn parse_public_line(line: &str) -> Option<PublicKey<'_>> {
    let line = trim_end_by(line, |b| matches!(b, b'\n' | b'\r'));
    if line.bytes().any(|b| matches!(b, b'\n' | b'\r' | b'\0')) {
        return None;
    }
    let line = trim_blanks(line);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (first, rest) = split_word(line);
    let (options, kind, rest) = if known_type(first) {
        (None, first, rest)
    } else {
        // Like sshd: what is not a key type must be options, then a key.
        let (options, rest) = split_options(line)?;
        if !valid_options(options) {
            return None;
        }
        let (kind, rest) = split_word(rest);
        if !known_type(kind) {
            return None;
        }
        (Some(options), kind, rest)
    };
    let (blob, rest) = split_word(rest);
    let decoded = base64_decode(blob)?;
    if !blob_matches(kind, &decoded) {
        return None;
    }
    let comment = trim_blanks(rest);
    Some(PublicKey {
        options,
        kind,
        blob,
        comment: (!comment.is_empty()).then_some(comment),
    })
}

/// The first space/tab-delimited word and the rest after the whitespace.
fn split_word(s: &str) -> (&str, &str) {
    match s.bytes().position(is_blank) {
        Some(i) => s
            .split_at_checked(i)
            .map_or((s, ""), |(w, r)| (w, trim_blanks_start(r))),
        None => (s, ""),
    }
}

// Byte loops for the blanks (space, tab) around words, rather than core's
// char-pattern trims.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_blanks_start(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| is_blank(b)).count();
    s.get(n..).unwrap_or_default()
}

fn trim_end_by(s: &str, drop: fn(u8) -> bool) -> &str {
    let n = s.bytes().rev().take_while(|&b| drop(b)).count();
    s.get(..s.len() - n).unwrap_or_default()
}

fn trim_blanks(s: &str) -> &str {
    trim_end_by(trim_blanks_start(s), is_blank)
}

/// Splits off the options field the way sshd's
/// `sshkey_advance_past_options` does: it ends at the first space or tab
/// outside double quotes, and `\"` never toggles quoting.
fn split_options(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !quoted && (b == b' ' || b == b'\t') {
            break;
        }
        if b == b'\\' && bytes.get(i + 1) == Some(&b'"') {
            i += 1;
        } else if b == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    if quoted {
        return None;
    }
    let (options, rest) = s.split_at_checked(i)?;
    Some((options, trim_blanks_start(rest)))
}

/// Checks the options field is a comma list of `name` or `name="value"`,
/// which is the only syntax sshd's option parser accepts.
fn valid_options(options: &str) -> bool {
    let bytes = options.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        {
            i += 1;
        }
        if i == start {
            return false;
        }
        if bytes.get(i) == Some(&b'=') {
            if bytes.get(i + 1) != Some(&b'"') {
                return false;
            }
            i += 2;
            loop {
                match bytes.get(i) {
                    None => return false,
                    Some(b'\\') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
        }
        match bytes.get(i) {
            None => return true,
            Some(b',') => i += 1,
            Some(_) => return false,
        }
    }
}

/// Whether the decoded blob starts with `kind` and, for plain keys, holds
/// exactly the fields that key type has (so a truncated paste is caught).
fn blob_matches(kind: &str, blob: &[u8]) -> bool {
    let mut fields = Fields(blob);
    if fields.next() != Some(Some(kind.as_bytes())) {
        return false;
    }
    if kind.ends_with(CERT_SUFFIX) {
        // Certificates carry integers and nested blobs; the type and a
        // nonce are enough to tell a certificate from a mislabelled key.
        return matches!(fields.next(), Some(Some(_)));
    }
    let mut rest = Vec::with_capacity(4);
    for field in fields {
        match field {
            Some(f) => rest.push(f),
            None => return false,
        }
    }
    let ecdsa_curve =
        |curve: &[u8]| kind.strip_prefix("ecdsa-sha2-").map(str::as_bytes) == Some(curve);
    // By kind first: one comparison of the type per key, not per shape.
    let rest = rest.as_slice();
    match kind {
        "ssh-ed25519" => matches!(rest, [pk] if pk.len() == 32),
        "sk-ssh-ed25519@openssh.com" => matches!(rest, [pk, _application] if pk.len() == 32),
        "ssh-rsa" => matches!(rest, [_e, _n]),
        "ssh-dss" => matches!(rest, [_p, _q, _g, _y]),
        "sk-ecdsa-sha2-nistp256@openssh.com" => {
            matches!(rest, [curve, _q, _application] if *curve == b"nistp256")
        }
        _ => matches!(rest, [curve, _q] if ecdsa_curve(curve)),
    }
}

/// Iterates SSH wire strings (u32 big-endian length, bytes); yields
/// `Some(None)` once, then stops, when a length runs past the end.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Option<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let parsed = self.0.split_first_chunk::<4>().and_then(|(len, rest)| {
            let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
            rest.split_at_checked(len)
        });
        match parsed {
            Some((field, rest)) => {
                self.0 = rest;
                Some(Some(field))
            }
            None => {
                self.0 = &[];
                Some(None)
            }
        }
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    // Every string here is a key part or a host name far below 4 GiB.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s);
}

/// OpenSSH blobs are strict standard base64: whole quads, padding only at
/// the end, no whitespace or URL-safe letters. The shared decoder is more
/// lenient (whitespace, `-_`), so the extra rules are checked first.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let body = s.trim_end_matches('=');
    if s.is_empty() || s.len() % 4 != 0 || s.len() - body.len() > 2 || !body.bytes().all(alphabet) {
        return None;
    }
    crate::text::base64::decode(s.as_bytes()).ok()
}

fn base64_encode(data: &[u8]) -> String {
    crate::text::base64::encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, slot) in out.iter_mut().enumerate() {
            let pair = s.get(i * 2..i * 2 + 2).unwrap_or("00");
            *slot = u8::from_str_radix(pair, 16).unwrap_or(0);
        }
        out
    }

    fn key(seed: &str, comment: &str, check: u32) -> HostKey {
        match ed25519_from_seed(hex32(seed), comment, check) {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        }
    }

    // Fixtures from `ssh-keygen -t ed25519 -N '' -C COMMENT -f x` (OpenSSH
    // 9.2p1); seed and checkint were read back out of the private file.
    #[test]
    fn reproduces_ssh_keygen_test() {
        let k = key(
            "30daff70ebfa3655a0fd2f207c99fa53ffa8e801b09a2ff5af35f9bfd44ffe4e",
            "test",
            0x9369ea4e,
        );
        assert_eq!(
            k.private,
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\
             b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
             QyNTUxOQAAACA5DvjRgvhSf7PIXs3ZegopEQdeLYiymTHtNx0nS6dheQAAAIiTaepOk2nq\n\
             TgAAAAtzc2gtZWQyNTUxOQAAACA5DvjRgvhSf7PIXs3ZegopEQdeLYiymTHtNx0nS6dheQ\n\
             AAAEAw2v9w6/o2VaD9LyB8mfpT/6joAbCaL/WvNfm/1E/+TjkO+NGC+FJ/s8hezdl6CikR\n\
             B14tiLKZMe03HSdLp2F5AAAABHRlc3QB\n\
             -----END OPENSSH PRIVATE KEY-----\n"
        );
        assert_eq!(
            k.public,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDkO+NGC+FJ/s8hezdl6CikRB14tiLKZMe03HSdLp2F5 test\n"
        );
    }

    #[test]
    fn reproduces_ssh_keygen_empty_comment() {
        let k = key(
            "c210241f57c46e8c941739b13705a64a2a005feea2cef670388034b9b0ed8450",
            "",
            0x1d86ab40,
        );
        assert_eq!(
            k.private,
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\
             b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
             QyNTUxOQAAACBz5Edvx+5tNNYjAnVg8BCJcY4/bFvjCcqIN+bIJcx4OgAAAIgdhqtAHYar\n\
             QAAAAAtzc2gtZWQyNTUxOQAAACBz5Edvx+5tNNYjAnVg8BCJcY4/bFvjCcqIN+bIJcx4Og\n\
             AAAEDCECQfV8RujJQXObE3BaZKKgBf7qLO9nA4gDS5sO2EUHPkR2/H7m001iMCdWDwEIlx\n\
             jj9sW+MJyog35sglzHg6AAAAAAECAwQF\n\
             -----END OPENSSH PRIVATE KEY-----\n"
        );
        assert_eq!(
            k.public,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPkR2/H7m001iMCdWDwEIlxjj9sW+MJyog35sglzHg6 \n"
        );
    }

    #[test]
    fn reproduces_ssh_keygen_long_comment() {
        let comment =
            "a very long comment that makes the private key longer than usual, for wrapping";
        let k = key(
            "5920c335915111c2c47d05a63047a03dbb7921b93a75f900ad78eb8fe4007665",
            comment,
            0xd7807c30,
        );
        assert_eq!(
            k.private,
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\
             b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
             QyNTUxOQAAACBaCoUilTjslyFYU7ZnRyVok+O4c+F2C9oTqYM6v/2MkQAAANjXgHww14B8\n\
             MAAAAAtzc2gtZWQyNTUxOQAAACBaCoUilTjslyFYU7ZnRyVok+O4c+F2C9oTqYM6v/2MkQ\n\
             AAAEBZIMM1kVERwsR9BaYwR6A9u3khuTp1+QCteOuP5AB2ZVoKhSKVOOyXIVhTtmdHJWiT\n\
             47hz4XYL2hOpgzq//YyRAAAATmEgdmVyeSBsb25nIGNvbW1lbnQgdGhhdCBtYWtlcyB0aG\n\
             UgcHJpdmF0ZSBrZXkgbG9uZ2VyIHRoYW4gdXN1YWwsIGZvciB3cmFwcGluZwECAwQFBgc=\n\
             -----END OPENSSH PRIVATE KEY-----\n"
        );
        assert_eq!(
            k.public,
            format!(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFoKhSKVOOyXIVhTtmdHJWiT47hz4XYL2hOpgzq//YyR {comment}\n"
            )
        );
    }

    #[test]
    fn comment_control_characters_dropped() {
        let seed = "30daff70ebfa3655a0fd2f207c99fa53ffa8e801b09a2ff5af35f9bfd44ffe4e";
        let k = key(seed, "te\nst\r", 0x9369ea4e);
        assert_eq!(k, key(seed, "test", 0x9369ea4e));
        assert_eq!(k.public.matches('\n').count(), 1);
    }

    #[test]
    fn zero_seed_refused() {
        assert_eq!(ed25519_from_seed([0; 32], "x", 1), Err(Error::WeakSeed));
    }

    #[test]
    fn generated_keys_differ_and_parse() {
        let (Ok(a), Ok(b)) = (generate_ed25519("root@host"), generate_ed25519("root@host")) else {
            panic!("generate_ed25519 failed")
        };
        assert_ne!(a.private, b.private);
        assert!(a.private.starts_with(BEGIN) && a.private.ends_with(END));
        assert!(a.private.lines().all(|l| l.len() <= WRAP));
        let Some(p) = parse_public_line(&a.public) else {
            panic!("own public key rejected")
        };
        assert_eq!(p.kind, "ssh-ed25519");
        assert_eq!(p.comment, Some("root@host"));
        // The private file embeds the same public blob.
        let body: String = a
            .private
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let Some(file) = base64_decode(&body) else {
            panic!("private key is not base64")
        };
        let Some(blob) = base64_decode(p.blob) else {
            panic!("public blob is not base64")
        };
        assert!(file.windows(blob.len()).any(|w| w == blob.as_slice()));
    }

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc";
    const ED_BLOB: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc";

    // Real keys from ssh-keygen (OpenSSH 9.2p1); sk keys assembled from the
    // same public points, since making them needs a hardware token.
    const REAL: &[(&str, &str)] = &[
        ("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIHjNN9kQ9+dRdDz/hRQDBqnWFSYCMJ9wQYxoBf6bRM7k"),
        ("ssh-rsa", "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCyILIS/TymInXAnsOVE7d1MZvUCdS1pIiKr7+5ZVxM8BJjHm9ctOFh+g+UIB04R7NyZBG0V7jOGF3Y4MLbGVXz/SpR1I+GUMiXdtxarR4JYVFYriHBxn1jTg2RSPxR7qC5V8tZir2mmGLk6MHbHS9hQi6XyqYC2Fh38uydfr6adQ=="),
        ("ecdsa-sha2-nistp256", "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDhiF4RCltYofG8ZOlVkCJ11d35FCHDPGPRJeCokefikkmOFS5LJJ/W/gfyJA74eJzznU+zDvJy5crtPFdgA+rw="),
        ("ecdsa-sha2-nistp384", "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBBKjHqZpiCVTOXEGPRpBglDXTsUq9NFmDeoOxMeDtrbrD2DW1EwUUNqiIB+oXcQntoOwzpvfHPgRhzsYOfrofgZK695xBjOAIYU+K3Txtubq4xoQ5p8CrBYGE22+YjvfBA=="),
        ("ecdsa-sha2-nistp521", "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAD9dGctzetuUv3x8FOOqs5j3+rmrjjhbTa0h5YKcJKDLAJyNX+OcLpMOOvI5+d2yO0WB1GBdrpk7iioqI5yj2mp2gCBnAtVrCdGRp3Ozrg2r0ajuhY0pOXdG+FjXSu4VQOXgMkz44UUGCH01eUQURVl/QtxFvRLYBYcR0pz9hNWgb2/eA=="),
        ("ssh-dss", "AAAAB3NzaC1kc3MAAACBAIgRfvnY7Xc4TiE1NJpIV7KV4aAnhdwyJW1HSH0BSuvq1XFVjGsB9IEK1tNtpsZLFoCrNBVrteO3Dzzd7awA5owEQpToHkgYEd5XokCRhmjjbsMHalmc4kqWDaIhTVAlpiol3FNtvkN3oxEP24pvjzSQSsLHMdq3HcnvSSjj5APhAAAAFQCDZqutSaLEW5jcdhXAAngeyV6G1QAAAIA06PFy12f1ZvJZkUA7g7S2OexiD8ZkCfMmS4+ZdjfCdP+36ua7swJQFh6RJn7JhBHH3dNfzKEtsMdzD6ye80BFlQfgeSbJQD1ueoQlqiZIFOkHQIqgJFatA9k46reIMDsiJSYmvJFbnpJ50dbSKIdTbLNYa05zOHsNUd/OKvLeZgAAAIB8b2uq96JevedvsPLZl0RCttQd2QOg5wNfBnrAEfDmwB6kqrAj3MqgC4f+HREOs1NUfUymdJbJ87IagfrqqVwc4k9vxCbguUxwGeCUm1+FChwuXb97irIUmS0o+8UW+idONBNJX88hna+uqISIm/aZMa8pH4U1MukCu7JHdwUMIg=="),
        ("sk-ssh-ed25519@openssh.com", "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUcAAAABHNzaDo="),
        ("sk-ecdsa-sha2-nistp256@openssh.com", "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBDhiF4RCltYofG8ZOlVkCJ11d35FCHDPGPRJeCokefikkmOFS5LJJ/W/gfyJA74eJzznU+zDvJy5crtPFdgA+rwAAAAEc3NoOg=="),
        ("ssh-ed25519-cert-v01@openssh.com", "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIOYDQ4NlcGqruVB50mWUXTjHqpicHxbLwmlUQjMeiOxbAAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUcAAAAAAAAAAAAAAABAAAAAmlkAAAACAAAAARyb290AAAAAAAAAAD//////////wAAAAAAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIHjNN9kQ9+dRdDz/hRQDBqnWFSYCMJ9wQYxoBf6bRM7kAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEDnUkIzRHl40A4mK5CVeBuqpx6IHvco8JMR6ZDNc1WICuR+jcDI1Da/5UfJtckNW4OrwiQ/P8FmY180GxqTpBoL"),
    ];

    #[test]
    fn real_keys_of_each_type() {
        for (kind, blob) in REAL {
            let line = format!("{kind} {blob} me@laptop\n");
            assert_eq!(
                parse_public_line(&line),
                Some(PublicKey {
                    options: None,
                    kind,
                    blob,
                    comment: Some("me@laptop"),
                }),
                "{kind}"
            );
            // Without a comment, and with CRLF.
            let bare = format!("{kind} {blob}\r\n");
            assert_eq!(
                parse_public_line(&bare).map(|k| (k.kind, k.comment)),
                Some((*kind, None))
            );
        }
    }

    #[test]
    fn options_field() {
        let line = format!("command=\"echo a, b\",no-pty {ED} alice key");
        assert_eq!(
            parse_public_line(&line),
            Some(PublicKey {
                options: Some("command=\"echo a, b\",no-pty"),
                kind: "ssh-ed25519",
                blob: ED_BLOB,
                comment: Some("alice key"),
            })
        );
        let line =
            format!("from=\"10.0.0.0/8,!10.1.0.0/16\",environment=\"A=b c\",restrict,pty\t{ED}");
        assert_eq!(
            parse_public_line(&line).and_then(|k| k.options),
            Some("from=\"10.0.0.0/8,!10.1.0.0/16\",environment=\"A=b c\",restrict,pty")
        );
        let line = format!(r#"command="echo \"hi there\"" {ED}"#);
        assert_eq!(
            parse_public_line(&line).and_then(|k| k.options),
            Some(r#"command="echo \"hi there\"""#)
        );
        let line = format!("cert-authority {ED}");
        assert_eq!(
            parse_public_line(&line).and_then(|k| k.options),
            Some("cert-authority")
        );
    }

    #[test]
    fn bad_options_rejected() {
        for opts in [
            "command=\"unterminated",
            "command=unquoted",
            "no-pty,",
            ",no-pty",
            "no pty",
            "command=\"a\"x",
            "bad!name",
            "=\"x\"",
        ] {
            let line = format!("{opts} {ED} c");
            assert_eq!(parse_public_line(&line), None, "{opts}");
        }
    }

    #[test]
    fn garbage_and_comments() {
        for line in [
            "",
            "   ",
            "\n",
            "# ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc",
            "  #comment",
            "hello world",
            "ssh-ed25519",
            "ssh-ed25519 ",
            "ssh-ed25519 not-base64!",
            "ssh-ed25519 AAAA",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUU",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkU=c",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc\nssh-rsa AAAA",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc a\rb",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc a\0b",
            "ssh-ed448 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc",
            "SSH-ED25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc",
            "no-pty",
            "no-pty ssh-foo AAAA",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ] {
            assert_eq!(parse_public_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn mismatched_or_malformed_blobs() {
        for line in [
            // An Ed25519 blob labelled as RSA.
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc x",
            // A plain key labelled as a certificate.
            "ssh-ed25519-cert-v01@openssh.com AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc",
            // Ed25519 point of 31 bytes.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHzlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUU=",
            // Trailing garbage byte after the point.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUcAA==",
            // nistp256 key type with a nistp384 curve name.
            "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAzODQAAABBBDhiF4RCltYofG8ZOlVkCJ11d35FCHDPGPRJeCokefikkmOFS5LJJ/W/gfyJA74eJzznU+zDvJy5crtPFdgA+rw=",
            // A valid ecdsa blob under the wrong ecdsa type.
            "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDhiF4RCltYofG8ZOlVkCJ11d35FCHDPGPRJeCokefikkmOFS5LJJ/W/gfyJA74eJzznU+zDvJy5crtPFdgA+rw=",
            // Length field larger than the blob.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAQDlIim68YoObT1nNU776KfX0ABVyseROKvqkth+wkUUc",
            // Type string length past the end.
            "ssh-ed25519 /////w==",
        ] {
            assert_eq!(parse_public_line(line), None, "{line}");
        }
    }

    #[test]
    fn whitespace_handling() {
        let line = format!("\t  {}\t \t{}  tabbed comment \t\n", "ssh-ed25519", ED_BLOB);
        assert_eq!(
            parse_public_line(&line),
            Some(PublicKey {
                options: None,
                kind: "ssh-ed25519",
                blob: ED_BLOB,
                comment: Some("tabbed comment"),
            })
        );
    }

    #[test]
    fn known_types() {
        for t in [
            "ssh-rsa-cert-v01@openssh.com",
            "ssh-dss-cert-v01@openssh.com",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com",
            "sk-ssh-ed25519-cert-v01@openssh.com",
            "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        ] {
            assert!(known_type(t), "{t}");
        }
        for t in [
            "",
            "-cert-v01@openssh.com",
            "ssh-ed25519@openssh.com",
            "sk-ssh-ed25519",
            "rsa-sha2-512",
        ] {
            assert!(!known_type(t), "{t}");
        }
    }

    #[test]
    fn base64_round_trip_and_strictness() {
        for (raw, enc) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"\xff\xfe\xfd", "//79"),
        ] {
            assert_eq!(base64_encode(raw), enc);
            if !raw.is_empty() {
                assert_eq!(base64_decode(enc).as_deref(), Some(raw));
            }
        }
        for bad in [
            "", "Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v=", "Zm9-", "Zm=v", "Zm 9v",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn error_display() {
        assert_eq!(
            Error::Random.to_string(),
            "no random bytes available for an SSH host key"
        );
        assert_eq!(Error::WeakSeed.to_string(), "all-zero Ed25519 seed refused");
    }
}
