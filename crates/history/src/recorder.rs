//! Records a history while clients run: cheap to share between tasks (`Arc<Recorder>`), one
//! short critical section per event, never held across an `.await` by construction.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::event::{Event, Kind, Op};
use crate::History;

/// Appends events with `index` = position and `time` = ns since `start`, both taken under the
/// lock, so index order and time order agree.
#[derive(Debug)]
pub struct Recorder {
    start: Instant,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<Event>,
    /// Position of each process's pending invocation, to copy its node and cluster.
    pending: HashMap<u64, usize>,
}

/// How many events of each kind a history holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub invoke: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    /// Invocations not completed (yet).
    pub pending: u64,
}

impl Recorder {
    pub fn new(start: Instant) -> Self {
        Recorder {
            start,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records that `process` sends `op` to `node` of `cluster`; returns the event's index.
    pub fn invoke(&self, process: u64, node: Option<u64>, cluster: Option<String>, op: Op) -> u64 {
        let mut inner = self.lock();
        let index = inner.events.len() as u64;
        let event = Event {
            index,
            process,
            kind: Kind::Invoke,
            time: self.now(),
            op,
            node,
            cluster,
            seq: None,
            error: None,
        };
        let at = inner.events.len();
        inner.pending.insert(process, at);
        inner.events.push(event);
        index
    }

    /// Records the completion of `process`'s pending op (`op` carries the result); the node and
    /// cluster are copied from the invocation. Returns the event's index.
    pub fn complete(
        &self,
        process: u64,
        kind: Kind,
        op: Op,
        seq: Option<u64>,
        error: Option<String>,
    ) -> u64 {
        let mut inner = self.lock();
        let (node, cluster) = match inner.pending.remove(&process) {
            Some(at) => inner
                .events
                .get(at)
                .map_or((None, None), |e| (e.node, e.cluster.clone())),
            None => (None, None),
        };
        let index = inner.events.len() as u64;
        inner.events.push(Event {
            index,
            process,
            kind,
            time: self.now(),
            op,
            node,
            cluster,
            seq,
            error,
        });
        index
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> History {
        History {
            events: self.lock().events.clone(),
        }
    }

    pub fn counts(&self) -> Counts {
        let inner = self.lock();
        let mut counts = Counts {
            pending: inner.pending.len() as u64,
            ..Counts::default()
        };
        for e in &inner.events {
            match e.kind {
                Kind::Invoke => counts.invoke += 1,
                Kind::Ok => counts.ok += 1,
                Kind::Fail => counts.fail += 1,
                Kind::Info => counts.info += 1,
            }
        }
        counts
    }

    /// Nanoseconds since the recorder's start, on the clock its events are stamped with.
    pub fn now_ns(&self) -> u64 {
        self.now()
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// A panic elsewhere while holding the lock leaves a complete event list behind (each push
    /// is one step), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(value: i64) -> Op {
        Op::Write {
            key: "k".into(),
            value,
        }
    }

    #[test]
    fn records_pairs_with_increasing_index_and_time() {
        let rec = Recorder::new(Instant::now());
        assert_eq!(rec.invoke(1, Some(2), Some("east".into()), write(1)), 0);
        rec.invoke(2, Some(3), None, write(2));
        rec.complete(1, Kind::Ok, write(1), Some(7), None);
        let h = rec.snapshot();
        assert_eq!(h.events.len(), 3);
        let done = &h.events[2];
        assert_eq!((done.index, done.node, done.seq), (2, Some(2), Some(7)));
        assert_eq!(done.cluster.as_deref(), Some("east"));
        assert!(h.events.windows(2).all(|w| w[0].time <= w[1].time));
        let counts = rec.counts();
        assert_eq!((counts.invoke, counts.ok, counts.pending), (2, 1, 1));
    }

    #[test]
    fn is_shared_between_threads() {
        let rec = std::sync::Arc::new(Recorder::new(Instant::now()));
        let handles: Vec<_> = (0..4)
            .map(|p| {
                let rec = rec.clone();
                std::thread::spawn(move || {
                    for v in 0..50 {
                        rec.invoke(p, None, None, write(v));
                        rec.complete(p, Kind::Ok, write(v), None, None);
                    }
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().is_ok());
        }
        let h = rec.snapshot();
        assert_eq!(h.events.len(), 400);
        assert_eq!(h.pairs().map(|p| p.len()).ok(), Some(200));
    }
}
