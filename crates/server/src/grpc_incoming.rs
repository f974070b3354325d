//! Accepted gRPC connections that a node can sever all at once (the metrics endpoint severs
//! its connections the same way).
//!
//! tonic serves every connection on its own task, and a graceful shutdown waits for the
//! peer to finish. Peers of a node (other Meridian nodes) keep their channels open, so
//! without a way to cut them the connection tasks — and the services and storage they
//! hold — outlive the node. [`incoming`] wraps each accepted stream so that cancelling one
//! token fails every read and write, the way a crashed process's sockets would.
//!
//! Connections arrive from a [`meridian_tls::Incoming`], with their TLS handshake (if the
//! port speaks TLS) already done on a task of its own; what the handshake proved about the
//! caller reaches every request as its [`PeerInfo`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use meridian_tls::{Incoming, MaybeTls};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_stream::Stream;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::transport::server::Connected;

use crate::internal_auth::PeerInfo;

/// The connections of `incoming` (Nagle's algorithm off: votes, heartbeats and replies are
/// small and must not wait), each severed when `cut` is cancelled.
pub(crate) fn incoming(
    incoming: Incoming,
    cut: CancellationToken,
) -> impl Stream<Item = io::Result<Severable>> {
    futures::stream::unfold((incoming, cut), |(mut incoming, cut)| async move {
        let (stream, _) = incoming.accept().await?;
        let conn = Severable::new(stream, &cut);
        Some((Ok(conn), (incoming, cut)))
    })
}

/// A connection whose reads and writes fail once its token is cancelled.
pub(crate) struct Severable {
    inner: MaybeTls<TcpStream>,
    cut: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Severable {
    /// `stream`, failing every read and write once `cut` is cancelled.
    pub(crate) fn new(stream: MaybeTls<TcpStream>, cut: &CancellationToken) -> Severable {
        Severable {
            cut: Box::pin(cut.clone().cancelled_owned()),
            inner: stream,
        }
    }

    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        match self.cut.as_mut().poll(cx) {
            Poll::Ready(()) => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the node stopped",
            )),
            Poll::Pending => Ok(()),
        }
    }
}

impl AsyncRead for Severable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Severable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl Connected for Severable {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        PeerInfo {
            remote: self.inner.get_ref().peer_addr().ok(),
            tls: self.inner.is_tls(),
            node: self.inner.peer_node(),
        }
    }
}
