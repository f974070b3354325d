//! Fencing of a primary that may have been replaced: once its lease has run out it neither
//! deletes expired keys (its deletions would enter a history a new primary no longer
//! follows) nor answers linearizable reads (they could be stale); local reads still work,
//! and both come back when the lease does.

use crate::global_datastores::support::*;

/// Every key the primary leader's state holds, expired or not (reads hide expired keys; only
/// active expiry removes them).
fn stored_keys(d: &TestDeployment, id: NodeId) -> Result<usize> {
    Ok(d.group(id)?.sm().read(|ks| ks.len()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_primary_without_a_lease_neither_expires_keys_nor_serves_linearizable_reads() -> Result<()>
{
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let lease = d.options().coord.lease;
    create_ready(&d, "gds1", "use1").await?;
    let leader = d.wait_for_leader("use1", WAIT).await?;
    let addr = d.resp_addr(leader)?;
    eventually("a write acknowledged by use1", WAIT, || async {
        Ok(grpc_set(&d, leader, "warm", "up").await.ok())
    })
    .await?;
    // Due well after the lease is gone, long before the test ends.
    let ttl = Duration::from_secs(4);
    let ttl_ms = ttl.as_millis().to_string();
    let line = resp_line(addr, &["SET", "short", "lived", "PX", &ttl_ms]).await?;
    ensure!(line == "+OK", "SET with a TTL: {line:?}");
    let due = tokio::time::Instant::now() + ttl;

    phase("cut use1 off from the coordination group; wait until its lease has run out");
    d.isolate_cluster_from_coord("use1")?;
    let line = eventually("a write refused for want of a lease", WAIT, || async {
        let line = resp_line(addr, &["SET", "probe", "v"]).await?;
        Ok(line.contains("no valid write lease").then_some(line))
    })
    .await?;
    ensure!(line.starts_with("-TRYAGAIN"), "refusal: {line:?}");
    // Counted once writes stop (probes written while the lease lasted included).
    let stored = stored_keys(&d, leader)?;
    ensure!(
        tokio::time::Instant::now() < due,
        "the lease outlived the key's TTL"
    );

    phase("a linearizable read is refused; a local read is served");
    let read = resp_line(addr, &["GET", "warm"]).await?;
    ensure!(
        read.starts_with("-TRYAGAIN") && read.contains("no valid write lease"),
        "linearizable GET without a lease: {read:?}"
    );
    let mut kv = d.kv(leader).await?;
    let st = kv
        .get(pb::GetRequest {
            key: Bytes::from_static(b"warm"),
            read: None,
        })
        .await;
    let msg = expect_code("gRPC linearizable GET", st, Code::Unavailable)?;
    ensure!(msg.contains("lease"), "gRPC refusal: {msg}");
    let local = kv
        .get(pb::GetRequest {
            key: Bytes::from_static(b"warm"),
            read: Some(pb::ReadOptions {
                consistency: pb::Consistency::Local as i32,
                min_seq: 0,
            }),
        })
        .await
        .map_err(|s| anyhow!("local GET: {:?}: {}", s.code(), s.message()))?;
    ensure!(local.into_inner().value == Bytes::from_static(b"up"));

    phase("a key past its TTL stays stored while there is no lease");
    // Nothing to wait for but the absence of a deletion: wait until the key is due plus
    // several expiry rounds (100 ms apart), then look.
    tokio::time::sleep_until(due + lease).await;
    ensure!(
        stored_keys(&d, leader)? == stored,
        "a key was deleted while the primary held no lease"
    );

    phase("heal: linearizable reads and expiry come back");
    d.heal();
    eventually("a linearizable GET served after healing", WAIT, || async {
        Ok((resp_line(addr, &["GET", "warm"]).await? == "$2").then_some(()))
    })
    .await?;
    eventually(
        "the expired key deleted once the lease is back",
        WAIT,
        || async { Ok((stored_keys(&d, leader)? < stored).then_some(())) },
    )
    .await?;
    d.shutdown().await;
    Ok(())
}
