use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use meridian_proto::v1 as pb;
use meridian_proto::v1::clusters_client::ClustersClient;

#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Print each cluster's nodes, leader, term, last applied log index and seq.
    Describe(DescribeArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct DescribeArgs {
    /// gRPC address of any node (host:port). Defaults to the first node of --config.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Deployment config used to find an endpoint when --endpoint is not given.
    #[arg(long, default_value = "cluster-configs/local.toml")]
    pub config: PathBuf,
    /// Only this cluster.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

pub async fn run(cmd: ClusterCommand) -> Result<()> {
    match cmd {
        ClusterCommand::Describe(args) => describe(args).await,
    }
}

/// The endpoint to talk to: the flag, or the first node of the config.
/// Trusts the config's CA when its gRPC ports speak TLS (see [`crate::grpc_client`]).
pub fn endpoint_or_first(endpoint: Option<String>, config: &std::path::Path) -> Result<String> {
    let opened = meridian_config::DeploymentConfig::open(config);
    if let Ok(cfg) = &opened {
        crate::grpc_client::use_config(cfg);
    }
    if let Some(e) = endpoint {
        return Ok(e);
    }
    let cfg = opened.with_context(|| {
        format!(
            "loading {} to find an endpoint (or pass --endpoint)",
            config.display()
        )
    })?;
    cfg.clusters
        .iter()
        .flat_map(|c| c.nodes.iter())
        .next()
        .map(|n| n.grpc_addr())
        .context("the config has no nodes")
}

pub async fn fetch(
    endpoint: &str,
    cluster: Option<String>,
) -> Result<pb::DescribeClustersResponse> {
    let channel = crate::grpc_client::endpoint(endpoint)?
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("connecting to {endpoint}"))?;
    let resp = ClustersClient::new(channel)
        .describe(pb::DescribeClustersRequest {
            cluster: cluster.unwrap_or_default(),
        })
        .await
        .with_context(|| format!("asking {endpoint} to describe clusters"))?;
    Ok(resp.into_inner())
}

async fn describe(args: DescribeArgs) -> Result<()> {
    let endpoint = endpoint_or_first(args.endpoint, &args.config)?;
    let resp = fetch(&endpoint, args.cluster).await?;
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&to_json(&resp))?),
        Output::Table => print!("{}", render_table(&resp)),
    }
    Ok(())
}

fn to_json(resp: &pb::DescribeClustersResponse) -> serde_json::Value {
    let clusters: Vec<_> = resp
        .clusters
        .iter()
        .map(|c| {
            let nodes: Vec<_> = c
                .nodes
                .iter()
                .map(|n| {
                    let s = n.status.clone().unwrap_or_default();
                    serde_json::json!({
                        "id": n.node_id, "grpc": n.grpc_addr, "resp": n.resp_addr,
                        "reachable": n.reachable, "error": n.error, "state": s.state,
                        "term": s.current_term, "leader": s.leader_id,
                        "last_log_index": s.last_log_index, "last_applied_index": s.last_applied_index,
                        "applied_seq": s.applied_seq, "keys": s.key_count,
                    })
                })
                .collect();
            serde_json::json!({
                "name": c.name, "region": c.region, "leader": c.leader_id, "term": c.term, "nodes": nodes,
            })
        })
        .collect();
    serde_json::json!({ "clusters": clusters })
}

/// A fixed-width table, one block per cluster.
pub fn render_table(resp: &pb::DescribeClustersResponse) -> String {
    let mut out = String::new();
    for c in &resp.clusters {
        let leader = if c.leader_id == 0 {
            "none".to_string()
        } else {
            c.leader_id.to_string()
        };
        out.push_str(&format!(
            "cluster {} ({})  leader: {}  term: {}\n",
            c.name, c.region, leader, c.term
        ));
        out.push_str(&format!(
            "  {:<4} {:<10} {:>5} {:>10} {:>10} {:>10} {:>8}  {:<21} {:<21}\n",
            "node", "state", "term", "last-log", "applied", "seq", "keys", "grpc", "resp"
        ));
        for n in &c.nodes {
            match (&n.status, n.reachable) {
                (Some(s), true) => out.push_str(&format!(
                    "  {:<4} {:<10} {:>5} {:>10} {:>10} {:>10} {:>8}  {:<21} {:<21}\n",
                    n.node_id,
                    s.state,
                    s.current_term,
                    s.last_log_index,
                    s.last_applied_index,
                    s.applied_seq,
                    s.key_count,
                    n.grpc_addr,
                    n.resp_addr
                )),
                _ => out.push_str(&format!(
                    "  {:<4} {:<10} {}  ({})\n",
                    n.node_id, "unreachable", n.grpc_addr, n.error
                )),
            }
        }
    }
    out
}
