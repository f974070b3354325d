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
}

pub async fn run(args: NodeArgs) -> Result<()> {
    crate::logging::init("info,openraft=warn,sled=warn");
    let cfg = DeploymentConfig::open(&args.config)
        .with_context(|| format!("loading config {}", args.config.display()))?;
    if let Some(spec) = crate::spec::witness_spec(&cfg, args.node) {
        let witness = WitnessNode::bind_and_start(spec)
            .await
            .with_context(|| format!("starting witness {}", args.node))?;
        stopped().await?;
        witness.stop().await;
        return Ok(());
    }
    let spec = crate::spec::node_spec(&cfg, args.node)?;
    let node = MeridianNode::bind_and_start(spec)
        .await
        .with_context(|| format!("starting node {}", args.node))?;
    stopped().await?;
    node.stop().await;
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM.
async fn stopped() -> Result<()> {
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("interrupted; stopping"),
        _ = term.recv() => info!("terminated; stopping"),
    }
    Ok(())
}
