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

    /// Sets `member`'s score; returns true when the member is new.
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
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
