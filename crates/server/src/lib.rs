//! A Meridian node: one sled database, the regional Raft group of its cluster, and the
//! listeners users and peers talk to.
//!
//! ```text
//!  MeridianNode::start(spec)
//!    ├─ storage::open_db(data_dir)              one sled db per node
//!    ├─ RegionGroup::start(db, members, …)      Raft + state machine + active expiry
//!    ├─ gRPC listener: meridian.v1.KeyValue, meridian.v1.Clusters, grpc.health.v1,
//!    │                 reflection, meridian.internal.v1.{RaftTransport, RegionForward}
//!    ├─ RESP listener (`resp/`): Redis 7 protocol on the node's RESP port
//!    └─ metrics listener (`metrics/`): Prometheus text at GET /metrics
//!  stop(): listeners → groups → storage flush
//! ```
//!
//! Errors are mapped to gRPC statuses in one place (`status.rs`) and to RESP errors in one
//! place (`resp/errors.rs`).

mod clusters_service;
mod control_plane;
mod failover;
mod grpc_incoming;
mod kv_argv;
mod kv_service;
mod metrics;
mod node;
mod reconcile_error;
mod reconciler;
mod rejoin;
mod replication;
mod resp;
mod spec;
mod status;
mod witness;

pub use meridian_shipping::ShipOptions;
pub use metrics::{MetricsError, MetricsServer, NodeMetrics};
pub use node::{MeridianNode, NodeError};
pub use resp::RespServer;
pub use spec::{ClusterSpec, CoordSpec, EdgeLimits, NodeSpec, RespSettings};
pub use witness::{WitnessNode, WitnessSpec};
