//! Planned failover under continuous writes, judged from recorded histories: racing requests
//! promote exactly one target; no acknowledged write is lost; no two clusters take writes in
//! overlapping time; the old primary refuses writes and rejoins as a secondary; no cluster
//! full-syncs; every node converges to the new primary's data.

use std::sync::Arc;

use meridian_chaos::checks::seqs_from_values;
use meridian_chaos::setup;
use meridian_chaos::workload::Ctx;
use meridian_history::loss::{self, FinalHistory};
use meridian_history::{single_writer, History, Kind, Op, Recorder, Report};

use crate::global_datastores::support::*;

/// Writers run this long; the failover happens inside.
const WRITING: Duration = Duration::from_secs(10);

/// `INFO replication`'s `meridian_full_syncs` of every node that reports one (secondary
/// leaders: full syncs completed since the node began leading).
async fn full_syncs(d: &TestDeployment) -> Result<std::collections::BTreeMap<NodeId, u64>> {
    let mut out = std::collections::BTreeMap::new();
    for id in d.ids() {
        let client = redis::Client::open(format!("redis://{}", d.resp_addr(id)?))?;
        let mut c = client.get_multiplexed_async_connection().await?;
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut c)
            .await?;
        if let Some(n) = info
            .lines()
            .find_map(|l| l.strip_prefix("meridian_full_syncs:"))
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            out.insert(id, n);
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_planned_failover_under_writes_loses_nothing_and_needs_no_full_sync() -> Result<()> {
    for_seeds("planned-failover", &[1, 2], planned).await
}

async fn planned(seed: u64, recorder: Arc<Recorder>) -> Result<()> {
    let opts = TestDeploymentOptions {
        fault_seed: seed,
        ..TestDeploymentOptions::default()
    };
    let d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;
    let syncs_before = full_syncs(&d).await?;

    phase("writers on every node of every cluster");
    let ctx = Ctx::new(recorder.clone(), d.net().clone(), 4, WRITING);
    let writers = spawn_writers(&d, &ctx, &["use1", "euw1", "aps1"], seed)?;
    eventually("writes acknowledged by use1", WAIT, || async {
        Ok((recorder.counts().ok > 50).then_some(()))
    })
    .await?;

    let target = racing_failovers_promote_one_target(&d).await?;

    phase("the old primary refuses writes and says where to go");
    let line = resp_line(d.resp_addr(1)?, &["SET", "late", "v"]).await?;
    ensure!(line.starts_with("-READONLY"), "old primary: {line:?}");

    phase("writes go on at the new primary until the writers stop");
    writers.join_all().await;
    let mut d = d;
    setup::converge(&mut d, target, WAIT).await?;

    check_the_history(&d, &recorder.snapshot(), target).await?;
    // A node that followed before counts the syncs it had; one that did not (the old
    // primary's nodes) must have none.
    for (id, n) in full_syncs(&d).await? {
        let before = syncs_before.get(&id).copied().unwrap_or(0);
        ensure!(
            n == before,
            "node {id} full-synced during the failover ({before} -> {n})"
        );
    }
    d.shutdown().await;
    Ok(())
}

/// Two failovers asked at once (to euw1 and to aps1): exactly one is accepted and done;
/// returns its target.
async fn racing_failovers_promote_one_target(d: &TestDeployment) -> Result<&'static str> {
    phase("two racing failovers: exactly one is accepted");
    let (a, b) = tokio::join!(
        failover(d, 1, "gds1", "euw1"),
        failover(d, 4, "gds1", "aps1")
    );
    let target = match (&a, &b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
            ensure!(e.code() == Code::FailedPrecondition, "the loser: {e:?}");
            if a.is_ok() {
                "euw1"
            } else {
                "aps1"
            }
        }
        _ => bail!("exactly one failover must be accepted: {a:?} / {b:?}"),
    };
    let done = wait_failover_done(d, 7, "gds1").await?;
    ensure!(
        done.primary_cluster == target && done.epoch == 2,
        "after the failover: {}",
        view(&done)
    );
    ensure!(
        has_member(&done, "use1", "secondary", "associated"),
        "{}",
        view(&done)
    );
    let f = done.failover.clone().context("failover info")?;
    eprintln!("    failover to {target}: final seq {}", f.final_seq);
    Ok(target)
}

