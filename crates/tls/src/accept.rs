//! Accepting connections on a port that speaks TLS, plaintext, or both.
//!
//! The TLS handshake (and, on a port that takes both, the look at the first byte) happens per
//! connection under a deadline, so a client that connects and sends nothing holds no more
//! than its own socket, as long as callers run [`accept`] on a task of its own per connection
//! rather than in their accept loop.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::{identity, PortKind, Tls};

/// The first byte of a TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// What a port accepts.
#[derive(Debug, Clone)]
pub enum PortSecurity {
    /// Plaintext only.
    Plain,
    /// TLS only.
    Tls(Tls, PortKind),
    /// TLS or plaintext, told apart by the client's first byte.
    Both(Tls, PortKind),
}

impl PortSecurity {
    /// `true` unless the port is plaintext only.
    pub fn is_tls(&self) -> bool {
        !matches!(self, PortSecurity::Plain)
    }
}

/// An accepted connection, TLS or not.
#[derive(Debug)]
pub enum MaybeTls<S> {
    Plain(S),
    Tls(Box<TlsStream<S>>),
}

impl<S> MaybeTls<S> {
    /// The underlying connection.
    pub fn get_ref(&self) -> &S {
        match self {
            MaybeTls::Plain(s) => s,
            MaybeTls::Tls(t) => t.get_ref().0,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, MaybeTls::Tls(_))
    }

    /// The certificate chain the client presented (verified against the CA), if any.
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        match self {
            MaybeTls::Plain(_) => None,
            MaybeTls::Tls(t) => t.get_ref().1.peer_certificates(),
        }
    }

    /// The node the client's certificate names, when it is a node of the deployment.
    pub fn peer_node(&self) -> Option<u64> {
        self.peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(identity::node_id)
    }
}

/// Completes the connection's security on `port`: nothing, a TLS handshake, or a look at the
/// first byte and then one of those. Fails after `deadline` if the client is too slow.
pub async fn accept(
    tcp: TcpStream,
    port: &PortSecurity,
    deadline: Duration,
) -> io::Result<MaybeTls<TcpStream>> {
    let handshake = async {
        match port {
            PortSecurity::Plain => Ok(MaybeTls::Plain(tcp)),
            PortSecurity::Tls(tls, kind) => handshake(tcp, tls, *kind).await,
            PortSecurity::Both(tls, kind) => {
                let mut first = [0u8; 1];
                let n = tcp.peek(&mut first).await?;
                if n == 1 && first[0] == TLS_HANDSHAKE_RECORD {
                    handshake(tcp, tls, *kind).await
                } else {
                    Ok(MaybeTls::Plain(tcp))
                }
            }
        }
    };
    tokio::time::timeout(deadline, handshake)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?
}

async fn handshake(tcp: TcpStream, tls: &Tls, kind: PortKind) -> io::Result<MaybeTls<TcpStream>> {
    let stream = tls.acceptor(kind).accept(tcp).await?;
    Ok(MaybeTls::Tls(Box::new(stream)))
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTls<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTls::Tls(t) => Pin::new(t.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTls<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTls::Tls(t) => Pin::new(t.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            MaybeTls::Tls(t) => Pin::new(t.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTls::Plain(s) => s.is_write_vectored(),
            MaybeTls::Tls(t) => t.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTls::Tls(t) => Pin::new(t.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTls::Tls(t) => Pin::new(t.as_mut()).poll_shutdown(cx),
        }
    }
}
