//! Writes on the primary reach every node of every secondary, by gRPC and RESP, and the
//! secondaries report themselves caught up: describe, INFO, ROLE, WAIT and metrics.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use meridian_testkit::{TestDeployment, TestDeploymentOptions};
use meridian_types::Seq;

use super::{local_get, redis_conn, set};
use crate::global_datastores::support::{datastore_with, member, phase, wait_describe, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_on_the_primary_reach_every_secondary_and_lag_returns_to_zero() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;

    phase("writes on the primary, through a follower and the leader");
    let mut last = 0;
    for i in 0..50 {
        last = set(&d, 1 + (i % 3), &format!("k{i}"), &format!("v{i}")).await?;
    }
    readable_on_every_secondary_node(&d, last).await?;

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

    replication_reported_on_both_sides(&d, last).await?;
    the_secondary_leaders_metrics_show_the_link_up(&d).await?;
    d.shutdown().await;
    Ok(())
}

/// `last` and what came before it, by gRPC with min_seq and by RESP; writes there are still
/// refused while shipping runs.
async fn readable_on_every_secondary_node(d: &TestDeployment, last: Seq) -> Result<()> {
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
            let mut c = redis_conn(d, id).await?;
            let v: Option<String> = redis::cmd("GET").arg("k7").query_async(&mut c).await?;
            ensure!(v.as_deref() == Some("v7"), "RESP GET on node {id}: {v:?}");
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
    Ok(())
}

async fn replication_reported_on_both_sides(d: &TestDeployment, last: Seq) -> Result<()> {
    phase("INFO replication and ROLE on both sides; WAIT counts both secondaries");
    let mut p = redis_conn(d, 2).await?;
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
    let mut s = redis_conn(d, euw1).await?;
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
    Ok(())
}

async fn the_secondary_leaders_metrics_show_the_link_up(d: &TestDeployment) -> Result<()> {
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
