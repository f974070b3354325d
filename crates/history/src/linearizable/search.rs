//! The Wing–Gong/Lowe search over one key's operations, as Porcupine does it, with pruning.
//!
//! Calls and returns are entries of a doubly linked list sorted by time (a call before a return
//! at the same instant, so touching ops count as concurrent). Walking from the head, a call
//! whose op can be applied to the current state is *lifted* (it and its return leave the list)
//! and the walk restarts; reaching a return means that op had to be linearized by then, so the
//! last lifted op is *unlifted* and the walk resumes after it.
//!
//! Pruning, each sound (it never drops the last way to linearize; the cross-check against plain
//! enumeration in `brute_tests` holds it to that):
//! - A configuration that failed is not explored again, nor one it dominates (see [`Memo`]).
//!   Sets of acknowledged ops are named by a 128-bit Zobrist hash updated in O(1) per step
//!   rather than by a bitset copied on each step: a collision (odds about steps² / 2¹²⁹) could
//!   only prune a branch, so it could report a valid history as a violation, never accept an
//!   invalid one.
//! - Once every acknowledged op is placed, the search succeeds: uncertain ops fit at the end.
//! - Identical uncertain ops are placed in call order (see `waits_for_twin`).
//! - On a counter that only goes up, a configuration past what an op left needs is dead (see
//!   [`Ceiling`]).

use std::collections::HashMap;

use super::entries::Entries;
use super::memo::{zobrist, Memo};
use super::model::{Ceiling, Step};

/// One op of the key. `ret` is `u64::MAX` for ops that may take effect at any later time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Operation {
    pub step: Step,
    pub call: u64,
    pub ret: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    Linearizable,
    /// No linearization exists. `prefix`: the longest sequence of ops (by position) the search
    /// could linearize, `state` after it, and `blocked`: the op whose return came before it
    /// could be placed; `conflict`: on a counter that only goes up, the op left that placing
    /// `blocked` would have made impossible.
    Violation {
        prefix: Vec<usize>,
        state: Option<i64>,
        blocked: usize,
        conflict: Option<usize>,
    },
    /// The step budget ran out; `deepest`: the longest prefix linearized so far, `blocked`:
    /// the op that could not be placed after it, if the search had hit a dead end there.
    Exhausted {
        deepest: usize,
        blocked: Option<usize>,
    },
}

/// An op linearized on the current path: its call entry and the search position before it.
struct Frame {
    entry: usize,
    state: Option<i64>,
    hash: u128,
}

/// The deepest point the search reached, for the report.
#[derive(Default)]
struct Deepest {
    depth: Option<usize>,
    prefix: Vec<usize>,
    state: Option<i64>,
    blocked: usize,
    conflict: Option<usize>,
}

/// Searches for a linearization of `ops`, giving up after `budget` steps. Returns the outcome
/// and the number of steps taken.
pub(super) fn search(ops: &[Operation], budget: u64) -> (Outcome, u64) {
    let mut search = Search::new(ops);
    let outcome = search.run(budget);
    (outcome, search.steps)
}

/// The search's position: the configuration (ops linearized, state) and the walk.
struct Search<'a> {
    ops: &'a [Operation],
    list: Entries,
    zobrist: Vec<u128>,
    /// For each op, its bit in `info` when uncertain.
    info_bit: Vec<Option<usize>>,
    /// For an uncertain op, the previous uncertain op (by call) with the same step.
    twin_before: Vec<Option<usize>>,
    memo: Memo,
    /// For a counter that only goes up: prunes configurations that can never finish.
    ceiling: Option<Ceiling>,
    calls: Vec<Frame>,
    deepest: Deepest,
    state: Option<i64>,
    /// Zobrist hash of the acknowledged ops linearized.
    hash: u128,
    /// The uncertain ops linearized.
    info: Vec<u64>,
    certain_left: usize,
    steps: u64,
}

impl<'a> Search<'a> {
    fn new(ops: &'a [Operation]) -> Self {
        let mut uncertain = 0;
        let info_bit: Vec<Option<usize>> = ops
            .iter()
            .map(|op| {
                (op.ret == u64::MAX).then(|| {
                    uncertain += 1;
                    uncertain - 1
                })
            })
            .collect();
        Search {
            ops,
            list: Entries::new(ops),
            zobrist: (0..ops.len() as u64).map(zobrist).collect(),
            twin_before: twins(ops, &info_bit),
            info_bit,
            memo: Memo::default(),
            ceiling: Ceiling::new(&ops.iter().map(|op| op.step).collect::<Vec<_>>()),
            calls: Vec::new(),
            deepest: Deepest::default(),
            state: None,
            hash: 0,
            info: vec![0; uncertain.div_ceil(64)],
            certain_left: ops.len() - uncertain,
            steps: 0,
        }
    }

    fn run(&mut self, budget: u64) -> Outcome {
        let mut entry = self.list.first();
        // Uncertain ops left over fit at the end, whatever the state.
        while self.certain_left > 0 {
            self.steps += 1;
            if self.steps > budget {
                return Outcome::Exhausted {
                    deepest: self.deepest.prefix.len(),
                    blocked: self.deepest.depth.map(|_| self.deepest.blocked),
                };
            }
            if self.list.is_call[entry] {
                entry = if self.try_lift(entry) {
                    self.list.first()
                } else {
                    self.list.next[entry]
                };
                continue;
            }
            // A return: its op had to be linearized by now and is not.
            self.offer_deepest(entry);
            match self.backtrack() {
                Some(resume) => entry = resume,
                None => return self.violation(),
            }
        }
        Outcome::Linearizable
    }

