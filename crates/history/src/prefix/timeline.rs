//! When each key held each value on the primary, as seq intervals.

use std::collections::{BTreeMap, HashMap};

use crate::HistoryError;

use super::Primary;

/// Inclusive seq ranges, sorted and disjoint.
pub(super) type Intervals = Vec<(u64, u64)>;

/// For each key, the seqs S at which state(S) gave it each value.
pub(super) struct Timeline<'a> {
    pub first: u64,
    pub last: u64,
    held: HashMap<&'a str, HashMap<Option<i64>, Intervals>>,
}

impl<'a> Timeline<'a> {
    pub fn build(primary: &'a Primary) -> Result<Self, HistoryError> {
        let first = primary.base_seq;
        let last = primary.writes.last().map_or(first, |w| w.0);
        let mut current: BTreeMap<&str, (Option<i64>, u64)> = primary
            .initial
            .iter()
            .map(|(k, v)| (k.as_str(), (Some(*v), first)))
            .collect();
        let mut held: HashMap<&str, HashMap<Option<i64>, Intervals>> = HashMap::new();
        let mut previous = first;
        for (position, (seq, key, value)) in primary.writes.iter().enumerate() {
            if *seq < previous || *seq == first {
                return Err(HistoryError::PrimaryOrder {
                    position,
                    seq: *seq,
                    previous,
                });
            }
            previous = *seq;
            let (old, since) = current.get(key.as_str()).copied().unwrap_or((None, first));
            if old == *value {
                continue;
            }
            if since < *seq {
                push(&mut held, key, old, (since, seq - 1));
            }
            current.insert(key, (*value, *seq));
        }
        for (key, (value, since)) in current {
            push(&mut held, key, value, (since, last));
        }
        Ok(Timeline { first, last, held })
    }

    /// The seqs at which `key` held `value` (a key the primary never wrote is always nil).
    pub fn held(&self, key: &str, value: Option<i64>) -> Intervals {
        match self.held.get(key) {
            Some(values) => values.get(&value).cloned().unwrap_or_default(),
            None if value.is_none() => vec![(self.first, self.last)],
            None => Vec::new(),
        }
    }
}

fn push<'a>(
    held: &mut HashMap<&'a str, HashMap<Option<i64>, Intervals>>,
    key: &'a str,
    value: Option<i64>,
    range: (u64, u64),
) {
    let list = held.entry(key).or_default().entry(value).or_default();
    match list.last_mut() {
        Some(last) if last.1 + 1 == range.0 => last.1 = range.1,
        _ => list.push(range),
    }
}

/// The seqs in both.
pub(super) fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Intervals {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The smallest seq in `set` at or after `from`.
pub(super) fn first_from(set: &[(u64, u64)], from: u64) -> Option<u64> {
    set.iter().find(|r| r.1 >= from).map(|r| r.0.max(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_intersect() {
        assert_eq!(intersect(&[(0, 5), (8, 10)], &[(3, 9)]), [(3, 5), (8, 9)]);
        assert_eq!(intersect(&[(0, 2)], &[(3, 9)]), []);
        assert_eq!(first_from(&[(0, 2), (6, 9)], 4), Some(6));
        assert_eq!(first_from(&[(0, 2), (6, 9)], 7), Some(7));
        assert_eq!(first_from(&[(0, 2)], 3), None);
    }

    #[test]
    fn a_timeline_follows_the_writes() {
        let primary = Primary {
            base_seq: 10,
            initial: [("a".to_owned(), 1)].into(),
            writes: vec![
                (11, "b".into(), Some(5)),
                (13, "a".into(), None),
                (13, "b".into(), Some(6)),
                (15, "a".into(), Some(1)),
            ],
        };
        let t = Timeline::build(&primary).ok();
        let held = |k, v| t.as_ref().map(|t| t.held(k, v));
        assert_eq!(held("a", Some(1)), Some(vec![(10, 12), (15, 15)]));
        assert_eq!(held("a", None), Some(vec![(13, 14)]));
        assert_eq!(held("b", None), Some(vec![(10, 10)]));
        assert_eq!(held("b", Some(6)), Some(vec![(13, 15)]));
        assert_eq!(held("c", None), Some(vec![(10, 15)]));
        assert_eq!(held("c", Some(1)), Some(vec![]));
    }
}
