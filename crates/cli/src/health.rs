//! `meridian health`: is one node serving? The docker image's health check runs it with no
//! arguments: the node is the one `MERIDIAN_NODE` names in the config `MERIDIAN_CONFIG` names
//! (both set per container by docker/compose.yml). It asks the node for its status over gRPC
//! (`Clusters.NodeStatus`) with a short deadline; exit status 0 and one line when the node
//! answers, an error line and exit status 1 when it does not.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::Args;
use meridian_config::DeploymentConfig;
use meridian_proto::v1 as pb;
use meridian_proto::v1::clusters_client::ClustersClient;

#[derive(Args, Debug)]
pub struct HealthArgs {
    /// gRPC address (host:port) of the node to ask. Default: the address of --node in --config.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Deployment config that lists the node (used when --endpoint is not given).
    #[arg(
        long,
        env = "MERIDIAN_CONFIG",
        default_value = "cluster-configs/local.toml"
    )]
    pub config: PathBuf,
    /// Id of the node to ask (used when --endpoint is not given).
    #[arg(long, env = "MERIDIAN_NODE")]
    pub node: Option<u64>,
    /// Give up after this many milliseconds (connecting and answering together).
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
    /// Healthy only if the node knows a leader of its regional group.
    #[arg(long)]
    pub require_leader: bool,
}

/// Exit status 0 and one line on stdout when healthy; otherwise one line on stderr (the
/// reason, its causes joined by `: `) and exit status 1, which is what docker's health check
/// shows.
pub async fn run(args: HealthArgs) -> Result<()> {
    match check(&args).await {
        Ok(line) => {
            println!("{line}");
            Ok(())
        }
        Err(e) => {
            eprintln!("unhealthy: {e:#}");
            std::process::exit(1);
        }
    }
}

async fn check(args: &HealthArgs) -> Result<String> {
    let endpoint = endpoint(args)?;
    let limit = Duration::from_millis(args.timeout_ms);
    let status = tokio::time::timeout(limit, node_status(&endpoint, limit))
        .await
        .map_err(|_| anyhow!("{endpoint} did not answer within {limit:?}"))??;
    if args.require_leader && status.leader_id == 0 {
        anyhow::bail!(
            "node {} ({}) answers but knows no leader of its group (state {}, term {})",
            status.node_id,
            status.cluster,
            status.state,
            status.current_term
        );
    }
    Ok(summary(&status))
}

/// `--endpoint`, or the gRPC address of `--node` in `--config`.
fn endpoint(args: &HealthArgs) -> Result<String> {
    if let Ok(cfg) = DeploymentConfig::open(&args.config) {
        crate::grpc_client::use_config(&cfg);
    }
    if let Some(e) = &args.endpoint {
        return Ok(e.clone());
    }
    let id = args
        .node
        .context("give --endpoint HOST:PORT, or --node ID (or MERIDIAN_NODE) with --config")?;
    let cfg = DeploymentConfig::open(&args.config)
        .with_context(|| format!("loading config {}", args.config.display()))?;
    if let Some(n) = cfg.node(id) {
        return Ok(n.grpc_addr());
    }
    cfg.witness(id)
        .map(|w| w.grpc_addr())
        .with_context(|| format!("node {id} is not in {}", args.config.display()))
}

async fn node_status(endpoint: &str, limit: Duration) -> Result<pb::NodeStatusResponse> {
    let channel = crate::grpc_client::endpoint(endpoint)?
        .connect_timeout(limit)
        .timeout(limit)
        .connect()
        .await
        .with_context(|| format!("connecting to {endpoint}"))?;
    let status = ClustersClient::new(channel)
        .node_status(pb::NodeStatusRequest {})
        .await
        .map_err(|s| anyhow!("{endpoint} answered {:?}: {}", s.code(), s.message()))?;
    Ok(status.into_inner())
}

/// One line: who the node is and how its group looks from it.
fn summary(s: &pb::NodeStatusResponse) -> String {
    let leader = match s.leader_id {
        0 => "none".to_string(),
        id => id.to_string(),
    };
    format!(
        "node {} ({}, {}) {}: {} term {} leader {} applied seq {}",
        s.node_id, s.cluster, s.region, s.grpc_addr, s.state, s.current_term, leader, s.applied_seq
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_flag_wins_and_a_missing_node_says_what_to_give() {
        let mut args = HealthArgs {
            endpoint: Some("10.0.0.1:7401".into()),
            config: PathBuf::from("does-not-exist.toml"),
            node: None,
            timeout_ms: 100,
            require_leader: false,
        };
        assert_eq!(endpoint(&args).unwrap(), "10.0.0.1:7401");
        args.endpoint = None;
        let e = endpoint(&args).unwrap_err().to_string();
        assert!(e.contains("--endpoint"), "{e}");
    }

    #[test]
    fn the_node_is_found_in_the_docker_config() {
        let config =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cluster-configs/docker.toml");
        let args = HealthArgs {
            endpoint: None,
            config,
            node: Some(5),
            timeout_ms: 100,
            require_leader: false,
        };
        assert_eq!(endpoint(&args).unwrap(), "euw1-2:7412");
    }
}
