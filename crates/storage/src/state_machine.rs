//! openraft's state machine for a regional group.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use meridian_types::{Node, NodeId, RegionResponse, RegionTypeConfig, Seq};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{Entry, LogId, SnapshotMeta, StoredMembership};
use tokio::sync::watch;

use crate::apply_times::ApplyTimes;
use crate::backlog::Backlog;
use crate::codec::blocking;
use crate::error::{IntoRaft, RaftError, StorageError};
use crate::handle::SmHandle;
use crate::observer::ObserverSlot;
use crate::sm_state::{ApplyEffects, SmState};
use crate::snapshot_builder::SnapshotBuilder;
use crate::snapshot_store::{SaveMode, SnapshotStore};

type C = RegionTypeConfig;

/// What the state machine, its snapshot builders and its handles share.
pub(crate) struct Shared {
    state: RwLock<SmState>,
    pub(crate) backlog: Backlog,
    pub(crate) snapshots: SnapshotStore,
    pub(crate) seq_tx: watch::Sender<Seq>,
    pub(crate) apply_times: ApplyTimes,
    /// Where discarded writes are saved ([`crate::discarded`]).
    discarded_dir: PathBuf,
    /// Told about every applied write ([`crate::ApplyObserver`]).
    pub(crate) observer: ObserverSlot,
    /// Moves after every change of the users, once the change is visible under the lock.
    users_version: AtomicU64,
    /// The last log index this node held when it opened its storage (0: none): entries up to
    /// it are applied again after a restart (see [`crate::ApplyObserver::applied`]).
    pub(crate) replay_through: AtomicU64,
    /// Whether applies collect keyspace events for the observer (someone listens).
    pub(crate) events_wanted: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub(crate) fn new(
        state: SmState,
        backlog: Backlog,
        snapshots: SnapshotStore,
        discarded_dir: PathBuf,
    ) -> Shared {
        let (seq_tx, _) = watch::channel(state.seq);
        Shared {
            state: RwLock::new(state),
            backlog,
            snapshots,
            seq_tx,
            apply_times: ApplyTimes::default(),
            discarded_dir,
            observer: ObserverSlot::default(),
            users_version: AtomicU64::new(0),
            replay_through: AtomicU64::new(0),
            events_wanted: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// See [`SmHandle::users_version`].
    pub(crate) fn users_version(&self) -> u64 {
        self.users_version.load(Ordering::Acquire)
    }

    /// Called after the users changed (never before: a reader that sees the new version must
    /// find the new users).
    fn users_changed(&self) {
        self.users_version.fetch_add(1, Ordering::AcqRel);
    }

    /// A panic while the lock was held cannot leave a half-applied entry behind that we would
    /// then serve: the sm worker died with it and openraft stops the group. So poisoning is
    /// ignored rather than turned into a second panic.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, SmState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, SmState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish_seq(&self, seq: Seq) {
        self.seq_tx.send_if_modified(|cur| {
            let changed = *cur != seq;
            *cur = seq;
            changed
        });
    }
}

/// The regional state machine: an in-memory [`meridian_keyspace::Keyspace`] (the log in sled is
/// its AOF, the snapshot in sled its RDB), the replication backlog, and the current snapshot.
pub struct StateMachine {
    shared: Arc<Shared>,
}

impl StateMachine {
    pub(crate) fn new(shared: Arc<Shared>) -> StateMachine {
        StateMachine { shared }
    }

    /// A handle for readers (the server), valid for the life of the group.
    /// Saves a run of discarded writes to its file before the backlog that holds them is reset.
    /// Never fails the apply: the run is in the state (and reported) whatever happens to the
    /// file; a failure to write it is logged.
    fn save_discarded(&self, run: meridian_types::DiscardedRange) {
        match crate::discarded::save(&self.shared.discarded_dir, run, &self.shared.backlog) {
            Ok(path) => tracing::warn!(
                epoch = run.epoch,
                first_seq = run.first_seq,
                last_seq = run.last_seq,
                count = run.count(),
                file = %path.display(),
                "rejoined a newer history: discarded writes this cluster held"
            ),
            Err(e) => tracing::error!(
                epoch = run.epoch,
                first_seq = run.first_seq,
                last_seq = run.last_seq,
                count = run.count(),
                error = %e,
                "rejoined a newer history: discarded writes, and could not save them to a file"
            ),
        }
    }

