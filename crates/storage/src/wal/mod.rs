//! A group's Raft log in its own files: segments `<seq>.wal` of [`record`]s in one directory,
//! written with `pwrite` and made durable with `fdatasync` by the [`syncer`] thread.
//!
//! Invariants:
//! - live entries (those after the last purge) form one contiguous run of indexes across the
//!   segments, in segment order; only their offsets are kept in memory (4 bytes an entry);
//! - only the last segment can hold a record that was never synced: a segment is synced
//!   before the next one is created, and truncation removes later segments (and syncs the
//!   directory) before it cuts the earlier one. So on open a torn or damaged record at the end
//!   of the last segment is a write the crash cut short (never acknowledged) and is cut away,
//!   while damage anywhere else is reported, never skipped;
//! - entries at or below the purge point are dead even if their bytes are still on disk.

mod record;
mod segment;
mod syncer;
#[cfg(test)]
mod tests;

use std::fs::{self, File};
use std::iter;
use std::mem;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::StorageError;
use crate::fsutil::{create_dir_durable, sync_dir};
use record::{Kind, Parsed, HEADER_LEN};
use segment::{damaged, parse_segment_name, Segment};
pub(crate) use syncer::Done;
use syncer::Syncer;

/// A segment is closed and a new one started once it holds this many bytes.
pub(crate) const SEGMENT_BYTES: u64 = 64 << 20;

/// Records built for one [`Wal::append`]: entries in index order, each followed by the next.
#[derive(Default)]
pub(crate) struct Batch {
    buf: Vec<u8>,
    /// (index, offset in `buf`) of each entry.
    entries: Vec<(u64, usize)>,
}

impl Batch {
    /// Adds the entry at `index`, its payload written by `payload`.
    pub(crate) fn push<E>(
        &mut self,
        index: u64,
        payload: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        let at = self.buf.len();
        record::push(&mut self.buf, Kind::Entry, index, payload)?;
        self.entries.push((index, at));
        Ok(())
    }
}

/// The segments in order: a log always has one, the active one, which takes the appends.
struct Inner {
    /// The segments before the active one, oldest first.
    older: Vec<Segment>,
    active: Segment,
    /// Entries at or below this index are purged.
    purged: Option<u64>,
}

/// What [`Wal::open`] found besides the entries.
pub(crate) struct Recovered {
    /// Payload of the newest committed-id record, if any survives.
    pub(crate) committed: Option<Vec<u8>>,
}

pub(crate) struct Wal {
    dir: PathBuf,
    /// [`SEGMENT_BYTES`], smaller in tests.
    segment_bytes: u64,
    inner: Mutex<Inner>,
    syncer: Syncer,
    /// Set by a failed write or sync: the files may then differ from what memory says, so the
    /// log takes no more writes (openraft stops the group on the first storage error anyway).
    failed: Arc<AtomicBool>,
}

impl Wal {
    /// Opens the log of `group` in `dir` (created if missing), recovering its segments;
    /// entries at or below `purged` are dead. `group` names the sync thread.
    pub(crate) fn open(
        dir: &Path,
        purged: Option<u64>,
        group: &str,
    ) -> Result<(Wal, Recovered), StorageError> {
        Wal::open_with(dir, purged, group, SEGMENT_BYTES)
    }

    fn open_with(
        dir: &Path,
        purged: Option<u64>,
        group: &str,
        segment_bytes: u64,
    ) -> Result<(Wal, Recovered), StorageError> {
        create_dir_durable(dir).map_err(StorageError::file("create log directory", dir))?;
        let mut seqs = Vec::new();
        for entry in fs::read_dir(dir).map_err(StorageError::file("list log directory", dir))? {
            let entry = entry.map_err(StorageError::file("list log directory", dir))?;
            match parse_segment_name(&entry.file_name().to_string_lossy()) {
                Some(seq) => seqs.push(seq),
                None => {
                    return Err(damaged(
                        &entry.path(),
                        0,
                        "unexpected file in the log directory",
                    ))
                }
            }
        }
        seqs.sort_unstable();
        let mut older = Vec::new();
        let mut committed = None;
        let count = seqs.len();
        for (i, seq) in seqs.into_iter().enumerate() {
            let prev = live_bounds(older.iter()).map(|(_, last)| last);
            let (seg, found) = Segment::recover(dir, seq, i + 1 == count, purged, prev)?;
            committed = found.or(committed);
            older.push(seg);
        }
        let active = match older.pop() {
            Some(newest) => newest,
            None => Segment::create(dir, 1)?,
        };
        let mut inner = Inner {
            older,
            active,
            purged,
        };
        inner.remove_dead_segments()?;
        // A killed process may have left writes in the page cache that were never synced:
        // sync them before they are trusted (openraft takes entries present as durable).
        let active = &inner.active;
        active
            .file
            .sync_data()
            .map_err(StorageError::file("sync log segment", &active.path))?;
        sync_dir(dir).map_err(StorageError::file("sync log directory", dir))?;
        let failed = Arc::new(AtomicBool::new(false));
        let syncer = Syncer::start(group, failed.clone())
            .map_err(StorageError::file("start the sync thread of", dir))?;
        let wal = Wal {
            dir: dir.to_path_buf(),
            segment_bytes,
            inner: Mutex::new(inner),
            syncer,
            failed,
        };
        Ok((wal, Recovered { committed }))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The log for writing, unless an earlier write or sync failed.
    fn lock_for_write(&self) -> Result<MutexGuard<'_, Inner>, StorageError> {
        let inner = self.lock();
        if self.failed.load(Ordering::Acquire) {
            return Err(StorageError::LogOrder(format!(
                "{}: an earlier write or sync of this log failed; restart the node",
                self.dir.display()
            )));
        }
        Ok(inner)
    }

