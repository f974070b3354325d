//! Every acknowledged write survives, or lies inside a range the system reported discarding.
//!
//! An ok write, incr or cas acknowledged with seq s is fine when the final (converged) primary
//! history holds seq s on the same key (for a write, with the same value too; an incr's or a
//! cas's resulting value depends on what ran before, so the key suffices), or when s lies
//! inside a reported loss range.
//!
//! A reply without a seq (RESP's `+OK`) is matched by its value: the workloads that are
//! loss-checked write every value once, so a write whose key never held its value in the
//! final history is lost, unless the system reported a loss range (it may be one of those:
//! unverifiable). An incr or cas without a seq cannot be verified. A history with unverifiable
//! writes and no lost one gets an `Unknown` verdict.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::event::{Kind, Nil, Op};
use crate::report::{write_capped, OpRef, Report, Verdict};
use crate::{History, HistoryError};

/// Seqs `from_seq..=to_seq` written in `epoch` that the system reported discarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossRange {
    pub epoch: u64,
    pub from_seq: u64,
    pub to_seq: u64,
}

impl LossRange {
    pub fn contains(&self, seq: u64) -> bool {
        (self.from_seq..=self.to_seq).contains(&seq)
    }
}

/// The primary's history after convergence: seq -> (key, value written; None = deleted).
pub type FinalHistory = BTreeMap<u64, (String, Option<i64>)>;

/// Checks the acknowledged writes of `history` against the final history and reported ranges.
pub fn check(
    history: &History,
    final_history: &FinalHistory,
    ranges: &[LossRange],
) -> Result<LossReport, HistoryError> {
    let pairs = history.pairs()?;
    let written: HashSet<(&str, i64)> = final_history
        .values()
        .filter_map(|(k, v)| v.map(|v| (k.as_str(), v)))
        .collect();
    let mut report = LossReport::default();
    for pair in pairs.iter().filter(|p| p.outcome() == Kind::Ok) {
        let op = pair.op();
        let (key, value) = match op {
            Op::Write { key, value } => (key, Some(*value)),
            Op::Incr { key, .. } | Op::Cas { key, .. } => (key, None),
            _ => continue,
        };
        report.acknowledged += 1;
        let Some(seq) = pair.seq() else {
            match value {
                Some(v) if written.contains(&(key.as_str(), v)) => report.survived += 1,
                Some(_) if ranges.is_empty() => report.lost.push(LostWrite {
                    at: pair.op_ref(),
                    op: op.clone(),
                    seq: None,
                    found: None,
                }),
                _ => report.unverifiable.push(pair.op_ref()),
            }
            continue;
        };
        let found = final_history.get(&seq);
        let survived = found.is_some_and(|(k, v)| k == key && value.is_none_or(|w| *v == Some(w)));
        if survived {
            report.survived += 1;
        } else if ranges.iter().any(|r| r.contains(seq)) {
            report.in_reported_ranges += 1;
        } else {
            report.lost.push(LostWrite {
                at: pair.op_ref(),
                op: op.clone(),
                seq: Some(seq),
                found: found.cloned(),
            });
        }
    }
    Ok(report)
}

/// How many acknowledged writes the history shows inside the reported ranges that did not
/// survive: to compare with the system's own count of discarded writes.
pub fn discarded_in_history(
    history: &History,
    final_history: &FinalHistory,
    ranges: &[LossRange],
) -> Result<u64, HistoryError> {
    check(history, final_history, ranges).map(|r| r.in_reported_ranges)
}

/// The result of a loss check. `acknowledged` = `survived` + `in_reported_ranges` + lost +
/// unverifiable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossReport {
    pub acknowledged: u64,
    pub survived: u64,
    /// Did not survive, inside a reported loss range.
    pub in_reported_ranges: u64,
    pub lost: Vec<LostWrite>,
    /// Acknowledged without a seq and not found by value (an incr or a cas, or a write while
    /// loss ranges were reported).
    pub unverifiable: Vec<OpRef>,
}

/// An acknowledged write neither in the final history nor inside a reported range.
#[derive(Debug, Clone, PartialEq)]
pub struct LostWrite {
    pub at: OpRef,
    pub op: Op,
    /// The seq of the acknowledgement; none for a reply without one (matched by value).
    pub seq: Option<u64>,
    /// What the final history holds at `seq` instead, if anything.
    pub found: Option<(String, Option<i64>)>,
}

impl Report for LossReport {
    fn verdict(&self) -> Verdict {
        if let Some(first) = self.lost.first() {
            return Verdict::Invalid(format!(
                "{} acknowledged writes lost; first: {first}",
                self.lost.len()
            ));
        }
        match self.unverifiable.first() {
            Some(first) => Verdict::Unknown(format!(
                "{} acknowledged writes carry no seq; first: {first}",
                self.unverifiable.len()
            )),
            None => Verdict::Valid,
        }
    }
}

impl fmt::Display for LossReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "loss: {}", self.verdict())?;
        writeln!(
            f,
            "  {} acknowledged: {} survived, {} inside reported ranges, {} lost, {} without seq",
            self.acknowledged,
            self.survived,
            self.in_reported_ranges,
            self.lost.len(),
            self.unverifiable.len()
        )?;
        write_capped(f, &self.lost, 20, "  ")
    }
}

