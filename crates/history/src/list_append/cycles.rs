//! Cycles in the dependency graph: strongly connected components (Tarjan, iterative), then one
//! cycle found by breadth-first search, looking for the weakest anomaly first as Elle does.

use std::collections::VecDeque;

use super::graph::{Edge, EdgeKind};

/// A cycle as (from, edge) steps; each edge leads to the next step's `from`.
pub(super) type Path = Vec<(usize, Edge)>;

/// The searches, weakest anomaly first: (allowed kinds, exactly one rw edge).
fn levels() -> [(u8, bool); 8] {
    use EdgeKind::{Realtime as Rt, Rw, Wr, Ww};
    let mask = |kinds: &[EdgeKind]| kinds.iter().fold(0, |m, k| m | k.bit());
    [
        (mask(&[Ww]), false),
        (mask(&[Ww, Wr]), false),
        (mask(&[Ww, Wr]), true),
        (mask(&[Ww, Wr, Rw]), false),
        (mask(&[Ww, Rt]), false),
        (mask(&[Ww, Wr, Rt]), false),
        (mask(&[Ww, Wr, Rt]), true),
        (mask(&[Ww, Wr, Rw, Rt]), false),
    ]
}

/// At most this many rw edges are tried as the single rw edge of a cycle.
const MAX_SINGLE_RW_TRIES: usize = 1_000;

/// One cycle of the graph, of the weakest kind present, or None if the graph is acyclic.
pub(super) fn find(adj: &[Vec<Edge>]) -> Option<Path> {
    let all = EdgeKind::ALL.iter().fold(0, |m, k| m | k.bit());
    let full = tarjan(adj, all);
    if !full.iter().any(|&c| c.1 > 1) {
        return None;
    }
    let same_scc = |a: usize, b: usize| full[a].0 == full[b].0;
    for (mask, single_rw) in levels() {
        let found = if single_rw {
            single_rw_cycle(adj, mask, &same_scc)
        } else {
            cycle_within(adj, mask)
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// A cycle using only `mask` edges, if any.
fn cycle_within(adj: &[Vec<Edge>], mask: u8) -> Option<Path> {
    let scc = tarjan(adj, mask);
    let start = (0..adj.len()).find(|&v| scc[v].1 > 1)?;
    let inside = |v: usize| scc[v].0 == scc[start].0;
    let first = adj[start]
        .iter()
        .find(|e| e.kind.bit() & mask != 0 && inside(e.to))?;
    let mut path = vec![(start, *first)];
    path.extend(shortest_path(adj, mask, first.to, start, &inside)?);
    Some(path)
}

/// A cycle made of one rw edge and `mask` edges (which exclude rw), if any.
fn single_rw_cycle(
    adj: &[Vec<Edge>],
    mask: u8,
    same_scc: &dyn Fn(usize, usize) -> bool,
) -> Option<Path> {
    let rw_edges = adj.iter().enumerate().flat_map(|(from, edges)| {
        edges
            .iter()
            .filter(move |e| e.kind == EdgeKind::Rw && same_scc(from, e.to))
            .map(move |e| (from, *e))
    });
    for (from, rw) in rw_edges.take(MAX_SINGLE_RW_TRIES) {
        let inside = |v: usize| same_scc(v, from);
        if let Some(back) = shortest_path(adj, mask, rw.to, from, &inside) {
            let mut path = vec![(from, rw)];
            path.extend(back);
            return Some(path);
        }
    }
    None
}

/// The shortest path from `from` to `to` over `mask` edges between nodes `inside` accepts.
fn shortest_path(
    adj: &[Vec<Edge>],
    mask: u8,
    from: usize,
    to: usize,
    inside: &dyn Fn(usize) -> bool,
) -> Option<Path> {
    let mut parent: Vec<Option<(usize, Edge)>> = vec![None; adj.len()];
    let mut queue = VecDeque::from([from]);
    let mut visited = vec![false; adj.len()];
    visited[from] = true;
    while let Some(v) = queue.pop_front() {
        if v == to {
            let mut path = Vec::new();
            let mut at = to;
            while at != from {
                let (p, e) = parent[at]?;
                path.push((p, e));
                at = p;
            }
            path.reverse();
            return Some(path);
        }
        for e in adj[v].iter().filter(|e| e.kind.bit() & mask != 0) {
            if !visited[e.to] && inside(e.to) {
                visited[e.to] = true;
                parent[e.to] = Some((v, *e));
                queue.push_back(e.to);
            }
        }
    }
    None
}

/// Tarjan's strongly connected components over `mask` edges, without recursion. Returns, per
/// node, (its component, the component's size).
fn tarjan(adj: &[Vec<Edge>], mask: u8) -> Vec<(usize, usize)> {
    let n = adj.len();
    let mut t = Tarjan {
        index: vec![UNSEEN; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        comp: vec![(UNSEEN, 0); n],
        next_index: 0,
        next_comp: 0,
    };
    for root in 0..n {
        if t.index[root] == UNSEEN {
            t.visit(root);
            t.run(adj, mask);
        }
    }
    t.comp
}

const UNSEEN: usize = usize::MAX;

struct Tarjan {
    index: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    /// The explicit call stack: (node, position of the next edge to follow).
    calls: Vec<(usize, usize)>,
    comp: Vec<(usize, usize)>,
    next_index: usize,
    next_comp: usize,
}

impl Tarjan {
    fn visit(&mut self, v: usize) {
        (self.index[v], self.low[v]) = (self.next_index, self.next_index);
        self.next_index += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        self.calls.push((v, 0));
    }

    fn run(&mut self, adj: &[Vec<Edge>], mask: u8) {
        while let Some((v, pos)) = self.calls.pop() {
            if let Some(e) = adj[v].get(pos) {
                self.calls.push((v, pos + 1));
                if e.kind.bit() & mask == 0 {
                    continue;
                }
                if self.index[e.to] == UNSEEN {
                    self.visit(e.to);
                } else if self.on_stack[e.to] {
                    self.low[v] = self.low[v].min(self.index[e.to]);
                }
                continue;
            }
            if let Some(&(parent, _)) = self.calls.last() {
                self.low[parent] = self.low[parent].min(self.low[v]);
            }
            if self.low[v] == self.index[v] {
                self.close(v);
            }
        }
    }

    /// Pops the component whose root is `v`.
    fn close(&mut self, v: usize) {
        let at = self.stack.iter().rposition(|&w| w == v).unwrap_or(0);
        let members = self.stack.len() - at;
        for w in self.stack.drain(at..) {
            self.on_stack[w] = false;
            self.comp[w] = (self.next_comp, members);
        }
        self.next_comp += 1;
    }
}
