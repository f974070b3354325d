//! Numbered databases end to end: what a client writes in databases other than 0 (with
//! SELECT, MOVE, SWAPDB, COPY … DB) reaches a secondary region both through its full sync and
//! through shipped ops, survives a restart of a secondary node, and stays in its database.

use std::time::Duration;

use anyhow::{ensure, Result};
use meridian_keyspace::Databases;
use meridian_testkit::{eventually, TestDeployment, TestDeploymentOptions};
use meridian_types::{NodeId, Seq};
use redis::aio::MultiplexedConnection;

use crate::global_datastores::support::*;

const WAIT: Duration = Duration::from_secs(30);

async fn redis_conn(d: &TestDeployment, id: NodeId) -> Result<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{}", d.resp_addr(id)?))?;
    Ok(client.get_multiplexed_async_connection().await?)
}

/// Runs one command on `c` and returns its reply as a string (nil as "(nil)").
async fn run(c: &mut MultiplexedConnection, args: &[&str]) -> Result<String> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    let v: redis::Value = cmd.query_async(c).await?;
    Ok(match v {
        redis::Value::Nil => "(nil)".into(),
        redis::Value::Int(n) => n.to_string(),
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::Okay => "OK".into(),
        redis::Value::SimpleString(s) => s,
        other => format!("{other:?}"),
    })
}

fn state(d: &TestDeployment, id: NodeId) -> Result<(Seq, Databases)> {
    Ok(d.group(id)?.sm().read_at(|seq, dbs| (seq, dbs.clone())))
}

/// Waits until node `id` holds exactly the databases of the primary's leader.
async fn converged(d: &TestDeployment, id: NodeId) -> Result<()> {
    eventually(
        &format!("node {id} holds every database of use1"),
        WAIT,
        || async {
            let leader = d.wait_for_leader("use1", WAIT).await?;
            let (seq, primary) = state(d, leader)?;
            let (their_seq, theirs) = state(d, id)?;
            Ok((their_seq == seq && theirs == primary).then_some(()))
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn databases_ship_to_secondaries_by_full_sync_and_by_op() -> Result<()> {
    let mut d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let leader = d.wait_for_leader("use1", WAIT).await?;
    let mut p = redis_conn(&d, leader).await?;

    phase("writes in several databases before the secondary exists (they reach it by full sync)");
    run(&mut p, &["SET", "k", "zero"]).await?;
    run(&mut p, &["SELECT", "3"]).await?;
    run(&mut p, &["SET", "k", "three"]).await?;
    run(&mut p, &["HSET", "h", "f", "v"]).await?;
    ensure!(run(&mut p, &["MOVE", "h", "4"]).await? == "1");
    run(&mut p, &["SELECT", "0"]).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    let secondary = d.cluster_ids("euw1")?[0];
    converged(&d, secondary).await?;

    phase("writes after it (they reach it as shipped ops, each in its database)");
    run(&mut p, &["SELECT", "5"]).await?;
    run(&mut p, &["SET", "k", "five"]).await?;
    run(&mut p, &["SWAPDB", "5", "6"]).await?;
    run(&mut p, &["COPY", "k", "k", "DB", "7"]).await?;
    run(&mut p, &["SELECT", "6"]).await?;
    ensure!(run(&mut p, &["COPY", "k", "k", "DB", "7"]).await? == "1");
    converged(&d, secondary).await?;

    phase("a client of the secondary reads each database where it was written");
    let mut s = redis_conn(&d, secondary).await?;
    run(&mut s, &["READONLY"]).await?;
    for (db, key, want) in [
        ("0", "k", "zero"),
        ("3", "k", "three"),
        ("5", "k", "(nil)"),
        ("6", "k", "five"),
        ("7", "k", "five"),
    ] {
        run(&mut s, &["SELECT", db]).await?;
        let got = run(&mut s, &["GET", key]).await?;
        ensure!(got == want, "GET {key} in db {db} on the secondary: {got}");
    }
    run(&mut s, &["SELECT", "4"]).await?;
    ensure!(run(&mut s, &["HGET", "h", "f"]).await? == "v");
    let refused: redis::RedisResult<redis::Value> =
        redis::cmd("SWAPDB").arg(0).arg(1).query_async(&mut s).await;
    ensure!(
        matches!(&refused, Err(e) if e.kind() == redis::ErrorKind::ReadOnly),
        "a secondary refuses SWAPDB as a write: {refused:?}"
    );
    // A blocking pop is a write too: refused at once, never left waiting.
    let refused: redis::RedisResult<redis::Value> = redis::cmd("BLPOP")
        .arg("list")
        .arg(0)
        .query_async(&mut s)
        .await;
    ensure!(
        matches!(&refused, Err(e) if e.kind() == redis::ErrorKind::ReadOnly),
        "a secondary refuses BLPOP as a write: {refused:?}"
    );

    phase("a restarted secondary node comes back with every database");
    d.kill(secondary).await?;
    d.restart(secondary).await?;
    converged(&d, secondary).await
}
