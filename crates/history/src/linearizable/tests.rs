use super::*;
use crate::testing::{cas, incr, read, write, Builder, Rng};

fn verdict(b: &Builder) -> Verdict {
    let report = match check(&b.build()) {
        Ok(r) => r,
        Err(e) => panic!("history rejected: {e}"),
    };
    println!("{report}");
    report.verdict()
}

#[test]
fn a_stale_read_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1))
        .ok(1, 20, 30, write("k", 2))
        .ok(2, 40, 50, read("k", Some(1)));
    let report = check(&b.build()).ok();
    let v = report.as_ref().and_then(|r| r.violations.first());
    assert_eq!(v.map(|v| v.key.as_str()), Some("k"));
    assert_eq!(
        v.map(|v| v.blocked.at.index),
        Some(4),
        "the read is blocked"
    );
    assert_eq!(v.map(|v| v.prefix.len()), Some(2));
}

#[test]
fn a_lost_write_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1)).ok(2, 20, 30, read("k", None));
    assert!(verdict(&b).is_invalid());
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in [1, 2] {
        let mut b = Builder::new();
        b.ok(1, 0, 10, write("k", 1))
            .ok(1, 20, 40, write("k", 2))
            .ok(2, 25, 35, read("k", Some(seen)));
        assert!(verdict(&b).is_valid(), "read of {seen}");
    }
}

#[test]
fn an_info_write_may_or_may_not_appear() {
    for (seen, pending) in [(1, false), (2, false), (1, true), (2, true)] {
        let mut b = Builder::new();
        b.ok(1, 0, 10, write("k", 1));
        if pending {
            b.pending(2, 20, write("k", 2));
        } else {
            b.info(2, 20, 30, write("k", 2));
        }
        b.ok(3, 40, 50, read("k", Some(seen)))
            .ok(3, 60, 70, read("k", Some(seen)));
        assert!(verdict(&b).is_valid(), "read of {seen}, pending {pending}");
    }
}

#[test]
fn an_info_write_cannot_flicker() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1))
        .info(2, 20, 30, write("k", 2))
        .ok(3, 40, 50, read("k", Some(2)))
        .ok(3, 60, 70, read("k", Some(1)));
    assert!(verdict(&b).is_invalid());
}

#[test]
fn increments_returning_the_same_value_are_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, incr("c", 1, Some(1)))
        .ok(2, 5, 15, incr("c", 1, Some(1)));
    assert!(verdict(&b).is_invalid());

    let mut b = Builder::new();
    b.ok(1, 0, 10, incr("c", 1, Some(2)))
        .ok(2, 5, 15, incr("c", 1, Some(1)))
        .info(3, 6, 7, incr("c", 5, None))
        .ok(2, 20, 30, read("c", Some(7)));
    assert!(verdict(&b).is_valid(), "concurrent increments in any order");
}

#[test]
fn a_cas_that_swapped_another_value_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1)).ok(1, 20, 30, cas("k", 2, 3));
    assert!(verdict(&b).is_invalid());

    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1))
        .fail(1, 20, 30, cas("k", 2, 3))
        .ok(1, 40, 50, cas("k", 1, 4))
        .ok(2, 60, 70, read("k", Some(4)));
    assert!(verdict(&b).is_valid(), "a failed cas is dropped");
}

#[test]
fn keys_are_checked_apart_and_the_bad_one_is_named() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("a", 1))
        .ok(2, 0, 10, write("b", 1))
        .ok(1, 20, 30, read("a", Some(1)))
        .ok(2, 20, 30, read("b", None));
    let report = check(&b.build()).ok();
    let keys: Vec<_> = report
        .iter()
        .flat_map(|r| r.violations.iter().map(|v| v.key.clone()))
        .collect();
    assert_eq!(keys, ["b"]);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    Everything,
    /// Reads, writes and CAS.
    Register,
    /// Reads and increments.
    Counter,
}

/// One op of a simulated history: its process, interval `t0..t1`, the instant `at` it takes
/// effect, and for an op that ends `info` whether it was applied.
struct Planned {
    process: u64,
    t0: u64,
    at: u64,
    t1: u64,
    op: Op,
    info: Option<bool>,
}

/// Simulates a linearizable register: each op takes effect at a random instant inside its
/// interval; 2% of the updates end `info` (applied or not) and their process is replaced.
fn simulated(seed: u64, processes: u64, count: usize, mix: Mix) -> Builder {
    let mut planned = plan(seed, processes, count, mix);
    planned.sort_by_key(|p| p.at);
    let mut state: Option<i64> = None;
    let mut b = Builder::new();
    for p in planned {
        let (op, ok) = take_effect(p.op, &mut state, p.info.unwrap_or(true));
        match (p.info, ok) {
            (Some(_), _) => b.info(p.process, p.t0, p.t1, op),
            (None, true) => b.ok(p.process, p.t0, p.t1, op),
            (None, false) => b.fail(p.process, p.t0, p.t1, op),
        };
    }
    b
}

