//! The RESP listener: accepts clients up to `maxclients`, runs one task per connection, and
//! stops by cancelling every connection and waiting until each handler is gone.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meridian_region::RegionGroup;
use meridian_tls::{Incoming, MaybeTls, PortSecurity};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::replication::ReplicationView;
use crate::resp::clients::ClientRegistry;
use crate::spec::{EdgeLimits, RespSettings};

/// What a node hands its RESP listener besides the group and settings.
pub(crate) struct RespEdge {
    pub limits: EdgeLimits,
    pub region: String,
    pub replication: ReplicationView,
    /// The node's ACL users (shared with the gRPC edge).
    pub acl: Arc<crate::resp::acl::AclState>,
}

/// Node-wide state every connection shares.
pub(crate) struct Shared {
    pub group: Arc<RegionGroup>,
    /// Live settings; `CONFIG SET` writes them. Never held across an await.
    pub settings: RwLock<RespSettings>,
    pub clients: Arc<ClientRegistry>,
    pub stats: Stats,
    pub started: Instant,
    /// 40 hex characters naming this process's run (INFO `run_id`).
    pub run_id: String,
    /// 40 hex characters naming the cluster's replication history (INFO `master_replid`);
    /// the same on every node of the cluster.
    pub replid: String,
    pub node_id: u64,
    pub region: String,
    pub port: u16,
    /// The TLS RESP port (Redis's `tls-port`), 0 when the node has none.
    pub tls_port: u16,
    /// Clients blocked in WAIT or a blocking command.
    pub blocked: AtomicU64,
    /// `maxmemory` in bytes, 0 for none (`oom`).
    pub maxmemory: AtomicU64,
    /// Clients blocked on keys, in line per key (`blocking`).
    pub blocking: Arc<crate::resp::blocking::BlockedKeys>,
    /// Key/value/message size limits shared with the gRPC edge.
    pub limits: EdgeLimits,
    /// Cross-region replication (INFO replication, ROLE, WAIT).
    pub replication: ReplicationView,
    /// Values `CONFIG SET` stored for parameters Meridian only reports (see `config.rs`).
    pub config_stored: std::sync::Mutex<crate::resp::config::Stored>,
    /// SLOWLOG, LATENCY, LASTSAVE and DEBUG state of this node (`introspection`).
    pub intro: crate::resp::introspection::Intro,
    /// Pause, monitor feed, shutdown request, idle timeout (`client_admin`).
    pub admin: Arc<crate::resp::client_admin::NodeAdmin>,
    /// ACL users as this node applies them, and `ACL LOG` (`acl`).
    pub acl: Arc<crate::resp::acl::AclState>,
    /// The node's pub/sub subscriptions (`pubsub`).
    pub pubsub: Arc<crate::resp::pubsub::PubSubHub>,
}

#[derive(Default)]
pub(crate) struct Stats {
    pub connections_received: AtomicU64,
    pub commands_processed: AtomicU64,
    pub rejected_connections: AtomicU64,
}

