//! What the reads say about each key: its version order (the longest read, of which every read
//! must be a prefix) and the anomalies visible without a dependency graph.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::event::Kind;

use super::txns::Txn;
use super::Anomaly;

/// One ok read: the txn (by position) and the list it saw.
#[derive(Debug, Clone, Copy)]
pub(super) struct Read<'a> {
    pub txn: usize,
    pub key: &'a str,
    pub values: &'a [i64],
}

/// Every ok read, in txn order; reads with a duplicated element are reported and left out.
pub(super) fn reads<'a>(txns: &[Txn<'a>], anomalies: &mut Vec<Anomaly>) -> Vec<Read<'a>> {
    let mut reads = Vec::new();
    for (i, txn) in txns.iter().enumerate() {
        for (key, values) in txn.reads() {
            let mut seen = HashSet::new();
            if let Some(&dup) = values.iter().find(|v| !seen.insert(**v)) {
                anomalies.push(Anomaly::DuplicateElements {
                    txn: txn.at,
                    key: key.to_owned(),
                    value: dup,
                    read: values.to_vec(),
                });
                continue;
            }
            reads.push(Read {
                txn: i,
                key,
                values,
            });
        }
    }
    reads
}

/// Each key's version order: its longest read. Reports, once per key, a read that is not a
/// prefix of it.
pub(super) fn version_orders<'a>(
    txns: &[Txn<'_>],
    reads: &[Read<'a>],
    anomalies: &mut Vec<Anomaly>,
) -> BTreeMap<&'a str, Read<'a>> {
    let mut longest: BTreeMap<&str, Read<'_>> = BTreeMap::new();
    for read in reads {
        let entry = longest.entry(read.key).or_insert(*read);
        if read.values.len() > entry.values.len() {
            *entry = *read;
        }
    }
    let mut reported = HashSet::new();
    for read in reads {
        let Some(order) = longest.get(read.key) else {
            continue;
        };
        if !order.values.starts_with(read.values) && reported.insert(read.key) {
            anomalies.push(Anomaly::IncompatibleOrder {
                key: read.key.to_owned(),
                longest: (txns[order.txn].at, order.values.to_vec()),
                other: (txns[read.txn].at, read.values.to_vec()),
            });
        }
    }
    longest
}

/// Values read that no txn appended (garbage), or that only a failed txn appended (aborted
/// read). Each (key, value) is reported once, with the first txn that read it.
pub(super) fn phantoms(
    txns: &[Txn<'_>],
    reads: &[Read<'_>],
    appenders: &HashMap<(&str, i64), usize>,
    anomalies: &mut Vec<Anomaly>,
) {
    let mut reported = HashSet::new();
    for read in reads {
        for &value in read.values {
            let appender = appenders.get(&(read.key, value)).map(|&a| &txns[a]);
            let anomaly = match appender {
                None => Anomaly::GarbageRead {
                    txn: txns[read.txn].at,
                    key: read.key.to_owned(),
                    value,
                },
                Some(a) if a.outcome == Kind::Fail => Anomaly::AbortedRead {
                    txn: txns[read.txn].at,
                    key: read.key.to_owned(),
                    value,
                    appender: a.at,
                },
                Some(_) => continue,
            };
            if reported.insert((read.key, value)) {
                anomalies.push(anomaly);
            }
        }
    }
}

/// Acknowledged appends that no read ever shows although a read of the key was invoked after
/// the append completed (the last such read is named).
pub(super) fn lost(txns: &[Txn<'_>], reads: &[Read<'_>], anomalies: &mut Vec<Anomaly>) {
    let mut observed: HashSet<(&str, i64)> = HashSet::new();
    let mut last_read: HashMap<&str, Read<'_>> = HashMap::new();
    for read in reads {
        observed.extend(read.values.iter().map(|&v| (read.key, v)));
        let last = last_read.entry(read.key).or_insert(*read);
        if txns[read.txn].invoked() > txns[last.txn].invoked() {
            *last = *read;
        }
    }
    for txn in txns.iter().filter(|t| t.outcome == Kind::Ok) {
        let Some(done) = txn.completed() else {
            continue;
        };
        for (key, value) in txn.appends() {
            let Some(last) = last_read.get(key) else {
                continue;
            };
            if observed.contains(&(key, value)) || txns[last.txn].invoked() <= done {
                continue;
            }
            anomalies.push(Anomaly::LostAppend {
                key: key.to_owned(),
                value,
                appender: txn.at,
                reader: (txns[last.txn].at, last.values.to_vec()),
            });
        }
    }
}
