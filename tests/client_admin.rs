//! Client administration through RESP against a 3-node cluster: CLIENT KILL, PAUSE/UNPAUSE,
//! UNBLOCK, REPLY, MONITOR, SHUTDOWN and the idle `timeout`, checked on the bytes; and the
//! blocking commands (`client_admin/blocking.rs`).

mod blocking;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use meridian_testkit::{eventually, TestCluster, TestClusterOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

const LIMIT: Duration = Duration::from_secs(10);

/// A raw RESP connection.
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> Result<Raw> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        Ok(Raw {
            stream,
            buf: Vec::new(),
        })
    }

    async fn send(&mut self, args: &[&str]) -> Result<()> {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.stream
            .write_all(out.as_bytes())
            .await
            .context("sending")
    }

    /// Reads until the buffer holds `n` bytes (fails on EOF or the deadline).
    async fn fill(&mut self, n: usize) -> Result<()> {
        let deadline = Instant::now() + LIMIT;
        while self.buf.len() < n {
            let mut chunk = [0u8; 4096];
            let read = timeout(deadline - Instant::now(), self.stream.read(&mut chunk))
                .await
                .context("waiting for a reply")??;
            if read == 0 {
                bail!(
                    "connection closed; had {:?}",
                    String::from_utf8_lossy(&self.buf)
                );
            }
            self.buf.extend_from_slice(&chunk[..read]);
        }
        Ok(())
    }

    /// Expects exactly these bytes next.
    async fn expect(&mut self, expected: &str) -> Result<()> {
        self.fill(expected.len()).await?;
        let got: Vec<u8> = self.buf.drain(..expected.len()).collect();
        ensure!(
            got == expected.as_bytes(),
            "expected {expected:?}, got {:?}",
            String::from_utf8_lossy(&got)
        );
        Ok(())
    }

    /// The next line, without its CRLF.
    async fn line(&mut self) -> Result<String> {
        loop {
            if let Some(at) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..at + 2).collect();
                return Ok(String::from_utf8_lossy(&line[..at]).into_owned());
            }
            let want = self.buf.len() + 1;
            self.fill(want).await?;
        }
    }

    async fn call(&mut self, args: &[&str]) -> Result<String> {
        self.send(args).await?;
        self.line().await
    }

    /// Waits until the server closes the connection (nothing else may arrive first).
    async fn closed(&mut self) -> Result<()> {
        let mut chunk = [0u8; 1024];
        let read = timeout(LIMIT, self.stream.read(&mut chunk))
            .await
            .context("the connection stayed open")?;
        match read {
            Ok(0) | Err(_) => Ok(()),
            Ok(n) => bail!(
                "got {:?} instead of EOF",
                String::from_utf8_lossy(&chunk[..n])
            ),
        }
    }
}

async fn cluster() -> Result<(TestCluster, SocketAddr)> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let addr = tc.resp_addr(leader)?;
    Ok((tc, addr))
}

/// The numeric value of an INFO field on `addr`.
async fn info_field(addr: SocketAddr, field: &str) -> Result<i64> {
    let mut c = Raw::connect(addr).await?;
    c.send(&["INFO", "clients"]).await?;
    let header = c.line().await?;
    let len: usize = header.trim_start_matches('$').parse()?;
    c.fill(len + 2).await?;
    let text = String::from_utf8_lossy(&c.buf[..len]).into_owned();
    let prefix = format!("{field}:");
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .with_context(|| format!("no {field} in {text}"))?;
    Ok(value.trim().parse()?)
}

