use std::collections::BTreeMap;
use std::path::PathBuf;

use meridian_region::RegionOptions;
use meridian_types::{Node, NodeId};

/// Everything a node needs to start, resolved from the deployment config (or built by tests).
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub node_id: NodeId,
    /// Name of this node's cluster.
    pub cluster: String,
    pub region: String,
    /// Where this node's sled database lives.
    pub data_dir: PathBuf,
    /// Every cluster of the deployment (this node's included), for `Clusters.Describe`.
    pub clusters: Vec<ClusterSpec>,
    pub region_options: RegionOptions,
    pub limits: EdgeLimits,
}

impl NodeSpec {
    /// This node's cluster.
    pub fn own_cluster(&self) -> Option<&ClusterSpec> {
        self.clusters.iter().find(|c| c.name == self.cluster)
    }

    /// The voters of this node's regional group.
    pub fn members(&self) -> BTreeMap<NodeId, Node> {
        self.own_cluster()
            .map(|c| c.nodes.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// This node's own addresses.
    pub fn me(&self) -> Option<Node> {
        self.members().remove(&self.node_id)
    }
}

/// A cluster as the deployment config describes it.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    pub name: String,
    pub region: String,
    pub nodes: Vec<(NodeId, Node)>,
}

/// Sizes the edge (gRPC, RESP) refuses before anything reaches Raft.
#[derive(Debug, Clone, Copy)]
pub struct EdgeLimits {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    pub grpc_max_message_bytes: usize,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        EdgeLimits {
            max_key_bytes: 512 * 1024 * 1024,
            max_value_bytes: 512 * 1024 * 1024,
            grpc_max_message_bytes: 64 * 1024 * 1024,
        }
    }
}
