//! The dependency graph between transactions: ww, wr and rw edges inferred from each key's
//! version order, and real-time edges.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::event::Kind;

use super::order::Read;
use super::txns::Txn;

/// Why one transaction must come before another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The target appended the element right after the source's.
    Ww,
    /// The target read a list ending with the source's element.
    Wr,
    /// The source read a list the target's element is the next one after.
    Rw,
    /// The source completed before the target was invoked.
    Realtime,
}

impl EdgeKind {
    pub(super) const ALL: [EdgeKind; 4] = [Self::Ww, Self::Wr, Self::Rw, Self::Realtime];

    pub(super) fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// An edge and the data behind it: `key` indexes [`Graph::keys`]; `value` is the element the
/// edge is about (ww, rw: the target's append; wr: the source's append); `prev` is the element
/// before it (ww: the source's append; rw: the last element the source read, None if empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Edge {
    pub to: usize,
    pub kind: EdgeKind,
    pub key: usize,
    pub value: i64,
    pub prev: Option<i64>,
}

/// Nodes are txn positions; only ok txns and info txns with an observed append have edges.
pub(super) struct Graph<'a> {
    pub adj: Vec<Vec<Edge>>,
    pub keys: Vec<&'a str>,
    seen: HashSet<(usize, usize, EdgeKind)>,
}

impl<'a> Graph<'a> {
    fn add(&mut self, from: usize, edge: Edge) {
        if from != edge.to && self.seen.insert((from, edge.to, edge.kind)) {
            self.adj[from].push(edge);
        }
    }
}

/// Builds the graph of `txns` from the version orders and the reads.
pub(super) fn build<'a>(
    txns: &[Txn<'_>],
    orders: &BTreeMap<&'a str, Read<'a>>,
    reads: &[Read<'a>],
    appenders: &HashMap<(&str, i64), usize>,
) -> Graph<'a> {
    let mut graph = Graph {
        adj: vec![Vec::new(); txns.len()],
        keys: orders.keys().copied().collect(),
        seen: HashSet::new(),
    };
    let in_graph = nodes(txns, orders, appenders);
    let appender = |key: &str, value: i64| {
        appenders
            .get(&(key, value))
            .copied()
            .filter(|&t| in_graph[t])
    };
    for (key_id, order) in orders.values().enumerate() {
        for pair in order.values.windows(2) {
            if let (Some(a), Some(b)) = (appender(order.key, pair[0]), appender(order.key, pair[1]))
            {
                let (value, prev) = (pair[1], Some(pair[0]));
                graph.add(a, edge(b, EdgeKind::Ww, key_id, value, prev));
            }
        }
    }
    for read in reads {
        let Ok(key_id) = graph.keys.binary_search(&read.key) else {
            continue;
        };
        let last = read.values.last().copied();
        if let Some((a, x)) = last.and_then(|x| Some((appender(read.key, x)?, x))) {
            graph.add(a, edge(read.txn, EdgeKind::Wr, key_id, x, None));
        }
        let order = orders.get(read.key).map_or(&[][..], |o| o.values);
        if order.starts_with(read.values) {
            let next = order.get(read.values.len()).copied();
            if let Some((b, y)) = next.and_then(|y| Some((appender(read.key, y)?, y))) {
                graph.add(read.txn, edge(b, EdgeKind::Rw, key_id, y, last));
            }
        }
    }
    realtime(txns, &in_graph, &mut graph);
    graph
}

fn edge(to: usize, kind: EdgeKind, key: usize, value: i64, prev: Option<i64>) -> Edge {
    Edge {
        to,
        kind,
        key,
        value,
        prev,
    }
}

/// Ok txns, and info txns one of whose appends some read observed (so it took effect).
fn nodes(
    txns: &[Txn<'_>],
    orders: &BTreeMap<&str, Read<'_>>,
    appenders: &HashMap<(&str, i64), usize>,
) -> Vec<bool> {
    let mut in_graph: Vec<bool> = txns.iter().map(|t| t.outcome == Kind::Ok).collect();
    for order in orders.values() {
        for &value in order.values {
            if let Some(&t) = appenders.get(&(order.key, value)) {
                in_graph[t] |= txns[t].outcome == Kind::Info;
            }
        }
    }
    in_graph
}

/// Real-time edges, transitively reduced: from each txn T only to the txns invoked after T
/// completed and no later than the earliest completion among those. Any txn invoked after T
/// completed is still reachable: either it is in that window, or it was invoked after the txn
/// that completed first in it, which (completing later than T) has its own window. So the
/// graph gets O(n * concurrency) real-time edges instead of O(n²).
fn realtime(txns: &[Txn<'_>], in_graph: &[bool], graph: &mut Graph<'_>) {
    let mut by_invoke: Vec<usize> = (0..txns.len()).filter(|&t| in_graph[t]).collect();
    by_invoke.sort_by_key(|&t| txns[t].invoked());
    // earliest[i]: the earliest completion among by_invoke[i..].
    let mut earliest = vec![u64::MAX; by_invoke.len() + 1];
    for i in (0..by_invoke.len()).rev() {
        let done = txns[by_invoke[i]].completed().unwrap_or(u64::MAX);
        earliest[i] = earliest[i + 1].min(done);
    }
    for &from in &by_invoke {
        let Some(done) = txns[from].completed() else {
            continue;
        };
        let start = by_invoke.partition_point(|&t| txns[t].invoked() <= done);
        let horizon = earliest[start];
        for &to in by_invoke[start..]
            .iter()
            .take_while(|&&t| txns[t].invoked() <= horizon)
        {
            graph.add(from, edge(to, EdgeKind::Realtime, usize::MAX, 0, None));
        }
    }
}
