//! Variables of a shell assignment file such as OpenNebula's `context.sh`.
//!
//! Owns the POSIX assignment subset: `NAME=value` built from unquoted words
//! (`\` escapes, backslash-newline continues the line), `'...'`, `"..."`,
//! `$NAME`/`${NAME}` from assignments earlier in the same file (unset: empty,
//! as `source` would see with a clean environment), `export NAME=value`,
//! `export NAME`, `;`, comments, blank lines. A `\r` right before `\n`
//! outside quotes is whitespace, so CRLF files read as their author meant.
//!
//! It must never execute anything: every construct that would run code or
//! depend on the shell's state (command and arithmetic substitution, `${X:-y}`
//! operators, `$1`/`$?`/..., `$'...'`, tilde expansion, redirections, pipes,
//! any command word) is refused with the line and byte column where it starts.
//!
//! Bounds: input over 1 MiB is refused, the whole file must be UTF-8 without
//! NUL (the first bad byte is reported), expansions may not grow the values
//! past 4 MiB, and the work spent looking names up is capped, so a hostile
//! file costs at most a few MiB and a fraction of a second.

use alloc::string::String;
use alloc::vec::Vec;

/// One assignment, in file order. Later assignments to the same name are kept too; use `get` for the last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub value: String,
}

/// Every assignment of a file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vars(pub Vec<Var>);

impl Vars {
    /// The value of the LAST assignment of `name`, like the shell.
    pub fn get(&self, name: &str) -> Option<&str> {
        last(&self.0, name).map(|v| v.value.as_str())
    }
}

/// The last of `vars` named `name`; shared by `get` and expansions.
fn last<'a>(vars: &'a [Var], name: &str) -> Option<&'a Var> {
    vars.iter().rev().find(|v| v.name == name)
}

/// Why and where (1-based line, 1-based byte column) a file was refused.
///
/// `what` is one of a fixed set of messages: input too large, NUL byte,
/// invalid UTF-8, unterminated quote, a refused expansion or operator, an
/// invalid name, a command word, a misplaced `;`, or a resource cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub what: &'static str,
    pub line: u32,
    pub col: u32,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.what)
    }
}

/// Largest input accepted; OpenNebula's files are a few KiB.
const MAX_INPUT: usize = 1 << 20;
/// Largest total of names and values: `A=$A$A` lines would otherwise double
/// memory per line.
const MAX_OUT: usize = 4 << 20;
/// Variables compared during lookups over the whole file; real files use a
/// tiny fraction, a hostile one would otherwise be quadratic.
const MAX_WORK: usize = 1 << 26;

/// Parses `input` without executing anything; see the module doc for the subset.
pub fn parse(input: &[u8]) -> Result<Vars, Error> {
    let mut p = P {
        s: input,
        i: 0,
        vars: Vec::new(),
        seen: 0,
        out: 0,
        work: 0,
    };
    p.commands()?;
    Ok(Vars(p.vars))
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    vars: Vec<Var>,
    /// How many of `vars` expansions see: `export A=1 B=$A` expands every
    /// operand before assigning any.
    seen: usize,
    /// Bytes of names and values produced so far.
    out: usize,
    /// Variables compared by lookups so far.
    work: usize,
}

