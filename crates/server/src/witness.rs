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
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::metrics::MetricsServer;
use crate::spec::CoordSpec;
use crate::NodeError;

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
}

/// A running witness.
pub struct WitnessNode {
    node_id: NodeId,
    db: meridian_storage::NodeDb,
    coord: Arc<CoordGroup>,
    grpc_addr: SocketAddr,
    metrics: MetricsServer,
    cancel: CancellationToken,
    /// Severs accepted connections that outlive the graceful drain.
    cut: CancellationToken,
    grpc_task: JoinHandle<()>,
}

impl WitnessNode {
    /// Binds the witness's gRPC and metrics addresses and starts its coordination voter.
    pub async fn bind_and_start(spec: WitnessSpec) -> Result<WitnessNode, NodeError> {
        let listener =
            TcpListener::bind(&spec.grpc_addr)
                .await
                .map_err(|source| NodeError::Bind {
                    what: "gRPC",
                    addr: spec.grpc_addr.clone(),
                    source,
                })?;
        let metrics_listener = TcpListener::bind(&spec.metrics_addr)
            .await
            .map_err(|source| NodeError::Bind {
                what: "metrics",
                addr: spec.metrics_addr.clone(),
                source,
            })?;
        let storage_err = |reason: String| NodeError::Storage {
            path: spec.data_dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(&spec.data_dir).map_err(|e| storage_err(e.to_string()))?;
        let db =
            meridian_storage::open_db(&spec.data_dir).map_err(|e| storage_err(e.to_string()))?;
        let max = spec.grpc_max_message_bytes;
        let limits = TransportLimits {
            max_message_bytes: max,
            ..TransportLimits::default()
        };
        let pool = ChannelPool::new(limits);
        let router = GroupRouter::new();
        let c = &spec.coord;
        let coord = CoordGroup::start(
            &db,
            spec.node_id,
            c.voters.clone(),
            c.registration.clone(),
            c.options.clone(),
            pool,
            router.clone(),
        )
        .await?;
        let grpc_addr = listener.local_addr().map_err(|source| NodeError::Bind {
            what: "gRPC",
            addr: spec.grpc_addr.clone(),
            source,
        })?;
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<GlobalDatastoresServer<GlobalDatastoresService>>()
            .await;
        let svc = tonic::transport::Server::builder()
            .add_service(health)
            .add_service(GlobalDatastoresServer::new(GlobalDatastoresService::new(
                CoordHandle::from(coord.clone()),
            )))
            .add_service(
                CoordForwardServer::new(CoordForwardService::new(coord.clone()))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            )
            .add_service(
                RaftTransportServer::new(RaftTransportService::new(spec.node_id, router))
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
            );
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        let cut = CancellationToken::new();
        let incoming = crate::grpc_incoming::incoming(listener, cut.clone());
        let node_id = spec.node_id;
        let grpc_task = tokio::spawn(async move {
            if let Err(e) = svc
                .serve_with_incoming_shutdown(incoming, stop.cancelled())
                .await
            {
                warn!(node_id, error = %e, "gRPC server failed");
            }
        });
        let metrics = crate::metrics::spawn_for_witness(metrics_listener, &coord).await?;
        info!(node_id, grpc = %grpc_addr, metrics = %metrics.local_addr(), "witness started");
        Ok(WitnessNode {
            node_id,
            db,
            coord,
            grpc_addr,
            metrics,
            cancel,
            cut,
            grpc_task,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// Where the metrics listener serves `GET /metrics`.
    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics.local_addr()
    }

    /// Stops in order: listeners, coordination group, storage flush.
    pub async fn stop(self) {
        self.metrics.stop().await;
        self.cancel.cancel();
        if tokio::time::timeout(Duration::from_secs(5), self.grpc_task)
            .await
            .is_err()
        {
            warn!(
                node_id = self.node_id,
                "gRPC listener did not stop within 5s; closing its connections"
            );
        }
        self.cut.cancel();
        self.coord.shutdown().await;
        if let Err(e) = self.db.flush_async().await {
            warn!(node_id = self.node_id, error = %e, "final storage flush failed");
        }
        info!(node_id = self.node_id, "witness stopped");
    }
}