impl Shared {
    pub(crate) fn settings(&self) -> RespSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Held by a connection task for its whole life: counts it against `maxclients` and, when
/// dropped, tells the listener one handler is gone.
pub(crate) struct ConnectionPermit {
    active: Arc<AtomicUsize>,
    _done: mpsc::Sender<()>,
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A running RESP listener. Stop it with [`RespServer::stop`].
pub struct RespServer {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    pub(crate) admin: Arc<crate::resp::client_admin::NodeAdmin>,
}

impl RespServer {
    /// Starts serving RESP on `listener` (already bound, so tests can use port 0) and, when
    /// given, TLS RESP on `tls` (Redis's `tls-port`).
    pub(crate) fn spawn(
        listener: TcpListener,
        tls: Option<(TcpListener, PortSecurity)>,
        group: Arc<RegionGroup>,
        settings: RespSettings,
        edge: RespEdge,
    ) -> std::io::Result<RespServer> {
        let RespEdge {
            limits,
            region,
            replication,
            acl,
        } = edge;
        let addr = listener.local_addr()?;
        let tls_port = match &tls {
            Some((l, _)) => l.local_addr()?.port(),
            None => 0,
        };
        let node_id = group.node_id();
        let blocking = Arc::new(crate::resp::blocking::BlockedKeys::default());
        let pubsub = Arc::new(crate::resp::pubsub::PubSubHub::default());
        crate::resp::applied::observe(&group, &blocking, &pubsub);
        let shared = Arc::new(Shared {
            replid: hex40(&format!("meridian-cluster-{}", group.cluster())),
            run_id: hex40(&format!(
                "meridian-run-{node_id}-{}-{}",
                std::process::id(),
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            )),
            intro: crate::resp::introspection::Intro::watching(&group),
            blocking: blocking.clone(),
            pubsub: pubsub.clone(),
            admin: Arc::default(),
            acl,
            group,
            settings: RwLock::new(settings),
            clients: Arc::new(ClientRegistry::default()),
            stats: Stats::default(),
            started: Instant::now(),
            node_id,
            region,
            port: addr.port(),
            tls_port,
            blocked: AtomicU64::new(0),
            maxmemory: AtomicU64::new(0),
            limits,
            replication,
            config_stored: Default::default(),
        });
        // SHUTDOWN over RESP closes the listener and every client.
        let cancel = shared.admin.shutdown.child_token();
        let admin = shared.admin.clone();
        let span = info_span!("resp_listener", node = node_id, cluster = %shared.group.cluster());
        let mut incomings = vec![span.in_scope(|| Incoming::new(listener, PortSecurity::Plain))?];
        let mut tls_addr = None;
        if let Some((listener, port)) = tls {
            let incoming = span.in_scope(|| Incoming::new(listener, port))?;
            tls_addr = Some(incoming.local_addr());
            incomings.push(incoming);
        }
        let reaper = crate::resp::acl::close_deleted_users(shared.clone(), cancel.clone());
        tokio::spawn(reaper.instrument(info_span!(parent: &span, "acl_deleted_users")));
        let task = tokio::spawn(serve_ports(incomings, shared, cancel.clone()).instrument(span));
        info!(resp = %addr, resp_tls = ?tls_addr, "RESP listener started");
        Ok(RespServer {
            addr,
            tls_addr,
            cancel,
            task,
            admin,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the TLS RESP port accepts clients, when the node has one.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// Stops accepting, closes every connection, and waits (up to 5 s) until every
    /// connection handler has finished.
    pub async fn stop(self) {
        self.cancel.cancel();
        if tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .is_err()
        {
            warn!(resp = %self.addr, "RESP connections did not all close within 5s");
        }
    }

    /// Drops every connection mid-request (a crash stand-in for tests) and waits briefly
    /// until their handlers are gone, so nothing keeps the node's storage open.
    pub async fn abort(self) {
        self.cancel.cancel();
        if tokio::time::timeout(Duration::from_secs(2), self.task)
            .await
            .is_err()
        {
            warn!(resp = %self.addr, "RESP connections did not all close within 2s");
        }
    }
}

/// Serves every RESP port of the node (plaintext, and TLS when configured) with one
/// `maxclients` count, and returns once every connection handler is gone.
async fn serve_ports(incomings: Vec<Incoming>, shared: Arc<Shared>, cancel: CancellationToken) {
    let active = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let loops: Vec<_> = incomings
        .into_iter()
        .map(|incoming| {
            let port = Port {
                shared: shared.clone(),
                cancel: cancel.clone(),
                active: active.clone(),
                done: done_tx.clone(),
            };
            port.accept_loop(incoming)
        })
        .collect();
    drop(done_tx);
    futures::future::join_all(loops).await;
    // Every permit holds a sender: recv() returns None once the last handler is gone.
    let _ = done_rx.recv().await;
    debug!("RESP listener stopped");
}

/// What one port's accept loop shares with the others.
struct Port {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    active: Arc<AtomicUsize>,
    done: mpsc::Sender<()>,
}

impl Port {
    async fn accept_loop(self, mut incoming: Incoming) {
        loop {
            let accepted = tokio::select! {
                _ = self.cancel.cancelled() => break,
                accepted = incoming.accept() => accepted,
            };
            let Some((stream, peer)) = accepted else {
                break;
            };
            self.admit(stream, peer);
        }
    }

    /// Starts a handler for one client, or refuses it past `maxclients`.
    fn admit(&self, stream: MaybeTls<TcpStream>, peer: SocketAddr) {
        let shared = &self.shared;
        shared
            .stats
            .connections_received
            .fetch_add(1, Ordering::Relaxed);
        let max = usize::try_from(shared.settings().maxclients).unwrap_or(usize::MAX);
        if self.active.fetch_add(1, Ordering::AcqRel) >= max {
            self.active.fetch_sub(1, Ordering::AcqRel);
            shared
                .stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            tokio::spawn(refuse(stream));
            return;
        }
        let permit = ConnectionPermit {
            active: self.active.clone(),
            _done: self.done.clone(),
        };
        let conn = crate::resp::connection::Connection::new(
            stream,
            peer,
            shared.clone(),
            self.cancel.child_token(),
            permit,
        );
        // Inside the listener's span, which names the node.
        let span = info_span!("resp_client", client = conn.session.id);
        tokio::spawn(conn.run().instrument(span));
    }
}

/// Redis accepts the connection, writes the error and closes it.
async fn refuse(mut stream: MaybeTls<TcpStream>) {
    let write = stream.write_all(b"-ERR max number of clients reached\r\n");
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// 40 lower-case hex characters derived from `seed` (stable for the same seed).
fn hex40(seed: &str) -> String {
    let mut out = String::with_capacity(40);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0u64..3 {
        for b in seed.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(40);
    out
}
