use std::path::PathBuf;

/// Why TLS material could not be loaded or a certificate could not be made. Every variant
/// names the file at fault; none carries key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid PEM: {source}", path.display())]
    Pem {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("{} holds no {what}", path.display())]
    Missing { path: PathBuf, what: &'static str },
    #[error("{} is not a readable X.509 certificate: {reason}", path.display())]
    Certificate { path: PathBuf, reason: String },
    #[error("the private key {} does not belong to the certificate {}: {source}", key.display(), cert.display())]
    KeyMismatch {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("the certificate {} expired at {not_after}", path.display())]
    Expired { path: PathBuf, not_after: String },
    #[error("the certificate {} is not valid before {not_before}", path.display())]
    NotYetValid { path: PathBuf, not_before: String },
    #[error("the certificate {} is not accepted by the CA in {} (a node certificate must be issued by the deployment's CA for server and client authentication): {source}", cert.display(), ca.display())]
    NotIssuedByCa {
        cert: PathBuf,
        ca: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("cannot build a TLS configuration: {0}")]
    Config(#[source] rustls::Error),
    #[error("cannot build a certificate verifier: {0}")]
    Verifier(#[source] rustls::server::VerifierBuilderError),
    #[error("cannot generate a certificate: {0}")]
    Generate(#[source] rcgen::Error),
}
