//! When this node applied recent seqs, on its own monotonic clock: shipping measures a
//! secondary's lag in milliseconds with it, so clock offsets between nodes never show up as lag.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use meridian_types::Seq;

/// How many applies are remembered (one record per apply call, which may cover many ops).
const KEEP: usize = 4096;

#[derive(Default)]
pub(crate) struct ApplyTimes {
    records: Mutex<VecDeque<(Seq, Instant)>>,
}

impl ApplyTimes {
    /// Notes that everything up to `seq` is applied now.
    pub(crate) fn record(&self, seq: Seq) {
        let mut r = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if r.back().is_some_and(|(last, _)| *last >= seq) {
            return;
        }
        if r.len() == KEEP {
            r.pop_front();
        }
        r.push_back((seq, Instant::now()));
    }

    /// When `seq` was applied here: the first record at or after it. For a seq older than
    /// every record, the oldest record's time (a lower bound on its age). None when `seq` is
    /// not applied yet or nothing was recorded.
    pub(crate) fn applied_at(&self, seq: Seq) -> Option<Instant> {
        let r = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let i = r.partition_point(|(s, _)| *s < seq);
        r.get(i)
            .or_else(|| r.front().filter(|_| i == 0))
            .map(|(_, t)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_apply_that_covered_a_seq() {
        let t = ApplyTimes::default();
        assert_eq!(t.applied_at(1), None);
        t.record(5);
        t.record(9);
        let at5 = t.applied_at(5).expect("recorded");
        assert_eq!(
            t.applied_at(3),
            Some(at5),
            "covered by the apply that reached 5"
        );
        assert!(t.applied_at(7).expect("recorded") >= at5);
        assert_eq!(t.applied_at(10), None, "not applied yet");
    }
}