impl fmt::Display for LostWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(seq) = self.seq else {
            return write!(
                f,
                "{} {} acknowledged (no seq): the final history never holds that value",
                self.at, self.op
            );
        };
        write!(f, "{} {} acknowledged at seq {seq}: ", self.at, self.op)?;
        match &self.found {
            None => f.write_str("no such seq in the final history"),
            Some((key, value)) => {
                write!(f, "the final history has {key} = {} there", Nil(value))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cas, incr, write, Builder};

    fn writes() -> Builder {
        let mut b = Builder::new();
        b.ok(1, 0, 10, write("a", 1)).seq(1);
        b.ok(1, 20, 30, incr("c", 1, Some(1))).seq(2);
        b.ok(2, 20, 30, cas("a", 1, 2)).seq(3);
        b.fail(3, 40, 50, write("a", 9));
        b
    }

    fn final_history(entries: &[(u64, &str, Option<i64>)]) -> FinalHistory {
        entries
            .iter()
            .map(|&(s, k, v)| (s, (k.to_owned(), v)))
            .collect()
    }

    fn report(b: &Builder, fin: &FinalHistory, ranges: &[LossRange]) -> LossReport {
        match check(&b.build(), fin, ranges) {
            Ok(report) => {
                println!("{report}");
                report
            }
            Err(e) => panic!("history rejected: {e}"),
        }
    }

    #[test]
    fn writes_all_present_pass() {
        let fin = final_history(&[(1, "a", Some(1)), (2, "c", Some(1)), (3, "a", Some(2))]);
        let report = report(&writes(), &fin, &[]);
        assert!(report.is_valid());
        assert_eq!((report.acknowledged, report.survived), (3, 3));
    }

    #[test]
    fn a_missing_write_is_caught() {
        let fin = final_history(&[(1, "a", Some(1)), (3, "a", Some(2))]);
        let report = report(&writes(), &fin, &[]);
        let lost: Vec<_> = report
            .lost
            .iter()
            .map(|l| (l.seq, l.found.clone()))
            .collect();
        assert_eq!(lost, [(Some(2), None)]);
    }

    #[test]
    fn a_missing_write_inside_a_reported_range_passes_and_counts() {
        let fin = final_history(&[(1, "a", Some(1))]);
        let ranges = [LossRange {
            epoch: 1,
            from_seq: 2,
            to_seq: 5,
        }];
        let report = report(&writes(), &fin, &ranges);
        assert!(report.is_valid());
        assert_eq!((report.survived, report.in_reported_ranges), (1, 2));
        let discarded = discarded_in_history(&writes().build(), &fin, &ranges).ok();
        assert_eq!(discarded, Some(2));
    }

    #[test]
    fn a_seq_holding_another_op_is_caught() {
        let fin = final_history(&[(1, "b", Some(1)), (2, "c", Some(1)), (3, "a", Some(2))]);
        let found: Vec<_> = report(&writes(), &fin, &[])
            .lost
            .iter()
            .map(|l| l.found.clone())
            .collect();
        assert_eq!(found, [Some(("b".to_owned(), Some(1)))]);

        let fin = final_history(&[(1, "a", Some(5)), (2, "c", Some(7)), (3, "a", Some(2))]);
        let lost: Vec<_> = report(&writes(), &fin, &[])
            .lost
            .iter()
            .map(|l| l.seq)
            .collect();
        assert_eq!(
            lost,
            [Some(1)],
            "a write's value must match; an incr's need not"
        );
    }

    fn with_unsequenced_write(value: i64) -> Builder {
        let mut b = writes();
        b.ok(4, 60, 70, write("a", value));
        b
    }

    #[test]
    fn a_write_without_seq_is_found_by_its_value() {
        let fin = final_history(&[
            (1, "a", Some(1)),
            (2, "c", Some(1)),
            (3, "a", Some(2)),
            (4, "a", Some(3)),
        ]);
        let report = report(&with_unsequenced_write(3), &fin, &[]);
        assert!(report.is_valid());
        assert_eq!(report.survived, 4);
    }

    #[test]
    fn a_write_without_seq_missing_from_the_final_history_is_lost() {
        let fin = final_history(&[(1, "a", Some(1)), (2, "c", Some(1)), (3, "a", Some(2))]);
        let lost = report(&with_unsequenced_write(3), &fin, &[]);
        assert!(lost.verdict().is_invalid());
        assert_eq!(lost.lost.len(), 1);
        assert_eq!(lost.lost[0].seq, None);
        let fin = final_history(&[(1, "a", Some(1)), (2, "c", Some(1)), (3, "b", Some(3))]);
        let elsewhere = report(&with_unsequenced_write(3), &fin, &[]);
        assert_eq!(
            elsewhere.lost.len(),
            2,
            "the value on another key does not count"
        );
    }

    #[test]
    fn a_write_without_seq_is_unverifiable_once_a_loss_was_reported() {
        let fin = final_history(&[(1, "a", Some(1)), (2, "c", Some(1)), (3, "a", Some(2))]);
        let ranges = [LossRange {
            epoch: 1,
            from_seq: 9,
            to_seq: 9,
        }];
        let report = report(&with_unsequenced_write(3), &fin, &ranges);
        assert!(report.verdict().is_unknown());
        assert_eq!(report.unverifiable.len(), 1);
    }

    #[test]
    fn an_incr_without_seq_is_unverifiable() {
        let mut b = writes();
        b.ok(4, 60, 70, incr("c", 1, Some(2)));
        let fin = final_history(&[(1, "a", Some(1)), (2, "c", Some(1)), (3, "a", Some(2))]);
        let report = report(&b, &fin, &[]);
        assert!(report.verdict().is_unknown());
        assert_eq!(report.unverifiable.len(), 1);
    }
}
