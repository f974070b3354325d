//! openraft's storage conformance suite against the sled store.

use meridian_storage::{open_db, open_group, LogStore, StateMachine, StorageOptions};
use meridian_types::{GroupId, NodeId, RegionTypeConfig};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{StorageError, StorageIOError};

struct SledBuilder;

impl StoreBuilder<RegionTypeConfig, LogStore, StateMachine, tempfile::TempDir> for SledBuilder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<NodeId>> {
        let dir = tempfile::tempdir().map_err(|e| StorageIOError::write(&e))?;
        let db = open_db(dir.path()).map_err(|e| StorageIOError::write(&e))?;
        let (log, sm, _handle) = open_group(
            &db,
            &GroupId::Region("suite".into()),
            StorageOptions::default(),
        )
        .await
        .map_err(|e| StorageIOError::write(&e))?;
        Ok((dir, log, sm))
    }
}

/// Runs its own tokio runtimes, so it is a plain test.
#[test]
fn openraft_storage_suite() -> anyhow::Result<()> {
    Suite::test_all(SledBuilder)?;
    Ok(())
}
