//! Secondaries show prefixes of the primary's history, and a session never goes back.
//!
//! state(S) is the primary's registers after applying its writes up to seq S. Each ok
//! `read_state` must equal state(S) for some S on the keys it read: per key, the seqs at which
//! the key held the value read are intervals; the read's feasible seqs are their intersection.
//! Per process, the chosen S never decreases: each read takes the smallest feasible S at or
//! after the previous read's (greedy, which is optimal: a smaller choice leaves more room).

mod timeline;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use crate::event::{Kind, Nil, Op};
use crate::report::{write_capped, OpRef, Report, Verdict};
use crate::{History, HistoryError};

use timeline::{first_from, intersect, Intervals, Timeline};

/// The primary's history as the system reports it after convergence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Primary {
    /// The seq the starting state is at (0 for an empty start).
    pub base_seq: u64,
    /// The registers at `base_seq`; absent keys are nil.
    pub initial: BTreeMap<String, i64>,
    /// (seq, key, value) register writes, seqs above `base_seq` and never decreasing (writes
    /// sharing a seq apply together); None deletes the key.
    pub writes: Vec<(u64, String, Option<i64>)>,
}

/// Checks every ok `read_state` of `history` against `primary`.
pub fn check(primary: &Primary, history: &History) -> Result<PrefixReport, HistoryError> {
    let timeline = Timeline::build(primary)?;
    let pairs = history.pairs()?;
    let mut by_process: BTreeMap<u64, Vec<SessionRead<'_>>> = BTreeMap::new();
    for pair in pairs.iter().filter(|p| p.outcome() == Kind::Ok) {
        if let Op::ReadState { value } = pair.op() {
            by_process
                .entry(pair.invoke.process)
                .or_default()
                .push((pair.op_ref(), value));
        }
    }
    let mut report = PrefixReport {
        reads: by_process.values().map(Vec::len).sum(),
        processes: by_process.len(),
        seqs: (timeline.first, timeline.last),
        violations: Vec::new(),
    };
    for reads in by_process.values() {
        check_session(&timeline, reads, &mut report.violations);
    }
    Ok(report)
}

/// One read of a process: where it is in the history and the registers it returned.
type SessionRead<'a> = (OpRef, &'a BTreeMap<String, Option<i64>>);

/// Matches one process's reads, in order, to non-decreasing seqs.
fn check_session(
    timeline: &Timeline<'_>,
    reads: &[SessionRead<'_>],
    violations: &mut Vec<PrefixViolation>,
) {
    let mut floor: Option<(OpRef, u64)> = None;
    for &(read, state) in reads {
        let feasible = match feasible(timeline, read, state) {
            Ok(feasible) => feasible,
            Err(violation) => {
                violations.push(*violation);
                continue;
            }
        };
        let from = floor.map_or(timeline.first, |f| f.1);
        match (first_from(&feasible, from), floor) {
            (Some(seq), _) => floor = Some((read, seq)),
            (None, Some((previous, previous_seq))) => violations.push(PrefixViolation::WentBack {
                read,
                latest: feasible.last().map_or(0, |r| r.1),
                previous,
                previous_seq,
            }),
            (None, None) => {}
        }
    }
}

/// The seqs S with state(S) equal to `state` on its keys, or why there are none.
fn feasible(
    timeline: &Timeline<'_>,
    read: OpRef,
    state: &BTreeMap<String, Option<i64>>,
) -> Result<Intervals, Box<PrefixViolation>> {
    let mut held: Vec<(&str, Option<i64>, Intervals)> = Vec::with_capacity(state.len());
    let mut together = vec![(timeline.first, timeline.last)];
    for (key, &value) in state {
        let seqs = timeline.held(key, value);
        if seqs.is_empty() {
            let key = key.clone();
            return Err(Box::new(PrefixViolation::NeverHeld { read, key, value }));
        }
        let next = intersect(&together, &seqs);
        if next.is_empty() {
            return Err(Box::new(never_together(read, &held, (key, value, seqs))));
        }
        held.push((key, value, seqs));
        together = next;
    }
    Ok(together)
}

/// Names a key read earlier whose value never coexisted with `last`'s, if there is one.
fn never_together(
    read: OpRef,
    earlier: &[(&str, Option<i64>, Intervals)],
    last: (&String, Option<i64>, Intervals),
) -> PrefixViolation {
    let held = |(key, value, seqs): (&str, Option<i64>, &Intervals)| Held {
        key: key.to_owned(),
        value,
        seqs: seqs.clone(),
    };
    let b = held((last.0, last.1, &last.2));
    match earlier.iter().find(|e| intersect(&e.2, &last.2).is_empty()) {
        Some(e) => PrefixViolation::NeverTogether {
            read,
            a: held((e.0, e.1, &e.2)),
            b,
        },
        None => PrefixViolation::NoCommonSeq { read, last: b },
    }
}

/// The result of a prefix check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixReport {
    /// Ok `read_state` ops checked.
    pub reads: usize,
    pub processes: usize,
    /// The seqs the primary's history spans.
    pub seqs: (u64, u64),
    pub violations: Vec<PrefixViolation>,
}

