use std::collections::HashMap;

use super::*;
use crate::event::{Micro, Op};
use crate::testing::{append, r, txn, Builder, Rng};

fn report(b: &Builder) -> ListAppendReport {
    match check(&b.build()) {
        Ok(report) => {
            println!("{report}");
            report
        }
        Err(e) => panic!("history rejected: {e}"),
    }
}

fn names(b: &Builder) -> Vec<String> {
    report(b).anomalies.iter().map(Anomaly::name).collect()
}

#[test]
fn a_serial_history_passes() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, txn(vec![append("x", 1), append("y", 1)]))
        .ok(2, 20, 30, txn(vec![r("x", &[1]), append("x", 2)]))
        .ok(1, 40, 50, txn(vec![r("x", &[1, 2]), r("y", &[1])]))
        .fail(3, 60, 70, txn(vec![append("y", 9)]))
        .info(4, 80, 90, txn(vec![append("y", 2)]))
        .ok(
            5,
            100,
            110,
            txn(vec![r("y", &[1, 2]), append("y", 3), r("y", &[1, 2, 3])]),
        );
    let report = report(&b);
    assert!(report.is_valid());
    assert!(report.edges > 0);
}

#[test]
fn a_lost_append_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, txn(vec![append("x", 1)]))
        .ok(2, 20, 30, txn(vec![append("x", 2)]))
        .ok(3, 40, 50, txn(vec![r("x", &[1])]));
    let report = report(&b);
    let lost = report.anomalies.iter().find_map(|a| match a {
        Anomaly::LostAppend {
            value, appender, ..
        } => Some((*value, appender.process)),
        _ => None,
    });
    assert_eq!(lost, Some((2, 2)));
}

#[test]
fn an_append_applied_twice_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, txn(vec![append("x", 1)]))
        .ok(2, 20, 30, txn(vec![append("x", 2)]))
        .ok(3, 40, 50, txn(vec![r("x", &[1, 2, 1])]));
    assert_eq!(names(&b), ["duplicate-elements"]);
}

#[test]
fn reads_in_different_orders_are_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, txn(vec![append("x", 1)]))
        .ok(2, 0, 10, txn(vec![append("x", 2)]))
        .ok(3, 20, 30, txn(vec![r("x", &[1, 2])]))
        .ok(4, 20, 30, txn(vec![r("x", &[2, 1])]));
    assert!(names(&b).contains(&"incompatible-order".to_owned()));
}

#[test]
fn read_skew_is_g_single() {
    // T2 sees T1's append to y but not its append to x; all concurrent, so no real-time edge.
    let mut b = Builder::new();
    b.ok(1, 0, 100, txn(vec![append("x", 1), append("y", 1)]))
        .ok(2, 0, 100, txn(vec![r("x", &[]), r("y", &[1])]))
        .ok(3, 0, 100, txn(vec![r("x", &[1])]));
    let report = report(&b);
    let cycle = report.anomalies.iter().find_map(|a| match a {
        Anomaly::Cycle(c) => Some(c),
        _ => None,
    });
    assert_eq!(cycle.map(Cycle::name).as_deref(), Some("G-single"));
    assert_eq!(cycle.map(|c| c.steps.len()), Some(2));
}

#[test]
fn a_stale_read_after_an_append_completed_is_realtime() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, txn(vec![append("x", 1)]))
        .ok(2, 20, 30, txn(vec![append("x", 2)]))
        .ok(3, 40, 50, txn(vec![r("x", &[1])]))
        .ok(4, 60, 70, txn(vec![r("x", &[1, 2])]));
    assert_eq!(names(&b), ["G-single-realtime"]);
}

#[test]
fn a_write_cycle_is_g0() {
    let mut b = Builder::new();
    b.ok(1, 0, 100, txn(vec![append("x", 1), append("y", 2)]))
        .ok(2, 0, 100, txn(vec![append("x", 2), append("y", 1)]))
        .ok(3, 200, 300, txn(vec![r("x", &[1, 2]), r("y", &[1, 2])]));
    assert_eq!(names(&b), ["G0"]);
}

