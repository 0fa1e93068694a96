//! SHA-512 crypt (`$6$`), as glibc and libxcrypt compute it, and a check that a
//! string already is a crypt hash.
//!
//! Owns: turning a plain-text password (cloud-config `plain_text_passwd`,
//! `chpasswd`) into the `$6$salt$hash` string that goes into `/etc/shadow`, and
//! recognising strings that are hashes already (`passwd:`).
//!
//! Must never: log or keep a password, emit a string that could break a
//! shadow line (no `:`, no newline, no control byte), or spend unbounded time on
//! input (password length is capped; rounds are clamped to the spec's range).
//!
//! The algorithm follows Ulrich Drepper's "Unix crypt using SHA-256 and
//! SHA-512" specification byte for byte; SHA-512 comes from `ed25519-compact`,
//! which is linked anyway for the host key.

use alloc::string::String;
use alloc::vec::Vec;
use ed25519_compact::sha512::Hash;

/// A fresh SHA-512 state, out of line: `Hash::new` copies its 200-byte
/// initial state inline at every call (nine sites: -0.7 KiB).
#[inline(never)]
pub fn sha512() -> Hash {
    Hash::new()
}

/// The crypt alphabet, in the order its base64 variant assigns values.
const ALPHABET: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Rounds used when none are asked for; then no `rounds=` field is emitted.
pub const DEFAULT_ROUNDS: u32 = 5000;
/// Smallest round count the spec allows; smaller requests are raised to it.
pub const MIN_ROUNDS: u32 = 1000;
/// Largest round count the spec allows; larger requests are lowered to it.
pub const MAX_ROUNDS: u32 = 999_999_999;
/// The spec keeps at most 16 salt characters.
pub const MAX_SALT: usize = 16;
/// Longest password accepted. Hashing cost grows with the square of the
/// password length (the P sequence hashes the password once per byte), and
/// libxcrypt refuses passphrases of `CRYPT_MAX_PASSPHRASE_SIZE` (512) bytes or
/// more, so such a password could never be used to log in anyway.
pub const MAX_PASSWORD: usize = 511;

/// Why a password could not be hashed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The kernel's random source failed, so no salt could be made.
    Random,
    /// The password is longer than [`MAX_PASSWORD`] bytes.
    TooLong,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Random => "no random bytes available for a password salt",
            Error::TooLong => "password longer than 511 bytes",
        })
    }
}

/// Hashes `password` with a fresh random 16-character salt and the default
/// 5000 rounds, giving `$6$salt$hash` exactly as `openssl passwd -6` or
/// `mkpasswd -m sha-512` would.
pub fn hash_password(password: &[u8]) -> Result<String, Error> {
    let mut random = [0u8; MAX_SALT];
    getrandom::fill(&mut random).map_err(|_| Error::Random)?;
    // 256 is a multiple of 64, so keeping the low six bits of a uniform byte
    // gives a uniform alphabet index: no rejection sampling needed.
    for b in &mut random {
        *b = alphabet(*b);
    }
    sha512_crypt(password, &random, None)
}

