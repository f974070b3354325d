//! Secondaries only ever show prefixes of the primary's history, sampled every 5 ms while
//! leaders on both sides are killed and restarted, and converge once writes stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use meridian_keyspace::Databases;
use meridian_proto::v1 as pb;
use meridian_testkit::{TestDeployment, TestDeploymentOptions};
use meridian_types::{NodeId, Seq};

use super::{converged, state};
use crate::global_datastores::support::{datastore_with, phase, WAIT};

/// One sample of a secondary node's state.
struct Sample {
    node: NodeId,
    seq: Seq,
    data: Databases,
}

/// Samples the running nodes of `ids` every 5 ms for `ms` milliseconds.
async fn sample_for(
    d: &TestDeployment,
    ids: &[NodeId],
    samples: &mut Vec<Sample>,
    ms: u64,
) -> Result<()> {
    let end = tokio::time::Instant::now() + Duration::from_millis(ms);
    while tokio::time::Instant::now() < end {
        for id in ids {
            if d.running().contains(id) {
                let (seq, data) = state(d, *id)?;
                samples.push(Sample {
                    node: *id,
                    seq,
                    data,
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secondaries_show_only_prefixes_of_the_primary_while_leaders_die() -> Result<()> {
    let opts = TestDeploymentOptions::default();
    let mut d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1"]).await?;
    let secondary_ids = d.cluster_ids("euw1")?;

    phase("continuous writes while sampling the secondary and killing leaders on both sides");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = spawn_writer(&d, stop.clone())?;
    let mut samples: Vec<Sample> = Vec::new();
    sample_for(&d, &secondary_ids, &mut samples, 800).await?;
    let pl = d.wait_for_leader("use1", WAIT).await?;
    d.kill(pl).await?;
    sample_for(&d, &secondary_ids, &mut samples, 1000).await?;
    d.restart(pl).await?;
    let sl = d.wait_for_leader("euw1", WAIT).await?;
    d.kill(sl).await?;
    sample_for(&d, &secondary_ids, &mut samples, 1000).await?;
    d.restart(sl).await?;
    sample_for(&d, &secondary_ids, &mut samples, 800).await?;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await?;
    ensure!(written > 20, "only {written} writes were attempted");

    phase("after the writes stop, every secondary node equals the primary");
    converged(&d, "euw1").await?;
    every_sample_is_the_primarys_state_at_its_seq(&d, &mut samples).await?;
    d.shutdown().await;
    Ok(())
}

/// Writes to 20 keys through the nodes of use1 in turn until `stop`; returns how many it
/// tried.
fn spawn_writer(d: &TestDeployment, stop: Arc<AtomicBool>) -> Result<tokio::task::JoinHandle<u64>> {
    let addrs: Vec<_> = d
        .cluster_ids("use1")?
        .iter()
        .map(|id| d.grpc_addr(*id))
        .collect::<Result<_>>()?;
    Ok(tokio::spawn(async move {
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let addr = addrs[(i as usize) % addrs.len()];
            let write = async {
                let mut kv =
                    pb::key_value_client::KeyValueClient::connect(format!("http://{addr}")).await?;
                kv.set(pb::SetRequest {
                    key: Bytes::from(format!("k{}", i % 20)),
                    value: Bytes::from(i.to_string()),
                    ..Default::default()
                })
                .await?;
                anyhow::Ok(())
            };
            // Unknown outcomes are fine: the history is read from the primary's backlog.
            let _ = tokio::time::timeout(Duration::from_secs(2), write).await;
            i += 1;
        }
        i
    }))
}

/// Replays the primary's whole history (its backlog) and compares every sample with the
/// replay at the sample's seq.
async fn every_sample_is_the_primarys_state_at_its_seq(
    d: &TestDeployment,
    samples: &mut [Sample],
) -> Result<()> {
    phase("every sampled state is the primary's state at the sampled seq");
    let primary = d.wait_for_leader("use1", WAIT).await?;
    let history = d
        .group(primary)?
        .sm()
        .backlog_range(1, u64::MAX)
        .context("reading the primary's history")?;
    ensure!(
        history.first().map(|o| o.seq) == Some(1),
        "the primary's backlog must hold the whole history for this check"
    );
    samples.sort_by_key(|s| s.seq);
    let mut model = Databases::new();
    let mut applied: Seq = 0;
    let mut ops = history.iter().peekable();
    for s in samples.iter() {
        while applied < s.seq {
            let Some(op) = ops.next() else {
                bail!(
                    "node {} showed seq {} beyond the primary's history",
                    s.node,
                    s.seq
                );
            };
            ensure!(
                op.seq == applied + 1,
                "the primary's history has a gap at {}",
                op.seq
            );
            model.execute_write(&mut { op.db }, &op.argv, op.now_ms, op.seed);
            applied = op.seq;
        }
        ensure!(
            s.data == model,
            "node {} at seq {} shows a state that is not the primary's at that seq",
            s.node,
            s.seq
        );
    }
    let distinct: std::collections::BTreeSet<Seq> = samples.iter().map(|s| s.seq).collect();
    eprintln!(
        "checked {} samples at {} distinct seqs against {} primary ops",
        samples.len(),
        distinct.len(),
        history.len()
    );
    ensure!(
        distinct.len() > 5,
        "the samples must cover the secondary moving forward"
    );
    Ok(())
}
