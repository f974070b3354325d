use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use crate::faults::{FaultConnector, Faults};
use crate::peer_auth::{PeerChannel, PeerCredentials, SecretHeader, TlsConnector};

/// Sizes and timeouts of node-to-node gRPC.
#[derive(Debug, Clone, Copy)]
pub struct TransportLimits {
    /// Largest gRPC message sent or accepted, in bytes.
    pub max_message_bytes: usize,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
}

impl Default for TransportLimits {
    fn default() -> Self {
        TransportLimits {
            max_message_bytes: 64 * 1024 * 1024,
            connect_timeout: Duration::from_secs(1),
        }
    }
}

/// One lazily connected, reused channel per peer address, carrying the node's credentials
/// (TLS with its certificate, the cluster secret) on every call.
#[derive(Debug, Clone)]
pub struct ChannelPool {
    inner: Arc<Mutex<HashMap<String, PeerChannel>>>,
    limits: TransportLimits,
    /// Set in tests: every channel goes through the fault network.
    faults: Option<Faults>,
    credentials: PeerCredentials,
}

impl ChannelPool {
    pub fn new(limits: TransportLimits) -> ChannelPool {
        ChannelPool {
            inner: Arc::default(),
            limits,
            faults: None,
            credentials: PeerCredentials::default(),
        }
    }

    /// This pool, presenting `credentials` to peers.
    pub fn with_credentials(self, credentials: PeerCredentials) -> ChannelPool {
        ChannelPool {
            credentials,
            ..self
        }
    }

    /// A pool whose channels connect through `faults` (tests: see [`crate::FaultNet`]).
    pub fn with_faults(limits: TransportLimits, faults: Option<Faults>) -> ChannelPool {
        ChannelPool {
            faults,
            ..ChannelPool::new(limits)
        }
    }

    pub fn limits(&self) -> TransportLimits {
        self.limits
    }

    /// The fault network this pool's channels go through, if any.
    pub fn faults(&self) -> Option<&Faults> {
        self.faults.as_ref()
    }

    /// The channel to `addr` (`host:port`), created on first use. Creating it does not connect.
    pub fn channel(&self, addr: &str) -> Result<PeerChannel, tonic::transport::Error> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ch) = map.get(addr) {
            return Ok(ch.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))?
            .connect_timeout(self.limits.connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        let ch = self.connect_lazy(endpoint);
        let ch = PeerChannel::new(ch, SecretHeader::new(self.credentials.secret.as_ref()));
        map.insert(addr.to_string(), ch.clone());
        Ok(ch)
    }
}

impl ChannelPool {
    fn connect_lazy(&self, endpoint: Endpoint) -> Channel {
        match (&self.credentials.tls, &self.faults) {
            (Some(tls), faults) => endpoint.connect_with_connector_lazy(TlsConnector::new(
                tls.clone(),
                faults.clone(),
                self.limits.connect_timeout,
            )),
            (None, Some(f)) => endpoint.connect_with_connector_lazy(FaultConnector::new(f.clone())),
            (None, None) => endpoint.connect_lazy(),
        }
    }
}

/// Whether a failed call certainly never reached the peer (the connection could not be made),
/// so the request did nothing there and may be sent elsewhere.
pub fn never_sent(s: &tonic::Status) -> bool {
    let text = format!("{s:?}").to_ascii_lowercase();
    s.code() == tonic::Code::Unavailable
        && (text.contains("connect") || text.contains("connection refused"))
}