#[test]
fn garbage_aborted_and_internal_reads_are_caught() {
    let mut b = Builder::new();
    b.fail(1, 0, 10, txn(vec![append("x", 1)]))
        .ok(2, 20, 30, txn(vec![r("x", &[1])]))
        .ok(3, 20, 30, txn(vec![r("y", &[7])]))
        .ok(
            4,
            40,
            50,
            txn(vec![r("z", &[]), append("z", 5), r("z", &[])]),
        );
    let mut found = names(&b);
    found.sort();
    assert_eq!(found, ["G1a", "garbage-read", "internal"]);
}

/// Runs random transactions against a serializable store, each taking effect at an instant
/// inside its interval; a few end info (applied or not) or fail (not applied).
fn simulated(seed: u64, processes: u64, count: usize) -> Builder {
    struct Planned {
        process: u64,
        t0: u64,
        at: u64,
        t1: u64,
        micros: Vec<Micro>,
        outcome: Kind,
    }
    let mut rng = Rng::new(seed);
    let mut clocks = vec![0u64; processes as usize];
    let mut ids: Vec<u64> = (0..processes).collect();
    let mut planned = Vec::with_capacity(count);
    for n in 0..count {
        let slot = rng.below(processes) as usize;
        let t0 = clocks[slot] + 1 + rng.below(50);
        let (at, t1) = (t0 + rng.below(100), t0 + 100 + rng.below(100));
        clocks[slot] = t1;
        let micros = (0..1 + rng.below(4))
            .map(|i| {
                let key = format!("k{}", rng.below(8));
                match rng.below(2) {
                    0 => append(&key, (n * 4) as i64 + i as i64),
                    _ => Micro::Read { key, value: None },
                }
            })
            .collect();
        let outcome = match rng.below(100) {
            0 => Kind::Info,
            1 => Kind::Fail,
            _ => Kind::Ok,
        };
        planned.push(Planned {
            process: ids[slot],
            t0,
            at,
            t1,
            micros,
            outcome,
        });
        if outcome == Kind::Info {
            ids[slot] += processes;
        }
    }
    planned.sort_by_key(|p| p.at);
    let mut lists: HashMap<String, Vec<i64>> = HashMap::new();
    let mut b = Builder::new();
    for mut p in planned {
        let applied = p.outcome == Kind::Ok || (p.outcome == Kind::Info && p.at % 2 == 0);
        let mut scratch = lists.clone();
        for m in &mut p.micros {
            match m {
                Micro::Append { key, value } => {
                    scratch.entry(key.clone()).or_default().push(*value)
                }
                Micro::Read { key, value } => {
                    *value = Some(scratch.get(key).cloned().unwrap_or_default())
                }
            }
        }
        if applied {
            lists = scratch;
        }
        let op = Op::Txn { value: p.micros };
        match p.outcome {
            Kind::Ok => b.ok(p.process, p.t0, p.t1, op),
            Kind::Fail => b.fail(p.process, p.t0, p.t1, op),
            _ => b.info(p.process, p.t0, p.t1, op),
        };
    }
    b
}

#[test]
fn a_long_simulated_history_passes() {
    let report = report(&simulated(1, 10, 5_000));
    assert!(report.is_valid());
    assert!(report.ok > 4_800);
}

#[test]
fn an_element_dropped_from_a_late_read_is_caught() {
    let mut history = simulated(2, 10, 2_000).build();
    let late_read = history
        .events
        .iter_mut()
        .rev()
        .find_map(|e| match &mut e.op {
            Op::Txn { value } if e.kind == Kind::Ok => value.iter_mut().find_map(|m| match m {
                Micro::Read {
                    value: Some(list), ..
                } if list.len() > 3 => Some(list),
                _ => None,
            }),
            _ => None,
        });
    if let Some(list) = late_read {
        list.remove(1);
    }
    let report = check(&history).ok();
    println!(
        "{}",
        report.as_ref().map(|r| r.to_string()).unwrap_or_default()
    );
    assert!(report.is_some_and(|r| !r.is_valid()));
}
