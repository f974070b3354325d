//! A coordination-only witness: a voter of the coordination group with no data and no
//! regional group (DESIGN.md §1). It lets a deployment keep a coordination majority when it has
//! fewer data regions than voters it wants.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use meridian_coord::grpc::{CoordForwardServer, GlobalDatastoresServer};
use meridian_coord::{CoordForwardService, CoordGroup, CoordHandle, GlobalDatastoresService};
use meridian_proto::internal::raft_transport_server::RaftTransportServer;
use meridian_transport::{ChannelPool, GroupRouter, RaftTransportService, TransportLimits};
use meridian_types::NodeId;
use tracing::{info, info_span, warn};

use crate::grpc_edge::{GrpcEdge, GrpcEdgeBuilder};
use crate::metrics::MetricsServer;
use crate::node::{bind, open_storage};
use crate::spec::CoordSpec;
use crate::NodeError;

/// How long [`WitnessNode::stop`] lets gRPC requests in flight finish before closing the
/// connections peers keep open.
const GRPC_DRAIN: Duration = Duration::from_secs(5);

/// What a witness needs to start.
#[derive(Debug, Clone)]
pub struct WitnessSpec {
    pub node_id: NodeId,
    /// `host:port` of its gRPC listener.
    pub grpc_addr: String,
    /// `host:port` of its Prometheus metrics listener (`GET /metrics`).
    pub metrics_addr: String,
    /// Where its sled database (coordination log and snapshots only) lives.
    pub data_dir: PathBuf,
    pub coord: CoordSpec,
    pub grpc_max_message_bytes: usize,
    /// TLS on its ports and its credentials towards peers (`resp_tls` is not used).
    pub security: crate::spec::NodeSecurity,
}

/// A running witness.
pub struct WitnessNode {
    node_id: NodeId,
    db: meridian_storage::NodeDb,
    coord: Arc<CoordGroup>,
    grpc: GrpcEdge,
    metrics: MetricsServer,
}

impl WitnessNode {
    /// Binds the witness's gRPC and metrics addresses and starts its coordination voter.
    pub async fn bind_and_start(spec: WitnessSpec) -> Result<WitnessNode, NodeError> {
        let listener = bind("gRPC", &spec.grpc_addr).await?;
        let metrics_listener = bind("metrics", &spec.metrics_addr).await?;
        let db = open_storage(&spec.data_dir)?;
        spec.security.start();
        let max = spec.grpc_max_message_bytes;
        let limits = TransportLimits {
            max_message_bytes: max,
            ..TransportLimits::default()
        };
        let router = GroupRouter::new();
        let c = &spec.coord;
        let coord = CoordGroup::start(
            &db,
            spec.node_id,
            c.voters.clone(),
            c.registration.clone(),
            c.options.clone(),
            ChannelPool::new(limits).with_credentials(spec.security.peers.clone()),
            router.clone(),
        )
        .await?;
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<GlobalDatastoresServer<GlobalDatastoresService>>()
            .await;
        let datastores = GlobalDatastoresService::new(CoordHandle::from(coord.clone()));
        let span = info_span!("grpc_server", node = spec.node_id, role = "witness");
        let guard = spec.security.guard();
        let forward = CoordForwardService::new(coord.clone());
        let raft = RaftTransportService::new(spec.node_id, router);
        let grpc = GrpcEdgeBuilder::new(max)
            .service(health)
            .service(GlobalDatastoresServer::new(datastores))
            .internal(CoordForwardServer::new(forward), &guard)
            .internal(RaftTransportServer::new(raft), &guard)
            .serve(listener, spec.security.grpc.clone(), span)
            .map_err(|source| NodeError::Bind {
                what: "gRPC",
                addr: spec.grpc_addr.clone(),
                source,
            })?;
        let metrics = crate::metrics::spawn_for_witness(
            metrics_listener,
            spec.security.metrics.clone(),
            &coord,
        )
        .await?;
        let node_id = spec.node_id;
        info!(node_id, grpc = %grpc.local_addr(), metrics = %metrics.local_addr(), "witness started");
        Ok(WitnessNode {
            node_id,
            db,
            coord,
            grpc,
            metrics,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// Where the metrics listener serves `GET /metrics`.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.local_addr()
    }

    /// Stops in order: listeners, coordination group, storage flush.
    pub async fn stop(self) {
        self.metrics.stop().await;
        self.grpc.stop(GRPC_DRAIN).await;
        self.coord.shutdown().await;
        if let Err(e) = self.db.flush_async().await {
            warn!(node_id = self.node_id, error = %e, "final storage flush failed");
        }
        info!(node_id = self.node_id, "witness stopped");
    }
}