/// `count` random ops of `mix` over `processes` processes, each process's ops one after another.
fn plan(seed: u64, processes: u64, count: usize, mix: Mix) -> Vec<Planned> {
    let mut rng = Rng::new(seed);
    let mut clocks = vec![0u64; processes as usize];
    let mut ids: Vec<u64> = (0..processes).collect();
    let mut planned = Vec::with_capacity(count);
    for n in 0..count {
        let slot = rng.below(processes) as usize;
        let t0 = clocks[slot] + 1 + rng.below(50);
        let at = t0 + rng.below(100);
        let t1 = at + rng.below(100);
        clocks[slot] = t1;
        let value = 1000 * (n as i64 + 1);
        let op = match (mix, rng.below(10)) {
            (Mix::Counter, n) if n < 5 => read("k", None),
            (Mix::Counter, _) | (Mix::Everything, 7) => incr("k", 1, None),
            (_, 0..=3) => read("k", None),
            (_, 4..=7) => write("k", value),
            _ => cas("k", value, value + 1),
        };
        let info = (op.is_write() && rng.below(50) == 0).then(|| rng.below(2) == 0);
        planned.push(Planned {
            process: ids[slot],
            t0,
            at,
            t1,
            op,
            info,
        });
        if info.is_some() {
            ids[slot] += processes;
        }
    }
    planned
}

/// Runs `op` against the register's `state` (changing it only if `applied`); returns the op
/// with what it observed and whether it succeeded.
fn take_effect(op: Op, state: &mut Option<i64>, applied: bool) -> (Op, bool) {
    match op {
        Op::Read { key, .. } => (Op::Read { key, value: *state }, true),
        Op::Cas { key, to, .. } => {
            // Compare against the current value half of the time so some swaps succeed.
            let from = match (*state, to % 2000 == 1) {
                (Some(v), true) => v,
                _ => to - 1,
            };
            let swapped = *state == Some(from);
            if swapped && applied {
                *state = Some(to);
            }
            (Op::Cas { key, from, to }, swapped)
        }
        op => {
            let new = Step::of(&op, Kind::Info)
                .and_then(|s| s.apply(*state))
                .flatten();
            if applied {
                *state = new;
            }
            match op {
                Op::Incr { key, by, .. } => (
                    Op::Incr {
                        key,
                        by,
                        value: new,
                    },
                    true,
                ),
                op => (op, true),
            }
        }
    }
}

#[test]
fn a_long_simulated_history_passes_quickly() {
    let history = simulated(7, 8, 3_000, Mix::Everything).build();
    let report = check(&history).ok();
    println!("{:?}", report.as_ref().map(|r| (r.ops, r.steps)));
    let report = report.filter(|r| r.is_valid());
    assert!(report.as_ref().is_some_and(|r| r.ops > 2_500));
    // A handful of steps per op: the search never wandered.
    assert!(report.is_some_and(|r| r.steps < 200_000));
}

/// Replaces the result of the last ok read of `history` with `value`.
fn plant_last_read(history: &mut History, value: impl FnOnce(Option<i64>) -> Option<i64>) {
    let last_read = history
        .events
        .iter_mut()
        .rev()
        .find_map(|e| match &mut e.op {
            Op::Read { value, .. } if e.kind == Kind::Ok => Some(value),
            _ => None,
        });
    if let Some(read) = last_read {
        *read = value(*read);
    }
}

fn verdict_of(history: &History) -> Option<Verdict> {
    let report = check(history).ok()?;
    println!("{report}");
    Some(report.verdict())
}

#[test]
fn a_stale_read_planted_in_a_long_register_history_is_caught() {
    let mut history = simulated(11, 8, 3_000, Mix::Register).build();
    assert!(verdict_of(&history).is_some_and(|v| v.is_valid()));
    let first_write = history.events.iter().find_map(|e| match e.op {
        Op::Write { value, .. } if e.kind == Kind::Ok => Some(value),
        _ => None,
    });
    plant_last_read(&mut history, |_| first_write);
    assert!(verdict_of(&history).is_some_and(|v| v.is_invalid()));
}

#[test]
fn a_stale_read_planted_in_a_long_counter_history_is_caught() {
    let mut history = simulated(13, 8, 3_000, Mix::Counter).build();
    assert!(verdict_of(&history).is_some_and(|v| v.is_valid()));
    plant_last_read(&mut history, |v| v.map(|v| v - 100));
    let report = check(&history).ok();
    let violation = report.as_ref().and_then(|r| r.violations.first());
    assert!(violation.is_some(), "{report:?}");
    let conflict = violation.and_then(|v| v.conflict.as_ref());
    assert!(
        conflict.is_some_and(|c| matches!(c.op, Op::Read { .. })),
        "the report names the planted read"
    );
}
