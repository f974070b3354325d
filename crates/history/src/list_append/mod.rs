//! Elle-style checking of list-append transactions (MULTI of RPUSH and LRANGE).
//!
//! Every value is appended to a key at most once, so a read reveals the order of the appends
//! before it. Each key's version order is its longest ok read; every other read must be a
//! prefix of it. Anomalies found directly: duplicated elements in a read, garbage (never
//! appended) and aborted (appended only by a failed txn) reads, lost appends (an ok append no
//! read shows although a read was invoked after it completed), and reads inside a txn that
//! disagree with the txn's own appends. Then a dependency graph over ok txns (and info txns
//! whose appends were seen): ww, wr and rw edges from the version orders, and real-time edges;
//! one cycle, the weakest found, is reported and classified as Elle does: G0 (ww only), G1c (ww
//! and wr), G-single (exactly one rw), G2 (more rw), with "-realtime" when it needs a real-time
//! edge.

mod cycles;
mod display;
mod graph;
mod order;
mod txns;

#[cfg(test)]
mod tests;

use crate::event::Kind;
use crate::report::{OpRef, Report, Verdict};
use crate::{History, HistoryError};

pub use graph::EdgeKind;

/// Checks every txn op of `history`.
pub fn check(history: &History) -> Result<ListAppendReport, HistoryError> {
    let pairs = history.pairs()?;
    let txns = txns::collect(&pairs);
    let appenders = txns::appenders(&txns)?;
    let mut anomalies: Vec<Anomaly> = txns.iter().filter_map(txns::internal).collect();
    let reads = order::reads(&txns, &mut anomalies);
    let orders = order::version_orders(&txns, &reads, &mut anomalies);
    order::phantoms(&txns, &reads, &appenders, &mut anomalies);
    order::lost(&txns, &reads, &mut anomalies);
    let graph = graph::build(&txns, &orders, &reads, &appenders);
    if let Some(path) = cycles::find(&graph.adj) {
        let steps = path
            .into_iter()
            .map(|(from, e)| Dependency {
                from: txns[from].at,
                to: txns[e.to].at,
                kind: e.kind,
                key: graph.keys.get(e.key).map(|k| (*k).to_owned()),
                value: e.value,
                prev: e.prev,
            })
            .collect();
        anomalies.push(Anomaly::Cycle(Cycle::classify(steps)));
    }
    Ok(ListAppendReport {
        txns: txns.len(),
        ok: txns.iter().filter(|t| t.outcome == Kind::Ok).count(),
        keys: orders.len(),
        edges: graph.adj.iter().map(Vec::len).sum(),
        anomalies,
    })
}

/// The result of a list-append check.
#[derive(Debug, Clone, PartialEq)]
pub struct ListAppendReport {
    pub txns: usize,
    pub ok: usize,
    /// Keys with at least one ok read.
    pub keys: usize,
    /// Edges of the dependency graph.
    pub edges: usize,
    pub anomalies: Vec<Anomaly>,
}

/// Something the history shows that a serializable (and real-time ordered) system would not.
#[derive(Debug, Clone, PartialEq)]
pub enum Anomaly {
    /// A read holds the same element twice (an append applied twice).
    DuplicateElements {
        txn: OpRef,
        key: String,
        value: i64,
        read: Vec<i64>,
    },
    /// Two reads of a key where neither is a prefix of the other.
    IncompatibleOrder {
        key: String,
        longest: (OpRef, Vec<i64>),
        other: (OpRef, Vec<i64>),
    },
    /// A read holds a value no txn appended.
    GarbageRead {
        txn: OpRef,
        key: String,
        value: i64,
    },
    /// A read holds a value only a failed txn appended (G1a).
    AbortedRead {
        txn: OpRef,
        key: String,
        value: i64,
        appender: OpRef,
    },
    /// An acknowledged append missing from every read, though `reader` was invoked after the
    /// append completed.
    LostAppend {
        key: String,
        value: i64,
        appender: OpRef,
        reader: (OpRef, Vec<i64>),
    },
    /// A read inside a txn that disagrees with the txn's own earlier micro-ops: it should be
    /// `expected` (`exact`) or end with it.
    Internal {
        txn: OpRef,
        key: String,
        expected: Vec<i64>,
        exact: bool,
        read: Vec<i64>,
    },
    Cycle(Cycle),
}

impl Anomaly {
    /// A short name, Elle's where there is one.
    pub fn name(&self) -> String {
        match self {
            Anomaly::DuplicateElements { .. } => "duplicate-elements".into(),
            Anomaly::IncompatibleOrder { .. } => "incompatible-order".into(),
            Anomaly::GarbageRead { .. } => "garbage-read".into(),
            Anomaly::AbortedRead { .. } => "G1a".into(),
            Anomaly::LostAppend { .. } => "lost-append".into(),
            Anomaly::Internal { .. } => "internal".into(),
            Anomaly::Cycle(cycle) => cycle.name(),
        }
    }
}

/// A dependency cycle between transactions.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub class: CycleClass,
    /// It needs a real-time edge (so only strict serializability forbids it).
    pub realtime: bool,
    /// The edges, each leading to the next one's source; the last leads back to the first.
    pub steps: Vec<Dependency>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleClass {
    /// Write cycle: ww edges only.
    G0,
    /// ww and wr edges.
    G1c,
    /// Exactly one rw edge (read skew).
    GSingle,
    /// Two or more rw edges (write skew and beyond).
    G2,
}

impl Cycle {
    fn classify(steps: Vec<Dependency>) -> Cycle {
        let count = |kind| steps.iter().filter(|s| s.kind == kind).count();
        let class = match (count(EdgeKind::Rw), count(EdgeKind::Wr)) {
            (0, 0) => CycleClass::G0,
            (0, _) => CycleClass::G1c,
            (1, _) => CycleClass::GSingle,
            _ => CycleClass::G2,
        };
        let realtime = count(EdgeKind::Realtime) > 0;
        Cycle {
            class,
            realtime,
            steps,
        }
    }

    pub fn name(&self) -> String {
        let class = match self.class {
            CycleClass::G0 => "G0",
            CycleClass::G1c => "G1c",
            CycleClass::GSingle => "G-single",
            CycleClass::G2 => "G2",
        };
        let suffix = if self.realtime { "-realtime" } else { "" };
        format!("{class}{suffix}")
    }
}

/// One edge of a cycle. `value`: the element the edge is about (ww, rw: the one `to` appended;
/// wr: the one `from` appended); `prev`: the element before it (ww: the one `from` appended;
/// rw: the last one `from` read, None for an empty read). Real-time edges have no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub from: OpRef,
    pub to: OpRef,
    pub kind: EdgeKind,
    pub key: Option<String>,
    pub value: i64,
    pub prev: Option<i64>,
}

impl Report for ListAppendReport {
    fn verdict(&self) -> Verdict {
        if self.anomalies.is_empty() {
            return Verdict::Valid;
        }
        let mut names: Vec<String> = self.anomalies.iter().map(Anomaly::name).collect();
        names.dedup();
        Verdict::Invalid(format!(
            "{} anomalies: {}",
            self.anomalies.len(),
            names.join(", ")
        ))
    }
}