async fn wait_blocked(addr: SocketAddr, n: i64) -> Result<()> {
    eventually("blocked clients", LIMIT, || async move {
        let blocked = info_field(addr, "blocked_clients").await?;
        Ok((blocked == n).then_some(()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_kill_closes_the_killed_connection() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut admin = Raw::connect(addr).await?;
    let mut victim = Raw::connect(addr).await?;
    let id = victim.call(&["CLIENT", "ID"]).await?;
    let id = id.trim_start_matches(':');

    // Phase: the filter form answers a count; the killed client's next read fails.
    assert_eq!(admin.call(&["CLIENT", "KILL", "ID", id]).await?, ":1");
    victim.closed().await?;
    assert_eq!(admin.call(&["CLIENT", "KILL", "ID", id]).await?, ":0");

    // Phase: the old form by address, and its error when nothing matches.
    let mut second = Raw::connect(addr).await?;
    let peer = second.stream.local_addr()?.to_string();
    assert_eq!(second.call(&["PING"]).await?, "+PONG");
    assert_eq!(admin.call(&["CLIENT", "KILL", &peer]).await?, "+OK");
    second.closed().await?;
    assert_eq!(
        admin.call(&["CLIENT", "KILL", &peer]).await?,
        "-ERR No such client"
    );

    // Phase: killing yourself answers first, then closes.
    let me = admin.call(&["CLIENT", "ID"]).await?;
    let me = me.trim_start_matches(':');
    assert_eq!(admin.call(&["CLIENT", "KILL", "ID", me]).await?, ":0");
    let answer = admin
        .call(&["CLIENT", "KILL", "ID", me, "SKIPME", "no"])
        .await?;
    assert_eq!(answer, ":1");
    admin.closed().await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_write_holds_a_set_but_not_a_get_until_unpause() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut admin = Raw::connect(addr).await?;
    let mut writer = Raw::connect(addr).await?;
    let mut reader = Raw::connect(addr).await?;
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "60000", "WRITE"]).await?,
        "+OK"
    );

    // Phase: the SET is held (the node counts it blocked), a GET from another client runs.
    writer.send(&["SET", "paused", "v"]).await?;
    wait_blocked(addr, 1).await?;
    assert_eq!(reader.call(&["GET", "paused"]).await?, "$-1");
    ensure!(writer.buf.is_empty(), "the SET answered during the pause");

    // Phase: after UNPAUSE the SET completes and the next GET sees it.
    assert_eq!(admin.call(&["CLIENT", "UNPAUSE"]).await?, "+OK");
    writer.expect("+OK\r\n").await?;
    reader.send(&["GET", "paused"]).await?;
    reader.expect("$1\r\nv\r\n").await?;
    wait_blocked(addr, 0).await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn monitor_sees_other_clients_commands_but_not_admin_ones() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut monitor = Raw::connect(addr).await?;
    assert_eq!(monitor.call(&["MONITOR"]).await?, "+OK");
    let mut client = Raw::connect(addr).await?;
    let peer = client.stream.local_addr()?.to_string();
    assert_eq!(client.call(&["SET", "k", "a\"b"]).await?, "+OK");
    let line = monitor.line().await?;
    let expected = format!(" [0 {peer}] \"SET\" \"k\" \"a\\\"b\"");
    ensure!(line.starts_with('+') && line.ends_with(&expected), "{line}");
    let stamp = &line[1..line.find(' ').unwrap_or(1)];
    ensure!(
        stamp.len() > 7 && stamp.as_bytes()[stamp.len() - 7] == b'.',
        "{line}"
    );

    // Phase: CONFIG (admin) is hidden; the selected database shows.
    client.send(&["CONFIG", "GET", "maxclients"]).await?;
    client.send(&["SELECT", "2"]).await?;
    client.send(&["GET", "k"]).await?;
    let select = monitor.line().await?;
    ensure!(
        select.ends_with(&format!(" [2 {peer}] \"SELECT\" \"2\"")),
        "{select}"
    );
    let get = monitor.line().await?;
    ensure!(
        get.ends_with(&format!(" [2 {peer}] \"GET\" \"k\"")),
        "{get}"
    );

    // Phase: RESET ends monitoring.
    assert_eq!(monitor.call(&["RESET"]).await?, "+RESET");
    assert_eq!(monitor.call(&["PING"]).await?, "+PONG");
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_reply_off_and_skip_suppress_replies() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut c = Raw::connect(addr).await?;
    c.send(&["CLIENT", "REPLY", "OFF"]).await?;
    c.send(&["SET", "r", "1"]).await?;
    c.send(&["PING"]).await?;
    c.send(&["NOSUCHCOMMAND"]).await?;
    c.send(&["CLIENT", "REPLY", "ON"]).await?;
    c.expect("+OK\r\n").await?;
    c.send(&["CLIENT", "REPLY", "SKIP"]).await?;
    c.send(&["PING", "one"]).await?;
    c.send(&["PING", "two"]).await?;
    c.expect("$3\r\ntwo\r\n").await?;
    // The SET ran although its reply was suppressed.
    assert_eq!(c.call(&["GET", "r"]).await?, "$1");
    c.expect("1\r\n").await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_unblock_releases_a_wait() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut admin = Raw::connect(addr).await?;
    let mut waiter = Raw::connect(addr).await?;
    let id = waiter.call(&["CLIENT", "ID"]).await?;
    let id = id.trim_start_matches(':').to_string();
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id]).await?, ":0");

    // Phase: TIMEOUT answers as the timeout would (no secondary acknowledged).
    waiter.send(&["WAIT", "1", "0"]).await?;
    wait_blocked(addr, 1).await?;
    assert_eq!(
        admin.call(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]).await?,
        ":1"
    );
    waiter.expect(":0\r\n").await?;

    // Phase: ERROR answers the UNBLOCKED error.
    waiter.send(&["WAIT", "1", "0"]).await?;
    wait_blocked(addr, 1).await?;
    assert_eq!(
        admin.call(&["CLIENT", "UNBLOCK", &id, "ERROR"]).await?,
        ":1"
    );
    waiter
        .expect("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        .await?;
    assert_eq!(waiter.call(&["PING"]).await?, "+PONG");
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_stops_the_node_and_the_others_keep_serving() -> Result<()> {
    let mut tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let victim = tc.follower_of(leader)?;
    let addr = tc.resp_addr(victim)?;
    let mut c = Raw::connect(addr).await?;
    assert_eq!(
        c.call(&["SHUTDOWN", "ABORT"]).await?,
        "-ERR No shutdown in progress."
    );
    assert_eq!(c.call(&["MULTI"]).await?, "+OK");
    assert_eq!(
        c.call(&["SHUTDOWN"]).await?,
        "-ERR Command not allowed inside a transaction"
    );
    assert_eq!(c.call(&["DISCARD"]).await?, "+OK");

    // Phase: SHUTDOWN closes the connection without a reply and asks the node to stop.
    c.send(&["SHUTDOWN", "NOSAVE"]).await?;
    c.closed().await?;
    timeout(LIMIT, tc.node(victim)?.shutdown_requested())
        .await
        .context("the node never saw the shutdown request")?;
    tc.stop(victim).await?;
    ensure!(
        TcpStream::connect(addr).await.is_err(),
        "the stopped node still accepts RESP clients"
    );

    // Phase: the other two nodes keep serving.
    let leader = tc.wait_for_leader(LIMIT).await?;
    let mut other = Raw::connect(tc.resp_addr(leader)?).await?;
    assert_eq!(other.call(&["SET", "after", "1"]).await?, "+OK");
    assert_eq!(other.call(&["GET", "after"]).await?, "$1");
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_clients_are_closed_after_timeout() -> Result<()> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let addr = tc.resp_addr(leader)?;
    tc.node(leader)?.set_resp_idle_timeout(1);
    let mut idle = Raw::connect(addr).await?;
    let mut in_multi = Raw::connect(addr).await?;
    assert_eq!(idle.call(&["PING"]).await?, "+PONG");
    assert_eq!(in_multi.call(&["MULTI"]).await?, "+OK");
    let started = Instant::now();
    idle.closed().await?;
    in_multi.closed().await?;
    ensure!(
        started.elapsed() >= Duration::from_millis(900),
        "closed too early"
    );

    // Phase: with the timeout back at 0, clients stay.
    tc.node(leader)?.set_resp_idle_timeout(0);
    let mut kept = Raw::connect(addr).await?;
    assert_eq!(kept.call(&["PING"]).await?, "+PONG");
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_info_counts_the_query_buffer_as_redis_does() -> Result<()> {
    let (tc, addr) = cluster().await?;
    let mut c = Raw::connect(addr).await?;
    // The request being run is still in the query buffer: "*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n".
    let header = c.call(&["CLIENT", "INFO"]).await?;
    let len: usize = header.trim_start_matches('$').parse()?;
    c.fill(len + 2).await?;
    let info = String::from_utf8_lossy(&c.buf[..len]).into_owned();
    ensure!(info.contains(" qbuf=26 "), "{info}");
    tc.shutdown().await;
    Ok(())
}
