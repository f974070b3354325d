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

/// Pattern byte `p` matches string byte `c` (ignoring ASCII case when `nocase`).
fn same_char(p: u8, c: u8, nocase: bool) -> bool {
    p == c || (nocase && lower(p) == lower(c))
}

/// `skip_longer`: set once a `*` failed to match the rest of the pattern at every position;
/// an outer `*` cannot do better, so the search stops (Redis's fix for CVE-2022-36021).
fn glob_match_impl(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => return match_star(&pattern[p..], &string[s..], nocase, skip_longer),
            b'?' => {}
            b'[' => {
                let (matched, end) = match_class(pattern, p + 1, string[s], nocase);
                if !matched {
                    return false;
                }
                p = end;
            }
            pc => {
                let pc = if pc == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    pc
                };
                if !same_char(pc, string[s], nocase) {
                    return false;
                }
            }
        }
        // `pattern[p]` matched `string[s]`.
        p += 1;
        s += 1;
        if s == string.len() {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pattern.len() && s == string.len()
}

/// `pattern` starts with `*` (and `string` is not empty): the rest of the pattern after the
/// run of stars, tried at every position of `string`.
fn match_star(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool) -> bool {
    let stars = pattern.iter().take_while(|&&b| b == b'*').count();
    let rest = &pattern[stars..];
    if rest.is_empty() {
        return true;
    }
    for s in 0..string.len() {
        if glob_match_impl(rest, &string[s..], nocase, skip_longer) {
            return true;
        }
        if *skip_longer {
            return false;
        }
    }
    *skip_longer = true;
    false
}

/// A `[...]` class whose body starts at `pattern[p]`, against `c`: whether it matches, and the
/// position of its closing `]` (of the last pattern byte when the class is unterminated).
fn match_class(pattern: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let not = pattern.get(p) == Some(&b'^');
    if not {
        p += 1;
    }
    let mut matched = false;
    loop {
        if p >= pattern.len() {
            // Unterminated class: Redis steps back onto the last pattern byte, which the
            // increment after the class then consumes.
            p -= 1;
            break;
        }
        let pc = pattern[p];
        if pc == b'\\' && pattern.len() - p >= 2 {
            p += 1;
            matched |= pattern[p] == c;
        } else if pc == b']' {
            break;
        } else if pattern.len() - p >= 3 && pattern[p + 1] == b'-' {
            matched |= in_range(pc, pattern[p + 2], c, nocase);
            p += 2;
        } else {
            matched |= same_char(pc, c, nocase);
        }
        p += 1;
    }
    (matched != not, p)
}

/// `c` inside the class range `a-b` (bounds in either order), compared as C compares `char`s:
/// signed on x86-64.
fn in_range(a: u8, b: u8, c: u8, nocase: bool) -> bool {
    let (mut start, mut end) = (a as i8, b as i8);
    if start > end {
        std::mem::swap(&mut start, &mut end);
    }
    let mut ch = c as i8;
    if nocase {
        start = lower(start as u8) as i8;
        end = lower(end as u8) as i8;
        ch = lower(ch as u8) as i8;
    }
    ch >= start && ch <= end
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
