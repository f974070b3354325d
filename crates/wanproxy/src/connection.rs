//! One accepted connection: classify it (source region from the local address, destination
//! region from the route), connect to the target, and relay both directions with delays.
//!
//! Closing: a half-close travels through (see `pipe`); an I/O error on either socket, or
//! a target that cannot be reached, resets both sockets, so the far side sees an error rather
//! than a clean end of stream; stopping the proxy drops every connection.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, Instrument};

use crate::pipe::{pipe, DelaySource};
use crate::shared::Shared;
use crate::traffic::{LinkCounters, UNMAPPED};
use crate::{RegionPair, Route};

/// Serves one accepted connection until both directions have ended, an error, or `cancel`.
pub(crate) async fn serve(
    client: TcpStream,
    peer: SocketAddr,
    route: Arc<Route>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let source = shared.source_region(&client);
    let from = source.as_deref().unwrap_or(UNMAPPED).to_string();
    let span = tracing::debug_span!("conn", route = %route.name, %peer, from = %from, to = %route.target_region);
    async move {
        // Same region (or unmapped): no pair, no delay.
        let pair = source
            .as_deref()
            .and_then(|s| RegionPair::new(s, &route.target_region).ok());
        let open = shared.traffic.open(&from, &route.target_region);
        let delay = DelaySource {
            table: Arc::clone(&shared.table),
            pair,
        };
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = connect_and_relay(client, &route, &shared, &delay, open.counters()) => {}
        }
    }
    .instrument(span)
    .await
}

async fn connect_and_relay(
    mut client: TcpStream,
    route: &Route,
    shared: &Shared,
    delay: &DelaySource,
    counters: &LinkCounters,
) {
    let mut server = match connect(route, shared).await {
        Ok(server) => server,
        Err(e) => {
            info!(target_addr = %route.target, error = %e, "target unreachable; resetting the caller");
            reset(&client);
            return;
        }
    };
    if let Err(e) = set_nodelay(&client, &server) {
        debug!(error = %e, "setting TCP_NODELAY failed");
    }
    let result = relay(&mut client, &mut server, delay, shared, counters).await;
    if let Err(e) = result {
        debug!(error = %e, "connection failed; resetting both sides");
        reset(&client);
        reset(&server);
    }
}

async fn connect(route: &Route, shared: &Shared) -> io::Result<TcpStream> {
    match tokio::time::timeout(shared.connect_timeout, TcpStream::connect(&route.target)).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no connection within {:?}", shared.connect_timeout),
        )),
    }
}

fn set_nodelay(client: &TcpStream, server: &TcpStream) -> io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)
}

/// Both directions at once; the first error ends both.
async fn relay(
    client: &mut TcpStream,
    server: &mut TcpStream,
    delay: &DelaySource,
    shared: &Shared,
    counters: &LinkCounters,
) -> io::Result<()> {
    let (client_read, client_write) = client.split();
    let (server_read, server_write) = server.split();
    let buffer = shared.buffer_bytes;
    tokio::try_join!(
        pipe(
            client_read,
            server_write,
            delay,
            buffer,
            &counters.bytes_out
        ),
        pipe(
            server_read,
            client_write,
            delay,
            buffer,
            &counters.bytes_back
        ),
    )?;
    Ok(())
}

/// Closes with RST when the socket is dropped (zero linger never blocks), so the peer sees an
/// error instead of an orderly end of stream.
fn reset(stream: &TcpStream) {
    if let Err(e) = stream.set_zero_linger() {
        debug!(error = %e, "setting zero linger failed");
    }
}
