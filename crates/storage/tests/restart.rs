//! A single-node Raft group on the sled store survives a restart: vote, log, current snapshot,
//! and (after openraft replays the log past the snapshot) the whole keyspace and seq.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use common::{argv, digest, group, NoNetwork};
use meridian_storage::{open_db, open_group, StorageOptions};
use meridian_types::{Node, RegionRaft, RegionRequest, WriteBatch};
use openraft::storage::{RaftLogStorage, RaftStateMachine};
use openraft::{Config, RaftLogReader, ServerState, SnapshotPolicy};

const TIMEOUT: Option<Duration> = Some(Duration::from_secs(10));

fn config() -> anyhow::Result<Arc<Config>> {
    let c = Config {
        snapshot_policy: SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: 0,
        ..Config::default()
    };
    Ok(Arc::new(c.validate()?))
}

/// sled holds a file lock until every handle of the previous open is dropped; openraft's tasks
/// release theirs shortly after shutdown.
async fn reopen_db(path: &Path) -> anyhow::Result<meridian_storage::NodeDb> {
    meridian_wait::until_async("the sled db to reopen", Duration::from_secs(10), || {
        std::future::ready(open_db(path))
    })
    .await
    .context("reopening the sled db")
}

async fn set(raft: &RegionRaft, key: &str, value: &str) -> anyhow::Result<u64> {
    let resp = raft
        .client_write(RegionRequest::Write(vec![WriteBatch {
            db: 0,
            commands: vec![argv(&["SET", key, value])],
            now_ms: 1_000,
            seed: 7,
            watched: vec![],
        }]))
        .await
        .context("writing through raft")?;
    Ok(resp.data.seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_restores_vote_log_and_current_snapshot() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;

    // phase: run a one-voter group, write, snapshot (purging the log), write more
    let (vote, last_log, snapshot, digest_before) = {
        let db = open_db(dir.path())?;
        let (log, sm, handle) = open_group(&db, &group(), StorageOptions::default()).await?;
        let raft = RegionRaft::new(1, config()?, NoNetwork, log, sm).await?;
        raft.initialize(BTreeMap::from([(1, Node::default())]))
            .await?;
        raft.wait(TIMEOUT)
            .state(ServerState::Leader, "leader")
            .await?;
        for i in 1..=20u64 {
            assert_eq!(set(&raft, &format!("k{i}"), &format!("v{i}")).await?, i);
        }
        // every write above was applied before client_write returned, so the snapshot holds them
        raft.trigger().snapshot().await?;
        let m = raft
            .wait(TIMEOUT)
            .metrics(|m| m.snapshot.is_some(), "snapshot built")
            .await?;
        raft.wait(TIMEOUT).purged(m.snapshot, "log purged").await?;
        for i in 21..=30u64 {
            assert_eq!(set(&raft, &format!("k{i}"), "after-snapshot").await?, i);
        }
        // Metrics are published after client_write answers: wait until they show the last
        // write (index 31: membership at 0, the leader's blank entry at 1, writes 2..=31).
        let m = raft
            .wait(TIMEOUT)
            .metrics(
                |m| m.last_log_index == Some(31) && m.last_applied.map(|l| l.index) == Some(31),
                "metrics show the last write",
            )
            .await?;
        assert_eq!(handle.seq(), 30);
        let out = (
            m.vote,
            m.last_log_index.context("log")?,
            m.snapshot,
            digest(&handle)?,
        );
        raft.shutdown().await?;
        out
    };

    // phase: reopen the stores alone and read back what openraft will see
    let db = reopen_db(dir.path()).await?;
    let (mut log, mut sm, handle) = open_group(&db, &group(), StorageOptions::default()).await?;
    assert_eq!(log.read_vote().await?, Some(vote));
    let state = log.get_log_state().await?;
    assert_eq!(state.last_log_id.map(|l| l.index), Some(last_log));
    assert_eq!(state.last_purged_log_id, snapshot);
    let snap_index = snapshot.context("snapshot log id")?.index;
    let entries = log.try_get_log_entries(snap_index + 1..=last_log).await?;
    assert_eq!(
        entries.len() as u64,
        last_log - snap_index,
        "no holes after the purge"
    );
    let current = sm
        .get_current_snapshot()
        .await?
        .context("current snapshot")?;
    assert_eq!(current.meta.last_log_id, snapshot);
    assert_eq!(
        handle.last_applied(),
        snapshot,
        "state machine starts from the snapshot"
    );
    assert_eq!(handle.seq(), 20);
    assert_eq!(handle.read(|ks| ks.len()), 20);

    // phase: start raft again; it replays the log after the snapshot
    let raft = RegionRaft::new(1, config()?, NoNetwork, log, sm).await?;
    raft.wait(TIMEOUT)
        .applied_index_at_least(Some(last_log), "log replayed")
        .await?;
    assert_eq!(handle.seq(), 30);
    assert_eq!(digest(&handle)?, digest_before);
    let ops = handle.backlog_range(21, u64::MAX)?;
    assert_eq!(
        ops.iter().map(|o| o.seq).collect::<Vec<_>>(),
        (21..=30).collect::<Vec<_>>()
    );
    raft.shutdown().await?;
    Ok(())
}
