//! `MetricsServer`: HTTP/1.1 on the metrics port, served by axum. `GET /metrics` answers the
//! registry in the Prometheus text format; any other path is 404 and any other method on it 405
//! (HEAD included: the endpoint is for scrapers, which GET).

use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use axum::http::{Method, Request, Response, StatusCode};
use axum::Router;
use prometheus::{Registry, TextEncoder, TEXT_FORMAT};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument, Span};

use super::listener::MetricsListener;
use super::MetricsError;

/// How long [`MetricsServer::stop`] lets in-flight responses finish before closing the
/// connections still open.
const DRAIN: Duration = Duration::from_secs(2);
/// How long [`MetricsServer::stop`] then waits for the closed connections to end.
const CUT_GRACE: Duration = Duration::from_secs(3);

/// A running metrics endpoint. Stop it with [`MetricsServer::stop`].
pub struct MetricsServer {
    addr: SocketAddr,
    registry: Registry,
    scraped: Scraped,
    cancel: CancellationToken,
    /// Closes the connections that outlive the drain (see [`crate::grpc_incoming`]).
    cut: CancellationToken,
    task: JoinHandle<()>,
}

/// The registry scrapes read. [`MetricsServer::stop`] empties it, so a connection task that
/// is still being dropped holds no collector (collectors hold the node's groups).
#[derive(Clone, Default)]
struct Scraped(Arc<RwLock<Option<Registry>>>);

impl Scraped {
    fn registry(&self) -> Registry {
        let held = self.0.read().unwrap_or_else(PoisonError::into_inner);
        held.clone().unwrap_or_default()
    }

    fn clear(&self) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

impl MetricsServer {
    /// [`MetricsServer::spawn_in`] a span that names no node.
    #[cfg(test)]
    pub(crate) fn spawn(listener: TcpListener) -> Result<MetricsServer, MetricsError> {
        let plain = meridian_tls::PortSecurity::Plain;
        Self::spawn_in(listener, plain, tracing::info_span!("metrics_server"))
    }

    /// Serves a new, empty registry on `listener` (already bound, so tests can use port 0;
    /// HTTPS, HTTP or both as `port` says) in a task running inside `span` (which names the
    /// node); add collectors through [`MetricsServer::registry`].
    pub(crate) fn spawn_in(
        listener: TcpListener,
        port: meridian_tls::PortSecurity,
        span: Span,
    ) -> Result<MetricsServer, MetricsError> {
        let registry = Registry::new();
        let addr = listener.local_addr().map_err(MetricsError::Listener)?;
        let incoming = span
            .in_scope(|| meridian_tls::Incoming::new(listener, port))
            .map_err(MetricsError::Listener)?;
        let scraped = Scraped(Arc::new(RwLock::new(Some(registry.clone()))));
        let cancel = CancellationToken::new();
        let cut = CancellationToken::new();
        let app = Router::new().fallback(scrape).with_state(scraped.clone());
        let serve = axum::serve(MetricsListener::new(incoming, cut.clone()), app)
            .with_graceful_shutdown(cancel.clone().cancelled_owned());
        let task = tokio::spawn(
            async move {
                if let Err(e) = serve.await {
                    warn!(error = %e, "metrics server failed");
                }
            }
            .instrument(span),
        );
        info!(metrics = %addr, "metrics listener started");
        Ok(MetricsServer {
            addr,
            registry,
            scraped,
            cancel,
            cut,
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

    /// Stops accepting, lets in-flight responses finish (up to 2 s, then closes their
    /// connections) and returns once every connection is gone, so no collector outlives the
    /// node's groups.
    pub async fn stop(self) {
        self.cancel.cancel();
        let mut task = self.task;
        if tokio::time::timeout(DRAIN, &mut task).await.is_err() {
            debug!("metrics connections still open after the drain; closing them");
            self.cut.cancel();
            if tokio::time::timeout(CUT_GRACE, task).await.is_err() {
                warn!(metrics = %self.addr, "metrics listener did not stop within 5s");
            }
        }
        self.scraped.clear();
    }
}

/// The one handler: every request goes through [`respond`].
async fn scrape(State(scraped): State<Scraped>, req: axum::extract::Request) -> Response<String> {
    respond(&scraped.registry(), &req)
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