    pub fn handle(&self) -> SmHandle {
        SmHandle::new(self.shared.clone())
    }

    /// Decodes, persists and swaps in a snapshot received from the leader. Blocking.
    fn install_blocking(
        shared: &Shared,
        meta: &SnapshotMeta<NodeId, Node>,
        data: &[u8],
    ) -> Result<Seq, StorageError> {
        let mut state = SmState::decode(data)?;
        {
            let current = shared.read();
            state.planted = current.planted;
            state.acl_commands = current.acl_commands.clone();
        }
        if state.last_applied != meta.last_log_id || state.membership != meta.last_membership {
            return Err(StorageError::SnapshotCorrupt {
                id: meta.snapshot_id.clone(),
                reason: "header disagrees with the snapshot metadata".to_string(),
            });
        }
        let seq = state.seq;
        // Persist first: after a crash the node restarts from this snapshot, never from a
        // state machine that was swapped but not saved.
        shared.snapshots.save(meta, data, SaveMode::Replace)?;
        let old = std::mem::replace(&mut *shared.write(), state);
        drop(old);
        shared.users_changed();
        // The old ops no longer connect to the new seq.
        shared.backlog.clear()?;
        Ok(seq)
    }
}

impl RaftStateMachine<C> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, Node>), RaftError> {
        let st = self.shared.read();
        Ok((st.last_applied, st.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<RegionResponse>, RaftError>
    where
        I: IntoIterator<Item = Entry<C>> + Send,
        I::IntoIter: Send,
    {
        let mut replies = Vec::new();
        let mut fx = ApplyEffects {
            record_events: self.shared.events_wanted.load(Ordering::Relaxed),
            ..ApplyEffects::default()
        };
        let replay_through = self.shared.replay_through.load(Ordering::Relaxed);
        let (mut replayed_ops, mut replayed_events) = (0, 0);
        for entry in entries {
            // One entry per lock hold: readers and snapshot builds interleave between entries,
            // and always see data and last_applied together.
            replies.push(self.shared.write().apply_entry(&entry, &mut fx));
            if entry.log_id.index <= replay_through {
                (replayed_ops, replayed_events) = (fx.ops.len(), fx.events.len());
            }
        }
        let seq = self.shared.read().seq;
        if fx.users_changed {
            self.shared.users_changed();
        }
        for run in &fx.discarded {
            self.save_discarded(*run);
        }
        if fx.reset_backlog {
            self.shared.backlog.clear().write_sm()?;
        }
        if !fx.ops.is_empty() {
            // sled inserts land in its in-memory cache: cheaper inline than a thread hop.
            self.shared.backlog.append(&fx.ops).write_sm()?;
        }
        self.shared.apply_times.record(seq);
        // After the backlog write: a subscriber woken for `seq` finds every op up to it.
        self.shared.publish_seq(seq);
        self.shared.observer.applied(&crate::observer::Applied {
            ops: &fx.ops,
            events: &fx.events,
            replayed_ops,
            replayed_events,
        });
        Ok(replies)
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder::new(self.shared.clone())
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, RaftError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, Node>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), RaftError> {
        let shared = self.shared.clone();
        let meta = meta.clone();
        let data = snapshot.into_inner();
        let seq = blocking(move || StateMachine::install_blocking(&shared, &meta, &data))
            .await
            .write_snapshot()?;
        self.shared.publish_seq(seq);
        self.shared.observer.replaced();
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<C>>, RaftError> {
        let shared = self.shared.clone();
        let loaded = blocking(move || shared.snapshots.load())
            .await
            .read_snapshot()?;
        Ok(loaded.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
