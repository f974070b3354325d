//! Cross-region log shipping: secondaries follow the primary in order, survive leader kills on
//! both sides, full-sync when they fall out of the backlog, and report lag; min_seq reads and
//! WAIT across regions.

#[path = "global_datastores/support.rs"]
mod support;

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use meridian_keyspace::Databases;
use meridian_proto::v1 as pb;
use meridian_testkit::{eventually, TestDeployment, TestDeploymentOptions};
use meridian_types::{NodeId, Seq};
use support::*;
use tonic::Code;

const WAIT: Duration = Duration::from_secs(20);

/// gds1: primary use1 with the given secondaries, each associated (fully synced).
async fn datastore_with(d: &TestDeployment, secondaries: &[&str]) -> Result<()> {
    create_ready(d, "gds1", "use1").await?;
    for s in secondaries {
        add_ready(d, "gds1", s).await?;
    }
    Ok(())
}

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

fn local_get(key: &str, min_seq: Seq) -> pb::GetRequest {
    pb::GetRequest {
        key: Bytes::from(key.to_string()),
        read: Some(pb::ReadOptions {
            consistency: pb::Consistency::Local as i32,
            min_seq,
        }),
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_on_the_primary_reach_every_secondary_and_lag_returns_to_zero() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;

    phase("writes on the primary, through a follower and the leader");
    let mut last = 0;
    for i in 0..50 {
        last = set(&d, 1 + (i % 3), &format!("k{i}"), &format!("v{i}")).await?;
    }

    phase("readable on every secondary node, by gRPC with min_seq and by RESP");
    for cluster in ["euw1", "aps1"] {
        for id in d.cluster_ids(cluster)? {
            let mut kv = d.kv(id).await?;
            let r = kv.get(local_get("k49", last)).await?.into_inner();
            ensure!(r.found && r.value == "v49", "node {id} of {cluster}: {r:?}");
            ensure!(
                r.seq >= last,
                "node {id} answered at seq {} < {last}",
                r.seq
            );
            let mut c = redis_conn(&d, id).await?;
            let v: Option<String> = redis::cmd("GET").arg("k7").query_async(&mut c).await?;
            ensure!(v.as_deref() == Some("v7"), "RESP GET on node {id}: {v:?}");
            // Writes on a secondary are still refused while shipping runs.
            let err = redis::cmd("SET")
                .arg("k7")
                .arg("x")
                .query_async::<()>(&mut c)
                .await
                .err()
                .context("a write on a secondary must fail")?;
            ensure!(
                err.to_string()
                    .contains("You can't write against a read only replica"),
                "{err}"
            );
        }
    }

    phase("describe reports every secondary caught up, with no lag");
    wait_describe(&d, 1, "gds1", "secondaries at the primary's seq", |ds| {
        ds.is_some_and(|ds| {
            ["euw1", "aps1"].iter().all(|c| {
                member(ds, c)
                    .is_some_and(|m| m.applied_seq == last && m.lag_seq == 0 && m.lag_ms == 0)
            })
        })
    })
    .await?;

    phase("INFO replication and ROLE on both sides; WAIT counts both secondaries");
    let mut p = redis_conn(&d, 2).await?;
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query_async(&mut p)
        .await?;
    ensure!(info.contains("role:master\r\n"), "{info}");
    ensure!(info.contains("connected_slaves:2\r\n"), "{info}");
    ensure!(
        info.contains(&format!("master_repl_offset:{last}\r\n")),
        "{info}"
    );
    let _: () = redis::cmd("SET")
        .arg("w")
        .arg("1")
        .query_async(&mut p)
        .await?;
    let acked: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(5000)
        .query_async(&mut p)
        .await?;
    ensure!(acked == 2, "WAIT 2 5000 answered {acked}");
    let euw1 = d.cluster_ids("euw1")?[1];
    let mut s = redis_conn(&d, euw1).await?;
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query_async(&mut s)
        .await?;
    ensure!(info.contains("role:slave\r\n"), "{info}");
    ensure!(info.contains("master_link_status:up\r\n"), "{info}");
    let role: redis::Value = redis::cmd("ROLE").query_async(&mut s).await?;
    ensure!(format!("{role:?}").contains("slave"), "{role:?}");
    let err = redis::cmd("WAIT")
        .arg(1)
        .arg(10)
        .query_async::<i64>(&mut s)
        .await
        .err()
        .context("WAIT on a secondary must fail")?;
    ensure!(err.to_string().contains("replica instances"), "{err}");

    phase("the secondary leader's metrics show the link up with no lag");
    let leader = d.wait_for_leader("euw1", WAIT).await?;
    let addr = d.node(leader)?.metrics_addr();
    let text = scrape(addr).await?;
    let up = text
        .lines()
        .any(|l| l.starts_with("meridian_replication_link_up{") && l.ends_with(" 1"));
    ensure!(up, "no link-up series on node {leader}:\n{text}");
    ensure!(
        text.lines()
            .any(|l| l.starts_with("meridian_replication_lag_seq{") && l.ends_with(" 0")),
        "{text}"
    );

    d.shutdown().await;
    Ok(())
}

/// `GET /metrics` over plain HTTP/1.1.
async fn scrape(addr: std::net::SocketAddr) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out)).await??;
    ensure!(out.starts_with("HTTP/1.1 200"), "{out}");
    Ok(out)
}

