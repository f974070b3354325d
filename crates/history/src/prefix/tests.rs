use super::*;
use crate::testing::{read_state, Builder, Rng};

fn primary(writes: &[(u64, &str, Option<i64>)]) -> Primary {
    Primary {
        writes: writes
            .iter()
            .map(|&(s, k, v)| (s, k.to_owned(), v))
            .collect(),
        ..Primary::default()
    }
}

/// a=1 at 1, b=1 at 2, a=2 at 3, b=2 at 4.
fn four_writes() -> Primary {
    primary(&[
        (1, "a", Some(1)),
        (2, "b", Some(1)),
        (3, "a", Some(2)),
        (4, "b", Some(2)),
    ])
}

fn report(primary: &Primary, b: &Builder) -> PrefixReport {
    match check(primary, &b.build()) {
        Ok(report) => {
            println!("{report}");
            report
        }
        Err(e) => panic!("input rejected: {e}"),
    }
}

#[test]
fn prefix_reads_pass() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, read_state(&[("a", None), ("b", None)]))
        .ok(1, 20, 30, read_state(&[("a", Some(1)), ("b", None)]))
        .ok(1, 40, 50, read_state(&[("a", Some(1)), ("b", Some(1))]))
        .ok(1, 60, 70, read_state(&[("a", Some(2))]))
        .ok(
            1,
            80,
            90,
            read_state(&[("a", Some(2)), ("b", Some(2)), ("c", None)]),
        )
        .ok(2, 0, 10, read_state(&[("b", Some(2))]))
        .fail(3, 0, 10, read_state(&[("a", Some(9))]));
    let report = report(&four_writes(), &b);
    assert!(report.is_valid());
    assert_eq!((report.reads, report.processes), (6, 2));
}

#[test]
fn values_that_never_coexisted_are_caught() {
    // a's write at seq 3 applied before b's at seq 2.
    let mut b = Builder::new();
    b.ok(1, 0, 10, read_state(&[("a", Some(2)), ("b", None)]));
    let report = report(&four_writes(), &b);
    let Some(PrefixViolation::NeverTogether { a, b, .. }) = report.violations.first() else {
        panic!("expected never-together, got {report}");
    };
    assert_eq!((a.key.as_str(), b.key.as_str()), ("a", "b"));
    assert_eq!(
        (a.seqs.clone(), b.seqs.clone()),
        (vec![(3, 4)], vec![(0, 1)])
    );
}

#[test]
fn a_process_reading_backwards_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, read_state(&[("a", Some(2))]))
        .ok(1, 20, 30, read_state(&[("a", Some(1))]))
        .ok(2, 20, 30, read_state(&[("a", Some(1))]));
    let report = report(&four_writes(), &b);
    assert!(matches!(
        report.violations.as_slice(),
        [PrefixViolation::WentBack {
            latest: 2,
            previous_seq: 3,
            ..
        }]
    ));
}

#[test]
fn a_value_never_written_is_caught() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, read_state(&[("a", Some(7))]))
        .ok(2, 0, 10, read_state(&[("z", Some(1))]));
    let report = report(&four_writes(), &b);
    assert_eq!(report.violations.len(), 2);
    assert!(report
        .violations
        .iter()
        .all(|v| matches!(v, PrefixViolation::NeverHeld { .. })));
}

#[test]
fn a_starting_state_counts() {
    let mut primary = four_writes();
    primary.base_seq = 0;
    primary.initial = [("a".to_owned(), 5)].into();
    let mut b = Builder::new();
    b.ok(1, 0, 10, read_state(&[("a", Some(5)), ("b", None)]));
    assert!(report(&primary, &b).is_valid());
}

#[test]
fn out_of_order_primary_writes_are_rejected() {
    let primary = primary(&[(2, "a", Some(1)), (1, "a", Some(2))]);
    assert!(matches!(
        check(&primary, &History::default()),
        Err(HistoryError::PrimaryOrder { position: 1, .. })
    ));
}

/// 10,000 writes over 20 keys (some deletes); 1,000 reads by 10 processes, each at a random
/// seq no lower than the process's previous one.
fn long_run(seed: u64) -> (Primary, Builder) {
    let mut rng = Rng::new(seed);
    let key = |i: u64| format!("k{i}");
    let writes: Vec<(u64, String, Option<i64>)> = (1..=10_000u64)
        .map(|seq| {
            let value = (rng.below(10) > 0).then_some(seq as i64);
            (seq, key(rng.below(20)), value)
        })
        .collect();
    let mut at: Vec<(u64, u64, u64)> = Vec::new(); // (seq, process, time)
    let mut floors = [0u64; 10];
    for n in 0..1_000u64 {
        let p = rng.below(10) as usize;
        floors[p] += rng.below(200);
        at.push((floors[p].min(10_000), p as u64, n * 10));
    }
    let mut by_seq = at.clone();
    by_seq.sort();
    let mut state: BTreeMap<String, Option<i64>> = (0..20).map(|i| (key(i), None)).collect();
    let mut applied = 0;
    let mut b = Builder::new();
    for (seq, process, time) in by_seq {
        while applied < seq as usize {
            let (_, k, v) = &writes[applied];
            state.insert(k.clone(), *v);
            applied += 1;
        }
        b.ok(
            process,
            time,
            time + 5,
            Op::ReadState {
                value: state.clone(),
            },
        );
    }
    (
        Primary {
            writes,
            ..Primary::default()
        },
        b,
    )
}

#[test]
fn a_long_run_passes_and_a_planted_stale_key_is_caught() {
    let (primary, b) = long_run(3);
    let report = report(&primary, &b);
    assert!(report.is_valid());
    assert_eq!(report.reads, 1_000);

    let mut history = b.build();
    let last = history
        .events
        .iter_mut()
        .rev()
        .find_map(|e| match &mut e.op {
            Op::ReadState { value } if e.kind == Kind::Ok => Some(value),
            _ => None,
        });
    // One key shows the value it had before its latest write.
    if let Some(state) = last {
        let written: Vec<&(u64, String, Option<i64>)> =
            primary.writes.iter().filter(|w| w.1 == "k3").collect();
        if let [.., before, _] = written.as_slice() {
            state.insert("k3".into(), before.2);
        }
    }
    let report = check(&primary, &history).ok();
    println!(
        "{}",
        report.as_ref().map(|r| r.to_string()).unwrap_or_default()
    );
    assert!(report.is_some_and(|r| !r.is_valid()));
}
