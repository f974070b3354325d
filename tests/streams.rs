//! Streams end to end with a real Redis client: ids generated from the replicated entry's
//! time, consumer groups and pending lists identical on every node of the primary and of every
//! secondary; XREAD BLOCK on a follower served by an XADD through the leader; keyspace
//! notifications fired on the node that applies a write.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use futures::StreamExt;
use meridian_testkit::{TestCluster, TestClusterOptions, TestDeployment, TestDeploymentOptions};
use meridian_types::NodeId;

use crate::global_datastores::support::{datastore_with, phase, WAIT};
use crate::pubsub::follower_of;

type Conn = redis::aio::MultiplexedConnection;

async fn conn(addr: std::net::SocketAddr) -> Result<Conn> {
    let client = redis::Client::open(format!("redis://{addr}"))?;
    Ok(client.get_multiplexed_async_connection().await?)
}

/// What a node holds of the stream: the dataset digest and the full XINFO (groups, pending
/// lists, delivery times and counts).
async fn stream_state(c: &mut Conn) -> Result<(String, redis::Value)> {
    let digest: String = redis::cmd("DEBUG").arg("DIGEST").query_async(c).await?;
    let full: redis::Value = redis::cmd("XINFO")
        .arg("STREAM")
        .arg("events")
        .arg("FULL")
        .query_async(c)
        .await?;
    Ok((digest, full))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_ids_and_groups_are_identical_on_every_node_and_secondary() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    datastore_with(&d, &["euw1"]).await?;
    phase("XADD * through every primary node, a group reads and acknowledges some");
    let primary = d.cluster_ids("use1")?;
    for i in 0..30 {
        let mut c = conn(d.resp_addr(primary[i % primary.len()])?).await?;
        let id: String = redis::cmd("XADD")
            .arg("events")
            .arg("*")
            .arg("n")
            .arg(i)
            .query_async(&mut c)
            .await?;
        ensure!(id.contains('-'), "XADD answered {id}");
    }
    let leader = d.wait_for_leader("use1", WAIT).await?;
    let mut c = conn(d.resp_addr(leader)?).await?;
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg("events")
        .arg("workers")
        .arg("0")
        .query_async::<()>(&mut c)
        .await?;
    redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("workers")
        .arg("w1")
        .arg("COUNT")
        .arg(10)
        .arg("STREAMS")
        .arg("events")
        .arg(">")
        .query_async::<redis::Value>(&mut c)
        .await?;
    let expected = stream_state(&mut c).await?;
    phase("every node of both clusters holds the same entries, ids and group state");
    let mut nodes: Vec<NodeId> = primary.clone();
    nodes.extend(d.cluster_ids("euw1")?);
    for id in nodes {
        let mut c = conn(d.resp_addr(id)?).await?;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let state = stream_state(&mut c).await?;
            if state == expected {
                break;
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "node {id} holds {state:?}, the primary leader {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    d.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_blocked_xread_on_a_follower_is_served_by_an_xadd_through_the_leader() -> Result<()> {
    let cluster = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = cluster.wait_for_leader(WAIT).await?;
    let follower = follower_of(&cluster, leader)?;
    let mut reader = conn(cluster.resp_addr(follower)?).await?;
    let blocked = tokio::spawn(async move {
        redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(0)
            .arg("STREAMS")
            .arg("jobs")
            .arg("$")
            .query_async::<redis::Value>(&mut reader)
            .await
    });
    // The reader is blocked once the follower counts it.
    let mut probe = conn(cluster.resp_addr(follower)?).await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut probe)
            .await?;
        if info.contains("blocked_clients:1") {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "never blocked: {info}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut writer = conn(cluster.resp_addr(leader)?).await?;
    let id: String = redis::cmd("XADD")
        .arg("jobs")
        .arg("*")
        .arg("task")
        .arg("build")
        .query_async(&mut writer)
        .await?;
    let reply = tokio::time::timeout(WAIT, blocked).await???;
    let text = format!("{reply:?}");
    ensure!(
        text.contains(&id) && text.contains("build"),
        "XREAD answered {text}"
    );
    cluster.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keyspace_notifications_fire_on_the_node_that_applies_the_write() -> Result<()> {
    let cluster = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = cluster.wait_for_leader(WAIT).await?;
    let follower = follower_of(&cluster, leader)?;
    let addr = cluster.resp_addr(follower)?;
    let mut config = conn(addr).await?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEA")
        .query_async::<()>(&mut config)
        .await?;
    let client = redis::Client::open(format!("redis://{addr}"))?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe("__key*__:*").await?;
    let mut writer = conn(cluster.resp_addr(leader)?).await?;
    redis::cmd("SET")
        .arg("greeting")
        .arg("hi")
        .query_async::<()>(&mut writer)
        .await?;
    redis::cmd("XADD")
        .arg("log")
        .arg("*")
        .arg("f")
        .arg("v")
        .query_async::<String>(&mut writer)
        .await?;
    let mut heard = Vec::new();
    let mut stream = pubsub.on_message();
    while heard.len() < 4 {
        let m = tokio::time::timeout(WAIT, stream.next())
            .await
            .context("waiting for notifications")?
            .context("subscription ended")?;
        heard.push((m.get_channel_name().to_string(), m.get_payload::<String>()?));
    }
    let expected = [
        ("__keyspace@0__:greeting", "set"),
        ("__keyevent@0__:set", "greeting"),
        ("__keyspace@0__:log", "xadd"),
        ("__keyevent@0__:xadd", "log"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect();
    ensure!(heard == expected, "heard {heard:?}");
    cluster.shutdown().await;
    Ok(())
}
