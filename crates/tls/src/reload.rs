//! The [`Tls`] handle: the current configurations, swapped when the files change on disk.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, SystemTime};

use rustls::{ClientConfig, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::loaded::{Loaded, PortKind};
use crate::{pem, TlsError};

/// Where a node's TLS material lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPaths {
    /// The node's certificate chain (PEM, end-entity first).
    pub cert: PathBuf,
    /// The certificate's private key (PEM).
    pub key: PathBuf,
    /// The deployment's CA certificate(s) (PEM): peers and clients are verified against it.
    pub ca: PathBuf,
}

/// Whether a TLS port asks clients for a certificate (Redis's `tls-auth-clients`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// Never asked for.
    None,
    /// Asked for and verified when sent; a client without one is let in.
    #[default]
    Optional,
    /// A client without a certificate from the CA is refused during the handshake.
    Required,
}

/// A node's TLS material, reloadable. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Tls {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    paths: TlsPaths,
    resp_auth: ClientAuth,
    current: RwLock<Arc<Loaded>>,
    /// The files' bytes as last loaded (or last seen failing), to notice a change.
    seen: Mutex<Vec<Vec<u8>>>,
}

impl Tls {
    /// Loads and checks the files, failing with an error that names the file at fault.
    pub fn load(paths: TlsPaths, resp_auth: ClientAuth) -> Result<Tls, TlsError> {
        let seen = contents(&paths)?;
        let loaded = Loaded::load(&paths, resp_auth, SystemTime::now())?;
        Ok(Tls {
            inner: Arc::new(Inner {
                paths,
                resp_auth,
                current: RwLock::new(Arc::new(loaded)),
                seen: Mutex::new(seen),
            }),
        })
    }

    pub fn paths(&self) -> &TlsPaths {
        &self.inner.paths
    }

    /// The server configuration for a port of `kind`, as of now.
    pub fn server_config(&self, kind: PortKind) -> Arc<ServerConfig> {
        self.current().server(kind)
    }

    /// An acceptor for one new connection on a port of `kind`.
    pub fn acceptor(&self, kind: PortKind) -> TlsAcceptor {
        TlsAcceptor::from(self.server_config(kind))
    }

    /// The configuration of outgoing node-to-node connections: the CA as the only root, the
    /// node's certificate as its client identity, ALPN `h2`.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.current().client()
    }

    /// A connector for one new outgoing connection.
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(self.client_config())
    }

    /// Loads the files again if their contents changed since the last look. `Ok(true)` when new
    /// configurations are now in use; an error leaves the previous ones in use (and is not
    /// reported again until the files change once more).
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = contents(&self.inner.paths)?;
        {
            let mut seen = self.inner.seen.lock().unwrap_or_else(|e| e.into_inner());
            if *seen == now {
                return Ok(false);
            }
            *seen = now;
        }
        let loaded = Loaded::load(&self.inner.paths, self.inner.resp_auth, SystemTime::now())?;
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        Ok(true)
    }

    /// Checks the files every `every` on a task that ends when the last clone of this handle is
    /// dropped. Must be called inside a tokio runtime.
    pub fn spawn_reloader(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let span = tracing::info_span!("tls_reloader", cert = %self.inner.paths.cert.display());
        tokio::spawn(tracing::Instrument::instrument(
            reload_loop(weak, every),
            span,
        ))
    }

    fn current(&self) -> Arc<Loaded> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn reload_loop(weak: Weak<Inner>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = weak.upgrade() else { return };
        match (Tls { inner }).reload_if_changed() {
            Ok(true) => tracing::info!("TLS certificates reloaded from disk"),
            Ok(false) => {}
            Err(e) => tracing::warn!(
                error = %e,
                "TLS files changed but cannot be loaded; the previous certificates stay in use"
            ),
        }
    }
}

fn contents(paths: &TlsPaths) -> Result<Vec<Vec<u8>>, TlsError> {
    [&paths.cert, &paths.key, &paths.ca]
        .into_iter()
        .map(|p| pem::read(p))
        .collect()
}
