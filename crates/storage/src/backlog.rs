//! The replication backlog of one group: tree `<group>/backlog`, `seq → BacklogOp`, trimmed
//! from the oldest end by size (Redis's `repl-backlog-size`).

use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use meridian_types::{GroupId, Seq};
use serde::{Deserialize, Serialize};

use crate::codec::{be, decode, encode, from_be, open_tree};
use crate::error::StorageError;

/// One applied client write (or active-expiry deletion) as secondaries replay it: the command
/// with the time and seed it was applied with, at replication position `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogOp {
    pub seq: Seq,
    pub now_ms: u64,
    pub seed: u64,
    pub argv: Vec<Bytes>,
}

/// Size the backlog charges for one stored op: key plus encoded value.
fn charged(value_len: usize) -> u64 {
    8 + value_len as u64
}

/// The backlog tree and its byte total, kept in memory (recomputed on open).
///
/// Invariant: the stored seqs are contiguous. Appends come in seq order from apply; trimming
/// only removes the oldest op; a snapshot install (which jumps seq) clears the backlog.
pub(crate) struct Backlog {
    tree: sled::Tree,
    max_bytes: u64,
    /// Bytes stored; the mutex also serialises appends, trims and clears.
    total: Mutex<u64>,
}

impl Backlog {
    /// Opens the tree and sums its size (a full scan; done once per group open).
    pub(crate) fn open(
        db: &sled::Db,
        group: &GroupId,
        max_bytes: u64,
    ) -> Result<Backlog, StorageError> {
        let tree = open_tree(db, group, "backlog")?;
        let mut total = 0;
        for kv in tree.iter() {
            let (_, v) = kv.map_err(StorageError::sled("scan backlog"))?;
            total += charged(v.len());
        }
        Ok(Backlog {
            tree,
            max_bytes,
            total: Mutex::new(total),
        })
    }

    /// Stores `ops` (in seq order) and trims. Blocking: call from `spawn_blocking`.
    ///
    /// Keeps the stored seqs contiguous: an op already present (re-applied after a restart) is
    /// replaced by the same bytes, since apply is deterministic; an op older than the oldest
    /// stored one was trimmed before and stays out; an op past a gap means the stored ops no
    /// longer lead to it, so they are dropped first.
    pub(crate) fn append(&self, ops: &[BacklogOp]) -> Result<(), StorageError> {
        let mut total = self.total.lock().unwrap_or_else(PoisonError::into_inner);
        let mut first = self.first_seq()?;
        let mut last = self.last_seq()?;
        for op in ops {
            if first.is_some_and(|f| op.seq < f) {
                continue;
            }
            if last.is_some_and(|l| op.seq > l + 1) {
                self.tree
                    .clear()
                    .map_err(StorageError::sled("clear backlog"))?;
                *total = 0;
                first = None;
            }
            let v = encode("encode backlog op", op)?;
            let len = v.len();
            let old = self
                .tree
                .insert(be(op.seq), v)
                .map_err(StorageError::sled("append backlog"))?;
            *total = *total - old.map_or(0, |o| charged(o.len())) + charged(len);
            first = first.or(Some(op.seq));
            last = Some(last.map_or(op.seq, |l| l.max(op.seq)));
        }
        if let Some(newest) = last {
            self.trim(&mut total, newest)?;
        }
        Ok(())
    }

    /// Drops the oldest ops while over budget, always keeping `newest` so the latest write can
    /// still be fetched.
    fn trim(&self, total: &mut u64, newest: Seq) -> Result<(), StorageError> {
        while *total > self.max_bytes {
            let Some((k, v)) = self
                .tree
                .first()
                .map_err(StorageError::sled("read backlog"))?
            else {
                break;
            };
            if from_be(&self.tree, &k)? >= newest {
                break;
            }
            if self
                .tree
                .remove(&k)
                .map_err(StorageError::sled("trim backlog"))?
                .is_some()
            {
                *total -= charged(v.len());
            }
        }
        Ok(())
    }

    /// Empties the backlog (its ops no longer connect to the state after a snapshot install).
    pub(crate) fn clear(&self) -> Result<(), StorageError> {
        let mut total = self.total.lock().unwrap_or_else(PoisonError::into_inner);
        self.tree
            .clear()
            .map_err(StorageError::sled("clear backlog"))?;
        *total = 0;
        Ok(())
    }

    /// Ops with seq ≥ `from_seq`, oldest first, until adding one more would pass `max_bytes`
    /// (at least one op is returned when any exists).
    pub(crate) fn range(
        &self,
        from_seq: Seq,
        max_bytes: u64,
    ) -> Result<Vec<BacklogOp>, StorageError> {
        let mut out = Vec::new();
        let mut used = 0u64;
        for kv in self.tree.range(be(from_seq)..) {
            let (_, v) = kv.map_err(StorageError::sled("read backlog"))?;
            let size = charged(v.len());
            if !out.is_empty() && used + size > max_bytes {
                break;
            }
            used += size;
            out.push(decode("decode backlog op", &v)?);
        }
        Ok(out)
    }

    pub(crate) fn first_seq(&self) -> Result<Option<Seq>, StorageError> {
        self.edge_seq(self.tree.first())
    }

    pub(crate) fn last_seq(&self) -> Result<Option<Seq>, StorageError> {
        self.edge_seq(self.tree.last())
    }

    fn edge_seq(
        &self,
        kv: sled::Result<Option<(sled::IVec, sled::IVec)>>,
    ) -> Result<Option<Seq>, StorageError> {
        match kv.map_err(StorageError::sled("read backlog"))? {
            Some((k, _)) => from_be(&self.tree, &k).map(Some),
            None => Ok(None),
        }
    }

    /// Bytes currently charged to the backlog.
    pub(crate) fn bytes(&self) -> u64 {
        *self.total.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(seq: Seq) -> BacklogOp {
        BacklogOp {
            seq,
            now_ms: 1,
            seed: 2,
            argv: vec![Bytes::from_static(b"DEL"), Bytes::from(format!("k{seq}"))],
        }
    }

    fn seqs(b: &Backlog) -> Vec<Seq> {
        b.range(0, u64::MAX)
            .expect("range")
            .iter()
            .map(|o| o.seq)
            .collect()
    }

    #[test]
    fn appends_keep_seqs_contiguous() -> Result<(), StorageError> {
        let dir = tempfile::tempdir()?;
        let db = crate::open_db(dir.path())?;
        let b = Backlog::open(&db, &GroupId::Region("t".into()), 1 << 20)?;
        b.append(&[op(5), op(6), op(7)])?;
        let bytes = b.bytes();

        // phase: replayed ops (after a restart) replace or stay out, never add a hole
        b.append(&[op(3), op(4), op(6)])?;
        assert_eq!(seqs(&b), vec![5, 6, 7]);
        assert_eq!(b.bytes(), bytes);

        // phase: an op past a gap drops what no longer leads to it
        b.append(&[op(10)])?;
        assert_eq!(seqs(&b), vec![10]);
        let one = encode("test", &op(10))?.len();
        assert_eq!(b.bytes(), charged(one));
        Ok(())
    }
}
