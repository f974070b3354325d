//! What the proxy does to the bytes of a connection: intact and in order under jitter,
//! half-closes passed on, errors and unreachable targets closing the caller, backpressure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use meridian_wanproxy::{Latency, WanProxy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use support::*;

const DEADLINE: Duration = Duration::from_secs(30);

/// Writes `data` in random-sized pieces (many small chunks for the jitter to act on), then
/// shuts the write side down.
async fn write_in_pieces<W: AsyncWrite + Unpin>(mut w: W, data: &[u8], seed: u64) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut at = 0;
    while at < data.len() {
        let n = rng.random_range(1..=32 * 1024).min(data.len() - at);
        w.write_all(&data[at..at + n]).await.context("writing")?;
        at += n;
    }
    w.shutdown().await.context("shutting down the write side")
}

async fn read_all<R: AsyncRead + Unpin>(mut r: R) -> Result<Vec<u8>> {
    let mut got = Vec::new();
    r.read_to_end(&mut got).await.context("reading")?;
    Ok(got)
}

/// Both directions at once: the caller and the target each send their own random payload and
/// read the other's to the end; both arrive intact and in order despite jitter wider than
/// the delay itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_pass_intact_and_in_order_under_jitter() -> Result<()> {
    let seed = seed();
    const LEN: usize = 4 * 1024 * 1024;
    let to_target = Arc::new(random_bytes(seed, LEN));
    let to_caller = Arc::new(random_bytes(seed.wrapping_add(1), LEN));

    // Phase 1: a target that sends its payload while reading the caller's.
    let (got_tx, mut got_rx) = mpsc::channel(1);
    let payload = Arc::clone(&to_caller);
    let (target, _t) = serve(move |mut stream: TcpStream| {
        let (got_tx, payload) = (got_tx.clone(), Arc::clone(&payload));
        async move {
            let (r, w) = stream.split();
            let (got, sent) = tokio::join!(read_all(r), write_in_pieces(w, &payload, seed ^ 7));
            let _ = got_tx.send(got.and_then(|g| sent.map(|_| g))).await;
        }
    })
    .await?;
    let proxy = proxy_to(
        target,
        Latency {
            rtt_ms: 10,
            jitter_ms: 20,
        },
    )
    .await?;

    // Phase 2: the caller does the same through the proxy.
    let mut stream = connect_via(&proxy, LOOPBACK).await?;
    let (r, w) = stream.split();
    let exchange = async { tokio::try_join!(read_all(r), write_in_pieces(w, &to_target, seed)) };
    let (got_by_caller, ()) = tokio::time::timeout(DEADLINE, exchange).await??;
    let got_by_target = tokio::time::timeout(DEADLINE, got_rx.recv())
        .await?
        .context("the target reported nothing")??;

    // Phase 3: compare, and check the counters saw every byte.
    assert_same("caller -> target", &to_target, &got_by_target);
    assert_same("target -> caller", &to_caller, &got_by_caller);
    let status = proxy.status();
    let link = status
        .link(CALLER_REGION, TARGET_REGION)
        .context("no link")?;
    assert_eq!((link.bytes_out, link.bytes_back), (LEN as u64, LEN as u64));
    proxy.stop().await;
    Ok(())
}

/// Each side's shutdown reaches the other after the bytes before it, and the other
/// direction keeps working after it.
#[tokio::test]
async fn half_close_propagates_both_ways() -> Result<()> {
    // Phase 1: the target half-closes first ("hi", FIN), then reads the caller to the end.
    let (got_tx, mut got_rx) = mpsc::channel(1);
    let (target, _t) = serve(move |mut stream: TcpStream| {
        let got_tx = got_tx.clone();
        async move {
            let result = async {
                stream.write_all(b"hi").await?;
                stream.shutdown().await?;
                read_all(&mut stream).await
            };
            let _ = got_tx.send(result.await.map_err(|e| e.to_string())).await;
        }
    })
    .await?;
    let proxy = proxy_to(
        target,
        Latency {
            rtt_ms: 20,
            jitter_ms: 4,
        },
    )
    .await?;
    let mut stream = connect_via(&proxy, LOOPBACK).await?;

    // Phase 2: the caller sees "hi" then the end of stream, and can still send.
    let got = tokio::time::timeout(DEADLINE, read_all(&mut stream)).await??;
    assert_eq!(got, b"hi");
    stream.write_all(b"after your FIN").await?;
    stream.shutdown().await?;

    // Phase 3: the target got those bytes and then the caller's end of stream.
    let at_target = tokio::time::timeout(DEADLINE, got_rx.recv())
        .await?
        .context("the target reported nothing")?;
    assert_eq!(at_target.as_deref(), Ok(&b"after your FIN"[..]));
    proxy.stop().await;
    Ok(())
}

