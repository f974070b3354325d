//! Cross-region log shipping: secondaries follow the primary in order and report lag
//! (`follow.rs`), show only prefixes of the primary while leaders on both sides die
//! (`prefixes.rs`), and, cut off from the primary, full-sync when they fall out of the
//! backlog, hide keys the primary expired, and time out min_seq reads and WAIT
//! (`cut_off.rs`). Here: what they share.

mod cut_off;
mod follow;
mod prefixes;

use anyhow::Result;
use bytes::Bytes;
use meridian_keyspace::Databases;
use meridian_proto::v1 as pb;
use meridian_testkit::{eventually, TestDeployment};
use meridian_types::{NodeId, Seq};

use crate::global_datastores::support::WAIT;

/// SET through node `via`; returns the seq it was applied at.
async fn set(d: &TestDeployment, via: NodeId, key: &str, value: &str) -> Result<Seq> {
    let mut kv = d.kv(via).await?;
    let r = kv
        .set(pb::SetRequest {
            key: Bytes::from(key.to_string()),
            value: Bytes::from(value.to_string()),
            ..Default::default()
        })
        .await
        .map_err(|s| {
            anyhow::anyhow!("set {key} via node {via}: {:?}: {}", s.code(), s.message())
        })?;
    Ok(r.into_inner().seq)
}

/// A local GET that waits until the node applied `min_seq`.
fn local_get(key: &str, min_seq: Seq) -> pb::GetRequest {
    pb::GetRequest {
        key: Bytes::from(key.to_string()),
        read: Some(pb::ReadOptions {
            consistency: pb::Consistency::Local as i32,
            min_seq,
        }),
    }
}

/// A RESP connection to node `id`.
async fn redis_conn(d: &TestDeployment, id: NodeId) -> Result<redis::aio::MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{}", d.resp_addr(id)?))?;
    Ok(client.get_multiplexed_async_connection().await?)
}

/// The keyspace and seq of node `id`, read together.
fn state(d: &TestDeployment, id: NodeId) -> Result<(Seq, Databases)> {
    Ok(d.group(id)?.sm().read_at(|seq, ks| (seq, ks.clone())))
}

/// Waits until every running node of `cluster` holds exactly the primary leader's data.
async fn converged(d: &TestDeployment, cluster: &str) -> Result<()> {
    let primary = d.wait_for_leader("use1", WAIT).await?;
    eventually(&format!("{cluster} equals the primary"), WAIT, || async {
        let (seq, ks) = state(d, primary)?;
        for id in d.cluster_ids(cluster)? {
            if !d.running().contains(&id) {
                continue;
            }
            let (s, k) = state(d, id)?;
            if s != seq || k != ks {
                return Ok(None);
            }
        }
        Ok(Some(()))
    })
    .await
}
