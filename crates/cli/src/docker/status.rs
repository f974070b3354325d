//! `meridian docker status`, and the endpoint lookups the other subcommands share: the
//! published host ports of each node, read back from docker.

use anyhow::{bail, Context, Result};
use clap::Args;
use meridian_proto::v1 as pb;

use super::engine::{self, Inspect};
use super::project::{service_of, NodeInfo, Project, WAN_ADMIN, WAN_SERVICE};
use super::tls;
use super::ProjectArgs;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
}

pub async fn run(args: StatusArgs) -> Result<()> {
    let project = Project::open(&args.project.project)?;
    print_endpoints(&project).await?;
    print_tls(&project).await?;
    print_deployment(&project).await?;
    print_wan(&project).await;
    Ok(())
}

/// The proxy's latency table and traffic counters (`wan-proxy show` in its container).
async fn print_wan(project: &Project) {
    let shown = match project.container(WAN_SERVICE).await {
        Ok(wan) if wan.state.status == "running" => {
            engine::docker([
                "exec",
                &wan.id,
                "/meridian",
                "wan-proxy",
                "show",
                "--admin",
                WAN_ADMIN,
            ])
            .await
        }
        Ok(wan) => Err(anyhow::anyhow!("the wan container is {}", wan.state_line())),
        Err(e) => Err(e),
    };
    match shown {
        Ok(text) => print!("\nWAN proxy:\n{text}"),
        Err(e) => println!("\nWAN proxy: {e:#}"),
    }
}

/// A node with its container, if it has one.
pub struct Placed {
    pub node: NodeInfo,
    pub container: Option<Inspect>,
}

impl Placed {
    /// `127.0.0.1:<host port>` of the node's gRPC port, when published.
    pub fn grpc(&self) -> Option<String> {
        let port = self.container.as_ref()?.host_port(self.node.grpc_port)?;
        Some(format!("127.0.0.1:{port}"))
    }

    /// `127.0.0.1:<host port>` of the node's RESP port, when published.
    pub fn resp(&self) -> Option<String> {
        let port = self.container.as_ref()?.host_port(self.node.resp_port)?;
        Some(format!("127.0.0.1:{port}"))
    }

    fn usable(&self) -> bool {
        self.container.as_ref().is_some_and(Inspect::healthy)
    }
}

/// Every node of the config with its container. When the containers run with TLS, every
/// gRPC call this process makes from now on trusts the project's CA.
pub async fn placed(project: &Project) -> Result<(Vec<Placed>, Vec<Inspect>)> {
    let containers = project.containers().await?;
    if let Some(ca) = tls::ca_of(&containers) {
        crate::grpc_client::use_ca(&ca);
    }
    let nodes = project
        .nodes()
        .into_iter()
        .map(|node| {
            let container = containers
                .iter()
                .find(|c| service_of(c) == Some(node.service.as_str()))
                .cloned();
            Placed { node, container }
        })
        .collect();
    Ok((nodes, containers))
}

/// Clusters (names) whose network the WAN proxy is not attached to: cut off by `partition`.
pub fn cut_off(project: &Project, containers: &[Inspect]) -> Vec<String> {
    let Some(wan) = containers
        .iter()
        .find(|c| service_of(c) == Some(WAN_SERVICE))
    else {
        return Vec::new();
    };
    let attached = wan.networks();
    project
        .cfg
        .clusters
        .iter()
        .map(|c| c.name.clone())
        .filter(|c| !attached.contains(&project.network(c)))
        .collect()
}

