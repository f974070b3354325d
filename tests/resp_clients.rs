//! Real Redis clients against real nodes, unchanged: redis-cli and redis-benchmark (Debian
//! package redis-tools) and the Rust `redis` crate.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Result};
use meridian_testkit::{TestCluster, TestClusterOptions};

const LIMIT: Duration = Duration::from_secs(10);

/// Runs a redis-tools binary; fails loudly when the package is missing.
async fn run_tool(tool: &str, addr: SocketAddr, args: &[&str]) -> Result<(String, String)> {
    let port = addr.port().to_string();
    let mut argv = vec!["-h", "127.0.0.1", "-p", port.as_str()];
    argv.extend_from_slice(args);
    let owned: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let tool_name = tool.to_string();
    let output =
        tokio::task::spawn_blocking(move || Command::new(&tool_name).args(&owned).output())
            .await?
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot run {tool}: {e}. These tests need the Debian package redis-tools \
                 (apt-get install redis-tools)"
                )
            })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    ensure!(
        output.status.success(),
        "{tool} {args:?} failed: {stdout} {stderr}"
    );
    Ok((stdout, stderr))
}

async fn cli(addr: SocketAddr, args: &[&str]) -> Result<String> {
    Ok(run_tool("redis-cli", addr, args)
        .await?
        .0
        .trim_end()
        .to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_cli_and_redis_benchmark_work_unchanged() -> Result<()> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let follower = tc.follower_of(leader)?;
    let addr = tc.resp_addr(follower)?;

    // Phase: redis-cli one-shot commands through a follower.
    assert_eq!(cli(addr, &["PING"]).await?, "PONG");
    assert_eq!(cli(addr, &["SET", "foo", "bar"]).await?, "OK");
    assert_eq!(cli(addr, &["GET", "foo"]).await?, "bar");
    assert_eq!(cli(addr, &["DBSIZE"]).await?, "1");
    let info = cli(addr, &["INFO", "replication"]).await?;
    ensure!(info.contains("role:master"), "{info}");
    ensure!(info.contains("master_repl_offset:"), "{info}");
    let keyspace = cli(addr, &["INFO", "keyspace"]).await?;
    ensure!(
        keyspace.contains("db0:keys=1,expires=0,avg_ttl=0"),
        "{keyspace}"
    );
    let server = cli(addr, &["INFO", "server"]).await?;
    ensure!(server.contains("redis_version:7.0.15"), "{server}");
    assert_eq!(cli(addr, &["CONFIG", "GET", "save"]).await?, "save");
    let count: i64 = cli(addr, &["COMMAND", "COUNT"]).await?.parse()?;
    ensure!(count > 50, "COMMAND COUNT {count}");
    let err = cli(addr, &["NOSUCH", "x"]).await?;
    assert_eq!(
        err,
        "ERR unknown command 'NOSUCH', with args beginning with: 'x'"
    );

    // Phase: redis-benchmark SET/GET with its default 50 clients, no errors.
    let (out, err) = run_tool(
        "redis-benchmark",
        addr,
        &["-t", "set,get", "-n", "2000", "-q"],
    )
    .await?;
    let all = format!("{out}{err}");
    ensure!(all.contains("SET:") && all.contains("GET:"), "{all}");
    for bad in ["ERR", "Error", "error", "WARNING"] {
        ensure!(
            !all.contains(bad),
            "redis-benchmark reported {bad:?}: {all}"
        );
    }
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rust_redis_crate_pipelines_transactions_and_resp3() -> Result<()> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let follower = tc.follower_of(leader)?;
    let addr = tc.resp_addr(follower)?;
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let mut con = client.get_multiplexed_async_connection().await?;

    // Phase: a pipeline.
    let (set, incr, get): (String, i64, String) = redis::pipe()
        .cmd("SET")
        .arg("p")
        .arg("1")
        .cmd("INCRBY")
        .arg("p")
        .arg(41)
        .cmd("GET")
        .arg("p")
        .query_async(&mut con)
        .await?;
    assert_eq!((set.as_str(), incr, get.as_str()), ("OK", 42, "42"));

    // Phase: MULTI/EXEC (an atomic pipeline).
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("t")
        .cmd("INCR")
        .arg("t")
        .query_async(&mut con)
        .await?;
    assert_eq!((a, b), (1, 2));

    // Phase: WATCH aborts when another client touches the key (EXEC answers nil).
    let mut watcher = client.get_multiplexed_async_connection().await?;
    let mut other = client.get_multiplexed_async_connection().await?;
    let _: () = redis::cmd("WATCH")
        .arg("w")
        .query_async(&mut watcher)
        .await?;
    let _: () = redis::cmd("SET")
        .arg("w")
        .arg("theirs")
        .query_async(&mut other)
        .await?;
    let aborted: Option<(String,)> = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("w")
        .arg("mine")
        .query_async(&mut watcher)
        .await?;
    ensure!(aborted.is_none(), "EXEC after a touched WATCH must be nil");
    let w: String = redis::cmd("GET").arg("w").query_async(&mut other).await?;
    assert_eq!(w, "theirs");

    // Phase: RESP3 through HELLO 3 (the crate sends it for protocol=resp3).
    let client3 = redis::Client::open(format!("redis://{addr}/?protocol=resp3"))?;
    let mut con3 = client3.get_multiplexed_async_connection().await?;
    let _: i64 = redis::cmd("HSET")
        .arg("h")
        .arg("f1")
        .arg("v1")
        .arg("f2")
        .arg("v2")
        .query_async(&mut con3)
        .await?;
    let raw: redis::Value = redis::cmd("HGETALL")
        .arg("h")
        .query_async(&mut con3)
        .await?;
    let redis::Value::Map(entries) = &raw else {
        bail!("HGETALL over RESP3 should be a map, got {raw:?}");
    };
    assert_eq!(entries.len(), 2);
    let hello: redis::Value = redis::cmd("HELLO").query_async(&mut con3).await?;
    ensure!(
        format!("{hello:?}").contains("proto") && matches!(hello, redis::Value::Map(_)),
        "{hello:?}"
    );
    tc.shutdown().await;
    Ok(())
}
