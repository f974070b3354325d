//! A secondary cut off from the primary: it full-syncs (keys and ACL users) once it fell out of
//! the primary's backlog, hides the keys the primary expired until the primary's deletions
//! ship, and its min_seq reads (and the primary's WAIT) give up at their deadlines.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use meridian_testkit::{eventually, TestDeployment, TestDeploymentOptions};
use tonic::Code;

use super::{converged, local_get, redis_conn, set, state};
use crate::global_datastores::support::{datastore_with, phase, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secondary_that_falls_out_of_the_backlog_full_syncs_and_converges() -> Result<()> {
    // Three regions, so the coordination group keeps a quorum across the cut.
    let mut opts = TestDeploymentOptions::default();
    opts.region_options.backlog_max_bytes = 4096;
    let d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1"]).await?;
    set(&d, 1, "before", "cut").await?;
    converged(&d, "euw1").await?;

    phase("euw1 cut off from use1; the primary adds an ACL user, then writes past its backlog");
    d.cut_clusters("use1", "euw1")?;
    let setuser = ["ACL", "SETUSER", "alice", "on", ">secret", "~k*", "+@read"]
        .map(|a| bytes::Bytes::from_static(a.as_bytes()))
        .to_vec();
    let primary = d.wait_for_leader("use1", WAIT).await?;
    let r = d.group(primary)?.write(vec![setuser]).await?;
    ensure!(r.replies == [meridian_types::Reply::ok()], "{r:?}");
    let value = "x".repeat(200);
    for i in 0..200 {
        set(&d, 1, &format!("k{i}"), &value).await?;
    }
    let euw1_leader = d.wait_for_leader("euw1", WAIT).await?;
    let behind = d.group(euw1_leader)?.sm().seq();
    let first = d
        .group(d.wait_for_leader("use1", WAIT).await?)?
        .sm()
        .backlog_first_seq()?
        .unwrap_or(0);
    ensure!(
        first > behind + 1,
        "the backlog (from seq {first}) must have left euw1 (at {behind}) behind"
    );

    phase("healed: euw1 full-syncs and converges, users included");
    d.heal();
    converged(&d, "euw1").await?;
    let users = d.group(primary)?.sm().users(Clone::clone);
    ensure!(users.get(b"alice").is_some(), "{users:?}");
    for id in d.cluster_ids("euw1")? {
        ensure!(
            d.group(id)?.sm().users(Clone::clone) == users,
            "node {id}'s users"
        );
    }
    let mut kv = d.kv(euw1_leader).await?;
    let r = kv.get(local_get("k199", 0)).await?.into_inner();
    ensure!(r.found && r.value == value.as_str(), "{r:?}");

    d.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiry_ships_as_the_primarys_deletions_and_secondaries_hide_expired_keys() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    datastore_with(&d, &["euw1"]).await?;
    let primary = d.wait_for_leader("use1", WAIT).await?;
    let mut p = redis_conn(&d, primary).await?;
    redis::cmd("SET")
        .arg("session")
        .arg("v")
        .arg("PX")
        .arg(1500)
        .query_async::<()>(&mut p)
        .await?;
    redis::cmd("SET")
        .arg("keep")
        .arg("v")
        .query_async::<()>(&mut p)
        .await?;
    converged(&d, "euw1").await?;

    phase("euw1 cut off; the TTL passes and the primary's active expiry deletes the key");
    d.cut_clusters("use1", "euw1")?;
    let (cut_seq, _) = state(&d, d.wait_for_leader("euw1", WAIT).await?)?;
    eventually("the primary deleted the expired key", WAIT, || async {
        Ok((state(&d, primary)?.1.len() == 1).then_some(()))
    })
    .await?;

    phase("every euw1 node still holds the key (no expiry of its own) and hides it on reads");
    for id in d.cluster_ids("euw1")? {
        let (seq, ks) = state(&d, id)?;
        ensure!(
            ks.len() == 2 && seq == cut_seq,
            "node {id}: {} keys at seq {seq}; expected both keys at seq {cut_seq}",
            ks.len()
        );
        let mut c = redis_conn(&d, id).await?;
        let got: Option<String> = redis::cmd("GET").arg("session").query_async(&mut c).await?;
        let exists: i64 = redis::cmd("EXISTS")
            .arg("session")
            .query_async(&mut c)
            .await?;
        let ttl: i64 = redis::cmd("PTTL")
            .arg("session")
            .query_async(&mut c)
            .await?;
        let keep: Option<String> = redis::cmd("GET").arg("keep").query_async(&mut c).await?;
        ensure!(
            got.is_none() && exists == 0 && ttl == -2 && keep.as_deref() == Some("v"),
            "node {id}: GET {got:?} EXISTS {exists} PTTL {ttl} keep {keep:?}"
        );
    }

    phase("healed: the primary's DEL ships and euw1 converges without the key");
    d.heal();
    converged(&d, "euw1").await?;
    let (seq, ks) = state(&d, d.wait_for_leader("euw1", WAIT).await?)?;
    ensure!(
        ks.len() == 1 && seq > cut_seq,
        "{} keys at seq {seq}",
        ks.len()
    );

    d.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn min_seq_reads_and_wait_give_up_at_their_deadlines() -> Result<()> {
    let mut opts = TestDeploymentOptions::default();
    opts.region_options.request_timeout = Duration::from_millis(800);
    let d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;

    phase("aps1 cut off: a min_seq read there times out with a clear error");
    d.cut_clusters("use1", "aps1")?;
    let seq = set(&d, 1, "fresh", "1").await?;
    let aps1 = d.cluster_ids("aps1")?[0];
    let started = std::time::Instant::now();
    let err = d
        .kv(aps1)
        .await?
        .get(local_get("fresh", seq))
        .await
        .err()
        .context("a min_seq read on a cut-off secondary must fail")?;
    ensure!(
        err.code() == Code::DeadlineExceeded,
        "{:?}: {}",
        err.code(),
        err.message()
    );
    ensure!(
        err.message().contains(&format!("seq {seq}")),
        "{}",
        err.message()
    );
    ensure!(
        started.elapsed() >= Duration::from_millis(700),
        "gave up too early"
    );

    phase("WAIT for two secondaries gives up at its timeout with the one that applied");
    let mut p = redis_conn(&d, 1).await?;
    let _: () = redis::cmd("SET")
        .arg("w")
        .arg("1")
        .query_async(&mut p)
        .await?;
    let started = std::time::Instant::now();
    let acked: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(300)
        .query_async(&mut p)
        .await?;
    ensure!(acked == 1, "WAIT 2 300 answered {acked}");
    ensure!(
        started.elapsed() >= Duration::from_millis(290),
        "WAIT returned early"
    );

    phase("healed: the same read succeeds");
    d.heal();
    let r = eventually("aps1 applies the write", WAIT, || async {
        match d.kv(aps1).await?.get(local_get("fresh", seq)).await {
            Ok(r) => Ok(Some(r.into_inner())),
            Err(s) if s.code() == Code::DeadlineExceeded => Ok(None),
            Err(s) => bail!("{:?}: {}", s.code(), s.message()),
        }
    })
    .await?;
    ensure!(r.found && r.value == "1", "{r:?}");

    d.shutdown().await;
    Ok(())
}
