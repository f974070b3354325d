use std::io::Read as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use meridian_config::DeploymentConfig;
use meridian_server::{MeridianNode, WitnessNode};
use tokio::signal::unix::{signal, SignalKind};
use tracing::info;

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// Deployment config file (TOML).
    #[arg(
        long,
        env = "MERIDIAN_CONFIG",
        default_value = "cluster-configs/local.toml"
    )]
    pub config: PathBuf,
    /// Id of the node to run, as listed in the config.
    #[arg(long, env = "MERIDIAN_NODE")]
    pub node: u64,
    /// Stop (cleanly, as on SIGTERM) when standard input closes. `meridian up` starts its
    /// nodes this way and holds their input open, so they stop if `up` itself dies.
    #[arg(long)]
    pub stop_on_stdin_close: bool,
}

pub async fn run(args: NodeArgs) -> Result<()> {
    crate::logging::init("info,openraft=warn,sled=warn");
    let cfg = DeploymentConfig::open(&args.config)
        .with_context(|| format!("loading config {}", args.config.display()))?;
    if let Some(spec) = crate::spec::witness_spec(&cfg, args.node)? {
        let witness = WitnessNode::bind_and_start(spec)
            .await
            .with_context(|| format!("starting witness {}", args.node))?;
        stopped(args.stop_on_stdin_close).await?;
        witness.stop().await;
        return Ok(());
    }
    let spec = crate::spec::node_spec(&cfg, args.node)?;
    let node = MeridianNode::bind_and_start(spec)
        .await
        .with_context(|| format!("starting node {}", args.node))?;
    tokio::select! {
        stopped = stopped(args.stop_on_stdin_close) => stopped?,
        _ = node.shutdown_requested() => info!("SHUTDOWN received over RESP; stopping"),
    }
    node.stop().await;
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM, or, with `stdin_close`, for standard input to close.
async fn stopped(stdin_close: bool) -> Result<()> {
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let closed = async {
        match stdin_close {
            true => stdin_closed().await,
            false => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("interrupted; stopping"),
        _ = term.recv() => info!("terminated; stopping"),
        _ = closed => info!("standard input closed (meridian up is gone); stopping"),
    }
    Ok(())
}

/// Resolves once standard input reaches its end. The read blocks in a plain thread, not in
/// the runtime's blocking pool, which the runtime would wait for when the node stops.
async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    match spawned {
        Ok(_) => {
            let _ = rx.await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch standard input; stopping only on signals");
            std::future::pending::<()>().await
        }
    }
}