/// A caller connected through `proxy` sees its connection closed (end of stream or error).
async fn assert_caller_disconnected(proxy: WanProxy) -> Result<()> {
    let mut stream = connect_via(&proxy, LOOPBACK).await?;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(DEADLINE, stream.read(&mut buf))
        .await
        .context("the caller was not disconnected")?;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    proxy.stop().await;
    Ok(())
}

/// A caller whose target refuses connections is disconnected, not left hanging.
#[tokio::test]
async fn refused_target_closes_the_caller() -> Result<()> {
    let free = TcpListener::bind((LOOPBACK, 0)).await?.local_addr()?;
    let proxy = proxy_to(
        free,
        Latency {
            rtt_ms: 10,
            jitter_ms: 0,
        },
    )
    .await?;
    assert_caller_disconnected(proxy).await
}

/// A target that resets its connection makes the proxy close the caller's.
#[tokio::test]
async fn reset_by_the_target_closes_the_caller() -> Result<()> {
    let (target, _t) = serve(|stream: TcpStream| async move {
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await?;
    let proxy = proxy_to(
        target,
        Latency {
            rtt_ms: 10,
            jitter_ms: 0,
        },
    )
    .await?;
    assert_caller_disconnected(proxy).await
}

/// A target that does not read stops the caller's writes once the proxy's bounded queue and
/// the kernel's socket buffers are full; once it reads, everything arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_slows_the_writer() -> Result<()> {
    const TOTAL: u64 = 128 * 1024 * 1024;
    // Phase 1: a target that reads nothing until told to, then counts what it reads.
    let (go_tx, go_rx) = tokio::sync::watch::channel(false);
    let received = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&received);
    let (target, _t) = serve(move |mut stream: TcpStream| {
        let (mut go, counted) = (go_rx.clone(), Arc::clone(&counted));
        async move {
            let _ = go.wait_for(|go| *go).await;
            let mut buf = vec![0u8; 1 << 20];
            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                counted.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    })
    .await?;
    let mut config = config_to(
        target,
        Latency {
            rtt_ms: 2,
            jitter_ms: 0,
        },
    );
    config.listen_ip = LOOPBACK;
    config.buffer_bytes = 64 * 1024;
    let proxy = meridian_wanproxy::WanProxy::spawn(config).await?;

    // Phase 2: the caller writes as fast as it can; its writes stall well short of the total.
    let mut stream = connect_via(&proxy, LOOPBACK).await?;
    let written = Arc::new(AtomicU64::new(0));
    let progress = Arc::clone(&written);
    let writer = tokio::spawn(async move {
        let block = vec![7u8; 1 << 20];
        while progress.load(Ordering::Relaxed) < TOTAL {
            stream.write_all(&block).await?;
            progress.fetch_add(block.len() as u64, Ordering::Relaxed);
        }
        stream.shutdown().await
    });
    // Stalled: no progress across ten polls (200 ms) in a row.
    let (mut last, mut still) = (u64::MAX, 0);
    let stalled_at = meridian_wait::until_async("the writer to stall", DEADLINE, || {
        let now = written.load(Ordering::Relaxed);
        still = if now == last { still + 1 } else { 0 };
        last = now;
        let stalled = still >= 10;
        async move { stalled.then_some(now) }
    })
    .await?;
    // The proxy queues 64 KiB; the rest is socket buffers (a few MiB on loopback).
    assert!(
        stalled_at < TOTAL / 2,
        "wrote {stalled_at} of {TOTAL} bytes without a reader"
    );

    // Phase 3: the target reads; every byte arrives and the writer finishes.
    go_tx.send(true)?;
    tokio::time::timeout(DEADLINE, writer).await???;
    meridian_wait::until_async("every byte at the target", DEADLINE, || async {
        (received.load(Ordering::Relaxed) == TOTAL).then_some(())
    })
    .await?;
    proxy.stop().await;
    Ok(())
}
