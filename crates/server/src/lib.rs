//! A Meridian node: one sled database, the regional Raft group of its cluster, and the
//! listeners users and peers talk to.
//!
//! ```text
//!  MeridianNode::start(spec)
//!    ├─ storage::open_db(data_dir)              one sled db per node
//!    ├─ RegionGroup::start(db, members, …)      Raft + state machine + active expiry
//!    └─ gRPC listener: meridian.v1.KeyValue, meridian.v1.Clusters, grpc.health.v1,
//!                      reflection, meridian.internal.v1.{RaftTransport, RegionForward}
//!  stop(): listeners → groups → storage flush
//! ```
//!
//! Errors are mapped to gRPC statuses in one place (`status.rs`).

mod clusters_service;
mod kv_argv;
mod kv_service;
mod node;
mod spec;
mod status;

pub use node::{MeridianNode, NodeError};
pub use spec::{ClusterSpec, EdgeLimits, NodeSpec};