fn name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl P<'_> {
    fn err(&self, what: &'static str, at: usize) -> Error {
        // Positions stay below `MAX_INPUT`, so neither count can overflow.
        let (mut line, mut col) = (1u32, 1u32);
        for &b in self.s.iter().take(at) {
            col += 1;
            if b == b'\n' {
                line += 1;
                col = 1;
            }
        }
        Error { what, line, col }
    }

    fn at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i.saturating_add(k)).copied()
    }

    /// The next byte after skipping line continuations, which the shell
    /// removes before it splits words (outside single quotes).
    fn peek(&mut self) -> Option<u8> {
        while self.at(0) == Some(b'\\') {
            match (self.at(1), self.at(2)) {
                (Some(b'\n'), _) => self.i += 2,
                (Some(b'\r'), Some(b'\n')) => self.i += 3,
                _ => break,
            }
        }
        self.at(0)
    }

    /// A `\r` right before `\n` outside quotes counts as a blank.
    fn crlf(&self, c: u8) -> bool {
        c == b'\r' && self.at(1) == Some(b'\n')
    }

    /// Whether `c`, the byte at `self.i`, ends a word outside quotes.
    fn ends_word(&self, c: u8) -> bool {
        matches!(c, b' ' | b'\t' | b'\n' | b';') || self.crlf(c)
    }

    fn name(&mut self) -> String {
        let mut n = String::new();
        while let Some(c) = self.peek() {
            if !name_char(c) || n.is_empty() && c.is_ascii_digit() {
                break;
            }
            n.push(char::from(c));
            self.i += 1;
        }
        n
    }

    /// Checks the whole file, then reads every simple command: assignments
    /// only, or `export` and its operands.
    #[inline(never)]
    fn commands(&mut self) -> Result<(), Error> {
        let s = self.s;
        if s.len() > MAX_INPUT {
            return Err(self.err("input larger than 1 MiB", 0));
        }
        if let Some(at) = s.iter().position(|&b| b == 0) {
            return Err(self.err("NUL byte", at));
        }
        if let Err(e) = core::str::from_utf8(s) {
            return Err(self.err("invalid UTF-8", e.valid_up_to()));
        }
        // Words of the current command, where it starts, and whether it is
        // `export`; a `;` needs a command before it, as in the shell.
        let (mut words, mut cmd, mut export) = (0usize, 0, false);
        loop {
            let c = self.peek();
            match c {
                Some(b' ' | b'\t') => self.i += 1,
                Some(c) if self.crlf(c) => self.i += 1,
                None | Some(b'\n' | b';' | b'#') => {
                    if export && words == 1 {
                        return Err(self.err("export without a name", cmd));
                    }
                    export = false;
                    self.seen = self.vars.len();
                    match c {
                        None => return Ok(()),
                        Some(b';') if words == 0 => return Err(self.err("unexpected ;", self.i)),
                        Some(b'#') => {
                            while self.at(0).is_some_and(|b| b != b'\n') {
                                self.i += 1;
                            }
                        }
                        _ => self.i += 1,
                    }
                    words = 0;
                }
                Some(_) => {
                    let start = self.i;
                    if words == 0 {
                        cmd = start;
                    }
                    words += 1;
                    let name = self.name();
                    let next = self.peek();
                    if !name.is_empty() && next == Some(b'=') {
                        self.i += 1;
                        let value = self.value(start)?;
                        self.out = self.out.saturating_add(name.len() + value.len());
                        self.vars.push(Var { name, value });
                        if !export {
                            self.seen = self.vars.len();
                        }
                    } else if !name.is_empty()
                        && next.is_none_or(|c| self.ends_word(c))
                        && (export || words == 1 && name == "export")
                    {
                        export = true;
                    } else {
                        return Err(self.refuse_word(start, export));
                    }
                }
            }
        }
    }

    fn refuse_word(&mut self, start: usize, mut export: bool) -> Error {
        self.i = start;
        while let Some(c) = self.at(0).filter(|&c| !self.ends_word(c)) {
            export |= c == b'=';
            self.i += 1;
        }
        self.err(
            if export {
                "invalid variable name"
            } else {
                "not an assignment (commands are refused)"
            },
            start,
        )
    }

    /// The value of the assignment at `start`, up to the end of its word.
    #[inline(never)]
    fn value(&mut self, start: usize) -> Result<String, Error> {
        let mut v = Vec::new();
        // Tilde expansion applies at the start and after each unquoted `:`.
        let mut tilde = true;
        // Where the open double quote is, while inside one.
        let mut open = None;
        loop {
            let quoted = open.is_some();
            // Inside double quotes `\` and newline stay apart (`\` + CR LF).
            let c = if quoted { self.at(0) } else { self.peek() };
            let at = self.i;
            let Some(c) = c else {
                if let Some(open) = open {
                    return Err(self.err("unterminated double quote", open));
                }
                break;
            };
            let was_tilde = core::mem::replace(&mut tilde, c == b':' && !quoted);
            let what = match c {
                b'"' => {
                    open = if quoted { None } else { Some(at) };
                    self.i += 1;
                    continue;
                }
                b'$' => {
                    self.dollar(&mut v, quoted)?;
                    continue;
                }
                b'`' => "command substitution is refused",
                // In double quotes `\` escapes only these; unquoted, any
                // byte, and one at the very end stays, as in bash and dash.
                b'\\'
                    if !quoted
                        || matches!(self.at(1), Some(b'\n' | b'$' | b'`' | b'"' | b'\\')) =>
                {
                    match self.at(1) {
                        Some(b'\n') => {}
                        n => v.push(n.unwrap_or(b'\\')),
                    }
                    self.i += 2;
                    continue;
                }
                _ if quoted => {
                    v.push(c);
                    self.i += 1;
                    continue;
                }
                c if self.ends_word(c) => break,
                b'\'' => {
                    let rest = self.s.get(at + 1..).unwrap_or_default();
                    let Some(n) = rest.iter().position(|&b| b == b'\'') else {
                        return Err(self.err("unterminated single quote", at));
                    };
                    v.extend_from_slice(rest.get(..n).unwrap_or_default());
                    self.i += n + 2;
                    continue;
                }
                b'|' | b'&' | b'<' | b'>' | b'(' | b')' => "shell operator is refused",
                b'~' if was_tilde => "tilde expansion is refused",
                _ => {
                    v.push(c);
                    self.i += 1;
                    continue;
                }
            };
            return Err(self.err(what, at));
        }
        self.i = self.i.min(self.s.len());
        String::from_utf8(v).map_err(|_| self.err("invalid UTF-8", start))
    }

    /// A `$` at `self.i`: an expansion, or a literal `$` where the shell keeps one.
    fn dollar(&mut self, v: &mut Vec<u8>, quoted: bool) -> Result<(), Error> {
        let at = self.i;
        self.i += 1;
        let c = self.peek();
        let what = match c {
            Some(b'(') if self.at(1) == Some(b'(') => "arithmetic expansion is refused",
            Some(b'(') => "command substitution is refused",
            Some(b'[') => "arithmetic expansion is refused",
            Some(b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-' | b'0'..=b'9') => {
                "special parameter is refused"
            }
            Some(b'\'' | b'"') if !quoted => "$'...' and $\"...\" are refused",
            _ => {
                let brace = c == Some(b'{');
                self.i += usize::from(brace);
                let name = self.name();
                if !brace && name.is_empty() {
                    v.push(b'$');
                    return Ok(());
                }
                if !brace || !name.is_empty() && self.peek() == Some(b'}') {
                    self.i += usize::from(brace);
                    return self.expand(v, &name, at);
                }
                "only ${NAME} is supported"
            }
        };
        Err(self.err(what, at))
    }

    /// Appends the value of the last visible `name` (unset: nothing).
    fn expand(&mut self, v: &mut Vec<u8>, name: &str, at: usize) -> Result<(), Error> {
        self.work = self.work.saturating_add(self.seen);
        if self.work > MAX_WORK {
            return Err(self.err("too many variable references", at));
        }
        let seen = self.vars.get(..self.seen).unwrap_or_default();
        if let Some(var) = last(seen, name) {
            if self
                .out
                .saturating_add(v.len())
                .saturating_add(var.value.len())
                > MAX_OUT
            {
                return Err(self.err("values larger than 4 MiB", at));
            }
            v.extend_from_slice(var.value.as_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;
    use std::collections::BTreeMap;

    /// Every assignment as `(name, value)`, in order.
    fn ok(input: &str) -> Vec<(String, String)> {
        match parse(input.as_bytes()) {
            Ok(v) => v.0.into_iter().map(|v| (v.name, v.value)).collect(),
            Err(e) => panic!("{input:?}: {e}"),
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    /// `line:col: what` of the error for `input`.
    fn bad(input: &[u8]) -> String {
        match parse(input) {
            Ok(v) => panic!("{:?}: accepted as {v:?}", String::from_utf8_lossy(input)),
            Err(e) => e.to_string(),
        }
    }

    const SAMPLE: &str = "# Context variables generated by OpenNebula
DISK_ID='1'
ETH0_IP='192.168.122.10'
ETH0_MAC='02:00:c0:a8:7a:0a'
SSH_PUBLIC_KEY='ssh-ed25519 AAAAC3Nza... alice@host
ssh-rsa AAAAB3... bob@host'
START_SCRIPT='#!/bin/sh
echo '\\''hello'\\'' > /tmp/x'
TARGET='hda'
";

    #[test]
    fn opennebula_sample() {
        let v = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(
            v.0.iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect::<Vec<_>>(),
            pairs(&[
                ("DISK_ID", "1"),
                ("ETH0_IP", "192.168.122.10"),
                ("ETH0_MAC", "02:00:c0:a8:7a:0a"),
                (
                    "SSH_PUBLIC_KEY",
                    "ssh-ed25519 AAAAC3Nza... alice@host\nssh-rsa AAAAB3... bob@host"
                ),
                ("START_SCRIPT", "#!/bin/sh\necho 'hello' > /tmp/x"),
                ("TARGET", "hda"),
            ])
        );
        assert_eq!(v.get("TARGET"), Some("hda"));
        assert_eq!(v.get("NOPE"), None);
    }

    #[test]
    fn escaped_single_quote_positions() {
        assert_eq!(ok("X=''\\''a'"), pairs(&[("X", "'a")]));
        assert_eq!(ok("X='a'\\''b'"), pairs(&[("X", "a'b")]));
        assert_eq!(ok("X='a'\\'''"), pairs(&[("X", "a'")]));
        assert_eq!(ok("X=''\\'''"), pairs(&[("X", "'")]));
        assert_eq!(ok("X='a'\\'''\\''b'"), pairs(&[("X", "a''b")]));
    }

    #[test]
    fn empty_values() {
        assert_eq!(
            ok("X=''\nY=\nZ=\"\""),
            pairs(&[("X", ""), ("Y", ""), ("Z", "")])
        );
        assert_eq!(ok("X= Y=1"), pairs(&[("X", ""), ("Y", "1")]));
        assert_eq!(ok("X=;Y="), pairs(&[("X", ""), ("Y", "")]));
    }

    #[test]
    fn long_keys_and_values() {
        let name = "K".repeat(3000);
        let value = "v".repeat(5000);
        let input = format!("{name}='{value}'\n{name}_2={value}\n");
        assert_eq!(
            ok(&input),
            vec![(name.clone(), value.clone()), (format!("{name}_2"), value)]
        );
    }

    #[test]
    fn two_hundred_keys() {
        let mut input = String::from("# Context variables generated by OpenNebula\n");
        for i in 0..200 {
            input.push_str(&format!("KEY_{i}='value {i}'\n"));
        }
        let v = parse(input.as_bytes()).unwrap();
        assert_eq!(v.0.len(), 200);
        for (i, var) in v.0.iter().enumerate() {
            assert_eq!(var.name, format!("KEY_{i}"));
            assert_eq!(var.value, format!("value {i}"));
        }
    }

    #[test]
    fn unquoted_words() {
        assert_eq!(ok("X=a\\ b\\\\c\\$d\\'e"), pairs(&[("X", "a b\\c$d'e")]));
        assert_eq!(ok("X=ab\\\ncd"), pairs(&[("X", "abcd")]));
        assert_eq!(ok("A\\\nB\\\n=1"), pairs(&[("AB", "1")]));
        assert_eq!(ok("X=1 \\\n Y=2"), pairs(&[("X", "1"), ("Y", "2")]));
        assert_eq!(ok("X=a\\"), pairs(&[("X", "a\\")]));
        assert_eq!(
            ok("X=a#b{c}[d]*?!%=+,.@^"),
            pairs(&[("X", "a#b{c}[d]*?!%=+,.@^")])
        );
        assert_eq!(ok("X=a~b:c~"), pairs(&[("X", "a~b:c~")]));
        assert_eq!(
            ok("X=\\~ Y='~' Z=a:\\~ W=''~"),
            pairs(&[("X", "~"), ("Y", "~"), ("Z", "a:~"), ("W", "~")])
        );
        assert_eq!(ok("X=a\"b\"'c'd"), pairs(&[("X", "abcd")]));
        assert_eq!(
            ok("X=\u{e9}t\u{e9} Y=\\\u{e9}"),
            pairs(&[("X", "\u{e9}t\u{e9}"), ("Y", "\u{e9}")])
        );
        assert_eq!(ok("X=a\rb"), pairs(&[("X", "a\rb")]));
    }

    #[test]
    fn double_quotes() {
        assert_eq!(
            ok("X=\"a\\$b\\`c\\\"d\\\\e\\qf\\\ng'h\""),
            pairs(&[("X", "a$b`c\"d\\e\\qfg'h")])
        );
        assert_eq!(
            ok("X=\"l1\nl2\"\nY='m1\n\nm2'"),
            pairs(&[("X", "l1\nl2"), ("Y", "m1\n\nm2")])
        );
        assert_eq!(
            ok("X=\"a b;c#d|e&f<g>h(i)j~k\""),
            pairs(&[("X", "a b;c#d|e&f<g>h(i)j~k")])
        );
        assert_eq!(
            ok("X=\"$\" Y=\"a$'b'\""),
            pairs(&[("X", "$"), ("Y", "a$'b'")])
        );
    }

    #[test]
    fn expansions() {
        assert_eq!(
            ok("A=1\nB=$A${A}\"$A\"'$A'\"${A}x\"$A_"),
            pairs(&[("A", "1"), ("B", "111$A1x")])
        );
        assert_eq!(ok("B=$NOPE${NOPE}x"), pairs(&[("B", "x")]));
        assert_eq!(
            ok("A=x A=$A$A B=$A"),
            pairs(&[("A", "x"), ("A", "xx"), ("B", "xx")])
        );
        assert_eq!(
            ok("X=$ Y=a$ Z=$/ W=$:$%$,$.$=$^ V=\"$\"$"),
            pairs(&[
                ("X", "$"),
                ("Y", "a$"),
                ("Z", "$/"),
                ("W", "$:$%$,$.$=$^"),
                ("V", "$$")
            ])
        );
        assert_eq!(ok("A='a b'\nB=$A"), pairs(&[("A", "a b"), ("B", "a b")]));
        assert_eq!(ok("A=1\nB=$\\\nA"), pairs(&[("A", "1"), ("B", "1")]));
    }

    #[test]
    fn export_forms() {
        assert_eq!(ok("export X=1"), pairs(&[("X", "1")]));
        assert_eq!(ok("export X\nX=2"), pairs(&[("X", "2")]));
        assert_eq!(ok("export X Y=2 export"), pairs(&[("Y", "2")]));
        // Every operand is expanded before any is assigned, as in bash and dash.
        assert_eq!(ok("export A=1 B=$A"), pairs(&[("A", "1"), ("B", "")]));
        assert_eq!(
            ok("A=0; export A=1 B=$A"),
            pairs(&[("A", "0"), ("A", "1"), ("B", "0")])
        );
        assert_eq!(ok("A=0 B=$A"), pairs(&[("A", "0"), ("B", "0")]));
        assert_eq!(ok("export=1"), pairs(&[("export", "1")]));
    }

    #[test]
    fn separators_comments_and_layout() {
        assert_eq!(
            ok("A=1 B=2;C=3 ; D=4;\n\n \t\nE=5"),
            pairs(&[("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5")])
        );
        assert_eq!(
            ok("# c\nX=1 # c 'x\nY=a#b # x\nZ='#'#;#x\n  # indented\nW=1;#c"),
            pairs(&[("X", "1"), ("Y", "a#b"), ("Z", "##"), ("W", "1")])
        );
        assert_eq!(ok(""), pairs(&[]));
        assert_eq!(ok("\n\n# only a comment"), pairs(&[]));
        assert_eq!(ok("X=1"), pairs(&[("X", "1")]));
        assert_eq!(ok("X='a\nb'"), pairs(&[("X", "a\nb")]));
    }

    #[test]
    fn crlf() {
        assert_eq!(
            ok("A=1\r\nB='x'\r\n# c\r\nC=\"y\r\nz\"\r\nD=1 \\\r\nE=2 \r\n\r\n"),
            pairs(&[
                ("A", "1"),
                ("B", "x"),
                ("C", "y\r\nz"),
                ("D", "1"),
                ("E", "2")
            ])
        );
        assert_eq!(ok("A=1;\r\nB=2\r\n"), pairs(&[("A", "1"), ("B", "2")]));
    }

    #[test]
    fn get_returns_last() {
        let v = parse(b"X=1\nY=2\nX=3").unwrap();
        assert_eq!(v.get("X"), Some("3"));
        assert_eq!(v.get("Y"), Some("2"));
        assert_eq!(v.0.len(), 3);
    }

    #[test]
    fn display() {
        let e = Error {
            what: "NUL byte",
            line: 3,
            col: 7,
        };
        assert_eq!(e.to_string(), "3:7: NUL byte");
    }

    #[test]
    fn errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"X=1\nY=a\0", "2:4: NUL byte"),
            (b"X=1\nY=\xff", "2:3: invalid UTF-8"),
            (b"# \xc3\n", "1:3: invalid UTF-8"),
            (b"X=1\nY='abc\n", "2:3: unterminated single quote"),
            (b"Y=a\"abc\n\n", "1:4: unterminated double quote"),
            (b"Y=\"abc\\", "1:3: unterminated double quote"),
            (b"X=a$(id)", "1:4: command substitution is refused"),
            (b"X=\"$(id)\"", "1:4: command substitution is refused"),
            (b"X=`id`", "1:3: command substitution is refused"),
            (b"X=\"a`id`\"", "1:5: command substitution is refused"),
            (b"X=$((1+1))", "1:3: arithmetic expansion is refused"),
            (b"X=\"$[1]\"", "1:4: arithmetic expansion is refused"),
            (b"X=${A:-y}", "1:3: only ${NAME} is supported"),
            (b"X=${#A}", "1:3: only ${NAME} is supported"),
            (b"X=${}", "1:3: only ${NAME} is supported"),
            (b"X=${A", "1:3: only ${NAME} is supported"),
            (b"X=${1}", "1:3: only ${NAME} is supported"),
            (b"X=$1", "1:3: special parameter is refused"),
            (b"X=\"$@\"", "1:4: special parameter is refused"),
            (b"\n X=$?", "2:4: special parameter is refused"),
            (b"X=$$", "1:3: special parameter is refused"),
            (b"X=$'a'", "1:3: $'...' and $\"...\" are refused"),
            (b"X=$\"a\"", "1:3: $'...' and $\"...\" are refused"),
            (b"X=a|b", "1:4: shell operator is refused"),
            (b"X=a>b", "1:4: shell operator is refused"),
            (b"X=a<b", "1:4: shell operator is refused"),
            (b"X=(a b)", "1:3: shell operator is refused"),
            (b"X=1&", "1:4: shell operator is refused"),
            (
                b"X=1 && Y=2",
                "1:5: not an assignment (commands are refused)",
            ),
            (b"X=~", "1:3: tilde expansion is refused"),
            (b"X=a:~/b", "1:5: tilde expansion is refused"),
            (b"1X=2", "1:1: invalid variable name"),
            (b"X-Y=1", "1:1: invalid variable name"),
            (b"=x", "1:1: invalid variable name"),
            (b"X+=1", "1:1: invalid variable name"),
            (b"X[1]=1", "1:1: invalid variable name"),
            (b"'X'=1", "1:1: invalid variable name"),
            (b"export 1X=2", "1:8: invalid variable name"),
            (b"export -p", "1:8: invalid variable name"),
            (b"export X=1 Y-Z", "1:12: invalid variable name"),
            (b"echo hi", "1:1: not an assignment (commands are refused)"),
            (b"X=1 echo", "1:5: not an assignment (commands are refused)"),
            (
                b"X=1\n  ls -l",
                "2:3: not an assignment (commands are refused)",
            ),
            (
                b"if true; then X=1; fi",
                "1:1: not an assignment (commands are refused)",
            ),
            (
                b"f() { X=1; }",
                "1:1: not an assignment (commands are refused)",
            ),
            (
                b"X=1 export Y=2",
                "1:5: not an assignment (commands are refused)",
            ),
            (
                b". ./other.sh",
                "1:1: not an assignment (commands are refused)",
            ),
            (b"export", "1:1: export without a name"),
            (b"X=1; export # c", "1:6: export without a name"),
            (b"; X=1", "1:1: unexpected ;"),
            (b"X=1;;", "1:5: unexpected ;"),
            (b"X=1\n;", "2:1: unexpected ;"),
            (b"X=1;\n;", "2:1: unexpected ;"),
        ];
        for (input, want) in cases {
            assert_eq!(bad(input), *want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn size_caps() {
        let mut big = vec![b'#'; MAX_INPUT + 1];
        assert_eq!(bad(&big), "1:1: input larger than 1 MiB");
        big.pop();
        assert_eq!(parse(&big), Ok(Vars(Vec::new())));

        // Doubling a 64 KiB value hits the 4 MiB output cap, not memory.
        let mut input = format!("A={}\n", "x".repeat(1 << 16));
        for _ in 0..10 {
            input.push_str("A=$A$A\n");
        }
        assert_eq!(bad(input.as_bytes()), "7:3: values larger than 4 MiB");

        // Quadratic lookups are cut off at a fixed amount of work.
        let mut input = String::new();
        for i in 0..10_000 {
            input.push_str(&format!("V{i}=\n"));
        }
        input.push_str("Z=");
        input.push_str(&"$Z".repeat(7000));
        let e = parse(input.as_bytes()).unwrap_err();
        assert_eq!((e.what, e.line), ("too many variable references", 10_001));
    }

    // ---- Differential tests against real shells ----

    /// Names the shells set themselves, or treat specially.
    const SHELL_OWNED: &[&str] = &[
        "_",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "PATH",
        "IFS",
        "PS1",
        "PS2",
        "PS4",
        "OPTIND",
        "OPTARG",
        "HOME",
        "RANDOM",
        "SECONDS",
        "LINENO",
        "UID",
        "EUID",
        "PPID",
        "GROUPS",
        "HOSTNAME",
        "HOSTTYPE",
        "MACHTYPE",
        "OSTYPE",
        "SHELLOPTS",
        "BASHOPTS",
        "HISTCMD",
        "FUNCNAME",
        "BASH",
        "SRANDOM",
        "EPOCHSECONDS",
        "EPOCHREALTIME",
        "BASHPID",
        "COMP_WORDBREAKS",
        "DIRSTACK",
        "MAILCHECK",
        "PIPESTATUS",
        "TERM",
        "ENV",
        "CDPATH",
    ];

    fn owned(name: &str) -> bool {
        SHELL_OWNED.contains(&name) || name.starts_with("BASH")
    }

    /// What `sh` exports after `set -a; . FILE`, or None if it complained.
    fn shell_vars(sh: &str, input: &[u8]) -> Option<BTreeMap<String, String>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!("egret-shell-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("ctx{}.sh", N.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&file, input).unwrap();
        let out = std::process::Command::new(sh)
            .env_clear()
            .env("PATH", "/nonexistent")
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .args([
                "-c",
                "set -a; . \"$1\" || exit 3; exec /usr/bin/env -0",
                "sh",
            ])
            .arg(&file)
            .output()
            .unwrap();
        std::fs::remove_file(&file).unwrap();
        if !out.status.success() || !out.stderr.is_empty() {
            return None;
        }
        let mut m = BTreeMap::new();
        for kv in out.stdout.split(|&b| b == 0).filter(|kv| !kv.is_empty()) {
            let kv = String::from_utf8(kv.to_vec()).unwrap();
            let (k, v) = kv.split_once('=').unwrap();
            if !owned(k) {
                m.insert(k.to_owned(), v.to_owned());
            }
        }
        Some(m)
    }

    fn last_values(v: &Vars) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for var in &v.0 {
            m.insert(var.name.clone(), var.value.clone());
        }
        m
    }

    /// True when `input` is outside what a shell comparison can check: CR
    /// before LF (the parser drops it on purpose) or shell-owned names.
    fn incomparable(input: &[u8], v: &Vars) -> bool {
        input.windows(2).any(|w| w == b"\r\n")
            || v.0.iter().any(|x| owned(&x.name))
            || input.windows(2).any(|w| w == b"$_" || w == b"{_")
    }

    /// Compares with bash and dash; returns how many shells accepted.
    fn differ(input: &[u8]) -> usize {
        let Ok(v) = parse(input) else { return 0 };
        if incomparable(input, &v) {
            return 0;
        }
        let want = last_values(&v);
        let mut accepted = 0;
        for sh in ["/usr/bin/bash", "/usr/bin/dash"] {
            if let Some(got) = shell_vars(sh, input) {
                assert_eq!(got, want, "{sh} on {:?}", String::from_utf8_lossy(input));
                accepted += 1;
            }
        }
        accepted
    }

    const HAND: &[&str] = &[
        SAMPLE,
        "A=1\nB=$A${A}\"$A\"'$A'\"${A}x\"",
        "X=''\\''a' Y='a'\\''b' Z='a'\\''' W=''\\'''",
        "X=a\\ b\\\\c\\$d\\'e",
        "X=ab\\\ncd\nA\\\nB=1\nC=1 \\\n D=2",
        "X=a\\",
        "X=\"a\\$b\\`c\\\"d\\\\e\\qf\\\ng'h\"",
        "X=\"l1\nl2\"\nY='m1\n\nm2'",
        "X=\"a b;c#d|e&f<g>h(i)j~k\"",
        "X=\"$\" Y=\"a$'b'\" Z=''~ W=a:''~",
        "X=$ Y=a$ Z=$/ W=$:$%$,$.$=$^ V=\"$\"$",
        "A=x A=$A$A B=$A C=$NOPE${NOPE}",
        "A='a b  c'\nB=$A\nC=${A}\"$B\"",
        "A=1\nB=$\\\nA",
        "export X=1\nexport Y\nexport A=1 B=$A\nA=0; export A=2 C=$A",
        "export X Y=2 export",
        "export=1 Y=$export",
        "A=1 B=2;C=3 ; D=4;\n\n \t\nE=5",
        "# c\nX=1 # c 'x\nY=a#b # x\nZ='#'#;#x\n  # indented\nW=1;#c",
        "",
        "X=1",
        "X='a\nb'",
        "X=a#b{c}[d]*?!%=+,.@^",
        "X=a~b:c~ Y=\\~ Z='~' W=a:\\~ V=a':'~",
        "X=a\"b\"'c'd\"\"''e",
        "X=\u{e9}t\u{e9} Y=\\\u{e9} Z=\"\u{1f600}\"",
        "X=a\rb",
        "X=\"\\a\\b\\\\\\n\"",
        "SSH_PUBLIC_KEY='ssh-ed25519 AAAA a@b\nssh-rsa BBBB c@d'\nUSERNAME=root",
        "X= Y=1 Z=;W=",
        "X=\"*\" Y=* Z=[a] W=?",
        "X=\"${A}${B}\"\nA=1\nX=\"${A}${B}\"",
    ];

    /// Builds a file from random quoting forms, separators and references.
    fn generated(seed: u64) -> Vec<u8> {
        const FRAGS: &[&str] = &[
            "abc",
            "'a b'",
            "\"x y\"",
            "'\\''",
            "\"$A\"",
            "$A",
            "${B}",
            "\"a\\\"b\"",
            "a\\ b",
            "\"l1\nl2\"",
            "'m\nn'",
            "\\\\",
            "\"\\\\$\"",
            "$",
            "\"$\"",
            "a#b",
            "\"\\q\"",
            "\u{e9}",
            "x\\\ny",
            "\"${A}-${C}\"",
            "''",
            "\"\"",
            "'\"'",
            "\"'\"",
            "$C$B$A",
            ":",
            "=",
            "\\\"",
        ];
        const SEPS: &[&str] = &[" ", ";", "\n", "; ", " # c\n", "\n\n", " \\\n", ";\n"];
        const NAMES: &[&str] = &["A", "B", "C", "D_1", "export A", "export B"];
        let mut r = Rng(seed);
        let mut out = String::new();
        for _ in 0..1 + r.below(6) {
            out.push_str(NAMES[r.below(NAMES.len())]);
            out.push('=');
            for _ in 0..r.below(4) {
                out.push_str(FRAGS[r.below(FRAGS.len())]);
            }
            out.push_str(SEPS[r.below(SEPS.len())]);
        }
        out.into_bytes()
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    fn corpus() -> Vec<Vec<u8>> {
        let mut c: Vec<Vec<u8>> = HAND.iter().map(|s| s.as_bytes().to_vec()).collect();
        // Fragments can meet as a refused form (`$` then `${B}`); keep the rest.
        c.extend((0..).map(generated).filter(|g| parse(g).is_ok()).take(40));
        c
    }

    #[test]
    fn differential_against_bash_and_dash() {
        let mut both = 0;
        for input in corpus() {
            assert!(
                parse(&input).is_ok(),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
            if differ(&input) == 2 {
                both += 1;
            }
        }
        // Every accepted input must be one both shells accept too.
        assert_eq!(both, HAND.len() + 40);
    }

    #[test]
    fn differential_mutations() {
        const BYTES: &[u8] = b"'\"\\$ {}();#=\n\r\tA_1~:|&`ax";
        let corpus = corpus();
        let mut r = Rng(7);
        let (mut parsed, mut compared) = (0, 0);
        for _ in 0..4000 {
            let mut input = corpus[r.below(corpus.len())].clone();
            for _ in 0..1 + r.below(3) {
                let at = r.below(input.len() + 1);
                let b = BYTES[r.below(BYTES.len())];
                match r.below(3) {
                    0 if at < input.len() => {
                        input.remove(at);
                    }
                    1 if at < input.len() => input[at] = b,
                    _ => input.insert(at, b),
                }
            }
            // Also cut at a random point: truncation must never panic.
            let cut = r.below(input.len() + 1);
            let _ = parse(&input[..cut]);
            if parse(&input).is_ok() {
                parsed += 1;
                let n = differ(&input);
                if n > 0 {
                    compared += 1;
                }
                // What the parser accepts, both shells accept too.
                let v = parse(&input).unwrap();
                assert!(
                    n == 2 || incomparable(&input, &v),
                    "{:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
        assert!(
            parsed > 1000 && compared > 1000,
            "parsed {parsed}, compared {compared}"
        );
    }
}
