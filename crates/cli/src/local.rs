//! `meridian local …`: talk to a running `meridian up` through its control socket
//! (`<data_dir>/up.sock`, see `up/control.rs`): the nodes' status, and faults injected into
//! them. `up` owns the node processes, so it is `up` that signals, reaps and restarts them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use meridian_config::DeploymentConfig;
use meridian_proto::v1 as pb;

use crate::cluster::Output;
use crate::up::control::{self, NodeState, NodeStatus, Reply, Request};

#[derive(Subcommand, Debug)]
pub enum LocalCommand {
    /// Every node `meridian up` runs (id, cluster or witness, region, pid, state, RESP and gRPC
    /// addresses) and, from the nodes that answer, each cluster's leader, term and applied seq.
    Status(StatusArgs),
    /// Kill one node with SIGKILL: a real crash. Its data is kept; `restart` brings it back.
    Kill(NodeArgs),
    /// Stop one node cleanly with SIGTERM. Its data is kept; `restart` brings it back.
    Stop(NodeArgs),
    /// Start one node again on its data dir; a node that is running (or paused) is stopped
    /// first.
    Restart(NodeArgs),
    /// Freeze one node with SIGSTOP: it stops making progress while its peers go on.
    Pause(NodeArgs),
    /// Resume a paused node with SIGCONT.
    Unpause(NodeArgs),
}

#[derive(Args, Debug)]
pub struct DeploymentArgs {
    /// Deployment config file (TOML) that `meridian up` was started with.
    #[arg(
        long,
        env = "MERIDIAN_CONFIG",
        default_value = "cluster-configs/local.toml"
    )]
    pub config: PathBuf,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub deployment: DeploymentArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// Id of the node, as listed in the config (and by `meridian local status`).
    pub node: u64,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
}

pub async fn run(cmd: LocalCommand) -> Result<()> {
    let (deployment, request) = match cmd {
        LocalCommand::Status(args) => return status(args).await,
        LocalCommand::Kill(a) => (a.deployment, Request::Kill { node: a.node }),
        LocalCommand::Stop(a) => (a.deployment, Request::Stop { node: a.node }),
        LocalCommand::Restart(a) => (a.deployment, Request::Restart { node: a.node }),
        LocalCommand::Pause(a) => (a.deployment, Request::Pause { node: a.node }),
        LocalCommand::Unpause(a) => (a.deployment, Request::Unpause { node: a.node }),
    };
    let cfg = open(&deployment.config)?;
    if let Some(id) = request.node() {
        check_node(&cfg, id)?;
    }
    let reply = ask(&cfg, &deployment.config, request).await?;
    println!("{}", reply.message);
    Ok(())
}

fn open(config: &Path) -> Result<DeploymentConfig> {
    DeploymentConfig::open(config).with_context(|| format!("loading config {}", config.display()))
}

/// Refuses an id the deployment does not have, listing the ones it has.
fn check_node(cfg: &DeploymentConfig, id: u64) -> Result<()> {
    if cfg.member(id).is_some() {
        return Ok(());
    }
    let clusters = cfg.clusters.iter().map(|c| {
        let ids: Vec<String> = c.nodes.iter().map(|n| n.id.to_string()).collect();
        format!("{} ({})", ids.join(", "), c.name)
    });
    let witnesses = cfg.witnesses.iter().map(|w| format!("{} (witness)", w.id));
    let valid: Vec<String> = clusters.chain(witnesses).collect();
    bail!(
        "no node {id} in this deployment; valid node ids: {}",
        valid.join("; ")
    )
}

/// Sends `request` to the `up` of this deployment; an error when none runs or it refused.
async fn ask(cfg: &DeploymentConfig, config: &Path, request: Request) -> Result<Reply> {
    let socket = control::socket_path(&cfg.data_dir);
    let Some(reply) = control::call(&socket, request).await? else {
        bail!(
            "no `meridian up` is running for {} (nothing answers at {}); start it with \
             `meridian up --config {}`",
            config.display(),
            socket.display(),
            config.display()
        );
    };
    if !reply.ok {
        bail!("{}", reply.message);
    }
    Ok(reply)
}

/// What one cluster's nodes say about it, or why none answered.
struct ClusterInfo {
    name: String,
    region: String,
    view: Result<pb::ClusterView>,
}

async fn status(args: StatusArgs) -> Result<()> {
    let config = &args.deployment.config;
    let cfg = open(config)?;
    let reply = ask(&cfg, config, Request::Status).await?;
    let mut clusters = Vec::new();
    for c in &cfg.clusters {
        clusters.push(ClusterInfo {
            name: c.name.clone(),
            region: c.region.clone(),
            view: describe(&c.name, &reply.nodes).await,
        });
    }
    match args.output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&status_json(&reply, &clusters))?
        ),
        Output::Table => print!("{}", render_status(&reply, &clusters)),
    }
    Ok(())
}

