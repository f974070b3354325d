//! How list-append reports read.

use std::fmt;

use crate::report::{write_capped, Brief, Report};

use super::{Anomaly, Cycle, Dependency, EdgeKind, ListAppendReport};

impl fmt::Display for ListAppendReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "list-append: {}", self.verdict())?;
        writeln!(
            f,
            "  {} txns ({} ok), {} keys read, {} dependency edges",
            self.txns, self.ok, self.keys, self.edges
        )?;
        write_capped(f, &self.anomalies, 20, "  ")
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name())?;
        match self {
            Anomaly::DuplicateElements {
                txn,
                key,
                value,
                read,
            } => write!(f, "{txn} read {key} = {}, with {value} twice", Brief(read)),
            Anomaly::IncompatibleOrder {
                key,
                longest,
                other,
            } => {
                let at = longest
                    .1
                    .iter()
                    .zip(&other.1)
                    .take_while(|(a, b)| a == b)
                    .count();
                write!(
                    f,
                    "key {key}: {} read {} but {} read {}; they differ at position {at}",
                    longest.0,
                    Brief(&longest.1),
                    other.0,
                    Brief(&other.1)
                )
            }
            Anomaly::GarbageRead { txn, key, value } => {
                write!(f, "{txn} read {value} in {key}, which no txn appended")
            }
            Anomaly::AbortedRead {
                txn,
                key,
                value,
                appender,
            } => write!(
                f,
                "{txn} read {value} in {key}, appended only by the failed {appender}"
            ),
            Anomaly::LostAppend {
                key,
                value,
                appender,
                reader,
            } => write!(
                f,
                "{appender} appended {value} to {key} (ok), but {}, invoked later, read {}",
                reader.0,
                Brief(&reader.1)
            ),
            Anomaly::Internal {
                txn,
                key,
                expected,
                exact,
                read,
            } => {
                let rule = if *exact {
                    "should be"
                } else {
                    "should end with"
                };
                let (read, expected) = (Brief(read), Brief(expected));
                write!(f, "{txn} read {key} = {read}, which {rule} {expected}")
            }
            Anomaly::Cycle(cycle) => write!(f, "{cycle}"),
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a cycle of {} txns:", self.steps.len())?;
        for step in &self.steps {
            write!(f, "\n      {step}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.key.as_deref().unwrap_or("");
        let (from, to, value) = (self.from, self.to, self.value);
        let kind = match self.kind {
            EdgeKind::Ww => "ww",
            EdgeKind::Wr => "wr",
            EdgeKind::Rw => "rw",
            EdgeKind::Realtime => "realtime",
        };
        write!(f, "{from} -{kind}-> {to}: ")?;
        match (self.kind, self.prev) {
            (EdgeKind::Ww, Some(prev)) => write!(
                f,
                "in {key}, {value} (appended by the latter) follows {prev} (by the former)"
            ),
            (EdgeKind::Ww, None) => write!(f, "in {key}, the latter appended {value} after"),
            (EdgeKind::Wr, _) => write!(
                f,
                "the latter read {key} ending with {value}, appended by the former"
            ),
            (EdgeKind::Rw, prev) => {
                let seen = prev.map_or("[]".to_owned(), |p| format!("[.., {p}]"));
                write!(
                    f,
                    "the former read {key} as {seen}, the latter appended the next element {value}"
                )
            }
            (EdgeKind::Realtime, _) => {
                f.write_str("the former completed before the latter was invoked")
            }
        }
    }
}
