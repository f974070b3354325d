//! The gRPC edge of a node or a witness: one tonic server, message size limits applied in one
//! place, served on a listener bound before (tests bind port 0), stopped by cancelling it.
//!
//! ```text
//!  GrpcEdgeBuilder::new(max_message_bytes)
//!    .service(health)            tonic's own limits (small control messages)
//!    .limited(KeyValue…)         decoding and encoding bounded by max_message_bytes
//!    .internal(RaftTransport…, guard)   bounded, and only the deployment's nodes may call
//!    .serve(listener, port, span) ─► GrpcEdge: one task; TLS handshakes on their own tasks;
//!                                    accepted connections severable
//!  GrpcEdge::stop(drain): stop accepting → graceful drain → cut what is left (grpc_incoming)
//! ```

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::response::IntoResponse;
use meridian_coord::grpc::CoordForwardServer;
use meridian_coord::CoordForwardService;
use meridian_proto::internal::raft_transport_server::RaftTransportServer;
use meridian_proto::internal::region_forward_server::RegionForwardServer;
use meridian_proto::v1::key_value_server::KeyValueServer;
use meridian_region::RegionForwardService;
use meridian_shipping::{ShippingServer, ShippingService};
use meridian_transport::RaftTransportService;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::codegen::http::Request;
use tonic::codegen::Service;
use tonic::server::NamedService;
use tonic::service::Routes;
use tracing::{warn, Instrument, Span};

use crate::internal_auth::InternalGuard;
use crate::kv_service::KeyValueService;
use meridian_tls::{Incoming, PortSecurity};
use tonic::service::interceptor::InterceptedService;

/// How long [`GrpcEdge::stop`] waits for the server task once the connections are cut.
const CUT_GRACE: Duration = Duration::from_secs(3);

/// Generated servers whose messages the edge bounds (they carry keys, values, log entries and
/// snapshots; the other services exchange small control messages).
pub(crate) trait MessageLimits {
    /// Bounds decoded and encoded messages to `max` bytes.
    fn limit_messages(self, max: usize) -> Self;
}

macro_rules! message_limits {
    ($($server:ty),* $(,)?) => {$(
        impl MessageLimits for $server {
            fn limit_messages(self, max: usize) -> Self {
                self.max_decoding_message_size(max)
                    .max_encoding_message_size(max)
            }
        }
    )*};
}

message_limits!(
    KeyValueServer<KeyValueService>,
    CoordForwardServer<CoordForwardService>,
    RaftTransportServer<RaftTransportService>,
    RegionForwardServer<RegionForwardService>,
    ShippingServer<ShippingService>,
);

/// The services of a gRPC edge, before it serves.
pub(crate) struct GrpcEdgeBuilder {
    max_message_bytes: usize,
    routes: Routes,
}

impl GrpcEdgeBuilder {
    /// An edge whose [`GrpcEdgeBuilder::limited`] services take messages of at most
    /// `max_message_bytes`.
    pub(crate) fn new(max_message_bytes: usize) -> GrpcEdgeBuilder {
        GrpcEdgeBuilder {
            max_message_bytes,
            routes: Routes::default(),
        }
    }

    /// Adds a service with tonic's default message limits.
    pub(crate) fn service<S>(mut self, svc: S) -> GrpcEdgeBuilder
    where
        S: Service<Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: IntoResponse,
        S::Future: Send + 'static,
    {
        self.routes = self.routes.add_service(svc);
        self
    }

    /// Adds a service whose messages are bounded by the edge's limit.
    pub(crate) fn limited<S>(self, svc: S) -> GrpcEdgeBuilder
    where
        S: MessageLimits
            + Service<Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: IntoResponse,
        S::Future: Send + 'static,
    {
        let max = self.max_message_bytes;
        self.service(svc.limit_messages(max))
    }

    /// Adds an internal service (only the deployment's nodes may call it: `guard` refuses
    /// anyone else before the service sees the call), its messages bounded by the edge's limit.
    pub(crate) fn internal<S>(self, svc: S, guard: &InternalGuard) -> GrpcEdgeBuilder
    where
        S: MessageLimits
            + Service<
                Request<Body>,
                Response = tonic::codegen::http::Response<Body>,
                Error = Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let max = self.max_message_bytes;
        let guarded = InterceptedService::new(svc.limit_messages(max), guard.clone());
        self.service(guarded)
    }

    /// Serves on `listener` (TLS, plaintext or both, as `port` says) in a task running inside
    /// `span` (which names the node), until [`GrpcEdge::stop`] or [`GrpcEdge::kill`].
    pub(crate) fn serve(
        self,
        listener: TcpListener,
        port: PortSecurity,
        span: Span,
    ) -> io::Result<GrpcEdge> {
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let cut = CancellationToken::new();
        let accepted = span.in_scope(|| Incoming::new(listener, port))?;
        let incoming = crate::grpc_incoming::incoming(accepted, cut.clone());
        let server = tonic::transport::Server::builder().add_routes(self.routes);
        let stop = cancel.clone();
        let task = tokio::spawn(
            async move {
                if let Err(e) = server
                    .serve_with_incoming_shutdown(incoming, stop.cancelled())
                    .await
                {
                    warn!(error = %e, "gRPC server failed");
                }
            }
            .instrument(span.clone()),
        );
        Ok(GrpcEdge {
            addr,
            span,
            cancel,
            cut,
            task,
        })
    }
}

/// A serving gRPC edge. Dropping it without [`GrpcEdge::stop`] or [`GrpcEdge::kill`] leaves
/// the server running.
pub(crate) struct GrpcEdge {
    addr: SocketAddr,
    span: Span,
    /// Stops accepting and starts tonic's graceful drain.
    cancel: CancellationToken,
    /// Severs every accepted connection (see [`crate::grpc_incoming`]).
    cut: CancellationToken,
    task: JoinHandle<()>,
}

impl GrpcEdge {
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and lets requests in flight finish for up to `drain`; connections still
    /// open then (peers keep their channels) are cut, and the server gets a little longer to
    /// end.
    pub(crate) async fn stop(self, drain: Duration) {
        let GrpcEdge {
            span,
            cancel,
            cut,
            mut task,
            ..
        } = self;
        async move {
            cancel.cancel();
            if tokio::time::timeout(drain, &mut task).await.is_err() {
                warn!(
                    drain_ms = drain.as_millis(),
                    "gRPC connections did not drain in time; closing them"
                );
                cut.cancel();
                if tokio::time::timeout(CUT_GRACE, task).await.is_err() {
                    warn!("gRPC server did not stop after its connections were closed");
                }
            }
            cut.cancel();
        }
        .instrument(span)
        .await;
    }

    /// Drops every connection at once and ends the server (a crash stand-in for tests).
    pub(crate) fn kill(self) {
        self.cancel.cancel();
        self.cut.cancel();
        self.task.abort();
    }
}
