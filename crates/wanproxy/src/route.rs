//! `Route`: one listen port of the proxy and where its connections go.

/// Connections accepted on `listen_port` are forwarded to `target`, which lives in
/// `target_region`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// A name for logs, e.g. `"node 4 (euw1)"`. Default: none (required).
    pub name: String,
    /// Port the proxy listens on (on [`crate::ProxyConfig::listen_ip`]); 0 picks a free port,
    /// which [`crate::WanProxy::listeners`] reports.
    pub listen_port: u16,
    /// `host:port` to connect to; resolved again for every connection, so a restarted
    /// container with a new IP is found.
    pub target: String,
    /// Region the target runs in: the destination region of every connection on this route.
    pub target_region: String,
}
