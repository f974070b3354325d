use std::time::Duration;

use openraft::{CommittedLeaderId, EntryPayload};

use super::*;

fn log_id(index: u64) -> LogId<NodeId> {
    LogId::new(CommittedLeaderId::new(1, 1), index)
}

/// Writes blank entries straight into the WAL (openraft's flush callback cannot be built
/// outside openraft) and waits until they are synced.
fn write(store: &LogStore, indexes: std::ops::RangeInclusive<u64>) -> Result<(), StorageError> {
    let mut batch = Batch::default();
    for i in indexes {
        let e: Entry<RegionTypeConfig> = Entry {
            log_id: log_id(i),
            payload: EntryPayload::Blank,
        };
        batch.push(i, |buf| {
            bincode::serialize_into(buf, &e).map_err(StorageError::codec("encode"))
        })?;
    }
    let file = store.wal.append(&batch)?;
    let (tx, rx) = std::sync::mpsc::channel();
    store.wal.sync_then(
        file,
        Box::new(move |r| {
            let _ = tx.send(r.is_ok());
        }),
    );
    assert_eq!(rx.recv().ok(), Some(true), "synced");
    Ok(())
}

type SnapshotTx = watch::Sender<Option<LogId<NodeId>>>;

fn open(
    dir: &Path,
    db: &sled::Db,
    snapshot: Option<u64>,
) -> Result<(LogStore, SnapshotTx), StorageError> {
    let (tx, rx) = watch::channel(snapshot.map(log_id));
    Ok((LogStore::open(dir, "test", db.clone(), rx)?, tx))
}

fn durable_purge_point(dir: &Path) -> Result<Option<u64>, StorageError> {
    Ok(HardStateFile::open(&dir.join("state"))?
        .get()
        .last_purged
        .map(|l| l.index))
}

#[tokio::test]
async fn a_purge_is_durable_only_once_a_durable_snapshot_covers_it() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let db = sled::Config::new()
        .path(tmp.path().join("sled"))
        .open()
        .map_err(StorageError::sled("open"))?;
    let dir = tmp.path().join("group");
    let (mut store, snapshot) = open(&dir, &db, None)?;
    write(&store, 1..=10)?;

    // phase: openraft purges right after a snapshot install, before the snapshot is saved
    store.purge(log_id(6)).await?;
    let state = store.get_log_state().await?;
    assert_eq!(
        state.last_purged_log_id,
        Some(log_id(6)),
        "purged at once for openraft"
    );
    assert_eq!(store.try_get_log_entries(0..).await?.len(), 4);
    assert_eq!(durable_purge_point(&dir)?, None, "but not on disk yet");

    // phase: the snapshot becomes durable: the deferred purge runs
    snapshot.send_replace(Some(log_id(8)));
    meridian_wait::Wait::new(
        "the deferred purge to reach 6 on disk",
        Duration::from_secs(10),
    )
    .every(Duration::from_millis(10))
    .until_async(|| async {
        match durable_purge_point(&dir) {
            Ok(Some(6)) => Ok(()),
            other => Err(format!("purge point {other:?}")),
        }
    })
    .await?;

    // phase: a purge the durable snapshot already covers is durable on return
    store.purge(log_id(7)).await?;
    assert_eq!(durable_purge_point(&dir)?, Some(7));
    drop((store, snapshot));

    // phase: reopened with a snapshot ahead of the purge point (a deferred purge that never
    // ran), the entries the snapshot covers are purged before openraft sees the log
    let (mut store, _snapshot) = open(&dir, &db, Some(9))?;
    assert_eq!(durable_purge_point(&dir)?, Some(9));
    let state = store.get_log_state().await?;
    assert_eq!(state.last_purged_log_id, Some(log_id(9)));
    assert_eq!(state.last_log_id, Some(log_id(10)));
    let entries = store.try_get_log_entries(0..).await?;
    assert_eq!(
        entries.iter().map(|e| e.log_id.index).collect::<Vec<_>>(),
        vec![10]
    );
    Ok(())
}
