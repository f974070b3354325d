//! In-process Meridian clusters for tests: every node binds port 0 on loopback and keeps its
//! data in a temporary directory removed when the [`TestCluster`] is dropped.
//!
//! Faults: [`TestCluster::kill`] (stop a node without a graceful shutdown),
//! [`TestCluster::restart`] (same id, data and address), [`TestCluster::isolate`] /
//! [`TestCluster::heal`] (cut links in both directions), and through `net()` every fault of
//! the transport's [`meridian_transport::FaultNet`] (one-way cuts, delay, pauses, lost and
//! repeated Raft messages). Every node's outgoing connections go through that network; its
//! addresses are registered before any node starts. Waits take deadlines and poll
//! conditions; nothing sleeps for a fixed time hoping things happened.
//!
//! [`TestDeployment`] runs several clusters (regions) with one coordination group, for the
//! Global Datastore control plane: [`TestDeployment::isolate_cluster_from_coord`] cuts a
//! cluster off from the voters outside it.

mod binary;
mod cluster;
mod deployment;
mod nodes;
mod wait;

pub use binary::meridian_bin;
pub use cluster::{TestCluster, TestClusterOptions};
pub use deployment::{TestClusterDef, TestDeployment, TestDeploymentOptions};
pub use nodes::{fast_coord_options, fast_region_options};
pub use wait::{eventually, init_tracing};
