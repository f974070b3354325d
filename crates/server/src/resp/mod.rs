//! The RESP (Redis protocol) edge of a node: users point redis-cli, redis-py or any Redis
//! client at it and get Redis 7.0 behaviour, byte for byte where Meridian implements it.
//!
//! ```text
//!  listener ── accept ──► connection task (one per client, bounded by maxclients)
//!    socket ─► query buffer ─► RequestParser::next ─► dispatch(argv)
//!                                  ├─ auth / arity / unknown command / MULTI queueing
//!                                  ├─ data write ──► pending batch ─► RegionGroup::write (one entry)
//!                                  ├─ data read  ──► read barrier (cached per socket read) ─► sm().read
//!                                  └─ server command (PING, HELLO, INFO, CONFIG, …) answered here
//!    socket ◄─ out buffer ◄─ encode(Answer, protocol)
//! ```
//!
//! Invariants:
//! - Replies leave in request order. Consecutive pipelined data writes of one connection are
//!   gathered into one atomic batch (one Raft entry); the batch is flushed before anything else
//!   runs and before the connection waits for more bytes, so no reply waits on the client.
//! - A write is answered only after Raft commit and apply (through the leader, forwarded when
//!   this node follows); a read is linearizable unless the connection said `READONLY`.
//! - Every `RegionError` becomes a RESP error in `errors.rs` and nowhere else.
//! - Parse one, execute one: AUTH takes effect on the parser limits before the next request.

mod acl;
mod admin_cmds;
mod applied;
mod blocking;
mod client_admin;
mod clients;
mod command_cmd;
mod command_meta;
mod config;
mod conn_cmds;
mod connection;
mod dispatch;
mod errors;
mod info;
mod introspection;
mod listener;
mod oom;
mod pubsub;
mod replication_info;
mod server_cmds;
mod session;
mod table;
mod txn;

pub(crate) use acl::{
    check_user as acl_check_user, command_table as acl_command_table,
    default_open as acl_default_open, AclState,
};
pub use info::set_mem_allocator;
pub(crate) use listener::RespEdge;
pub use listener::RespServer;
