/// Redis's glob matcher (`stringmatchlen` of Redis 7.0): `*`, `?`, `[abc]`, `[^a-z]`, `\\x`
/// escapes, with its corner cases: an unterminated `[` class ends at the pattern's end, range
/// bounds compare as C `char` (signed), an escaped character inside a class is compared
/// case-sensitively even in the no-case variant.
pub fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    glob_match_impl(pattern, string, false, &mut false)
}

/// Case-insensitive variant.
pub fn glob_match_nocase(pattern: &[u8], string: &[u8]) -> bool {
    glob_match_impl(pattern, string, true, &mut false)
}

fn lower(c: u8) -> u8 {
    c.to_ascii_lowercase()
}

/// `skip_longer`: set once a `*` failed to match the rest of the pattern at every position;
/// an outer `*` cannot do better, so the search stops (Redis's fix for CVE-2022-36021).
fn glob_match_impl(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < string.len() {
                    if glob_match_impl(&pattern[p + 1..], &string[s..], nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let not = pattern.get(p) == Some(&b'^');
                if not {
                    p += 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    if p >= pattern.len() {
                        // Unterminated class: Redis steps back onto the last pattern byte,
                        // which the increment after the class then consumes.
                        p -= 1;
                        break;
                    }
                    let pc = pattern[p];
                    if pc == b'\\' && pattern.len() - p >= 2 {
                        p += 1;
                        if pattern[p] == c {
                            matched = true;
                        }
                    } else if pc == b']' {
                        break;
                    } else if pattern.len() - p >= 3 && pattern[p + 1] == b'-' {
                        // C compares `char`s, signed on x86-64.
                        let (mut start, mut end) = (pc as i8, pattern[p + 2] as i8);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let mut ch = c as i8;
                        if nocase {
                            start = lower(start as u8) as i8;
                            end = lower(end as u8) as i8;
                            ch = lower(ch as u8) as i8;
                        }
                        p += 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if pc == c || (nocase && lower(pc) == lower(c)) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            pc => {
                let pc = if pc == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    pc
                };
                let c = string[s];
                if pc != c && !(nocase && lower(pc) == lower(c)) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pattern.len() && s == string.len()
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

    /// Cases checked against `KEYS` on redis-server 7.0.15.
    #[test]
    fn redis_corner_cases() {
        assert!(!glob_match(b"[^", b"aaaa"));
        assert!(glob_match(b"aaa[^", b"aaaa"));
        assert!(glob_match(b"aaa[a", b"aaaa"));
        assert!(!glob_match(b"aaa[", b"aaaa"));
        assert!(glob_match(b"aa[a-", b"aaa"));
        assert!(!glob_match(b"aa[a-", b"aaaa"));
        assert!(glob_match(b"[^", b"x"));
        assert!(!glob_match(b"[]", b"]"));
        assert!(!glob_match(b"[]", b"x"));
        assert!(glob_match(b"a\\", b"a\\"));
        assert!(glob_match(b"[\\]]", b"]"));
        assert!(glob_match(b"[z-a]", b"m"));
        // Signed char ranges: 0x80..0xff sort below ASCII.
        assert!(!glob_match(b"[a-\xff]", b"b"));
        assert!(glob_match(b"[\x80-a]", b"A"));
        assert!(glob_match(b"[\x80-a]", b"\xc3"));
        assert!(glob_match_nocase(b"[A-C]", b"b"));
        assert!(!glob_match_nocase(b"[\\A]", b"a"));
        // Redis: a pattern never matches the empty key except through KEYS/SCAN's "*" shortcut.
        assert!(!glob_match(b"*", b""));
        assert!(!glob_match(b"**", b""));
        assert!(!glob_match(b"?", b""));
        assert!(glob_match(b"a**", b"a"));
        assert!(glob_match(b"", b""));
        assert!(!glob_match(b"", b"a"));
    }

    #[test]
    fn pathological_patterns_finish() {
        let s = vec![b'a'; 4000];
        let mut p = b"*a".repeat(50);
        p.push(b'b');
        assert!(!glob_match(&p, &s));
    }
}
