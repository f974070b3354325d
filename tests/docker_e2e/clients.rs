//! Clients of a run's deployment: Redis calls on the published ports, gRPC questions about
//! leaders and gds1, and the writers that keep writing through faults.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use meridian_proto::v1 as pb;
use meridian_proto::v1::clusters_client::ClustersClient;
use meridian_proto::v1::global_datastores_client::GlobalDatastoresClient;
use redis::aio::MultiplexedConnection;

use super::{eventually, node_name, Deployment, CALL};
use crate::docker_e2e::WAIT;

pub async fn connect(addr: &str) -> Result<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    tokio::time::timeout(CALL, client.get_multiplexed_async_connection())
        .await
        .with_context(|| format!("connecting to {addr}: timed out"))?
        .with_context(|| format!("connecting to {addr}"))
}

pub async fn set(addr: String, key: &str, value: &str) -> Result<()> {
    let mut conn = connect(&addr).await?;
    let reply: String = tokio::time::timeout(
        CALL,
        redis::cmd("SET").arg(key).arg(value).query_async(&mut conn),
    )
    .await
    .with_context(|| format!("SET {key} on {addr}: timed out"))?
    .with_context(|| format!("SET {key} on {addr}"))?;
    ensure!(reply == "OK", "SET {key} on {addr}: {reply}");
    Ok(())
}

pub async fn get(addr: String, key: &str) -> Result<Option<String>> {
    let mut conn = connect(&addr).await?;
    tokio::time::timeout(CALL, redis::cmd("GET").arg(key).query_async(&mut conn))
        .await
        .with_context(|| format!("GET {key} on {addr}: timed out"))?
        .with_context(|| format!("GET {key} on {addr}"))
}

/// Number of keys and a hash of every (key, value), sorted by key, read over RESP.
pub async fn digest(addr: String) -> Result<(usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut conn = connect(&addr).await?;
    let mut keys: Vec<String> = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .with_context(|| format!("SCAN on {addr}"))?;
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    keys.sort();
    keys.dedup();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for chunk in keys.chunks(500) {
        let values: Vec<Option<String>> = redis::cmd("MGET")
            .arg(chunk)
            .query_async(&mut conn)
            .await
            .with_context(|| format!("MGET on {addr}"))?;
        for (k, v) in chunk.iter().zip(values) {
            (k, v).hash(&mut h);
        }
    }
    Ok((keys.len(), h.finish()))
}

/// The leader of `cluster`'s group, by node name.
pub async fn leader_of(d: &Deployment, cluster: &str) -> Result<String> {
    let endpoint = d.grpc("euw1-1");
    eventually(&format!("a leader of {cluster}"), WAIT, || async {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{endpoint}"))?
            .timeout(CALL)
            .connect()
            .await?;
        let r = ClustersClient::new(channel)
            .describe(pb::DescribeClustersRequest {
                cluster: cluster.into(),
            })
            .await?
            .into_inner();
        Ok(r.clusters
            .iter()
            .find(|c| c.name == cluster && c.leader_id != 0)
            .map(|c| node_name(cluster, c.leader_id)))
    })
    .await
}

/// gds1 as euw1's node 1 describes it.
async fn describe_gds1(d: &Deployment) -> Result<Option<pb::GlobalDatastore>> {
    let endpoint = d.grpc("euw1-1");
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{endpoint}"))?
        .timeout(CALL)
        .connect()
        .await?;
    let r = GlobalDatastoresClient::new(channel)
        .describe(pb::DescribeGlobalDatastoresRequest { id: "gds1".into() })
        .await?
        .into_inner();
    Ok(r.datastores.into_iter().next())
}

/// Whether `cluster` is gds1's primary with no failover under way.
pub async fn primary_is(d: &Deployment, cluster: &str) -> Result<bool> {
    let ds = describe_gds1(d).await?;
    Ok(ds.is_some_and(|ds| {
        ds.primary_cluster == cluster && ds.failover.as_ref().is_none_or(|f| f.phase == "done")
    }))
}

/// Until `cluster` is a secondary of gds1 again, its rejoin done and its discarded writes
/// counted.
pub async fn wait_rejoined(d: &Deployment, cluster: &str, limit: Duration) -> Result<()> {
    eventually(&format!("{cluster} rejoined gds1"), limit, || async {
        let Some(ds) = describe_gds1(d).await? else {
            return Ok(None);
        };
        let counted = ds
            .failover
            .as_ref()
            .and_then(|f| f.loss.as_ref())
            .is_some_and(|l| l.discarded.is_some());
        let back = ds
            .members
            .iter()
            .any(|m| m.cluster == cluster && m.role == "secondary" && !m.rejoin_pending);
        Ok((counted && back).then_some(()))
    })
    .await
}

/// One writer per node: SETs in a loop, each outcome recorded with its time.
pub struct Writers {
    events: Arc<Mutex<Vec<(String, Instant, bool)>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Writers {
    pub fn start(d: &Deployment, nodes: &[&str]) -> Writers {
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = nodes
            .iter()
            .map(|node| {
                let (node, addr) = (node.to_string(), d.resp(node));
                let (events, stop) = (events.clone(), stop.clone());
                tokio::spawn(async move { write_loop(node, addr, events, stop).await })
            })
            .collect();
        Writers {
            events,
            stop,
            tasks,
        }
    }

    fn events(&self) -> Vec<(String, Instant, bool)> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn first_ok_after(&self, t: Instant) -> Option<Instant> {
        self.events()
            .into_iter()
            .filter(|(_, at, ok)| *ok && *at > t)
            .map(|(_, at, _)| at)
            .min()
    }

    pub fn first_ok_on(&self, nodes: &[&str]) -> Option<Instant> {
        self.events()
            .into_iter()
            .filter(|(n, _, ok)| *ok && nodes.contains(&n.as_str()))
            .map(|(_, at, _)| at)
            .min()
    }

    /// From the last write `old` acknowledged to the first `new` acknowledged.
    pub fn gap(&self, old: &[&str], new: &[&str]) -> Result<Duration> {
        let events = self.events();
        let last_old = events
            .iter()
            .filter(|(n, _, ok)| *ok && old.contains(&n.as_str()))
            .map(|(_, at, _)| *at)
            .max()
            .context("the old primary acknowledged no write")?;
        let first_new = self
            .first_ok_on(new)
            .context("the new primary acknowledged no write")?;
        Ok(first_new.saturating_duration_since(last_old))
    }

    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn write_loop(
    node: String,
    addr: String,
    events: Arc<Mutex<Vec<(String, Instant, bool)>>>,
    stop: Arc<AtomicBool>,
) {
    let mut conn = None;
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        if conn.is_none() {
            conn = connect(&addr).await.ok();
        }
        let ok = match conn.as_mut() {
            Some(c) => {
                let key = format!("e2e:w:{node}:{i}");
                let r: Result<Result<String, _>, _> =
                    tokio::time::timeout(CALL, redis::cmd("SET").arg(&key).arg(i).query_async(c))
                        .await;
                match r {
                    Ok(Ok(reply)) => reply == "OK",
                    Ok(Err(e)) if e.is_io_error() || e.is_connection_dropped() => {
                        conn = None;
                        false
                    }
                    Ok(Err(_)) => false,
                    Err(_) => {
                        conn = None;
                        false
                    }
                }
            }
            None => false,
        };
        if let Ok(mut e) = events.lock() {
            e.push((node.clone(), Instant::now(), ok));
        }
        i += 1;
        let pause = if ok { 2 } else { 10 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}
