//! `meridian docker up` and `down`.
//!
//! Up: image (if stale) → `docker-compose up -d` → every node container healthy and the
//! compose file's `init` container done (it runs `meridian global bootstrap`: the config's
//! global datastores that do not exist yet are created) → every cluster has a leader →
//! endpoints. Each wait has a deadline and names what it waited for. With `--tls` the
//! compose file of `tls::prepare` goes on top of docker/compose.yml.

use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;
use tokio::time::Instant;

use super::build::{self, BuildArgs};
use super::engine;
use super::project::{service_of, Project};
use super::status;
use super::tls;
use super::ProjectArgs;

#[derive(Args, Debug)]
pub struct UpArgs {
    #[command(flatten)]
    pub build: BuildArgs,
    /// Second octet of the region subnets: 10.N.1.0/24 (use1), 10.N.2.0/24, 10.N.3.0/24.
    #[arg(long, env = "MERIDIAN_DOCKER_SUBNET", default_value_t = 77)]
    pub subnet: u8,
    /// Host RESP ports are <prefix>01..<prefix>23 on 127.0.0.1 (64: 6401 for use1-1).
    #[arg(long, env = "MERIDIAN_DOCKER_RESP_PREFIX", default_value_t = 64, value_parser = clap::value_parser!(u16).range(10..=99))]
    pub resp_prefix: u16,
    /// Host gRPC ports are <prefix>01..<prefix>23 on 127.0.0.1 (74: 7401 for use1-1).
    #[arg(long, env = "MERIDIAN_DOCKER_GRPC_PREFIX", default_value_t = 74, value_parser = clap::value_parser!(u16).range(10..=99))]
    pub grpc_prefix: u16,
    /// Round trip us-east-1 ↔ eu-west-1 at start, in ms (`latency` changes it later).
    #[arg(long, env = "MERIDIAN_DOCKER_RTT_USE1_EUW1", default_value_t = 70)]
    pub rtt_use1_euw1: u64,
    /// Round trip us-east-1 ↔ ap-south-1 at start, in ms.
    #[arg(long, env = "MERIDIAN_DOCKER_RTT_USE1_APS1", default_value_t = 190)]
    pub rtt_use1_aps1: u64,
    /// Round trip eu-west-1 ↔ ap-south-1 at start, in ms.
    #[arg(long, env = "MERIDIAN_DOCKER_RTT_EUW1_APS1", default_value_t = 120)]
    pub rtt_euw1_aps1: u64,
    /// Jitter added to every one-way delay, in ms.
    #[arg(long, env = "MERIDIAN_DOCKER_JITTER_MS", default_value_t = 5)]
    pub jitter_ms: u64,
    /// Seconds to wait for health, leaders and the datastores before giving up.
    #[arg(long, default_value_t = 180)]
    pub wait_secs: u64,
    /// TLS on every port, as `meridian up --tls`: a development CA, a certificate per node
    /// container and a cluster secret in `data/docker/<project>/` (mounted read-only into the
    /// containers), gRPC and metrics over TLS only, and a RESP TLS port per node at
    /// `resp_port + --tls-resp-offset`, published on the host next to the plaintext one.
    /// Without it, `up` runs (or recreates) the containers without TLS.
    #[arg(long)]
    pub tls: bool,
    /// With `--tls`: where each node's RESP TLS port is, relative to its RESP port (in the
    /// container and on the host: 6501 for use1-1 by default).
    #[arg(long, default_value_t = 100)]
    pub tls_resp_offset: u16,
}

#[derive(Args, Debug)]
pub struct DownArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Remove the named volumes (every node's data) too.
    #[arg(long, short = 'v')]
    pub volumes: bool,
}

