//! Shared pieces of the proxy tests: small target servers, a proxy builder, a round-trip
//! probe. Waits with a deadline are `meridian_wait`'s.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use meridian_wanproxy::{Latency, ProxyConfig, RegionPair, Route, WanProxy};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The region of the test's target servers.
pub const TARGET_REGION: &str = "r2";
/// The region 127.0.0.1 maps to.
pub const CALLER_REGION: &str = "r1";
pub const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// A server on 127.0.0.1:0 that runs `handle` for every accepted connection.
pub async fn serve<F, Fut>(handle: F) -> Result<(SocketAddr, JoinHandle<()>)>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((LOOPBACK, 0))
        .await
        .context("binding a target")?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream));
        }
    });
    Ok((addr, task))
}

/// Echoes every byte back and passes the end of stream on.
pub async fn echo(mut stream: TcpStream) {
    let (mut r, mut w) = stream.split();
    if tokio::io::copy(&mut r, &mut w).await.is_ok() {
        let _ = w.shutdown().await;
    }
}

/// A proxy on 127.0.0.1 with one route `"target"` to `target` (region r2), 127.0.0.1 mapped
/// to r1, and `latency` between r1 and r2.
pub async fn proxy_to(target: SocketAddr, latency: Latency) -> Result<WanProxy> {
    let config = ProxyConfig {
        listen_ip: LOOPBACK,
        ..config_to(target, latency)
    };
    WanProxy::spawn(config).await.context("starting the proxy")
}

/// The configuration [`proxy_to`] uses, to adjust before spawning.
pub fn config_to(target: SocketAddr, latency: Latency) -> ProxyConfig {
    ProxyConfig {
        routes: vec![Route {
            name: "target".to_string(),
            listen_port: 0,
            target: target.to_string(),
            target_region: TARGET_REGION.to_string(),
        }],
        local_regions: BTreeMap::from([(LOOPBACK, CALLER_REGION.to_string())]),
        latency: BTreeMap::from([(pair(), latency)]),
        admin: Some(SocketAddr::new(LOOPBACK, 0)),
        ..ProxyConfig::default()
    }
}

pub fn pair() -> RegionPair {
    RegionPair::new(CALLER_REGION, TARGET_REGION).expect("two different regions")
}

/// Connects to the proxy's `"target"` route at `ip` (the route's port).
pub async fn connect_via(proxy: &WanProxy, ip: IpAddr) -> Result<TcpStream> {
    let port = proxy.listen_addr("target").context("no route")?.port();
    let stream = TcpStream::connect((ip, port))
        .await
        .with_context(|| format!("connecting to the proxy at {ip}:{port}"))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sends one byte through an echo and times its return.
pub async fn round_trip(stream: &mut TcpStream) -> Result<Duration> {
    let start = Instant::now();
    stream.write_all(b"p").await.context("writing a ping")?;
    let mut byte = [0u8; 1];
    stream
        .read_exact(&mut byte)
        .await
        .context("reading a pong")?;
    Ok(start.elapsed())
}

/// `len` random bytes from `seed`.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

/// Fails naming the first differing offset instead of printing megabytes.
pub fn assert_same(what: &str, sent: &[u8], got: &[u8]) {
    if sent != got {
        let at = sent.iter().zip(got).position(|(a, b)| a != b);
        panic!(
            "{what}: sent {} bytes, got {}; first difference at {at:?}",
            sent.len(),
            got.len()
        );
    }
}

/// A seed that differs between runs; printed so a failure can be replayed.
pub fn seed() -> u64 {
    let seed = std::env::var("WANPROXY_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!("seed {seed} (replay with WANPROXY_TEST_SEED={seed})");
    seed
}
