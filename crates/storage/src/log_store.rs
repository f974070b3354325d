//! The Raft log and vote of one group, in its own files under `<data>/raft/<group>/`: the log
//! in `log/` ([`Wal`] segments) and the vote and purge point in `state` ([`HardStateFile`]).

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use meridian_types::{Node, NodeId, RegionTypeConfig};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogId, RaftLogReader, RaftTypeConfig, StorageIOError, Vote};
use tokio::sync::watch;
use tracing::Instrument;

use crate::codec::{blocking, decode};
use crate::error::{IntoRaft, RaftError, StorageError};
use crate::fsutil::{create_dir_durable, remove_temp_files, sync_dir, sync_file_if_exists};
use crate::hard_state::HardStateFile;
use crate::wal::{Batch, Wal};

/// The type configs a [`LogStore`] can hold the log of: our node ids and addresses, openraft's
/// own entry type (whose serde form is what the log stores).
pub trait LogConfig: RaftTypeConfig<NodeId = NodeId, Node = Node, Entry = Entry<Self>> {}

impl<C> LogConfig for C where C: RaftTypeConfig<NodeId = NodeId, Node = Node, Entry = Entry<C>> {}

/// openraft's log store for one group. Cheap to clone: clones share the same files, which is
/// how the log reader handed to replication tasks sees every append.
///
/// Invariants: live entries form one contiguous run; the vote is durable before `save_vote`
/// returns and every appended batch is `fdatasync`ed before openraft is told it is done; the
/// purge point is made durable (and segments deleted) only once a durable snapshot covers it.
///
/// openraft 0.9 waits for each append's callback before its next command, so one append is
/// synced at a time per group; the sync thread takes the `fdatasync` off the async runtime.
///
/// Generic over the group's type config: the regional groups (the default) and the
/// coordination group share this one implementation of the durability rules.
pub struct LogStore<C: LogConfig = RegionTypeConfig> {
    /// The group whose log this is (named in the spans of its background work).
    group: Arc<str>,
    wal: Arc<Wal>,
    state: Arc<HardStateFile>,
    /// The purge point openraft asked for; it runs ahead of the durable one in `state` while
    /// the snapshot covering it is not yet durable.
    purged: Arc<Mutex<Option<LogId<NodeId>>>>,
    /// The last log id of the durable current snapshot.
    snapshot: watch::Receiver<Option<LogId<NodeId>>>,
    /// The committed id found on open (openraft asks for it once, at startup).
    recovered_committed: Option<LogId<NodeId>>,
    /// The node's sled database, held for its lock on the data directory: while any clone of
    /// this store lives (a winding-down Raft of a node restarted in the same process), no
    /// second incarnation can open the directory and write the same files.
    _dir_lock: sled::Db,
    _config: PhantomData<C>,
}

impl<C: LogConfig> Clone for LogStore<C> {
    fn clone(&self) -> Self {
        LogStore {
            group: self.group.clone(),
            wal: self.wal.clone(),
            state: self.state.clone(),
            purged: self.purged.clone(),
            snapshot: self.snapshot.clone(),
            recovered_committed: self.recovered_committed,
            _dir_lock: self._dir_lock.clone(),
            _config: PhantomData,
        }
    }
}

impl<C: LogConfig> LogStore<C> {
    /// Opens (or creates) the log kept in `dir`. `name` names the group (in the log's sync
    /// thread and spans); `dir_lock` is the node's sled database, which locks the data
    /// directory; `snapshot` watches the group's durable snapshot (already loaded). Blocking.
    ///
    /// What a killed process left in the page cache is synced first, so nothing unsynced is
    /// trusted; entries the durable snapshot covers are purged (a purge deferred until its
    /// snapshot was durable may not have run).
    pub(crate) fn open(
        dir: &Path,
        name: &str,
        dir_lock: sled::Db,
        snapshot: watch::Receiver<Option<LogId<NodeId>>>,
    ) -> Result<LogStore<C>, StorageError> {
        create_dir_durable(dir).map_err(StorageError::file("create", dir))?;
        remove_temp_files(dir).map_err(StorageError::file("clean", dir))?;
        for d in dir
            .ancestors()
            .take(3)
            .filter(|d| !d.as_os_str().is_empty())
        {
            sync_dir(d).map_err(StorageError::file("sync", d))?;
        }
        let state_path = dir.join("state");
        sync_file_if_exists(&state_path).map_err(StorageError::file("sync", &state_path))?;
        let state = HardStateFile::open(&state_path)?;
        let covered = *snapshot.borrow();
        if covered > state.get().last_purged {
            state.update(|s| s.last_purged = covered)?;
        }
        let purged = state.get().last_purged;
        let (wal, recovered) = Wal::open(&dir.join("log"), purged.map(|l| l.index), name)?;
        let recovered_committed = match recovered.committed {
            Some(bytes) => decode("decode committed log id", &bytes)?,
            None => None,
        };
        Ok(LogStore {
            group: name.into(),
            wal: Arc::new(wal),
            state: Arc::new(state),
            purged: Arc::new(Mutex::new(purged)),
            snapshot,
            recovered_committed,
            _dir_lock: dir_lock,
            _config: PhantomData,
        })
    }

