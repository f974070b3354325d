//! Introspection commands through RESP on a 3-node cluster: SLOWLOG, LATENCY, MEMORY,
//! COMMAND GETKEYS, DEBUG, LOLWUT, SAVE / BGSAVE / LASTSAVE, and INFO's command and error
//! statistics.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{ensure, Result};
use meridian_testkit::{eventually, TestCluster, TestClusterOptions};
use redis::aio::MultiplexedConnection;
use redis::Value;

const LIMIT: Duration = Duration::from_secs(10);

async fn connect(addr: SocketAddr) -> Result<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    Ok(client.get_multiplexed_async_connection().await?)
}

async fn run(con: &mut MultiplexedConnection, args: &[&str]) -> Result<Value> {
    let mut cmd = redis::cmd(args[0]);
    args[1..].iter().for_each(|a| {
        cmd.arg(*a);
    });
    Ok(cmd.query_async(con).await?)
}

async fn start() -> Result<(TestCluster, SocketAddr, SocketAddr)> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let follower = tc.follower_of(leader)?;
    let (l, f) = (tc.resp_addr(leader)?, tc.resp_addr(follower)?);
    Ok((tc, l, f))
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".to_string(),
        Value::VerbatimString { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_usage_reads_the_selected_database_and_stats_use_redis_names() -> Result<()> {
    let (_tc, leader, _follower) = start().await?;
    let mut con = connect(leader).await?;
    let _: () = redis::cmd("SET")
        .arg("foo")
        .arg("bar")
        .query_async(&mut con)
        .await?;
    let usage: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg("foo")
        .query_async(&mut con)
        .await?;
    ensure!((40..200).contains(&usage), "{usage}");
    let _: () = redis::cmd("SELECT").arg(1).query_async(&mut con).await?;
    assert_eq!(
        run(&mut con, &["MEMORY", "USAGE", "foo"]).await?,
        Value::Nil
    );
    let err = run(&mut con, &["MEMORY", "USAGE", "foo", "SAMPLES", "x"])
        .await
        .unwrap_err();
    ensure!(err.to_string().contains("not an integer"), "{err}");
    let stats = run(&mut con, &["MEMORY", "STATS"]).await?;
    let names: Vec<String> = match &stats {
        Value::Array(items) => items.iter().step_by(2).map(text).collect(),
        other => anyhow::bail!("{other:?}"),
    };
    for want in [
        "peak.allocated",
        "total.allocated",
        "db.0",
        "keys.count",
        "fragmentation.bytes",
    ] {
        ensure!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    assert_eq!(names.len(), 28);
    let doctor = text(&run(&mut con, &["MEMORY", "DOCTOR"]).await?);
    ensure!(doctor.starts_with("Hi Sam"), "{doctor}");
    assert_eq!(text(&run(&mut con, &["MEMORY", "PURGE"]).await?), "OK");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn command_getkeys_finds_keys_as_redis_does() -> Result<()> {
    let (_tc, _leader, follower) = start().await?;
    let mut con = connect(follower).await?;
    let keys: Vec<String> = redis::cmd("COMMAND")
        .arg(&[
            "GETKEYS",
            "ZUNIONSTORE",
            "d",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "1",
            "2",
        ])
        .query_async(&mut con)
        .await?;
    assert_eq!(keys, ["d", "a", "b"]);
    let keys: Vec<String> = redis::cmd("COMMAND")
        .arg(&["GETKEYS", "SORT", "a", "STORE", "b"])
        .query_async(&mut con)
        .await?;
    assert_eq!(keys, ["a", "b"]);
    let flags = run(
        &mut con,
        &[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "LMOVE",
            "a",
            "b",
            "LEFT",
            "RIGHT",
        ],
    )
    .await?;
    let Value::Array(items) = &flags else {
        anyhow::bail!("{flags:?}")
    };
    assert_eq!(items.len(), 2);
    for (args, want) in [
        (
            vec!["COMMAND", "GETKEYS", "NOPE", "a"],
            "Invalid command specified",
        ),
        (
            vec!["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "3", "a"],
            "Invalid arguments specified for command",
        ),
        (
            vec!["COMMAND", "GETKEYS", "CLIENT", "LIST"],
            "The command has no key arguments",
        ),
    ] {
        let err = run(&mut con, &args).await.unwrap_err();
        ensure!(err.to_string().contains(want), "{args:?}: {err}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn debug_digest_is_the_same_on_every_node_and_follows_content() -> Result<()> {
    let (_tc, leader, follower) = start().await?;
    let mut l = connect(leader).await?;
    let mut f = connect(follower).await?;
    let empty = text(&run(&mut l, &["DEBUG", "DIGEST"]).await?);
    assert_eq!(empty, "0".repeat(40));
    let _: () = redis::cmd("SET")
        .arg("a")
        .arg("1")
        .query_async(&mut l)
        .await?;
    // Value from redis-server 7.0.15 for a dataset holding only a=1 in db 0.
    let want = "943d800368fb9c0e951138f1bc0e313ac769d91f";
    assert_eq!(text(&run(&mut l, &["DEBUG", "DIGEST"]).await?), want);
    eventually("the follower's digest to match", LIMIT, || {
        let mut f = f.clone();
        async move {
            let d = text(&run(&mut f, &["DEBUG", "DIGEST"]).await?);
            Ok((d == want).then_some(()))
        }
    })
    .await?;
    let values = run(&mut f, &["DEBUG", "DIGEST-VALUE", "a", "missing"]).await?;
    assert_eq!(
        values,
        Value::Array(vec![
            Value::SimpleString("b4fc66738120fba0b5aa500ab5c2bf89cea1c5da".into()),
            Value::SimpleString("0".repeat(40)),
        ])
    );
    // Phase: DEBUG OBJECT, PROTOCOL, and Redis's answer to what it does not have.
    let object = text(&run(&mut f, &["DEBUG", "OBJECT", "a"]).await?);
    ensure!(
        object.starts_with("Value at:0x")
            && object.contains(" refcount:1 encoding:int serializedlength:"),
        "{object}"
    );
    assert_eq!(
        run(&mut f, &["DEBUG", "PROTOCOL", "integer"]).await?,
        Value::Int(12345)
    );
    assert_eq!(
        text(&run(&mut f, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]).await?),
        "OK"
    );
    let err = run(&mut f, &["DEBUG", "JMAP"]).await.unwrap_err();
    ensure!(
        err.to_string().contains(
            "unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP."
        ),
        "{err}"
    );
    assert_eq!(
        text(&run(&mut f, &["LOLWUT"]).await?),
        "Redis ver. 7.0.15\n"
    );
    let art = text(&run(&mut f, &["LOLWUT", "VERSION", "5"]).await?);
    ensure!(
        art.ends_with("Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n"),
        "{art}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn save_builds_a_snapshot_and_lastsave_moves() -> Result<()> {
    let (_tc, leader, follower) = start().await?;
    let mut l = connect(leader).await?;
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut l)
        .await?;
    let before: i64 = redis::cmd("LASTSAVE").query_async(&mut l).await?;
    ensure!(before > 1_600_000_000, "{before}");
    assert_eq!(text(&run(&mut l, &["SAVE"]).await?), "OK");
    let after: i64 = redis::cmd("LASTSAVE").query_async(&mut l).await?;
    ensure!(after >= before, "{before} {after}");
    let mut f = connect(follower).await?;
    assert_eq!(
        text(&run(&mut f, &["BGSAVE"]).await?),
        "Background saving started"
    );
    let err = run(&mut f, &["BGSAVE", "NOW"]).await.unwrap_err();
    ensure!(err.to_string().contains("syntax error"), "{err}");
    assert_eq!(text(&run(&mut f, &["DEBUG", "RELOAD"]).await?), "OK");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn debug_set_active_expire_turns_the_leaders_active_expiry_off_and_on() -> Result<()> {
    let (tc, l, _) = start().await?;
    let mut c = connect(l).await?;
    assert_eq!(
        text(&run(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]).await?),
        "OK"
    );
    run(&mut c, &["PSETEX", "short", "50", "v"]).await?;
    let c2 = c.clone();
    eventually("the key is past its TTL", LIMIT, || {
        let mut c = c2.clone();
        async move {
            let ttl = run(&mut c, &["PTTL", "short"]).await?;
            Ok((ttl == Value::Int(-2)).then_some(()))
        }
    })
    .await?;
    // Past its TTL the key is hidden from reads but, with active expiry off, still held.
    assert_eq!(run(&mut c, &["DBSIZE"]).await?, Value::Int(1));
    run(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]).await?;
    eventually("active expiry deletes it once on again", LIMIT, || {
        let mut c = c2.clone();
        async move {
            let size = run(&mut c, &["DBSIZE"]).await?;
            Ok((size == Value::Int(0)).then_some(()))
        }
    })
    .await?;
    tc.shutdown().await;
    Ok(())
}

/// Sends `commands` as one pipeline on a connection of its own and reads `lines` reply lines
/// (the replies chosen are one line each, EXEC's array one per element plus its header).
async fn pipeline(addr: SocketAddr, commands: &[&[&str]], lines: usize) -> Result<Vec<String>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = String::new();
    for command in commands {
        request.push_str(&format!("*{}\r\n", command.len()));
        for arg in *command {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
    }
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut replies = Vec::new();
    tokio::time::timeout(LIMIT, async {
        while replies.windows(2).filter(|w| w == b"\r\n").count() < lines {
            ensure!(
                stream.read_buf(&mut replies).await? > 0,
                "connection closed"
            );
        }
        Ok(())
    })
    .await??;
    let text = String::from_utf8(replies)?;
    Ok(text.split_terminator("\r\n").map(str::to_string).collect())
}

/// The value of `field` in INFO text (`cmdstat_set` → `calls=…`).
fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.split("\r\n")
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
}

/// `cmdstat_<name>` without the timings, which vary: `calls=2,rejected_calls=1,failed_calls=0`.
fn counts(info: &str, name: &str) -> Option<String> {
    let value = info_field(info, &format!("cmdstat_{name}"))?;
    let kept: Vec<&str> = value
        .split(',')
        .filter(|kv| !kv.starts_with("usec"))
        .collect();
    Some(kept.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn command_and_error_stats_count_calls_failures_and_refusals() -> Result<()> {
    let (_tc, _leader, follower) = start().await?;
    let mut con = connect(follower).await?;
    run(&mut con, &["CONFIG", "RESETSTAT"]).await?;
    // Phase: a pipeline whose writes are sent as one batch: WRONGTYPE failures are found in
    // the batch's replies; an arity error is a refusal, an unknown command only an error.
    let replies = pipeline(
        follower,
        &[
            &["SET", "k", "v"],
            &["LPUSH", "k", "x"],
            &["INCR", "n"],
            &["SET", "k"],
            &["NOSUCH"],
            &["LPUSH", "k", "y"],
            &["PING"],
        ],
        7,
    )
    .await?;
    ensure!(replies[1].starts_with("-WRONGTYPE"), "{replies:?}");
    ensure!(replies[3].starts_with("-ERR wrong number"), "{replies:?}");
    // Phase: an error inside EXEC is a failure of the queued command, not of EXEC.
    let replies = pipeline(
        follower,
        &[
            &["MULTI"],
            &["SET", "m", "1"],
            &["LPUSH", "m", "x"],
            &["EXEC"],
        ],
        6,
    )
    .await?;
    ensure!(replies[5].starts_with("-WRONGTYPE"), "{replies:?}");
    let info = text(&run(&mut con, &["INFO", "commandstats"]).await?);
    let expect = [
        ("set", "calls=2,rejected_calls=1,failed_calls=0"),
        ("lpush", "calls=3,rejected_calls=0,failed_calls=3"),
        ("incr", "calls=1,rejected_calls=0,failed_calls=0"),
        ("ping", "calls=1,rejected_calls=0,failed_calls=0"),
        ("multi", "calls=1,rejected_calls=0,failed_calls=0"),
        ("exec", "calls=1,rejected_calls=0,failed_calls=0"),
        (
            "config|resetstat",
            "calls=1,rejected_calls=0,failed_calls=0",
        ),
    ];
    for (name, want) in expect {
        assert_eq!(counts(&info, name).as_deref(), Some(want), "{name}: {info}");
    }
    ensure!(!info.contains("nosuch"), "{info}");
    let errors = text(&run(&mut con, &["INFO", "errorstats"]).await?);
    assert_eq!(
        errors,
        "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=3\r\n"
    );
    let stats = text(&run(&mut con, &["INFO", "stats"]).await?);
    assert_eq!(info_field(&stats, "total_error_replies"), Some("5"));
    // Phase: the default INFO has CPU and errors but not commandstats; `everything` has all.
    let default = text(&run(&mut con, &["INFO"]).await?);
    ensure!(info_field(&default, "used_cpu_user").is_some(), "{default}");
    ensure!(default.contains("# Errorstats\r\n"), "{default}");
    ensure!(!default.contains("cmdstat_"), "{default}");
    let everything = text(&run(&mut con, &["INFO", "everything"]).await?);
    ensure!(everything.contains("\r\ncmdstat_lpush:"), "{everything}");
    ensure!(
        everything.contains("\r\nlatency_percentiles_usec_set:p50="),
        "{everything}"
    );
    // Phase: RESETSTAT clears statistics and histograms; only RESETSTAT itself is left.
    run(&mut con, &["CONFIG", "RESETSTAT"]).await?;
    let histogram = run(&mut con, &["LATENCY", "HISTOGRAM"]).await?;
    let Value::Array(entries) = &histogram else {
        anyhow::bail!("{histogram:?}")
    };
    assert_eq!(entries.len(), 2, "{histogram:?}");
    assert_eq!(text(&entries[0]), "config|resetstat");
    let info = text(&run(&mut con, &["INFO", "commandstats", "errorstats"]).await?);
    let names: Vec<&str> = info
        .split("\r\n")
        .filter_map(|l| l.split_once(':').map(|(name, _)| name))
        .collect();
    assert_eq!(
        names,
        ["cmdstat_config|resetstat", "cmdstat_latency|histogram"]
    );
    let stats = text(&run(&mut con, &["INFO", "stats"]).await?);
    assert_eq!(info_field(&stats, "total_error_replies"), Some("0"));
    Ok(())
}
