//! A node's TLS and cluster-secret settings, loaded from the deployment file's `[tls]` and
//! `[security]` (the files are read and checked here, so a bad one stops the node at start
//! with a message naming it).

use anyhow::{Context, Result};
use meridian_config::{ClientCerts, DeploymentConfig, TlsMode};
use meridian_server::{NodeSecurity, PeerCredentials};
use meridian_tls::{ClientAuth, ClusterSecret, PortKind, PortSecurity, Tls, TlsPaths};

/// The security of node (or witness) `id`; `resp_tls_addr` is its RESP TLS listener, if any.
pub fn node_security(
    cfg: &DeploymentConfig,
    id: u64,
    resp_tls_addr: Option<String>,
) -> Result<NodeSecurity> {
    let secret = match &cfg.security.cluster_secret_file {
        Some(path) => Some(ClusterSecret::load(path)?),
        None => None,
    };
    let Some(tls_cfg) = &cfg.tls else {
        return Ok(NodeSecurity {
            peers: PeerCredentials { tls: None, secret },
            open_internal_services: cfg.internal_services_open(),
            ..NodeSecurity::default()
        });
    };
    let paths = TlsPaths {
        cert: tls_cfg.cert_path(id),
        key: tls_cfg.key_path(id),
        ca: tls_cfg.ca.clone(),
    };
    let tls = Tls::load(paths, client_auth(tls_cfg.resp_client_certs))
        .with_context(|| format!("loading the TLS files of node {id} ([tls])"))?;
    Ok(NodeSecurity {
        grpc: port(tls_cfg.grpc, &tls, PortKind::Grpc),
        metrics: port(tls_cfg.metrics, &tls, PortKind::Metrics),
        resp_tls: resp_tls_addr.map(|addr| (addr, PortSecurity::Tls(tls.clone(), PortKind::Resp))),
        peers: PeerCredentials {
            tls: cfg.internal_tls().then(|| tls.clone()),
            secret,
        },
        open_internal_services: cfg.internal_services_open(),
        reload: Some((tls, tls_cfg.reload_interval())),
    })
}

fn port(mode: TlsMode, tls: &Tls, kind: PortKind) -> PortSecurity {
    match mode {
        TlsMode::On => PortSecurity::Tls(tls.clone(), kind),
        TlsMode::Both => PortSecurity::Both(tls.clone(), kind),
        TlsMode::Off => PortSecurity::Plain,
    }
}

fn client_auth(certs: ClientCerts) -> ClientAuth {
    match certs {
        ClientCerts::No => ClientAuth::None,
        ClientCerts::Optional => ClientAuth::Optional,
        ClientCerts::Required => ClientAuth::Required,
    }
}
