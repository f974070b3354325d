//! `Shared`: the state every listener, connection and the admin server of one proxy share.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpStream;
use tracing::warn;

use crate::traffic::Traffic;
use crate::{LatencyTable, PairLatency, ProxyConfig, Status};

pub(crate) struct Shared {
    pub(crate) table: Arc<LatencyTable>,
    pub(crate) traffic: Traffic,
    /// Regions the configuration knows; an admin `SET` naming another is refused.
    pub(crate) regions: BTreeSet<String>,
    local_regions: BTreeMap<IpAddr, String>,
    /// Local IPs already warned about as mapping to no region.
    warned: Mutex<HashSet<IpAddr>>,
    pub(crate) buffer_bytes: usize,
    pub(crate) connect_timeout: Duration,
}

impl Shared {
    pub(crate) fn new(config: &ProxyConfig) -> Shared {
        Shared {
            table: Arc::new(LatencyTable::new(config.latency.clone())),
            traffic: Traffic::default(),
            regions: config.regions(),
            local_regions: config
                .local_regions
                .iter()
                .map(|(ip, region)| (ip.to_canonical(), region.clone()))
                .collect(),
            warned: Mutex::new(HashSet::new()),
            buffer_bytes: config.buffer_bytes,
            connect_timeout: config.connect_timeout,
        }
    }

    /// The region a connection comes from, found from the local address it was accepted on
    /// (the proxy IP on the caller's region network). Warns once per unmapped IP.
    pub(crate) fn source_region(&self, stream: &TcpStream) -> Option<String> {
        let ip = stream.local_addr().ok()?.ip().to_canonical();
        if let Some(region) = self.local_regions.get(&ip) {
            return Some(region.clone());
        }
        let first_time = self
            .warned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(ip);
        if first_time {
            warn!(local_ip = %ip, "connection on a local address mapped to no region; proxying it without delay");
        }
        None
    }

    pub(crate) fn status(&self) -> Status {
        let latency = self
            .table
            .snapshot()
            .into_iter()
            .map(|(pair, l)| PairLatency {
                a: pair.a().to_string(),
                b: pair.b().to_string(),
                rtt_ms: l.rtt_ms,
                jitter_ms: l.jitter_ms,
            })
            .collect();
        Status {
            latency,
            links: self.traffic.snapshot(),
        }
    }
}
