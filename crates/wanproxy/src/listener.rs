//! The accept loop of one route: every accepted connection is served in its own task until
//! the proxy stops.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::connection;
use crate::shared::Shared;
use crate::Route;

/// Accepts on `listener` until `cancel`, then waits for its connections (which see the same
/// cancellation and drop their sockets at once).
pub(crate) async fn accept_loop(
    listener: TcpListener,
    route: Arc<Route>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let mut conns = JoinSet::new();
    let mut backoff = Duration::from_millis(1);
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(1);
                let (route, shared) = (Arc::clone(&route), Arc::clone(&shared));
                conns.spawn(connection::serve(
                    stream,
                    peer,
                    route,
                    shared,
                    cancel.clone(),
                ));
            }
            Err(e) => {
                // Out of file descriptors and similar: back off instead of spinning.
                warn!(route = %route.name, error = %e, "accepting a connection failed");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}
