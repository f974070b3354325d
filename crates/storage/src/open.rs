//! Opening the node's storage and a group's stores in it.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use meridian_types::GroupId;

use crate::backlog::Backlog;
use crate::codec::{blocking, tree_name};
use crate::error::StorageError;
use crate::handle::SmHandle;
use crate::log_store::{LogConfig, LogStore};
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
    /// Tests only: deliberate bugs (see [`meridian_types::PlantedBugs`]).
    pub planted: meridian_types::PlantedBugs,
    /// The server's command table, as `ACL SETUSER` rules see it when they are applied. Every
    /// node of a cluster must hand in the same table: the rules' outcome is part of the
    /// replicated state. Default: empty (rules naming single commands are refused).
    pub acl_commands: Arc<Vec<meridian_acl::CommandInfo>>,
}

impl Default for StorageOptions {
    fn default() -> StorageOptions {
        StorageOptions {
            backlog_max_bytes: 64 << 20,
            planted: meridian_types::PlantedBugs::default(),
            acl_commands: Arc::default(),
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

/// A node's storage: the sled database in the data directory (replication backlogs) and, in
/// its `raft/` subdirectory, each group's Raft files (log, vote, snapshot), which Meridian
/// writes and `fsync`s itself. Derefs to the sled database. Cheap to clone.
#[derive(Clone)]
pub struct NodeDb {
    db: sled::Db,
    dir: PathBuf,
}

impl Deref for NodeDb {
    type Target = sled::Db;
    fn deref(&self) -> &sled::Db {
        &self.db
    }
}

impl NodeDb {
    /// The directory of `group`'s Raft files: `<data>/raft/<group>`.
    pub fn group_dir(&self, group: &GroupId) -> PathBuf {
        self.dir.join("raft").join(dir_name(group))
    }

    /// Where `group` keeps the writes it discarded on rejoins: `<data>/discarded/<group>`.
    pub fn discarded_dir(&self, group: &GroupId) -> PathBuf {
        self.dir.join("discarded").join(dir_name(group))
    }

    /// Refuses a data directory whose group log is still in sled (written by an older build):
    /// starting on it would silently forget every entry.
    pub(crate) fn refuse_old_layout(&self, group: &GroupId) -> Result<(), StorageError> {
        let name = tree_name(group, "log");
        let had_tree = self
            .db
            .tree_names()
            .iter()
            .any(|t| t.as_ref() == name.as_bytes());
        if had_tree {
            let tree = self
                .db
                .open_tree(&name)
                .map_err(StorageError::sled("open tree"))?;
            if !tree.is_empty() {
                return Err(StorageError::OldLayout {
                    path: self.dir.clone(),
                    new_dir: self.group_dir(group),
                });
            }
        }
        Ok(())
    }
}

/// `group`'s name as a directory name (bytes outside `[A-Za-z0-9._-]` as `%xx`).
fn dir_name(group: &GroupId) -> String {
    group
        .as_string()
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02x}"),
        })
        .collect()
}

/// Opens (or creates) the node's storage in `path`. A second open of the same path in this
/// process fails: share the returned [`NodeDb`] between groups.
///
/// sled locks the directory. A node restarted inside the same process (tests) may find the
/// lock still held for a moment by tasks of its previous incarnation that are winding down, so
/// a held lock is retried for up to [`LOCK_WAIT`] before it is reported (then it usually means
/// another process uses the directory).
pub fn open_db(path: &Path) -> Result<NodeDb, StorageError> {
    let started = std::time::Instant::now();
    loop {
        let opened = sled::Config::new()
            .path(path)
            .cache_capacity(DEFAULT_CACHE_BYTES)
            // sled holds only the replication backlogs, which a crash may shorten (the log
            // rebuilds what follows the snapshot): a background flush now and then keeps
            // secondaries from needing a full sync after a crash, without costing writes.
            .flush_every_ms(Some(BACKLOG_FLUSH_MS))
            .open();
        match opened {
            Err(sled::Error::Io(e)) if is_held_lock(&e) && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => {
                return other
                    .map(|db| NodeDb {
                        db,
                        dir: path.to_path_buf(),
                    })
                    .map_err(|source| StorageError::Open {
                        path: path.to_path_buf(),
                        source,
                    })
            }
        }
    }
}

/// How often sled writes the backlogs out in the background.
const BACKLOG_FLUSH_MS: u64 = 500;

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
    db: &NodeDb,
    group: &GroupId,
    opts: StorageOptions,
) -> Result<(LogStore, StateMachine, SmHandle), StorageError> {
    opts.validate()?;
    db.refuse_old_layout(group)?;
    let dir = db.group_dir(group);
    crate::format_stamp::check_or_stamp(&dir)?;
    let discarded_dir = db.discarded_dir(group);
    let db = db.clone();
    let group = group.clone();
    let (log, shared) = blocking(move || {
        let snapshots = SnapshotStore::open(&dir.join("snapshot"))?;
        let mut state = match snapshots.load()? {
            Some((_, data)) => SmState::decode(&data)?,
            None => SmState::default(),
        };
        state.planted = opts.planted;
        state.acl_commands = opts.acl_commands;
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
        let log = open_log(&db, &group, snapshots.durable())?;
        Ok((log, Shared::new(state, backlog, snapshots, discarded_dir)))
    })
    .await?;
    shared.replay_through.store(
        log.last_index().unwrap_or(0),
        std::sync::atomic::Ordering::Relaxed,
    );
    let sm = StateMachine::new(Arc::new(shared));
    let handle = sm.handle();
    Ok((log, sm, handle))
}

/// Opens `group`'s log store in `db` (blocking), after the group's snapshot store: `snapshot`
/// watches its durable snapshot.
pub(crate) fn open_log<C: LogConfig>(
    db: &NodeDb,
    group: &GroupId,
    snapshot: tokio::sync::watch::Receiver<Option<openraft::LogId<meridian_types::NodeId>>>,
) -> Result<LogStore<C>, StorageError> {
    LogStore::open(
        &db.group_dir(group),
        &group.as_string(),
        db.db.clone(),
        snapshot,
    )
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

    #[tokio::test]
    async fn a_log_left_in_sled_by_an_older_build_is_refused() -> Result<(), StorageError> {
        let dir = tempfile::tempdir()?;
        let db = open_db(dir.path())?;
        let group = GroupId::Region("east".into());
        db.open_tree(tree_name(&group, "log"))
            .and_then(|t| t.insert(1u64.to_be_bytes(), b"entry".as_slice()))
            .map_err(StorageError::sled("test"))?;
        let err = open_group(&db, &group, StorageOptions::default())
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("older Meridian") && err.contains("raft/region.east"),
            "{err}"
        );
        // an empty leftover tree is no reason to refuse
        db.drop_tree(tree_name(&group, "log"))
            .map_err(StorageError::sled("test"))?;
        db.open_tree(tree_name(&group, "log"))
            .map_err(StorageError::sled("test"))?;
        assert!(open_group(&db, &group, StorageOptions::default())
            .await
            .is_ok());
        Ok(())
    }
}
