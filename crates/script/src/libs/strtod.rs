//! The longest prefix C's `strtod` reads (C locale): decimal, hexadecimal (`0x1p4`), `inf`,
//! `infinity`, `nan`, `nan(...)`. Used by cjson.decode, which parses numbers with strtod.

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

fn digits(s: &[u8], from: usize, ok: fn(&u8) -> bool) -> usize {
    s[from..].iter().take_while(|c| ok(c)).count()
}

/// The value and the number of bytes read, or `None` when no number starts `s`.
pub(crate) fn strtod_prefix(s: &[u8]) -> Option<(f64, usize)> {
    let (neg, start) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let (value, len) = unsigned(&s[start..])?;
    Some((if neg { -value } else { value }, start + len))
}

fn unsigned(s: &[u8]) -> Option<(f64, usize)> {
    if starts_with_ci(s, b"infinity") {
        return Some((f64::INFINITY, 8));
    }
    if starts_with_ci(s, b"inf") {
        return Some((f64::INFINITY, 3));
    }
    if starts_with_ci(s, b"nan") {
        let mut len = 3;
        if s.get(3) == Some(&b'(') {
            let inner = digits(s, 4, |c| c.is_ascii_alphanumeric() || *c == b'_');
            if s.get(4 + inner) == Some(&b')') {
                len = 5 + inner;
            }
        }
        return Some((f64::NAN, len));
    }
    if s.len() > 2 && s[0] == b'0' && (s[1] | 0x20) == b'x' {
        if let Some(hex) = hexadecimal(&s[2..]) {
            return Some((hex.0, 2 + hex.1));
        }
    }
    decimal(s)
}

fn decimal(s: &[u8]) -> Option<(f64, usize)> {
    let int = digits(s, 0, u8::is_ascii_digit);
    let mut len = int;
    let mut frac = 0;
    if s.get(len) == Some(&b'.') {
        frac = digits(s, len + 1, u8::is_ascii_digit);
        if int + frac > 0 {
            len += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(s.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let exp = digits(s, len + 1 + sign, u8::is_ascii_digit);
        if exp > 0 {
            len += 1 + sign + exp;
        }
    }
    let text = std::str::from_utf8(&s[..len]).ok()?;
    Some((text.parse().ok()?, len))
}

fn hexadecimal(s: &[u8]) -> Option<(f64, usize)> {
    let int = digits(s, 0, u8::is_ascii_hexdigit);
    let mut len = int;
    let mut frac = 0;
    if s.get(len) == Some(&b'.') {
        frac = digits(s, len + 1, u8::is_ascii_hexdigit);
        len += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    let frac_digits: &[u8] = if len > int { &s[int + 1..len] } else { &[] };
    let mut mantissa = 0f64;
    for c in s[..int].iter().chain(frac_digits) {
        mantissa = mantissa * 16.0 + f64::from(char::from(*c).to_digit(16)?);
    }
    let mut exp = -4 * i32::try_from(frac).ok()?;
    if matches!(s.get(len), Some(b'p' | b'P')) {
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let n = digits(s, len + 1 + sign, u8::is_ascii_digit);
        if n > 0 {
            let text = std::str::from_utf8(&s[len + 1..len + 1 + sign + n]).ok()?;
            exp = exp.saturating_add(text.parse::<i32>().unwrap_or(i32::MAX));
            len += 1 + sign + n;
        }
    }
    Some((mantissa * 2f64.powi(exp), len))
}

#[cfg(test)]
mod tests {
    use super::strtod_prefix;

    #[test]
    fn reads_what_strtod_reads() {
        assert_eq!(strtod_prefix(b"1.5e3x"), Some((1500.0, 5)));
        assert_eq!(strtod_prefix(b"01"), Some((1.0, 2)));
        assert_eq!(strtod_prefix(b"1."), Some((1.0, 2)));
        assert_eq!(strtod_prefix(b"1e"), Some((1.0, 1)));
        assert_eq!(strtod_prefix(b"0x10"), Some((16.0, 4)));
        assert_eq!(strtod_prefix(b"0x1.8p1"), Some((3.0, 7)));
        assert_eq!(strtod_prefix(b"-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert!(strtod_prefix(b"nan").is_some_and(|(n, l)| n.is_nan() && l == 3));
        assert_eq!(strtod_prefix(b"-"), None);
        assert_eq!(strtod_prefix(b".5"), Some((0.5, 2)));
        assert_eq!(strtod_prefix(b"."), None);
    }
}
