//! The automatic failover policy (`--auto-failover`): it never fires while the primary renews
//! its lease, and fires once the primary has held no lease for the configured time (not
//! before), promoting the secondary by the forced path.

use std::time::Instant;

use crate::global_datastores::support::*;

/// The policy under test.
const AFTER: Duration = Duration::from_secs(2);

async fn set_policy(d: &TestDeployment, via: NodeId, after: Duration) -> Result<()> {
    let mut g = d.global(via).await?;
    g.modify(pb::ModifyGlobalDatastoreRequest {
        id: "gds1".into(),
        description: None,
        auto_failover: Some(pb::AutoFailoverPolicy {
            enabled: true,
            after_ms: after.as_millis() as u64,
        }),
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn automatic_failover_waits_while_the_primary_renews_and_fires_after_it_lost_its_lease(
) -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    let via = d.cluster_ids("euw1")?[0];
    set_policy(&d, via, AFTER).await?;
    let lease = d.options().coord.lease;

    phase("the primary keeps renewing: no failover over several policy periods");
    let leader = d.wait_for_leader("use1", WAIT).await?;
    let quiet_until = Instant::now() + (AFTER + lease) * 2;
    let mut writes = 0;
    while Instant::now() < quiet_until {
        grpc_set(&d, leader, "k", &writes.to_string())
            .await
            .map_err(|s| anyhow!("use1 refused a write while healthy: {s:?}"))?;
        writes += 1;
        let ds = describe(&d, via, "gds1").await?.context("describe")?;
        ensure!(
            ds.epoch == 1 && ds.failover.is_none(),
            "failed over while the primary renewed: {}",
            view(&ds)
        );
    }
    eprintln!(
        "    {writes} writes on use1 over {:?}, no failover",
        (AFTER + lease) * 2
    );

    phase("cut use1 off from every other node");
    cut_off(&d, "use1")?;
    let cut = Instant::now();
    let started = eventually("the policy requests a failover", WAIT * 2, || async {
        let ds = describe(&d, via, "gds1").await?.context("describe")?;
        Ok(ds.failover.is_some().then_some(cut.elapsed()))
    })
    .await?;
    // The last renewal before the cut happened at most a third of a lease earlier, so the
    // lease ran at least two thirds of a lease past the cut; the policy waits AFTER more.
    let earliest = AFTER + lease * 2 / 3;
    ensure!(
        started >= earliest,
        "the failover started {started:?} after the cut, before the lease could have run out and {AFTER:?} passed ({earliest:?})"
    );
    let done = wait_failover_done(&d, via, "gds1").await?;
    let f = done.failover.clone().context("failover record")?;
    ensure!(
        f.force && done.primary_cluster == "euw1" && done.epoch == 2,
        "{} / {f:?}",
        view(&done)
    );
    eprintln!(
        "    failover requested {started:?} after the cut, done {:?} after it",
        cut.elapsed()
    );
    let new_leader = d.wait_for_leader("euw1", WAIT).await?;
    eventually("the new primary takes writes", WAIT, || async {
        Ok(grpc_set(&d, new_leader, "after", "1").await.ok())
    })
    .await?;
    d.net().heal();
    d.shutdown().await;
    Ok(())
}
