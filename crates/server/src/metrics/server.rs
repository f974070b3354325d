//! `MetricsServer`: HTTP/1.1 on the metrics port. `GET /metrics` answers the registry in the
//! Prometheus text format; any other path is 404 and any other method on it 405.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus::{Registry, TextEncoder, TEXT_FORMAT};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::MetricsError;

/// Scrapers are few; past this many open connections new ones are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// A client that has not sent its request headers by then is disconnected.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`MetricsServer::stop`] lets in-flight responses finish before aborting them.
const DRAIN: Duration = Duration::from_secs(2);

/// A running metrics endpoint. Stop it with [`MetricsServer::stop`].
pub struct MetricsServer {
    addr: SocketAddr,
    registry: Registry,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Serves a new, empty registry on `listener` (already bound, so tests can use port 0);
    /// add collectors through [`MetricsServer::registry`].
    pub(crate) fn spawn(listener: TcpListener) -> Result<MetricsServer, MetricsError> {
        let registry = Registry::new();
        let addr = listener.local_addr().map_err(MetricsError::Listener)?;
        let cancel = CancellationToken::new();
        let task = tokio::spawn(accept_loop(listener, registry.clone(), cancel.clone()));
        info!(metrics = %addr, "metrics listener started");
        Ok(MetricsServer {
            addr,
            registry,
            cancel,
            task,
        })
    }

    /// Where `GET /metrics` is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// This node's registry (never the global one: several nodes share a test process).
    /// Scrapes gather whatever is registered here, whenever it was registered.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Stops accepting, lets in-flight responses finish (up to 2 s, then aborts them) and
    /// returns once every connection is gone, so no collector outlives the node's groups.
    pub async fn stop(self) {
        self.cancel.cancel();
        if tokio::time::timeout(DRAIN + Duration::from_secs(3), self.task)
            .await
            .is_err()
        {
            warn!(metrics = %self.addr, "metrics listener did not stop within 5s");
        }
    }
}

async fn accept_loop(listener: TcpListener, registry: Registry, cancel: CancellationToken) {
    let mut conns = JoinSet::new();
    let mut backoff = Duration::from_millis(1);
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = Duration::from_millis(1);
                stream
            }
            Err(e) => {
                // Out of file descriptors and similar: back off instead of spinning.
                warn!(error = %e, "accepting a metrics connection failed");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        if conns.len() >= MAX_CONNECTIONS {
            debug!("too many metrics connections; closing a new one");
            continue;
        }
        conns.spawn(serve_connection(stream, registry.clone(), cancel.clone()));
    }
    drop(listener);
    let drained =
        tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        debug!("metrics connections still open after the drain; aborting them");
    }
    conns.shutdown().await;
}

/// Serves one connection until the client closes it or the server stops (then the response
/// in flight, if any, is finished and the connection closed).
async fn serve_connection(stream: TcpStream, registry: Registry, cancel: CancellationToken) {
    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
        let response = respond(&registry, &req);
        async move { Ok::<_, Infallible>(response) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        debug!(error = %e, "metrics connection ended with an error");
    }
}

/// Routes one request: the whole HTTP surface of the endpoint.
fn respond<B>(registry: &Registry, req: &Request<B>) -> Response<String> {
    if req.uri().path() != "/metrics" {
        return plain(
            StatusCode::NOT_FOUND,
            "not found; metrics are at /metrics\n",
        );
    }
    if req.method() != Method::GET {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    match TextEncoder::new().encode_to_string(&registry.gather()) {
        Ok(body) => {
            let mut r = Response::new(body);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
            r
        }
        Err(e) => {
            warn!(error = %e, "encoding metrics failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics\n")
        }
    }
}

fn plain(status: StatusCode, body: &'static str) -> Response<String> {
    let mut r = Response::new(body.to_string());
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
