//! The group's current snapshot, persisted in tree `<group>/snapshot`.
//!
//! Layout: `current` → bincode [`CurrentRecord`]; chunk `0x00 ‖ generation ‖ index` (big-endian
//! u64s) → up to [`CHUNK_SIZE`] bytes. A save writes the chunks under a fresh generation, then
//! switches `current` in one insert and flushes, then removes the previous generation. A crash
//! at any point leaves either the old or the new snapshot current; chunks of other generations
//! are garbage and are removed on open.

use std::sync::{Mutex, PoisonError};

use meridian_types::{GroupId, Node, NodeId};
use openraft::SnapshotMeta;
use serde::{Deserialize, Serialize};

use crate::codec::{be, decode, encode, open_tree};
use crate::error::StorageError;

/// Size of one stored chunk of snapshot data.
pub(crate) const CHUNK_SIZE: usize = 1 << 20;

/// Metadata and bytes of a stored snapshot.
pub(crate) type StoredSnapshot = (SnapshotMeta<NodeId, Node>, Vec<u8>);

const CURRENT: &[u8] = b"current";
/// Not a printable byte, so no chunk key shares a prefix with `current`.
const CHUNK_TAG: u8 = 0;
const RECORD_VERSION: u8 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CurrentRecord {
    version: u8,
    generation: u64,
    meta: SnapshotMeta<NodeId, Node>,
    len: u64,
    chunks: u64,
}

/// Whether a save may replace a snapshot that covers more of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveMode {
    /// A locally built snapshot: kept only if it is not older than the current one (a build
    /// runs concurrently with installs and may finish after a newer snapshot arrived).
    IfNotOlder,
    /// An installed snapshot replaces whatever was there.
    Replace,
}

/// Blocking API; callers run it on `spawn_blocking`.
pub(crate) struct SnapshotStore {
    tree: sled::Tree,
    /// Serialises saves, so generations never interleave.
    save_lock: Mutex<()>,
}

fn chunk_key(generation: u64, index: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = CHUNK_TAG;
    k[1..9].copy_from_slice(&be(generation));
    k[9..].copy_from_slice(&be(index));
    k
}

fn generation_prefix(generation: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = CHUNK_TAG;
    k[1..].copy_from_slice(&be(generation));
    k
}

impl SnapshotStore {
    /// Opens the tree and removes chunks a crashed save left behind.
    pub(crate) fn open(db: &sled::Db, group: &GroupId) -> Result<SnapshotStore, StorageError> {
        let store = SnapshotStore {
            tree: open_tree(db, group, "snapshot")?,
            save_lock: Mutex::new(()),
        };
        let keep = store.current()?.map(|r| r.generation);
        store.remove_chunks_except(keep)?;
        Ok(store)
    }

    fn current(&self) -> Result<Option<CurrentRecord>, StorageError> {
        let Some(v) = self
            .tree
            .get(CURRENT)
            .map_err(StorageError::sled("read snapshot record"))?
        else {
            return Ok(None);
        };
        let rec: CurrentRecord = decode("decode snapshot record", &v)?;
        if rec.version != RECORD_VERSION {
            return Err(StorageError::SnapshotVersion(rec.version, RECORD_VERSION));
        }
        Ok(Some(rec))
    }

    fn remove_chunks_except(&self, keep: Option<u64>) -> Result<(), StorageError> {
        let keep = keep.map(generation_prefix);
        for kv in self.tree.scan_prefix([CHUNK_TAG]) {
            let (k, _) = kv.map_err(StorageError::sled("scan snapshot chunks"))?;
            if keep.is_some_and(|p| k.starts_with(&p)) {
                continue;
            }
            self.tree
                .remove(k)
                .map_err(StorageError::sled("remove snapshot chunk"))?;
        }
        Ok(())
    }