/// Asks the running (not paused) nodes of `cluster`, in turn, to describe it.
async fn describe(cluster: &str, nodes: &[NodeStatus]) -> Result<pb::ClusterView> {
    let mut last = anyhow::anyhow!("none of its nodes is running");
    let running = nodes
        .iter()
        .filter(|n| n.member == cluster && n.state == NodeState::Running);
    for n in running {
        match crate::cluster::fetch(&n.grpc, Some(cluster.to_string())).await {
            Ok(resp) => {
                if let Some(view) = resp.clusters.into_iter().next() {
                    return Ok(view);
                }
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Raft status of every node some cluster's describe reached, by node id.
fn raft_status(clusters: &[ClusterInfo]) -> HashMap<u64, &pb::NodeStatusResponse> {
    clusters
        .iter()
        .filter_map(|c| c.view.as_ref().ok())
        .flat_map(|v| &v.nodes)
        .filter_map(|n| n.status.as_ref().map(|s| (n.node_id, s)))
        .collect()
}

fn render_status(reply: &Reply, clusters: &[ClusterInfo]) -> String {
    let raft = raft_status(clusters);
    let mut out = format!("meridian up (pid {})\n", reply.up_pid);
    out.push_str(&format!(
        "{:<5} {:<8} {:<14} {:<8} {:<8} {:<9} {:>8}  {:<21} {:<21} {}\n",
        "node", "member", "region", "pid", "state", "raft", "seq", "resp", "grpc", "note"
    ));
    for n in &reply.nodes {
        let pid = n.pid.map_or("-".to_string(), |p| p.to_string());
        let (role, seq) = match raft.get(&n.id) {
            Some(s) if n.state == NodeState::Running => {
                (s.state.clone(), s.applied_seq.to_string())
            }
            _ => ("-".to_string(), "-".to_string()),
        };
        out.push_str(&format!(
            "{:<5} {:<8} {:<14} {:<8} {:<8} {:<9} {:>8}  {:<21} {:<21} {}\n",
            n.id,
            n.member,
            n.region,
            pid,
            n.state.as_str(),
            role,
            seq,
            n.resp.as_deref().unwrap_or("-"),
            n.grpc,
            note(n)
        ));
    }
    for c in clusters {
        out.push_str(&match &c.view {
            Ok(v) => {
                let leader = v.nodes.iter().find(|n| n.node_id == v.leader_id);
                let seq = leader
                    .and_then(|n| n.status.as_ref())
                    .map_or("?".to_string(), |s| s.applied_seq.to_string());
                match v.leader_id {
                    0 => format!(
                        "cluster {} ({}): no leader, term {}\n",
                        c.name, c.region, v.term
                    ),
                    id => format!(
                        "cluster {} ({}): leader {id}, term {}, applied seq {seq}\n",
                        c.name, c.region, v.term
                    ),
                }
            }
            Err(e) => format!(
                "cluster {} ({}): no node answered ({e:#})\n",
                c.name, c.region
            ),
        });
    }
    out
}

/// Why a node is not running, in words.
fn note(n: &NodeStatus) -> String {
    let exit = n.exit.as_deref().unwrap_or("");
    match n.state {
        NodeState::Running => String::new(),
        NodeState::Paused => "SIGSTOPped by `meridian local pause`".into(),
        NodeState::Exited => format!("exited on its own ({exit}); see {}", n.log.display()),
        NodeState::Killed => format!("killed by `meridian local kill` ({exit})"),
        NodeState::Stopped => format!("stopped by `meridian local stop` ({exit})"),
    }
}

fn status_json(reply: &Reply, clusters: &[ClusterInfo]) -> serde_json::Value {
    let clusters: Vec<_> = clusters
        .iter()
        .map(|c| match &c.view {
            Ok(v) => {
                let leader = v.nodes.iter().find(|n| n.node_id == v.leader_id);
                let seq = leader
                    .and_then(|n| n.status.as_ref())
                    .map(|s| s.applied_seq);
                serde_json::json!({
                    "name": c.name, "region": c.region, "leader": v.leader_id, "term": v.term,
                    "applied_seq": seq,
                })
            }
            Err(e) => serde_json::json!({
                "name": c.name, "region": c.region, "error": format!("{e:#}"),
            }),
        })
        .collect();
    serde_json::json!({ "up_pid": reply.up_pid, "nodes": reply.nodes, "clusters": clusters })
}
