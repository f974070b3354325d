//! `meridian wan-proxy …`: the WAN delay proxy of the docker launcher. `run` builds one route
//! per node and witness of a deployment config (listen on its gRPC port, forward to its
//! `host:grpc_port`, destination region = its region) and runs `meridian-wanproxy`; `set` and
//! `show` talk to a running proxy's admin endpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use meridian_config::DeploymentConfig;
use meridian_wanproxy::{Latency, ProxyConfig, RegionPair, Route, WanProxy};
use tokio::signal::unix::{signal, SignalKind};
use tracing::{info, warn};

#[derive(Subcommand, Debug)]
pub enum WanProxyCommand {
    /// Run the proxy until SIGTERM or Ctrl-C: listen on the gRPC port of every node and
    /// witness of the config, forward each connection to that node, and delay the bytes by
    /// the RTT between the caller's region (known from the local IP the connection arrived on)
    /// and the node's region.
    Run(RunArgs),
    /// Change the latency of one region pair on a running proxy (open connections included)
    /// and print the new table.
    Set(SetArgs),
    /// Print a running proxy's latency table and its traffic counters.
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Deployment config file (TOML); every node and witness in it becomes a route.
    #[arg(long, env = "MERIDIAN_CONFIG")]
    pub config: PathBuf,
    /// The proxy's own IP on one region's network, as REGION=IP (e.g.
    /// us-east-1=172.28.1.254): connections accepted on IP come from REGION. Repeat for every
    /// region; a connection on an IP not listed is forwarded without delay (warned once).
    #[arg(long = "region", value_name = "REGION=IP", value_parser = parse_region_ip)]
    pub regions: Vec<RegionIp>,
    /// Round-trip time added between two regions, as REGION_A:REGION_B=MS (either order, e.g.
    /// us-east-1:eu-west-1=70). Repeat per pair; a pair left out gets 0 ms.
    #[arg(long = "rtt", value_name = "A:B=MS", value_parser = parse_pair_rtt)]
    pub rtts: Vec<PairRtt>,
    /// Jitter of every --rtt pair, in ms: each direction adds a uniform draw from ±N/2, so a
    /// round trip lies in RTT ± N. Bytes are never reordered.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub jitter_ms: u64,
    /// Where the admin endpoint (`wan-proxy set` / `show`) listens.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:7990")]
    pub admin: SocketAddr,
    /// IP every route listener binds.
    #[arg(long, value_name = "IP", default_value = "0.0.0.0")]
    pub listen_ip: IpAddr,
    /// Bytes queued per direction of a connection before the proxy stops reading from the
    /// sender (backpressure), in KiB; 64 to 1048576.
    #[arg(long, value_name = "KIB", default_value_t = 4096)]
    pub buffer_kib: usize,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// Admin endpoint of the proxy (host:port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7990")]
    pub admin: String,
    /// The pair's new round-trip time, as REGION_A:REGION_B=MS.
    #[arg(long, value_name = "A:B=MS", value_parser = parse_pair_rtt)]
    pub rtt: PairRtt,
    /// The pair's new jitter, in ms; left out, the pair keeps its jitter.
    #[arg(long, value_name = "N")]
    pub jitter_ms: Option<u64>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Admin endpoint of the proxy (host:port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7990")]
    pub admin: String,
}

/// A `--region REGION=IP` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionIp {
    pub region: String,
    pub ip: IpAddr,
}

/// An `--rtt A:B=MS` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRtt {
    pub pair: RegionPair,
    pub rtt_ms: u64,
}

pub async fn run(cmd: WanProxyCommand) -> Result<()> {
    let result = match cmd {
        WanProxyCommand::Run(args) => run_proxy(args).await,
        WanProxyCommand::Set(args) => set(args).await,
        WanProxyCommand::Show(args) => show(args).await,
    };
    // One line: the socket error behind a failure is part of the message, not a "Caused by".
    result.map_err(|e| anyhow!("{e:#}"))
}

