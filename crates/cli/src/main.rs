//! `meridian`: run a node, start a whole local deployment, inspect clusters, benchmark.

#[cfg(not(tokio_unstable))]
compile_error!(
    "meridian is built with `--cfg tokio_unstable` (.cargo/config.toml sets it; a RUSTFLAGS \
     environment variable replaces that list, so add `--cfg tokio_unstable` to it)"
);

mod bench;
mod bench_lag;
mod bench_pubsub;
mod bootstrap;
mod certs;
mod cluster;
mod docker;
mod global;
mod global_render;
mod grpc_client;
mod health;
mod local;
mod logging;
mod node;
mod security;
mod spec;
mod up;
mod wan_proxy;

use clap::{Parser, Subcommand};

/// jemalloc (as redis-server uses): glibc's malloc spent a quarter of a write-heavy node's CPU
/// consolidating small chunks, and returns freed memory to the system less readily.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// [`ALLOCATOR`] as INFO's `mem_allocator` names it (Redis's `jemalloc-<version>`): the
/// jemalloc that tikv-jemalloc-sys builds, the `+5.3.0` of its version in Cargo.lock.
const ALLOCATOR_NAME: &str = "jemalloc-5.3.0";

/// Meridian: a Redis-compatible datastore replicated across regions on Raft.
#[derive(Parser, Debug)]
#[command(name = "meridian", version, propagate_version = true)]
struct Cli {
    /// Async runtime worker threads: 0 = one per core, 1 = a single-threaded runtime (least
    /// context switching when several nodes share a small machine).
    #[arg(
        long,
        global = true,
        env = "MERIDIAN_WORKER_THREADS",
        default_value_t = 0
    )]
    worker_threads: usize,
    /// CA certificate (PEM) to trust when calling nodes' gRPC ports over TLS. Commands that
    /// read a deployment file with a `[tls]` table use its CA without this.
    #[arg(long, global = true, env = "MERIDIAN_TLS_CA")]
    tls_ca: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one node of a deployment (normally started for you by `meridian up`).
    Node(node::NodeArgs),
    /// Start every node of a deployment config as child processes, wait until every cluster
    /// has a leader, print the endpoints, and stop them all on Ctrl-C. A node that dies is
    /// reported and left down; `meridian local` kills, restarts and pauses nodes.
    Up(up::UpArgs),
    /// Inspect the clusters of a deployment.
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
    /// Manage global datastores: a primary cluster and secondaries in other regions.
    #[command(subcommand)]
    Global(global::GlobalCommand),
    /// Drive concurrent gRPC writers against a cluster and print writes/s and latency;
    /// `meridian bench lag` measures replication lag to secondaries.
    Bench(bench::BenchCommand),
    /// Talk to a running `meridian up`: status, and kill, restart, pause or unpause one node.
    #[command(subcommand)]
    Local(local::LocalCommand),
    /// Run the three-region deployment in docker containers and inject faults into it.
    #[command(subcommand)]
    Docker(docker::DockerCommand),
    /// Check that one node answers (exit status 0 when healthy); the docker health check.
    Health(health::HealthArgs),
    /// The userspace WAN delay proxy that carries traffic between regions (docker launcher).
    #[command(subcommand)]
    WanProxy(wan_proxy::WanProxyCommand),
    /// Create a development CA and a TLS certificate for every node and witness of a
    /// deployment file (reusing the CA already in the output directory), and print the
    /// `[tls]` table that turns TLS on.
    Certs(certs::CertsArgs),
}

fn main() -> anyhow::Result<()> {
    meridian_server::set_mem_allocator(ALLOCATOR_NAME);
    let cli = Cli::parse();
    let threads = cli.worker_threads;
    if let Some(ca) = &cli.tls_ca {
        grpc_client::use_ca(ca);
    }
    // Children started by `meridian up` inherit the choice (set before any thread exists).
    std::env::set_var("MERIDIAN_WORKER_THREADS", threads.to_string());
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if threads > 1 {
            b.worker_threads(threads);
        }
        // Tasks woken together run in the order they were woken (the LIFO slot would run the
        // newest first): commands that reach the node together are taken in arrival order,
        // which Redis's blocked-client order (BLPOP and friends) depends on.
        b.disable_lifo_slot();
        b.enable_all().build()?
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Node(args) => node::run(args).await,
            Command::Up(args) => up::run(args).await,
            Command::Cluster(cmd) => cluster::run(cmd).await,
            Command::Global(cmd) => global::run(cmd).await,
            Command::Bench(cmd) => bench::run_command(cmd).await,
            Command::Local(cmd) => local::run(cmd).await,
            Command::Docker(cmd) => docker::run(cmd).await,
            Command::Health(args) => health::run(args).await,
            Command::WanProxy(cmd) => wan_proxy::run(cmd).await,
            Command::Certs(args) => certs::run(args).await,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every subcommand renders its help (doc comments are the help text).
    #[test]
    fn help_renders_for_every_subcommand() {
        let mut cmd = Cli::command();
        cmd.build();
        fn walk(cmd: &mut clap::Command, path: &str) {
            let help = cmd.render_long_help().to_string();
            assert!(help.contains("Usage"), "{path}: {help}");
            for sub in cmd.get_subcommands_mut() {
                let p = format!("{path} {}", sub.get_name());
                walk(sub, &p);
            }
        }
        walk(&mut cmd, "meridian");
        Cli::command().debug_assert();
    }

    /// The allocator name INFO reports follows the jemalloc that Cargo.lock pins.
    #[test]
    fn allocator_name_is_the_locked_jemalloc() {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
                .expect("Cargo.lock");
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"tikv-jemalloc-sys\""))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
            .and_then(|v| v.trim_end_matches('"').split_once('+'))
            // `5.3.0-1-g<commit>`: Redis prints major.minor.bugfix.
            .map(|(_, jemalloc)| jemalloc.split('-').next().unwrap_or(jemalloc).to_string())
            .expect("tikv-jemalloc-sys in Cargo.lock");
        assert_eq!(ALLOCATOR_NAME, format!("jemalloc-{version}"));
    }
}
