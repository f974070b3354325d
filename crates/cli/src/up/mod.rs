//! `meridian up`: the whole local deployment as child processes of this one.
//!
//! ```text
//! lock <data_dir>/up.lock ─ check ports ─ bind <data_dir>/up.sock ─ start every node
//!   ─ wait for leaders ─ create global datastores ─ print endpoints ─ "Meridian is up"
//!   ─ supervise: report nodes that die (and leave them down), carry out `meridian local`
//!     requests (control.rs) ─ Ctrl-C / SIGTERM: stop every node, remove the socket
//! ```
//!
//! A node that dies does not take the others down: `up` prints a line saying which node
//! ended, how, and the end of its log, and keeps supervising; `meridian local restart N`
//! brings it back on the same data.

mod children;
pub mod control;
mod process;
pub(crate) mod secure;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use meridian_config::DeploymentConfig;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::info;

use children::Children;
use process::Launcher;

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
    /// TLS on every port: creates a development CA and node certificates in
    /// `<data_dir>/certs` (`meridian certs`), serves gRPC and metrics over TLS only, and adds a
    /// RESP TLS port per node at `resp_port + --tls-resp-offset`.
    #[arg(long)]
    pub tls: bool,
    /// With `--tls`: where each node's RESP TLS port is, relative to its `resp_port`.
    #[arg(long, default_value_t = 100)]
    pub tls_resp_offset: u16,
}

pub async fn run(args: UpArgs) -> Result<()> {
    crate::logging::init("info");
    let config = std::fs::canonicalize(&args.config)
        .with_context(|| format!("finding config {}", args.config.display()))?;
    let cfg = DeploymentConfig::open(&config)
        .with_context(|| format!("loading config {}", config.display()))?;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
    let _lock = control::lock(&cfg.data_dir)?;
    let (config, cfg) = secure::prepare(&cfg, args.tls.then_some(args.tls_resp_offset))?;
    crate::grpc_client::use_config(&cfg);
    let stale = control::socket_path(&cfg.data_dir).exists();
    check_ports_free(&cfg, &config, stale)?;
    let log_dir = cfg.log_dir();
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("creating log dir {}", log_dir.display()))?;
    let mut shutdown = Shutdown::install()?;
    let (listener, socket) = control::bind(&cfg.data_dir)?;
    let (requests_tx, requests) = mpsc::channel(16);
    let (ready_tx, ready) = watch::channel(false);
    let server = control::serve(listener, requests_tx, ready);

    let launcher = Launcher {
        exe: std::env::current_exe().context("locating the meridian binary")?,
        config,
        log_dir,
    };
    let outcome = match Children::start(&cfg, launcher).await {
        Ok(mut nodes) => {
            let outcome = tokio::select! {
                r = start_up(&cfg, &mut nodes, Duration::from_secs(args.wait_secs)) => r,
                _ = shutdown.recv() => Err(anyhow!("interrupted while starting")),
            };
            if outcome.is_ok() {
                let _ = ready_tx.send(true);
                supervise(&mut nodes, requests, &mut shutdown).await;
            }
            nodes.stop_all().await;
            println!("All nodes stopped.");
            outcome
        }
        Err(e) => Err(e),
    };
    server.abort();
    drop(socket);
    outcome
}

/// Waits for leaders, creates the global datastores and prints where everything listens.
async fn start_up(cfg: &DeploymentConfig, nodes: &mut Children, limit: Duration) -> Result<()> {
    info!(
        nodes = nodes.len(),
        "started; waiting for every cluster to elect a leader"
    );
    wait_for_leaders(cfg, nodes, limit).await?;
    print_endpoints(cfg, nodes);
    print_tls(cfg);
    let endpoint = cfg
        .clusters
        .first()
        .and_then(|c| c.nodes.first())
        .map(|n| n.grpc_addr())
        .context("the config has no nodes")?;
    crate::bootstrap::wait_for_control_plane(&endpoint, limit).await?;
    if !cfg.global_datastores.is_empty() {
        let all = crate::bootstrap::create_datastores(cfg, &endpoint)
            .await
            .context("creating the global datastores the config declares")?;
        println!(
            "\nglobal datastores:\n{}",
            crate::global_render::render_table(&all)
        );
    }
    if let Ok(resp) = crate::cluster::fetch(&endpoint, None).await {
        println!("\n{}", crate::cluster::render_table(&resp));
    }
    println!(
        "Meridian is up. Press Ctrl-C to stop every node (data stays in {}).\n\
         Inject faults from another terminal: `meridian local status`, \
         `meridian local kill|stop|restart|pause|unpause NODE`.",
        cfg.data_dir.display()
    );
    Ok(())
}

