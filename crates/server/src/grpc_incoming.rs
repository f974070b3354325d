//! Accepted gRPC connections that a node can sever all at once.
//!
//! tonic serves every connection on its own task, and a graceful shutdown waits for the
//! peer to finish. Peers of a node (other Meridian nodes) keep their channels open, so
//! without a way to cut them the connection tasks — and the services and storage they
//! hold — outlive the node. [`incoming`] wraps each accepted stream so that cancelling one
//! token fails every read and write, the way a crashed process's sockets would.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// The accepted connections of `listener`, with Nagle's algorithm off (votes, heartbeats
/// and replies are small and must not wait), each severed when `cut` is cancelled.
pub(crate) fn incoming(
    listener: TcpListener,
    cut: CancellationToken,
) -> impl Stream<Item = io::Result<Severable>> {
    TcpListenerStream::new(listener).map(move |conn| {
        conn.map(|stream| {
            let _ = stream.set_nodelay(true);
            Severable {
                cut: Box::pin(cut.clone().cancelled_owned()),
                inner: stream,
            }
        })
    })
}

/// A TCP stream whose reads and writes fail once its token is cancelled.
pub(crate) struct Severable {
    inner: TcpStream,
    cut: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Severable {
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
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}
