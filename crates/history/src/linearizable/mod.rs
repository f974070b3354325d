//! Linearizability of single-key registers and counters, one key at a time.
//!
//! Each key is checked alone (P-compositionality: a history is linearizable iff each key's
//! sub-history is). Per key the model is a register, initially nil: reads return it, writes set
//! it, increments add to it (nil counts as 0) and return the new value, CAS swaps when it holds
//! `from`. `fail` ops are dropped (certainly not applied); `info` ops and ops never completed
//! may take effect at any time after their invocation (return time +infinity), or never: an info
//! read is dropped, an info increment's result is unknown, an info CAS may have compared unequal.

mod entries;
mod memo;
mod model;
mod search;

#[cfg(test)]
mod brute_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use crate::event::{Kind, Nil, Op};
use crate::report::{write_capped, OpRef, Report, Verdict};
use crate::{History, HistoryError, Pair};

use model::Step;
use search::{search, Operation, Outcome};

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Search steps allowed per key before the key's verdict is `Unknown`. A valid history
    /// typically needs tens of steps per op; proving a violation can take far more (it rules
    /// out every order). A step takes some 20 ns in a release build, 10 to 20 times more in a
    /// debug build. Default: 10 million.
    pub max_steps_per_key: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_steps_per_key: 10_000_000,
        }
    }
}

/// Checks every single-key op (read, write, incr, cas) of `history` with default options.
pub fn check(history: &History) -> Result<LinearizableReport, HistoryError> {
    check_with(history, &Options::default())
}

pub fn check_with(
    history: &History,
    options: &Options,
) -> Result<LinearizableReport, HistoryError> {
    let pairs = history.pairs()?;
    let mut by_key: BTreeMap<&str, Vec<(Pair<'_>, Step)>> = BTreeMap::new();
    let mut report = LinearizableReport::default();
    for pair in pairs {
        let Some(key) = pair.invoke.op.key() else {
            continue;
        };
        match Step::of(pair.op(), pair.outcome()) {
            Some(step) => by_key.entry(key).or_default().push((pair, step)),
            None => report.dropped += 1,
        }
    }
    for (key, mut ops) in by_key {
        report.dropped += model::drop_unobserved_info_writes(&mut ops);
        check_key(key, &ops, options, &mut report);
    }
    Ok(report)
}

fn check_key(
    key: &str,
    ops: &[(Pair<'_>, Step)],
    options: &Options,
    report: &mut LinearizableReport,
) {
    let operations: Vec<Operation> = ops
        .iter()
        .map(|(pair, step)| Operation {
            step: *step,
            call: pair.invoked(),
            ret: pair.completed().unwrap_or(u64::MAX),
        })
        .collect();
    let (outcome, steps) = search(&operations, options.max_steps_per_key);
    report.keys += 1;
    report.ops += ops.len();
    report.steps += steps;
    let placed = |i: usize| Placed::of(&ops[i].0);
    match outcome {
        Outcome::Linearizable => {}
        Outcome::Violation {
            prefix,
            state,
            blocked,
            conflict,
        } => report.violations.push(Violation {
            key: key.to_owned(),
            prefix: prefix.into_iter().map(placed).collect(),
            state,
            blocked: placed(blocked),
            conflict: conflict.map(placed),
        }),
        Outcome::Exhausted { deepest, blocked } => report.unknown.push(Exhausted {
            key: key.to_owned(),
            ops: ops.len(),
            steps,
            deepest,
            blocked: blocked.map(placed),
        }),
    }
}

/// The result of a linearizability check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearizableReport {
    pub keys: usize,
    /// Ops checked.
    pub ops: usize,
    /// Ops dropped: `fail`s, reads without a result, and info writes nothing observed.
    pub dropped: usize,
    pub steps: u64,
    pub violations: Vec<Violation>,
    /// Keys whose search ran out of budget.
    pub unknown: Vec<Exhausted>,
}

/// A key whose ops have no linearization.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub key: String,
    /// The longest linearizable prefix the search found, in linearization order.
    pub prefix: Vec<Placed>,
    /// The register after that prefix.
    pub state: Option<i64>,
    /// The op that could not be placed after it.
    pub blocked: Placed,
    /// On a counter that only goes up: an op still to place that needs the counter lower
    /// than placing `blocked` would leave it (so one of the two is wrong).
    pub conflict: Option<Placed>,
}

/// An op as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub at: OpRef,
    pub outcome: Kind,
    pub op: Op,
}

impl Placed {
    fn of(pair: &Pair<'_>) -> Self {
        Placed {
            at: pair.op_ref(),
            outcome: pair.outcome(),
            op: pair.op().clone(),
        }
    }
}

/// A key the search gave up on.
#[derive(Debug, Clone, PartialEq)]
pub struct Exhausted {
    pub key: String,
    pub ops: usize,
    pub steps: u64,
    /// The length of the longest prefix linearized before giving up.
    pub deepest: usize,
    /// The op that could not be placed after that prefix, if the search had seen it fail.
    pub blocked: Option<Placed>,
}

impl Report for LinearizableReport {
    fn verdict(&self) -> Verdict {
        if let Some(v) = self.violations.first() {
            return Verdict::Invalid(format!(
                "{} key(s) not linearizable; key {}: {} cannot be placed",
                self.violations.len(),
                v.key,
                v.blocked
            ));
        }
        if let Some(u) = self.unknown.first() {
            return Verdict::Unknown(format!(
                "search budget exhausted on {} key(s); key {} after {} steps",
                self.unknown.len(),
                u.key,
                u.steps
            ));
        }
        Verdict::Valid
    }
}

impl fmt::Display for Placed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.at, self.outcome, self.op)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "key {}: not linearizable", self.key)?;
        writeln!(f, "  cannot place: {}", self.blocked)?;
        if let Some(conflict) = &self.conflict {
            writeln!(f, "  without passing what this op needs: {conflict}")?;
        }
        writeln!(
            f,
            "  after the longest linearizable prefix ({} ops, register = {}), ending with:",
            self.prefix.len(),
            Nil(&self.state)
        )?;
        let tail = &self.prefix[self.prefix.len().saturating_sub(10)..];
        write_capped(f, tail, 10, "    ")
    }
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key {}: gave up after {} steps ({} ops, deepest prefix {})",
            self.key, self.steps, self.ops, self.deepest
        )?;
        match &self.blocked {
            Some(op) => write!(f, "; stuck at {op}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for LinearizableReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "linearizable: {}", self.verdict())?;
        writeln!(
            f,
            "  {} keys, {} ops checked, {} dropped, {} search steps",
            self.keys, self.ops, self.dropped, self.steps
        )?;
        for v in &self.violations {
            write!(f, "{v}")?;
        }
        write_capped(f, &self.unknown, 10, "  ")
    }
}