/// A published gRPC endpoint of a healthy node, preferring regions that are not cut off and
/// not in `avoid`; every healthy node of a region answers for the whole deployment.
pub async fn grpc_endpoint(project: &Project, avoid: &[String]) -> Result<String> {
    let (nodes, containers) = placed(project).await?;
    if containers.is_empty() {
        bail!(
            "no containers of project {:?}: start it with `meridian docker up`",
            project.name
        );
    }
    let cut = cut_off(project, &containers);
    let rank = |p: &Placed| {
        (
            cut.contains(&p.node.cluster),
            avoid.contains(&p.node.cluster),
        )
    };
    let mut usable: Vec<&Placed> = nodes.iter().filter(|p| p.usable()).collect();
    usable.sort_by_key(|p| rank(p));
    usable
        .iter()
        .find_map(|p| p.grpc())
        .context("no node is healthy with a published gRPC port; see `meridian docker status`")
}

pub async fn any_grpc_endpoint(project: &Project) -> Result<String> {
    grpc_endpoint(project, &[]).await
}

/// One line per container: node, cluster, region, container, state, host endpoints.
pub async fn print_endpoints(project: &Project) -> Result<()> {
    let (nodes, containers) = placed(project).await?;
    println!(
        "{:<5} {:<8} {:<12} {:<24} {:<20} {:<16} {:<16}",
        "node", "cluster", "region", "container", "state", "resp", "grpc"
    );
    for p in &nodes {
        let (name, state) = match &p.container {
            Some(c) => (c.name.trim_start_matches('/').to_string(), c.state_line()),
            None => ("-".to_string(), "not created".to_string()),
        };
        println!(
            "{:<5} {:<8} {:<12} {:<24} {:<20} {:<16} {:<16}",
            p.node.id,
            p.node.cluster,
            p.node.region,
            name,
            state,
            p.resp().unwrap_or_else(|| "-".into()),
            p.grpc().unwrap_or_else(|| "-".into())
        );
    }
    if let Some(wan) = containers
        .iter()
        .find(|c| service_of(c) == Some(WAN_SERVICE))
    {
        println!(
            "{:<5} {:<8} {:<12} {:<24} {:<20}",
            "-",
            "wan",
            "(all)",
            wan.name.trim_start_matches('/'),
            wan.state_line()
        );
    }
    let cut = cut_off(project, &containers);
    if !cut.is_empty() {
        println!(
            "cut off from the other regions: {} (`meridian docker heal` reconnects)",
            cut.join(", ")
        );
    }
    Ok(())
}

/// When the containers run with TLS: the CA, the RESP TLS endpoints and how to connect.
pub async fn print_tls(project: &Project) -> Result<()> {
    let (nodes, containers) = placed(project).await?;
    let Some(ca) = tls::ca_of(&containers) else {
        return Ok(());
    };
    let resp: Vec<String> = nodes
        .iter()
        .filter_map(|p| p.container.as_ref().and_then(tls::resp_tls))
        .collect();
    println!("\n{}", tls::summary(&ca, &resp));
    Ok(())
}

/// Clusters and global datastores, as a healthy node sees them.
pub async fn print_deployment(project: &Project) -> Result<()> {
    let endpoint = match any_grpc_endpoint(project).await {
        Ok(e) => e,
        Err(e) => {
            println!("\n{e:#}");
            return Ok(());
        }
    };
    match crate::cluster::fetch(&endpoint, None).await {
        Ok(r) => println!("\n{}", crate::cluster::render_table(&r)),
        Err(e) => println!("\nclusters: {e:#}"),
    }
    match describe_global(&endpoint).await {
        Ok(r) if r.datastores.is_empty() => println!("no global datastores"),
        Ok(r) => print!("{}", crate::global_render::render_table(&r.datastores)),
        Err(e) => println!("global datastores: {e:#}"),
    }
    Ok(())
}

async fn describe_global(endpoint: &str) -> Result<pb::DescribeGlobalDatastoresResponse> {
    let mut c = crate::global::connect_endpoint(endpoint).await?;
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        c.describe(pb::DescribeGlobalDatastoresRequest { id: String::new() }),
    )
    .await
    .with_context(|| format!("{endpoint} did not describe the datastores within 10 s"))?
    .with_context(|| format!("asking {endpoint} to describe the global datastores"))?;
    Ok(r.into_inner())
}
