use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A score with the total order Redis uses (scores are never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        // -0.0 and 0.0 compare equal, as in Redis.
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// A sorted set: members ordered by (score, member bytes), as Redis orders them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZSet {
    scores: HashMap<Bytes, f64>,
    order: BTreeSet<(Score, Bytes)>,
}

impl ZSet {
    pub fn new() -> ZSet {
        ZSet::default()
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score; returns true when the member is new. A score of -0 is stored as
    /// 0, as Redis's compact encoding does (it writes integral scores as integers).
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
        let score = if score == 0.0 { 0.0 } else { score };
        match self.scores.insert(member.clone(), score) {
            Some(old) => {
                self.order.remove(&(Score(old), member.clone()));
                self.order.insert((Score(score), member));
                false
            }
            None => {
                self.order.insert((Score(score), member));
                true
            }
        }
    }

    /// Removes `member`; returns true when it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove_entry(member) {
            Some((m, score)) => {
                self.order.remove(&(Score(score), m));
                true
            }
            None => false,
        }
    }

    /// Members in ascending (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + '_ {
        self.order.iter().map(|(s, m)| (m, s.0))
    }

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(
            self.order
                .range(..(Score(score), Bytes::copy_from_slice(member)))
                .count(),
        )
    }

    /// Members whose score lies in the given bounds, ascending.
    pub fn range_by_score(
        &self,
        min: Bound<f64>,
        max: Bound<f64>,
    ) -> impl Iterator<Item = (&Bytes, f64)> + '_ {
        let start = match min {
            Bound::Included(m) | Bound::Excluded(m) => Bound::Included((Score(m), Bytes::new())),
            Bound::Unbounded => Bound::Unbounded,
        };
        self.order
            .range((start, Bound::Unbounded))
            .map(|(s, m)| (m, s.0))
            .skip_while(move |(_, s)| matches!(min, Bound::Excluded(m) if *s <= m))
            .take_while(move |(_, s)| match max {
                Bound::Included(m) => *s <= m,
                Bound::Excluded(m) => *s < m,
                Bound::Unbounded => true,
            })
    }
}

impl ZSet {
    /// Members with a score inside `range`, ascending; `.rev()` gives them descending.
    /// Runs in O(log n + k).
    pub fn range_by_score_spec(
        &self,
        range: &ScoreRange,
    ) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> + '_ {
        let empty = || {
            let k = (Score(0.0), Bytes::new());
            (Bound::Included(k.clone()), Bound::Excluded(k))
        };
        let bounds = if range.is_empty() || (range.minex && range.min == f64::INFINITY) {
            empty()
        } else {
            let lo = if range.minex {
                (Score(range.min.next_up()), Bytes::new())
            } else {
                (Score(range.min), Bytes::new())
            };
            let hi = if range.maxex {
                Bound::Excluded((Score(range.max), Bytes::new()))
            } else if range.max == f64::INFINITY {
                Bound::Unbounded
            } else {
                Bound::Excluded((Score(range.max.next_up()), Bytes::new()))
            };
            let ordered = match &hi {
                Bound::Excluded(h) => lo < *h,
                _ => true,
            };
            if ordered {
                (Bound::Included(lo), hi)
            } else {
                empty()
            }
        };
        self.order.range(bounds).map(|(s, m)| (m, s.0))
    }

    /// Number of members with a score inside `range`.
    pub fn count_in_score_range(&self, range: &ScoreRange) -> usize {
        self.range_by_score_spec(range).count()
    }

    /// The members a lexicographic range selects, walking the set in order (descending when
    /// `reverse`) as Redis does for its listpack encoding: start at the first member inside
    /// the range and stop at the first one past its far end. For a set whose members all share
    /// one score (the only case Redis defines) this is exactly the members inside the range.
    pub fn lex_walk<'a>(
        &'a self,
        range: &'a LexRange,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a> {
        let (Some(first), Some(last)) = (self.iter().next(), self.iter().next_back()) else {
            return Box::new(std::iter::empty());
        };
        if range.is_empty() || !range.gte_min(last.0) || !range.lte_max(first.0) {
            return Box::new(std::iter::empty());
        }
        if reverse {
            let mut it = self.iter().rev().peekable();
            while it.next_if(|(m, _)| !range.lte_max(m)).is_some() {}
            if !it.peek().is_some_and(|(m, _)| range.gte_min(m)) {
                return Box::new(std::iter::empty());
            }
            Box::new(it)
        } else {
            let mut it = self.iter().peekable();
            while it.next_if(|(m, _)| !range.gte_min(m)).is_some() {}
            if !it.peek().is_some_and(|(m, _)| range.lte_max(m)) {
                return Box::new(std::iter::empty());
            }
            Box::new(it)
        }
    }

    /// Removes and returns the lowest (`max == false`) or highest member.
    pub fn pop(&mut self, max: bool) -> Option<(Bytes, f64)> {
        let (score, member) = if max {
            self.order.pop_last()?
        } else {
            self.order.pop_first()?
        };
        self.scores.remove(&member);
        Some((member, score.0))
    }
}

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
fn strtod(b: &[u8]) -> (f64, usize, bool) {
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

impl Serialize for ZSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(&Bytes, f64)> = self.iter().collect();
        pairs.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ZSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(Bytes, f64)> = Vec::deserialize(d)?;
        let mut z = ZSet::new();
        for (m, s) in pairs {
            z.insert(m, s);
        }
        Ok(z)
    }
}
