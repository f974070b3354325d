//! Who may call a node's internal services (Raft, forwarding, `SetRole`, coordination,
//! shipping): only the deployment's own nodes (DESIGN.md §10.7).
//!
//! A caller proves it is a node in one of two ways: its connection is TLS and it presented a
//! certificate from the deployment's CA that names a node (`urn:meridian:node:<id>`, checked
//! by [`meridian_tls::identity`]), or its call carries the cluster secret. A deployment with
//! neither (no TLS on the gRPC port and no secret) leaves the services open, and the node
//! says so at start. A refused call gets `UNAUTHENTICATED` before the service sees it, so it
//! changes nothing.

use std::net::SocketAddr;

use meridian_tls::{secret, ClusterSecret};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// What one gRPC connection proved about its caller (the connection info of the edge's
/// streams, in every request's extensions).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PeerInfo {
    /// The caller's address.
    pub remote: Option<SocketAddr>,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The node named by the caller's verified certificate.
    pub node: Option<u64>,
}

/// The check in front of every internal service.
#[derive(Clone)]
pub(crate) struct InternalGuard {
    secret: Option<ClusterSecret>,
    open: bool,
}

impl std::fmt::Debug for InternalGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalGuard")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("open", &self.open)
            .finish()
    }
}

impl InternalGuard {
    /// A guard accepting node certificates and, when set, the cluster secret; `open` lets
    /// every caller through (a deployment with neither TLS nor a secret).
    pub(crate) fn new(secret: Option<ClusterSecret>, open: bool) -> InternalGuard {
        InternalGuard { secret, open }
    }

    fn admits(&self, req: &Request<()>) -> bool {
        if self.open {
            return true;
        }
        if req
            .extensions()
            .get::<PeerInfo>()
            .is_some_and(|p| p.node.is_some())
        {
            return true;
        }
        let offered = req.metadata().get(secret::HEADER);
        match (&self.secret, offered) {
            (Some(secret), Some(offered)) => secret.matches(offered.as_bytes()),
            _ => false,
        }
    }
}

impl Interceptor for InternalGuard {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        if self.admits(&req) {
            return Ok(req);
        }
        let peer = req
            .extensions()
            .get::<PeerInfo>()
            .copied()
            .unwrap_or_default();
        tracing::warn!(
            caller = ?peer.remote,
            tls = peer.tls,
            "refused an internal call from a caller that is not a node of this deployment"
        );
        Err(Status::unauthenticated(
            "internal service: the caller is not a node of this deployment (it needs a node \
             certificate from the deployment's CA, or the cluster secret)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(guard: &InternalGuard, peer: Option<PeerInfo>, secret: Option<&str>) -> bool {
        let mut req = Request::new(());
        if let Some(p) = peer {
            req.extensions_mut().insert(p);
        }
        if let Some(s) = secret {
            req.metadata_mut()
                .insert(secret::HEADER, s.parse().unwrap());
        }
        guard.clone().call(req).is_ok()
    }

    #[test]
    fn only_nodes_get_in() {
        let s = ClusterSecret::new("0123456789abcdef-secret").unwrap();
        let guard = InternalGuard::new(Some(s.clone()), false);
        let node = PeerInfo {
            tls: true,
            node: Some(3),
            ..PeerInfo::default()
        };
        let client = PeerInfo {
            tls: true,
            ..PeerInfo::default()
        };
        assert!(call(&guard, Some(node), None), "a node certificate");
        assert!(call(&guard, None, Some(s.expose())), "the secret");
        assert!(!call(&guard, Some(client), None), "a client certificate");
        assert!(!call(&guard, None, None), "nothing");
        assert!(
            !call(&guard, None, Some("0123456789abcdef-secreT")),
            "a wrong secret"
        );
        let no_secret = InternalGuard::new(None, false);
        assert!(
            !call(&no_secret, None, Some(s.expose())),
            "no secret configured"
        );
        assert!(call(&InternalGuard::new(None, true), None, None), "open");
    }
}