/// Computes glibc's `$6$` crypt of `password` with `salt`.
///
/// The salt ends at its first `$` (as in glibc) and at its first byte that
/// could not sit in a shadow field (`:`, whitespace, control and non-ASCII
/// bytes; glibc would copy those verbatim into a broken line), and is cut to
/// 16 bytes. `rounds` is clamped to 1000..=999_999_999; `rounds=N$` appears in
/// the output only when `rounds` is given, even if it equals the default.
pub fn sha512_crypt(password: &[u8], salt: &[u8], rounds: Option<u32>) -> Result<String, Error> {
    if password.len() > MAX_PASSWORD {
        return Err(Error::TooLong);
    }
    let salt_len = salt
        .iter()
        .take(MAX_SALT)
        .position(|b| !(0x21..=0x7e).contains(b) || *b == b'$' || *b == b':')
        .unwrap_or(salt.len().min(MAX_SALT));
    let (salt, _) = salt.split_at_checked(salt_len).unwrap_or((salt, &[]));
    let rounds_n = rounds.map_or(DEFAULT_ROUNDS, |r| r.clamp(MIN_ROUNDS, MAX_ROUNDS));
    let key = password;

    // Digest B: key, salt, key.
    let mut b = sha512();
    b.update(key);
    b.update(salt);
    b.update(key);
    let alt = b.finalize();

    // Digest A: key, salt, then B stretched over the key length, then B or
    // the key chosen by the bits of the key length.
    let mut a = sha512();
    a.update(key);
    a.update(salt);
    update_repeated(&mut a, &alt, key.len());
    let mut bits = key.len();
    while bits > 0 {
        if bits & 1 == 1 {
            a.update(&alt[..]);
        } else {
            a.update(key);
        }
        bits >>= 1;
    }
    let mut result = a.finalize();

    // P sequence: the digest of the key repeated once per key byte, stretched
    // to the key length.
    let mut dp = sha512();
    for _ in 0..key.len() {
        dp.update(key);
    }
    let p = stretch(&dp.finalize(), key.len());

    // S sequence: the digest of the salt repeated 16 + A[0] times, stretched
    // to the salt length.
    let mut ds = sha512();
    for _ in 0..16 + usize::from(result.first().copied().unwrap_or(0)) {
        ds.update(salt);
    }
    let s = stretch(&ds.finalize(), salt.len());

    for round in 0..rounds_n {
        let mut c = sha512();
        if round & 1 == 1 {
            c.update(p.as_slice());
        } else {
            c.update(&result[..]);
        }
        if round % 3 != 0 {
            c.update(s.as_slice());
        }
        if round % 7 != 0 {
            c.update(p.as_slice());
        }
        if round & 1 == 1 {
            c.update(&result[..]);
        } else {
            c.update(p.as_slice());
        }
        result = c.finalize();
    }

    let mut out = String::with_capacity(3 + 17 + MAX_SALT + 1 + 86);
    out.push_str("$6$");
    if rounds.is_some() {
        out.push_str("rounds=");
        push_decimal(&mut out, rounds_n);
        out.push('$');
    }
    // The salt was cut at the first non-printable-ASCII byte above.
    out.extend(salt.iter().map(|b| char::from(*b)));
    out.push('$');
    encode_digest(&mut out, &result);
    Ok(out)
}

/// Whether `s` already is a crypt hash (or a locked/disabled marker), so it
/// can be written into the shadow password field as is.
///
/// Accepts `$id$...` (`$6$`, `$5$`, `$y$`, `$2b$`, `$1$`, `$md5,rounds=N$`,
/// ...), traditional DES (13 crypt-alphabet characters), BSDi extended DES
/// (`_` and 19 characters), and anything starting with `!` or `*` (a locked
/// account, possibly with the old hash after the `!`). Never accepts a
/// string that would break a shadow line.
pub fn looks_hashed(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.is_empty()
        || bytes
            .iter()
            .any(|b| !(0x21..=0x7e).contains(b) || *b == b':')
    {
        return false;
    }
    match bytes.split_first() {
        Some((b'!' | b'*', _)) => true,
        Some((b'$', rest)) => {
            let Some((id, tail)) = rest
                .iter()
                .position(|b| *b == b'$')
                .and_then(|end| rest.split_at_checked(end))
            else {
                return false;
            };
            let tail = tail.get(1..).unwrap_or(&[]);
            !id.is_empty()
                && id.iter().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b',' || *b == b'='
                })
                && !tail.is_empty()
                && tail
                    .iter()
                    .all(|b| in_alphabet(*b) || matches!(b, b'$' | b'=' | b','))
        }
        Some((b'_', rest)) => rest.len() == 19 && rest.iter().all(|b| in_alphabet(*b)),
        _ => bytes.len() == 13 && bytes.iter().all(|b| in_alphabet(*b)),
    }
}