async fn run_proxy(args: RunArgs) -> Result<()> {
    crate::logging::init("info");
    let cfg = DeploymentConfig::open(&args.config)
        .with_context(|| format!("loading config {}", args.config.display()))?;
    let config = proxy_config(&cfg, &args)?;
    for region in config_regions(&cfg) {
        if !config.local_regions.values().any(|r| *r == region) {
            warn!(region = %region, "no --region address for this region; its callers would be proxied without delay");
        }
    }
    for (pair, latency) in &config.latency {
        info!(pair = %pair, rtt_ms = latency.rtt_ms, jitter_ms = latency.jitter_ms, "latency");
    }
    let proxy = WanProxy::spawn(config)
        .await
        .context("starting the WAN proxy")?;
    stopped().await?;
    proxy.stop().await;
    Ok(())
}

async fn set(args: SetArgs) -> Result<()> {
    let PairRtt { pair, rtt_ms } = args.rtt;
    let status = meridian_wanproxy::set(&args.admin, pair, rtt_ms, args.jitter_ms).await?;
    print!("{status}");
    Ok(())
}

async fn show(args: ShowArgs) -> Result<()> {
    let status = meridian_wanproxy::show(&args.admin).await?;
    print!("{status}");
    Ok(())
}

/// The proxy configuration for `cfg` and the flags; refuses regions the config does not have.
fn proxy_config(cfg: &DeploymentConfig, args: &RunArgs) -> Result<ProxyConfig> {
    let regions = config_regions(cfg);
    let local_regions = local_regions(&regions, &args.regions)?;
    let latency = latency_table(&regions, &args.rtts, args.jitter_ms)?;
    let buffer_bytes = args
        .buffer_kib
        .checked_mul(1024)
        .with_context(|| format!("--buffer-kib {} is too large", args.buffer_kib))?;
    Ok(ProxyConfig {
        listen_ip: args.listen_ip,
        routes: routes(cfg),
        local_regions,
        latency,
        admin: Some(args.admin),
        buffer_bytes,
        ..ProxyConfig::default()
    })
}

/// Every region with a cluster or a witness.
fn config_regions(cfg: &DeploymentConfig) -> BTreeSet<String> {
    let clusters = cfg.clusters.iter().map(|c| c.region.clone());
    clusters
        .chain(cfg.witnesses.iter().map(|w| w.region.clone()))
        .collect()
}

/// One route per node and witness: listen on its gRPC port, forward to its gRPC address.
fn routes(cfg: &DeploymentConfig) -> Vec<Route> {
    let nodes = cfg.clusters.iter().flat_map(|cluster| {
        cluster.nodes.iter().map(move |node| Route {
            name: format!("node {} ({})", node.id, cluster.name),
            listen_port: node.grpc_port,
            target: node.grpc_addr(),
            target_region: cluster.region.clone(),
        })
    });
    let witnesses = cfg.witnesses.iter().map(|w| Route {
        name: format!("witness {}", w.id),
        listen_port: w.grpc_port,
        target: w.grpc_addr(),
        target_region: w.region.clone(),
    });
    nodes.chain(witnesses).collect()
}

/// `--region` values as the local-IP map.
fn local_regions(
    regions: &BTreeSet<String>,
    given: &[RegionIp],
) -> Result<BTreeMap<IpAddr, String>> {
    let mut map = BTreeMap::new();
    for RegionIp { region, ip } in given {
        known(regions, region, &format!("--region {region}={ip}"))?;
        if let Some(other) = map.insert(*ip, region.clone()) {
            bail!("--region {region}={ip}: {ip} is already given to region {other}");
        }
    }
    Ok(map)
}

