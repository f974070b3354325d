//! The coordination group and the Global Datastore control plane (DESIGN §5).
//!
//! A few voters spread over regions run one Raft group (`GroupId::Coord`, WAN timing from
//! `[coord]`) whose state machine is the [`ControlPlane`]: registered clusters, global
//! datastores (members with role and status, primary, epoch, status, auto-failover policy),
//! the primary's lease and each secondary's reported applied seq. It is kept in memory and
//! snapshotted through the storage crate's crash-safe snapshot store.
//!
//! ```text
//!  CLI / any node ──gRPC GlobalDatastores──► GlobalDatastoresService ──► CoordHandle
//!                                                                          │
//!      voter:  CoordGroup ── leader? ──yes──► client_write(CoordRequest) ─► ControlPlane::apply
//!                              └─no──► CoordClient ──CoordForward.Call──► leader's CoordGroup
//!  non-voter:  CoordClient ──(follows NotLeader hints over the voters)──► leader's CoordGroup
//!  lease:      grant_lease ─► leader: ensure_linearizable ─► check primary@epoch, not draining
//!                          ─► stamp monotonic time ─► GrantLease entry ─► Lease
//! ```
//!
//! Invariants: every rule is checked in `apply` (deterministic, all-or-nothing: a refused
//! request changes nothing); only the leader stamps lease grants, after a quorum round; a new
//! leader refuses promotions until a whole lease after its election
//! ([`CoordGroup::promotion_allowed_at`]); a call is retried elsewhere only when it certainly
//! did nothing, or when doing it twice is harmless.

mod call;
mod client;
mod error;
mod forward;
mod grants_seen;
mod group;
mod handle;
mod options;
mod registration;
mod rules;
mod service;
mod state;

pub use client::CoordClient;
pub use error::CoordError;
pub use forward::CoordForwardService;
pub use group::CoordGroup;
pub use handle::CoordHandle;
pub use meridian_types::ErrorCause;
pub use options::{CoordOptions, FailoverHold};
pub use registration::{voters_from_config, Registration};
pub use rules::{MAX_DESCRIPTION_LEN, MAX_NAME_LEN};
pub use service::{auto_failover_from_pb, auto_failover_to_pb, to_pb, GlobalDatastoresService};
pub use state::ControlPlane;

/// Generated gRPC servers and clients this crate's services implement, re-exported so the
/// node only needs this crate to add them.
pub mod grpc {
    pub use meridian_proto::internal::coord_forward_server::CoordForwardServer;
    pub use meridian_proto::v1::global_datastores_client::GlobalDatastoresClient;
    pub use meridian_proto::v1::global_datastores_server::GlobalDatastoresServer;
}

#[cfg(test)]
mod state_tests;
