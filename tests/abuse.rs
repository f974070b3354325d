//! Hostile RESP clients leave a node answering everyone else, with its memory bounded: slow
//! clients (slowloris), clients that never read their replies, a flood past `maxclients`, a
//! 512 MiB bulk header with no body, and requests nested 100k deep or typed as RESP3
//! aggregates. Each case runs against a real `meridian node` process (a one-node cluster),
//! so the RSS it prints and bounds is the node's own; `benches/abuse.sh` runs the same cases
//! longer beside redis-server.
//!
//! Needs the binary: `cargo build -p meridian-cli --bin meridian` first (tests/run.sh does).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use meridian_testkit::eventually;
use support::{connected_clients, served, Memory, Node, Raw};
use tokio::io::AsyncReadExt;

/// How far the node's RSS may grow during a case (an unbounded buffer grows by GiBs).
const BOUND_MIB: u64 = 200;
/// Closing a client (timeout, CLIENT KILL): the `timeout` check runs every second.
const CLOSE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_clients_leave_others_served_and_idle_ones_time_out() -> Result<()> {
    let mut node = Node::start().await?;
    let addr = node.resp;
    let mem = Memory::watch(&node)?;

    // Phase: 50 clients stall inside a bulk argument; 50 send PING a byte every 100 ms.
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut c = Raw::connect(addr).await?;
        c.send(b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1000\r\nxx")
            .await?;
        stalled.push(c);
    }
    let tricklers: Vec<_> = (0..50).map(|_| tokio::spawn(trickle(addr))).collect();

    // Phase: meanwhile a fresh client is served, and every trickled PING is answered.
    for round in 0..3 {
        served(addr, &format!("slowloris-{round}")).await?;
    }
    for t in tricklers {
        t.await?.context("a trickled PING")?;
    }

    // Phase: with `timeout 1` the stalled clients are closed; new ones are served.
    let mut admin = Raw::connect(addr).await?;
    admin
        .roundtrip("CONFIG SET timeout 1\r\n", "+OK\r\n")
        .await?;
    for c in &mut stalled {
        c.expect_closed(CLOSE).await?;
    }
    served(addr, "slowloris-after").await?;
    node.check_alive()?;
    mem.report("slowloris", BOUND_MIB)
}

