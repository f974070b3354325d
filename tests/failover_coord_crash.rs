//! The coordination leader crashes at each phase of a failover, planned and forced: every
//! failover driver is held at the phase (`CoordOptions::failover_hold`), the leader is killed
//! there, the hold is released, and a new leader resumes from the recorded phase. The failover
//! completes with one primary at the next epoch, and every voter, the crashed one restarted
//! too, describes the same outcome.

use crate::global_datastores::support::*;

/// Requests a failover of gds1 to euw1 (forced: with use1 cut off from everything first).
async fn request(d: &TestDeployment, force: bool) -> Result<()> {
    let via = d.cluster_ids("euw1")?[0];
    if force {
        cut_off(d, "use1")?;
    }
    failover_with(d, via, "gds1", "euw1", force).await?;
    Ok(())
}

/// What every voter must agree on once the failover is over.
fn outcome(ds: &meridian_types::Datastore) -> String {
    let phase = ds.failover.as_ref().map(|f| f.phase.to_string());
    format!(
        "primary={} epoch={} failover={phase:?}",
        ds.primary, ds.epoch
    )
}

async fn crash_at(phase_name: &str, force: bool) -> Result<()> {
    let opts = TestDeploymentOptions::default();
    let hold = opts.coord.failover_hold.clone();
    let mut d = TestDeployment::start(opts).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    let leader = d.wait_for_leader("use1", WAIT).await?;
    eventually("a write acknowledged by use1", WAIT, || async {
        Ok(grpc_set(&d, leader, "k", "v").await.ok())
    })
    .await?;

    phase(&format!("hold every failover driver at {phase_name:?}"));
    hold.hold_at(phase_name);
    request(&d, force).await?;
    let via = d.cluster_ids("euw1")?[0];
    wait_describe(&d, via, "gds1", phase_name, |ds| {
        ds.and_then(|ds| ds.failover.as_ref())
            .is_some_and(|f| f.phase == phase_name)
    })
    .await?;

    phase("kill the coordination leader, then release the hold");
    // Forced: use1 comes back now, so the voters keep a majority without the crashed one.
    d.heal();
    let crashed = d.wait_for_coord_leader(WAIT).await?;
    d.kill(crashed).await?;
    hold.release();
    let alive = *d
        .voters()
        .iter()
        .find(|v| **v != crashed)
        .context("another voter")?;
    let done = wait_failover_done(&d, alive, "gds1").await?;
    ensure!(
        done.primary_cluster == "euw1" && done.epoch == 2,
        "{}",
        view(&done)
    );

    phase("restart the crashed voter: every voter describes the same outcome");
    d.restart(crashed).await?;
    let voters = d.voters().to_vec();
    eventually("every voter's own state agrees", WAIT, || async {
        let mut seen = Vec::new();
        for v in &voters {
            let all = d.local_datastores(*v)?;
            let ds = all.iter().find(|ds| ds.id == "gds1").context("gds1")?;
            seen.push(outcome(ds));
        }
        let want = "primary=euw1 epoch=2 failover=Some(\"done\")";
        Ok(seen.iter().all(|s| s == want).then_some(()))
    })
    .await?;
    let new_leader = d.wait_for_leader("euw1", WAIT).await?;
    eventually("the new primary takes writes", WAIT, || async {
        Ok(grpc_set(&d, new_leader, "after", "1").await.ok())
    })
    .await?;
    d.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planned_coordination_leader_crashes_while_requested() -> Result<()> {
    crash_at("requested", false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planned_coordination_leader_crashes_while_draining() -> Result<()> {
    crash_at("draining", false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planned_coordination_leader_crashes_when_caught_up() -> Result<()> {
    crash_at("caught-up", false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planned_coordination_leader_crashes_when_promoted() -> Result<()> {
    crash_at("promoted", false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planned_coordination_leader_crashes_while_repointing() -> Result<()> {
    crash_at("repointing", false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forced_coordination_leader_crashes_while_requested() -> Result<()> {
    crash_at("requested", true).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forced_coordination_leader_crashes_when_promoted() -> Result<()> {
    crash_at("promoted", true).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forced_coordination_leader_crashes_while_repointing() -> Result<()> {
    crash_at("repointing", true).await
}
