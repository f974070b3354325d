use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::zset_args::{LexRange, ScoreRange};

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
