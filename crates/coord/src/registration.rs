//! What the control plane learns from the deployment config: its clusters, the limits the
//! rules use, and who votes in the coordination group.

use std::collections::BTreeMap;

use meridian_config::DeploymentConfig;
use meridian_types::{ClusterInfo, ControlLimits, CoordRequest, Node, NodeId};

use crate::ControlPlane;

/// The clusters and limits a deployment registers at bootstrap (idempotently).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    pub clusters: Vec<ClusterInfo>,
    pub limits: ControlLimits,
}

impl Registration {
    pub fn from_config(cfg: &DeploymentConfig) -> Registration {
        let clusters = cfg
            .clusters
            .iter()
            .map(|c| ClusterInfo {
                name: c.name.clone(),
                region: c.region.clone(),
                nodes: c
                    .nodes
                    .iter()
                    .map(|n| {
                        let node = Node {
                            grpc_addr: n.grpc_addr(),
                            resp_addr: n.resp_addr(),
                        };
                        (n.id, node)
                    })
                    .collect(),
            })
            .collect();
        Registration {
            clusters,
            limits: ControlLimits {
                max_secondaries: cfg.limits.max_secondaries_per_datastore,
            },
        }
    }

    /// The log entry that records it.
    pub fn request(&self) -> CoordRequest {
        CoordRequest::RegisterClusters {
            clusters: self.clusters.clone(),
            limits: self.limits,
        }
    }

    /// Whether `cp` already holds every cluster exactly as registered, and the limits.
    pub fn is_recorded_in(&self, cp: &ControlPlane) -> bool {
        cp.limits == self.limits
            && self
                .clusters
                .iter()
                .all(|c| cp.clusters.get(&c.name) == Some(c))
    }
}

/// The coordination voters of a deployment (data nodes with `coord = true`, then witnesses)
/// as Raft members.
pub fn voters_from_config(cfg: &DeploymentConfig) -> BTreeMap<NodeId, Node> {
    cfg.coord_voters()
        .into_iter()
        .map(|v| {
            let resp_addr = cfg.node(v.id).map(|n| n.resp_addr()).unwrap_or_default();
            (
                v.id,
                Node {
                    grpc_addr: v.grpc_addr,
                    resp_addr,
                },
            )
        })
        .collect()
}
