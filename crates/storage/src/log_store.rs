//! The Raft log and vote of one group, in the trees `<group>/log` and `<group>/meta`.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use meridian_types::{GroupId, Node, NodeId, RegionTypeConfig};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogId, RaftLogReader, RaftTypeConfig, Vote};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::codec::{be, blocking, decode, encode, flush, open_tree};
use crate::error::{IntoRaft, RaftError, StorageError};

/// The type configs a [`LogStore`] can hold the log of: our node ids and addresses, openraft's
/// own entry type (whose serde form is what the log stores).
pub trait LogConfig: RaftTypeConfig<NodeId = NodeId, Node = Node, Entry = Entry<Self>> {}

impl<C> LogConfig for C where C: RaftTypeConfig<NodeId = NodeId, Node = Node, Entry = Entry<C>> {}

const VOTE: &[u8] = b"vote";
const LAST_PURGED: &[u8] = b"last_purged";
const COMMITTED: &[u8] = b"committed";

/// openraft's log store for one group. Cheap to clone: clones share the same sled trees, which
/// is how the log reader handed to replication tasks sees every append.
///
/// Invariants: entries are keyed by their big-endian index and always form one contiguous run
/// (truncate and purge are atomic sled batches); `last_purged` is durable before anything is
/// purged; the vote and every appended batch are flushed before openraft is told they are done.
///
/// Appends are group-committed: `append` writes the entries into sled and hands the flush
/// callback to a flusher task, which flushes once for every callback that queued up meanwhile
/// and only then reports them durable (in order). RaftCore never waits on a flush, so it keeps
/// batching new entries while the previous batch is being synced.
///
/// Generic over the group's type config: the regional groups (the default) and the
/// coordination group share this one implementation of the durability rules.
pub struct LogStore<C: LogConfig = RegionTypeConfig> {
    log: sled::Tree,
    meta: sled::Tree,
    flusher: mpsc::UnboundedSender<(LogFlushed<C>, sled::Tree)>,
}

impl<C: LogConfig> Clone for LogStore<C> {
    fn clone(&self) -> Self {
        LogStore {
            log: self.log.clone(),
            meta: self.meta.clone(),
            flusher: self.flusher.clone(),
        }
    }
}

impl<C: LogConfig> LogStore<C> {
    /// Must be called inside a tokio runtime: it starts the group's flusher task.
    pub(crate) fn open(db: &sled::Db, group: &GroupId) -> Result<LogStore<C>, StorageError> {
        let log = open_tree(db, group, "log")?;
        let (flusher, rx) = mpsc::unbounded_channel();
        tokio::spawn(run_flusher::<C>(rx));
        Ok(LogStore {
            log,
            meta: open_tree(db, group, "meta")?,
            flusher,
        })
    }

    fn get_meta<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StorageError> {
        match self
            .meta
            .get(key)
            .map_err(StorageError::sled("read meta"))?
        {
            Some(v) => decode("decode meta value", &v).map(Some),
            None => Ok(None),
        }
    }

    fn put_meta<T: Serialize>(&self, key: &[u8], v: &T) -> Result<(), StorageError> {
        let v = encode("encode meta value", v)?;
        self.meta
            .insert(key, v)
            .map_err(StorageError::sled("write meta"))?;
        Ok(())
    }

    fn last_log_id(&self) -> Result<Option<LogId<NodeId>>, StorageError> {
        match self
            .log
            .last()
            .map_err(StorageError::sled("read last log"))?
        {
            Some((_, v)) => {
                let e: Entry<C> = decode("decode log entry", &v)?;
                Ok(Some(*e.get_log_id()))
            }
            None => Ok(None),
        }
    }

    /// Removes the keys of `range` in one atomic batch (so a crash cannot leave a hole).
    fn remove_range(
        tree: &sled::Tree,
        range: impl RangeBounds<[u8; 8]>,
    ) -> Result<(), StorageError> {
        let mut batch = sled::Batch::default();
        for kv in tree.range(range) {
            let (k, _) = kv.map_err(StorageError::sled("scan log"))?;
            batch.remove(k);
        }
        tree.apply_batch(batch)
            .map_err(StorageError::sled("delete log range"))
    }

