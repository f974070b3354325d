//! Chaos runs for Meridian: an in-process deployment (three regions of three nodes, global
//! datastore `gds1`), a fault schedule drawn from a seed, concurrent clients that record every
//! operation into a history, then healing, convergence and the checkers of
//! `meridian-history`.
//!
//! ```text
//!  seed ─► schedule (partitions, pauses, kills, delay, loss; one at a time, healed)
//!            │ nemesis: FaultNet (transport) + kill/restart (testkit)
//!            ▼
//!  clients (RESP + gRPC, several per node) ─► Recorder ─► history.jsonl
//!            │ after the run: heal, restart, converge, final reads
//!            ▼
//!  checkers: linearizable registers | prefix order + monotonic sessions on secondaries,
//!            lost acknowledged writes, single writer, writes refused by secondaries
//! ```
//!
//! The same seed draws the same schedule and the same client choices; thread timing still
//! varies, so a replay reproduces the faults, not every interleaving. A failing run writes
//! the seed, the schedule, the report and the history to a directory it names.

pub mod checks;
pub mod client;
pub mod nemesis;
pub mod options;
pub mod run;
pub mod schedule;
pub mod setup;
pub mod staleness;
pub mod workload;

pub use options::{ChaosOptions, FaultKind, Workload};
pub use run::{run, RunReport};
