//! A state machine for small replicated state kept wholly in memory (the coordination group's
//! control plane): applied by a [`ReplicatedState`] implementation, snapshotted with serde
//! through the same crash-safe [`SnapshotStore`] the regional state machine uses, and restored
//! from it when the group is opened again.
//!
//! Snapshot bytes: version byte ‖ bincode `(last_applied, membership, state)`, all taken under
//! one lock, so the data is exactly that of `last_applied`.

use std::io::Cursor;
use std::marker::PhantomData;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use meridian_types::{GroupId, Node, NodeId};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{Entry, EntryPayload, LogId, RaftTypeConfig, SnapshotMeta, StoredMembership};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;

use crate::codec::{blocking, decode, encode};
use crate::error::{IntoRaft, RaftError, StorageError};
use crate::log_store::{LogConfig, LogStore};
use crate::open::{open_log, NodeDb};
use crate::snapshot_builder::snapshot_id;
use crate::snapshot_store::{SaveMode, SnapshotStore};

/// Version byte at the head of every in-memory-state snapshot.
const MEM_SNAPSHOT_VERSION: u8 = 1;

/// Replicated state small enough to live in memory and be snapshotted whole.
pub trait ReplicatedState<C: RaftTypeConfig>:
    Default + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Applies one committed application entry and says what it produced. Must be
    /// deterministic: no clock, no randomness, nothing but `self` and the request.
    fn apply(&mut self, log_id: &LogId<NodeId>, request: &C::D) -> C::R;
}

/// The type configs a [`MemStateMachine`] serves.
pub trait MemConfig: LogConfig<SnapshotData = Cursor<Vec<u8>>> {}

impl<C> MemConfig for C where C: LogConfig<SnapshotData = Cursor<Vec<u8>>> {}

struct MemState<S> {
    state: S,
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, Node>,
}

struct MemShared<S> {
    inner: RwLock<MemState<S>>,
    snapshots: SnapshotStore,
    applied_tx: watch::Sender<Option<LogId<NodeId>>>,
}

impl<S: Serialize + DeserializeOwned> MemShared<S> {
    /// See `state_machine::Shared::read` on why poisoning is ignored.
    fn read(&self) -> RwLockReadGuard<'_, MemState<S>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, MemState<S>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn encode(st: &MemState<S>) -> Result<Vec<u8>, StorageError> {
        let mut out = vec![MEM_SNAPSHOT_VERSION];
        out.extend(encode(
            "encode state snapshot",
            &(&st.last_applied, &st.membership, &st.state),
        )?);
        Ok(out)
    }

    fn decode(data: &[u8]) -> Result<MemState<S>, StorageError> {
        match data.split_first() {
            Some((&MEM_SNAPSHOT_VERSION, rest)) => {
                let (last_applied, membership, state) = decode("decode state snapshot", rest)?;
                Ok(MemState {
                    state,
                    last_applied,
                    membership,
                })
            }
            Some((&v, _)) => Err(StorageError::SnapshotVersion(v, MEM_SNAPSHOT_VERSION)),
            None => Err(StorageError::SnapshotCorrupt {
                id: "?".into(),
                reason: "empty snapshot".into(),
            }),
        }
    }
}

/// Read access to the state for the rest of the node. The lock is held only for the call.
pub struct MemSmHandle<S> {
    shared: Arc<MemShared<S>>,
}

impl<S> Clone for MemSmHandle<S> {
    fn clone(&self) -> Self {
        MemSmHandle {
            shared: self.shared.clone(),
        }
    }
}

impl<S: Serialize + DeserializeOwned> MemSmHandle<S> {
    /// Runs `f` on the state as of the last applied entry.
    pub fn read<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.shared.read().state)
    }

    /// The log id of the last applied entry.
    pub fn last_applied(&self) -> Option<LogId<NodeId>> {
        self.shared.read().last_applied
    }

    /// The last applied log id, published after each apply and snapshot install.
    pub fn subscribe_applied(&self) -> watch::Receiver<Option<LogId<NodeId>>> {
        self.shared.applied_tx.subscribe()
    }
}

/// openraft's state machine over a [`ReplicatedState`].
pub struct MemStateMachine<C, S> {
    shared: Arc<MemShared<S>>,
    _config: PhantomData<fn() -> C>,
}

impl<C, S> MemStateMachine<C, S>
where
    C: MemConfig,
    S: ReplicatedState<C>,
{
    /// A handle for readers, valid for the life of the group.
    pub fn handle(&self) -> MemSmHandle<S> {
        MemSmHandle {
            shared: self.shared.clone(),
        }
    }

    fn publish(&self, applied: Option<LogId<NodeId>>) {
        self.shared.applied_tx.send_replace(applied);
    }
}

