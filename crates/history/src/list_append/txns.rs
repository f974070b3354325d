//! The transactions of a history, who appended what, and each transaction's own consistency.

use std::collections::HashMap;

use crate::event::{Kind, Micro, Op};
use crate::report::OpRef;
use crate::{HistoryError, Pair};

use super::Anomaly;

/// A list-append transaction as the checker sees it.
#[derive(Debug, Clone)]
pub(super) struct Txn<'a> {
    pub at: OpRef,
    pub outcome: Kind,
    /// With read results when ok; as invoked otherwise.
    pub micros: &'a [Micro],
}

impl<'a> Txn<'a> {
    pub fn invoked(&self) -> u64 {
        self.at.invoked
    }

    /// The completion time of an ok txn; None (never) for info, which may take effect later.
    pub fn completed(&self) -> Option<u64> {
        self.at.completed.filter(|_| self.outcome == Kind::Ok)
    }

    /// The lists an ok txn read (none for other txns: their reads are unknown).
    pub fn reads(&self) -> impl Iterator<Item = (&'a str, &'a [i64])> {
        let ok = self.outcome == Kind::Ok;
        self.micros.iter().filter_map(move |m| match m {
            Micro::Read {
                key,
                value: Some(values),
            } if ok => Some((key.as_str(), values.as_slice())),
            _ => None,
        })
    }

    pub fn appends(&self) -> impl Iterator<Item = (&'a str, i64)> {
        self.micros.iter().filter_map(|m| match m {
            Micro::Append { key, value } => Some((key.as_str(), *value)),
            Micro::Read { .. } => None,
        })
    }
}

/// The txn ops of the history, in invocation order.
pub(super) fn collect<'a>(pairs: &[Pair<'a>]) -> Vec<Txn<'a>> {
    pairs
        .iter()
        .filter_map(|pair| match pair.op() {
            Op::Txn { value } => Some(Txn {
                at: pair.op_ref(),
                outcome: pair.outcome(),
                micros: value,
            }),
            _ => None,
        })
        .collect()
}

/// Which txn appended each (key, value). Values must be unique per key.
pub(super) fn appenders<'a>(
    txns: &[Txn<'a>],
) -> Result<HashMap<(&'a str, i64), usize>, HistoryError> {
    let mut by_value = HashMap::new();
    for (i, txn) in txns.iter().enumerate() {
        for m in txn.micros {
            let Micro::Append { key, value } = m else {
                continue;
            };
            if let Some(first) = by_value.insert((key.as_str(), *value), i) {
                return Err(HistoryError::DuplicateAppend {
                    key: key.clone(),
                    value: *value,
                    first: txns[first].at.index,
                    second: txn.at.index,
                });
            }
        }
    }
    Ok(by_value)
}

/// What a txn knows of a key from its own micro-ops so far.
enum Own {
    /// It read the whole list (plus its appends since).
    Exactly(Vec<i64>),
    /// It appended these without reading first: the list must end with them.
    EndsWith(Vec<i64>),
}

/// A read inside an ok txn that disagrees with the txn's own earlier reads and appends.
pub(super) fn internal(txn: &Txn<'_>) -> Option<Anomaly> {
    if txn.outcome != Kind::Ok {
        return None;
    }
    let mut own: HashMap<&str, Own> = HashMap::new();
    for m in txn.micros {
        match m {
            Micro::Append { key, value } => match own.get_mut(key.as_str()) {
                Some(Own::Exactly(list) | Own::EndsWith(list)) => list.push(*value),
                None => {
                    own.insert(key, Own::EndsWith(vec![*value]));
                }
            },
            Micro::Read {
                key,
                value: Some(read),
            } => {
                let (expected, exact) = match own.get(key.as_str()) {
                    Some(Own::Exactly(list)) => (list, true),
                    Some(Own::EndsWith(list)) => (list, false),
                    None => (read, true),
                };
                let fine = if exact {
                    read == expected
                } else {
                    read.ends_with(expected)
                };
                if !fine {
                    return Some(Anomaly::Internal {
                        txn: txn.at,
                        key: key.clone(),
                        expected: expected.clone(),
                        exact,
                        read: read.clone(),
                    });
                }
                own.insert(key, Own::Exactly(read.clone()));
            }
            Micro::Read { value: None, .. } => {}
        }
    }
    None
}
