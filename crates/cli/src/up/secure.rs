//! What `meridian up` adds to a deployment file before it starts the nodes: a cluster secret
//! when the file names none (so internal services are never open to outsiders), and with
//! `--tls` a development CA, a certificate per node and a RESP TLS port per node. The result
//! is written to `<data_dir>/up.toml`, the file every node is started with.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use meridian_config::{ClientCerts, DeploymentConfig, TlsConfig, TlsMode};
use meridian_tls::ClusterSecret;

use crate::certs::{self, Issue};

/// The deployment `up` runs: `cfg` with a cluster secret and, when `tls_resp_offset` is given,
/// TLS on every port (RESP TLS at `resp_port + offset`); written next to the node data.
pub fn prepare(
    cfg: &DeploymentConfig,
    tls_resp_offset: Option<u16>,
) -> Result<(PathBuf, DeploymentConfig)> {
    let mut cfg = cfg.clone();
    if cfg.security.cluster_secret_file.is_none() {
        cfg.security.cluster_secret_file = Some(secret_file(&cfg.data_dir)?);
    }
    if let Some(offset) = tls_resp_offset {
        let dir = certs::default_dir(&cfg);
        let issue = Issue {
            days: 365,
            clients: Vec::new(),
            hosts: Vec::new(),
        };
        certs::write_all(&cfg, &dir, &issue)?;
        cfg.tls = Some(tls_table(&dir));
        for node in cfg.clusters.iter_mut().flat_map(|c| c.nodes.iter_mut()) {
            node.resp_tls_port = Some(node.resp_port.checked_add(offset).with_context(|| {
                format!(
                    "node {}: resp_port + --tls-resp-offset is past 65535",
                    node.id
                )
            })?);
        }
    }
    cfg.validate().context("the deployment with TLS added")?;
    let path = cfg.data_dir.join("up.toml");
    let text = toml::to_string(&cfg).context("writing the deployment file for the nodes")?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok((path, cfg))
}

fn tls_table(dir: &Path) -> TlsConfig {
    TlsConfig {
        ca: dir.join("ca.pem"),
        cert: dir.join("node-{id}.pem"),
        key: dir.join("node-{id}-key.pem"),
        grpc: TlsMode::On,
        internal: None,
        metrics: TlsMode::On,
        resp_client_certs: ClientCerts::Optional,
        reload_interval_ms: 5000,
    }
}

/// `<data_dir>/cluster-secret`, created (owner-only) with a fresh secret when missing.
fn secret_file(data_dir: &Path) -> Result<PathBuf> {
    let path = data_dir.join("cluster-secret");
    if !path.exists() {
        let secret = ClusterSecret::generate()?;
        certs::write_private(&path, &format!("{}\n", secret.expose()))?;
    }
    ClusterSecret::load(&path)?;
    Ok(path)
}
