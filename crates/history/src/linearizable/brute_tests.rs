//! Cross-checks the search (with its pruning: dropped info writes, dominance, twins) against
//! plain enumeration of orders on many small random histories.

use super::*;
use crate::testing::{cas, incr, read, write, Builder, Rng};

/// True when some order of the certain ops and a subset of the uncertain ones respects real
/// time and the model.
fn brute_force(ops: &[(u64, u64, Step)], used: &mut Vec<bool>, state: Option<i64>) -> bool {
    let certain = |&(_, ret, _): &(u64, u64, Step)| ret != u64::MAX;
    let left: Vec<usize> = (0..ops.len()).filter(|&i| !used[i]).collect();
    if left.iter().all(|&i| !certain(&ops[i])) {
        return true;
    }
    let deadline = left.iter().map(|&i| ops[i].1).min().unwrap_or(u64::MAX);
    for &i in &left {
        let (call, _, step) = ops[i];
        if call > deadline {
            continue;
        }
        if let Some(next) = step.apply(state) {
            used[i] = true;
            let found = brute_force(ops, used, next);
            used[i] = false;
            if found {
                return true;
            }
        }
    }
    false
}

fn random_history(rng: &mut Rng) -> Builder {
    let mut b = Builder::new();
    let value = |rng: &mut Rng| rng.below(3) as i64 + 1;
    // Registers (info writes can be dropped), counters (the ceiling prunes), or both.
    let kinds: &[u64] = match rng.below(3) {
        0 => &[0, 1, 2],
        1 => &[0, 3],
        _ => &[0, 1, 2, 3],
    };
    for p in 0..rng.below(8) + 1 {
        let t0 = rng.below(20);
        let t1 = t0 + 1 + rng.below(10);
        let op = match kinds[rng.below(kinds.len() as u64) as usize] {
            0 => read(
                "k",
                [None, Some(1), Some(2), Some(3)][rng.below(4) as usize],
            ),
            1 => write("k", value(rng)),
            2 => cas("k", value(rng), value(rng)),
            _ => incr("k", 1, Some(value(rng))),
        };
        match rng.below(8) {
            0..=4 => b.ok(p, t0, t1, op),
            5 => b.fail(p, t0, t1, op),
            6 => b.info(p, t0, t1, op),
            _ => b.pending(p, t0, op),
        };
    }
    b
}

#[test]
fn the_search_agrees_with_enumeration() {
    let mut rng = Rng::new(5);
    let (mut valid, mut invalid) = (0, 0);
    for round in 0..6_000 {
        let history = random_history(&mut rng).build();
        let Ok(pairs) = history.pairs() else {
            panic!("round {round}: builder made a malformed history");
        };
        let ops: Vec<(u64, u64, Step)> = pairs
            .iter()
            .filter_map(|p| {
                let step = Step::of(p.op(), p.outcome())?;
                Some((p.invoked(), p.completed().unwrap_or(u64::MAX), step))
            })
            .collect();
        let expected = brute_force(&ops, &mut vec![false; ops.len()], None);
        let got = check(&history).map(|r| r.verdict());
        let agrees = matches!(
            (&got, expected),
            (Ok(Verdict::Valid), true) | (Ok(Verdict::Invalid(_)), false)
        );
        assert!(
            agrees,
            "round {round}: expected {expected}, got {got:?}\n{history:#?}"
        );
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    println!("{valid} valid, {invalid} invalid");
    assert!(
        valid > 1_000 && invalid > 1_000,
        "{valid} valid, {invalid} invalid"
    );
}
