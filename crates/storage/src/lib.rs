//! Durable storage of the Raft groups of a node: openraft's log store and state machines on
//! one shared sled database, plus the regional replication backlog.
//!
//! The [`LogStore`] is generic over the type config and serves every group. Regional groups
//! use the keyspace [`StateMachine`] ([`open_group`]); the coordination group keeps its small
//! control-plane state in memory behind [`MemStateMachine`] ([`open_mem_group`]), snapshotted
//! through the same crash-safe snapshot store.
//!
//! A node opens **one** [`sled::Db`] ([`open_db`]); each group gets its own trees, named
//! `<group>/log`, `<group>/meta`, `<group>/backlog` and `<group>/snapshot`
//! ([`open_group`]). The keyspace itself lives in memory, as in Redis: the Raft log in sled is
//! the AOF, the current snapshot in sled the RDB.
//!
//! ```text
//!  RaftCore ──append/save_vote──► LogStore ──► <group>/log, <group>/meta   (flushed before ack)
//!     │
//!     └─committed entries──► StateMachine::apply
//!                              ├─ Keyspace::execute_write(argv, now_ms, seed_i)   (write lock)
//!                              ├─ seq += 1 per successful write ─► <group>/backlog
//!                              └─ watch seq ─► SmHandle::subscribe_seq (shipping, waiters)
//!  build_snapshot ─ read lock ─► version ‖ header{last_applied, membership, seq} ‖ keyspace
//!                              └─► <group>/snapshot (1 MiB chunks, pointer switch, flush)
//! ```
//!
//! Invariants:
//! - the vote and every appended batch are on disk before openraft hears they are done;
//! - the log is one contiguous run of indexes; `last_purged` is durable before a purge;
//! - a snapshot's data is exactly the state at its `last_applied` (both read under one lock);
//! - apply is deterministic: time and randomness come from the entry, never from the node;
//! - `seq` grows by one per applied write that succeeded (and per key active expiry deleted);
//!   the backlog holds a contiguous run of seqs ending at the published seq.

mod apply_times;
mod backlog;
mod codec;
mod error;
mod fsutil;
mod handle;
mod hard_state;
mod log_store;
mod mem_sm;
mod open;
mod sm_state;
mod snapshot_builder;
mod snapshot_store;
mod state_machine;
mod wal;

pub use backlog::BacklogOp;
pub use error::StorageError;
pub use handle::SmHandle;
pub use log_store::{LogConfig, LogStore};
pub use mem_sm::{
    open_mem_group, MemConfig, MemSmHandle, MemSnapshotBuilder, MemStateMachine, ReplicatedState,
};
pub use open::{open_db, open_group, NodeDb, StorageOptions, DEFAULT_CACHE_BYTES};
pub use snapshot_builder::SnapshotBuilder;
pub use state_machine::StateMachine;