/// A key, a value it was read with, and the seqs at which the primary's key held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub key: String,
    pub value: Option<i64>,
    pub seqs: Vec<(u64, u64)>,
}

/// A read no prefix of the primary's history explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixViolation {
    /// The primary's key never held the value read.
    NeverHeld {
        read: OpRef,
        key: String,
        value: Option<i64>,
    },
    /// Two values read that the primary never held at the same time (an out-of-order apply).
    NeverTogether { read: OpRef, a: Held, b: Held },
    /// Every two values read coexisted, but not all of them at once; `last` is the key whose
    /// value no seq matching the keys before it (in key order) had.
    NoCommonSeq { read: OpRef, last: Held },
    /// The read matches only seqs below what the same process already saw.
    WentBack {
        read: OpRef,
        /// The highest seq the read matches.
        latest: u64,
        previous: OpRef,
        previous_seq: u64,
    },
}

impl Report for PrefixReport {
    fn verdict(&self) -> Verdict {
        match self.violations.first() {
            None => Verdict::Valid,
            Some(first) => Verdict::Invalid(format!(
                "{} reads match no prefix; first: {first}",
                self.violations.len()
            )),
        }
    }
}

impl fmt::Display for PrefixReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "prefix: {}", self.verdict())?;
        writeln!(
            f,
            "  {} reads by {} processes against seqs {}..={}",
            self.reads, self.processes, self.seqs.0, self.seqs.1
        )?;
        write_capped(f, &self.violations, 20, "  ")
    }
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {} at seqs ", self.key, Nil(&self.value))?;
        let shown: Vec<String> = self
            .seqs
            .iter()
            .take(5)
            .map(|(lo, hi)| format!("{lo}..={hi}"))
            .collect();
        let more = if self.seqs.len() > 5 { ", ..." } else { "" };
        write!(f, "{}{more}", shown.join(", "))
    }
}

impl fmt::Display for PrefixViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrefixViolation::NeverHeld { read, key, value } => write!(
                f,
                "{read} read {key} = {}, a value the primary never gave it",
                Nil(value)
            ),
            PrefixViolation::NeverTogether { read, a, b } => {
                write!(f, "{read} read {a} and {b}: never at the same time")
            }
            PrefixViolation::NoCommonSeq { read, last } => write!(
                f,
                "{read}: no seq matches all its values; it fails at {last}"
            ),
            PrefixViolation::WentBack {
                read,
                latest,
                previous,
                previous_seq,
            } => write!(
                f,
                "{read} went back: it matches seqs up to {latest}, but the same process's \
                 {previous} was already at seq {previous_seq}"
            ),
        }
    }
}
