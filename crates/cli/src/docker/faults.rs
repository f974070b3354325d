//! Faults, each one real container or network action: kill / restart / pause / unpause a
//! node's container; partition a region by disconnecting its network from the WAN proxy, heal
//! by connecting it again at the same address; change a round trip on the running proxy; and
//! a container's log.

use anyhow::{bail, Context, Result};
use clap::Args;

use super::engine;
use super::project::{Project, WAN_ADMIN, WAN_SERVICE};
use super::status::cut_off;
use super::ProjectArgs;

#[derive(Args, Debug)]
pub struct NodeArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The node: its name (use1-1 … aps1-3) or its id (1 … 9).
    pub node: String,
}

#[derive(Args, Debug)]
pub struct RegionArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The region: a cluster name (use1, euw1, aps1) or a region (us-east-1, …).
    pub region: String,
}

#[derive(Args, Debug)]
pub struct HealArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Only this region (default: every region that is cut off).
    pub region: Option<String>,
}

#[derive(Args, Debug)]
pub struct LatencyArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// One region of the pair (use1 or us-east-1, …).
    pub from: String,
    /// The other region of the pair.
    pub to: String,
    /// Round trip between them, in milliseconds (half is added each way).
    pub ms: u64,
    /// Also set the jitter added to every one-way delay, in milliseconds.
    #[arg(long)]
    pub jitter_ms: Option<u64>,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The node (use1-1 or 1, …), or `wan` for the proxy.
    pub node: String,
    /// Keep printing new lines.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only the last N lines.
    #[arg(long)]
    pub tail: Option<u64>,
}

pub async fn kill(a: NodeArgs) -> Result<()> {
    node_action(a, "kill", &["running", "paused"]).await
}

pub async fn pause(a: NodeArgs) -> Result<()> {
    node_action(a, "pause", &["running"]).await
}

pub async fn unpause(a: NodeArgs) -> Result<()> {
    node_action(a, "unpause", &["paused"]).await
}

/// Starts a stopped container, restarts a running one.
pub async fn restart(a: NodeArgs) -> Result<()> {
    let (project, service) = open_node(&a)?;
    let c = project.container(&service).await?;
    let verb = match c.state.status.as_str() {
        "paused" => bail!("{service} is paused: `meridian docker unpause {}`", a.node),
        "running" | "restarting" => "restart",
        _ => "start",
    };
    engine::docker([verb, &c.id]).await?;
    println!("{service}: {verb}ed");
    Ok(())
}

async fn node_action(a: NodeArgs, verb: &str, from: &[&str]) -> Result<()> {
    let (project, service) = open_node(&a)?;
    let c = project.container(&service).await?;
    if !from.contains(&c.state.status.as_str()) {
        bail!(
            "{service} is {}: nothing to {verb} (`meridian docker status` shows every container)",
            c.state_line()
        );
    }
    engine::docker([verb, &c.id]).await?;
    println!("{service}: {verb} done");
    Ok(())
}

fn open_node(a: &NodeArgs) -> Result<(Project, String)> {
    let project = Project::open(&a.project.project)?;
    let service = project.node(&a.node)?.service;
    Ok((project, service))
}

pub async fn partition(a: RegionArgs) -> Result<()> {
    let project = Project::open(&a.project.project)?;
    let (cluster, region) = project.region(&a.region)?;
    let wan = project.container(WAN_SERVICE).await?;
    if cut_off(&project, std::slice::from_ref(&wan)).contains(&cluster) {
        println!("{cluster} ({region}) is already cut off");
        return Ok(());
    }
    engine::docker(["network", "disconnect", &project.network(&cluster), &wan.id]).await?;
    println!("{cluster} ({region}) is cut off from the other regions (`meridian docker heal` reconnects it)");
    Ok(())
}

pub async fn heal(a: HealArgs) -> Result<()> {
    let project = Project::open(&a.project.project)?;
    let wan = project.container(WAN_SERVICE).await?;
    let mut cut = cut_off(&project, std::slice::from_ref(&wan));
    if let Some(r) = &a.region {
        let (cluster, _) = project.region(r)?;
        cut.retain(|c| *c == cluster);
    }
    if cut.is_empty() {
        println!("no region is cut off");
        return Ok(());
    }
    for cluster in cut {
        let label = format!("meridian.wan.{cluster}");
        let ip = wan.label(&label).with_context(|| {
            format!("the wan container has no label {label} (its address on {cluster}'s network)")
        })?;
        engine::docker([
            "network",
            "connect",
            "--ip",
            ip,
            &project.network(&cluster),
            &wan.id,
        ])
        .await?;
        println!("{cluster} is connected to the other regions again");
    }
    Ok(())
}

pub async fn latency(a: LatencyArgs) -> Result<()> {
    let project = Project::open(&a.project.project)?;
    let (_, from) = project.region(&a.from)?;
    let (_, to) = project.region(&a.to)?;
    if from == to {
        bail!("{from} to itself: give two different regions");
    }
    let wan = project.container(WAN_SERVICE).await?;
    let rtt = format!("{from}:{to}={}", a.ms);
    let mut args = vec![
        "exec".to_string(),
        wan.id.clone(),
        "/meridian".into(),
        "wan-proxy".into(),
        "set".into(),
        "--admin".into(),
        WAN_ADMIN.into(),
        "--rtt".into(),
        rtt,
    ];
    if let Some(j) = a.jitter_ms {
        args.extend(["--jitter-ms".into(), j.to_string()]);
    }
    let out = engine::docker(&args).await?;
    print!("{out}");
    println!("round trip {from} <-> {to}: {} ms", a.ms);
    Ok(())
}

pub async fn logs(a: LogsArgs) -> Result<()> {
    let project = Project::open(&a.project.project)?;
    let service = project.service(&a.node)?;
    let c = project.container(&service).await?;
    let mut args = vec!["logs".to_string()];
    if a.follow {
        args.push("--follow".into());
    }
    if let Some(n) = a.tail {
        args.extend(["--tail".into(), n.to_string()]);
    }
    args.push(c.id);
    engine::docker_inherit(&args, &[]).await
}
