//! Redis's `sdssplitargs`, the tokenizer for inline requests (`SET k "a b"\r\n`).

use bytes::Bytes;

/// C `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits one inline line into arguments exactly like Redis 7.0's `sdssplitargs`.
///
/// Returns `None` for unbalanced quotes (an unterminated quote, or a closing quote followed by
/// anything but whitespace). The end of `line` plays the part of C's terminating NUL; callers
/// never pass a line containing NUL because Redis's `strchr` scan stops there.
///
/// Rules, as in Redis: blanks (`isspace`) separate arguments; an unquoted argument ends only at
/// space, `\t`, `\r`, `\n` (so `\v`/`\f` inside it are kept); a quote may open in the middle of an
/// argument (`a"b c"` is `ab c`); inside "double quotes" `\n \r \t \b \a` and `\xHH` are decoded
/// and any other escaped byte stands for itself; inside 'single quotes' only `\'` is an escape.
pub fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        let mut done = false;
        while !done {
            let c = at(p);
            if in_double {
                match (c, at(p + 1)) {
                    (b'\\', b'x')
                        if hex_value(at(p + 2)).is_some() && hex_value(at(p + 3)).is_some() =>
                    {
                        let hi = hex_value(at(p + 2)).unwrap_or(0);
                        let lo = hex_value(at(p + 3)).unwrap_or(0);
                        current.push(hi * 16 + lo);
                        p += 3;
                    }
                    (b'\\', next) if next != 0 => {
                        p += 1;
                        current.push(match next {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                    }
                    (b'"', next) => {
                        if next != 0 && !is_space(next) {
                            return None;
                        }
                        done = true;
                    }
                    (0, _) => return None,
                    _ => current.push(c),
                }
            } else if in_single {
                match (c, at(p + 1)) {
                    (b'\\', b'\'') => {
                        p += 1;
                        current.push(b'\'');
                    }
                    (b'\'', next) => {
                        if next != 0 && !is_space(next) {
                            return None;
                        }
                        done = true;
                    }
                    (0, _) => return None,
                    _ => current.push(c),
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    _ => current.push(c),
                }
            }
            if p < line.len() {
                p += 1;
            }
        }
        args.push(Bytes::from(current));
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(line).map(|v| v.into_iter().map(|b| b.to_vec()).collect())
    }

    fn args(list: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
        Some(list.iter().map(|a| a.to_vec()).collect())
    }

    // Expected values were checked against redis-server 7.0.15 with `ECHO <line>`.
    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(split(b""), args(&[]));
        assert_eq!(split(b"   \t "), args(&[]));
        assert_eq!(split(b"ECHO  a   \t"), args(&[b"ECHO", b"a"]));
        assert_eq!(split(br#"ECHO "a\x41\n\tb""#), args(&[b"ECHO", b"aA\n\tb"]));
        assert_eq!(split(br#""\xZZ""#), args(&[b"xZZ"]));
        assert_eq!(split(br#""\q""#), args(&[b"q"]));
        assert_eq!(split(br#""\b\a\r\\\"""#), args(&[b"\x08\x07\r\\\""]));
        assert_eq!(split(br"'a\'b'"), args(&[b"a'b"]));
        assert_eq!(split(br"'a\nb'"), args(&[br"a\nb"]));
        assert_eq!(split(br#"ECHO "a" "#), args(&[b"ECHO", b"a"]));
        assert_eq!(split(b"ECHO \"\" ''"), args(&[b"ECHO", b"", b""]));
        assert_eq!(split(b"ECHO a\x0bb"), args(&[b"ECHO", b"a\x0bb"]));
        assert_eq!(split(b"ECHO a\rb"), args(&[b"ECHO", b"a", b"b"]));
        assert_eq!(split(br#"ECHO a"b c""#), args(&[b"ECHO", b"ab c"]));
        assert_eq!(split(b"ECHO \"a\"\x0b"), args(&[b"ECHO", b"a"]));
        assert_eq!(split(br#""\xe2\x82\xac""#), args(&[b"\xe2\x82\xac"]));
    }

    #[test]
    fn rejects_unbalanced_quotes() {
        assert_eq!(split(br#"ECHO "ab"#), None);
        assert_eq!(split(b"ECHO 'ab"), None);
        assert_eq!(split(br#"ECHO "a"b"#), None);
        assert_eq!(split(b"ECHO 'a'b"), None);
        assert_eq!(split(b"\""), None);
        assert_eq!(split(br#""a\"#), None);
        assert_eq!(split(br#""\x4"#), None);
    }
}
