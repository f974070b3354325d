/// Redis's glob matcher (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes.
pub fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    glob_match_from(pattern, string, false)
}

/// Case-insensitive variant.
pub fn glob_match_nocase(pattern: &[u8], string: &[u8]) -> bool {
    glob_match_from(pattern, string, true)
}

fn glob_match_from(mut p: &[u8], mut s: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..s.len() {
                    if glob_match_from(&p[1..], &s[i..], nocase) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    match p.first() {
                        None => break,
                        Some(b'\\') if p.len() >= 2 => {
                            p = &p[1..];
                            if eq(p[0], s[0]) {
                                matched = true;
                            }
                        }
                        Some(b']') => break,
                        Some(_) if p.len() >= 3 && p[1] == b'-' => {
                            let (mut start, mut end) = (p[0], p[2]);
                            if start > end {
                                std::mem::swap(&mut start, &mut end);
                            }
                            let c = if nocase {
                                s[0].to_ascii_lowercase()
                            } else {
                                s[0]
                            };
                            let (st, en) = if nocase {
                                (start.to_ascii_lowercase(), end.to_ascii_lowercase())
                            } else {
                                (start, end)
                            };
                            p = &p[2..];
                            if c >= st && c <= en {
                                matched = true;
                            }
                        }
                        Some(&c) => {
                            if eq(c, s[0]) {
                                matched = true;
                            }
                        }
                    }
                    if p.len() > 1 {
                        p = &p[1..];
                    } else {
                        break;
                    }
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if !eq(p[0], s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if !eq(c, s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_redis() {
        assert!(glob_match(b"*", b"anything"));
        assert!(glob_match(b"h?llo", b"hello"));
        assert!(glob_match(b"h*llo", b"heeeello"));
        assert!(glob_match(b"h[ae]llo", b"hallo"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(glob_match(b"key:*", b"key:"));
        assert!(!glob_match(b"key:?", b"key:"));
        assert!(glob_match(b"a\\*b", b"a*b"));
        assert!(!glob_match(b"a", b"ab"));
        assert!(glob_match_nocase(b"HELLO", b"hello"));
    }
}