    fn read_range(
        tree: &sled::Tree,
        start: u64,
        end: Bound<u64>,
    ) -> Result<Vec<Entry<C>>, StorageError> {
        let end = match end {
            Bound::Excluded(e) => Bound::Excluded(be(e)),
            Bound::Included(e) => Bound::Included(be(e)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let mut out = Vec::new();
        for kv in tree.range((Bound::Included(be(start)), end)) {
            let (_, v) = kv.map_err(StorageError::sled("read log"))?;
            out.push(decode("decode log entry", &v)?);
        }
        Ok(out)
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
        let end = range.end_bound().cloned();
        // Reads are served from sled's cache and bounded by max_payload_entries: inline is
        // cheaper than a thread hop.
        Self::read_range(&self.log, start, end).read_logs()
    }
}

impl<C: LogConfig> RaftLogStorage<C> for LogStore<C> {
    type LogReader = LogStore<C>;

    async fn get_log_state(&mut self) -> Result<LogState<C>, RaftError> {
        let last_purged: Option<LogId<NodeId>> = self.get_meta(LAST_PURGED).read_logs()?;
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
        self.put_meta(VOTE, vote).write_vote()?;
        flush(&self.meta).await.write_vote()
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, RaftError> {
        self.get_meta(VOTE).read_vote()
    }

    /// Not flushed on its own: it rides on the next flush. Losing it only means a restarted node
    /// waits for the leader before re-applying, which openraft handles.
    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> Result<(), RaftError> {
        self.put_meta(COMMITTED, &committed).write_logs()
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, RaftError> {
        Ok(self
            .get_meta::<Option<LogId<NodeId>>>(COMMITTED)
            .read_logs()?
            .flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<C>) -> Result<(), RaftError>
    where
        I: IntoIterator<Item = Entry<C>> + Send,
        I::IntoIter: Send,
    {
        let mut batch = sled::Batch::default();
        for e in entries {
            batch.insert(
                &be(e.get_log_id().index),
                encode("encode log entry", &e).write_logs()?,
            );
        }
        if let Err(e) = self.log.apply_batch(batch) {
            let e = StorageError::sled("append log")(e);
            callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
            return Err(e).write_logs();
        }
        // Durability is reported by the flusher once the entries are on disk.
        if let Err(mpsc::error::SendError((callback, _))) =
            self.flusher.send((callback, self.log.clone()))
        {
            callback.log_io_completed(Err(std::io::Error::other("log flusher stopped")));
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), RaftError> {
        let tree = self.log.clone();
        blocking(move || Self::remove_range(&tree, be(log_id.index)..))
            .await
            .write_logs()?;
        flush(&self.log).await.write_logs()
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), RaftError> {
        self.put_meta(LAST_PURGED, &log_id).write_logs()?;
        flush(&self.meta).await.write_logs()?;
        let tree = self.log.clone();
        blocking(move || Self::remove_range(&tree, ..=be(log_id.index)))
            .await
            .write_logs()?;
        flush(&self.log).await.write_logs()
    }
}

/// Flushes the database once per wave of queued appends, then completes their callbacks in
/// order. One flush covers every write made before it started.
///
/// The tree travels with each request, so an idle flusher holds no reference to the database
/// and a closed database can be reopened in the same process right away.
async fn run_flusher<C: LogConfig>(mut rx: mpsc::UnboundedReceiver<(LogFlushed<C>, sled::Tree)>) {
    let mut wave = Vec::new();
    while let Some((first, tree)) = rx.recv().await {
        wave.push(first);
        while let Ok((more, _)) = rx.try_recv() {
            wave.push(more);
        }
        let result = flush(&tree).await.map_err(|e| e.to_string());
        drop(tree);
        for cb in wave.drain(..) {
            cb.log_io_completed(result.clone().map_err(std::io::Error::other));
        }
    }
}
