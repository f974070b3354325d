//! The connected RESP clients of a node, for `CLIENT LIST`, `CLIENT INFO` and `INFO clients`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What `CLIENT LIST` shows about one connection; the connection updates it after every
/// command (a short std-mutex section, never held across an await).
#[derive(Debug, Clone)]
pub(crate) struct ClientView {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub name: String,
    pub created: Instant,
    pub last_active: Instant,
    /// `client|list`-style name of the last command.
    pub last_cmd: String,
    /// The ACL user (`user=`).
    pub user: String,
    /// Commands queued in MULTI, or -1 outside a transaction.
    pub multi: i64,
    pub resp: u8,
    pub readonly: bool,
    pub lib_name: String,
    pub lib_ver: String,
    /// Unparsed request bytes held for this client.
    pub qbuf: usize,
    /// Channels, patterns and shard channels subscribed (`sub=`, `psub=`, `ssub=`).
    pub subscriptions: (usize, usize, usize),
    /// Kill and unblock signals and admin flags (`client_admin`).
    pub control: Arc<crate::resp::client_admin::ClientControl>,
}

impl ClientView {
    pub(crate) fn new(id: u64, addr: SocketAddr, laddr: SocketAddr) -> ClientView {
        let now = Instant::now();
        ClientView {
            id,
            addr,
            laddr,
            name: String::new(),
            created: now,
            last_active: now,
            last_cmd: "NULL".into(),
            user: "default".into(),
            multi: -1,
            resp: 2,
            readonly: false,
            lib_name: String::new(),
            lib_ver: String::new(),
            qbuf: 0,
            subscriptions: (0, 0, 0),
            control: Arc::default(),
        }
    }

    /// One line of `CLIENT LIST` / the text of `CLIENT INFO`, fields in Redis 7.0 order
    /// (plus 7.2's `lib-name`/`lib-ver`), without the trailing newline.
    pub(crate) fn line(&self) -> String {
        let flags = crate::resp::client_admin::flags(self);
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db=0 sub={} psub={} ssub={} \
             multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 \
             tot-mem=0 events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            // No file descriptors are exposed; the id keeps the field unique and numeric.
            self.id,
            self.name,
            self.created.elapsed().as_secs(),
            self.last_active.elapsed().as_secs(),
            self.subscriptions.0,
            self.subscriptions.1,
            self.subscriptions.2,
            self.multi,
            self.qbuf,
            self.last_cmd,
            self.user,
            self.resp,
            self.lib_name,
            self.lib_ver,
        )
    }
}

/// Every connected client, by id.
#[derive(Default)]
pub(crate) struct ClientRegistry {
    next_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, Arc<Mutex<ClientView>>>>,
}

/// Removes the client from the registry when its connection ends, however it ends.
pub(crate) struct Registered {
    registry: Arc<ClientRegistry>,
    pub view: Arc<Mutex<ClientView>>,
    pub id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

impl ClientRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Mutex<ClientView>>>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Client ids start at 1 and are never reused while the node runs (as Redis's).
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn register(
        self: &Arc<Self>,
        id: u64,
        addr: SocketAddr,
        laddr: SocketAddr,
    ) -> Registered {
        let view = Arc::new(Mutex::new(ClientView::new(id, addr, laddr)));
        self.lock().insert(id, view.clone());
        Registered {
            registry: self.clone(),
            view,
            id,
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.lock().len()
    }

    /// Snapshots of the clients, by id; `ids` (when given) restricts the list.
    pub(crate) fn list(&self, ids: Option<&[u64]>) -> Vec<ClientView> {
        let views: Vec<_> = self
            .lock()
            .iter()
            .filter(|(id, _)| ids.is_none_or(|ids| ids.contains(id)))
            .map(|(_, v)| v.clone())
            .collect();
        views
            .iter()
            .map(|v| v.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .collect()
    }
}