/// No acknowledged write lost, one writer at a time, and both primaries took writes.
async fn check_the_history(d: &TestDeployment, history: &History, target: &str) -> Result<()> {
    phase("check the history");
    let primary = setup::primary_writes(d, target).await?;
    let survived: FinalHistory = primary
        .iter()
        .map(|(seq, k, v)| (*seq, (k.clone(), *v)))
        .collect();
    let with_seqs = seqs_from_values(history, &primary);
    let lost = loss::check(&with_seqs, &survived, &[])?;
    ensure!(lost.is_valid(), "{lost}");
    let writers = single_writer::check(history)?;
    ensure!(writers.is_valid(), "{writers}");
    let acked_on = |cluster: &str| {
        history
            .events
            .iter()
            .filter(|e| e.kind == Kind::Ok && matches!(e.op, Op::Write { .. }))
            .filter(|e| e.cluster.as_deref() == Some(cluster))
            .count()
    };
    ensure!(
        acked_on("use1") > 0 && acked_on(target) > 0,
        "both primaries took writes: use1 {}, {target} {}",
        acked_on("use1"),
        acked_on(target)
    );
    eprintln!(
        "    {} writes acknowledged ({} by use1, {} by {target}), all in the final history",
        lost.acknowledged,
        acked_on("use1"),
        acked_on(target)
    );
    print_write_gap(history, target);
    Ok(())
}

/// A figure for benches/failover.sh (not a goal asserted here).
fn print_write_gap(history: &History, target: &str) {
    let acks = |cluster: &str| -> Vec<u64> {
        history
            .events
            .iter()
            .filter(|e| e.kind == Kind::Ok && e.cluster.as_deref() == Some(cluster))
            .map(|e| e.time)
            .collect()
    };
    let (old, new) = (acks("use1"), acks(target));
    if let (Some(last_old), Some(first_new)) = (old.iter().max(), new.iter().min()) {
        eprintln!(
            "    write gap: {} ms from the last write acknowledged by use1 to the first by {target}",
            first_new.saturating_sub(*last_old) / 1_000_000
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failover_whose_target_cannot_catch_up_aborts_and_lifts_the_drain() -> Result<()> {
    let mut opts = TestDeploymentOptions::default();
    opts.coord.failover_catch_up = Duration::from_secs(2);
    let d = TestDeployment::start(opts).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    let leader = d.wait_for_leader("use1", WAIT).await?;
    eventually("a write acknowledged by use1", WAIT, || async {
        Ok(grpc_set(&d, leader, "before", "cut").await.ok())
    })
    .await?;

    phase("stop two of euw1's three nodes (it has no leader), then fail over to euw1");
    let mut d = d;
    let euw1 = d.cluster_ids("euw1")?;
    for id in &euw1[1..] {
        d.kill(*id).await?;
    }
    datastore(failover(&d, 7, "gds1", "euw1").await)?;
    let line = eventually("use1 drained: writes refused", WAIT, || async {
        let line = resp_line(d.resp_addr(leader)?, &["SET", "during", "drain"]).await?;
        Ok(line.contains("drained").then_some(line))
    })
    .await?;
    ensure!(
        line.starts_with("-TRYAGAIN"),
        "a draining primary: {line:?}"
    );

    phase("the target never reports the final seq: the failover aborts");
    let aborted = wait_describe(&d, 7, "gds1", "the failover aborted", |ds| {
        ds.and_then(|ds| ds.failover.as_ref())
            .is_some_and(|f| f.phase == "aborted")
    })
    .await?
    .context("describe")?;
    let f = aborted.failover.clone().context("failover info")?;
    ensure!(
        aborted.primary_cluster == "use1" && aborted.epoch == 1 && f.reason.contains("euw1"),
        "after the abort: {} ({})",
        view(&aborted),
        f.reason
    );

    phase("the drain is lifted: use1 takes writes again");
    eventually("use1 takes a write after the abort", WAIT, || async {
        Ok(grpc_set(&d, leader, "after", "abort").await.ok())
    })
    .await?;
    d.shutdown().await;
    Ok(())
}
