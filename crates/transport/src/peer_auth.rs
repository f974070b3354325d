//! How a node proves who it is when it calls a peer: its TLS certificate (mutual TLS) on
//! connections that use TLS, and the cluster secret as call metadata where one is configured.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use meridian_tls::rustls_server_name;
use meridian_tls::{secret, ClusterSecret, Tls};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tonic::codegen::http::Uri;
use tonic::codegen::Service;
use tonic::metadata::{AsciiMetadataValue, MetadataKey};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::Channel;

use crate::faults::{dial, Faults};

/// A node's credentials towards its peers.
#[derive(Debug, Clone, Default)]
pub struct PeerCredentials {
    /// TLS with the node's certificate on every connection to a peer, when set.
    pub tls: Option<Tls>,
    /// Sent with every call, when set.
    pub secret: Option<ClusterSecret>,
}

/// A channel to a peer whose calls carry the cluster secret (when there is one).
pub type PeerChannel = InterceptedService<Channel, SecretHeader>;

/// Adds the cluster secret to each call's metadata.
#[derive(Clone)]
pub struct SecretHeader(Option<AsciiMetadataValue>);

impl std::fmt::Debug for SecretHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHeader(<redacted>)")
    }
}

impl SecretHeader {
    pub fn new(secret: Option<&ClusterSecret>) -> SecretHeader {
        SecretHeader(secret.and_then(|s| AsciiMetadataValue::try_from(s.expose()).ok()))
    }
}

impl Interceptor for SecretHeader {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            req.metadata_mut()
                .insert(MetadataKey::from_static(secret::HEADER), value.clone());
        }
        Ok(req)
    }
}

/// Any byte stream a connection can run over (TCP, or the fault network's pipe in tests).
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Opens TLS connections to peers for tonic (`Endpoint::connect_with_connector`), over TCP or
/// through the fault network.
#[derive(Debug, Clone)]
pub struct TlsConnector {
    tls: Tls,
    faults: Option<Faults>,
    timeout: Duration,
}

impl TlsConnector {
    pub fn new(tls: Tls, faults: Option<Faults>, timeout: Duration) -> TlsConnector {
        TlsConnector {
            tls,
            faults,
            timeout,
        }
    }
}

impl Service<Uri> for TlsConnector {
    type Response = TokioIo<TlsStream<Box<dyn Io>>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let connect = this.connect(uri);
            tokio::time::timeout(this.timeout, connect)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))?
        })
    }
}

impl TlsConnector {
    async fn connect(&self, uri: Uri) -> io::Result<TokioIo<TlsStream<Box<dyn Io>>>> {
        let authority = uri.authority().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("no address in {uri}"))
        })?;
        let io: Box<dyn Io> = match &self.faults {
            Some(f) => Box::new(dial(f, authority.as_str()).await?),
            None => {
                let tcp = TcpStream::connect(authority.as_str()).await?;
                tcp.set_nodelay(true)?;
                Box::new(tcp)
            }
        };
        let name = rustls_server_name(authority.host())?;
        let stream = self.tls.connector().connect(name, io).await?;
        Ok(TokioIo::new(stream))
    }
}