    /// Writes `bytes` at the end of the active segment; a failure marks the log failed.
    fn write_at_end(&self, seg: &mut Segment, bytes: &[u8]) -> Result<u64, StorageError> {
        let base = seg.len;
        if let Err(e) = seg.file.write_all_at(bytes, base) {
            self.failed.store(true, Ordering::Release);
            let _ = seg.file.set_len(base);
            return Err(StorageError::file("write log segment", &seg.path)(e));
        }
        seg.len = base + bytes.len() as u64;
        Ok(base)
    }

    /// First and last live index, or None when no entry is live.
    pub(crate) fn bounds(&self) -> Option<(u64, u64)> {
        self.lock().bounds()
    }

    /// Writes the batch (readable on return, durable only after a [`Wal::sync_then`] on the
    /// returned file). Entries at or after the batch's first index are replaced, durably.
    /// Entries must come in increasing order; those at or below the purge point are dead on
    /// arrival and not written (openraft never sends them; its conformance suite does).
    pub(crate) fn append(&self, batch: &Batch) -> Result<Arc<File>, StorageError> {
        if !batch.entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err(StorageError::LogOrder(format!(
                "entries {:?} are not in increasing order",
                batch.entries.iter().map(|e| e.0).collect::<Vec<_>>(),
            )));
        }
        let mut inner = self.lock_for_write()?;
        let live = match inner.purged {
            Some(p) => batch.entries.partition_point(|&(i, _)| i <= p),
            None => 0,
        };
        let Some(&(first, skip)) = batch.entries.get(live) else {
            return Ok(inner.active.file.clone());
        };
        if let Some(expected) = inner.next_index().filter(|&e| first > e) {
            return Err(StorageError::LogOrder(format!(
                "entry {first} would leave a hole after {}",
                expected - 1
            )));
        }
        if inner.bounds().is_some_and(|(_, last)| first <= last) {
            self.truncate_locked(&mut inner, first)?;
        }
        if inner.active.len >= self.segment_bytes {
            self.roll(&mut inner)?;
        }
        let bytes = &batch.buf[skip..];
        let seg = &mut inner.active;
        if seg.len + bytes.len() as u64 > u64::from(u32::MAX) {
            return Err(StorageError::LogOrder(format!(
                "a batch of {} bytes does not fit a log segment",
                bytes.len()
            )));
        }
        let base = self.write_at_end(seg, bytes)?;
        for &(index, at) in &batch.entries[live..] {
            seg.index_entry(index, base + (at - skip) as u64);
        }
        Ok(seg.file.clone())
    }

    /// Calls `done` once every write to `file` made so far is on disk.
    pub(crate) fn sync_then(&self, file: Arc<File>, done: Done) {
        self.syncer.sync_then(file, done);
    }

    /// Writes a committed-id record (made durable by the next sync).
    pub(crate) fn save_committed(&self, payload: &[u8]) -> Result<(), StorageError> {
        let mut buf = Vec::with_capacity(HEADER_LEN + payload.len());
        record::push::<()>(&mut buf, Kind::Committed, 0, |b| {
            b.extend_from_slice(payload);
            Ok(())
        })
        .ok();
        let mut inner = self.lock_for_write()?;
        self.write_at_end(&mut inner.active, &buf).map(drop)
    }

    /// Calls `f(index, payload)` for each live entry in `start..end`, in order.
    pub(crate) fn read(
        &self,
        start: u64,
        end: u64,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let inner = self.lock();
        let mut buf = Vec::new();
        for seg in inner.segments() {
            let (a, b) = (start.max(seg.start), end.min(seg.end()));
            if !seg.has_entries() || a >= b {
                continue;
            }
            let from = seg.offset_from(a);
            let to = seg.offset_from(b);
            buf.resize((to - from) as usize, 0);
            seg.file
                .read_exact_at(&mut buf, from)
                .map_err(StorageError::file("read log segment", &seg.path))?;
            let mut prev = None;
            for (at, parsed) in record::walk(&buf) {
                let here = from + at as u64;
                match parsed {
                    Parsed::Record {
                        kind: Kind::Entry,
                        index,
                        payload,
                        ..
                    } => {
                        if index < a || index >= b || prev.is_some_and(|p| index <= p) {
                            return Err(damaged(
                                &seg.path,
                                here,
                                format!("entry {index} found reading {a}..{b}"),
                            ));
                        }
                        f(index, payload)?;
                        prev = Some(index);
                    }
                    Parsed::Record { .. } => {}
                    Parsed::Incomplete => return Err(damaged(&seg.path, here, "entry cut short")),
                    Parsed::Damaged(why) => return Err(damaged(&seg.path, here, why)),
                }
            }
        }
        Ok(())
    }

    /// Removes the entries at `index` and after, durably.
    pub(crate) fn truncate(&self, index: u64) -> Result<(), StorageError> {
        let mut inner = self.lock_for_write()?;
        self.truncate_locked(&mut inner, index)
    }

    fn truncate_locked(&self, inner: &mut Inner, index: u64) -> Result<(), StorageError> {
        let Some(keep) = inner
            .segments()
            .position(|s| s.has_entries() && index < s.end())
        else {
            return Ok(());
        };
        // Later segments go first (and durably), so a crash never leaves a hole.
        // Newest first, each removal synced before the next, so no crash can bring back a
        // later segment while an earlier one is gone.
        while let Some(seg) = inner.pop_active_after(keep) {
            fs::remove_file(&seg.path)
                .map_err(StorageError::file("remove log segment", &seg.path))?;
            sync_dir(&self.dir).map_err(StorageError::file("sync log directory", &self.dir))?;
        }
        let seg = &mut inner.active;
        let cut = seg.offset_from(index);
        seg.file
            .set_len(cut)
            .and_then(|()| seg.file.sync_data())
            .map_err(StorageError::file("truncate log segment", &seg.path))?;
        seg.forget_from(index, cut);
        Ok(())
    }

    /// Marks the entries up to and including `index` dead, in memory only: they are no longer
    /// read, and appends at or below `index` are dropped.
    pub(crate) fn forget_through(&self, index: u64) {
        self.lock().forget_through(index);
    }

    /// [`Wal::forget_through`], then deletes the segments that hold nothing live. The caller
    /// has made the purge point durable first.
    pub(crate) fn purge(&self, index: u64) -> Result<(), StorageError> {
        let mut inner = self.lock();
        inner.forget_through(index);
        inner.remove_dead_segments()
    }

    /// Syncs the active segment and starts a new one.
    fn roll(&self, inner: &mut Inner) -> Result<(), StorageError> {
        let old = &inner.active;
        old.file
            .sync_data()
            .map_err(StorageError::file("sync log segment", &old.path))?;
        let seg = Segment::create(&self.dir, old.seq + 1)?;
        let old = mem::replace(&mut inner.active, seg);
        inner.older.push(old);
        Ok(())
    }
}

