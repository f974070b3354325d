//! `WanProxyError`: everything the proxy, its admin server and the admin client refuse or fail at.

use std::io;
use std::net::SocketAddr;

/// Errors of the WAN proxy. Configuration errors name the bad value and, where there is a
/// fixed set of good ones, list them. Socket errors are the `source`, not part of the
/// message: print with `{:#}` (anyhow) or walk `source()` for the whole line.
#[derive(Debug, thiserror::Error)]
pub enum WanProxyError {
    /// A region pair named the same region twice (same-region traffic is never delayed).
    #[error("region pair {region}:{region} names one region twice; a pair needs two regions")]
    SameRegionPair { region: String },
    /// A region pair did not have the form `A:B`.
    #[error("region pair {input:?} is not of the form REGION_A:REGION_B")]
    MalformedPair { input: String },
    /// A region that no route, local address or latency entry knows.
    #[error("unknown region {region:?}; known regions: {}", valid.join(", "))]
    UnknownRegion { region: String, valid: Vec<String> },
    /// The configuration has no route to proxy.
    #[error("no routes: the proxy needs at least one listen port")]
    NoRoutes,
    /// Two routes listen on the same port.
    #[error("listen port {port} is used by two routes ({first} and {second})")]
    DuplicatePort {
        port: u16,
        first: String,
        second: String,
    },
    /// The per-direction buffer cannot hold one read chunk.
    #[error("buffer of {bytes} bytes per direction is outside {min}..={max}")]
    BufferSize {
        bytes: usize,
        min: usize,
        max: usize,
    },
    /// Binding a route or admin listener failed (typically: port in use).
    #[error("binding {addr} ({what})")]
    Bind {
        addr: SocketAddr,
        what: String,
        #[source]
        source: io::Error,
    },
    /// Talking to an admin endpoint failed at the socket level.
    #[error("talking to the admin endpoint {addr}")]
    AdminIo {
        addr: String,
        #[source]
        source: io::Error,
    },
    /// An admin request line could not be parsed (server side) or a reply was not JSON.
    #[error("admin protocol: {0}")]
    AdminProtocol(String),
    /// The admin endpoint refused a request; the text is the server's.
    #[error("the admin endpoint refused the request: {0}")]
    AdminRefused(String),
}

impl WanProxyError {
    /// Whether an admin `SET` that failed with this error certainly changed nothing. A socket
    /// error or an unreadable reply may come after the server applied the change; re-sending
    /// the same `SET` is harmless either way (it is idempotent).
    pub fn nothing_changed(&self) -> bool {
        !matches!(
            self,
            WanProxyError::AdminIo { .. } | WanProxyError::AdminProtocol(_)
        )
    }
}
