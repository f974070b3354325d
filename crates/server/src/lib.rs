//! A Meridian node: its storage, the regional Raft group of its cluster, its part in the
//! control plane and in cross-region shipping, and the listeners users and peers talk to.
//!
//! ```text
//!  MeridianNode::start(spec)
//!    ├─ storage::open_db(data_dir)              Raft files under raft/ + sled (backlogs)
//!    ├─ RegionGroup::start(db, members, …)      Raft + state machine + active expiry
//!    ├─ control_plane::start                    coordination voter (with the reconciler,
//!    │                                          failover and rejoin) or client; write lease
//!    ├─ Replication::start                      Shipping service, shipper, position reporter
//!    ├─ gRPC listener (`grpc_edge`): meridian.v1.{KeyValue, Clusters, GlobalDatastores},
//!    │                 grpc.health.v1, reflection, meridian.internal.v1.{RaftTransport,
//!    │                 RegionForward, CoordForward (voters), Shipping}
//!    ├─ RESP listener (`resp/`): Redis 7 protocol on the node's RESP port
//!    └─ metrics listener (`metrics/`): Prometheus text at GET /metrics
//!  stop(): listeners → shipping → control plane → regional group → sled flush
//! ```
//!
//! A witness ([`WitnessNode`]) is a coordination voter only: no data, no RESP; it serves gRPC
//! through the same `grpc_edge` as a node.
//!
//! Every long-lived task runs in a span named for what it is (`grpc_server`, `resp_listener`
//! and its `resp_client`s, `metrics_server`, `reconciler` and its `rejoin`s,
//! `position_reporter`, `lastsave_watcher`) that carries the node (and cluster), so events
//! inside do not repeat them.
//!
//! Errors are mapped to gRPC statuses in one place (`status.rs`) and to RESP errors in one
//! place (`resp/errors.rs`).

mod clusters_service;
mod control_plane;
mod failover;
mod grpc_edge;
mod grpc_incoming;
mod internal_auth;
mod kv_argv;
mod kv_auth;
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
pub use meridian_transport::{PeerChannel, PeerCredentials, SecretHeader};
pub use metrics::{MetricsError, MetricsServer, NodeMetrics};
pub use node::{MeridianNode, NodeError};
pub use resp::{set_mem_allocator, RespServer};
pub use spec::{ClusterSpec, CoordSpec, EdgeLimits, NodeSecurity, NodeSpec, RespSettings};
pub use witness::{WitnessNode, WitnessSpec};
