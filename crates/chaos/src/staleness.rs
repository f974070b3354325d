//! How stale secondary reads were, measured from the history alone: a read that shows value
//! `v` of key `k` while a later write of `k` had already been acknowledged `d` ms before the
//! read started is at least `d` ms stale. The largest such `d` is the run's observed lag.

use std::collections::{BTreeMap, HashMap};

use meridian_history::{History, Kind, Op};

/// The largest staleness of any read of a non-primary cluster, in ms (0 when none was
/// stale). `history` must carry the seq of every acknowledged write it can (see
/// `checks::seqs_from_values`); `primary` is the primary's history.
pub fn max_staleness_ms(
    history: &History,
    primary: &[(u64, String, Option<i64>)],
    primary_cluster: &str,
) -> u64 {
    let seq_of: HashMap<(&str, i64), u64> = primary
        .iter()
        .filter_map(|(s, k, v)| v.map(|v| ((k.as_str(), v), *s)))
        .collect();
    let acks = acknowledged(history);
    let Ok(pairs) = history.pairs() else {
        return 0;
    };
    let mut worst = 0u64;
    for p in pairs.iter().filter(|p| p.outcome() == Kind::Ok) {
        let Op::ReadState { value } = p.op() else {
            continue;
        };
        if p.cluster() == Some(primary_cluster) {
            continue;
        }
        for (key, v) in value {
            let shown = v.and_then(|v| seq_of.get(&(key.as_str(), v)).copied());
            let newer = acks
                .get(key.as_str())
                .into_iter()
                .flat_map(|w| w.range(shown.map_or(0, |s| s + 1)..))
                .map(|(_, done)| *done)
                .filter(|done| *done < p.invoked())
                .min();
            if let Some(done) = newer {
                worst = worst.max((p.invoked() - done) / 1_000_000);
            }
        }
    }
    worst
}

/// Per key, the acknowledged writes' seq → completion time (ns).
fn acknowledged(history: &History) -> HashMap<&str, BTreeMap<u64, u64>> {
    let mut out: HashMap<&str, BTreeMap<u64, u64>> = HashMap::new();
    for e in history.events.iter().filter(|e| e.kind == Kind::Ok) {
        if let (Op::Write { key, .. }, Some(seq)) = (&e.op, e.seq) {
            out.entry(key.as_str()).or_default().insert(seq, e.time);
        }
    }
    out
}
