//! Helpers for the checkers' unit tests: a history builder, op constructors and a small
//! deterministic random number generator.

use std::collections::BTreeMap;

use crate::event::{Event, Kind, Micro, Op};
use crate::History;

/// Builds a history from operations given with their invoke and completion times.
#[derive(Default)]
pub(crate) struct Builder {
    events: Vec<Event>,
    last: Vec<usize>,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// An op invoked at `t0` that completed `ok` at `t1`; `op` carries the results.
    pub fn ok(&mut self, process: u64, t0: u64, t1: u64, op: Op) -> &mut Self {
        self.pair(process, t0, Some((t1, Kind::Ok)), op)
    }

    pub fn fail(&mut self, process: u64, t0: u64, t1: u64, op: Op) -> &mut Self {
        self.pair(process, t0, Some((t1, Kind::Fail)), op)
    }

    pub fn info(&mut self, process: u64, t0: u64, t1: u64, op: Op) -> &mut Self {
        self.pair(process, t0, Some((t1, Kind::Info)), op)
    }

    /// An op invoked and never completed.
    pub fn pending(&mut self, process: u64, t0: u64, op: Op) -> &mut Self {
        self.pair(process, t0, None, op)
    }

    /// Sets the cluster of the op added last.
    pub fn cluster(&mut self, cluster: &str) -> &mut Self {
        for &at in &self.last {
            self.events[at].cluster = Some(cluster.to_owned());
        }
        self
    }

    /// Sets the acknowledged seq of the op added last.
    pub fn seq(&mut self, seq: u64) -> &mut Self {
        if let Some(&at) = self.last.get(1) {
            self.events[at].seq = Some(seq);
        }
        self
    }

    pub fn build(&self) -> History {
        let mut events = self.events.clone();
        events.sort_by_key(|e| e.time);
        for (i, e) in events.iter_mut().enumerate() {
            e.index = i as u64;
        }
        History { events }
    }

    fn pair(&mut self, process: u64, t0: u64, done: Option<(u64, Kind)>, op: Op) -> &mut Self {
        let event = |kind, time, op| Event {
            index: 0,
            process,
            kind,
            time,
            op,
            node: None,
            cluster: None,
            seq: None,
            error: None,
        };
        self.last = vec![self.events.len()];
        self.events.push(event(Kind::Invoke, t0, op.invocation()));
        if let Some((t1, kind)) = done {
            self.last.push(self.events.len());
            self.events.push(event(kind, t1, op));
        }
        self
    }
}

pub(crate) fn read(key: &str, value: Option<i64>) -> Op {
    Op::Read {
        key: key.into(),
        value,
    }
}

pub(crate) fn write(key: &str, value: i64) -> Op {
    Op::Write {
        key: key.into(),
        value,
    }
}

pub(crate) fn incr(key: &str, by: i64, value: Option<i64>) -> Op {
    Op::Incr {
        key: key.into(),
        by,
        value,
    }
}

pub(crate) fn cas(key: &str, from: i64, to: i64) -> Op {
    Op::Cas {
        key: key.into(),
        from,
        to,
    }
}

pub(crate) fn txn(micros: Vec<Micro>) -> Op {
    Op::Txn { value: micros }
}

pub(crate) fn append(key: &str, value: i64) -> Micro {
    Micro::Append {
        key: key.into(),
        value,
    }
}

pub(crate) fn r(key: &str, values: &[i64]) -> Micro {
    Micro::Read {
        key: key.into(),
        value: Some(values.to_vec()),
    }
}

pub(crate) fn read_state(pairs: &[(&str, Option<i64>)]) -> Op {
    let value: BTreeMap<String, Option<i64>> =
        pairs.iter().map(|&(k, v)| (k.to_owned(), v)).collect();
    Op::ReadState { value }
}

/// splitmix64: deterministic, good enough to generate test histories.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
