//! Shared vocabulary of Meridian: ids, replication positions, the commands carried by the
//! regional Raft log, the replies they produce, the openraft type configuration, and the
//! `ErrorCause` beneath regional and control-plane errors.
//!
//! The coordination group's log entries and control-plane model are in the `coord` module.
//!
//! Every other crate depends on this one and it depends on none of them, so a type that two
//! crates need to agree on lives here.
//!
//! ```text
//!   client argv ──► WriteBatch{commands, now_ms, seed} ─(leader gathers)─► RegionRequest::Write(batches)
//!                                                           ──► Raft log ──► apply
//!                                                                              │
//!                         RegionResponse{results: [WriteResult{replies, seq}], seq} ◄┘
//! ```

mod clock;
mod coord;
mod error_cause;
mod failover;
pub mod glob;
mod ids;
pub mod outcome;
mod planted;
mod reply;
mod request;
mod role;
mod shipping;
mod type_config;

pub use clock::Clock;
pub use coord::{
    AutoFailover, ClusterInfo, ControlError, ControlLimits, CoordOutcome, CoordRaft, CoordRequest,
    CoordResponse, CoordTypeConfig, Datastore, DatastoreStatus, Lease, Member, MemberStatus, Role,
};
pub use error_cause::ErrorCause;
pub use failover::{DiscardedRange, FailoverInProgress, FailoverPhase, FailoverStep, LossRange};
pub use ids::{Epoch, GroupId, Node, NodeId, Seq};
pub use planted::PlantedBugs;
pub use reply::Reply;
pub use request::{
    Consistency, RegionRequest, RegionResponse, WatchedKey, WriteBatch, WriteResult,
};
pub use role::{ClusterRole, READONLY_ERROR};
pub use shipping::{epoch_at, on_history, BacklogOp, HistoryMark, ShipPosition, SyncId};
pub use type_config::{RegionRaft, RegionTypeConfig};
