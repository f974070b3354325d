//! One writable cluster at a time: from the history alone, no cluster's acknowledged writes
//! resume after another cluster's, once the hand-over is certain.
//!
//! A violation is three acknowledged writes a1, b, a2, with a1 and a2 on cluster A and b on
//! cluster B ≠ A, where a1 completed before b was invoked and b completed before a2 was
//! invoked: real time orders them A, B, A, so A accepted writes after B had. Writes whose
//! intervals overlap give no such evidence: each took effect at some instant inside its
//! interval, so they may have taken effect in an order with a single hand-over (A, A, B), and
//! the checker stays silent. A deliberate fail-back (A, B, then A again) is reported too: check
//! the history of each failover separately.

use std::collections::BTreeMap;
use std::fmt;

use crate::event::Kind;
use crate::report::{write_capped, Ns, OpRef, Report, Verdict};
use crate::{History, HistoryError};

/// Checks the acknowledged writes (write, incr, cas, txn with an append) of `history`.
pub fn check(history: &History) -> Result<SingleWriterReport, HistoryError> {
    let pairs = history.pairs()?;
    let mut writes: Vec<(&str, OpRef)> = Vec::new();
    let mut unattributed = 0;
    for pair in pairs
        .iter()
        .filter(|p| p.outcome() == Kind::Ok && p.op().is_write())
    {
        match pair.cluster() {
            Some(cluster) => writes.push((cluster, pair.op_ref())),
            None => unattributed += 1,
        }
    }
    let spans = spans(&writes);
    let mut violations: Vec<Interleaving> = Vec::new();
    for &(b_cluster, b) in &writes {
        let b_done = b.completed.unwrap_or(u64::MAX);
        for (a_cluster, span) in &spans {
            let evidence = *a_cluster != b_cluster
                && span.first_done.completed.unwrap_or(u64::MAX) < b.invoked
                && span.last_invoked.invoked > b_done;
            let known = |v: &Interleaving| v.a == *a_cluster && v.b == b_cluster;
            if evidence && !violations.iter().any(known) {
                violations.push(Interleaving {
                    a: (*a_cluster).to_owned(),
                    b: b_cluster.to_owned(),
                    a1: span.first_done,
                    b_write: b,
                    a2: span.last_invoked,
                });
            }
        }
    }
    Ok(SingleWriterReport {
        writes: writes.len(),
        unattributed,
        clusters: spans.into_values().map(|s| s.figures).collect(),
        violations,
    })
}

/// Per cluster: its figures, its write that completed first and the one invoked last.
struct Span {
    figures: ClusterSpan,
    first_done: OpRef,
    last_invoked: OpRef,
}

fn spans<'a>(writes: &[(&'a str, OpRef)]) -> BTreeMap<&'a str, Span> {
    let mut spans: BTreeMap<&str, Span> = BTreeMap::new();
    for &(cluster, w) in writes {
        let done = w.completed.unwrap_or(u64::MAX);
        let span = spans.entry(cluster).or_insert_with(|| Span {
            figures: ClusterSpan {
                cluster: cluster.to_owned(),
                writes: 0,
                first_invoke: w.invoked,
                last_complete: done,
            },
            first_done: w,
            last_invoked: w,
        });
        let f = &mut span.figures;
        f.writes += 1;
        f.first_invoke = f.first_invoke.min(w.invoked);
        f.last_complete = f.last_complete.max(done);
        if done < span.first_done.completed.unwrap_or(u64::MAX) {
            span.first_done = w;
        }
        if w.invoked > span.last_invoked.invoked {
            span.last_invoked = w;
        }
    }
    spans
}

/// The result of a single-writer check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleWriterReport {
    /// Acknowledged writes with a cluster.
    pub writes: usize,
    /// Acknowledged writes without a cluster (not checked).
    pub unattributed: usize,
    pub clusters: Vec<ClusterSpan>,
    pub violations: Vec<Interleaving>,
}

