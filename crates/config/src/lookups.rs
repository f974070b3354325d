//! Questions other crates ask of a loaded deployment: where is node N, which nodes vote in
//! the coordination group, where does a node keep its files.
//!
//! Lookups scan the (small) lists; on an unvalidated config with duplicates they return the
//! first match.

use crate::{ClusterConfig, DeploymentConfig, GlobalDatastoreConfig, NodeConfig, WitnessConfig};
use std::path::PathBuf;

/// A data node together with the cluster it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRef<'a> {
    /// The node's cluster.
    pub cluster: &'a ClusterConfig,
    /// The node itself.
    pub node: &'a NodeConfig,
}

impl NodeRef<'_> {
    /// The node id.
    pub fn id(&self) -> u64 {
        self.node.id
    }

    /// The cluster's region.
    pub fn region(&self) -> &str {
        &self.cluster.region
    }

    /// `host:grpc_port`.
    pub fn grpc_addr(&self) -> String {
        self.node.grpc_addr()
    }

    /// `host:resp_port`.
    pub fn resp_addr(&self) -> String {
        self.node.resp_addr()
    }

    /// `host:metrics_port`.
    pub fn metrics_addr(&self) -> String {
        self.node.metrics_addr()
    }
}

/// Any process of the deployment: a data node or a witness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// A data node of a cluster.
    Node(NodeRef<'a>),
    /// A coordination-only witness.
    Witness(&'a WitnessConfig),
}

/// A voter of the coordination group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordVoter {
    /// Node id.
    pub id: u64,
    /// Region the voter runs in.
    pub region: String,
    /// The cluster of a data node; `None` for a witness.
    pub cluster: Option<String>,
    /// `host:grpc_port`, where coordination Raft RPCs go.
    pub grpc_addr: String,
}

impl DeploymentConfig {
    /// The data node with this id, with its cluster; `None` for witnesses and unknown ids.
    pub fn node(&self, id: u64) -> Option<NodeRef<'_>> {
        self.clusters.iter().find_map(|cluster| {
            let node = cluster.nodes.iter().find(|n| n.id == id)?;
            Some(NodeRef { cluster, node })
        })
    }

    /// The witness with this id.
    pub fn witness(&self, id: u64) -> Option<&WitnessConfig> {
        self.witnesses.iter().find(|w| w.id == id)
    }

    /// The data node or witness with this id: what `meridian node --id N` runs.
    pub fn member(&self, id: u64) -> Option<Member<'_>> {
        self.node(id)
            .map(Member::Node)
            .or_else(|| self.witness(id).map(Member::Witness))
    }

    /// The cluster with this name.
    pub fn cluster(&self, name: &str) -> Option<&ClusterConfig> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The global datastore with this id.
    pub fn global_datastore(&self, id: &str) -> Option<&GlobalDatastoreConfig> {
        self.global_datastores.iter().find(|g| g.id == id)
    }

    /// Voters of the coordination group (data nodes with `coord = true`, then every
    /// witness), sorted by id.
    pub fn coord_voters(&self) -> Vec<CoordVoter> {
        let nodes = self.clusters.iter().flat_map(|c| {
            c.nodes.iter().filter(|n| n.coord).map(|n| CoordVoter {
                id: n.id,
                region: c.region.clone(),
                cluster: Some(c.name.clone()),
                grpc_addr: n.grpc_addr(),
            })
        });
        let witnesses = self.witnesses.iter().map(|w| CoordVoter {
            id: w.id,
            region: w.region.clone(),
            cluster: None,
            grpc_addr: w.grpc_addr(),
        });
        let mut voters: Vec<CoordVoter> = nodes.chain(witnesses).collect();
        voters.sort_by_key(|v| v.id);
        voters
    }

    /// `<data_dir>/node-<id>` for a data node or witness; `None` for an unknown id.
    pub fn node_data_dir(&self, id: u64) -> Option<PathBuf> {
        self.member(id)
            .map(|_| self.data_dir.join(format!("node-{id}")))
    }

    /// Ids of every data node and witness, sorted.
    pub fn all_node_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .clusters
            .iter()
            .flat_map(|c| c.nodes.iter().map(|n| n.id))
            .chain(self.witnesses.iter().map(|w| w.id))
            .collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
        data_dir = "state"
        [[clusters]]
        name = "use1"
        region = "us-east-1"
        nodes = [
          { id = 1, grpc_port = 7401, resp_port = 6401, metrics_port = 9401, coord = true },
          { id = 2, host = "::1", grpc_port = 7402, resp_port = 6402, metrics_port = 9402 },
        ]
        [[clusters]]
        name = "euw1"
        region = "eu-west-1"
        nodes = [
          { id = 4, host = "10.1.0.4", grpc_port = 7411, resp_port = 6411, metrics_port = 9411, coord = true },
        ]
        [[witnesses]]
        id = 3
        region = "us-west-2"
        grpc_port = 7431
        metrics_port = 9431
    "#;

    fn config() -> DeploymentConfig {
        let c = DeploymentConfig::from_toml_str(TEXT, "/srv").expect("parses");
        c.validate().expect("valid");
        c
    }

    #[test]
    fn nodes_come_with_their_cluster_and_addresses() {
        let c = config();
        let n = c.node(4).expect("node 4");
        assert_eq!(n.cluster.name, "euw1");
        assert_eq!(n.region(), "eu-west-1");
        assert_eq!(n.grpc_addr(), "10.1.0.4:7411");
        assert_eq!(n.resp_addr(), "10.1.0.4:6411");
        assert_eq!(n.metrics_addr(), "10.1.0.4:9411");
        assert_eq!(c.node(2).expect("node 2").grpc_addr(), "[::1]:7402");
        assert!(c.node(3).is_none(), "a witness is not a data node");
        assert!(
            matches!(c.member(3), Some(Member::Witness(w)) if w.grpc_addr() == "127.0.0.1:7431")
        );
        assert!(c.member(99).is_none());
        assert_eq!(c.cluster("use1").map(|c| c.nodes.len()), Some(2));
        assert!(c.cluster("nope").is_none());
    }

    #[test]
    fn coord_voters_include_witnesses_sorted_by_id() {
        let voters = config().coord_voters();
        let got: Vec<_> = voters
            .iter()
            .map(|v| (v.id, v.cluster.as_deref(), v.grpc_addr.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, Some("use1"), "127.0.0.1:7401"),
                (3, None, "127.0.0.1:7431"),
                (4, Some("euw1"), "10.1.0.4:7411"),
            ]
        );
        assert_eq!(voters[1].region, "us-west-2");
    }

    #[test]
    fn ids_and_data_dirs() {
        let c = config();
        assert_eq!(c.all_node_ids(), [1, 2, 3, 4]);
        assert_eq!(c.node_data_dir(2), Some(PathBuf::from("/srv/state/node-2")));
        assert_eq!(c.node_data_dir(3), Some(PathBuf::from("/srv/state/node-3")));
        assert_eq!(c.node_data_dir(5), None);
    }
}
