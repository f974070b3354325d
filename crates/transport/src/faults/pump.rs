//! Connections through a [`FaultNet`]: a TCP stream on one side, an in-memory pipe handed to
//! the caller on the other, and one task per direction that applies the link's rules.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hyper_util::rt::TokioIo;
use meridian_types::NodeId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::codegen::http::Uri;
use tonic::codegen::Service;

use super::{FaultNet, Faults, Passage};

/// Bytes buffered between the caller and the pump, per direction.
const PIPE_BYTES: usize = 256 * 1024;
/// Largest chunk read at once.
const CHUNK_BYTES: usize = 64 * 1024;

/// Opens a connection from `faults.me()` to `addr` through the fault network. Refused at once
/// when the link to the node owning `addr` is cut (nothing was sent); otherwise the returned
/// stream carries bytes under the link's rules until either side closes or a cut severs it.
pub async fn dial(faults: &Faults, addr: &str) -> io::Result<DuplexStream> {
    let me = faults.me;
    let net = faults.net.clone();
    let peer = net.node_at(addr);
    if let Some(peer) = peer.filter(|&p| net.is_cut(me, p)) {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("connection refused: the link from {me} to {peer} is cut"),
        ));
    }
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (caller, pumped) = tokio::io::duplex(PIPE_BYTES);
    let Some(peer) = peer else {
        // Not an endpoint of the deployment: a plain connection.
        tokio::spawn(plain(tcp, pumped));
        return Ok(caller);
    };
    let (tcp_read, tcp_write) = tcp.into_split();
    let (pipe_read, pipe_write) = tokio::io::split(pumped);
    let sever = CancellationToken::new();
    let up = Link {
        net: net.clone(),
        from: me,
        to: peer,
        sever: sever.clone(),
    };
    let down = Link {
        net,
        from: peer,
        to: me,
        sever,
    };
    tokio::spawn(up.carry(pipe_read, tcp_write));
    tokio::spawn(down.carry(tcp_read, pipe_write));
    Ok(caller)
}

async fn plain(mut tcp: TcpStream, mut pumped: DuplexStream) {
    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut pumped).await;
}

/// One direction of one connection.
struct Link {
    net: FaultNet,
    from: NodeId,
    to: NodeId,
    /// Cancelled when either direction is severed: both stop and drop their halves.
    sever: CancellationToken,
}

impl Link {
    /// Reads chunks from `src`, stamps each with its release time, and writes them to `dst`
    /// in order once released and the link lets them pass.
    async fn carry<R, W>(self, src: R, dst: W)
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let sever = self.sever.clone();
        tokio::select! {
            _ = sever.cancelled() => {}
            _ = async { tokio::join!(self.read_into(src, tx), self.write_from(rx, dst)) } => {}
        }
    }

    async fn read_into<R: AsyncRead + Unpin>(
        &self,
        mut src: R,
        tx: mpsc::UnboundedSender<(Instant, Bytes)>,
    ) {
        let mut last = Instant::now();
        // One buffer, split per chunk: a small chunk does not hold a whole buffer of its own.
        let mut buf = BytesMut::with_capacity(CHUNK_BYTES);
        loop {
            buf.reserve(CHUNK_BYTES);
            match src.read_buf(&mut buf).await {
                Ok(0) => return,
                Ok(_) => {
                    last = last.max(Instant::now() + self.net.latency(self.from, self.to));
                    if tx.send((last, buf.split().freeze())).is_err() {
                        return;
                    }
                }
                Err(_) => {
                    self.sever.cancel();
                    return;
                }
            }
        }
    }

    async fn write_from<W: AsyncWrite + Unpin>(
        &self,
        mut rx: mpsc::UnboundedReceiver<(Instant, Bytes)>,
        mut dst: W,
    ) {
        while let Some((release, chunk)) = rx.recv().await {
            tokio::time::sleep_until(release).await;
            if !self.wait_passage().await || dst.write_all(&chunk).await.is_err() {
                self.sever.cancel();
                return;
            }
        }
        let _ = dst.shutdown().await;
    }

    /// Waits while the link holds chunks; false when it severs them.
    async fn wait_passage(&self) -> bool {
        let mut changes = self.net.changes();
        loop {
            changes.borrow_and_update();
            match self.net.passage(self.from, self.to) {
                Passage::Pass => return true,
                Passage::Sever => return false,
                Passage::Hold => {
                    if changes.changed().await.is_err() {
                        return false;
                    }
                }
            }
        }
    }
}

/// Opens tonic channels through the fault network (`Endpoint::connect_with_connector`).
#[derive(Debug, Clone)]
pub struct FaultConnector {
    faults: Faults,
}

impl FaultConnector {
    pub fn new(faults: Faults) -> FaultConnector {
        FaultConnector { faults }
    }
}

impl Service<Uri> for FaultConnector {
    type Response = TokioIo<DuplexStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let faults = self.faults.clone();
        Box::pin(async move {
            let addr = uri
                .authority()
                .map(|a| a.as_str().to_string())
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("no address in {uri}"))
                })?;
            dial(&faults, &addr).await.map(TokioIo::new)
        })
    }
}
