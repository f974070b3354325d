//! The Redis data model and the semantics of every Redis data command, as a pure,
//! deterministic library: no sockets, no disk, no clock, no global randomness.
//!
//! The regional state machine (crate `meridian-storage`) owns one [`Keyspace`] and calls
//! [`Keyspace::execute_write`] for every command of a committed log entry, with the time and
//! random seed that the leader chose when it proposed the entry; every replica therefore
//! reaches the same state. Reads call [`Keyspace::execute_read`] with the reading node's clock,
//! which only hides keys whose TTL has passed and never changes anything.
//!
//! ```text
//!  argv ─► command::lookup ─► arity check ─► CommandDef.kind
//!                                   ├─ Read(fn(&ReadCtx, argv) -> CommandResult)
//!                                   ├─ Write(fn(&mut WriteCtx, argv) -> CommandResult)
//!                                   └─ Databases(fn(&mut DbsCtx, argv) -> CommandResult)
//!                                        │ Ok(reply) | Err(error reply)
//!                                        ▼
//!                                      Reply
//! ```
//!
//! One file per command family (`cmd_*.rs`), each exporting its `COMMANDS` table; every error
//! text they answer is in `errors.rs`.
//!
//! Keyspace notifications: a write also yields the events Redis's `notifyKeyspaceEvent` fires
//! for it, in Redis's order ([`Databases::execute_write_with_events`]; active expiry:
//! [`Databases::expire_if_due_with_events`]; reads: [`Databases::key_misses`]); commands
//! record theirs with `WriteCtx::notify`, and `new` / `expired` come from the keyspace's
//! journal (`events.rs`). Which of them a node publishes is its [`NotifyFlags`].
//! Invariants kept by every command:
//! - a command that answers an error changed nothing;
//! - a collection that becomes empty is removed (Redis never stores empty collections), except
//!   a stream, which Redis keeps empty;
//! - TTLs are absolute Unix milliseconds; a key whose TTL is `<= now` does not exist.

mod args;
mod biguint;
mod cmd_bitmap;
mod cmd_blocking;
mod cmd_db;
mod cmd_dump;
mod cmd_geo;
mod cmd_hash;
mod cmd_hll;
mod cmd_keys;
mod cmd_list;
mod cmd_pubsub;
mod cmd_set;
mod cmd_sort;
mod cmd_stream;
mod cmd_strings;
mod cmd_zset;
mod cmd_zset_algebra;
mod command;
mod ctx;
mod databases;
mod db;
mod errors;
mod events;
#[cfg(test)]
mod events_tests;
mod key_miss;
mod lazy_expiry;
mod long_double;
mod sample;
mod scan;
mod small_bytes;
mod snapshot;
mod streamed;
#[cfg(test)]
mod test_util;
mod typed;
mod value;
mod versions;
mod zset;
mod zset_args;

pub use cmd_blocking::{
    block_spec, retry_argv, served_nothing, timeout_reply, BlockFamily, BlockSpec,
};
pub use cmd_db::{db_index, db_index_error};
pub use cmd_pubsub::is_publish;
pub use cmd_stream::{
    stream_block_spec, stream_retry_argv, Consumer, Group, Nack, Node, Stream, StreamBlockSpec,
    StreamId, StreamWake,
};
pub use command::{lookup, CommandDef, CommandKind, CommandResult, DbsFn, ALL_COMMANDS};
pub use ctx::{DbsCtx, Limits, ReadCtx, WriteCtx};
pub use databases::{Databases, MAX_DATABASES};
pub use db::Keyspace;
pub use errors::{unknown_command, wrong_arity};
pub use events::{EventClass, KeyEvent, NotifyFlags};
pub use meridian_types::glob::{glob_match, glob_match_nocase};
pub use small_bytes::{SmallBytes, INLINE_MAX};
pub use snapshot::{encode_chunk, SnapshotError};
pub use streamed::{streamed_read, BulkSink, StreamedReadFn};
pub use value::{Entry, Value};
pub use zset::ZSet;
