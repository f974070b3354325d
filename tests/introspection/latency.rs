//! SLOWLOG and LATENCY: per node, worded as Redis words them.

use anyhow::{ensure, Result};
use redis::Value;

use super::{connect, run, start, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slowlog_records_slow_commands_per_node_with_client_name() -> Result<()> {
    let (_tc, leader, follower) = start().await?;
    let mut con = connect(follower).await?;
    // Phase: empty at start, a fast PING is not slow at the default 10 ms threshold.
    let _: () = redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async(&mut con)
        .await?;
    let _: String = redis::cmd("PING").query_async(&mut con).await?;
    let len: i64 = redis::cmd("SLOWLOG")
        .arg("LEN")
        .query_async(&mut con)
        .await?;
    assert_eq!(len, 0);
    // Phase: DEBUG SLEEP 0.05 is slow and logged with its arguments and the client name.
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("sleeper")
        .query_async(&mut con)
        .await?;
    let _: () = redis::cmd("DEBUG")
        .arg("SLEEP")
        .arg("0.05")
        .query_async(&mut con)
        .await?;
    let entries: Vec<Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .query_async(&mut con)
        .await?;
    ensure!(entries.len() == 1, "{entries:?}");
    let Value::Array(e) = &entries[0] else {
        anyhow::bail!("{entries:?}")
    };
    assert_eq!(e.len(), 6);
    ensure!(matches!(e[2], Value::Int(us) if us >= 50_000), "{e:?}");
    assert_eq!(
        e[3],
        Value::Array(vec![
            Value::BulkString(b"DEBUG".to_vec()),
            Value::BulkString(b"SLEEP".to_vec()),
            Value::BulkString(b"0.05".to_vec()),
        ])
    );
    ensure!(text(&e[4]).starts_with("127.0.0.1:"), "{e:?}");
    assert_eq!(text(&e[5]), "sleeper");
    // Phase: the slow log is the node's own: the leader has none of it.
    let mut other = connect(leader).await?;
    let len: i64 = redis::cmd("SLOWLOG")
        .arg("LEN")
        .query_async(&mut other)
        .await?;
    assert_eq!(len, 0);
    // Phase: errors as Redis words them.
    let err = run(&mut con, &["SLOWLOG", "GET", "-2"]).await.unwrap_err();
    ensure!(
        err.to_string()
            .contains("count should be greater than or equal to -1"),
        "{err}"
    );
    let err = run(&mut con, &["SLOWLOG", "LEN", "x"]).await.unwrap_err();
    ensure!(
        err.to_string()
            .contains("wrong number of arguments for 'slowlog|len' command"),
        "{err}"
    );
    let err = run(&mut con, &["SLOWLOG", "GET", "1", "2"])
        .await
        .unwrap_err();
    ensure!(
        err.to_string()
            .contains("unknown subcommand or wrong number of arguments for 'GET'"),
        "{err}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latency_histogram_counts_calls_and_monitor_is_off_by_default() -> Result<()> {
    let (_tc, _leader, follower) = start().await?;
    let mut con = connect(follower).await?;
    for _ in 0..3 {
        let _: () = redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query_async(&mut con)
            .await?;
    }
    let reply = run(&mut con, &["LATENCY", "HISTOGRAM", "set"]).await?;
    let Value::Array(items) = &reply else {
        anyhow::bail!("{reply:?}")
    };
    assert_eq!(text(&items[0]), "set");
    let Value::Array(body) = &items[1] else {
        anyhow::bail!("{reply:?}")
    };
    assert_eq!(text(&body[0]), "calls");
    assert_eq!(body[1], Value::Int(3));
    assert_eq!(text(&body[2]), "histogram_usec");
    // The last cumulative count of the buckets is the number of calls.
    let Value::Array(buckets) = &body[3] else {
        anyhow::bail!("{reply:?}")
    };
    assert_eq!(buckets.last(), Some(&Value::Int(3)));
    // Phase: no samples while latency-monitor-threshold is 0.
    assert_eq!(
        run(&mut con, &["LATENCY", "LATEST"]).await?,
        Value::Array(vec![])
    );
    assert_eq!(
        run(&mut con, &["LATENCY", "HISTORY", "command"]).await?,
        Value::Array(vec![])
    );
    assert_eq!(run(&mut con, &["LATENCY", "RESET"]).await?, Value::Int(0));
    let doctor = text(&run(&mut con, &["LATENCY", "DOCTOR"]).await?);
    ensure!(
        doctor.starts_with("I'm sorry, Dave, I can't do that."),
        "{doctor}"
    );
    let err = run(&mut con, &["LATENCY", "GRAPH", "command"])
        .await
        .unwrap_err();
    ensure!(
        err.to_string()
            .contains("No samples available for event 'command'"),
        "{err}"
    );
    Ok(())
}
