//! TLS for every Meridian port, with rustls (ring provider; no OpenSSL).
//!
//! A node loads one certificate, its private key and the deployment's CA ([`TlsPaths`]) into a
//! [`Tls`] handle. The handle hands out rustls configurations per kind of port
//! ([`PortKind`]): gRPC (ALPN `h2`, client certificates asked for and verified when sent, so
//! the node's peers can prove who they are on the shared port), RESP (Redis's `tls-port`,
//! client certificates optional or required as configured) and metrics (HTTP/1.1). Outgoing
//! node-to-node connections use [`Tls::client_config`], which presents the node's own
//! certificate (mutual TLS).
//!
//! Certificates are reloaded from disk without a restart: [`Tls::spawn_reloader`] watches
//! the files and swaps in new configurations for connections made after the change; a file
//! that fails to load keeps the previous certificates in use and is reported. Loading checks
//! what an operator gets wrong (a missing or unreadable file, no certificate or key in it, a
//! key that does not belong to the certificate, a certificate outside its validity window or
//! not issued by the CA) and says which file is wrong.
//!
//! Node identity: a node certificate names its node in a URI subject alternative name
//! (`urn:meridian:node:<id>`, see [`identity`]); internal services accept a caller only when
//! its verified certificate carries one. [`devca`] creates a development CA and such
//! certificates (`meridian certs`).

mod accept;
pub mod devca;
mod error;
pub mod identity;
mod incoming;
mod loaded;
mod pem;
mod reload;
pub mod secret;
mod validity;

pub use accept::{accept, MaybeTls, PortSecurity};
pub use error::TlsError;
pub use incoming::{Incoming, HANDSHAKE_DEADLINE};
pub use loaded::PortKind;
pub use reload::{ClientAuth, Tls, TlsPaths};
pub use secret::{ClusterSecret, SecretError};
pub use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The rustls crypto provider every Meridian TLS configuration uses: *ring*. rustls now
/// prefers aws-lc-rs (it adds post-quantum key exchange), but that means building AWS-LC's C
/// sources into the static binary; *ring* keeps the build pure-Rust-and-assembly and offers
/// the same TLS 1.3/1.2 suites.
#[allow(deprecated)]
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests;

/// The name a client checks the server's certificate against, from a URI host (`10.0.0.1`,
/// `[::1]`, `node-1.example`).
pub fn rustls_server_name(host: &str) -> std::io::Result<rustls::pki_types::ServerName<'static>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{host:?} is not a host name or IP address: {e}"),
        )
    })
}
