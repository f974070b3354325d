//! `meridian up`: the whole local deployment as child processes of this one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use meridian_config::DeploymentConfig;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tracing::{info, warn};

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Deployment config file (TOML).
    #[arg(
        long,
        env = "MERIDIAN_CONFIG",
        default_value = "cluster-configs/local.toml"
    )]
    pub config: PathBuf,
    /// Seconds to wait for every cluster to elect a leader before giving up.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

struct Running {
    id: u64,
    child: Child,
    log: PathBuf,
}

pub async fn run(args: UpArgs) -> Result<()> {
    crate::logging::init("info");
    let config = std::fs::canonicalize(&args.config)
        .with_context(|| format!("finding config {}", args.config.display()))?;
    let cfg = DeploymentConfig::open(&config)
        .with_context(|| format!("loading config {}", config.display()))?;
    check_ports_free(&cfg)?;
    let exe = std::env::current_exe().context("locating the meridian binary")?;
    let log_dir = cfg.log_dir();
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("creating log dir {}", log_dir.display()))?;

    let mut nodes = Vec::new();
    let node_ids = cfg
        .clusters
        .iter()
        .flat_map(|c| c.nodes.iter().map(|n| n.id));
    let witness_ids = cfg.witnesses.iter().map(|w| w.id);
    for id in node_ids.chain(witness_ids) {
        match spawn_node(&exe, &config, id, &log_dir) {
            Ok(r) => nodes.push(r),
            Err(e) => {
                stop_all(&mut nodes).await;
                return Err(e);
            }
        }
    }
    info!(
        nodes = nodes.len(),
        "started; waiting for every cluster to elect a leader"
    );
    if let Err(e) = wait_for_leaders(&cfg, &mut nodes, Duration::from_secs(args.wait_secs)).await {
        stop_all(&mut nodes).await;
        return Err(e);
    }
    print_endpoints(&cfg, &nodes);
    let endpoint = cfg
        .clusters
        .first()
        .and_then(|c| c.nodes.first())
        .map(|n| n.grpc_addr())
        .context("the config has no nodes")?;
    let limit = Duration::from_secs(args.wait_secs);
    if let Err(e) = crate::bootstrap::wait_for_control_plane(&endpoint, limit).await {
        stop_all(&mut nodes).await;
        return Err(e);
    }
    if !cfg.global_datastores.is_empty() {
        match crate::bootstrap::create_datastores(&cfg, &endpoint).await {
            Ok(all) => println!(
                "\nglobal datastores:\n{}",
                crate::global_render::render_table(&all)
            ),
            Err(e) => {
                stop_all(&mut nodes).await;
                return Err(e.context("creating the global datastores the config declares"));
            }
        }
    }
    if let Some(first) = cfg.clusters.first().and_then(|c| c.nodes.first()) {
        if let Ok(resp) = crate::cluster::fetch(&first.grpc_addr(), None).await {
            println!("\n{}", crate::cluster::render_table(&resp));
        }
    }
    println!(
        "Meridian is up. Press Ctrl-C to stop every node (data stays in {}).",
        cfg.data_dir.display()
    );

    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        died = wait_any_exit(&mut nodes) => Err(died),
    };
    stop_all(&mut nodes).await;
    println!("All nodes stopped.");
    outcome
}

fn check_ports_free(cfg: &DeploymentConfig) -> Result<()> {
    for w in &cfg.witnesses {
        for (what, addr) in [("gRPC", w.grpc_addr()), ("metrics", w.metrics_addr())] {
            if let Err(e) = std::net::TcpListener::bind(&addr) {
                bail!(
                    "{what} address {addr} of witness {} is not available ({e})",
                    w.id
                );
            }
        }
    }
    for c in &cfg.clusters {
        for n in &c.nodes {
            for (what, addr) in [
                ("gRPC", n.grpc_addr()),
                ("RESP", n.resp_addr()),
                ("metrics", n.metrics_addr()),
            ] {
                if let Err(e) = std::net::TcpListener::bind(&addr) {
                    bail!(
                        "{what} address {addr} of node {} is not available ({e}); is another `meridian up` or redis-server running? Stop it or change the port in the config",
                        n.id
                    );
                }
            }
        }
    }
    Ok(())
}