    /// Makes the purge point `upto` durable and deletes the segments it empties.
    fn purge_durably(&self, upto: LogId<NodeId>) -> Result<(), StorageError> {
        self.state
            .update(|s| s.last_purged = s.last_purged.max(Some(upto)))?;
        self.wal.purge(upto.index)
    }

    fn read_range(&self, start: u64, end: u64) -> Result<Vec<Entry<C>>, StorageError> {
        let mut out = Vec::with_capacity(end.saturating_sub(start).min(1024) as usize);
        self.wal.read(start, end, |_, payload| {
            out.push(decode("decode log entry", payload)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The index of the last entry in the log, if any.
    pub(crate) fn last_index(&self) -> Option<u64> {
        self.wal.bounds().map(|(_, last)| last)
    }

    fn last_log_id(&self) -> Result<Option<LogId<NodeId>>, StorageError> {
        let Some((_, last)) = self.wal.bounds() else {
            return Ok(None);
        };
        Ok(self
            .read_range(last, last + 1)?
            .first()
            .map(|e| *e.get_log_id()))
    }
}

impl<C: LogConfig> RaftLogReader<C> for LogStore<C> {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<C>>, RaftError> {
        let start = match range.start_bound() {
            Bound::Included(s) => *s,
            Bound::Excluded(s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(e) => e.saturating_add(1),
            Bound::Excluded(e) => *e,
            Bound::Unbounded => u64::MAX,
        };
        // Reads come from the page cache and are bounded by max_payload_entries: inline is
        // cheaper than a thread hop.
        self.read_range(start, end).read_logs()
    }
}

impl<C: LogConfig> RaftLogStorage<C> for LogStore<C> {
    type LogReader = LogStore<C>;

    async fn get_log_state(&mut self) -> Result<LogState<C>, RaftError> {
        let last_purged = *self.purged.lock().unwrap_or_else(PoisonError::into_inner);
        let last = self.last_log_id().read_logs()?.or(last_purged);
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), RaftError> {
        let store = self.clone();
        let vote = *vote;
        blocking(move || store.state.update(|s| s.vote = Some(vote)))
            .await
            .write_vote()
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, RaftError> {
        Ok(self.state.get().vote)
    }

    /// Not synced on its own: it rides on the next append's sync. Losing it only means a
    /// restarted node waits for the leader before re-applying, which openraft handles.
    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> Result<(), RaftError> {
        let bytes = crate::codec::encode("encode committed log id", &committed).write_logs()?;
        self.wal.save_committed(&bytes).write_logs()
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, RaftError> {
        Ok(self.recovered_committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<C>) -> Result<(), RaftError>
    where
        I: IntoIterator<Item = Entry<C>> + Send,
        I::IntoIter: Send,
    {
        let mut batch = Batch::default();
        let written = entries
            .into_iter()
            .try_for_each(|e| {
                batch.push(e.get_log_id().index, |buf| {
                    bincode::serialize_into(buf, &e)
                        .map_err(StorageError::codec("encode log entry"))
                })
            })
            .and_then(|()| self.wal.append(&batch));
        match written {
            Ok(file) => {
                self.wal
                    .sync_then(file, Box::new(move |r| callback.log_io_completed(r)));
                Ok(())
            }
            Err(e) => {
                let failed = StorageIOError::write_logs(&e);
                callback.log_io_completed(Err(std::io::Error::other(e)));
                Err(failed.into())
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), RaftError> {
        let store = self.clone();
        blocking(move || store.wal.truncate(log_id.index))
            .await
            .write_logs()
    }

    /// The entries up to `upto` are dead at once; their removal from disk waits until a
    /// durable snapshot covers them. openraft purges after a snapshot install without waiting
    /// for the state machine to save it, and a purge point on disk ahead of the snapshot would
    /// leave a node that cannot restart.
    async fn purge(&mut self, upto: LogId<NodeId>) -> Result<(), RaftError> {
        {
            let mut purged = self.purged.lock().unwrap_or_else(PoisonError::into_inner);
            *purged = (*purged).max(Some(upto));
        }
        self.wal.forget_through(upto.index);
        let store = self.clone();
        if *self.snapshot.borrow() >= Some(upto) {
            return blocking(move || store.purge_durably(upto))
                .await
                .write_logs();
        }
        let span = tracing::info_span!("log_purge", group = %self.group, %upto);
        let deferred = async move {
            let mut snapshot = store.snapshot.clone();
            if snapshot.wait_for(|s| *s >= Some(upto)).await.is_err() {
                return; // the group closed first: the next open purges from the snapshot
            }
            let result = blocking(move || store.purge_durably(upto)).await;
            if let Err(e) = result {
                tracing::error!(error = %e, "deferred log purge failed");
            }
        };
        tokio::spawn(deferred.instrument(span));
        Ok(())
    }
}

#[cfg(test)]
#[path = "log_store_tests.rs"]
mod tests;
