//! The replication backlog of one group: tree `<group>/backlog`, `seq → BacklogOp`, trimmed
//! from the oldest end by size (Redis's `repl-backlog-size`).

use std::sync::{Mutex, PoisonError};

pub use meridian_types::BacklogOp;
use meridian_types::{GroupId, Seq};

use crate::codec::{be, decode, encode, from_be, open_tree};
use crate::error::StorageError;

/// Size the backlog charges for one stored record: key plus encoded value.
fn charged(value_len: usize) -> u64 {
    8 + value_len as u64
}

/// The backlog tree and its bookkeeping.
///
/// Layout: one record per `append` call (one apply of committed entries), keyed by the seq of
/// its first op, holding the ops in seq order. One sled insert per apply instead of one per op
/// keeps the backlog cheap under write batching.
///
/// Invariant: the stored seqs are contiguous. Appends come in seq order from apply; trimming
/// only removes the oldest record; a snapshot install (which jumps seq) clears the backlog.
pub(crate) struct Backlog {
    tree: sled::Tree,
    max_bytes: u64,
    /// Bookkeeping kept in memory (recomputed on open); the mutex serialises appends, trims
    /// and clears.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    total: u64,
    last: Option<Seq>,
}

fn decode_record(v: &[u8]) -> Result<Vec<BacklogOp>, StorageError> {
    decode("decode backlog record", v)
}

impl Backlog {
    /// Opens the tree and sums its size (a full scan; done once per group open).
    pub(crate) fn open(
        db: &sled::Db,
        group: &GroupId,
        max_bytes: u64,
    ) -> Result<Backlog, StorageError> {
        let tree = open_tree(db, group, "backlog")?;
        let mut state = State::default();
        for kv in tree.iter() {
            let (_, v) = kv.map_err(StorageError::sled("scan backlog"))?;
            state.total += charged(v.len());
        }
        if let Some((_, v)) = tree.last().map_err(StorageError::sled("read backlog"))? {
            state.last = decode_record(&v)?.last().map(|op| op.seq);
        }
        Ok(Backlog {
            tree,
            max_bytes,
            state: Mutex::new(state),
        })
    }

    /// Stores `ops` (in seq order) as one record and trims.
    ///
    /// Keeps the stored seqs contiguous: an op at or below the newest stored seq (re-applied
    /// after a restart) is already there, identical since apply is deterministic, and is
    /// skipped; an op past a gap means the stored ops no longer lead to it, so they are
    /// dropped first.
    pub(crate) fn append(&self, ops: &[BacklogOp]) -> Result<(), StorageError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh: Vec<&BacklogOp> = ops
            .iter()
            .filter(|op| state.last.is_none_or(|last| op.seq > last))
            .collect();
        let Some(first) = fresh.first() else {
            return Ok(());
        };
        if state.last.is_some_and(|last| first.seq > last + 1) {
            self.tree
                .clear()
                .map_err(StorageError::sled("clear backlog"))?;
            state.total = 0;
        }
        let v = encode("encode backlog record", &fresh)?;
        let len = v.len();
        self.tree
            .insert(be(first.seq), v)
            .map_err(StorageError::sled("append backlog"))?;
        state.total += charged(len);
        state.last = fresh.last().map(|op| op.seq);
        self.trim(&mut state)
    }

    /// Drops the oldest records while over budget, always keeping the newest one so the latest
    /// write can still be fetched.
    fn trim(&self, state: &mut State) -> Result<(), StorageError> {
        while state.total > self.max_bytes {
            let Some((k, v)) = self
                .tree
                .first()
                .map_err(StorageError::sled("read backlog"))?
            else {
                break;
            };
            let is_newest = self
                .tree
                .last()
                .map_err(StorageError::sled("read backlog"))?
                .is_some_and(|(last, _)| last == k);
            if is_newest {
                break;
            }
            if self
                .tree
                .remove(&k)
                .map_err(StorageError::sled("trim backlog"))?
                .is_some()
            {
                state.total -= charged(v.len());
            }
        }
        Ok(())
    }

    /// Writes the backlog out, so the ops a snapshot covers outlive a crash with it (the log
    /// after the snapshot rebuilds the rest).
    pub(crate) fn flush(&self) -> Result<(), StorageError> {
        self.tree
            .flush()
            .map(|_| ())
            .map_err(StorageError::sled("flush backlog"))
    }

    /// Empties the backlog (its ops no longer connect to the state after a snapshot install).
    pub(crate) fn clear(&self) -> Result<(), StorageError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.tree
            .clear()
            .map_err(StorageError::sled("clear backlog"))?;
        *state = State::default();
        Ok(())
    }

    /// Ops with seq ≥ `from_seq`, oldest first, until adding one more would pass `max_bytes`
    /// (at least one op is returned when any exists). Sizes are the ops' encoded sizes.
    pub(crate) fn range(
        &self,
        from_seq: Seq,
        max_bytes: u64,
    ) -> Result<Vec<BacklogOp>, StorageError> {
        // Start at the record holding `from_seq` (the last one keyed at or before it).
        let start = match self
            .tree
            .range(..=be(from_seq))
            .next_back()
            .transpose()
            .map_err(StorageError::sled("read backlog"))?
        {
            Some((k, _)) => k.to_vec(),
            None => be(from_seq).to_vec(),
        };
        let mut out = Vec::new();
        let mut used = 0u64;
        for kv in self.tree.range(start..) {
            let (_, v) = kv.map_err(StorageError::sled("read backlog"))?;
            for op in decode_record(&v)? {
                if op.seq < from_seq {
                    continue;
                }
                let size = charged(encode("size backlog op", &op)?.len());
                if !out.is_empty() && used + size > max_bytes {
                    return Ok(out);
                }
                used += size;
                out.push(op);
            }
        }
        Ok(out)
    }

    pub(crate) fn first_seq(&self) -> Result<Option<Seq>, StorageError> {
        match self
            .tree
            .first()
            .map_err(StorageError::sled("read backlog"))?
        {
            Some((k, _)) => from_be(&self.tree, &k).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn last_seq(&self) -> Result<Option<Seq>, StorageError> {
        Ok(self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last)
    }

    /// Bytes currently charged to the backlog.
    pub(crate) fn bytes(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn op(seq: Seq) -> BacklogOp {
        BacklogOp {
            seq,
            db: 0,
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

        // phase: replayed ops (after a restart) are already there, never add a hole
        b.append(&[op(3), op(4), op(6)])?;
        assert_eq!(seqs(&b), vec![5, 6, 7]);
        assert_eq!(b.bytes(), bytes);

        // phase: a range starting inside a record returns the rest of it
        assert_eq!(
            b.range(6, u64::MAX)?
                .iter()
                .map(|o| o.seq)
                .collect::<Vec<_>>(),
            vec![6, 7]
        );

        // phase: an op past a gap drops what no longer leads to it
        b.append(&[op(10)])?;
        assert_eq!(seqs(&b), vec![10]);
        let one = encode("test", &vec![&op(10)])?.len();
        assert_eq!(b.bytes(), charged(one));
        Ok(())
    }
}
