//! One segment file of the log and the in-memory index of its live entries.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::record::{self, Kind, Parsed};
use crate::error::StorageError;
use crate::fsutil::sync_dir;

const SEGMENT_EXT: &str = "wal";

pub(super) struct Segment {
    pub(super) seq: u64,
    pub(super) path: PathBuf,
    pub(super) file: Arc<File>,
    /// Bytes written (the next write's offset).
    pub(super) len: u64,
    /// Index of `offsets[0]` (meaningless while `offsets` is empty).
    pub(super) start: u64,
    /// Byte offset of each entry, in index order from `start` (entries are contiguous).
    offsets: Vec<u32>,
}

pub(super) fn damaged(path: &Path, offset: u64, reason: impl Into<String>) -> StorageError {
    StorageError::LogDamaged {
        path: path.to_path_buf(),
        offset,
        reason: reason.into(),
    }
}

/// The segment number in a file name made by [`segment_path`].
pub(super) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_EXT)?.strip_suffix('.')?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(super) fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.{SEGMENT_EXT}"))
}

fn open_file(path: &Path, create: bool) -> Result<File, StorageError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(create)
        .open(path)
        .map_err(StorageError::file("open log segment", path))
}

impl Segment {
    /// Creates segment `seq` in `dir` and makes its name durable.
    pub(super) fn create(dir: &Path, seq: u64) -> Result<Segment, StorageError> {
        let path = segment_path(dir, seq);
        let file = open_file(&path, true)?;
        sync_dir(dir).map_err(StorageError::file("sync log directory", dir))?;
        Ok(Segment {
            seq,
            path,
            file: Arc::new(file),
            len: 0,
            start: 0,
            offsets: Vec::new(),
        })
    }

    pub(super) fn has_entries(&self) -> bool {
        !self.offsets.is_empty()
    }

    /// One past the last index held (meaningless while empty).
    pub(super) fn end(&self) -> u64 {
        self.start + self.offsets.len() as u64
    }

    /// Records that the entry `index` (the next one, `end()`, unless the segment is empty)
    /// starts at byte `offset`.
    pub(super) fn index_entry(&mut self, index: u64, offset: u64) {
        if self.offsets.is_empty() {
            self.start = index;
        }
        debug_assert_eq!(index, self.end());
        self.offsets.push(offset as u32);
    }

    /// Byte offset of the first entry at or after `index`, or the end of the file.
    pub(super) fn offset_from(&self, index: u64) -> u64 {
        let skip = index.saturating_sub(self.start) as usize;
        self.offsets.get(skip).map_or(self.len, |&o| u64::from(o))
    }

    /// Forgets the entries at `index` and after (the caller cuts the file at
    /// `offset_from(index)`).
    pub(super) fn forget_from(&mut self, index: u64, cut: u64) {
        self.offsets
            .truncate(index.saturating_sub(self.start) as usize);
        self.len = cut;
    }

    /// Forgets the entries at or below `index`.
    pub(super) fn forget_through(&mut self, index: u64) {
        if self.offsets.is_empty() || index < self.start {
            return;
        }
        let dead = ((index - self.start + 1) as usize).min(self.offsets.len());
        self.offsets.drain(..dead);
        self.start += dead as u64;
    }

    /// Reads segment `seq` of `dir` back. Entries at or below `purged` are dead; a live entry
    /// must follow `prev` (the last live index before it) with no hole. A torn or damaged
    /// record is cut away when `last` (the newest segment, the only one a crash can have
    /// left torn) and reported otherwise. Returns the segment and the newest committed-id
    /// payload it holds.
    pub(super) fn recover(
        dir: &Path,
        seq: u64,
        last: bool,
        purged: Option<u64>,
        mut prev: Option<u64>,
    ) -> Result<(Segment, Option<Vec<u8>>), StorageError> {
        let path = segment_path(dir, seq);
        let bytes = fs::read(&path).map_err(StorageError::file("read log segment", &path))?;
        let mut seg = Segment {
            seq,
            file: Arc::new(open_file(&path, false)?),
            path,
            len: 0,
            start: 0,
            offsets: Vec::new(),
        };
        let mut committed = None;
        let mut end = bytes.len();
        for (at, parsed) in record::walk(&bytes) {
            match parsed {
                Parsed::Record {
                    kind,
                    index,
                    payload,
                    ..
                } => match kind {
                    Kind::Committed => committed = Some(payload.to_vec()),
                    Kind::Entry if purged.is_some_and(|p| index <= p) => {}
                    Kind::Entry => {
                        if let Some(p) = prev.filter(|&p| index != p + 1) {
                            return Err(damaged(
                                &seg.path,
                                at as u64,
                                format!("entry {index} follows entry {p}: the log has a hole"),
                            ));
                        }
                        seg.index_entry(index, at as u64);
                        prev = Some(index);
                    }
                },
                Parsed::Incomplete | Parsed::Damaged(_) if last => {
                    tracing::warn!(
                        segment = %seg.path.display(),
                        offset = at,
                        dropped_bytes = bytes.len() - at,
                        "cutting a torn write off the end of the Raft log (never acknowledged)"
                    );
                    seg.file
                        .set_len(at as u64)
                        .and_then(|()| seg.file.sync_data())
                        .map_err(StorageError::file("cut torn log tail", &seg.path))?;
                    end = at;
                }
                Parsed::Incomplete => {
                    return Err(damaged(&seg.path, at as u64, "record cut short"))
                }
                Parsed::Damaged(why) => return Err(damaged(&seg.path, at as u64, why)),
            }
        }
        seg.len = end as u64;
        Ok((seg, committed))
    }
}
