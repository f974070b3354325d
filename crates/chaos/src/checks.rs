//! Which checkers judge which workload, and the checks the runner makes itself.

use std::collections::HashMap;

use meridian_history::loss::{self, FinalHistory};
use meridian_history::{
    linearizable, list_append, prefix, single_writer, History, Kind, Op, Report, Verdict,
};
use meridian_testkit::TestDeployment;
use serde::Serialize;

use crate::options::Workload;
use crate::setup::{self, PRIMARY};
use crate::staleness;

/// One checker's verdict on a run.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    #[serde(skip)]
    pub verdict: Verdict,
    /// The verdict and, when it is not valid, the checker's explanation.
    pub detail: String,
}

impl Check {
    pub fn new(name: &'static str, verdict: Verdict) -> Check {
        Check {
            name,
            detail: verdict.to_string(),
            verdict,
        }
    }

    fn of(name: &'static str, report: &impl Report) -> Check {
        let verdict = report.verdict();
        let detail = if verdict.is_valid() {
            verdict.to_string()
        } else {
            report.to_string()
        };
        Check {
            name,
            verdict,
            detail,
        }
    }

    fn harness(name: &'static str, e: impl std::fmt::Display) -> Check {
        Check::new(name, Verdict::Unknown(format!("cannot check: {e}")))
    }
}

/// Every check of `workload` on `history` (the deployment has converged), and for the
/// shipping workload the largest staleness of a secondary read, in ms.
pub async fn judge(
    workload: Workload,
    history: &History,
    d: &TestDeployment,
) -> (Vec<Check>, Option<u64>) {
    let mut checks = vec![secondary_refusals(history)];
    let mut stale = None;
    match workload {
        Workload::Register => checks.push(match linearizable::check(history) {
            Ok(r) => Check::of("linearizable", &r),
            Err(e) => Check::harness("linearizable", e),
        }),
        Workload::ListAppend => checks.push(match list_append::check(history) {
            Ok(r) => Check::of("list-append", &r),
            Err(e) => Check::harness("list-append", e),
        }),
        Workload::Shipping => match setup::primary_writes(d, PRIMARY).await {
            Ok(primary) => {
                let with_seqs = seqs_from_values(history, &primary);
                stale = Some(staleness::max_staleness_ms(&with_seqs, &primary, PRIMARY));
                checks.extend(shipping_checks(history, &with_seqs, &primary));
            }
            Err(e) => checks.push(Check::harness("primary history", format!("{e:#}"))),
        },
    }
    (checks, stale)
}

/// No write sent to a secondary's node was acknowledged.
fn secondary_refusals(history: &History) -> Check {
    let accepted: Vec<String> = history
        .events
        .iter()
        .filter(|e| e.kind == Kind::Ok && e.op.is_write())
        .filter(|e| e.cluster.as_deref().is_some_and(|c| c != PRIMARY))
        .map(|e| {
            format!(
                "event {} (process {}) on {:?}",
                e.index, e.process, e.cluster
            )
        })
        .collect();
    Check::new(
        "secondary refusals",
        if accepted.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Invalid(format!(
                "{} writes acknowledged by secondaries: {}",
                accepted.len(),
                accepted.join(", ")
            ))
        },
    )
}

fn shipping_checks(
    history: &History,
    with_seqs: &History,
    primary: &[(u64, String, Option<i64>)],
) -> Vec<Check> {
    let prefix = prefix::Primary {
        writes: primary.to_vec(),
        ..Default::default()
    };
    let survived: FinalHistory = primary
        .iter()
        .map(|(seq, key, value)| (*seq, (key.clone(), *value)))
        .collect();
    vec![
        match prefix::check(&prefix, history) {
            Ok(r) => Check::of("prefix", &r),
            Err(e) => Check::harness("prefix", e),
        },
        match loss::check(with_seqs, &survived, &[]) {
            Ok(r) => Check::of("no lost writes", &r),
            Err(e) => Check::harness("no lost writes", e),
        },
        match single_writer::check(history) {
            Ok(r) => Check::of("single writer", &r),
            Err(e) => Check::harness("single writer", e),
        },
    ]
}

/// RESP replies carry no seq: an acknowledged SET of a unique value gets the seq at which the
/// primary's history holds that value (none when the history lacks it: a lost write).
pub fn seqs_from_values(history: &History, primary: &[(u64, String, Option<i64>)]) -> History {
    let at: HashMap<(&str, i64), u64> = primary
        .iter()
        .filter_map(|(seq, k, v)| v.map(|v| ((k.as_str(), v), *seq)))
        .collect();
    let mut h = history.clone();
    for e in h
        .events
        .iter_mut()
        .filter(|e| e.kind == Kind::Ok && e.seq.is_none())
    {
        if let Op::Write { key, value } = &e.op {
            e.seq = at.get(&(key.as_str(), *value)).copied();
        }
    }
    h
}
