//! Pub/sub across a cluster and across regions, with real Redis clients: a message published
//! on any node reaches the subscribers of every node of its cluster once and in order, and
//! the subscribers of every secondary region; PUBLISH counts the serving node's receivers;
//! a node that restarts does not replay old messages to new subscribers.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use futures::StreamExt;
use meridian_testkit::{TestCluster, TestClusterOptions, TestDeployment, TestDeploymentOptions};
use meridian_types::NodeId;

use crate::global_datastores::support::{datastore_with, phase, WAIT};

/// How long a subscriber waits for one message.
const MESSAGE_LIMIT: Duration = Duration::from_secs(20);

async fn subscriber(addr: std::net::SocketAddr, channel: &str) -> Result<redis::aio::PubSub> {
    let client = redis::Client::open(format!("redis://{addr}"))?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

async fn publish(addr: std::net::SocketAddr, channel: &str, message: &str) -> Result<i64> {
    let client = redis::Client::open(format!("redis://{addr}"))?;
    let mut c = client.get_multiplexed_async_connection().await?;
    Ok(redis::cmd("PUBLISH")
        .arg(channel)
        .arg(message)
        .query_async(&mut c)
        .await?)
}

/// A node of `cluster` other than `leader`.
pub(crate) fn follower_of(cluster: &TestCluster, leader: NodeId) -> Result<NodeId> {
    cluster
        .ids()
        .into_iter()
        .find(|id| *id != leader)
        .context("a follower")
}

/// The next `count` payloads a subscriber hears, each within [`MESSAGE_LIMIT`].
async fn next_payloads(pubsub: &mut redis::aio::PubSub, count: usize) -> Result<Vec<String>> {
    let mut stream = pubsub.on_message();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let message = tokio::time::timeout(MESSAGE_LIMIT, stream.next())
            .await
            .with_context(|| format!("no message after {} of {count}", out.len()))?
            .context("subscription ended")?;
        out.push(message.get_payload::<String>()?);
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_node_of_a_cluster_hears_each_message_once_in_order() -> Result<()> {
    let cluster = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = cluster.wait_for_leader(WAIT).await?;
    let ids = cluster.ids();
    let mut subscribers = Vec::new();
    for id in &ids {
        subscribers.push((*id, subscriber(cluster.resp_addr(*id)?, "news").await?));
    }
    phase("published on every node in turn: each PUBLISH counts its own node's subscriber");
    let sent: Vec<String> = (0..60).map(|i| format!("m{i}")).collect();
    for (i, message) in sent.iter().enumerate() {
        let via: NodeId = ids[i % ids.len()];
        let receivers = publish(cluster.resp_addr(via)?, "news", message).await?;
        ensure!(receivers == 1, "PUBLISH via node {via} counted {receivers}");
    }
    phase("a sentinel last: each subscriber heard the messages once, in order, then it");
    publish(cluster.resp_addr(leader)?, "news", "end").await?;
    let mut expected = sent.clone();
    expected.push("end".into());
    for (id, pubsub) in &mut subscribers {
        let heard = next_payloads(pubsub, expected.len()).await?;
        ensure!(heard == expected, "node {id} heard {heard:?}");
    }
    cluster.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_node_does_not_replay_old_messages_to_new_subscribers() -> Result<()> {
    let mut cluster = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = cluster.wait_for_leader(WAIT).await?;
    let follower = follower_of(&cluster, leader)?;
    for i in 0..20 {
        publish(cluster.resp_addr(leader)?, "old", &format!("before-{i}")).await?;
    }
    cluster.kill(follower).await?;
    cluster.restart(follower).await?;
    let mut pubsub = subscriber(cluster.resp_addr(follower)?, "old").await?;
    // The follower may still be applying its log: the old entries it applies again must not
    // reach the new subscriber, only what is published after it subscribed.
    publish(cluster.resp_addr(leader)?, "old", "after").await?;
    let heard = next_payloads(&mut pubsub, 1).await?;
    ensure!(heard == ["after"], "a new subscriber heard {heard:?} first");
    cluster.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_published_on_the_primary_reach_every_secondary_region() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;
    let mut subscribers = Vec::new();
    for region in ["euw1", "aps1"] {
        for id in d.cluster_ids(region)? {
            subscribers.push((id, subscriber(d.resp_addr(id)?, "alerts").await?));
        }
    }
    phase("published on the primary's follower and leader");
    let primary = d.cluster_ids("use1")?;
    for (i, id) in primary.iter().enumerate() {
        publish(d.resp_addr(*id)?, "alerts", &format!("a{i}")).await?;
    }
    let expected: Vec<String> = (0..primary.len()).map(|i| format!("a{i}")).collect();
    for (id, pubsub) in &mut subscribers {
        let heard = next_payloads(pubsub, expected.len()).await?;
        ensure!(heard == expected, "secondary node {id} heard {heard:?}");
    }
    phase("PUBLISH on a secondary reaches that node's own subscribers, as on a Redis replica");
    let (id, pubsub) = &mut subscribers[0];
    let receivers = publish(d.resp_addr(*id)?, "alerts", "local").await?;
    ensure!(
        receivers == 1,
        "PUBLISH on secondary node {id} counted {receivers}"
    );
    ensure!(
        next_payloads(pubsub, 1).await? == ["local"],
        "local message"
    );
    d.shutdown().await;
    Ok(())
}
