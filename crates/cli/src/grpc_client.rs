//! How the `meridian` commands reach a node's gRPC port: plaintext, or TLS trusting the
//! deployment's CA when the deployment file has a `[tls]` table whose gRPC port speaks TLS
//! (or `--tls-ca` names a CA). One place decides, for every command.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use meridian_config::DeploymentConfig;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

static CA: OnceLock<PathBuf> = OnceLock::new();

/// Trust `ca` for every gRPC connection this process makes (the first call wins).
pub fn use_ca(ca: &Path) {
    let _ = CA.set(ca.to_path_buf());
}

/// Trust the CA of `cfg` when its nodes' gRPC ports speak TLS.
pub fn use_config(cfg: &DeploymentConfig) {
    if let Some(tls) = cfg.tls.as_ref().filter(|t| t.grpc.accepts_tls()) {
        use_ca(&tls.ca);
    }
}

/// An endpoint for the node at `addr` (`host:port`).
pub fn endpoint(addr: &str) -> Result<Endpoint> {
    let Some(ca) = CA.get() else {
        return Endpoint::from_shared(format!("http://{addr}"))
            .with_context(|| format!("{addr:?} is not a host:port"));
    };
    let pem = std::fs::read_to_string(ca)
        .with_context(|| format!("reading the CA certificate {}", ca.display()))?;
    let host = addr
        .rsplit_once(':')
        .map_or(addr, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(pem))
        .domain_name(host);
    Endpoint::from_shared(format!("https://{addr}"))
        .with_context(|| format!("{addr:?} is not a host:port"))?
        .tls_config(tls)
        .with_context(|| format!("TLS settings for {addr}"))
}