/// Opens a group whose state machine is a [`ReplicatedState`] kept in memory: its log store
/// and the state restored from the current snapshot (openraft re-applies the log after it).
/// Trees are named from `group` like every group's (`<group>/log`, `<group>/meta`,
/// `<group>/snapshot`).
pub async fn open_mem_group<C, S>(
    db: &NodeDb,
    group: &GroupId,
) -> Result<(LogStore<C>, MemStateMachine<C, S>, MemSmHandle<S>), StorageError>
where
    C: MemConfig,
    S: ReplicatedState<C>,
{
    db.refuse_old_layout(group)?;
    let dir = db.group_dir(group);
    let db = db.clone();
    let group = group.clone();
    let (log, shared) = blocking(move || {
        let snapshots = SnapshotStore::open(&dir.join("snapshot"))?;
        let state = match snapshots.load()? {
            Some((_, data)) => MemShared::<S>::decode(&data)?,
            None => MemState {
                state: S::default(),
                last_applied: None,
                membership: StoredMembership::default(),
            },
        };
        tracing::debug!(group = %group, last_applied = ?state.last_applied, "opened group storage");
        let (applied_tx, _) = watch::channel(state.last_applied);
        let log = open_log(&db, &group, snapshots.durable())?;
        let shared = MemShared {
            inner: RwLock::new(state),
            snapshots,
            applied_tx,
        };
        Ok((log, shared))
    })
    .await?;
    let sm = MemStateMachine {
        shared: Arc::new(shared),
        _config: PhantomData,
    };
    let handle = sm.handle();
    Ok((log, sm, handle))
}

impl<C, S> RaftStateMachine<C> for MemStateMachine<C, S>
where
    C: MemConfig,
    C::R: Default,
    S: ReplicatedState<C>,
{
    type SnapshotBuilder = MemSnapshotBuilder<C, S>;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, Node>), RaftError> {
        let st = self.shared.read();
        Ok((st.last_applied, st.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<C::R>, RaftError>
    where
        I: IntoIterator<Item = Entry<C>> + Send,
        I::IntoIter: Send,
    {
        let mut replies = Vec::new();
        let mut last = None;
        for entry in entries {
            let mut st = self.shared.write();
            st.last_applied = Some(entry.log_id);
            last = Some(entry.log_id);
            replies.push(match &entry.payload {
                EntryPayload::Blank => C::R::default(),
                EntryPayload::Membership(m) => {
                    st.membership = StoredMembership::new(Some(entry.log_id), m.clone());
                    C::R::default()
                }
                EntryPayload::Normal(req) => st.state.apply(&entry.log_id, req),
            });
        }
        if last.is_some() {
            self.publish(last);
        }
        Ok(replies)
    }

    async fn get_snapshot_builder(&mut self) -> MemSnapshotBuilder<C, S> {
        MemSnapshotBuilder {
            shared: self.shared.clone(),
            _config: PhantomData,
        }
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
        let applied = blocking(move || {
            let state = MemShared::<S>::decode(&data)?;
            if state.last_applied != meta.last_log_id || state.membership != meta.last_membership {
                return Err(StorageError::SnapshotCorrupt {
                    id: meta.snapshot_id.clone(),
                    reason: "header disagrees with the snapshot metadata".to_string(),
                });
            }
            // Persist first: a crash restarts from this snapshot, never from an unsaved swap.
            shared.snapshots.save(&meta, &data, SaveMode::Replace)?;
            let applied = state.last_applied;
            *shared.write() = state;
            Ok(applied)
        })
        .await
        .write_snapshot()?;
        self.publish(applied);
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

/// Serialises the state under the read lock and saves it as the current snapshot.
pub struct MemSnapshotBuilder<C, S> {
    shared: Arc<MemShared<S>>,
    _config: PhantomData<fn() -> C>,
}

impl<C, S> RaftSnapshotBuilder<C> for MemSnapshotBuilder<C, S>
where
    C: MemConfig,
    S: ReplicatedState<C>,
{
    async fn build_snapshot(&mut self) -> Result<Snapshot<C>, RaftError> {
        let shared = self.shared.clone();
        let (meta, data) = blocking(move || {
            let (meta, data) = {
                let st = shared.read();
                let meta = SnapshotMeta {
                    snapshot_id: snapshot_id(st.last_applied),
                    last_log_id: st.last_applied,
                    last_membership: st.membership.clone(),
                };
                (meta, MemShared::encode(&st)?)
            };
            shared.snapshots.save(&meta, &data, SaveMode::IfNotOlder)?;
            Ok((meta, data))
        })
        .await
        .write_snapshot()?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}