    /// The current snapshot's metadata and data.
    pub(crate) fn load(&self) -> Result<Option<StoredSnapshot>, StorageError> {
        let Some(rec) = self.current()? else {
            return Ok(None);
        };
        let corrupt = |reason: String| StorageError::SnapshotCorrupt {
            id: rec.meta.snapshot_id.clone(),
            reason,
        };
        let mut data = Vec::with_capacity(usize::try_from(rec.len).unwrap_or(0));
        for i in 0..rec.chunks {
            let chunk = self
                .tree
                .get(chunk_key(rec.generation, i))
                .map_err(StorageError::sled("read snapshot chunk"))?
                .ok_or_else(|| corrupt(format!("chunk {i} of {} is missing", rec.chunks)))?;
            data.extend_from_slice(&chunk);
        }
        if data.len() as u64 != rec.len {
            return Err(corrupt(format!(
                "{} bytes stored, {} expected",
                data.len(),
                rec.len
            )));
        }
        Ok(Some((rec.meta, data)))
    }

    /// Makes `data` the current snapshot, durably. Returns false when `mode` kept the current one.
    pub(crate) fn save(
        &self,
        meta: &SnapshotMeta<NodeId, Node>,
        data: &[u8],
        mode: SaveMode,
    ) -> Result<bool, StorageError> {
        let _serial = self
            .save_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let old = self.current()?;
        if mode == SaveMode::IfNotOlder
            && old
                .as_ref()
                .is_some_and(|o| o.meta.last_log_id > meta.last_log_id)
        {
            return Ok(false);
        }
        let generation = old.as_ref().map_or(0, |o| o.generation + 1);
        // A failed save in this process may have left chunks under this generation.
        self.remove_chunks_except(old.as_ref().map(|o| o.generation))?;

        let mut chunks = 0u64;
        for (i, chunk) in data.chunks(CHUNK_SIZE).enumerate() {
            self.tree
                .insert(chunk_key(generation, i as u64), chunk)
                .map_err(StorageError::sled("write snapshot chunk"))?;
            chunks += 1;
        }
        let rec = CurrentRecord {
            version: RECORD_VERSION,
            generation,
            meta: meta.clone(),
            len: data.len() as u64,
            chunks,
        };
        self.tree
            .insert(CURRENT, encode("encode snapshot record", &rec)?)
            .map_err(StorageError::sled("switch current snapshot"))?;
        self.tree
            .flush()
            .map_err(StorageError::sled("flush snapshot"))?;
        self.remove_chunks_except(Some(generation))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, LogId, StoredMembership};

    use super::*;

    fn meta(index: u64) -> SnapshotMeta<NodeId, Node> {
        SnapshotMeta {
            last_log_id: Some(LogId::new(CommittedLeaderId::new(1, 1), index)),
            last_membership: StoredMembership::default(),
            snapshot_id: format!("s{index}"),
        }
    }

    fn chunk_count(tree: &sled::Tree) -> usize {
        tree.scan_prefix([CHUNK_TAG]).count()
    }

    #[test]
    fn multi_chunk_snapshots_round_trip_and_old_generations_go() -> Result<(), StorageError> {
        let dir = tempfile::tempdir()?;
        let db = crate::open_db(dir.path())?;
        let group = GroupId::Region("t".into());
        let store = SnapshotStore::open(&db, &group)?;
        assert!(store.load()?.is_none());

        let big: Vec<u8> = (0..(CHUNK_SIZE * 3 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        assert!(store.save(&meta(10), &big, SaveMode::IfNotOlder)?);
        assert_eq!(chunk_count(&store.tree), 4);
        let (m, data) = store.load()?.expect("current");
        assert_eq!((m, data == big), (meta(10), true));

        // phase: an older build does not replace a newer snapshot; an install does
        assert!(!store.save(&meta(5), b"old", SaveMode::IfNotOlder)?);
        assert_eq!(store.load()?.map(|(m, _)| m), Some(meta(10)));
        assert!(store.save(&meta(5), b"installed", SaveMode::Replace)?);
        assert_eq!(store.load()?, Some((meta(5), b"installed".to_vec())));
        assert_eq!(chunk_count(&store.tree), 1, "previous generation removed");

        // phase: chunks left by a crashed save are garbage-collected on open
        store
            .tree
            .insert(chunk_key(99, 0), b"orphan".as_slice())
            .map_err(StorageError::sled("test"))?;
        drop(store);
        let store = SnapshotStore::open(&db, &group)?;
        assert_eq!(chunk_count(&store.tree), 1);
        assert_eq!(store.load()?, Some((meta(5), b"installed".to_vec())));
        Ok(())
    }
}
