//! The metrics port's connections, as axum accepts them: few at a time (scrapers are few),
//! closed when a client goes quiet, and severable when the node stops.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use meridian_tls::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::grpc_incoming::Severable;

/// Past this many open connections new ones are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// A client that leaves a read waiting this long (it sends no request, or stops halfway
/// through one) is disconnected.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The metrics port's listener: accepts up to [`MAX_CONNECTIONS`] at once, each cut when
/// `cut` is cancelled.
pub(super) struct MetricsListener {
    incoming: Incoming,
    slots: Arc<Semaphore>,
    cut: CancellationToken,
}

impl MetricsListener {
    pub(super) fn new(incoming: Incoming, cut: CancellationToken) -> MetricsListener {
        MetricsListener {
            incoming,
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            cut,
        }
    }
}

impl axum::serve::Listener for MetricsListener {
    type Io = MetricsConnection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (MetricsConnection, SocketAddr) {
        loop {
            // The accept loop behind `incoming` backs off on errors and only ends with it.
            let Some((stream, peer)) = self.incoming.accept().await else {
                std::future::pending::<()>().await;
                continue;
            };
            let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                debug!("too many metrics connections; closing a new one");
                continue;
            };
            let conn = MetricsConnection {
                inner: Severable::new(stream, &self.cut),
                idle: Box::pin(tokio::time::sleep(IDLE_TIMEOUT)),
                waiting: false,
                _slot: slot,
            };
            return (conn, peer);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.incoming.local_addr())
    }
}

/// One accepted connection: holds its slot, and fails a read left waiting for
/// [`IDLE_TIMEOUT`].
pub(super) struct MetricsConnection {
    inner: Severable,
    idle: Pin<Box<Sleep>>,
    /// Whether a read is waiting (then `idle` runs).
    waiting: bool,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for MetricsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if polled.is_ready() {
            this.waiting = false;
            return polled;
        }
        if !this.waiting {
            this.waiting = true;
            this.idle.as_mut().reset(Instant::now() + IDLE_TIMEOUT);
        }
        match this.idle.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the metrics client sent nothing in time",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for MetricsConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
