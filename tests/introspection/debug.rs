//! MEMORY, COMMAND GETKEYS, DEBUG, LOLWUT, and SAVE / BGSAVE / LASTSAVE.

use anyhow::{ensure, Result};
use meridian_testkit::eventually;
use redis::Value;

use super::{connect, run, start, text, LIMIT};

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
