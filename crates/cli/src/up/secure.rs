//! What `meridian up` adds to a deployment file before it starts the nodes: a cluster secret
//! when the file names none (so internal services are never open to outsiders), and with
//! `--tls` a development CA, a certificate per node and a RESP TLS port per node. The result
//! is written to `<data_dir>/up.toml`, the file every node is started with.
//!
//! `meridian docker up --tls` builds its deployment file from the same pieces
//! ([`tls_table`], [`add_resp_tls_ports`], [`ensure_secret`], [`write_deployment`]) with the
//! paths the containers see, and prints its endpoints with [`tls_summary`].

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
        let path = cfg.data_dir.join("cluster-secret");
        ensure_secret(&path)?;
        cfg.security.cluster_secret_file = Some(path);
    }
    if let Some(offset) = tls_resp_offset {
        let dir = certs::default_dir(&cfg);
        certs::write_all(&cfg, &dir, &Issue::nodes_only())?;
        cfg.tls = Some(tls_table(&dir));
        add_resp_tls_ports(&mut cfg, offset)?;
    }
    let path = cfg.data_dir.join("up.toml");
    write_deployment(&cfg, &path)?;
    Ok((path, cfg))
}

/// TLS on every port with the files [`certs::write_all`] writes to `dir` (which may be a path
/// only the nodes see, as in a container).
pub fn tls_table(dir: &Path) -> TlsConfig {
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

/// A RESP TLS port on every node at `resp_port + offset`.
pub fn add_resp_tls_ports(cfg: &mut DeploymentConfig, offset: u16) -> Result<()> {
    for node in cfg.clusters.iter_mut().flat_map(|c| c.nodes.iter_mut()) {
        node.resp_tls_port = Some(node.resp_port.checked_add(offset).with_context(|| {
            format!(
                "node {}: resp_port + --tls-resp-offset is past 65535",
                node.id
            )
        })?);
    }
    Ok(())
}

/// Validates `cfg` and writes it to `path`, the file the nodes are started with.
pub fn write_deployment(cfg: &DeploymentConfig, path: &Path) -> Result<()> {
    cfg.validate().context("the deployment with TLS added")?;
    let text = toml::to_string(cfg).context("writing the deployment file for the nodes")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `path` holds a usable cluster secret: created (owner-only) with a fresh one when missing.
pub fn ensure_secret(path: &Path) -> Result<()> {
    if !path.exists() {
        let secret = ClusterSecret::generate()?;
        certs::write_private(path, &format!("{}\n", secret.expose()))?;
    }
    ClusterSecret::load(path)?;
    Ok(())
}

/// How TLS clients connect: the modes, the CA (a path on this machine) and the RESP TLS
/// endpoints. No key or secret is ever part of it.
pub fn tls_summary(tls: &TlsConfig, ca: &Path, resp: &[String]) -> String {
    format!(
        "TLS: gRPC {:?}, metrics {:?}; CA {ca}\nRESP over TLS (redis-cli --tls --cacert {ca} -p PORT): {}\nmeridian commands: --tls-ca {ca} (or MERIDIAN_TLS_CA) unless they read the deployment file",
        tls.grpc,
        tls.metrics,
        resp.join(" "),
        ca = ca.display(),
    )
}
