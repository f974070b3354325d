//! Opening the node's sled database and a group's stores in it.

use std::path::Path;
use std::sync::Arc;

use meridian_types::GroupId;

use crate::backlog::Backlog;
use crate::codec::blocking;
use crate::error::StorageError;
use crate::handle::SmHandle;
use crate::log_store::LogStore;
use crate::sm_state::SmState;
use crate::snapshot_store::SnapshotStore;
use crate::state_machine::{Shared, StateMachine};

/// sled page cache for the whole node. 16 MiB keeps a node with 1M keys and fresh snapshots
/// under twice redis-server's RSS (64 MiB did not: docs/benchmarks.md, memory); the Raft log
/// and backlog are read near their tails, which stay cached.
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

/// Per-group storage settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageOptions {
    /// Bytes of replication backlog kept before the oldest ops are trimmed. Default 64 MiB.
    pub backlog_max_bytes: u64,
}

impl Default for StorageOptions {
    fn default() -> StorageOptions {
        StorageOptions {
            backlog_max_bytes: 64 << 20,
        }
    }
}

impl StorageOptions {
    pub fn validate(&self) -> Result<(), StorageError> {
        if self.backlog_max_bytes == 0 {
            return Err(StorageError::Options(
                "backlog_max_bytes must be at least 1 (bytes); 0 would drop every op".to_string(),
            ));
        }
        Ok(())
    }
}

/// Opens (or creates) the node's one sled database. A second open of the same path in this
/// process fails: share the returned `Db` between groups.
///
/// sled locks the directory. A node restarted inside the same process (tests) may find the
/// lock still held for a moment by tasks of its previous incarnation that are winding down, so
/// a held lock is retried for up to [`LOCK_WAIT`] before it is reported (then it usually means
/// another process uses the directory).
pub fn open_db(path: &Path) -> Result<sled::Db, StorageError> {
    let started = std::time::Instant::now();
    loop {
        let opened = sled::Config::new()
            .path(path)
            .cache_capacity(DEFAULT_CACHE_BYTES)
            // Durability comes from our explicit flushes (log appends, votes, snapshots);
            // sled's own timer flush would only add latency spikes.
            .flush_every_ms(None)
            .open();
        match opened {
            Err(sled::Error::Io(e)) if is_held_lock(&e) && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => {
                return other.map_err(|source| StorageError::Open {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
}

/// sled 0.34 reports a directory lock held elsewhere as an `Other` error whose text names
/// it ("could not acquire lock on …"), with the OS's `WouldBlock` only inside the text.
fn is_held_lock(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

/// How long [`open_db`] waits for a held directory lock.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens a group's log store and state machine in `db`. The state machine starts from the
/// current snapshot, if any; openraft then re-applies the log after it.
pub async fn open_group(
    db: &sled::Db,
    group: &GroupId,
    opts: StorageOptions,
) -> Result<(LogStore, StateMachine, SmHandle), StorageError> {
    opts.validate()?;
    let log = LogStore::open(db, group)?;
    let db = db.clone();
    let group = group.clone();
    let shared = blocking(move || {
        let snapshots = SnapshotStore::open(&db, &group)?;
        let state = match snapshots.load()? {
            Some((_, data)) => SmState::decode(&data)?,
            None => SmState::default(),
        };
        let backlog = Backlog::open(&db, &group, opts.backlog_max_bytes)?;
        // A backlog that ends before the snapshot's seq has a gap after it (a crash between an
        // install and its backlog clear): drop it.
        if backlog.last_seq()?.is_some_and(|last| last < state.seq) {
            backlog.clear()?;
        }
        tracing::debug!(
            group = %group,
            seq = state.seq,
            last_applied = ?state.last_applied,
            "opened group storage"
        );
        Ok(Shared::new(state, backlog, snapshots))
    })
    .await?;
    let sm = StateMachine::new(Arc::new(shared));
    let handle = sm.handle();
    Ok((log, sm, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_waits_for_a_lock_that_is_released_and_names_one_that_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = open_db(dir.path()).expect("first open");
        // phase: released after a moment (an in-process restart): the second open waits
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(first);
        });
        let second = open_db(dir.path()).expect("second open after the release");
        release.join().expect("release thread");
        // phase: never released: refused after LOCK_WAIT with the lock named
        let started = std::time::Instant::now();
        let err = open_db(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("could not acquire lock"), "{err}");
        assert!(started.elapsed() >= LOCK_WAIT);
        drop(second);
    }
}