/// Until Ctrl-C or SIGTERM: notices nodes that end and carries out `meridian local` requests.
async fn supervise(
    nodes: &mut Children,
    mut requests: mpsc::Receiver<control::Envelope>,
    shutdown: &mut Shutdown,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = shutdown.recv() => return,
            Some((request, reply)) = requests.recv() => {
                let _ = reply.send(nodes.handle(request).await);
            }
            _ = tick.tick() => nodes.reap_exits(),
        }
    }
}

/// SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed), installed once so a signal that
/// arrives while `up` is busy (waiting for a node to stop, say) is not lost.
struct Shutdown {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Shutdown {
    fn install() -> Result<Self> {
        Ok(Shutdown {
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            hangup: signal(SignalKind::hangup()).context("installing the SIGHUP handler")?,
        })
    }

    async fn recv(&mut self) {
        let which = tokio::select! {
            _ = self.interrupt.recv() => "interrupted",
            _ = self.terminate.recv() => "terminated",
            _ = self.hangup.recv() => "hung up",
        };
        println!("{which}; stopping every node");
    }
}

/// Refuses to start when a port of the deployment is taken; `stale` (a control socket left by
/// an `up` that did not stop cleanly) adds that its nodes may be what holds them.
fn check_ports_free(cfg: &DeploymentConfig, config: &Path, stale: bool) -> Result<()> {
    let witnesses = cfg.witnesses.iter().flat_map(|w| {
        [("gRPC", w.grpc_addr()), ("metrics", w.metrics_addr())]
            .map(|(what, addr)| (format!("witness {}", w.id), what, addr))
    });
    let nodes = cfg.clusters.iter().flat_map(|c| &c.nodes).flat_map(|n| {
        [
            ("gRPC", n.grpc_addr()),
            ("RESP", n.resp_addr()),
            ("metrics", n.metrics_addr()),
        ]
        .map(|(what, addr)| (format!("node {}", n.id), what, addr))
    });
    for (who, what, addr) in witnesses.chain(nodes) {
        let Err(e) = std::net::TcpListener::bind(&addr) else {
            continue;
        };
        let hint = if stale {
            format!(
                "an earlier `meridian up` of this deployment did not stop cleanly and its nodes \
                 may still be running; stop them (`pkill -f 'meridian node --config {}'`) and \
                 run `meridian up` again",
                config.display()
            )
        } else {
            "is another `meridian up` or redis-server running? Stop it or change the port in \
             the config"
                .to_string()
        };
        bail!("{what} address {addr} of {who} is not available ({e}); {hint}");
    }
    Ok(())
}

async fn wait_for_leaders(
    cfg: &DeploymentConfig,
    nodes: &mut Children,
    limit: Duration,
) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        nodes.check_started()?;
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

/// Where TLS clients connect, when the deployment uses TLS.
fn print_tls(cfg: &DeploymentConfig) {
    let Some(tls) = &cfg.tls else { return };
    let resp: Vec<String> = cfg
        .clusters
        .iter()
        .flat_map(|c| &c.nodes)
        .filter_map(|n| n.resp_tls_addr())
        .collect();
    println!("\n{}", secure::tls_summary(tls, &tls.ca, &resp));
}

fn print_endpoints(cfg: &DeploymentConfig, nodes: &Children) {
    let log_of = |id: u64| {
        nodes
            .log_of(id)
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    let data_of = |id: u64| {
        cfg.node_data_dir(id)
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    println!(
        "{:<8} {:<14} {:<5} {:<16} {:<16} {:<16} data / log",
        "cluster", "region", "node", "resp", "grpc", "metrics"
    );
    for c in &cfg.clusters {
        for n in &c.nodes {
            println!(
                "{:<8} {:<14} {:<5} {:<16} {:<16} {:<16} {} / {}",
                c.name,
                c.region,
                n.id,
                n.resp_addr(),
                n.grpc_addr(),
                n.metrics_addr(),
                data_of(n.id),
                log_of(n.id)
            );
        }
    }
    for w in &cfg.witnesses {
        println!(
            "{:<8} {:<14} {:<5} {:<16} {:<16} {:<16} {} / {}",
            "witness",
            w.region,
            w.id,
            "-",
            w.grpc_addr(),
            w.metrics_addr(),
            data_of(w.id),
            log_of(w.id)
        );
    }
}