/// When a cluster acknowledged writes: from the first invocation to the last completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpan {
    pub cluster: String,
    pub writes: usize,
    pub first_invoke: u64,
    pub last_complete: u64,
}

/// Cluster `a` acknowledged `a1`, then `b` acknowledged `b_write`, then `a` acknowledged `a2`,
/// each completed before the next was invoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interleaving {
    pub a: String,
    pub b: String,
    pub a1: OpRef,
    pub b_write: OpRef,
    pub a2: OpRef,
}

impl Report for SingleWriterReport {
    fn verdict(&self) -> Verdict {
        match self.violations.first() {
            None => Verdict::Valid,
            Some(v) => Verdict::Invalid(format!(
                "{} interleavings; first: {} wrote after {} took over",
                self.violations.len(),
                v.a,
                v.b
            )),
        }
    }
}

impl fmt::Display for SingleWriterReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "single-writer: {}", self.verdict())?;
        writeln!(
            f,
            "  {} acknowledged writes checked, {} without a cluster",
            self.writes, self.unattributed
        )?;
        write_capped(f, &self.clusters, 20, "  ")?;
        write_capped(f, &self.violations, 20, "  ")
    }
}

impl fmt::Display for ClusterSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cluster {}: {} writes acknowledged from {} to {}",
            self.cluster,
            self.writes,
            Ns(self.first_invoke),
            Ns(self.last_complete)
        )
    }
}

impl fmt::Display for Interleaving {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{a} wrote {}, then {b} wrote {}, then {a} again wrote {}",
            self.a1,
            self.b_write,
            self.a2,
            a = self.a,
            b = self.b
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{read, write, Builder};

    fn report(b: &Builder) -> SingleWriterReport {
        match check(&b.build()) {
            Ok(report) => {
                println!("{report}");
                report
            }
            Err(e) => panic!("history rejected: {e}"),
        }
    }

    #[test]
    fn a_failover_passes() {
        let mut b = Builder::new();
        b.ok(1, 0, 10, write("k", 1)).cluster("A");
        b.ok(2, 20, 30, write("k", 2)).cluster("A");
        b.fail(3, 35, 40, write("k", 3)).cluster("A");
        b.ok(4, 50, 60, write("k", 4)).cluster("B");
        b.ok(5, 70, 80, read("k", Some(4))).cluster("A");
        b.ok(6, 90, 95, write("k", 5));
        let report = report(&b);
        assert!(report.is_valid());
        assert_eq!((report.writes, report.unattributed), (3, 1));
        let spans: Vec<_> = report
            .clusters
            .iter()
            .map(|c| {
                (
                    c.cluster.as_str(),
                    c.writes,
                    c.first_invoke,
                    c.last_complete,
                )
            })
            .collect();
        assert_eq!(spans, [("A", 2, 0, 30), ("B", 1, 50, 60)]);
    }

    #[test]
    fn a_b_a_is_caught() {
        let mut b = Builder::new();
        b.ok(1, 0, 10, write("k", 1)).cluster("A");
        b.ok(2, 20, 30, write("k", 2)).cluster("B");
        b.ok(3, 40, 50, write("k", 3)).cluster("A");
        let report = report(&b);
        let found: Vec<_> = report
            .violations
            .iter()
            .map(|v| {
                (
                    v.a.as_str(),
                    v.b.as_str(),
                    v.a1.index,
                    v.b_write.index,
                    v.a2.index,
                )
            })
            .collect();
        assert_eq!(found, [("A", "B", 0, 2, 4)]);
    }

    /// A's second write overlaps B's, so it may have taken effect before it: A, A, B is a
    /// possible order with one hand-over.
    #[test]
    fn overlapping_writes_give_no_evidence() {
        let mut b = Builder::new();
        b.ok(1, 0, 10, write("k", 1)).cluster("A");
        b.ok(2, 20, 40, write("k", 2)).cluster("B");
        b.ok(3, 30, 50, write("k", 3)).cluster("A");
        b.ok(4, 5, 25, write("k", 4)).cluster("B");
        assert!(report(&b).is_valid());
    }
}
