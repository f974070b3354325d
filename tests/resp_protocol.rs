//! The RESP edge over raw sockets, where bytes matter: replication through a follower,
//! READONLY, AUTH, protocol errors, limits, pipelining, transactions, WAIT.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use meridian_server::RespSettings;
use meridian_testkit::{eventually, TestCluster, TestClusterOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

const LIMIT: Duration = Duration::from_secs(10);

/// A raw RESP connection for byte-exact checks.
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

    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).await.context("sending")
    }

    /// Reads until exactly `expected` has arrived (fails on a mismatch, EOF or deadline).
    async fn expect(&mut self, expected: &[u8]) -> Result<()> {
        let deadline = Instant::now() + LIMIT;
        while self.buf.len() < expected.len() {
            if !expected.starts_with(&self.buf) {
                break;
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .with_context(|| {
                    format!(
                        "waiting for {} bytes, got {}: {}",
                        expected.len(),
                        self.buf.len(),
                        difference(expected, &self.buf)
                    )
                })??;
            if n == 0 {
                break;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        if !self.buf.starts_with(expected) {
            bail!("{}", difference(expected, &self.buf));
        }
        self.buf.drain(..expected.len());
        Ok(())
    }

    async fn roundtrip(&mut self, request: &str, reply: &str) -> Result<()> {
        self.send(request.as_bytes()).await?;
        self.expect(reply.as_bytes())
            .await
            .with_context(|| format!("request {request:?}"))
    }

    /// The server closes the connection (after whatever `expect` consumed).
    async fn expect_closed(&mut self) -> Result<()> {
        let mut chunk = [0u8; 1024];
        match timeout(LIMIT, self.stream.read(&mut chunk)).await {
            Err(_) => bail!("connection still open after {LIMIT:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => Ok(()),
            Ok(Ok(n)) => bail!(
                "unexpected bytes before close: {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
        }
    }
}

/// Where `got` first differs from `expected`, with a little context (pipelines are long).
fn difference(expected: &[u8], got: &[u8]) -> String {
    let at = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    let from = at.saturating_sub(40);
    let show = |b: &[u8]| {
        String::from_utf8_lossy(&b[from.min(b.len())..(at + 80).min(b.len())]).into_owned()
    };
    format!(
        "first difference at byte {at}: expected {:?}, got {:?}",
        show(expected),
        show(got)
    )
}

async fn cluster(resp: RespSettings) -> Result<TestCluster> {
    TestCluster::start(TestClusterOptions {
        resp,
        ..TestClusterOptions::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follower_writes_replicate_and_readonly_reads_locally() -> Result<()> {
    let tc = cluster(RespSettings::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let followers: Vec<_> = tc.ids().into_iter().filter(|id| *id != leader).collect();

    // Phase: a write on a follower is acknowledged after commit and readable everywhere.
    let mut f = Raw::connect(tc.resp_addr(followers[0])?).await?;
    f.roundtrip("SET greeting hello\r\n", "+OK\r\n").await?;
    f.roundtrip("GET greeting\r\n", "$5\r\nhello\r\n").await?;
    for id in tc.ids() {
        let mut c = Raw::connect(tc.resp_addr(id)?).await?;
        c.roundtrip("GET greeting\r\n", "$5\r\nhello\r\n")
            .await
            .with_context(|| format!("linearizable read on node {id}"))?;
    }

    // Phase: READONLY reads this node's state; it catches up without any barrier.
    let mut r = Raw::connect(tc.resp_addr(followers[1])?).await?;
    r.roundtrip("READONLY\r\n", "+OK\r\n").await?;
    f.roundtrip("SET greeting bonjour\r\n", "+OK\r\n").await?;
    let local = tc.resp_addr(followers[1])?;
    eventually(
        "the READONLY follower sees the new value",
        LIMIT,
        || async {
            let mut c = Raw::connect(local).await?;
            c.send(b"READONLY\r\nGET greeting\r\n").await?;
            Ok(c.expect(b"+OK\r\n$7\r\nbonjour\r\n").await.ok())
        },
    )
    .await?;
    r.roundtrip("READWRITE\r\n", "+OK\r\n").await?;
    r.roundtrip("GET greeting\r\n", "$7\r\nbonjour\r\n").await?;

    // Phase: INFO and ROLE report the seq as the replication offset.
    let seq = tc.group(leader)?.sm().seq();
    assert!(seq >= 2, "seq {seq}");
    r.roundtrip(
        "ROLE\r\n",
        &format!("*3\r\n$6\r\nmaster\r\n:{seq}\r\n*0\r\n"),
    )
    .await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auth_is_required_when_a_password_is_set() -> Result<()> {
    let tc = cluster(RespSettings {
        requirepass: Some("sekret".into()),
        ..RespSettings::default()
    })
    .await?;
    let addr = tc.resp_addr(1)?;

    let mut c = Raw::connect(addr).await?;
    c.roundtrip("GET a\r\n", "-NOAUTH Authentication required.\r\n")
        .await?;
    c.roundtrip(
        "FOO\r\n",
        "-ERR unknown command 'FOO', with args beginning with: \r\n",
    )
    .await?;
    c.roundtrip(
        "AUTH wrong\r\n",
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    )
    .await?;
    c.roundtrip("HELLO 3\r\n", "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n").await?;
    c.roundtrip("AUTH sekret\r\n", "+OK\r\n").await?;
    c.roundtrip("GET a\r\n", "$-1\r\n").await?;
    c.roundtrip("RESET\r\n", "+RESET\r\n").await?;
    c.roundtrip("GET a\r\n", "-NOAUTH Authentication required.\r\n")
        .await?;

    // HELLO with AUTH and SETNAME in one go, answered in RESP3.
    let mut h = Raw::connect(addr).await?;
    h.send(b"HELLO 3 AUTH default sekret SETNAME app\r\n")
        .await?;
    h.expect(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:").await?;
    h.send(b"CLIENT GETNAME\r\n").await?;
    let deadline = Instant::now() + LIMIT;
    while !h.buf.ends_with(b"$3\r\napp\r\n") {
        let mut chunk = [0u8; 512];
        let n = tokio::time::timeout_at(deadline, h.stream.read(&mut chunk)).await??;
        if n == 0 {
            bail!("closed");
        }
        h.buf.extend_from_slice(&chunk[..n]);
    }

    // Before AUTH a client is held to small requests: the 11-argument header closes it.
    let mut big = Raw::connect(addr).await?;
    big.send(b"*11\r\n").await?;
    big.expect(b"-ERR Protocol error: unauthenticated multibulk length\r\n")
        .await?;
    big.expect_closed().await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn protocol_errors_limits_and_pipelines() -> Result<()> {
    let tc = cluster(RespSettings {
        proto_max_bulk_len: 1024,
        client_query_buffer_limit: 256 * 1024,
        ..RespSettings::default()
    })
    .await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let addr = tc.resp_addr(leader)?;

    protocol_errors_close_the_connection(addr).await?;
    let stuck = stuck_and_greedy_clients_hang_nothing(addr).await?;
    let mut other = Raw::connect(addr).await?;
    other.roundtrip("PING\r\n", "+PONG\r\n").await?;
    errors_worded_as_redis_words_them(&mut other).await?;

    let mut p = Raw::connect(tc.resp_addr(leader % 3 + 1)?).await?;
    pipelined_commands_answered_in_order(&mut p, 10_000).await?;
    transactions_and_watch(&mut p, &mut other).await?;

    // Phase: WAIT answers 0 at once for 0 replicas, after the timeout otherwise.
    p.roundtrip("WAIT 0 0\r\n", ":0\r\n").await?;
    let started = Instant::now();
    p.roundtrip("WAIT 1 200\r\n", ":0\r\n").await?;
    assert!(started.elapsed() >= Duration::from_millis(200));

    // Phase: QUIT answers +OK and closes.
    p.send(b"QUIT\r\n").await?;
    p.expect(b"+OK\r\n").await?;
    p.expect_closed().await?;

    // Shutdown completes although `stuck` never finished its request.
    timeout(Duration::from_secs(20), tc.shutdown())
        .await
        .context("shutting down with a half-sent request open")?;
    drop(stuck);
    Ok(())
}

/// Replies of earlier requests, the protocol error, then close; a bulk longer than
/// proto-max-bulk-len is refused and the connection closed.
async fn protocol_errors_close_the_connection(addr: SocketAddr) -> Result<()> {
    let mut c = Raw::connect(addr).await?;
    c.send(b"*1\r\n$4\r\nPING\r\n*1\r\nx\r\n").await?;
    c.expect(b"+PONG\r\n-ERR Protocol error: expected '$', got 'x'\r\n")
        .await?;
    c.expect_closed().await?;

    let mut c = Raw::connect(addr).await?;
    c.send(b"*2\r\n$4\r\nECHO\r\n$2000\r\n").await?;
    c.expect(b"-ERR Protocol error: invalid bulk length\r\n")
        .await?;
    c.expect_closed().await
}

/// A client that never finishes a frame (returned, still open) does not hang the node, and
/// one that keeps sending an unfinished request past the query-buffer limit is cut off
/// without a reply.
async fn stuck_and_greedy_clients_hang_nothing(addr: SocketAddr) -> Result<Raw> {
    let mut stuck = Raw::connect(addr).await?;
    stuck.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk").await?;
    let mut greedy = Raw::connect(addr).await?;
    greedy.send(b"*1000\r\n").await?;
    let arg = format!("$1000\r\n{}\r\n", "x".repeat(1000));
    for _ in 0..400 {
        if greedy.send(arg.as_bytes()).await.is_err() {
            break;
        }
    }
    greedy.expect_closed().await?;
    Ok(stuck)
}

async fn errors_worded_as_redis_words_them(c: &mut Raw) -> Result<()> {
    c.roundtrip(
        "FOO a b\r\n",
        "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
    )
    .await?;
    c.roundtrip(
        "GET\r\n",
        "-ERR wrong number of arguments for 'get' command\r\n",
    )
    .await?;
    c.roundtrip("SELECT 16\r\n", "-ERR DB index is out of range\r\n")
        .await?;
    c.roundtrip("SET in:db0 v\r\n", "+OK\r\n").await?;
    c.roundtrip("SELECT 1\r\n", "+OK\r\n").await?;
    c.roundtrip("GET in:db0\r\n", "$-1\r\n").await?;
    c.roundtrip("SELECT 0\r\n", "+OK\r\n").await?;
    c.roundtrip("GET in:db0\r\n", "$1\r\nv\r\n").await?;
    c.roundtrip(
        "CLIENT NOPE\r\n",
        "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n",
    )
    .await
}

/// `n` pipelined commands (writes, reads, server commands) answered in order.
async fn pipelined_commands_answered_in_order(p: &mut Raw, n: usize) -> Result<()> {
    let mut request = String::new();
    let mut expected = String::new();
    let mut counter = 0;
    for i in 0..n {
        match i % 3 {
            0 => {
                counter += 1;
                request.push_str("INCR pipelined\r\n");
                expected.push_str(&format!(":{counter}\r\n"));
            }
            1 => {
                request.push_str("GET pipelined\r\n");
                let v = counter.to_string();
                expected.push_str(&format!("${}\r\n{v}\r\n", v.len()));
            }
            _ => {
                let v = i.to_string();
                request.push_str(&format!("ECHO {v}\r\n"));
                expected.push_str(&format!("${}\r\n{v}\r\n", v.len()));
            }
        }
    }
    p.send(request.as_bytes()).await?;
    p.expect(expected.as_bytes()).await
}

/// MULTI/EXEC is one atomic entry; errors while queueing abort EXEC; WATCH aborts EXEC when
/// `other` changed the key.
async fn transactions_and_watch(p: &mut Raw, other: &mut Raw) -> Result<()> {
    p.roundtrip(
        "MULTI\r\nSET t 1\r\nINCR t\r\nGET t\r\nPING\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n+PONG\r\n",
    )
    .await?;
    p.roundtrip(
        "MULTI\r\nSET t\r\nEXEC\r\n",
        "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    )
    .await?;
    p.roundtrip("EXEC\r\n", "-ERR EXEC without MULTI\r\n")
        .await?;

    p.roundtrip("WATCH t\r\n", "+OK\r\n").await?;
    other.roundtrip("SET t changed\r\n", "+OK\r\n").await?;
    p.roundtrip(
        "MULTI\r\nSET t mine\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*-1\r\n",
    )
    .await?;
    p.roundtrip("GET t\r\n", "$7\r\nchanged\r\n").await
}
