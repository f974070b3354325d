//! Cross-region log shipping (DESIGN.md §6): a secondary cluster's leader follows the primary
//! cluster's committed ops, in seq order, and proposes them into its own Raft group.
//!
//! ```text
//!  secondary leader (follow.rs)                      primary node (serve.rs, source.rs)
//!   Subscribe{position} ───────────────────────────►  continue from position+1, or full sync
//!   ◄── SyncBegin / SyncChunk… / SyncUsers / SyncEnd  (a consistent image: keyspace + ACL users)
//!   ◄── Ops{ops, history, head, age} / Heartbeat ───  read from the replication backlog
//!   propose Ship{ops} into its own Raft log
//!   Ack{applied, lag} ─────────────────────────────►  ReplicaTracker (WAIT, INFO, metrics)
//! ```
//!
//! The ACL users are replicated state like the keyspace: `ACL SETUSER` / `DELUSER` are ops of
//! the backlog, and a full sync carries the users in one `SyncUsers` message that the
//! secondary stages with the chunks and swaps in at `SyncEnd`.
//!
//! Safety comes from the apply rules in the storage crate: shipped ops apply only on a
//! secondary holding a position, strictly at `seq + 1`, so a leader change on either side
//! resumes from the committed position with no gap and no op applied twice.

mod error;
mod follow;
mod options;
mod serve;
mod source;
mod status;
mod wire;

pub use error::ShipError;
pub use follow::{run_shipper, SourceClusters};
pub use options::ShipOptions;
pub use serve::{gather_replication, ShippingService};
pub use status::{LinkStatus, LinkView, NodeReplication, ReplicaTracker, ReplicaView};
pub use wire::{Ack, Down, Subscribe, Up};

/// The generated gRPC server, for the node to mount.
pub use meridian_proto::internal::shipping_server::ShippingServer;
