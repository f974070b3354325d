//! The set algebra behind ZUNION, ZINTER and ZDIFF (and their STORE and CARD forms): inputs
//! that are sorted sets, sets (members score 1) or missing, folded as Redis folds them.

use std::collections::HashMap;

use bytes::Bytes;

use crate::typed::Set;
use crate::zset::ZSet;

#[derive(Clone, Copy)]
pub(super) enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`: a NaN sum becomes 0; MIN and MAX keep the current
    /// score when the new one is NaN.
    fn fold(self, target: &mut f64, val: f64) {
        match self {
            Aggregate::Sum => {
                *target += val;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min if val < *target => *target = val,
            Aggregate::Max if val > *target => *target = val,
            Aggregate::Min | Aggregate::Max => {}
        }
    }
}

/// One input key: a sorted set, a set (members score 1) or nothing (a missing key).
#[derive(Clone, Copy)]
pub(super) enum Members<'a> {
    Missing,
    Sorted(&'a ZSet),
    Plain(&'a Set),
}

impl<'a> Members<'a> {
    pub(super) fn len(self) -> usize {
        match self {
            Members::Missing => 0,
            Members::Sorted(z) => z.len(),
            Members::Plain(s) => s.len(),
        }
    }

    fn iter(self) -> Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a> {
        match self {
            Members::Missing => Box::new(std::iter::empty()),
            Members::Sorted(z) => Box::new(z.iter()),
            Members::Plain(s) => Box::new(s.iter().map(|m| (m, 1.0))),
        }
    }

    fn score(self, member: &[u8]) -> Option<f64> {
        match self {
            Members::Missing => None,
            Members::Sorted(z) => z.score(member),
            Members::Plain(s) => s.contains(member).then_some(1.0),
        }
    }
}

pub(super) struct Source<'a> {
    pub(super) members: Members<'a>,
    pub(super) weight: f64,
}

/// A weighted score; `0 * inf` counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// The members of every source, each with its scores folded smallest source first.
pub(super) fn union(sources: &[Source<'_>], agg: Aggregate) -> Vec<(Bytes, f64)> {
    let mut acc: HashMap<&Bytes, f64> = HashMap::new();
    for src in sources {
        for (m, s) in src.members.iter() {
            let score = weighted(s, src.weight);
            acc.entry(m)
                .and_modify(|t| agg.fold(t, score))
                .or_insert(score);
        }
    }
    acc.into_iter().map(|(m, s)| (m.clone(), s)).collect()
}

/// The members of the smallest source found in all others, up to `limit` (0: all).
pub(super) fn inter(sources: &[Source<'_>], agg: Aggregate, limit: usize) -> Vec<(Bytes, f64)> {
    let Some((first, others)) = sources.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    'members: for (m, s) in first.members.iter() {
        let mut score = weighted(s, first.weight);
        for src in others {
            match src.members.score(m) {
                Some(v) => agg.fold(&mut score, v * src.weight),
                None => continue 'members,
            }
        }
        out.push((m.clone(), score));
        if limit != 0 && out.len() >= limit {
            break;
        }
    }
    out
}

/// The members of the first source (with their own scores) found in no other.
pub(super) fn diff(sources: &[Source<'_>]) -> Vec<(Bytes, f64)> {
    let Some((first, others)) = sources.split_first() else {
        return Vec::new();
    };
    first
        .members
        .iter()
        .filter(|(m, _)| others.iter().all(|o| o.members.score(m).is_none()))
        .map(|(m, s)| (m.clone(), s))
        .collect()
}