/// First and last live index of `segments` (in order), or None when no entry is live.
fn live_bounds<'a>(
    segments: impl DoubleEndedIterator<Item = &'a Segment> + Clone,
) -> Option<(u64, u64)> {
    let first = segments.clone().find(|s| s.has_entries())?.start;
    let last = segments.rev().find(|s| s.has_entries())?.end() - 1;
    Some((first, last))
}

impl Inner {
    /// Every segment, oldest first, the active one last.
    fn segments(&self) -> impl DoubleEndedIterator<Item = &Segment> + Clone {
        self.older.iter().chain(iter::once(&self.active))
    }

    /// When the active segment comes after segment `keep` (its position in
    /// [`Inner::segments`]), takes it out, the segment before it becoming the active one.
    fn pop_active_after(&mut self, keep: usize) -> Option<Segment> {
        if self.older.len() <= keep {
            return None;
        }
        let before = self.older.pop()?;
        Some(mem::replace(&mut self.active, before))
    }

    fn forget_through(&mut self, index: u64) {
        self.purged = Some(self.purged.map_or(index, |p| p.max(index)));
        for seg in self.older.iter_mut().chain(iter::once(&mut self.active)) {
            seg.forget_through(index);
        }
    }

    /// The index the next append must have, when it is known.
    fn next_index(&self) -> Option<u64> {
        match self.bounds() {
            Some((_, last)) => Some(last + 1),
            None => self.purged.map(|p| p + 1),
        }
    }

    fn bounds(&self) -> Option<(u64, u64)> {
        live_bounds(self.segments())
    }

    /// Deletes the segments that hold no live entry (purged, or never written), except the
    /// active one, which takes the next appends. Their entries are dead, so the directory need
    /// not be synced: a segment that comes back after a crash is skipped again.
    fn remove_dead_segments(&mut self) -> Result<(), StorageError> {
        while let Some(dead) = self.older.iter().position(|s| !s.has_entries()) {
            let seg = self.older.remove(dead);
            fs::remove_file(&seg.path)
                .map_err(StorageError::file("remove log segment", &seg.path))?;
        }
        Ok(())
    }
}
