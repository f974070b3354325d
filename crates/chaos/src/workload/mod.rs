//! What the clients do. Every client is a task with its own seeded RNG that runs until the
//! deadline, records each call into the shared [`Recorder`], and takes a fresh process id after
//! an unknown outcome (a process with an operation in doubt never issues another, as Knossos
//! and Porcupine assume).

pub mod list_append;
pub mod register;
pub mod shipping;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use meridian_history::{Kind, Op, Recorder};
use meridian_transport::{FaultNet, Faults};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use tokio::time::Instant;

use crate::client::{Outcome, Target};

/// Fault-network ids of test clients start here (nodes are numbered from 1).
pub const FIRST_CLIENT_ID: u64 = 1_000;

/// How long clients stay on one set of keys before moving to fresh ones (Jepsen's
/// "independent" keys): a key's history stays short, so the linearizability search stays
/// tractable even with many operations of unknown outcome, and old keys keep a value that
/// no later write hides (a lost write stays visible).
pub const KEY_GENERATION: Duration = Duration::from_secs(2);

/// What every client of a run shares.
#[derive(Clone)]
pub struct Ctx {
    pub recorder: Arc<Recorder>,
    pub net: FaultNet,
    /// Keys per generation.
    pub keys: usize,
    pub start: Instant,
    pub deadline: Instant,
    next_process: Arc<AtomicU64>,
    next_value: Arc<AtomicI64>,
}

impl Ctx {
    pub fn new(recorder: Arc<Recorder>, net: FaultNet, keys: usize, duration: Duration) -> Ctx {
        let start = Instant::now();
        Ctx {
            recorder,
            net,
            keys,
            start,
            deadline: start + duration,
            next_process: Arc::new(AtomicU64::new(0)),
            next_value: Arc::new(AtomicI64::new(1)),
        }
    }

    pub fn process(&self) -> u64 {
        self.next_process.fetch_add(1, Ordering::Relaxed)
    }

    /// A value no other write of the run uses.
    pub fn unique_value(&self) -> i64 {
        self.next_value.fetch_add(1, Ordering::Relaxed)
    }

    /// The fault-network endpoint of client number `n`.
    pub fn faults(&self, n: u64) -> Faults {
        self.net.endpoint(FIRST_CLIENT_ID + n)
    }

    pub fn running(&self) -> bool {
        Instant::now() < self.deadline
    }

    fn generation(&self) -> u128 {
        self.start.elapsed().as_millis() / KEY_GENERATION.as_millis()
    }

    fn keys_of(&self, generations: std::ops::RangeInclusive<u128>) -> Vec<String> {
        generations
            .flat_map(|g| (0..self.keys).map(move |i| format!("g{g}-k{i}")))
            .collect()
    }

    /// One key of the current generation, drawn with `rng`.
    pub fn pick_key(&self, rng: &mut StdRng) -> String {
        self.keys_now().choose(rng).cloned().unwrap_or_default()
    }

    /// The keys of the current generation (`g3-k0`, …; see [`KEY_GENERATION`]).
    pub fn keys_now(&self) -> Vec<String> {
        let g = self.generation();
        self.keys_of(g..=g)
    }

    /// Every key of every generation so far (an old generation's keys keep their last value).
    pub fn keys_so_far(&self) -> Vec<String> {
        self.keys_of(0..=self.generation())
    }

    /// Every key of every generation up to the deadline.
    pub fn all_generations(&self) -> Vec<String> {
        let last = (self.deadline - self.start).as_millis() / KEY_GENERATION.as_millis();
        self.keys_of(0..=last)
    }
}

/// A client's think time between calls: 1 to `max_ms` ms.
pub async fn pause(rng: &mut StdRng, max_ms: u64) {
    tokio::time::sleep(Duration::from_millis(rng.random_range(1..max_ms))).await;
}

/// One client's process id and recording.
pub struct Session {
    pub ctx: Ctx,
    pub process: u64,
    pub target: Target,
}

impl Session {
    pub fn new(ctx: Ctx, target: Target) -> Session {
        let process = ctx.process();
        Session {
            ctx,
            process,
            target,
        }
    }

    /// Records `op`'s invocation now and its completion from `outcome`: `done` turns a result
    /// into the completed op and the seq the system returned.
    pub fn record<T>(
        &mut self,
        op: Op,
        outcome: Outcome<T>,
        done: impl FnOnce(T) -> (Op, Option<u64>),
    ) -> Option<Op> {
        let (kind, op, seq, error) = match outcome {
            Outcome::Done(v) => {
                let (op, seq) = done(v);
                (Kind::Ok, op, seq, None)
            }
            Outcome::Failed(e) => (Kind::Fail, op, None, Some(e)),
            Outcome::Unknown(e) => (Kind::Info, op, None, Some(e)),
        };
        let ok = (kind == Kind::Ok).then(|| op.clone());
        self.ctx
            .recorder
            .complete(self.process, kind, op, seq, error);
        if kind == Kind::Info {
            self.process = self.ctx.process();
        }
        ok
    }

    /// Records the invocation of `op` (call before sending it).
    pub fn invoke(&self, op: &Op) {
        self.ctx.recorder.invoke(
            self.process,
            Some(self.target.node),
            Some(self.target.cluster.clone()),
            op.clone(),
        );
    }
}
