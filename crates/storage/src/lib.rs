//! Durable storage of the Raft groups of a node: openraft's log store and state machines,
//! plus the regional replication backlog.
//!
//! The [`LogStore`] is generic over the type config and serves every group. Regional groups
//! use the keyspace [`StateMachine`] ([`open_group`]); the coordination group keeps its small
//! control-plane state in memory behind [`MemStateMachine`] ([`open_mem_group`]), snapshotted
//! through the same crash-safe snapshot store.
//!
//! A node opens its storage once ([`open_db`] → [`NodeDb`]). Everything Raft's safety rests on
//! is in Meridian's own files under `<data>/raft/<group>/`, made durable with `fdatasync` /
//! `fsync` (see `fsutil`): the log (`log/*.wal`, segments of checksummed records, synced by one
//! group-commit thread per group), the vote and purge point (`state`, replaced atomically) and
//! the current snapshot (`snapshot/current.snap`, replaced atomically). sled (in `<data>`)
//! holds only the replication backlogs, `<group>/backlog`, which a crash may shorten: the log
//! after the snapshot rebuilds what follows. The keyspace itself lives in memory, as in
//! Redis: the Raft log is the AOF, the snapshot the RDB. So do the ACL users
//! (`meridian_acl::Users`), replicated state changed by `ACL SETUSER` / `ACL DELUSER` writes.
//!
//! ```text
//!  RaftCore ──append──► LogStore ──pwrite──► raft/<group>/log/*.wal ──► sync thread
//!     │        save_vote ──► raft/<group>/state          (fdatasync, then ack in order)
//!     │
//!     └─committed entries──► StateMachine::apply
//!                              ├─ Keyspace::execute_write(argv, now_ms, seed_i)   (write lock)
//!                              ├─ ACL SETUSER / DELUSER ─► Users (then users_version moves)
//!                              ├─ seq += 1 per successful write ─► sled <group>/backlog
//!                              └─ watch seq ─► SmHandle::subscribe_seq (shipping, waiters)
//!  build_snapshot ─ read lock ─► version ‖ header{last_applied, membership, seq, …}
//!                              ‖ keyspace ‖ users
//!                              └─► raft/<group>/snapshot/current.snap (temp, fsync, rename)
//! ```
//!
//! Invariants:
//! - the vote and every appended batch are on disk (fsync'd) before openraft hears they are
//!   done; a torn write can only be at the end of the newest log segment, and is cut on open;
//! - live log entries form one contiguous run of indexes; the purge point is durable before
//!   segments are deleted, and only once a durable snapshot covers it (openraft purges right
//!   after a snapshot install, before the state machine has saved it);
//! - on open, whatever a killed process left unsynced is synced before it is trusted;
//! - a snapshot's data is exactly the state at its `last_applied` (both read under one lock);
//! - apply is deterministic: time and randomness come from the entry, never from the node;
//! - `seq` grows by one per applied write that succeeded (and per key active expiry deleted);
//!   the backlog holds a contiguous run of seqs ending at the published seq.

mod apply_times;
mod backlog;
mod codec;
mod discarded;
mod error;
mod format_stamp;
mod fsutil;
mod handle;
mod hard_state;
mod log_store;
mod mem_sm;
mod observer;
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
pub use observer::{Applied, ApplyObserver};
pub use open::{open_db, open_group, NodeDb, StorageOptions, DEFAULT_CACHE_BYTES};
pub use snapshot_builder::SnapshotBuilder;
pub use state_machine::StateMachine;
