//! `sdssplitargs`: how Redis splits the inside of a `(...)` selector into rules.
//!
//! Words are separated by whitespace; `"..."` takes `\n \r \t \b \a \xHH` escapes and
//! `'...'` takes `\'`; a closing quote must be followed by whitespace or the end. On any
//! error Redis gets no words at all, so the selector is created empty (redis-server 7.0.15
//! accepts `(~"a)` as an empty selector).

/// The words of `s`, or `None` for unbalanced quotes or a quote followed by a non-space.
pub(crate) fn split_args(s: &[u8]) -> Option<Vec<Vec<u8>>> {
    // Redis's strings are NUL-terminated here: a NUL ends the input.
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    let s = &s[..end];
    let mut words = Vec::new();
    let mut p = 0;
    loop {
        while p < s.len() && is_space(s[p]) {
            p += 1;
        }
        if p == s.len() {
            return Some(words);
        }
        let (word, next) = split_word(s, p)?;
        words.push(word);
        p = next;
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
}

/// One word starting at `s[p]`: the word and where scanning continues.
fn split_word(s: &[u8], mut p: usize) -> Option<(Vec<u8>, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut word = Vec::new();
    let mut quote = Quote::None;
    loop {
        let c = at(p);
        match quote {
            Quote::Double => {
                let escaped_byte = (c == b'\\' && at(p + 1) == b'x')
                    .then(|| Some(hex(at(p + 2))? * 16 + hex(at(p + 3))?))
                    .flatten();
                if let Some(byte) = escaped_byte {
                    word.push(byte);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    word.push(unescape(at(p)));
                } else if c == b'"' {
                    return closing_quote(s, p).map(|next| (word, next));
                } else if c == 0 {
                    return None;
                } else {
                    word.push(c);
                }
            }
            Quote::Single => {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    word.push(b'\'');
                } else if c == b'\'' {
                    return closing_quote(s, p).map(|next| (word, next));
                } else if c == 0 {
                    return None;
                } else {
                    word.push(c);
                }
            }
            Quote::None => match c {
                b' ' | b'\n' | b'\r' | b'\t' | 0 => return Some((word, p)),
                b'"' => quote = Quote::Double,
                b'\'' => quote = Quote::Single,
                _ => word.push(c),
            },
        }
        if p < s.len() {
            p += 1;
        }
    }
}

/// A closing quote at `s[p]` must be followed by whitespace or the end; scanning goes on
/// after it.
fn closing_quote(s: &[u8], p: usize) -> Option<usize> {
    match s.get(p + 1) {
        Some(&c) if !is_space(c) => None,
        _ => Some(p + 1),
    }
}

fn unescape(c: u8) -> u8 {
    match c {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// C `isspace`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn words(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|w| {
            w.into_iter()
                .map(|x| String::from_utf8(x).unwrap())
                .collect()
        })
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(words("  ~a   +get  ").unwrap(), ["~a", "+get"]);
        assert_eq!(
            words(r#""~a" '&b' "+g\x65t""#).unwrap(),
            ["~a", "&b", "+get"]
        );
        assert_eq!(words(r#""a\nb" 'it\'s'"#).unwrap(), ["a\nb", "it's"]);
        assert_eq!(words(r#"a"b c"d"#), None);
        assert_eq!(words(r#"~"a"#), None);
        assert_eq!(words("'a'b"), None);
        assert_eq!(words("").unwrap(), Vec::<String>::new());
    }
}
