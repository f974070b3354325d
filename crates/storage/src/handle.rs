//! Read access to a group's state machine for the rest of the node.

use std::sync::Arc;

use bytes::Bytes;
use meridian_acl::Users;
use meridian_keyspace::Databases;
use meridian_types::{HistoryMark, NodeId, Seq, ShipPosition, SyncId};
use openraft::LogId;
use tokio::sync::watch;

use crate::backlog::BacklogOp;
use crate::error::StorageError;
use crate::state_machine::Shared;

/// A cloneable view of a group's state machine. Every method takes the state lock only for the
/// call (never across an `.await`), so keep `read` closures short.
#[derive(Clone)]
pub struct SmHandle {
    shared: Arc<Shared>,
}

impl SmHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> SmHandle {
        SmHandle { shared }
    }

    /// Installs the observer told about every applied write (one per state machine; a second
    /// call replaces the first).
    pub fn set_observer(&self, observer: Arc<dyn crate::ApplyObserver>) {
        self.shared.observer.set(observer);
    }

    /// Whether applies collect the keyspace events of their writes for the observer (on while
    /// this node publishes keyspace notifications; off costs nothing).
    pub fn set_events_wanted(&self, wanted: bool) {
        self.shared
            .events_wanted
            .store(wanted, std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs `f` on the databases as of the last applied entry.
    pub fn read<R>(&self, f: impl FnOnce(&Databases) -> R) -> R {
        f(&self.shared.read().dbs)
    }

    /// The cluster's role as of the last applied entry.
    pub fn role(&self) -> meridian_types::ClusterRole {
        self.shared.read().role.clone()
    }

    /// Looks at the role without copying it (for checks on every request).
    pub fn with_role<R>(&self, f: impl FnOnce(&meridian_types::ClusterRole) -> R) -> R {
        f(&self.shared.read().role)
    }

    /// The seq after the last applied entry. It may briefly run ahead of the backlog; use
    /// [`SmHandle::subscribe_seq`] to know which ops the backlog holds.
    pub fn seq(&self) -> Seq {
        self.shared.read().seq
    }

    /// The runs of writes this cluster discarded when it rejoined newer histories.
    pub fn discarded(&self) -> Vec<meridian_types::DiscardedRange> {
        self.shared.read().discarded.clone()
    }

    /// Runs `f` on the seq and the databases as of the last applied entry, read together.
    pub fn read_at<R>(&self, f: impl FnOnce(Seq, &Databases) -> R) -> R {
        let st = self.shared.read();
        f(st.seq, &st.dbs)
    }

    /// Where this secondary stands for shipping, when it holds a position (None on a primary,
    /// a standalone cluster, and a secondary that has not completed a full sync).
    pub fn position(&self) -> Option<ShipPosition> {
        self.shared.read().position()
    }

    /// Which epoch wrote which seqs of this cluster's data.
    pub fn history(&self) -> Vec<HistoryMark> {
        self.shared.read().history.clone()
    }

    /// A consistent copy of the data for a full sync: seq, history, keyspace and ACL users,
    /// read under one lock. Cloning shares string payloads, so it costs about one pass over
    /// the keys.
    pub fn sync_image(&self) -> (Seq, Vec<HistoryMark>, Databases, Users) {
        let st = self.shared.read();
        (st.seq, st.history.clone(), st.dbs.clone(), st.users.clone())
    }

    /// Runs `f` on the ACL users as of the last applied entry.
    pub fn users<R>(&self, f: impl FnOnce(&Users) -> R) -> R {
        f(&self.shared.read().users)
    }

    /// A number that moves whenever the users change (an `ACL SETUSER` / `DELUSER` applied, a
    /// snapshot installed, a full sync swapped in), so a connection can keep its user and read
    /// it again only when this moved. One atomic load. It moves only once the change is
    /// visible to [`SmHandle::users`]; it may lag the change for a moment, never lead it.
    pub fn users_version(&self) -> u64 {
        self.shared.users_version()
    }

    /// The full sync being collected: its id, target seq and keys gathered so far.
    pub fn staging(&self) -> Option<(SyncId, Seq, usize)> {
        self.shared
            .read()
            .staging
            .as_ref()
            .map(|st| (st.id, st.seq, st.dbs.len()))
    }

    /// Unix ms (the primary leader's clock) of the newest applied op.
    pub fn last_op_ms(&self) -> u64 {
        self.shared.read().last_op_ms
    }

    /// When this node applied `seq`, on its monotonic clock (see `ApplyTimes`).
    pub fn applied_at(&self, seq: Seq) -> Option<std::time::Instant> {
        self.shared.apply_times.applied_at(seq)
    }

    /// The log id of the last applied entry.
    pub fn last_applied(&self) -> Option<LogId<NodeId>> {
        self.shared.read().last_applied
    }

    /// Up to `limit` `(db, key)` whose TTL is at or before `now_ms` (the leader proposes
    /// their expiry).
    pub fn expired_keys(&self, now_ms: u64, limit: usize) -> Vec<(u32, Bytes)> {
        self.shared.read().dbs.expired_keys(now_ms, limit)
    }

    /// The applied seq, published after each apply once the backlog holds every op up to it.
    pub fn subscribe_seq(&self) -> watch::Receiver<Seq> {
        self.shared.seq_tx.subscribe()
    }

    /// Backlog ops with seq ≥ `from_seq`, oldest first, at most about `max_bytes` (at least one
    /// op when any exists). If the first op returned is not `from_seq`, that position has been
    /// trimmed (or skipped by a snapshot install): the reader needs a full sync.
    ///
    /// Reads sled synchronously; cheap for the sizes shipping asks for.
    pub fn backlog_range(
        &self,
        from_seq: Seq,
        max_bytes: u64,
    ) -> Result<Vec<BacklogOp>, StorageError> {
        self.shared.backlog.range(from_seq, max_bytes)
    }

    /// The oldest seq still in the backlog, or None when it is empty.
    pub fn backlog_first_seq(&self) -> Result<Option<Seq>, StorageError> {
        self.shared.backlog.first_seq()
    }

    /// The newest seq in the backlog, or None when it is empty.
    pub fn backlog_last_seq(&self) -> Result<Option<Seq>, StorageError> {
        self.shared.backlog.last_seq()
    }

    /// Bytes the backlog holds (keys plus encoded ops).
    pub fn backlog_bytes(&self) -> u64 {
        self.shared.backlog.bytes()
    }
}