fn spawn_node(exe: &Path, config: &Path, id: u64, log_dir: &Path) -> Result<Running> {
    let log = log_dir.join(format!("node-{id}.log"));
    let out = File::options()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("opening log file {}", log.display()))?;
    let err = out.try_clone().context("duplicating log file handle")?;
    let child = Command::new(exe)
        .arg("node")
        .arg("--config")
        .arg(config)
        .arg("--node")
        .arg(id.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting node {id}"))?;
    Ok(Running { id, child, log })
}

async fn wait_for_leaders(
    cfg: &DeploymentConfig,
    nodes: &mut [Running],
    limit: Duration,
) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        for n in nodes.iter_mut() {
            if let Some(status) = n.child.try_wait()? {
                bail!(
                    "node {} exited during start-up ({status}); last lines of {}:\n{}",
                    n.id,
                    n.log.display(),
                    tail(&n.log, 20)
                );
            }
        }
        let mut missing = Vec::new();
        for c in &cfg.clusters {
            let mut has_leader = false;
            for node in &c.nodes {
                if let Ok(resp) =
                    crate::cluster::fetch(&node.grpc_addr(), Some(c.name.clone())).await
                {
                    has_leader = resp.clusters.iter().all(|v| v.leader_id != 0);
                    break;
                }
            }
            if !has_leader {
                missing.push(c.name.clone());
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "clusters without a leader after {}s: {}; see the node logs in {}",
                limit.as_secs(),
                missing.join(", "),
                cfg.log_dir().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn print_endpoints(cfg: &DeploymentConfig, nodes: &[Running]) {
    let log_of = |id: u64| {
        nodes
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.log.display().to_string())
            .unwrap_or_default()
    };
    println!(
        "{:<8} {:<14} {:<5} {:<16} {:<16} {:<16} data / log",
        "cluster", "region", "node", "resp", "grpc", "metrics"
    );
    for c in &cfg.clusters {
        for n in &c.nodes {
            let log = log_of(n.id);
            let data = cfg
                .node_data_dir(n.id)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            println!(
                "{:<8} {:<14} {:<5} {:<16} {:<16} {:<16} {} / {}",
                c.name,
                c.region,
                n.id,
                n.resp_addr(),
                n.grpc_addr(),
                n.metrics_addr(),
                data,
                log
            );
        }
    }
    for w in &cfg.witnesses {
        let data = cfg
            .node_data_dir(w.id)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        println!(
            "{:<8} {:<14} {:<5} {:<16} {:<16} {:<16} {} / {}",
            "witness",
            w.region,
            w.id,
            "-",
            w.grpc_addr(),
            w.metrics_addr(),
            data,
            log_of(w.id)
        );
    }
}

async fn wait_any_exit(nodes: &mut [Running]) -> anyhow::Error {
    loop {
        for n in nodes.iter_mut() {
            if let Ok(Some(status)) = n.child.try_wait() {
                return anyhow::anyhow!(
                    "node {} exited unexpectedly ({status}); last lines of {}:\n{}",
                    n.id,
                    n.log.display(),
                    tail(&n.log, 20)
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// SIGTERM every node, wait for a clean stop, SIGKILL what is left after 15 s.
async fn stop_all(nodes: &mut Vec<Running>) {
    for n in nodes.iter() {
        if let Some(pid) = n.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    for n in nodes.iter_mut() {
        let left = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, n.child.wait()).await.is_err() {
            warn!(node = n.id, "did not stop within 15s; killing it");
            let _ = n.child.kill().await;
        }
    }
    nodes.clear();
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
