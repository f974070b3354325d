//! `WanProxy`: the running proxy (route listeners and the admin endpoint) and its stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::shared::Shared;
use crate::{admin_server, listener, LatencyTable, ProxyConfig, Route, Status, WanProxyError};

/// How long [`WanProxy::stop`] waits for each task.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running proxy. Stop it with [`WanProxy::stop`]; dropping it leaves the tasks running.
pub struct WanProxy {
    listeners: Vec<(SocketAddr, Route)>,
    admin: Option<SocketAddr>,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tasks: Vec<(String, JoinHandle<()>)>,
}

impl WanProxy {
    /// Validates `config`, binds every route listener and the admin endpoint (so a port in
    /// use fails here, before anything runs), then starts serving.
    pub async fn spawn(config: ProxyConfig) -> Result<WanProxy, WanProxyError> {
        config.validate()?;
        let mut bound = Vec::with_capacity(config.routes.len());
        for route in &config.routes {
            let addr = SocketAddr::new(config.listen_ip, route.listen_port);
            let (listener, addr) = bind(addr, &format!("route to {}", route.name)).await?;
            bound.push((listener, addr, route));
        }
        let admin = match config.admin {
            Some(addr) => Some(bind(addr, "admin endpoint").await?),
            None => None,
        };
        let shared = Arc::new(Shared::new(&config));
        let mut proxy = WanProxy {
            listeners: Vec::new(),
            admin: None,
            shared,
            cancel: CancellationToken::new(),
            tasks: Vec::new(),
        };
        for (listener, addr, route) in bound {
            proxy.start_route(listener, addr, route.clone());
        }
        if let Some((listener, addr)) = admin {
            proxy.start_admin(listener, addr);
        }
        Ok(proxy)
    }

    fn start_route(&mut self, listener: TcpListener, addr: SocketAddr, route: Route) {
        info!(listen = %addr, route = %route.name, target = %route.target, target_region = %route.target_region, "route");
        let task = tokio::spawn(listener::accept_loop(
            listener,
            Arc::new(route.clone()),
            Arc::clone(&self.shared),
            self.cancel.child_token(),
        ));
        self.tasks.push((format!("route {}", route.name), task));
        self.listeners.push((addr, route));
    }

    fn start_admin(&mut self, listener: TcpListener, addr: SocketAddr) {
        info!(admin = %addr, "admin endpoint listening");
        let shared = Arc::clone(&self.shared);
        let task = tokio::spawn(admin_server::serve(
            listener,
            shared,
            self.cancel.child_token(),
        ));
        self.tasks.push(("admin endpoint".to_string(), task));
        self.admin = Some(addr);
    }

    /// Every route with the address its listener is bound to (port 0 resolved).
    pub fn listeners(&self) -> &[(SocketAddr, Route)] {
        &self.listeners
    }

    /// The bound address of the listener of the route named `name`.
    pub fn listen_addr(&self, name: &str) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|(_, r)| r.name == name)
            .map(|(addr, _)| *addr)
    }

    /// Where the admin endpoint listens, if there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
    }

    /// The live latency table (what the admin endpoint's `SET` changes).
    pub fn latency(&self) -> &LatencyTable {
        &self.shared.table
    }

    /// The latency table and traffic counters now.
    pub fn status(&self) -> Status {
        self.shared.status()
    }

    /// Stops accepting, drops every proxied connection, and waits for every task (up to 5 s
    /// each), logging any that did not stop.
    pub async fn stop(self) {
        self.cancel.cancel();
        for (name, task) in self.tasks {
            if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
                warn!(task = %name, "task did not stop within 5s");
            }
        }
    }
}

/// Binds `addr` and reads back the bound address (port 0 resolved).
async fn bind(addr: SocketAddr, what: &str) -> Result<(TcpListener, SocketAddr), WanProxyError> {
    let error = |source| WanProxyError::Bind {
        addr,
        what: what.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(error)?;
    let bound = listener.local_addr().map_err(error)?;
    Ok((listener, bound))
}