/// One sample of a secondary node's state.
struct Sample {
    node: NodeId,
    seq: Seq,
    data: Databases,
}

/// Samples the running nodes of `ids` every 5 ms for `ms` milliseconds.
async fn sample_for(
    d: &TestDeployment,
    ids: &[NodeId],
    samples: &mut Vec<Sample>,
    ms: u64,
) -> Result<()> {
    let end = tokio::time::Instant::now() + Duration::from_millis(ms);
    while tokio::time::Instant::now() < end {
        for id in ids {
            if d.running().contains(id) {
                let (seq, data) = state(d, *id)?;
                samples.push(Sample {
                    node: *id,
                    seq,
                    data,
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secondaries_show_only_prefixes_of_the_primary_while_leaders_die() -> Result<()> {
    let opts = TestDeploymentOptions::default();
    let mut d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1"]).await?;
    let primary_ids = d.cluster_ids("use1")?;
    let secondary_ids = d.cluster_ids("euw1")?;

    phase("continuous writes while sampling the secondary and killing leaders on both sides");
    let stop = stop_flag();
    let writer = {
        let addrs: Vec<_> = primary_ids
            .iter()
            .map(|id| d.grpc_addr(*id))
            .collect::<Result<_>>()?;
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let addr = addrs[(i as usize) % addrs.len()];
                let write = async {
                    let mut kv =
                        pb::key_value_client::KeyValueClient::connect(format!("http://{addr}"))
                            .await?;
                    kv.set(pb::SetRequest {
                        key: Bytes::from(format!("k{}", i % 20)),
                        value: Bytes::from(i.to_string()),
                        ..Default::default()
                    })
                    .await?;
                    anyhow::Ok(())
                };
                // Unknown outcomes are fine: the history is read from the primary's backlog.
                let _ = tokio::time::timeout(Duration::from_secs(2), write).await;
                i += 1;
            }
            i
        })
    };
    let mut samples: Vec<Sample> = Vec::new();
    sample_for(&d, &secondary_ids, &mut samples, 800).await?;
    let pl = d.wait_for_leader("use1", WAIT).await?;
    d.kill(pl).await?;
    sample_for(&d, &secondary_ids, &mut samples, 1000).await?;
    d.restart(pl).await?;
    let sl = d.wait_for_leader("euw1", WAIT).await?;
    d.kill(sl).await?;
    sample_for(&d, &secondary_ids, &mut samples, 1000).await?;
    d.restart(sl).await?;
    sample_for(&d, &secondary_ids, &mut samples, 800).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await?;
    ensure!(written > 20, "only {written} writes were attempted");

    phase("after the writes stop, every secondary node equals the primary");
    converged(&d, "euw1").await?;

    phase("every sampled state is the primary's state at the sampled seq");
    let primary = d.wait_for_leader("use1", WAIT).await?;
    let history = d
        .group(primary)?
        .sm()
        .backlog_range(1, u64::MAX)
        .context("reading the primary's history")?;
    ensure!(
        history.first().map(|o| o.seq) == Some(1),
        "the primary's backlog must hold the whole history for this check"
    );
    samples.sort_by_key(|s| s.seq);
    let mut model = Databases::new();
    let mut applied: Seq = 0;
    let mut checked = 0;
    let mut ops = history.iter().peekable();
    for s in &samples {
        while applied < s.seq {
            let Some(op) = ops.next() else {
                bail!(
                    "node {} showed seq {} beyond the primary's history",
                    s.node,
                    s.seq
                );
            };
            ensure!(
                op.seq == applied + 1,
                "the primary's history has a gap at {}",
                op.seq
            );
            model.execute_write(&mut { op.db }, &op.argv, op.now_ms, op.seed);
            applied = op.seq;
        }
        ensure!(
            s.data == model,
            "node {} at seq {} shows a state that is not the primary's at that seq",
            s.node,
            s.seq
        );
        checked += 1;
    }
    let distinct: std::collections::BTreeSet<Seq> = samples.iter().map(|s| s.seq).collect();
    eprintln!(
        "checked {checked} samples at {} distinct seqs against {} primary ops",
        distinct.len(),
        history.len()
    );
    ensure!(
        distinct.len() > 5,
        "the samples must cover the secondary moving forward"
    );

    d.shutdown().await;
    Ok(())
}

fn stop_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secondary_that_falls_out_of_the_backlog_full_syncs_and_converges() -> Result<()> {
    // Three regions, so the coordination group keeps a quorum across the cut.
    let mut opts = TestDeploymentOptions::default();
    opts.region_options.backlog_max_bytes = 4096;
    let d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1"]).await?;
    set(&d, 1, "before", "cut").await?;
    converged(&d, "euw1").await?;

    phase("euw1 cut off from use1 while the primary writes far past its backlog");
    d.cut_clusters("use1", "euw1")?;
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

    phase("healed: euw1 full-syncs and converges");
    d.heal();
    converged(&d, "euw1").await?;
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
