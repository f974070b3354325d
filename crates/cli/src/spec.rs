//! Deployment config → what one node needs to start.

use std::time::Duration;

use anyhow::{anyhow, Result};
use meridian_config::DeploymentConfig;
use meridian_region::RegionOptions;
use meridian_server::{ClusterSpec, CoordSpec, EdgeLimits, NodeSpec, RespSettings};
use meridian_types::Node;

pub fn cluster_specs(cfg: &DeploymentConfig) -> Vec<ClusterSpec> {
    cfg.clusters
        .iter()
        .map(|c| ClusterSpec {
            name: c.name.clone(),
            region: c.region.clone(),
            nodes: c
                .nodes
                .iter()
                .map(|n| {
                    (
                        n.id,
                        Node {
                            grpc_addr: n.grpc_addr(),
                            resp_addr: n.resp_addr(),
                        },
                    )
                })
                .collect(),
        })
        .collect()
}

pub fn region_options(cfg: &DeploymentConfig) -> RegionOptions {
    let r = &cfg.raft;
    RegionOptions {
        heartbeat_interval: Duration::from_millis(r.heartbeat_interval_ms),
        election_timeout_min: Duration::from_millis(r.election_timeout_min_ms),
        election_timeout_max: Duration::from_millis(r.election_timeout_max_ms),
        snapshot_logs_since_last: r.snapshot_logs_since_last,
        max_in_snapshot_log_to_keep: r.max_in_snapshot_log_to_keep,
        install_snapshot_timeout: Duration::from_millis(r.install_snapshot_timeout_ms),
        max_payload_entries: r.max_payload_entries,
        backlog_max_bytes: cfg.limits.backlog_max_bytes,
        ..RegionOptions::default()
    }
}

/// The spec of node `id`, or an error naming the ids the config has.
pub fn node_spec(cfg: &DeploymentConfig, id: u64) -> Result<NodeSpec> {
    let node = cfg.node(id).ok_or_else(|| {
        anyhow!(
            "node {id} is not in the config (nodes: {:?})",
            cfg.clusters
                .iter()
                .flat_map(|c| c.nodes.iter().map(|n| n.id))
                .collect::<Vec<_>>()
        )
    })?;
    let data_dir = cfg
        .node_data_dir(id)
        .ok_or_else(|| anyhow!("node {id} has no data directory"))?;
    let to_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    Ok(NodeSpec {
        node_id: id,
        cluster: node.cluster.name.clone(),
        region: node.region().to_string(),
        data_dir,
        clusters: cluster_specs(cfg),
        region_options: region_options(cfg),
        limits: EdgeLimits {
            max_key_bytes: to_usize(cfg.limits.max_key_bytes),
            max_value_bytes: to_usize(cfg.limits.max_value_bytes),
            grpc_max_message_bytes: to_usize(cfg.limits.grpc_max_message_bytes),
        },
        coord: coord_spec(cfg),
        shipping: shipping_options(cfg),
        metrics_addr: node.metrics_addr(),
        faults: None,
        security: crate::security::node_security(cfg, id, node.node.resp_tls_addr())?,
        resp: RespSettings {
            requirepass: cfg.resp.requirepass.clone(),
            proto_max_bulk_len: cfg.resp.proto_max_bulk_len,
            client_query_buffer_limit: cfg.resp.client_query_buffer_limit,
            maxclients: cfg.resp.maxclients,
            databases: cfg.resp.databases,
        },
    })
}

/// Log shipping settings from `[replication]` and `[limits]`.
pub fn shipping_options(cfg: &DeploymentConfig) -> meridian_server::ShipOptions {
    let r = &cfg.replication;
    meridian_server::ShipOptions {
        batch_bytes: r.batch_bytes,
        sync_chunk_bytes: r.sync_chunk_bytes,
        heartbeat: std::time::Duration::from_millis(r.heartbeat_ms),
        idle_timeout: std::time::Duration::from_millis(r.idle_timeout_ms),
        max_message_bytes: usize::try_from(cfg.limits.grpc_max_message_bytes).unwrap_or(usize::MAX),
    }
}

/// The coordination group as the config describes it.
pub fn coord_spec(cfg: &DeploymentConfig) -> CoordSpec {
    CoordSpec {
        voters: meridian_coord::voters_from_config(cfg),
        registration: meridian_coord::Registration::from_config(cfg),
        options: meridian_coord::CoordOptions::from_settings(&cfg.coord),
    }
}

/// The spec of witness `id`; `Ok(None)` when the config lists no such witness.
pub fn witness_spec(
    cfg: &DeploymentConfig,
    id: u64,
) -> Result<Option<meridian_server::WitnessSpec>> {
    let Some(w) = cfg.witness(id) else {
        return Ok(None);
    };
    let data_dir = cfg
        .node_data_dir(id)
        .ok_or_else(|| anyhow!("witness {id} has no data directory"))?;
    Ok(Some(meridian_server::WitnessSpec {
        node_id: id,
        grpc_addr: w.grpc_addr(),
        metrics_addr: w.metrics_addr(),
        data_dir,
        coord: coord_spec(cfg),
        grpc_max_message_bytes: usize::try_from(cfg.limits.grpc_max_message_bytes)
            .unwrap_or(usize::MAX),
        security: crate::security::node_security(cfg, id, None)?,
    }))
}
