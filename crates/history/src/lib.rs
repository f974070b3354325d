//! Histories of a chaos run, a recorder for them, and the checkers that judge them. A pure
//! library: no network, no async runtime.
//!
//! ```text
//!   clients ──invoke/complete──► Recorder ──snapshot──► History ◄──read/write_jsonl──► file
//!                                                          │ pairs()
//!   linearizable · list_append · prefix · single_writer · loss ──► Report: Verdict + Display
//! ```
//!
//! # Format
//!
//! JSON lines, one [`Event`] per line, close to Jepsen's ops so they can also be fed to external
//! checkers: `{"index":4,"process":3,"type":"ok","time":1200,"f":"write","key":"k","value":5,
//! "node":2,"cluster":"east","seq":17}`. `type` is `invoke`, then one of `ok` (took effect, with
//! the result), `fail` (certainly not applied) or `info` (unknown); an invocation never
//! completed counts as `info`. `time` is monotonic nanoseconds since the run started. `f` is
//! `read`, `write`, `incr` (`by`, result in `value`), `cas` (`from`, `to`), `txn` (`value`: micro
//! ops `["append","k",5]`, `["r","k",[1,2]]`, `["r","k",null]`) or `read_state` (`value`: a map
//! of keys to values or null). A process is one client doing one op at a time; after an `info`
//! it never issues another op (the client takes a fresh process id). [`History::pairs`] rejects
//! histories that break these rules.
//!
//! # Checkers
//!
//! Each returns a report implementing [`Report`]: a [`Verdict`] (valid, invalid, or unknown,
//! which a runner should treat as a failure) and a `Display` naming the events involved by
//! index, process and time.
//!
//! - [`linearizable`]: single-key registers and counters (read, write, incr, cas), each key
//!   checked alone by a Wing–Gong/Lowe search with memoization (Porcupine's algorithm).
//!   `info` ops may take effect at any later time, or never. Reports the longest linearizable
//!   prefix and the op that could not be placed after it. Limits: exponential in the worst
//!   case; a step budget per key turns a search that runs too long into `Unknown`. Valid
//!   histories of 5,000 ops per key with ten concurrent clients take tens of milliseconds;
//!   proving a violation costs more, most on a key that mixes increments with writes and has
//!   info ops (keep counters and registers on separate keys).
//! - [`list_append`]: Elle's list-append check on `txn` ops: version orders from the reads;
//!   duplicated, garbage, aborted, lost and internally inconsistent reads; dependency cycles
//!   (G0, G1c, G-single, G2, with `-realtime` when a real-time edge is needed). Limits: needs
//!   unique values per key; reports one cycle, the weakest it finds; a lost append needs a
//!   later read of the key to be noticed.
//! - [`prefix`]: every `read_state` (on a secondary) equals the primary's state after some seq,
//!   and a process never goes back to an earlier seq. Limits: only keys the read names are
//!   compared; the primary's history must be the converged one.
//! - [`single_writer`]: no cluster acknowledges writes after another cluster did, once real
//!   time orders them A, B, A. Limits: overlapping writes give no evidence; a deliberate
//!   fail-back must be checked window by window.
//! - [`loss`]: every acknowledged write with a seq is in the final primary history (same key;
//!   same value for a plain write) or inside a loss range the system reported. Limits: writes
//!   acknowledged without a seq cannot be verified (`Unknown`).

mod error;
mod event;
mod history;
pub mod linearizable;
pub mod list_append;
pub mod loss;
pub mod prefix;
mod recorder;
mod report;
pub mod single_writer;

#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod testing;

pub use error::HistoryError;
pub use event::{Event, Kind, Micro, Op};
pub use history::{History, Pair};
pub use recorder::{Counts, Recorder};
pub use report::{OpRef, Report, Verdict};
