//! A listener whose connections complete their security (TLS handshake, or the look at the
//! first byte) on tasks of their own, so one slow or silent client never holds up the
//! others.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::{accept, MaybeTls, PortSecurity};

/// How long a client has to complete its TLS handshake.
pub const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

/// Connections whose handshake finished but that nobody took yet, at most.
const READY_BACKLOG: usize = 128;

/// Accepted connections of one port, ready to serve. Dropping it closes the listener.
#[derive(Debug)]
pub struct Incoming {
    ready: mpsc::Receiver<(MaybeTls<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Incoming {
    /// Starts accepting on `listener` (Nagle's algorithm off on every connection). Must be
    /// called inside a tokio runtime.
    pub fn new(listener: TcpListener, port: PortSecurity) -> io::Result<Incoming> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_BACKLOG);
        let task = tokio::spawn(accept_loop(listener, port, tx));
        Ok(Incoming { ready, local, task })
    }

    /// The next connection ready to serve; `None` once the listener has failed for good.
    pub async fn accept(&mut self) -> Option<(MaybeTls<TcpStream>, SocketAddr)> {
        self.ready.recv().await
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

type Ready = mpsc::Sender<(MaybeTls<TcpStream>, SocketAddr)>;

async fn accept_loop(listener: TcpListener, port: PortSecurity, ready: Ready) {
    let mut backoff = Duration::from_millis(1);
    loop {
        let accepted = tokio::select! {
            _ = ready.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => {
                backoff = Duration::from_millis(1);
                pair
            }
            Err(e) => {
                // Out of file descriptors and similar: back off instead of spinning.
                warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        match &port {
            PortSecurity::Plain => {
                if ready.send((MaybeTls::Plain(tcp), peer)).await.is_err() {
                    return;
                }
            }
            secured => {
                tokio::spawn(secure(tcp, peer, secured.clone(), ready.clone()));
            }
        }
    }
}

async fn secure(tcp: TcpStream, peer: SocketAddr, port: PortSecurity, ready: Ready) {
    match accept(tcp, &port, HANDSHAKE_DEADLINE).await {
        Ok(stream) => {
            let _ = ready.send((stream, peer)).await;
        }
        Err(e) => debug!(%peer, error = %e, "a connection failed its TLS handshake"),
    }
}
