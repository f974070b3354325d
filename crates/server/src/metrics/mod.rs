//! Prometheus metrics of a node, served as text at `GET /metrics` on its metrics port.
//!
//! ```text
//!  MetricsServer (one per node, own Registry: several nodes share a test process)
//!    GET /metrics ─► Registry::gather ─► collectors read the node's state at scrape time
//!                      ├─ meridian_up                         (every node and witness)
//!                      ├─ NodeMetrics:  regional group         (data nodes)
//!                      └─ CoordMetrics: coordination voter     (voters and witnesses)
//! ```
//!
//! Collectors hold the groups they read, so the server is stopped before the groups are shut
//! down; [`MetricsServer::stop`] returns only once every connection is gone.

mod coord;
mod listener;
mod node;
mod replication;
mod server;

use std::collections::HashMap;
use std::sync::Arc;

use meridian_coord::CoordGroup;
use meridian_region::RegionGroup;
use meridian_types::NodeId;
use prometheus::{IntGauge, Opts, Registry};
use tokio::net::TcpListener;

pub(crate) use coord::CoordMetrics;
pub use node::NodeMetrics;
pub use server::MetricsServer;

/// Why a metrics endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot read the metrics listener's address: {0}")]
    Listener(#[source] std::io::Error),
    #[error("cannot register the {what} metrics: {source}")]
    Register {
        what: &'static str,
        #[source]
        source: prometheus::Error,
    },
}

/// Serves a data node's metrics: its regional group and, when it runs one, its coordination
/// voter.
pub(crate) async fn spawn_for_node(
    listener: TcpListener,
    port: meridian_tls::PortSecurity,
    group: &Arc<RegionGroup>,
    coord: Option<&Arc<CoordGroup>>,
    shipping: meridian_shipping::ShippingService,
) -> Result<MetricsServer, MetricsError> {
    let span = tracing::info_span!(
        "metrics_server",
        node = group.node_id(),
        cluster = %group.cluster()
    );
    let server = MetricsServer::spawn_in(listener, port, span)?;
    let labels = const_labels(group.node_id(), Some(group.cluster()));
    let registry = server.registry();
    let registered = register(registry, "process", up(&labels))
        .and_then(|()| register(registry, "node", NodeMetrics::new(group.clone())))
        .and_then(|()| {
            register(
                registry,
                "replication",
                replication::ReplicationMetrics::new(shipping, &labels),
            )
        })
        .and_then(|()| match coord {
            Some(coord) => register(
                registry,
                "coordination",
                CoordMetrics::new(coord.clone(), &labels),
            ),
            None => Ok(()),
        });
    started(server, registered).await
}

/// Serves a witness's metrics: process and coordination only (it has no data).
pub(crate) async fn spawn_for_witness(
    listener: TcpListener,
    port: meridian_tls::PortSecurity,
    coord: &Arc<CoordGroup>,
) -> Result<MetricsServer, MetricsError> {
    let span = tracing::info_span!("metrics_server", node = coord.node_id(), role = "witness");
    let server = MetricsServer::spawn_in(listener, port, span)?;
    let labels = const_labels(coord.node_id(), None);
    let registry = server.registry();
    let registered = register(registry, "process", up(&labels)).and_then(|()| {
        register(
            registry,
            "coordination",
            CoordMetrics::new(coord.clone(), &labels),
        )
    });
    started(server, registered).await
}

/// The server once its collectors are registered; stopped again when one could not be.
async fn started(
    server: MetricsServer,
    registered: Result<(), MetricsError>,
) -> Result<MetricsServer, MetricsError> {
    match registered {
        Ok(()) => Ok(server),
        Err(e) => {
            server.stop().await;
            Err(e)
        }
    }
}

/// `node` (and `cluster` on data nodes): the labels every series of a node carries.
fn const_labels(node: NodeId, cluster: Option<&str>) -> HashMap<String, String> {
    let mut labels = HashMap::from([("node".to_string(), node.to_string())]);
    if let Some(cluster) = cluster {
        labels.insert("cluster".to_string(), cluster.to_string());
    }
    labels
}

/// An integer gauge carrying the node's constant labels.
fn int_gauge(
    labels: &HashMap<String, String>,
    name: &str,
    help: &str,
) -> prometheus::Result<IntGauge> {
    IntGauge::with_opts(Opts::new(name, help).const_labels(labels.clone()))
}

/// `meridian_up`: 1 while the process serves metrics.
fn up(labels: &HashMap<String, String>) -> prometheus::Result<IntGauge> {
    let up = int_gauge(labels, "meridian_up", "1 while the node is running.")?;
    up.set(1);
    Ok(up)
}

fn register<C: prometheus::core::Collector + 'static>(
    registry: &Registry,
    what: &'static str,
    collector: prometheus::Result<C>,
) -> Result<(), MetricsError> {
    collector
        .and_then(|c| registry.register(Box::new(c)))
        .map_err(|source| MetricsError::Register { what, source })
}