/// Whether `password` hashes to `hash` (a `$6$` SHA-512 crypt string), so a
/// plain-text password that is already set is not re-hashed with a new salt.
/// Other schemes answer `false` (egret then sets a fresh `$6$` hash).
pub fn verify(password: &[u8], hash: &str) -> bool {
    let Some(rest) = hash.strip_prefix("$6$") else {
        return false;
    };
    let (rounds, rest) = match rest.strip_prefix("rounds=").and_then(|r| r.split_once('$')) {
        Some((n, rest)) => match n.parse::<u32>() {
            Ok(n) => (Some(n), rest),
            Err(_) => return false,
        },
        None => (None, rest),
    };
    let Some((salt, _)) = rest.split_once('$') else {
        return false;
    };
    matches!(sha512_crypt(password, salt.as_bytes(), rounds), Ok(h) if h == hash)
}

fn in_alphabet(b: u8) -> bool {
    b == b'.' || b == b'/' || b.is_ascii_alphanumeric()
}

/// The alphabet character for the low six bits of `v`.
fn alphabet(v: u8) -> u8 {
    ALPHABET.get(usize::from(v & 0x3f)).copied().unwrap_or(b'.')
}

/// Feeds `len` bytes of `digest` repeated (whole copies, then a prefix).
fn update_repeated(h: &mut Hash, digest: &[u8; 64], len: usize) {
    let mut left = len;
    while left > 64 {
        h.update(&digest[..]);
        left -= 64;
    }
    h.update(digest.get(..left).unwrap_or(&[]));
}

/// `digest` repeated and cut to `len` bytes.
fn stretch(digest: &[u8; 64], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let n = (len - out.len()).min(digest.len());
        out.extend_from_slice(digest.get(..n).unwrap_or_default());
    }
    out
}

fn push_decimal(out: &mut String, mut n: u32) {
    let mut buf = [0u8; 10];
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(buf.iter().skip(start).map(|b| char::from(*b)));
}

/// The spec's base64 of the final digest: bytes taken three at a time in a
/// fixed permutation, each group written least significant six bits first.
fn encode_digest(out: &mut String, d: &[u8; 64]) {
    let at = |i: usize| u32::from(d.get(i).copied().unwrap_or(0));
    for i in 0..21 {
        let (x, y, z) = (at(i), at(i + 21), at(i + 42));
        let (b2, b1, b0) = match i % 3 {
            0 => (x, y, z),
            1 => (y, z, x),
            _ => (z, x, y),
        };
        push_b64(out, (b2 << 16) | (b1 << 8) | b0, 4);
    }
    push_b64(out, at(63), 2);
}

fn push_b64(out: &mut String, mut w: u32, n: usize) {
    for _ in 0..n {
        out.push(char::from(alphabet((w & 0x3f) as u8)));
        w >>= 6;
    }
}

