//! The generic log store and the in-memory state machine, as the coordination group uses them:
//! openraft's conformance suite, and a restart that restores the state from its snapshot.

use meridian_storage::{open_db, open_mem_group, LogStore, MemStateMachine, ReplicatedState};
use meridian_types::{AutoFailover, CoordRequest, CoordResponse, CoordTypeConfig, GroupId, NodeId};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, StorageError, StorageIOError};
use serde::{Deserialize, Serialize};

/// A stand-in control plane: remembers the ids created, in order.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Created(Vec<String>);

impl ReplicatedState<CoordTypeConfig> for Created {
    fn apply(&mut self, _log_id: &LogId<NodeId>, req: &CoordRequest) -> CoordResponse {
        if let CoordRequest::Create { id, .. } = req {
            self.0.push(id.clone());
        }
        CoordResponse::default()
    }
}

type Sm = MemStateMachine<CoordTypeConfig, Created>;

struct Builder;

impl StoreBuilder<CoordTypeConfig, LogStore<CoordTypeConfig>, Sm, tempfile::TempDir> for Builder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore<CoordTypeConfig>, Sm), StorageError<NodeId>> {
        let dir = tempfile::tempdir().map_err(|e| StorageIOError::write(&e))?;
        let db = open_db(dir.path()).map_err(|e| StorageIOError::write(&e))?;
        let (log, sm, _handle) = open_mem_group(&db, &GroupId::Coord)
            .await
            .map_err(|e| StorageIOError::write(&e))?;
        Ok((dir, log, sm))
    }
}

#[test]
fn openraft_storage_suite_on_the_coordination_store() -> anyhow::Result<()> {
    Suite::test_all(Builder)?;
    Ok(())
}

fn create(index: u64, id: &str) -> Entry<CoordTypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(CoordRequest::Create {
            id: id.into(),
            description: String::new(),
            primary: "c".into(),
            auto_failover: AutoFailover::Off,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_is_restored_from_its_snapshot_after_a_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // phase: apply two entries, snapshot, apply a third (not in the snapshot)
    {
        let db = open_db(dir.path())?;
        let (_log, mut sm, handle) =
            open_mem_group::<CoordTypeConfig, Created>(&db, &GroupId::Coord).await?;
        sm.apply([create(1, "a"), create(2, "b")]).await?;
        let snap = sm.get_snapshot_builder().await.build_snapshot().await?;
        assert_eq!(snap.meta.last_log_id.map(|l| l.index), Some(2));
        sm.apply([create(3, "c")]).await?;
        assert_eq!(handle.read(|s| s.0.clone()), ["a", "b", "c"]);
        assert_eq!(handle.last_applied().map(|l| l.index), Some(3));
        // files are named from the group id
        let snapshot = db.group_dir(&GroupId::Coord).join("snapshot/current.snap");
        assert!(snapshot.is_file(), "{}", snapshot.display());
        assert!(db.group_dir(&GroupId::Coord).ends_with("raft/coord"));
        db.flush_async().await?;
    }
    // phase: reopen: the snapshot's state is back (openraft re-applies entry 3 from the log)
    let db = open_db(dir.path())?;
    let (_log, mut sm, handle) =
        open_mem_group::<CoordTypeConfig, Created>(&db, &GroupId::Coord).await?;
    assert_eq!(handle.read(|s| s.0.clone()), ["a", "b"]);
    let (applied, _) = sm.applied_state().await?;
    assert_eq!(applied.map(|l| l.index), Some(2));
    let current = sm
        .get_current_snapshot()
        .await?
        .expect("a current snapshot");
    assert_eq!(current.meta.last_log_id.map(|l| l.index), Some(2));

    // phase: installing a snapshot replaces the state
    let dir2 = tempfile::tempdir()?;
    let db2 = open_db(dir2.path())?;
    let (_l2, mut other, other_handle) =
        open_mem_group::<CoordTypeConfig, Created>(&db2, &GroupId::Coord).await?;
    other
        .install_snapshot(&current.meta, current.snapshot)
        .await?;
    assert_eq!(other_handle.read(|s| s.0.clone()), ["a", "b"]);
    assert_eq!(other_handle.last_applied().map(|l| l.index), Some(2));
    Ok(())
}