/// Every pair of config regions: the `--rtt` value with `jitter_ms`, or no latency.
fn latency_table(
    regions: &BTreeSet<String>,
    given: &[PairRtt],
    jitter_ms: u64,
) -> Result<BTreeMap<RegionPair, Latency>> {
    let mut table = BTreeMap::new();
    for (i, a) in regions.iter().enumerate() {
        for b in regions.iter().skip(i + 1) {
            table.insert(RegionPair::new(a, b)?, Latency::NONE);
        }
    }
    let mut seen = BTreeSet::new();
    for PairRtt { pair, rtt_ms } in given {
        let flag = format!("--rtt {pair}={rtt_ms}");
        for region in pair.regions() {
            known(regions, region, &flag)?;
        }
        if !seen.insert(pair.clone()) {
            bail!("{flag}: the pair {pair} is given twice");
        }
        let rtt_ms = *rtt_ms;
        table.insert(pair.clone(), Latency { rtt_ms, jitter_ms });
    }
    Ok(table)
}

fn known(regions: &BTreeSet<String>, region: &str, flag: &str) -> Result<()> {
    if regions.contains(region) {
        return Ok(());
    }
    let valid: Vec<&str> = regions.iter().map(String::as_str).collect();
    bail!(
        "{flag}: unknown region {region:?}; the config's regions are: {}",
        valid.join(", ")
    )
}

/// Parses `REGION=IP`.
fn parse_region_ip(s: &str) -> Result<RegionIp, String> {
    let expected = "expected REGION=IP, e.g. us-east-1=172.28.1.254";
    let (region, ip) = s.split_once('=').ok_or_else(|| expected.to_string())?;
    let region = region.trim();
    if region.is_empty() {
        return Err(format!("{expected}: the region is empty"));
    }
    let ip = ip
        .trim()
        .parse()
        .map_err(|_| format!("{expected}: {:?} is not an IP address", ip.trim()))?;
    Ok(RegionIp {
        region: region.to_string(),
        ip,
    })
}

/// Parses `REGION_A:REGION_B=MS`.
fn parse_pair_rtt(s: &str) -> Result<PairRtt, String> {
    let expected = "expected REGION_A:REGION_B=MS, e.g. us-east-1:eu-west-1=70";
    let (pair, ms) = s.split_once('=').ok_or_else(|| expected.to_string())?;
    let pair = pair.parse().map_err(|e| format!("{expected}: {e}"))?;
    let rtt_ms = ms
        .trim()
        .parse()
        .map_err(|_| format!("{expected}: {:?} is not a whole number of ms", ms.trim()))?;
    Ok(PairRtt { pair, rtt_ms })
}

