//! What a node knows about replication: the subscriptions it serves (as a primary node) and
//! the link it runs (as a secondary cluster's leader). WAIT, INFO replication, ROLE, describe
//! and the metrics read these.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use meridian_types::{NodeId, Seq};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// A secondary cluster as the primary node serving its subscription sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaView {
    pub cluster: String,
    pub datastore: String,
    /// The secondary's leader (the subscriber) and its RESP address.
    pub node: NodeId,
    pub resp_addr: String,
    /// Seq the secondary acknowledged as applied in its own Raft group.
    pub applied_seq: Seq,
    /// Lag the secondary last reported, in milliseconds.
    pub lag_ms: u64,
    /// Milliseconds since its last acknowledgement.
    pub last_ack_ms_ago: u64,
    /// A full sync is being sent.
    pub syncing: bool,
}

struct Replica {
    view: ReplicaView,
    session: u64,
    last_ack: Instant,
}

/// The subscriptions this node serves, keyed by secondary cluster.
#[derive(Default)]
pub struct ReplicaTracker {
    replicas: Mutex<BTreeMap<String, Replica>>,
    changed: watch::Sender<u64>,
}

impl ReplicaTracker {
    pub(crate) fn start(&self, session: u64, view: ReplicaView) {
        self.lock().insert(
            view.cluster.clone(),
            Replica {
                view,
                session,
                last_ack: Instant::now(),
            },
        );
        self.bump();
    }

    pub(crate) fn update(&self, cluster: &str, session: u64, f: impl FnOnce(&mut ReplicaView)) {
        if let Some(r) = self
            .lock()
            .get_mut(cluster)
            .filter(|r| r.session == session)
        {
            f(&mut r.view);
            r.last_ack = Instant::now();
        }
        self.bump();
    }

    /// Forgets a subscription when its stream ends (unless a newer one replaced it).
    pub(crate) fn end(&self, cluster: &str, session: u64) {
        let mut m = self.lock();
        if m.get(cluster).is_some_and(|r| r.session == session) {
            m.remove(cluster);
        }
        drop(m);
        self.bump();
    }

    /// Every subscription served now.
    pub fn replicas(&self) -> Vec<ReplicaView> {
        self.lock()
            .values()
            .map(|r| ReplicaView {
                last_ack_ms_ago: r.last_ack.elapsed().as_millis() as u64,
                ..r.view.clone()
            })
            .collect()
    }

    /// Changes whenever an acknowledgement arrives or a subscription starts or ends.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Replica>> {
        self.replicas.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The link a secondary cluster's leader runs to its primary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub datastore: String,
    /// The primary cluster, and the node of it currently serving this link.
    pub source: String,
    pub source_node: Option<NodeId>,
    pub source_resp_addr: String,
    pub up: bool,
    /// A full sync is being received.
    pub syncing: bool,
    pub applied_seq: Seq,
    /// The primary's seq as last heard.
    pub head_seq: Seq,
    /// How long the oldest op not yet applied here has been committed on the primary.
    pub lag_ms: u64,
    /// Milliseconds since the source was last heard from.
    pub last_io_ms_ago: u64,
    /// Full syncs completed by this leader.
    pub full_syncs: u64,
    /// Why the link is down, when it is.
    pub last_error: String,
}

#[derive(Default)]
struct Link {
    view: LinkView,
    /// When the oldest op known to exist but not applied here was committed on the primary
    /// (translated to this node's monotonic clock); None when caught up.
    pending_since: Option<Instant>,
    last_io: Option<Instant>,
}

/// This node's shipping link, when it runs one.
#[derive(Default)]
pub struct LinkStatus {
    link: Mutex<Option<Link>>,
}

impl LinkStatus {
    /// The link as of now, if this node runs one.
    pub fn view(&self) -> Option<LinkView> {
        self.lock().as_ref().map(|l| {
            let mut v = l.view.clone();
            v.lag_ms = l
                .pending_since
                .map_or(0, |t| t.elapsed().as_millis() as u64);
            v.last_io_ms_ago = l.last_io.map_or(0, |t| t.elapsed().as_millis() as u64);
            v
        })
    }

    pub(crate) fn clear(&self) {
        *self.lock() = None;
    }

    pub(crate) fn with(&self, f: impl FnOnce(&mut LinkView, &mut Option<Instant>)) {
        let mut g = self.lock();
        let l = g.get_or_insert_with(Link::default);
        f(&mut l.view, &mut l.pending_since);
    }

    pub(crate) fn heard(&self) {
        if let Some(l) = self.lock().as_mut() {
            l.last_io = Some(Instant::now());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Link>> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One node's whole view, as the `Shipping.Status` RPC returns it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NodeReplication {
    pub node: NodeId,
    pub replicas: Vec<ReplicaView>,
    pub link: Option<LinkView>,
}
