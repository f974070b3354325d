//! Sorted-set arguments as Redis reads them: scores (C `strtod`), score ranges and lex ranges.

use std::cmp::Ordering;

use bytes::Bytes;

/// A score interval as ZRANGEBYSCORE and ZCOUNT take it (`(` makes a bound exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    /// Parses `min` and `max` as Redis's `zslParseRange` does (C `strtod` on the argument up
    /// to its first NUL: leading spaces, hex and out-of-range values are accepted, NaN is not).
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, minex) = parse_range_bound(min)?;
        let (max, maxex) = parse_range_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// True when no score can lie in the interval.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }

    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
}

fn parse_range_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let c = c_str(arg);
    let (text, ex) = match c.first() {
        Some(b'(') => (&c[1..], true),
        _ => (c, false),
    };
    let (v, used, _) = strtod(text);
    (used == text.len() && !v.is_nan()).then_some((v, ex))
}

/// One end of a lexicographic range: `-`, `+`, `[member` or `(member`.
#[derive(Debug, Clone, PartialEq)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    Inclusive(Bytes),
    Exclusive(Bytes),
}

impl LexBound {
    /// Parses as Redis's `zslParseLexRangeItem` does.
    pub fn parse(arg: &[u8]) -> Option<LexBound> {
        let only = |b: &[u8]| b.get(1).is_none_or(|c| *c == 0);
        match arg.first() {
            Some(b'+') if only(arg) => Some(LexBound::Max),
            Some(b'-') if only(arg) => Some(LexBound::Min),
            Some(b'(') => Some(LexBound::Exclusive(Bytes::copy_from_slice(&arg[1..]))),
            Some(b'[') => Some(LexBound::Inclusive(Bytes::copy_from_slice(&arg[1..]))),
            _ => None,
        }
    }

    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }

    /// Redis's `sdscmplex` of this bound's string against a member.
    fn cmp_member(&self, member: &[u8]) -> Ordering {
        match self {
            LexBound::Min => Ordering::Less,
            LexBound::Max => Ordering::Greater,
            LexBound::Inclusive(b) | LexBound::Exclusive(b) => b.as_ref().cmp(member),
        }
    }
}

/// A lexicographic range as ZRANGEBYLEX takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    /// True when the range can hold nothing (min above max, or equal with an open end).
    pub fn is_empty(&self) -> bool {
        let cmp = match (&self.min, &self.max) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (a, LexBound::Inclusive(b) | LexBound::Exclusive(b)) => a.cmp_member(b),
        };
        cmp == Ordering::Greater
            || (cmp == Ordering::Equal && (self.min.exclusive() || self.max.exclusive()))
    }

    pub fn gte_min(&self, member: &[u8]) -> bool {
        match self.min.cmp_member(member) {
            Ordering::Less => true,
            Ordering::Equal => !self.min.exclusive(),
            Ordering::Greater => false,
        }
    }

    pub fn lte_max(&self, member: &[u8]) -> bool {
        match self.max.cmp_member(member) {
            Ordering::Greater => true,
            Ordering::Equal => !self.max.exclusive(),
            Ordering::Less => false,
        }
    }
}

/// Parses a score argument as Redis's `getDoubleFromObject` does: the whole argument must be a
/// C `strtod` number (decimal, hex, `inf`), without leading space, not NaN, and not out of
/// range (`1e400`, `1e-400`).
pub fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || is_c_space(arg[0]) {
        return None;
    }
    let (v, used, erange) = strtod(arg);
    (used == arg.len() && !erange && !v.is_nan()).then_some(v)
}

/// The argument as C sees it: up to the first NUL byte.
pub(crate) fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|c| *c == 0).map_or(b, |i| &b[..i])
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C `strtod`: the value, how many bytes it used (0 when there is no number), and whether the
/// result over- or underflowed (ERANGE with an infinite or zero result).
pub(crate) fn strtod(b: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let neg = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let sign = if neg { -1.0 } else { 1.0 };
    let rest = &b[i..];
    let starts =
        |w: &str| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes());
    if starts("infinity") {
        return (sign * f64::INFINITY, i + 8, false);
    }
    if starts("inf") {
        return (sign * f64::INFINITY, i + 3, false);
    }
    if starts("nan") {
        let mut used = i + 3;
        if b.get(used) == Some(&b'(') {
            if let Some(close) = b[used..].iter().position(|c| *c == b')') {
                if b[used + 1..used + close]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    used += close + 1;
                }
            }
        }
        return (f64::NAN, used, false);
    }
    if (starts("0x")) && rest.len() > 2 {
        if let Some((v, used, erange)) = strtod_hex(&rest[2..]) {
            return (sign * v, i + 2 + used, erange);
        }
    }
    // Decimal: digits [. digits] [e [sign] digits]
    let mut j = i;
    let mut digits = 0;
    let mut nonzero = false;
    while j < b.len() && b[j].is_ascii_digit() {
        nonzero |= b[j] != b'0';
        j += 1;
        digits += 1;
    }
    if b.get(j) == Some(&b'.') {
        j += 1;
        while j < b.len() && b[j].is_ascii_digit() {
            nonzero |= b[j] != b'0';
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(b.get(k), Some(b'-' | b'+')) {
            k += 1;
        }
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&b[i..j]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange = v.is_infinite() || (v == 0.0 && nonzero);
    (sign * v, j, erange)
}

/// The part of a hex float after `0x`: hex digits [. hex digits] [p [sign] digits].
fn strtod_hex(b: &[u8]) -> Option<(f64, usize, bool)> {
    let mut j = 0;
    let mut mant = 0.0f64;
    let mut digits = 0;
    let mut frac_digits = 0i64;
    let mut seen_dot = false;
    while j < b.len() {
        if let Some(d) = (b[j] as char).to_digit(16) {
            mant = mant * 16.0 + f64::from(d);
            digits += 1;
            if seen_dot {
                frac_digits += 1;
            }
        } else if b[j] == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        j += 1;
    }
    if digits == 0 {
        return None;
    }
    let mut exp: i64 = 0;
    if matches!(b.get(j), Some(b'p' | b'P')) {
        let mut k = j + 1;
        let neg = b.get(k) == Some(&b'-');
        if matches!(b.get(k), Some(b'-' | b'+')) {
            k += 1;
        }
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            let mut e: i64 = 0;
            while k < b.len() && b[k].is_ascii_digit() {
                e = (e * 10 + i64::from(b[k] - b'0')).min(1 << 20);
                k += 1;
            }
            exp = if neg { -e } else { e };
            j = k;
        }
    }
    let e2 = (exp - 4 * frac_digits).clamp(-2000, 2000) as i32;
    let v = mant * 2f64.powi(e2);
    let erange = v.is_infinite() || (v == 0.0 && mant != 0.0);
    Some((v, j, erange))
}