pub async fn up(args: UpArgs) -> Result<()> {
    let project = Project::open(&args.build.project.project)?;
    build::ensure_image(&project, &args.build).await?;
    let env = compose_env(&args);
    let mut cmd = project.compose_args();
    if args.tls {
        let extra = tls::prepare(&project, args.resp_prefix, args.tls_resp_offset)?;
        cmd.extend(["-f".into(), extra.display().to_string()]);
    }
    cmd.extend(["up".into(), "-d".into()]);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    engine::compose(&cmd, &env).await?;

    let deadline = Instant::now() + Duration::from_secs(args.wait_secs);
    wait_healthy(&project, deadline).await?;
    let endpoint = status::any_grpc_endpoint(&project).await?;
    wait_for_leaders(&endpoint, deadline).await?;
    status::print_endpoints(&project).await?;
    status::print_tls(&project).await?;
    status::print_deployment(&project).await?;
    println!(
        "Meridian is up in docker (project {}). `meridian docker status` shows it, `meridian docker down` stops it.",
        project.name
    );
    Ok(())
}

pub async fn down(args: DownArgs) -> Result<()> {
    let project = Project::open(&args.project.project)?;
    let mut cmd = project.compose_args();
    cmd.extend(["down".into(), "--remove-orphans".into()]);
    cmd.extend(["-t".into(), "10".into()]);
    if args.volumes {
        cmd.push("--volumes".into());
    }
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    engine::compose(&cmd, &[]).await?;
    if args.volumes {
        // The certificates and the secret go with the data.
        tls::remove(&project)?;
    }
    Ok(())
}

/// The variables compose.yml reads.
fn compose_env(args: &UpArgs) -> Vec<(String, String)> {
    [
        ("MERIDIAN_DOCKER_IMAGE", args.build.image.clone()),
        ("MERIDIAN_DOCKER_SUBNET", args.subnet.to_string()),
        ("MERIDIAN_DOCKER_RESP_PREFIX", args.resp_prefix.to_string()),
        ("MERIDIAN_DOCKER_GRPC_PREFIX", args.grpc_prefix.to_string()),
        (
            "MERIDIAN_DOCKER_RTT_USE1_EUW1",
            args.rtt_use1_euw1.to_string(),
        ),
        (
            "MERIDIAN_DOCKER_RTT_USE1_APS1",
            args.rtt_use1_aps1.to_string(),
        ),
        (
            "MERIDIAN_DOCKER_RTT_EUW1_APS1",
            args.rtt_euw1_aps1.to_string(),
        ),
        ("MERIDIAN_DOCKER_JITTER_MS", args.jitter_ms.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Until every node container is running and healthy and the `init` container (which creates
/// the global datastores) has finished; a container that exits (`init`: with a failure) is an
/// error with the end of its log.
async fn wait_healthy(project: &Project, deadline: Instant) -> Result<()> {
    let mut last = String::new();
    loop {
        let containers = project.containers().await?;
        let mut waiting = Vec::new();
        for c in &containers {
            let service = service_of(c).unwrap_or("?").to_string();
            let init = c.label("meridian.role") == Some(INIT_ROLE);
            if init && c.state.status == "exited" && c.state.exit_code == 0 {
                continue;
            }
            if init && c.state.status != "exited" {
                waiting.push(format!("{service} (creating the global datastores)"));
                continue;
            }
            if c.state.status == "exited" || c.state.status == "dead" {
                let log = engine::docker(["logs", "--tail", "20", &c.id])
                    .await
                    .unwrap_or_default();
                bail!(
                    "{service} stopped during start-up ({}); its last log lines:\n{log}",
                    c.state_line()
                );
            }
            if !c.healthy() {
                waiting.push(format!("{service} ({})", c.state_line()));
            }
        }
        if waiting.is_empty() && !containers.is_empty() {
            eprintln!("every container is healthy, and the global datastores exist");
            return Ok(());
        }
        let line = format!("waiting for: {}", waiting.join(", "));
        if Instant::now() > deadline {
            bail!("containers not healthy in time; {line}");
        }
        if line != last {
            eprintln!("{line}");
            last = line;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The `meridian.role` label of the one-shot container that runs `meridian global bootstrap`.
const INIT_ROLE: &str = "init";

/// Until every cluster has a leader, as one node sees them all.
async fn wait_for_leaders(endpoint: &str, deadline: Instant) -> Result<()> {
    loop {
        let missing = match crate::cluster::fetch(endpoint, None).await {
            Ok(r) => r
                .clusters
                .iter()
                .filter(|c| c.leader_id == 0)
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            Err(e) => format!("({e:#})"),
        };
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("clusters without a leader in time: {missing}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