/// Waits for Ctrl-C or SIGTERM.
async fn stopped() -> Result<()> {
    let mut term = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => info!("interrupted; stopping"),
        _ = term.recv() => info!("terminated; stopping"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        cmd: WanProxyCommand,
    }

    const TOML: &str = r#"
        [[clusters]]
        name = "use1"
        region = "us-east-1"
        nodes = [{ id = 1, host = "n1", grpc_port = 7401, resp_port = 6401, metrics_port = 9401 }]
        [[clusters]]
        name = "euw1"
        region = "eu-west-1"
        nodes = [{ id = 4, host = "n4", grpc_port = 7411, resp_port = 6411, metrics_port = 9411 }]
        [[witnesses]]
        id = 10
        region = "ap-south-1"
        host = "w10"
        grpc_port = 7431
        metrics_port = 9431
    "#;

    fn build(flags: &[&str]) -> Result<ProxyConfig> {
        let cfg = DeploymentConfig::from_toml_str(TOML, ".")?;
        let argv = ["wan-proxy", "run", "--config", "x.toml"];
        let cli = Cli::try_parse_from(argv.iter().chain(flags))?;
        let WanProxyCommand::Run(args) = cli.cmd else {
            bail!("not run")
        };
        proxy_config(&cfg, &args)
    }

    fn error_of(flags: &[&str]) -> String {
        match build(flags) {
            Ok(cfg) => panic!("{flags:?} accepted: {cfg:?}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn routes_and_latency_come_from_the_config_and_flags() -> Result<()> {
        let cfg = build(&[
            "--region",
            "us-east-1=10.1.0.254",
            "--rtt",
            "eu-west-1:us-east-1=70",
        ])?;
        let routes: Vec<_> = cfg
            .routes
            .iter()
            .map(|r| (r.listen_port, r.target.as_str(), r.target_region.as_str()))
            .collect();
        assert_eq!(
            routes,
            [
                (7401, "n1:7401", "us-east-1"),
                (7411, "n4:7411", "eu-west-1"),
                (7431, "w10:7431", "ap-south-1")
            ]
        );
        let ip: IpAddr = "10.1.0.254".parse()?;
        assert_eq!(
            cfg.local_regions.get(&ip).map(String::as_str),
            Some("us-east-1")
        );
        let pair = |a, b| RegionPair::new(a, b);
        assert_eq!(
            cfg.latency[&pair("us-east-1", "eu-west-1")?],
            Latency {
                rtt_ms: 70,
                jitter_ms: 5
            }
        );
        assert_eq!(
            cfg.latency[&pair("us-east-1", "ap-south-1")?],
            Latency::NONE
        );
        assert_eq!(cfg.latency.len(), 3);
        cfg.validate()?;
        Ok(())
    }

    #[test]
    fn malformed_values_are_refused_by_the_parser() {
        for (flags, why) in [
            (["--region", "us-east-1"], "expected REGION=IP"),
            (["--region", "=10.0.0.1"], "the region is empty"),
            (
                ["--region", "us-east-1=10.0.0.300"],
                "\"10.0.0.300\" is not an IP address",
            ),
            (
                ["--rtt", "us-east-1:eu-west-1"],
                "expected REGION_A:REGION_B=MS",
            ),
            (
                ["--rtt", "us-east-1=70"],
                "not of the form REGION_A:REGION_B",
            ),
            (
                ["--rtt", "us-east-1:us-east-1=70"],
                "names one region twice",
            ),
            (
                ["--rtt", "us-east-1:eu-west-1=7o"],
                "\"7o\" is not a whole number",
            ),
            (
                ["--jitter-ms", "lots"],
                "invalid value 'lots' for '--jitter-ms",
            ),
        ] {
            let err = error_of(&flags);
            assert!(err.contains(why), "{flags:?}: {err}");
        }
    }

    #[test]
    fn unknown_or_repeated_regions_are_refused_naming_the_valid_ones() {
        let valid = "the config's regions are: ap-south-1, eu-west-1, us-east-1";
        let err = error_of(&["--rtt", "us-east-9:eu-west-1=70"]);
        assert_eq!(
            err,
            format!("--rtt eu-west-1:us-east-9=70: unknown region \"us-east-9\"; {valid}")
        );
        let err = error_of(&["--region", "mars=10.0.0.1"]);
        assert_eq!(
            err,
            format!("--region mars=10.0.0.1: unknown region \"mars\"; {valid}")
        );
        let err = error_of(&[
            "--region",
            "us-east-1=10.0.0.1",
            "--region",
            "eu-west-1=10.0.0.1",
        ]);
        assert!(err.contains("already given to region us-east-1"), "{err}");
        let err = error_of(&[
            "--rtt",
            "us-east-1:eu-west-1=70",
            "--rtt",
            "eu-west-1:us-east-1=80",
        ]);
        assert!(err.contains("given twice"), "{err}");
    }

    #[test]
    fn set_needs_a_well_formed_rtt() {
        let err = Cli::try_parse_from(["wan-proxy", "set", "--rtt", "a:b"]).unwrap_err();
        assert!(
            err.to_string().contains("expected REGION_A:REGION_B=MS"),
            "{err}"
        );
        let cli =
            Cli::try_parse_from(["wan-proxy", "set", "--admin", "wan:7990", "--rtt", "a:b=5"]);
        assert!(matches!(
            cli.map(|c| c.cmd),
            Ok(WanProxyCommand::Set(SetArgs {
                jitter_ms: None,
                ..
            }))
        ));
    }
}
