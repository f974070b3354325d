//! `ProxyConfig`: plain data describing what the proxy listens on, where it forwards, and
//! which latency each region pair gets.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::{Latency, RegionPair, Route, WanProxyError};

/// Bytes read from a socket at once: the largest chunk queued in one direction.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;

/// Everything [`crate::WanProxy::spawn`] needs. Build it, then [`ProxyConfig::validate`]
/// (spawn validates too).
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// IP every route listener binds. Default: `0.0.0.0` (all the proxy's networks).
    pub listen_ip: IpAddr,
    /// The listen ports and their targets; at least one. Default: none.
    pub routes: Vec<Route>,
    /// Which region network each of the proxy's own IPs sits on: a connection accepted on a
    /// local address `ip` comes from region `local_regions[ip]`. A connection on an IP not in
    /// the map is forwarded without delay (and logged once per IP). Default: empty.
    pub local_regions: BTreeMap<IpAddr, String>,
    /// Latency per region pair at start; pairs not listed get none. Changeable at runtime
    /// through the admin endpoint. Default: empty.
    pub latency: BTreeMap<RegionPair, Latency>,
    /// Where the admin endpoint listens; `None` runs without one. Default: `None`.
    pub admin: Option<SocketAddr>,
    /// Bytes queued per direction of a connection before the proxy stops reading from the
    /// sender (backpressure), in bytes; 64 KiB to 1 GiB. Default: 4 MiB.
    pub buffer_bytes: usize,
    /// How long connecting to a route's target may take before the client is disconnected.
    /// Default: 5 s.
    pub connect_timeout: Duration,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            listen_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            routes: Vec::new(),
            local_regions: BTreeMap::new(),
            latency: BTreeMap::new(),
            admin: None,
            buffer_bytes: 4 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl ProxyConfig {
    /// Every region the configuration mentions: route targets and local addresses.
    pub fn regions(&self) -> BTreeSet<String> {
        let targets = self.routes.iter().map(|r| r.target_region.clone());
        let locals = self.local_regions.values().cloned();
        targets.chain(locals).collect()
    }

    /// Checks routes (some, distinct fixed ports), the buffer size, and that every latency
    /// entry names known regions.
    pub fn validate(&self) -> Result<(), WanProxyError> {
        if self.routes.is_empty() {
            return Err(WanProxyError::NoRoutes);
        }
        let mut ports: HashMap<u16, &str> = HashMap::new();
        for route in self.routes.iter().filter(|r| r.listen_port != 0) {
            if let Some(first) = ports.insert(route.listen_port, &route.name) {
                return Err(WanProxyError::DuplicatePort {
                    port: route.listen_port,
                    first: first.to_string(),
                    second: route.name.clone(),
                });
            }
        }
        let (min, max) = (CHUNK_BYTES, 1 << 30);
        if !(min..=max).contains(&self.buffer_bytes) {
            return Err(WanProxyError::BufferSize {
                bytes: self.buffer_bytes,
                min,
                max,
            });
        }
        let known = self.regions();
        for pair in self.latency.keys() {
            check_known(&known, pair)?;
        }
        Ok(())
    }
}

/// Refuses a pair naming a region outside `known`.
pub(crate) fn check_known(
    known: &BTreeSet<String>,
    pair: &RegionPair,
) -> Result<(), WanProxyError> {
    match pair.regions().into_iter().find(|r| !known.contains(*r)) {
        Some(region) => Err(WanProxyError::UnknownRegion {
            region: region.to_string(),
            valid: known.iter().cloned().collect(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str, port: u16, region: &str) -> Route {
        Route {
            name: name.to_string(),
            listen_port: port,
            target: format!("{name}:{port}"),
            target_region: region.to_string(),
        }
    }

    #[test]
    fn validate_refuses_what_it_should() {
        let mut cfg = ProxyConfig::default();
        assert!(matches!(cfg.validate(), Err(WanProxyError::NoRoutes)));
        cfg.routes = vec![route("n1", 7401, "r1"), route("n4", 7401, "r2")];
        let err = cfg.validate().unwrap_err();
        assert!(err.to_string().contains("7401"), "{err}");
        cfg.routes[1].listen_port = 7411;
        cfg.validate().unwrap();
        cfg.latency
            .insert(RegionPair::new("r1", "r9").unwrap(), Latency::NONE);
        let err = cfg.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown region \"r9\"; known regions: r1, r2"
        );
        cfg.latency.clear();
        cfg.buffer_bytes = 10;
        assert!(matches!(
            cfg.validate(),
            Err(WanProxyError::BufferSize { .. })
        ));
    }

    #[test]
    fn port_zero_may_repeat() {
        let cfg = ProxyConfig {
            routes: vec![route("a", 0, "r1"), route("b", 0, "r1")],
            ..ProxyConfig::default()
        };
        cfg.validate().unwrap();
    }
}