/// Sends `PING` one byte at a time, 100 ms apart, and expects its reply.
async fn trickle(addr: SocketAddr) -> Result<()> {
    let mut c = Raw::connect(addr).await?;
    for b in b"*1\r\n$4\r\nPING\r\n" {
        c.send(&[*b]).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.expect(b"+PONG\r\n").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_are_held_by_backpressure() -> Result<()> {
    let mut node = Node::start().await?;
    let addr = node.resp;
    let mut c = Raw::connect(addr).await?;
    let value = "v".repeat(1 << 20);
    c.send(
        format!(
            "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n{value}\r\n",
            value.len()
        )
        .as_bytes(),
    )
    .await?;
    c.expect(b"+OK\r\n").await?;
    drop(c);
    let mem = Memory::watch(&node)?;

    // Phase: 8 clients each pipeline 500 GETs of the 1 MiB value (500 MiB of replies) and
    // never read; the node writes until TCP pushes back, then stops reading them.
    let request = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(500);
    let mut silent = Vec::new();
    for _ in 0..8 {
        let mut r = Raw::connect(addr).await?;
        r.send(request.as_bytes()).await?;
        silent.push(r);
    }
    for round in 0..3 {
        served(addr, &format!("unread-{round}")).await?;
    }

    // Phase: CLIENT KILL ends four of them although their replies are stuck; `timeout 1`
    // ends the other four once nothing has been written to them for a second.
    let mut admin = Raw::connect(addr).await?;
    for r in &silent[..4] {
        let me = r.stream.local_addr()?;
        admin
            .roundtrip(&format!("CLIENT KILL ADDR {me}\r\n"), ":1\r\n")
            .await?;
    }
    eventually("the killed clients are gone", CLOSE, || async {
        Ok((connected_clients(addr).await? == 6).then_some(()))
    })
    .await?;
    admin
        .roundtrip("CONFIG SET timeout 1\r\n", "+OK\r\n")
        .await?;
    drop(admin);
    eventually("the unread clients time out", CLOSE, || async {
        Ok((connected_clients(addr).await? == 1).then_some(()))
    })
    .await?;
    served(addr, "unread-after").await?;
    node.check_alive()?;
    mem.report("never-reading", BOUND_MIB)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_past_maxclients_is_refused_and_passes() -> Result<()> {
    let mut node = Node::start().await?;
    let addr = node.resp;
    let mut keeper = Raw::connect(addr).await?;
    keeper
        .roundtrip("CONFIG SET maxclients 20\r\n", "+OK\r\n")
        .await?;
    // Only the keeper (and the one asking) before the flood.
    eventually("the start-up client is gone", CLOSE, || async {
        Ok((connected_clients(addr).await? == 2).then_some(()))
    })
    .await?;
    let mem = Memory::watch(&node)?;

    // Phase: 200 connections; 19 join the keeper, the rest get Redis's error and are closed.
    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.push(Raw::connect(addr).await?);
    }
    let answers: Vec<_> = flood
        .into_iter()
        .map(|c| tokio::spawn(admitted(c)))
        .collect();
    let mut kept = Vec::new();
    for a in answers {
        if let Some(c) = a.await?? {
            kept.push(c);
        }
    }
    ensure!(
        kept.len() == 19,
        "{} of the flood were admitted",
        kept.len()
    );

    // Phase: the keeper and the admitted ones are served meanwhile.
    keeper.roundtrip("SET flood 1\r\n", "+OK\r\n").await?;
    keeper.roundtrip("GET flood\r\n", "$1\r\n1\r\n").await?;
    for c in &mut kept {
        c.roundtrip("PING\r\n", "+PONG\r\n").await?;
    }

    // Phase: once the flood is gone, new clients are admitted again.
    drop(kept);
    eventually("a new client is admitted", CLOSE, || async {
        Ok(served(addr, "flood-after").await.ok())
    })
    .await?;
    node.check_alive()?;
    mem.report("maxclients-flood", BOUND_MIB)
}

/// The connection back when it was admitted (nothing arrives unasked for 300 ms); None when
/// it got `-ERR max number of clients reached` and was closed.
async fn admitted(mut c: Raw) -> Result<Option<Raw>> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 128];
    let quiet = Duration::from_millis(300);
    loop {
        match tokio::time::timeout(quiet, c.stream.read(&mut chunk)).await {
            Err(_) if got.is_empty() => return Ok(Some(c)),
            Err(_) => anyhow::bail!("refused but not closed: {got:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
        }
    }
    ensure!(
        got == b"-ERR max number of clients reached\r\n",
        "refused with {:?}",
        String::from_utf8_lossy(&got)
    );
    Ok(None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_512_mib_bulk_header_without_its_body_costs_no_512_mib() -> Result<()> {
    let mut node = Node::start().await?;
    let addr = node.resp;
    let mem = Memory::watch(&node)?;

    // Phase: 20 clients announce a 512 MiB argument and stop; 20 more after a few bytes.
    let mut held = Vec::new();
    for i in 0..40 {
        let mut c = Raw::connect(addr).await?;
        let header: &[u8] = match i % 2 {
            0 => b"*1\r\n$536870912\r\n",
            _ => b"*2\r\n$3\r\nSET\r\n$536870912\r\nabc",
        };
        c.send(header).await?;
        held.push(c);
    }
    for round in 0..3 {
        served(addr, &format!("bulk-{round}")).await?;
    }
    // They are held open, waiting for their bodies, as Redis holds them.
    eventually("40 header clients held open", CLOSE, || async {
        Ok((connected_clients(addr).await? == 41).then_some(()))
    })
    .await?;
    held[0].expect_open(Duration::from_millis(200)).await?;
    drop(held);
    served(addr, "bulk-after").await?;
    node.check_alive()?;
    mem.report("512mib-bulk-header", BOUND_MIB)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_and_resp3_typed_requests_get_redis_errors() -> Result<()> {
    let mut node = Node::start().await?;
    let addr = node.resp;
    let mem = Memory::watch(&node)?;

    // Phase: `*1` nested 100k deep: Redis 7.0.15's error at the second line, then close.
    let c = Raw::connect(addr).await?;
    let nested = b"*1\r\n".repeat(100_000);
    let sender = {
        let (mut rd, mut wr) = c.stream.into_split();
        let send = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = wr.write_all(&nested).await;
            wr
        });
        let mut got = Vec::new();
        let _ = tokio::time::timeout(support::REPLY, rd.read_to_end(&mut got)).await;
        ensure!(
            got.starts_with(b"-ERR Protocol error: expected '$', got '*'\r\n"),
            "nested request answered {:?}",
            String::from_utf8_lossy(&got)
        );
        send
    };
    drop(sender.await?);

    // Phase: RESP3 aggregate types inside a request, and as its first byte (Redis reads a
    // first byte other than `*` as an inline command).
    for (request, reply) in resp3_cases() {
        let mut c = Raw::connect(addr).await?;
        c.send(request.as_bytes()).await?;
        c.expect(reply.as_bytes())
            .await
            .with_context(|| format!("request {request:?}"))?;
        if reply.contains("Protocol error") {
            c.expect_closed(CLOSE).await?;
        } else {
            c.roundtrip("PING\r\n", "+PONG\r\n").await?;
        }
    }
    served(addr, "nested-after").await?;
    node.check_alive()?;
    mem.report("nested-requests", BOUND_MIB)
}

/// Requests and redis-server 7.0.15's replies to them, byte for byte.
fn resp3_cases() -> Vec<(&'static str, String)> {
    let unknown = |c: &str| format!("-ERR unknown command '{c}', with args beginning with: \r\n");
    vec![
        (
            "*1\r\n%1\r\n",
            "-ERR Protocol error: expected '$', got '%'\r\n".into(),
        ),
        (
            "*2\r\n$4\r\nECHO\r\n~1\r\n",
            "-ERR Protocol error: expected '$', got '~'\r\n".into(),
        ),
        (
            "%1\r\n$1\r\na\r\n$1\r\nb\r\n",
            ["%1", "$1", "a", "$1", "b"].map(unknown).concat(),
        ),
        ("~1\r\n$1\r\na\r\n", ["~1", "$1", "a"].map(unknown).concat()),
        (">3\r\n", unknown(">3")),
    ]
}
