//! One deployment: the repository it is run from, the topology of its config, and the
//! containers of its compose project. Node and region names given on the command line are
//! resolved here, with an error that lists the valid ones.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use meridian_config::DeploymentConfig;

use super::engine::{self, Inspect};

/// Relative to the repository root.
pub const COMPOSE_FILE: &str = "docker/compose.yml";
pub const DOCKERFILE: &str = "docker/Dockerfile";
pub const CONFIG_FILE: &str = "cluster-configs/docker.toml";
/// The compose service of the WAN proxy.
pub const WAN_SERVICE: &str = "wan";
/// The proxy's admin address inside its container.
pub const WAN_ADMIN: &str = "127.0.0.1:7990";

/// A node of the config, named after its container's service (= its `host`).
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: u64,
    pub service: String,
    pub cluster: String,
    pub region: String,
    pub grpc_port: u16,
    pub resp_port: u16,
}

/// A project: the repository, the parsed config and the project name.
pub struct Project {
    pub name: String,
    pub root: PathBuf,
    pub cfg: DeploymentConfig,
}

impl Project {
    pub fn open(name: &str) -> Result<Project> {
        check_project_name(name)?;
        let root = repo_root()?;
        let path = root.join(CONFIG_FILE);
        let cfg =
            DeploymentConfig::open(&path).with_context(|| format!("loading {}", path.display()))?;
        Ok(Project {
            name: name.to_string(),
            root,
            cfg,
        })
    }

    pub fn compose_file(&self) -> PathBuf {
        self.root.join(COMPOSE_FILE)
    }

    /// `-p NAME -f docker/compose.yml`, the start of every compose command line.
    pub fn compose_args(&self) -> Vec<String> {
        vec![
            "-p".into(),
            self.name.clone(),
            "-f".into(),
            self.compose_file().display().to_string(),
        ]
    }

    pub fn nodes(&self) -> Vec<NodeInfo> {
        self.cfg
            .clusters
            .iter()
            .flat_map(|c| {
                c.nodes.iter().map(|n| NodeInfo {
                    id: n.id,
                    service: n.host.clone(),
                    cluster: c.name.clone(),
                    region: c.region.clone(),
                    grpc_port: n.grpc_port,
                    resp_port: n.resp_port,
                })
            })
            .collect()
    }

    /// `use1-2`, `2` → that node; anything else is an error listing the valid names.
    pub fn node(&self, name: &str) -> Result<NodeInfo> {
        let nodes = self.nodes();
        let found = nodes
            .iter()
            .find(|n| n.service == name || n.id.to_string() == name);
        match found {
            Some(n) => Ok(n.clone()),
            None => {
                let valid: Vec<_> = nodes
                    .iter()
                    .map(|n| format!("{} ({})", n.service, n.id))
                    .collect();
                bail!("no node {name:?}; the nodes are {}", valid.join(", "))
            }
        }
    }

    /// The compose service of a node name, or of `wan`.
    pub fn service(&self, name: &str) -> Result<String> {
        if name == WAN_SERVICE {
            return Ok(WAN_SERVICE.to_string());
        }
        self.node(name)
            .map(|n| n.service)
            .map_err(|e| anyhow::anyhow!("{e}, or {WAN_SERVICE} (the WAN proxy)"))
    }

    /// `use1` or `us-east-1` → (cluster, region); the cluster is also the name of the region's
    /// network in compose.yml.
    pub fn region(&self, name: &str) -> Result<(String, String)> {
        let found = self
            .cfg
            .clusters
            .iter()
            .find(|c| c.name == name || c.region == name);
        match found {
            Some(c) => Ok((c.name.clone(), c.region.clone())),
            None => {
                let valid: Vec<_> = self
                    .cfg
                    .clusters
                    .iter()
                    .map(|c| format!("{} ({})", c.name, c.region))
                    .collect();
                bail!("no region {name:?}; the regions are {}", valid.join(", "))
            }
        }
    }

    /// Docker's name of a region's network.
    pub fn network(&self, cluster: &str) -> String {
        format!("{}_{cluster}", self.name)
    }

    /// Every container of the project.
    pub async fn containers(&self) -> Result<Vec<Inspect>> {
        engine::project_containers(&self.name).await
    }

    /// The container of a compose service, or an error saying the deployment is not up.
    pub async fn container(&self, service: &str) -> Result<Inspect> {
        let all = self.containers().await?;
        if all.is_empty() {
            bail!(
                "no containers of project {:?}: start it with `meridian docker up`",
                self.name
            );
        }
        all.into_iter()
            .find(|c| service_of(c) == Some(service))
            .with_context(|| {
                format!(
                    "project {:?} has no container for {service}; `meridian docker up` creates it",
                    self.name
                )
            })
    }
}

/// The compose service a container belongs to.
pub fn service_of(c: &Inspect) -> Option<&str> {
    c.label("com.docker.compose.service")
}

/// Compose turns the project name into resource names: keep it to what it keeps unchanged.
fn check_project_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !ok {
        bail!("project name {name:?}: use lower-case letters, digits, - and _ (starting with a letter or digit)");
    }
    Ok(())
}

/// The repository: the first directory from here upwards that holds docker/compose.yml.
pub fn repo_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    find_root(&cwd).with_context(|| {
        format!(
            "{COMPOSE_FILE} not found in {} or above: run `meridian docker` inside the Meridian repository",
            cwd.display()
        )
    })
}

fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(COMPOSE_FILE).is_file() && d.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cfg = DeploymentConfig::open(root.join(CONFIG_FILE)).unwrap();
        Project {
            name: "meridian".into(),
            root,
            cfg,
        }
    }

    #[test]
    fn nodes_and_regions_resolve_by_either_name() {
        let p = project();
        assert_eq!(p.node("euw1-2").unwrap().id, 5);
        assert_eq!(p.node("5").unwrap().service, "euw1-2");
        assert_eq!(p.region("us-east-1").unwrap().0, "use1");
        assert_eq!(p.region("aps1").unwrap().1, "ap-south-1");
        assert_eq!(p.service("wan").unwrap(), "wan");
    }

    #[test]
    fn bad_names_list_the_valid_ones() {
        let p = project();
        let e = p.node("use1-9").unwrap_err().to_string();
        assert!(e.contains("use1-1 (1)") && e.contains("aps1-3 (9)"), "{e}");
        let e = p.region("us-west-2").unwrap_err().to_string();
        assert!(e.contains("euw1 (eu-west-1)"), "{e}");
        assert!(check_project_name("Bad Name").is_err());
    }

    /// compose.yml and docker.toml describe the same nodes: every node's host is a service
    /// that publishes the node's RESP and gRPC ports and runs with its id.
    #[test]
    fn the_compose_file_matches_the_config() {
        let p = project();
        let compose = std::fs::read_to_string(p.compose_file()).unwrap();
        for n in p.nodes() {
            let at = compose
                .find(&format!("\n  {}:\n", n.service))
                .unwrap_or_else(|| panic!("no service {}", n.service));
            let end = compose[at..].find("\n\n").map_or(compose.len(), |e| at + e);
            let block = &compose[at..end];
            assert!(
                block.contains(&format!("MERIDIAN_NODE: \"{}\"", n.id)),
                "{block}"
            );
            assert!(block.contains(&format!(":{}\"", n.resp_port)), "{block}");
            assert!(block.contains(&format!(":{}\"", n.grpc_port)), "{block}");
            assert!(block.contains(&format!("{}:\n", n.cluster)), "{block}");
        }
    }
}
