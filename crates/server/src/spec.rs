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
    /// RESP (Redis protocol) listener settings.
    pub resp: RespSettings,
    /// Cross-region log shipping settings (`[replication]`).
    pub shipping: meridian_shipping::ShipOptions,
    /// `host:port` of the Prometheus metrics listener (`GET /metrics`), bound by
    /// [`crate::MeridianNode::bind_and_start`]; `127.0.0.1:0` picks a free port.
    pub metrics_addr: String,
    /// The coordination group: its voters (this node runs a voter when it is one of them),
    /// the clusters it registers, and its timing.
    pub coord: CoordSpec,
    /// Tests only: the fault network every outgoing connection goes through
    /// (`meridian_transport::faults`). `None` in production.
    pub faults: Option<meridian_transport::FaultNet>,
    /// TLS on the node's ports and how it proves who it is to its peers.
    pub security: NodeSecurity,
}

/// TLS on a node's ports, and the credentials of node-to-node calls (DESIGN.md §10.7).
/// The default is plaintext everywhere with open internal services.
#[derive(Debug, Clone)]
pub struct NodeSecurity {
    /// The gRPC port (client API and internal services).
    pub grpc: meridian_tls::PortSecurity,
    /// The metrics port.
    pub metrics: meridian_tls::PortSecurity,
    /// Redis's `tls-port`: `host:port` of a RESP listener speaking TLS, next to the plaintext
    /// one. Bound by [`crate::MeridianNode::bind_and_start`].
    pub resp_tls: Option<(String, meridian_tls::PortSecurity)>,
    /// What this node presents when it calls its peers (its certificate, the secret); the
    /// secret is also what its internal services accept from callers without a node
    /// certificate.
    pub peers: meridian_transport::PeerCredentials,
    /// Internal services admit every caller: no TLS identity and no secret to check.
    pub open_internal_services: bool,
    /// The node's TLS material and how often it looks for changed files on disk (the node
    /// reloads them while it runs).
    pub reload: Option<(meridian_tls::Tls, std::time::Duration)>,
}

impl Default for NodeSecurity {
    fn default() -> Self {
        NodeSecurity {
            grpc: meridian_tls::PortSecurity::Plain,
            metrics: meridian_tls::PortSecurity::Plain,
            resp_tls: None,
            peers: meridian_transport::PeerCredentials::default(),
            open_internal_services: true,
            reload: None,
        }
    }
}

impl NodeSecurity {
    /// Starts what keeps the node's security current while it runs (the certificate reloader;
    /// it ends when the node's TLS handles are dropped), and warns when the internal services
    /// are open to anyone who can reach the gRPC port.
    pub(crate) fn start(&self) {
        if let Some((tls, every)) = &self.reload {
            tls.spawn_reloader(*every);
        }
        if self.open_internal_services {
            tracing::warn!(
                "internal services (Raft, forwarding, SetRole, shipping) are open to any \
                 caller: set [tls] or security.cluster_secret_file in the deployment file"
            );
        }
    }

    /// The check in front of this node's internal services.
    pub(crate) fn guard(&self) -> crate::internal_auth::InternalGuard {
        crate::internal_auth::InternalGuard::new(
            self.peers.secret.clone(),
            self.open_internal_services,
        )
    }
}

/// What a node needs to know about the coordination group.
#[derive(Debug, Clone)]
pub struct CoordSpec {
    /// Voter ids with their addresses (nodes marked `coord = true`, and witnesses).
    pub voters: BTreeMap<NodeId, Node>,
    /// Clusters and limits registered with the control plane at bootstrap.
    pub registration: meridian_coord::Registration,
    pub options: meridian_coord::CoordOptions,
}

impl CoordSpec {
    /// A deployment of the given clusters whose coordination voters are `voters`.
    pub fn for_clusters(
        clusters: &[ClusterSpec],
        voters: &[NodeId],
        max_secondaries: u64,
    ) -> CoordSpec {
        let nodes: BTreeMap<NodeId, Node> = clusters
            .iter()
            .flat_map(|c| c.nodes.iter().cloned())
            .collect();
        CoordSpec {
            voters: nodes
                .iter()
                .filter(|(id, _)| voters.contains(id))
                .map(|(id, n)| (*id, n.clone()))
                .collect(),
            registration: meridian_coord::Registration {
                clusters: clusters
                    .iter()
                    .map(|c| meridian_types::ClusterInfo {
                        name: c.name.clone(),
                        region: c.region.clone(),
                        nodes: c.nodes.iter().cloned().collect(),
                    })
                    .collect(),
                limits: meridian_types::ControlLimits { max_secondaries },
            },
            options: meridian_coord::CoordOptions::default(),
        }
    }
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

/// Settings of the RESP listener, named after the Redis config parameters they mirror. They
/// are the node's starting values; `CONFIG SET` changes them on that node only (as on Redis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespSettings {
    /// Redis `requirepass`: clients must `AUTH` (or `HELLO … AUTH default <pass>`) before
    /// anything but AUTH/HELLO/QUIT/RESET. `None` (default): no password.
    pub requirepass: Option<String>,
    /// Redis `proto-max-bulk-len`: the longest bulk argument accepted, in bytes. A longer one is
    /// a protocol error that closes the connection. Default 512 MiB.
    pub proto_max_bulk_len: u64,
    /// Redis `client-query-buffer-limit`: bytes a client may make the node buffer for requests
    /// not yet complete; past it the connection is closed. Default 1 GiB.
    pub client_query_buffer_limit: u64,
    /// Redis `maxclients`: connected RESP clients at most; one more is told
    /// `-ERR max number of clients reached` and closed. Default 10000.
    pub maxclients: u64,
    /// Redis `databases`: clients may `SELECT` 0 to n-1. Default 16.
    pub databases: u32,
}

impl Default for RespSettings {
    fn default() -> Self {
        RespSettings {
            requirepass: None,
            proto_max_bulk_len: meridian_resp::DEFAULT_PROTO_MAX_BULK_LEN,
            client_query_buffer_limit: meridian_resp::DEFAULT_CLIENT_QUERY_BUFFER_LIMIT as u64,
            maxclients: 10_000,
            databases: 16,
        }
    }
}
