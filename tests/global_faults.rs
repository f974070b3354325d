//! Global datastores under faults and role enforcement: secondaries refuse writes, an
//! isolated primary stops within one lease, the coordination leader dies mid-operation.

use tokio::time::Instant;

use crate::global_datastores::support::*;

/// A secondary refuses writes on every node (RESP READONLY, gRPC FAILED_PRECONDITION), serves
/// reads, and takes writes again once disassociated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secondary_refuses_writes_until_disassociated() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    let euw1 = d.cluster_ids("euw1")?;

    phase("writes to every euw1 node are refused; reads are served");
    for id in &euw1 {
        let addr = d.resp_addr(*id)?;
        // The role reaches followers through the cluster's log; wait until this node has it.
        let line = eventually(&format!("node {id} refuses a RESP write"), WAIT, || async {
            let line = resp_line(addr, &["SET", "k", "v"]).await?;
            Ok(line.starts_with('-').then_some(line))
        })
        .await?;
        ensure!(
            line == "-READONLY You can't write against a read only replica.",
            "node {id} answered {line:?}"
        );
        // The refusal is the leader's answer, not a reason to wait for another leader: it
        // comes at once, not after the group's request timeout (5 s) as it once did.
        let asked = Instant::now();
        let again = resp_line(addr, &["SET", "k", "v"]).await?;
        let took = asked.elapsed();
        ensure!(
            again.starts_with("-READONLY") && took < Duration::from_millis(2_500),
            "node {id} answered {again:?} after {took:?}"
        );
        let st = grpc_set(&d, *id, "k", "v").await;
        let msg = expect_code(
            &format!("gRPC SET on node {id}"),
            st,
            Code::FailedPrecondition,
        )?;
        ensure!(msg.contains("use1"), "the refusal names the primary: {msg}");
        let got = resp_line(addr, &["GET", "k"]).await?;
        ensure!(!got.starts_with('-'), "RESP GET on node {id}: {got:?}");
        let mut kv = d.kv(*id).await?;
        kv.get(pb::GetRequest {
            key: Bytes::from_static(b"k"),
            read: None,
        })
        .await
        .map_err(|s| anyhow!("gRPC GET on node {id}: {:?}: {}", s.code(), s.message()))?;
    }

    phase("disassociate euw1: it takes writes again");
    datastore(disassociate(&d, 1, "gds1", "euw1").await)?;
    wait_describe(&d, 1, "gds1", "euw1 gone", |ds| {
        ds.is_some_and(|ds| member(ds, "euw1").is_none())
    })
    .await?;
    for id in &euw1 {
        let addr = d.resp_addr(*id)?;
        eventually(&format!("node {id} takes a RESP write"), WAIT, || async {
            Ok((resp_line(addr, &["SET", "k", "v2"]).await? == "+OK").then_some(()))
        })
        .await?;
        grpc_set(&d, *id, "k", "v3")
            .await
            .map_err(|s| anyhow!("gRPC SET on node {id}: {:?}: {}", s.code(), s.message()))?;
    }

    d.shutdown().await;
    Ok(())
}

