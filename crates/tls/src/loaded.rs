//! One loaded set of TLS material and the rustls configurations built from it.

use std::sync::Arc;
use std::time::SystemTime;

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::reload::{ClientAuth, TlsPaths};
use crate::{pem, provider, validity, TlsError};

/// What a port serves, which decides its ALPN protocols and whether it asks for client
/// certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// The gRPC port: ALPN `h2`; client certificates asked for, verified when sent (the node's
    /// peers send theirs; clients need not).
    Grpc,
    /// The RESP TLS port: as configured ([`ClientAuth`]), no ALPN (as redis-server).
    Resp,
    /// The metrics port: HTTP/1.1, no client certificates.
    Metrics,
}

/// The configurations built from one read of the files.
#[derive(Debug)]
pub(crate) struct Loaded {
    grpc: Arc<ServerConfig>,
    resp: Arc<ServerConfig>,
    metrics: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
}

impl Loaded {
    /// Reads and checks the files named by `paths`, as of `now`.
    pub(crate) fn load(
        paths: &TlsPaths,
        resp_auth: ClientAuth,
        now: SystemTime,
    ) -> Result<Loaded, TlsError> {
        let chain = pem::certificates(&paths.cert)?;
        let key = pem::private_key(&paths.key)?;
        let ca_certs = pem::certificates(&paths.ca)?;
        for ca in &ca_certs {
            validity::check(&paths.ca, ca, now)?;
        }
        validity::check(&paths.cert, &chain[0], now)?;
        let roots = Arc::new(pem::roots(&paths.ca)?);
        check_key(paths, &chain, &key)?;
        check_issued_by_ca(paths, &chain, &roots, now)?;
        Ok(Loaded {
            grpc: server_config(&chain, &key, &roots, ClientAuth::Optional, &[b"h2"])?,
            resp: server_config(&chain, &key, &roots, resp_auth, &[])?,
            metrics: server_config(&chain, &key, &roots, ClientAuth::None, &[b"http/1.1"])?,
            client: client_config(chain, key, roots)?,
        })
    }

    pub(crate) fn server(&self, kind: PortKind) -> Arc<ServerConfig> {
        match kind {
            PortKind::Grpc => self.grpc.clone(),
            PortKind::Resp => self.resp.clone(),
            PortKind::Metrics => self.metrics.clone(),
        }
    }

    pub(crate) fn client(&self) -> Arc<ClientConfig> {
        self.client.clone()
    }
}

fn check_key(
    paths: &TlsPaths,
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
) -> Result<(), TlsError> {
    CertifiedKey::from_der(chain.to_vec(), key.clone_key(), &provider())
        .map(|_| ())
        .map_err(|source| TlsError::KeyMismatch {
            cert: paths.cert.clone(),
            key: paths.key.clone(),
            source,
        })
}

/// A node certificate is used both ways (it serves, and it calls its peers), so it must be
/// accepted by a verifier of client certificates rooted at the CA.
fn check_issued_by_ca(
    paths: &TlsPaths,
    chain: &[CertificateDer<'static>],
    roots: &Arc<RootCertStore>,
    now: SystemTime,
) -> Result<(), TlsError> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
        .build()
        .map_err(TlsError::Verifier)?;
    let now = UnixTime::since_unix_epoch(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    verifier
        .verify_client_cert(&chain[0], &chain[1..], now)
        .map(|_| ())
        .map_err(|source| TlsError::NotIssuedByCa {
            cert: paths.cert.clone(),
            ca: paths.ca.clone(),
            source,
        })
}

fn server_config(
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    roots: &Arc<RootCertStore>,
    auth: ClientAuth,
    alpn: &[&[u8]],
) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider());
    let builder = match auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Optional => builder.with_client_cert_verifier(
            verifier
                .allow_unauthenticated()
                .build()
                .map_err(TlsError::Verifier)?,
        ),
        ClientAuth::Required => {
            builder.with_client_cert_verifier(verifier.build().map_err(TlsError::Verifier)?)
        }
    };
    let mut config = builder
        .with_single_cert(chain.to_vec(), key.clone_key())
        .map_err(TlsError::Config)?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn client_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    roots: Arc<RootCertStore>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(TlsError::Verifier)?;
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(chain, key)
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}
