//! A whole history: events in the order they happened, read from and written to JSON lines, and
//! matched into (invoke, completion) pairs.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use crate::event::{Event, Kind, Op};
use crate::report::OpRef;
use crate::HistoryError;

/// Events in the order they were recorded (the order of `index`, and of `time`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub events: Vec<Event>,
}

impl From<Vec<Event>> for History {
    fn from(events: Vec<Event>) -> Self {
        History { events }
    }
}

impl History {
    /// Reads one event per line; blank lines are skipped. Errors name the 1-based line.
    pub fn read_jsonl(reader: impl BufRead) -> Result<History, HistoryError> {
        let mut events = Vec::new();
        for (i, line) in reader.lines().enumerate() {
            let line_no = i + 1;
            let line = line.map_err(|source| HistoryError::Read {
                line: line_no,
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let event = serde_json::from_str(&line).map_err(|source| HistoryError::Parse {
                line: line_no,
                source,
            })?;
            events.push(event);
        }
        Ok(History { events })
    }

    /// Writes one event per line.
    pub fn write_jsonl(&self, mut writer: impl Write) -> Result<(), HistoryError> {
        for event in &self.events {
            let fail = |source| HistoryError::Write {
                index: event.index,
                source,
            };
            serde_json::to_writer(&mut writer, event).map_err(fail)?;
            writer
                .write_all(b"\n")
                .map_err(|e| fail(serde_json::Error::io(e)))?;
        }
        writer.flush().map_err(|e| HistoryError::Write {
            index: self.events.last().map_or(0, |e| e.index),
            source: serde_json::Error::io(e),
        })
    }

    /// Matches every invocation with its process's next completion, in invocation order. An
    /// invocation never completed is a pair without completion (treated as `info`).
    ///
    /// Fails on a history that breaks the rules of the format: a process invoking while an op
    /// is pending or after an `info`, a completion with no pending invocation, or a completion
    /// of a different operation (another `f` or key).
    pub fn pairs(&self) -> Result<Vec<Pair<'_>>, HistoryError> {
        let mut pairs: Vec<Pair<'_>> = Vec::new();
        let mut pending: HashMap<u64, usize> = HashMap::new();
        let mut ended_info: HashSet<u64> = HashSet::new();
        for event in &self.events {
            let (index, process) = (event.index, event.process);
            if event.kind == Kind::Invoke {
                if ended_info.contains(&process) {
                    return Err(HistoryError::ProcessReusedAfterInfo { index, process });
                }
                if let Some(&at) = pending.get(&process) {
                    let pending = pairs[at].invoke.index;
                    return Err(HistoryError::InvokeWhilePending {
                        index,
                        process,
                        pending,
                    });
                }
                pending.insert(process, pairs.len());
                pairs.push(Pair {
                    invoke: event,
                    completion: None,
                });
                continue;
            }
            let Some(at) = pending.remove(&process) else {
                return Err(HistoryError::CompletionWithoutInvoke { index, process });
            };
            check_same_op(&pairs[at].invoke.op, event)?;
            pairs[at].completion = Some(event);
            if event.kind == Kind::Info {
                ended_info.insert(process);
            }
        }
        Ok(pairs)
    }
}

fn check_same_op(invoked: &Op, completion: &Event) -> Result<(), HistoryError> {
    let completed = &completion.op;
    if invoked.name() == completed.name() && invoked.key() == completed.key() {
        return Ok(());
    }
    let describe = |op: &Op| match op.key() {
        Some(key) => format!("{} {key}", op.name()),
        None => op.name().to_owned(),
    };
    Err(HistoryError::OpMismatch {
        index: completion.index,
        process: completion.process,
        invoked: describe(invoked),
        completed: describe(completed),
    })
}

/// One operation: its invocation and, unless it never completed, its completion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair<'a> {
    pub invoke: &'a Event,
    pub completion: Option<&'a Event>,
}

impl<'a> Pair<'a> {
    /// `Ok`, `Fail` or `Info`; an op never completed is `Info`.
    pub fn outcome(&self) -> Kind {
        match self.completion {
            Some(c) if c.kind != Kind::Invoke => c.kind,
            _ => Kind::Info,
        }
    }

    /// The operation with its result: the completion's copy when ok, else the invocation's.
    pub fn op(&self) -> &'a Op {
        match self.completion {
            Some(c) if c.kind == Kind::Ok => &c.op,
            _ => &self.invoke.op,
        }
    }

    pub fn invoked(&self) -> u64 {
        self.invoke.time
    }

    /// When the op was known to be over: the completion time of an `ok` or `fail`; None for
    /// `info` (it may take effect at any later time).
    pub fn completed(&self) -> Option<u64> {
        match self.completion {
            Some(c) if matches!(c.kind, Kind::Ok | Kind::Fail) => Some(c.time),
            _ => None,
        }
    }

    /// The cluster the op was sent to (the completion's, else the invocation's).
    pub fn cluster(&self) -> Option<&'a str> {
        self.completion
            .and_then(|c| c.cluster.as_deref())
            .or(self.invoke.cluster.as_deref())
    }

    /// The seq the system acknowledged the write with.
    pub fn seq(&self) -> Option<u64> {
        self.completion.and_then(|c| c.seq)
    }

    pub fn op_ref(&self) -> OpRef {
        OpRef {
            index: self.invoke.index,
            process: self.invoke.process,
            invoked: self.invoke.time,
            completed: self.completed(),
        }
    }
}