/// A primary cut off from the coordination group stops acknowledging writes within one lease
/// length, says why, and resumes after the cut heals.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn isolated_primary_stops_within_one_lease() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let lease = d.options().coord.lease;
    let margin = Duration::from_millis(500);
    create_ready(&d, "gds1", "use1").await?;

    phase("the primary takes writes once its lease is granted");
    let leader = d.wait_for_leader("use1", WAIT).await?;
    eventually("a write acknowledged by use1", WAIT, || async {
        Ok(grpc_set(&d, leader, "warm", "up").await.ok())
    })
    .await?;

    phase("isolate use1 from the coordination group while writing");
    let isolated_at = Instant::now();
    d.isolate_cluster_from_coord("use1")?;
    let mut last_ack: Option<Instant> = None;
    let mut last_err: Option<tonic::Status> = None;
    let mut i = 0u64;
    while isolated_at.elapsed() < lease * 3 {
        i += 1;
        let w = tokio::time::timeout(
            Duration::from_secs(3),
            grpc_set(&d, leader, &format!("k{i}"), "v"),
        )
        .await;
        match w {
            Ok(Ok(())) => last_ack = Some(Instant::now()),
            Ok(Err(s)) => last_err = Some(s),
            Err(_) => {}
        }
    }
    let acked_for = last_ack.map(|t| t.saturating_duration_since(isolated_at));
    eprintln!("    last write acknowledged {acked_for:?} after the cut ({i} writes tried)");
    if let Some(after) = acked_for {
        ensure!(
            after < lease + margin,
            "use1 acknowledged a write {after:?} after it was cut off (lease {lease:?})"
        );
    }
    let err = last_err.context("no write was refused while use1 was cut off")?;
    ensure!(
        err.code() == Code::Unavailable && err.message().contains("lease"),
        "refusal: {:?}: {}",
        err.code(),
        err.message()
    );
    let line = resp_line(d.resp_addr(leader)?, &["SET", "r", "v"]).await?;
    ensure!(
        line.starts_with("-TRYAGAIN") && line.contains("no valid write lease"),
        "RESP refusal: {line:?}"
    );

    phase("heal: writes resume");
    d.heal();
    eventually(
        "a write acknowledged by use1 after healing",
        WAIT,
        || async {
            for id in d.cluster_ids("use1")? {
                if grpc_set(&d, id, "after", "heal").await.is_ok() {
                    return Ok(Some(()));
                }
            }
            Ok(None)
        },
    )
    .await?;

    d.shutdown().await;
    Ok(())
}

/// Killing the coordination leader during add-secondary: the change completes or fails
/// cleanly, and every voter ends up describing the same thing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coord_leader_dies_during_add_secondary() -> Result<()> {
    let mut d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    create_ready(&d, "gds1", "use1").await?;

    phase("add-secondary euw1 through a follower voter, killing the coordination leader");
    let leader = d.wait_for_coord_leader(WAIT).await?;
    let via = *d
        .voters()
        .iter()
        .find(|v| **v != leader)
        .context("no follower voter")?;
    let mut g = d.global(via).await?;
    let call = tokio::spawn(async move {
        g.add_secondary(pb::AddSecondaryRequest {
            id: "gds1".into(),
            cluster: "euw1".into(),
        })
        .await
    });
    d.kill(leader).await?;
    let outcome = call.await?;
    eprintln!(
        "    killed voter {leader}; add-secondary via {via}: {:?}",
        outcome.as_ref().map(|r| view(
            r.get_ref()
                .datastore
                .as_ref()
                .unwrap_or(&Default::default())
        ))
    );

    phase("the change completes or is absent; describe agrees");
    let new_leader = d.wait_for_coord_leader(WAIT).await?;
    ensure!(new_leader != leader);
    let done = wait_describe(&d, via, "gds1", "add-secondary settled", |ds| {
        ds.is_some_and(|ds| match member(ds, "euw1") {
            Some(m) => m.status == "associated" && ds.status == "available",
            None => ds.status == "primary-only",
        })
    })
    .await?
    .context("gds1 missing")?;
    match &outcome {
        Ok(_) => ensure!(
            has_member(&done, "euw1", "secondary", "associated"),
            "acknowledged add-secondary lost: {}",
            view(&done)
        ),
        Err(s) if s.code() == Code::Unavailable => ensure!(
            member(&done, "euw1").is_none(),
            "add-secondary refused as not done, yet applied: {}",
            view(&done)
        ),
        Err(s) => ensure!(
            s.code() == Code::Unknown || s.code() == Code::DeadlineExceeded,
            "unexpected failure {:?}: {}",
            s.code(),
            s.message()
        ),
    }

    phase("every voter, the killed one restarted, holds the same datastore");
    d.restart(leader).await?;
    let want = view(&done);
    eventually("every voter's copy agrees", WAIT, || async {
        for v in d.voters() {
            let local = d.local_datastores(*v)?;
            let got: Vec<String> = local
                .iter()
                .map(|ds| view(&meridian_coord::to_pb(ds)))
                .collect();
            if got != vec![want.clone()] {
                return Ok(None);
            }
            if describe(&d, *v, "gds1").await?.map(|ds| view(&ds)) != Some(want.clone()) {
                return Ok(None);
            }
        }
        Ok(Some(()))
    })
    .await?;

    d.shutdown().await;
    Ok(())
}
