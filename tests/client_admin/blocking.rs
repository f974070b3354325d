//! Blocking list and sorted-set commands end to end on a 3-node cluster: served by a push from
//! another client, in arrival order, from a follower, through a leader change; timeouts, CLIENT
//! UNBLOCK, MULTI, BLMOVE chains, and a client that leaves while blocked.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{ensure, Result};
use tokio::time::Instant;

use super::{cluster, wait_blocked, Raw, LIMIT};

/// The RESP2 reply `[key, value]`.
fn pair(key: &str, value: &str) -> String {
    format!(
        "*2\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
        key.len(),
        value.len()
    )
}

/// The list at `key`, read through `addr` (linearizable).
async fn list(addr: SocketAddr, key: &str) -> Result<Vec<String>> {
    let mut c = Raw::connect(addr).await?;
    let header = c.call(&["LRANGE", key, "0", "-1"]).await?;
    let n: usize = header.trim_start_matches('*').parse()?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        c.line().await?;
        items.push(c.line().await?);
    }
    Ok(items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_serves_blocked_clients_in_arrival_order() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut waiting = Vec::new();
    for i in 0..3 {
        let mut c = Raw::connect(addr).await?;
        c.send(&["BLPOP", "q", "other", "0"]).await?;
        wait_blocked(addr, i + 1).await?;
        waiting.push(c);
    }
    let mut pusher = Raw::connect(addr).await?;
    assert_eq!(
        pusher.call(&["RPUSH", "q", "a", "b", "c", "d"]).await?,
        ":4"
    );
    for (c, value) in waiting.iter_mut().zip(["a", "b", "c"]) {
        c.expect(&pair("q", value)).await?;
    }
    wait_blocked(addr, 0).await?;
    assert_eq!(list(addr, "q").await?, vec!["d"]);
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_blocking_command_is_served_with_its_own_reply() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let cases: &[(&[&str], &[&str], &str)] = &[
        (
            &["BRPOP", "l", "0"],
            &["RPUSH", "l", "x", "y"],
            "*2\r\n$1\r\nl\r\n$1\r\ny\r\n",
        ),
        (
            &["BLMOVE", "l", "d", "LEFT", "RIGHT", "0"],
            &["RPUSH", "l", "m"],
            "$1\r\nm\r\n",
        ),
        (
            &["BRPOPLPUSH", "l", "d", "0"],
            &["LPUSH", "l", "n"],
            "$1\r\nn\r\n",
        ),
        (
            &["BLMPOP", "0", "2", "e", "l", "LEFT", "COUNT", "2"],
            &["RPUSH", "l", "p", "q", "r"],
            "*2\r\n$1\r\nl\r\n*2\r\n$1\r\np\r\n$1\r\nq\r\n",
        ),
        (
            &["BZPOPMIN", "z", "0"],
            &["ZADD", "z", "2", "two", "1", "one"],
            "*3\r\n$1\r\nz\r\n$3\r\none\r\n$1\r\n1\r\n",
        ),
        (
            &["BZPOPMAX", "z", "0"],
            &["ZADD", "z", "9", "nine"],
            "*3\r\n$1\r\nz\r\n$4\r\nnine\r\n$1\r\n9\r\n",
        ),
        (
            &["BZMPOP", "0", "1", "z", "MIN"],
            &["ZADD", "z", "0", "zero"],
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$4\r\nzero\r\n$1\r\n0\r\n",
        ),
    ];
    let mut other = Raw::connect(addr).await?;
    for (blocking, push, expected) in cases {
        other.call(&["DEL", "l", "z"]).await?;
        let mut c = Raw::connect(addr).await?;
        c.send(blocking).await?;
        wait_blocked(addr, 1).await?;
        other.call(push).await?;
        c.expect(expected).await?;
        wait_blocked(addr, 0).await?;
    }
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_blocked_on_a_follower_is_served_through_a_leader_change() -> Result<()> {
    let (mut tc, leader_addr) = cluster().await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let follower = tc.follower_of(leader)?;
    let addr = tc.resp_addr(follower)?;
    let mut c = Raw::connect(addr).await?;
    // A first round through the leader that was, then a second after it is gone.
    c.send(&["BLPOP", "jobs", "0"]).await?;
    wait_blocked(addr, 1).await?;
    Raw::connect(leader_addr)
        .await?
        .call(&["RPUSH", "jobs", "one"])
        .await?;
    c.expect(&pair("jobs", "one")).await?;
    c.send(&["BLPOP", "jobs", "0"]).await?;
    wait_blocked(addr, 1).await?;
    tc.kill(leader).await?;
    let new_leader = tc.wait_for_leader(LIMIT).await?;
    let new_addr = tc.resp_addr(new_leader)?;
    Raw::connect(new_addr)
        .await?
        .call(&["RPUSH", "jobs", "two", "three"])
        .await?;
    c.expect(&pair("jobs", "two")).await?;
    for id in tc.running() {
        let mut r = Raw::connect(tc.resp_addr(id)?).await?;
        ensure!(
            r.call(&["LLEN", "jobs"]).await? == ":1",
            "node {id} disagrees"
        );
    }
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeouts_unblock_and_multi_answer_the_empty_reply() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut c = Raw::connect(addr).await?;
    let started = Instant::now();
    assert_eq!(c.call(&["BLPOP", "none", "0.2"]).await?, "*-1");
    ensure!(
        started.elapsed() >= Duration::from_millis(200),
        "timed out early"
    );
    assert_eq!(
        c.call(&["BLMOVE", "none", "d", "LEFT", "LEFT", "0.05"])
            .await?,
        "$-1"
    );
    let id = c.call(&["CLIENT", "ID"]).await?;
    let id = id.trim_start_matches(':').to_string();
    let mut admin = Raw::connect(addr).await?;
    for (how, expected) in [
        ("TIMEOUT", "*-1"),
        ("ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK"),
    ] {
        c.send(&["BZPOPMIN", "none", "0"]).await?;
        wait_blocked(addr, 1).await?;
        assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id, how]).await?, ":1");
        assert_eq!(c.line().await?, expected);
    }
    assert_eq!(c.call(&["MULTI"]).await?, "+OK");
    assert_eq!(c.call(&["BLPOP", "none", "0"]).await?, "+QUEUED");
    c.send(&["EXEC"]).await?;
    c.expect("*1\r\n*-1\r\n").await?;
    assert_eq!(
        c.call(&["BLPOP", "none", "-1"]).await?,
        "-ERR timeout is negative"
    );
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blmove_feeds_a_client_blocked_on_its_destination() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut mover = Raw::connect(addr).await?;
    mover
        .send(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"])
        .await?;
    wait_blocked(addr, 1).await?;
    let mut popper = Raw::connect(addr).await?;
    popper.send(&["BLPOP", "dst", "0"]).await?;
    wait_blocked(addr, 2).await?;
    Raw::connect(addr)
        .await?
        .call(&["RPUSH", "src", "v"])
        .await?;
    mover.expect("$1\r\nv\r\n").await?;
    popper.expect(&pair("dst", "v")).await?;
    ensure!(list(addr, "src").await?.is_empty() && list(addr, "dst").await?.is_empty());
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_leaves_while_blocked_takes_nothing() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut c = Raw::connect(addr).await?;
    c.send(&["BLPOP", "k", "0"]).await?;
    wait_blocked(addr, 1).await?;
    drop(c);
    wait_blocked(addr, 0).await?;
    let mut other = Raw::connect(addr).await?;
    assert_eq!(other.call(&["RPUSH", "k", "kept"]).await?, ":1");
    assert_eq!(list(addr, "k").await?, vec!["kept"]);
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pushers_next_command_sees_the_blocked_clients_served() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut pusher = Raw::connect(addr).await?;
    for round in 0..5 {
        let mut a = Raw::connect(addr).await?;
        a.send(&["BRPOPLPUSH", "src", "dst", "0"]).await?;
        wait_blocked(addr, 1).await?;
        // As on Redis, the push returns only after the blocked client took its element, so
        // the pusher's very next read sees it moved (no waiting in the test).
        assert_eq!(pusher.call(&["LPUSH", "src", "e"]).await?, ":1");
        assert_eq!(pusher.call(&["LLEN", "src"]).await?, ":0", "round {round}");
        assert_eq!(
            pusher.call(&["LLEN", "dst"]).await?,
            format!(":{}", round + 1)
        );
        a.expect("$1\r\ne\r\n").await?;
        wait_blocked(addr, 0).await?;
    }
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_arriving_behind_others_waits_its_turn() -> Result<()> {
    // Redis's "BRPOPLPUSH with multiple blocked clients": the first in line fails on its
    // destination's type (the element stays), then the second takes it.
    let (tc, addr) = cluster().await?;
    let mut admin = Raw::connect(addr).await?;
    admin.call(&["SET", "target1", "nolist"]).await?;
    let mut first = Raw::connect(addr).await?;
    first.send(&["BRPOPLPUSH", "blist", "target1", "0"]).await?;
    wait_blocked(addr, 1).await?;
    let mut second = Raw::connect(addr).await?;
    // The second arrives while the push is being served: it must not take the element
    // ahead of the first in line.
    admin.send(&["LPUSH", "blist", "foo"]).await?;
    second
        .send(&["BRPOPLPUSH", "blist", "target2", "0"])
        .await?;
    assert_eq!(admin.line().await?, ":1");
    let err = first.line().await?;
    ensure!(err.starts_with("-WRONGTYPE"), "{err}");
    second.expect("$3\r\nfoo\r\n").await?;
    assert_eq!(list(addr, "target2").await?, vec!["foo"]);
    tc.shutdown().await;
    Ok(())
}