/// SHA-256 (FIPS 180-4), for Ignition's `verification.hash`: written small
/// rather than fast, since it only checks inline contents.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    // The first 32 bits of the fractional parts of the cube roots of the
    // first 64 primes.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    // The message, a 1 bit, zeros, and its length in bits: whole blocks.
    let mut msg = Vec::with_capacity(data.len() + 72);
    msg.extend_from_slice(data);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&(data.len() as u64).wrapping_mul(8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks_exact(4).enumerate() {
            if let (Some(slot), Ok(b)) = (w.get_mut(i), <[u8; 4]>::try_from(c)) {
                *slot = u32::from_be_bytes(b);
            }
        }
        for i in 16..64usize {
            let at = |back: usize| w.get(i.wrapping_sub(back)).copied().unwrap_or(0);
            let (a, b) = (at(15), at(2));
            let s0 = a.rotate_right(7) ^ a.rotate_right(18) ^ (a >> 3);
            let s1 = b.rotate_right(17) ^ b.rotate_right(19) ^ (b >> 10);
            let next = at(16).wrapping_add(s0).wrapping_add(at(7)).wrapping_add(s1);
            if let Some(slot) = w.get_mut(i) {
                *slot = next;
            }
        }
        let mut v = h;
        for (k, w) in K.iter().zip(w) {
            let [a, b, c, d, e, f, g, hh] = v;
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(w);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            v = [
                t1.wrapping_add(s0).wrapping_add(maj),
                a,
                b,
                c,
                d.wrapping_add(t1),
                e,
                f,
                g,
            ];
        }
        for (x, y) in h.iter_mut().zip(v) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (o, x) in out.chunks_exact_mut(4).zip(h) {
        o.copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn crypt(pw: &str, salt: &str, rounds: Option<u32>) -> String {
        match sha512_crypt(pw.as_bytes(), salt.as_bytes(), rounds) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    // The SHA-512 vectors from Drepper's specification (checked against
    // libxcrypt's crypt(3) while writing this).
    #[test]
    fn spec_default_rounds() {
        assert_eq!(
            crypt("Hello world!", "saltstring", None),
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        );
    }

    #[test]
    fn spec_rounds_10000_salt_cut_to_16() {
        assert_eq!(
            crypt("Hello world!", "saltstringsaltstring", Some(10000)),
            "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."
        );
    }

    #[test]
    fn spec_rounds_5000_emitted_when_explicit() {
        assert_eq!(
            crypt("This is just a test", "toolongsaltstring", Some(5000)),
            "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"
        );
    }

    #[test]
    fn spec_rounds_1400_long_password() {
        assert_eq!(
            crypt(
                "a very much longer text to encrypt.  This one even stretches over morethan one line.",
                "anotherlongsaltstring",
                Some(1400)
            ),
            "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"
        );
    }

    #[test]
    fn spec_rounds_77777_short_salt() {
        assert_eq!(
            crypt("we have a short salt string but not a short password", "short", Some(77777)),
            "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"
        );
    }

    #[test]
    fn spec_rounds_123456_salt_of_16() {
        assert_eq!(
            crypt("a short string", "asaltof16chars..", Some(123456)),
            "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"
        );
    }

    #[test]
    fn spec_rounds_too_low_clamped() {
        assert_eq!(
            crypt("the minimum number is still observed", "roundstoolow", Some(10)),
            "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."
        );
    }

    #[test]
    fn matches_openssl_passwd() {
        // openssl passwd -6 -salt saltsalt password
        assert_eq!(
            crypt("password", "saltsalt", None),
            "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"
        );
    }

    #[test]
    fn matches_libxcrypt_edge_cases() {
        // python3 -c 'import crypt; print(crypt.crypt(PW, SALT))' (libxcrypt)
        assert_eq!(
            crypt("password", "saltsalt", Some(1000)),
            "$6$rounds=1000$saltsalt$Z/J9iYO1iE9xnr8JPQL57ZWsVRtVjrUv3CiWc/wKWseqXgSqn3HFYJ/Ng7YXa8XlLj.wpdAwHOJJzuGFqBBRa0"
        );
        assert_eq!(
            crypt("", "saltsalt", None),
            "$6$saltsalt$qkTgsCrWMTAS9gBGcf9W60sFfH.hU0oTCAOJjhbz5tSp/sU3/xXZK4OFwCtq8lIIdpJ6CatVdOTSHKp97TPkt/"
        );
        assert_eq!(
            crypt("password", "", None),
            "$6$$bLTg4cpho8PIUrjfsE7qlU08Qx2UEfw..xOc6I1wpGVtyVYToGrr7BzRdAAnEr5lYFr1Z9WcCf1xNZ1HG9qFW1"
        );
        assert_eq!(
            crypt("pässwörd", "ab/.XY09", None),
            "$6$ab/.XY09$YhAafxY.yIgidT/LpP1o1HORGY0nT23E2dzqs.mqxs1vOXGhC9osqQtNfh0jB1eMw0uHIsEh.UHcdIi0//.Hb1"
        );
    }

    #[test]
    fn salt_stops_at_dollar_and_unsafe_bytes() {
        let plain = crypt("password", "saltsalt", None);
        assert_eq!(crypt("password", "saltsalt$rest", None), plain);
        assert_eq!(crypt("password", "saltsalt:x", None), plain);
        assert_eq!(crypt("password", "saltsalt\nx", None), plain);
        assert_eq!(crypt("password", "saltsalt é", None), plain);
        assert_eq!(
            sha512_crypt(b"password", b"saltsalt\xff", None).as_deref(),
            Ok(plain.as_str())
        );
    }

    #[test]
    fn rounds_clamped_high() {
        // Only the emitted field is checked; running a billion rounds is not.
        let mut s = String::new();
        push_decimal(&mut s, MAX_ROUNDS);
        assert_eq!(s, "999999999");
        assert_eq!(u32::MAX.clamp(MIN_ROUNDS, MAX_ROUNDS), MAX_ROUNDS);
        let mut z = String::new();
        push_decimal(&mut z, 0);
        assert_eq!(z, "0");
    }

    #[test]
    fn password_length_cap() {
        let ok = [b'a'; MAX_PASSWORD];
        assert!(sha512_crypt(&ok, b"salt", Some(1000)).is_ok());
        let long = [b'a'; MAX_PASSWORD + 1];
        assert_eq!(sha512_crypt(&long, b"salt", None), Err(Error::TooLong));
        assert_eq!(hash_password(&long), Err(Error::TooLong));
    }

    #[test]
    fn hash_password_shape_and_salt() {
        let Ok(h) = hash_password(b"password") else {
            panic!("hash_password failed")
        };
        assert_eq!(h.len(), 3 + 16 + 1 + 86);
        assert!(h.starts_with("$6$"));
        assert!(looks_hashed(&h));
        let salt = h.get(3..19).unwrap_or("");
        assert!(salt.bytes().all(in_alphabet));
        assert_eq!(h.as_bytes().get(19), Some(&b'$'));
        // Same password and salt must give the same hash.
        assert_eq!(crypt("password", salt, None), h);
        let Ok(h2) = hash_password(b"password") else {
            panic!("hash_password failed")
        };
        assert_ne!(h, h2);
    }

    #[test]
    fn alphabet_mapping_is_total() {
        let all: Vec<u8> = (0..=255u8).map(alphabet).collect();
        for c in ALPHABET {
            assert_eq!(all.iter().filter(|b| *b == c).count(), 4);
        }
    }

    #[test]
    fn looks_hashed_accepts() {
        for s in [
            "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
            "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
            "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF/sHlr/.",
            "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
            "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m",
            "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
            "$md5,rounds=904$saltsalt$XXXXXXXXXXXXXXXXXXXXXX",
            "abJnggxhB/yWI",
            "_J9..CCCCXBrJUJV154M",
            "!",
            "*",
            "!!",
            "*LK*",
            "!$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2",
        ] {
            assert!(looks_hashed(s), "{s}");
        }
    }

    #[test]
    fn looks_hashed_rejects() {
        for s in [
            "",
            "password",
            "hunter2",
            "$6$",
            "$6",
            "$$salt$hash",
            "$6$salt hash",
            "$6$salt:hash",
            "$6$salt$ha\nsh",
            "$6$salt$hash!",
            "$X$salt$hash",
            "abJnggxhB/yW",
            "abJnggxhB/yWI1",
            "abJnggxhB/yW!",
            "_J9..CCCCXBrJUJV154",
            "! locked",
            "!:x",
            "correct horse",
        ] {
            assert!(!looks_hashed(s), "{s:?}");
        }
    }

    #[test]
    fn error_display() {
        assert_eq!(
            alloc::format!("{}", Error::Random),
            "no random bytes available for a password salt"
        );
        assert_eq!(
            alloc::format!("{}", Error::TooLong),
            "password longer than 511 bytes"
        );
    }

    #[test]
    fn verify_matches_only_the_same_password() {
        let h = hash_password(b"pw-1").unwrap();
        assert!(verify(b"pw-1", &h));
        assert!(!verify(b"pw-2", &h));
        let r = sha512_crypt(b"pw", b"saltsalt", Some(1400)).unwrap();
        assert!(verify(b"pw", &r));
        assert!(!verify(b"pw", "$5$x$y"));
        assert!(!verify(b"pw", "$6$rounds=x$s$h"));
        assert!(!verify(b"pw", "!"));
    }

    #[test]
    fn sha256_known_answers() {
        let hex = |d: [u8; 32]| {
            d.iter()
                .map(|b| alloc::format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(
            hex(sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Two blocks, and a length at the block boundary.
        assert_eq!(
            hex(sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(sha256(&[b'a'; 1000])),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
        );
    }
}
