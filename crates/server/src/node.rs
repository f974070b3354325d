use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use meridian_proto::internal::raft_transport_server::RaftTransportServer;
use meridian_proto::internal::region_forward_server::RegionForwardServer;
use meridian_proto::v1::clusters_server::ClustersServer;
use meridian_proto::v1::key_value_server::KeyValueServer;
use meridian_region::{ForwardRegistry, RegionForwardService, RegionGroup};
use meridian_transport::{ChannelPool, GroupRouter, RaftTransportService, TransportLimits};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::clusters_service::ClustersService;
use crate::control_plane::{self, ControlPlane};
use crate::kv_service::KeyValueService;
use crate::metrics::MetricsServer;
use crate::replication::Replication;
use crate::resp::RespServer;
use crate::spec::NodeSpec;
use meridian_coord::grpc::{CoordForwardServer, GlobalDatastoresServer};
use meridian_coord::{CoordForwardService, GlobalDatastoresService};
use meridian_shipping::ShippingServer;

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
    #[error("cannot open data directory {path}: {reason}")]
    Storage { path: String, reason: String },
    #[error("cannot start the regional group: {0}")]
    Region(#[from] meridian_region::RegionError),
    #[error("cannot build gRPC reflection: {0}")]
    Reflection(String),
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
    grpc_addr: SocketAddr,
    resp: RespServer,
    metrics: MetricsServer,
    control: ControlPlane,
    replication: Replication,
    cancel: CancellationToken,
    /// Severs every accepted gRPC connection (see [`crate::grpc_incoming`]).
    cut: CancellationToken,
    grpc_task: JoinHandle<()>,
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
    /// first).
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
        let storage_err = |reason: String| NodeError::Storage {
            path: spec.data_dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(&spec.data_dir).map_err(|e| storage_err(e.to_string()))?;
        let db =
            meridian_storage::open_db(&spec.data_dir).map_err(|e| storage_err(e.to_string()))?;

        let limits = TransportLimits {
            max_message_bytes: spec.limits.grpc_max_message_bytes,
            ..TransportLimits::default()
        };
        let faults = spec.faults.as_ref().map(|net| net.endpoint(spec.node_id));
        let pool = ChannelPool::with_faults(limits, faults);
        let max_message = spec.limits.grpc_max_message_bytes;
        let router = GroupRouter::new();
        let registry = ForwardRegistry::new();
        let group = RegionGroup::start(
            &db,
            spec.node_id,
            &spec.cluster,
            members,
            spec.region_options.clone(),
            pool.clone(),
            router.clone(),
            registry.clone(),
        )
        .await?;
        let control = control_plane::start(&spec, &db, &pool, &router, &group).await?;
        let coord_forward = control.group.clone().map(|g| {
            CoordForwardServer::new(CoordForwardService::new(g))
                .max_decoding_message_size(max_message)
                .max_encoding_message_size(max_message)
        });

        let resp_addr = resp_listener
            .local_addr()
            .map_err(|source| NodeError::Bind {
                what: "RESP",
                addr: "?".into(),
                source,
            })?;
        let replication = Replication::start(
            &spec,
            &group,
            &pool,
            control.handle.clone(),
            resp_addr.to_string(),
        );
        let grpc_addr = grpc_listener
            .local_addr()
            .map_err(|source| NodeError::Bind {
                what: "gRPC",
                addr: "?".into(),
                source,
            })?;
        let cancel = CancellationToken::new();
        let max = spec.limits.grpc_max_message_bytes;
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<KeyValueServer<KeyValueService>>()
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(meridian_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| NodeError::Reflection(e.to_string()))?;
        let router_svc = tonic::transport::Server::builder()
            .add_service(health)
            .add_service(reflection)
            .add_service(
                KeyValueServer::new(KeyValueService::new(
                    group.clone(),
                    spec.limits,
                    spec.clusters.clone(),
                ))
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            )
            .add_service(GlobalDatastoresServer::new(GlobalDatastoresService::new(
                control.handle.clone(),
            )))
            .add_optional_service(coord_forward)
            .add_service(ClustersServer::new(ClustersService::new(
                spec.clone(),
                group.clone(),
                pool.clone(),
            )))
            .add_service(
                RaftTransportServer::new(RaftTransportService::new(spec.node_id, router))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                RegionForwardServer::new(RegionForwardService::new(spec.node_id, registry))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                ShippingServer::new(replication.view.service.clone())
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            );
        let stop = cancel.clone();
        let cut = CancellationToken::new();
        let incoming = crate::grpc_incoming::incoming(grpc_listener, cut.clone());
        let node_id = spec.node_id;
        let grpc_task = tokio::spawn(async move {
            if let Err(e) = router_svc
                .serve_with_incoming_shutdown(incoming, stop.cancelled())
                .await
            {
                warn!(node_id, error = %e, "gRPC server failed");
            }
        });
        let resp = RespServer::spawn(
            resp_listener,
            group.clone(),
            spec.resp.clone(),
            spec.limits,
            spec.region.clone(),
            replication.view.clone(),
        )
        .map_err(|source| NodeError::Bind {
            what: "RESP",
            addr: "?".into(),
            source,
        })?;
        let metrics = crate::metrics::spawn_for_node(
            metrics_listener,
            &group,
            control.group.as_ref(),
            replication.view.service.clone(),
        )
        .await?;
        info!(node_id, cluster = %spec.cluster, grpc = %grpc_addr, resp = %resp.local_addr(), metrics = %metrics.local_addr(), "node started");
        Ok(MeridianNode {
            spec,
            db,
            group,
            grpc_addr,
            resp,
            metrics,
            control,
            replication,
            cancel,
            cut,
            grpc_task,
        })
    }

    pub fn spec(&self) -> &NodeSpec {
        &self.spec
    }

    pub fn group(&self) -> &Arc<RegionGroup> {
        &self.group
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// Where the RESP listener accepts clients.
    pub fn resp_addr(&self) -> SocketAddr {
        self.resp.local_addr()
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
        self.cancel.cancel();
        self.cut.cancel();
        self.grpc_task.abort();
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
        self.cancel.cancel();
        let mut grpc_task = self.grpc_task;
        if tokio::time::timeout(Duration::from_secs(2), &mut grpc_task)
            .await
            .is_err()
        {
            // Peers that keep a connection open past the graceful drain are cut off.
            warn!(
                node_id,
                "gRPC connections did not drain within 2s; closing them"
            );
            self.cut.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(3), grpc_task).await;
        }
        self.cut.cancel();
        self.replication.stop().await;
        self.control.stop().await;
        self.group.shutdown().await;
        if let Err(e) = self.db.flush_async().await {
            warn!(node_id, error = %e, "final storage flush failed");
        }
        info!(node_id, "node stopped");
    }
}

async fn bind(what: &'static str, addr: &str) -> Result<TcpListener, NodeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| NodeError::Bind {
            what,
            addr: addr.to_string(),
            source,
        })
}
