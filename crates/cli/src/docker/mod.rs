//! `meridian docker …`: the three-region deployment of `cluster-configs/docker.toml` in
//! containers (`docker/compose.yml`), and faults injected into it with real container and
//! network actions (DESIGN.md §11).
//!
//! The launcher keeps no state of its own: a deployment is a compose project (`--project`,
//! default `meridian`), and everything else (published host ports, the WAN proxy's addresses,
//! which regions are cut off) is read back from docker when needed. The topology (nodes,
//! clusters, regions) comes from the config; a node's container is the compose service named
//! after the node's `host`.
//!
//! Files: `engine` runs docker and docker-compose; `project` finds the repository, the config
//! and the containers of a project; `build` makes the static binary and the image; `tls` the
//! certificates, secret and compose file of `up --tls`; `up`, `status`, `faults` and
//! `failover` are the subcommands.

mod build;
mod engine;
mod failover;
mod faults;
mod project;
mod status;
mod tls;
mod up;

use anyhow::Result;
use clap::{Args, Subcommand};

/// Which deployment: the compose project name.
#[derive(Args, Debug, Clone)]
pub struct ProjectArgs {
    /// Compose project name; containers, networks and volumes are named after it, so several
    /// deployments can run side by side.
    #[arg(long, env = "MERIDIAN_DOCKER_PROJECT", default_value = "meridian")]
    pub project: String,
}

#[derive(Subcommand, Debug)]
pub enum DockerCommand {
    /// Build the static binary and the image if they are stale, start every container, wait
    /// until all are healthy and every cluster has a leader, create the global datastores of
    /// the config (once), and print the endpoints. Running it again is harmless. --tls: TLS on
    /// every port, with a development CA and certificates in data/docker/<project>.
    Up(up::UpArgs),
    /// Build the static binary (target/static) and the image, if stale; start nothing.
    Build(build::BuildArgs),
    /// Containers (running, paused, exited; health), clusters (members, leader, term, applied
    /// seq), global datastores (roles, epoch, lag per secondary) and cut-off regions.
    Status(status::StatusArgs),
    /// Kill a node's container (SIGKILL, like a crashed machine). NODE: a name like use1-2 or
    /// an id like 2.
    Kill(faults::NodeArgs),
    /// Start a node's container again (restart it if it is running).
    Restart(faults::NodeArgs),
    /// Freeze a node's container (docker pause: its processes stop, its sockets stay open).
    Pause(faults::NodeArgs),
    /// Unfreeze a paused node's container.
    Unpause(faults::NodeArgs),
    /// Cut a region off from the others: its network is disconnected from the WAN proxy, so
    /// no call between it and another region gets through. Clients on the host still reach
    /// its published ports. REGION: a cluster name (use1) or a region (us-east-1).
    Partition(faults::RegionArgs),
    /// Connect every cut-off region (or only REGION) to the WAN proxy again.
    Heal(faults::HealArgs),
    /// Set the round trip between two regions, in milliseconds (half each way), on the running
    /// WAN proxy.
    Latency(faults::LatencyArgs),
    /// `meridian global failover …` against a node of a region that is not cut off, e.g.
    /// `meridian docker failover --id gds1 --to euw1 --wait` or `… --id gds1 --force --yes`.
    Failover(failover::FailoverArgs),
    /// Print a node's container log (NODE, or `wan` for the proxy).
    Logs(faults::LogsArgs),
    /// Stop and remove the containers and networks; --volumes removes the data too.
    Down(up::DownArgs),
}

pub async fn run(cmd: DockerCommand) -> Result<()> {
    engine::check().await?;
    match cmd {
        DockerCommand::Up(a) => up::up(a).await,
        DockerCommand::Build(a) => build::run(a).await,
        DockerCommand::Status(a) => status::run(a).await,
        DockerCommand::Kill(a) => faults::kill(a).await,
        DockerCommand::Restart(a) => faults::restart(a).await,
        DockerCommand::Pause(a) => faults::pause(a).await,
        DockerCommand::Unpause(a) => faults::unpause(a).await,
        DockerCommand::Partition(a) => faults::partition(a).await,
        DockerCommand::Heal(a) => faults::heal(a).await,
        DockerCommand::Latency(a) => faults::latency(a).await,
        DockerCommand::Failover(a) => failover::run(a).await,
        DockerCommand::Logs(a) => faults::logs(a).await,
        DockerCommand::Down(a) => up::down(a).await,
    }
}