    /// Linearizes the op of call entry `entry` next, if it fits the state, is the first of
    /// its twins left, and leads to a configuration not known to fail.
    fn try_lift(&mut self, entry: usize) -> bool {
        let op = self.list.op[entry];
        let bit = self.info_bit[op];
        if self.waits_for_twin(op) {
            return false;
        }
        let step = self.ops[op].step;
        let Some(state) = step.apply(self.state) else {
            return false;
        };
        if self.exceeds_ceiling(op, state).is_some() {
            return false;
        }
        let hash = match bit {
            Some(_) => self.hash,
            None => self.hash ^ self.zobrist[op],
        };
        toggle(&mut self.info, bit);
        if self
            .memo
            .dominated((hash, state), &self.info, &mut self.steps)
        {
            toggle(&mut self.info, bit);
            return false;
        }
        self.calls.push(Frame {
            entry,
            state: self.state,
            hash: self.hash,
        });
        (self.state, self.hash) = (state, hash);
        self.certain_left -= usize::from(bit.is_none());
        if let Some(ceiling) = &mut self.ceiling {
            ceiling.take(op, step);
        }
        self.list.lift(entry);
        true
    }

    /// True when an identical uncertain op invoked earlier is not linearized yet: twins go in
    /// call order. Swapping two identical ops that never return keeps a linearization valid,
    /// so some linearization (if any) follows that order, and the others need not be tried.
    fn waits_for_twin(&self, op: usize) -> bool {
        self.twin_before[op]
            .and_then(|twin| self.info_bit[twin])
            .is_some_and(|b| {
                self.info
                    .get(b / 64)
                    .is_some_and(|w| w & (1 << (b % 64)) == 0)
            })
    }

    /// Records the current configuration as failed and undoes the last lift. Returns where
    /// the walk resumes, or None when nothing is left to undo.
    fn backtrack(&mut self) -> Option<usize> {
        self.memo.fail((self.hash, self.state), &self.info);
        let frame = self.calls.pop()?;
        let op = self.list.op[frame.entry];
        let bit = self.info_bit[op];
        toggle(&mut self.info, bit);
        self.certain_left += usize::from(bit.is_none());
        if let Some(ceiling) = &mut self.ceiling {
            ceiling.restore(op, self.ops[op].step);
        }
        (self.state, self.hash) = (frame.state, frame.hash);
        self.list.unlift(frame.entry);
        Some(self.list.next[frame.entry])
    }

    /// At a dead end before return entry `entry`: remembers the path if it is the longest.
    fn offer_deepest(&mut self, entry: usize) {
        let depth = self.calls.len();
        if entry == self.list.tail || self.deepest.depth.is_some_and(|d| d >= depth) {
            return;
        }
        let blocked = self.list.op[entry];
        let conflict = self
            .ceiling
            .as_ref()
            .and_then(|c| c.conflict(blocked, self.ops[blocked].step));
        self.deepest = Deepest {
            depth: Some(depth),
            prefix: self.calls.iter().map(|f| self.list.op[f.entry]).collect(),
            state: self.state,
            blocked,
            conflict,
        };
    }

    /// For a counter that only goes up: the op left that needs the register below `state`,
    /// which linearizing `op` would reach.
    fn exceeds_ceiling(&self, op: usize, state: Option<i64>) -> Option<usize> {
        self.ceiling.as_ref()?.exceeded(op, state)
    }

    fn violation(&mut self) -> Outcome {
        let deepest = std::mem::take(&mut self.deepest);
        Outcome::Violation {
            prefix: deepest.prefix,
            state: deepest.state,
            blocked: deepest.blocked,
            conflict: deepest.conflict,
        }
    }
}

fn twins(ops: &[Operation], info_bit: &[Option<usize>]) -> Vec<Option<usize>> {
    let mut uncertain: Vec<usize> = (0..ops.len()).filter(|&i| info_bit[i].is_some()).collect();
    uncertain.sort_by_key(|&i| (ops[i].call, i));
    let mut last: HashMap<Step, usize> = HashMap::new();
    let mut twin_before = vec![None; ops.len()];
    for i in uncertain {
        twin_before[i] = last.insert(ops[i].step, i);
    }
    twin_before
}

fn toggle(set: &mut [u64], bit: Option<usize>) {
    if let Some(word) = bit.and_then(|b| set.get_mut(b / 64).map(|w| (w, b % 64))) {
        *word.0 ^= 1 << word.1;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An operation of `step` called at `call`, returning at `ret` (for the search's tests).
    pub(in crate::linearizable) fn op(step: Step, call: u64, ret: u64) -> Operation {
        Operation { step, call, ret }
    }

    /// A write whose outcome is known.
    pub(in crate::linearizable) fn write(value: i64) -> Step {
        Step::Write {
            value,
            certain: true,
        }
    }

    #[test]
    fn finds_the_order_against_time_when_ops_overlap() {
        // The read of 1 started before the write of 1 returned: write first, then read.
        let ops = [op(Step::Read(Some(1)), 0, 20), op(write(1), 5, 10)];
        assert_eq!(search(&ops, 100).0, Outcome::Linearizable);
    }

    #[test]
    fn runs_out_of_budget_instead_of_hanging() {
        let ops: Vec<_> = (0..20).map(|i| op(write(i), 0, 100)).collect();
        let mut with_read = ops.clone();
        with_read.push(op(Step::Read(Some(99)), 200, 300));
        assert!(matches!(
            search(&with_read, 1_000).0,
            Outcome::Exhausted { .. }
        ));
    }
}
