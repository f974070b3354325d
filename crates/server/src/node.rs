use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use meridian_proto::internal::raft_transport_server::RaftTransportServer;
use meridian_proto::internal::region_forward_server::RegionForwardServer;
use meridian_proto::v1::clusters_server::ClustersServer;
use meridian_proto::v1::key_value_server::KeyValueServer;
use meridian_region::{ForwardRegistry, RegionForwardService, RegionGroup};
use meridian_transport::{ChannelPool, GroupRouter, RaftTransportService, TransportLimits};
use tokio::net::TcpListener;
use tracing::{info, info_span, warn};

use crate::clusters_service::ClustersService;
use crate::control_plane::{self, ControlPlane};
use crate::grpc_edge::{GrpcEdge, GrpcEdgeBuilder};
use crate::kv_service::KeyValueService;
use crate::metrics::MetricsServer;
use crate::replication::Replication;
use crate::resp::RespServer;
use crate::spec::NodeSpec;
use meridian_coord::grpc::{CoordForwardServer, GlobalDatastoresServer};
use meridian_coord::{CoordForwardService, GlobalDatastoresService};
use meridian_shipping::ShippingServer;

/// How long [`MeridianNode::stop`] lets gRPC requests in flight finish before closing the
/// connections peers keep open.
const GRPC_DRAIN: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("node {0} is not a member of cluster {1:?} in the deployment")]
    NotAMember(u64, String),
    #[error("cannot bind {what} listener on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open data directory {path}: {source}")]
    Storage {
        path: PathBuf,
        #[source]
        source: meridian_storage::StorageError,
    },
    #[error("cannot start the regional group: {0}")]
    Region(#[from] meridian_region::RegionError),
    #[error("cannot build gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("cannot start the coordination group: {0}")]
    Coord(#[from] meridian_coord::CoordError),
    #[error("cannot start the metrics endpoint: {0}")]
    Metrics(#[from] crate::metrics::MetricsError),
}

/// A running node. Dropping it without [`MeridianNode::stop`] leaves tasks running.
pub struct MeridianNode {
    spec: NodeSpec,
    db: meridian_storage::NodeDb,
    group: Arc<RegionGroup>,
    grpc: GrpcEdge,
    resp: RespServer,
    metrics: MetricsServer,
    control: ControlPlane,
    replication: Replication,
}

/// How the node's groups reach their peers, and where the gRPC edge hands incoming Raft
/// messages and forwarded requests.
struct Network {
    pool: ChannelPool,
    router: GroupRouter,
    registry: ForwardRegistry,
}

impl Network {
    fn new(spec: &NodeSpec) -> Network {
        let limits = TransportLimits {
            max_message_bytes: spec.limits.grpc_max_message_bytes,
            ..TransportLimits::default()
        };
        let faults = spec.faults.as_ref().map(|net| net.endpoint(spec.node_id));
        Network {
            pool: ChannelPool::with_faults(limits, faults)
                .with_credentials(spec.security.peers.clone()),
            router: GroupRouter::new(),
            registry: ForwardRegistry::new(),
        }
    }
}

impl MeridianNode {
    /// Binds the node's configured gRPC, RESP and metrics addresses and starts it.
    pub async fn bind_and_start(spec: NodeSpec) -> Result<MeridianNode, NodeError> {
        let me = spec
            .me()
            .ok_or_else(|| NodeError::NotAMember(spec.node_id, spec.cluster.clone()))?;
        let listener = bind("gRPC", &me.grpc_addr).await?;
        let resp = bind("RESP", &me.resp_addr).await?;
        let metrics = bind("metrics", &spec.metrics_addr).await?;
        Self::start_with(spec, listener, resp, metrics).await
    }

    /// Starts a node on an already bound gRPC listener, binding the RESP and metrics addresses
    /// of its spec (`127.0.0.1:0` picks a free port; see [`MeridianNode::resp_addr`]).
    pub async fn start(
        spec: NodeSpec,
        grpc_listener: TcpListener,
    ) -> Result<MeridianNode, NodeError> {
        let me = spec
            .me()
            .ok_or_else(|| NodeError::NotAMember(spec.node_id, spec.cluster.clone()))?;
        let resp = bind("RESP", &me.resp_addr).await?;
        let metrics = bind("metrics", &spec.metrics_addr).await?;
        Self::start_with(spec, grpc_listener, resp, metrics).await
    }

    /// Starts a node on already bound gRPC, RESP and metrics listeners (tests bind port 0
    /// first): storage, the regional group, the control plane, replication, then the
    /// listeners.
    pub async fn start_with(
        spec: NodeSpec,
        grpc_listener: TcpListener,
        resp_listener: TcpListener,
        metrics_listener: TcpListener,
    ) -> Result<MeridianNode, NodeError> {
        let members = spec.members();
        if !members.contains_key(&spec.node_id) {
            return Err(NodeError::NotAMember(spec.node_id, spec.cluster.clone()));
        }
        let db = open_storage(&spec.data_dir)?;
        spec.security.start();
        let net = Network::new(&spec);
        let group = start_group(&db, &spec, members, &net).await?;
        let control = control_plane::start(&spec, &db, &net.pool, &net.router, &group).await?;
        let resp_addr = local_addr("RESP", &resp_listener)?;
        let replication = Replication::start(
            &spec,
            &group,
            &net.pool,
            control.handle.clone(),
            resp_addr.to_string(),
        );
        let acl = Arc::new(crate::resp::AclState::new(
            group.sm().clone(),
            spec.resp.requirepass.clone(),
        ));
        let span = info_span!("grpc_server", node = spec.node_id, cluster = %spec.cluster);
        let grpc = grpc_services(&spec, &group, &control, &replication, net, acl.clone())
            .await?
            .serve(grpc_listener, spec.security.grpc.clone(), span)
            .map_err(|source| NodeError::Bind {
                what: "gRPC",
                addr: "?".into(),
                source,
            })?;
        let resp_tls = bind_resp_tls(&spec).await?;
        let resp = RespServer::spawn(
            resp_listener,
            resp_tls,
            group.clone(),
            spec.resp.clone(),
            crate::resp::RespEdge {
                limits: spec.limits,
                region: spec.region.clone(),
                replication: replication.view.clone(),
                acl: acl.clone(),
            },
        )
        .map_err(|source| NodeError::Bind {
            what: "RESP",
            addr: "?".into(),
            source,
        })?;
        let metrics = crate::metrics::spawn_for_node(
            metrics_listener,
            spec.security.metrics.clone(),
            &group,
            control.group.as_ref(),
            replication.view.service.clone(),
        )
        .await?;
        info!(node_id = spec.node_id, cluster = %spec.cluster, grpc = %grpc.local_addr(), resp = %resp.local_addr(), metrics = %metrics.local_addr(), "node started");
        Ok(MeridianNode {
            spec,
            db,
            group,
            grpc,
            resp,
            metrics,
            control,
            replication,
        })
    }

    pub fn spec(&self) -> &NodeSpec {
        &self.spec
    }

    pub fn group(&self) -> &Arc<RegionGroup> {
        &self.group
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// Where the RESP listener accepts clients.
    pub fn resp_addr(&self) -> SocketAddr {
        self.resp.local_addr()
    }

    /// Where the TLS RESP listener accepts clients, when the node has one.
    pub fn resp_tls_addr(&self) -> Option<SocketAddr> {
        self.resp.tls_local_addr()
    }

    /// Resolves once a client sent SHUTDOWN over RESP: its RESP listener has closed, and the
    /// owner should now [`MeridianNode::stop`] the node (the `meridian node` command does).
    pub async fn shutdown_requested(&self) {
        self.resp.shutdown_requested().await;
    }

    /// Sets the RESP `timeout` setting: clients idle this many seconds are closed (0: never).
    pub fn set_resp_idle_timeout(&self, secs: u64) {
        self.resp.set_idle_timeout(secs);
    }

    /// Where the metrics listener serves `GET /metrics`.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.local_addr()
    }

    /// The coordination voter this node runs, if it is one.
    pub fn coord(&self) -> Option<&Arc<meridian_coord::CoordGroup>> {
        self.control.group.as_ref()
    }

    /// Stops without a graceful drain (tests' stand-in for a crash): the listener is aborted
    /// and Raft stops; nothing is flushed beyond what the log store already made durable.
    pub async fn kill(self) {
        self.grpc.kill();
        self.resp.abort().await;
        self.replication.stop().await;
        self.metrics.stop().await;
        self.control.stop().await;
        self.group.shutdown().await;
        info!(node_id = self.spec.node_id, "node killed");
    }

    /// Stops in order: listeners, the regional group, then a storage flush.
    pub async fn stop(self) {
        let node_id = self.spec.node_id;
        self.resp.stop().await;
        self.metrics.stop().await;
        self.grpc.stop(GRPC_DRAIN).await;
        self.replication.stop().await;
        self.control.stop().await;
        self.group.shutdown().await;
        if let Err(e) = self.db.flush_async().await {
            warn!(node_id, error = %e, "final storage flush failed");
        }
        info!(node_id, "node stopped");
    }
}

/// The node's gRPC services: the public API, health and reflection, and the internal services
/// peers use (Raft, forwarding, coordination, shipping).
/// Starts the node's regional group on its storage.
async fn start_group(
    db: &meridian_storage::NodeDb,
    spec: &NodeSpec,
    members: std::collections::BTreeMap<meridian_types::NodeId, meridian_types::Node>,
    net: &Network,
) -> Result<Arc<RegionGroup>, NodeError> {
    let start = meridian_region::GroupStart {
        node_id: spec.node_id,
        cluster: spec.cluster.clone(),
        members,
        opts: meridian_region::RegionOptions {
            // ACL SETUSER rules are applied against the RESP edge's command table.
            acl_commands: crate::resp::acl_command_table(),
            ..spec.region_options.clone()
        },
        pool: net.pool.clone(),
        router: net.router.clone(),
        registry: net.registry.clone(),
    };
    Ok(RegionGroup::start(db, start).await?)
}

async fn grpc_services(
    spec: &NodeSpec,
    group: &Arc<RegionGroup>,
    control: &ControlPlane,
    replication: &Replication,
    net: Network,
    acl: Arc<crate::resp::AclState>,
) -> Result<GrpcEdgeBuilder, NodeError> {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<KeyValueServer<KeyValueService>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(meridian_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let kv = KeyValueService::new(group.clone(), acl, spec.limits, spec.clusters.clone());
    let datastores = GlobalDatastoresService::new(control.handle.clone());
    let clusters = ClustersService::new(spec.clone(), group.clone(), net.pool.clone());
    let guard = spec.security.guard();
    let mut edge = GrpcEdgeBuilder::new(spec.limits.grpc_max_message_bytes)
        .service(health)
        .service(reflection)
        .limited(KeyValueServer::new(kv))
        .service(GlobalDatastoresServer::new(datastores));
    if let Some(coord) = &control.group {
        let forward = CoordForwardService::new(coord.clone());
        edge = edge.internal(CoordForwardServer::new(forward), &guard);
    }
    let raft = RaftTransportService::new(spec.node_id, net.router);
    let forward = RegionForwardService::new(spec.node_id, net.registry);
    Ok(edge
        .service(ClustersServer::new(clusters))
        .internal(RaftTransportServer::new(raft), &guard)
        .internal(RegionForwardServer::new(forward), &guard)
        .internal(
            ShippingServer::new(replication.view.service.clone()),
            &guard,
        ))
}

/// The RESP TLS listener (Redis's `tls-port`), when the node has one.
async fn bind_resp_tls(
    spec: &NodeSpec,
) -> Result<Option<(TcpListener, meridian_tls::PortSecurity)>, NodeError> {
    match &spec.security.resp_tls {
        Some((addr, port)) => Ok(Some((bind("RESP TLS", addr).await?, port.clone()))),
        None => Ok(None),
    }
}

/// Opens (creating it if needed) the node's data directory.
pub(crate) fn open_storage(dir: &Path) -> Result<meridian_storage::NodeDb, NodeError> {
    std::fs::create_dir_all(dir).map_err(|source| NodeError::DataDir {
        path: dir.to_path_buf(),
        source,
    })?;
    meridian_storage::open_db(dir).map_err(|source| NodeError::Storage {
        path: dir.to_path_buf(),
        source,
    })
}

/// Where an already bound listener listens.
fn local_addr(what: &'static str, listener: &TcpListener) -> Result<SocketAddr, NodeError> {
    listener.local_addr().map_err(|source| NodeError::Bind {
        what,
        addr: "?".into(),
        source,
    })
}

pub(crate) async fn bind(what: &'static str, addr: &str) -> Result<TcpListener, NodeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| NodeError::Bind {
            what,
            addr: addr.to_string(),
            source,
        })
}
