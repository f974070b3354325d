//! Faults inside one regional cluster: no acknowledged write is lost while a majority survives,
//! a restarted node catches up (from the log or from a snapshot), and a full restart keeps
//! every acknowledged write.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_region::RegionOptions;
use meridian_testkit::{eventually, TestCluster, TestClusterOptions};
use meridian_types::NodeId;

/// Writes `key:<i>` = `v<i>` for i in range through any running node, retrying a write only
/// when the error says nothing was written; returns what was acknowledged.
async fn write_range(
    tc: &TestCluster,
    range: std::ops::Range<usize>,
) -> Result<BTreeMap<Bytes, Bytes>> {
    let mut acked = BTreeMap::new();
    for i in range {
        let (k, v) = (
            Bytes::from(format!("key:{i}")),
            Bytes::from(format!("v{i}")),
        );
        let done = eventually(
            &format!("write {i} acknowledged"),
            Duration::from_secs(20),
            || {
                let (k, v) = (k.clone(), v.clone());
                async move {
                    for id in tc.running() {
                        let Ok(mut kv) = tc.kv(id).await else {
                            continue;
                        };
                        match kv
                            .set(pb::SetRequest {
                                key: k.clone(),
                                value: v.clone(),
                                ..Default::default()
                            })
                            .await
                        {
                            Ok(r) => return Ok(Some(r.into_inner().seq)),
                            // SET is idempotent, so retrying after an unknown outcome is safe here.
                            Err(_) => continue,
                        }
                    }
                    Ok(None)
                }
            },
        )
        .await?;
        let _ = done;
        acked.insert(k, v);
    }
    Ok(acked)
}

/// Every acknowledged key is readable, linearizably, through node `via`.
async fn assert_all_present(
    tc: &TestCluster,
    via: NodeId,
    acked: &BTreeMap<Bytes, Bytes>,
) -> Result<()> {
    let mut kv = tc.kv(via).await?;
    for (k, v) in acked {
        let r = kv
            .get(pb::GetRequest {
                key: k.clone(),
                read: None,
            })
            .await
            .with_context(|| format!("reading {k:?} via node {via}"))?
            .into_inner();
        if !r.found || r.value != v {
            bail!("acknowledged write {k:?} missing or wrong on node {via}: {r:?}");
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_leader_elects_a_new_one_and_loses_no_acknowledged_write() -> Result<()> {
    let mut tc = TestCluster::start(TestClusterOptions::default()).await?;
    let old = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let mut acked = write_range(&tc, 0..100).await?;

    tc.kill(old).await?;
    let new = tc.wait_for_leader(Duration::from_secs(10)).await?;
    assert_ne!(new, old, "a killed node cannot stay leader");
    acked.extend(write_range(&tc, 100..200).await?);
    for id in tc.running() {
        assert_all_present(&tc, id, &acked).await?;
    }

    // The old leader comes back as a follower and catches up.
    tc.restart(old).await?;
    let last = tc
        .group(new)?
        .raft()
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0);
    tc.wait_applied(last, Duration::from_secs(10)).await?;
    let digest = |id| tc.group(id).map(|g| g.sm().read(|ks| ks.len()));
    assert_eq!(digest(old)?, digest(new)?);
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_follower_catches_up_from_the_log() -> Result<()> {
    let mut tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let follower = *tc
        .ids()
        .iter()
        .find(|id| **id != leader)
        .context("a follower")?;
    let mut acked = write_range(&tc, 0..20).await?;
    tc.kill(follower).await?;
    acked.extend(write_range(&tc, 20..120).await?);
    tc.restart(follower).await?;
    let last = tc
        .group(leader)?
        .raft()
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0);
    tc.wait_applied(last, Duration::from_secs(10)).await?;
    for (k, v) in &acked {
        let got = tc
            .group(follower)?
            .sm()
            .read(|dbs| dbs.execute_read(0, &[Bytes::from_static(b"GET"), k.clone()], 0, 0));
        assert_eq!(
            got,
            meridian_types::Reply::Bulk(v.clone()),
            "follower lacks {k:?}"
        );
    }
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_that_missed_many_writes_catches_up_through_a_snapshot() -> Result<()> {
    let opts = TestClusterOptions {
        region_options: RegionOptions {
            snapshot_logs_since_last: 50,
            max_in_snapshot_log_to_keep: 5,
            ..TestClusterOptions::default().region_options
        },
        ..TestClusterOptions::default()
    };
    let mut tc = TestCluster::start(opts).await?;
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let lagging = *tc
        .ids()
        .iter()
        .find(|id| **id != leader)
        .context("a follower")?;
    tc.kill(lagging).await?;
    let acked = write_range(&tc, 0..300).await?;
    // The leader's log no longer holds what the lagging node needs.
    let purged = eventually(
        "the leader to purge its log",
        Duration::from_secs(10),
        || async {
            let m = tc.group(leader)?.raft().metrics().borrow().clone();
            Ok(m.purged.filter(|p| p.index > 100))
        },
    )
    .await?;
    tc.restart(lagging).await?;
    let last = tc
        .group(leader)?
        .raft()
        .metrics()
        .borrow()
        .last_log_index
        .unwrap_or(0);
    tc.wait_applied(last, Duration::from_secs(20)).await?;
    let m = tc.group(lagging)?.raft().metrics().borrow().clone();
    let snap = m.snapshot.context("the lagging node has no snapshot")?;
    assert!(
        snap.index >= purged.index,
        "caught up from the log, not a snapshot: {m:?}"
    );
    let (a, b) = (
        tc.group(lagging)?.sm().read(|ks| ks.clone()),
        tc.group(leader)?.sm().read(|ks| ks.clone()),
    );
    assert!(
        a == b,
        "the lagging node's keyspace differs from the leader's"
    );
    assert_eq!(a.len(), acked.len());
    assert_eq!(tc.group(lagging)?.sm().seq(), tc.group(leader)?.sm().seq());
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stopping_and_restarting_every_node_keeps_every_acknowledged_write() -> Result<()> {
    let mut tc = TestCluster::start(TestClusterOptions::default()).await?;
    let acked = write_range(&tc, 0..150).await?;
    let seq_before = tc
        .group(tc.wait_for_leader(Duration::from_secs(5)).await?)?
        .sm()
        .seq();
    for id in tc.ids() {
        tc.kill(id).await?;
    }
    for id in tc.ids() {
        tc.restart(id).await?;
    }
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    assert_all_present(&tc, leader, &acked).await?;
    let seq_after = tc.group(leader)?.sm().seq();
    assert_eq!(seq_after, seq_before, "seq must survive a full restart");
    tc.shutdown().await;
    Ok(())
}
