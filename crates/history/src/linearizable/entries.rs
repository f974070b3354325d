//! The calls and returns of one key's ops as a doubly linked list sorted by time, from which
//! the search lifts an op (its call and return) and puts it back.

use super::search::Operation;

const HEAD: usize = 0;

/// The entry list: entry 0 is the head sentinel, entries 1..=2n are calls and returns, entry
/// 2n+1 is the tail sentinel.
pub(super) struct Entries {
    pub op: Vec<usize>,
    pub is_call: Vec<bool>,
    /// For a call entry, its return entry.
    partner: Vec<usize>,
    pub next: Vec<usize>,
    prev: Vec<usize>,
    pub tail: usize,
}

impl Entries {
    pub fn new(ops: &[Operation]) -> Self {
        let mut order: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
        for (i, op) in ops.iter().enumerate() {
            order.push((op.call, false, i));
            order.push((op.ret, true, i));
        }
        order.sort_unstable();
        let tail = order.len() + 1;
        let mut list = Entries {
            op: vec![usize::MAX; tail + 1],
            is_call: vec![false; tail + 1],
            partner: vec![0; tail + 1],
            next: (1..=tail + 1).collect(),
            prev: (0..=tail).map(|e| e.saturating_sub(1)).collect(),
            tail,
        };
        let mut call_entry = vec![0; ops.len()];
        for (pos, &(_, is_return, i)) in order.iter().enumerate() {
            let e = pos + 1;
            list.op[e] = i;
            list.is_call[e] = !is_return;
            if is_return {
                list.partner[call_entry[i]] = e;
            } else {
                call_entry[i] = e;
            }
        }
        list
    }

    pub fn first(&self) -> usize {
        self.next[HEAD]
    }

    /// Takes a call entry and its return out of the list.
    pub fn lift(&mut self, call: usize) {
        for e in [call, self.partner[call]] {
            let (p, n) = (self.prev[e], self.next[e]);
            self.next[p] = n;
            self.prev[n] = p;
        }
    }

    /// Puts back what `lift(call)` took out, in reverse order.
    pub fn unlift(&mut self, call: usize) {
        for e in [self.partner[call], call] {
            let (p, n) = (self.prev[e], self.next[e]);
            self.next[p] = e;
            self.prev[n] = e;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::Step;
    use super::super::search::tests::{op, write};
    use super::*;

    #[test]
    fn lift_and_unlift_restore_the_list() {
        let ops = [op(write(1), 0, 10), op(Step::Read(Some(1)), 5, 15)];
        let mut list = Entries::new(&ops);
        let before = (list.next.clone(), list.prev.clone());
        let first = list.first();
        list.lift(first);
        assert_eq!(list.op[list.first()], 1);
        list.unlift(first);
        assert_eq!((list.next.clone(), list.prev.clone()), before);
    }
}
