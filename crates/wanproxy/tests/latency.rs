//! How much delay the proxy adds, to which connections, and changing it at runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context, Result};
use meridian_wanproxy::{Latency, WanProxy, WanProxyError, UNMAPPED};

use support::*;

/// Round trips far above the configured RTT mean something is wrong, but a loaded test
/// machine can add a lot: generous.
const SLACK: Duration = Duration::from_millis(1000);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every round trip takes at least the configured RTT (less the jitter), and not absurdly more.
#[tokio::test]
async fn round_trip_takes_the_configured_rtt() -> Result<()> {
    let (target, _t) = serve(echo).await?;
    // Phase 1: no jitter: every round trip is at least the RTT.
    let proxy = proxy_to(
        target,
        Latency {
            rtt_ms: 100,
            jitter_ms: 0,
        },
    )
    .await?;
    let mut stream = connect_via(&proxy, LOOPBACK).await?;
    for _ in 0..5 {
        let rtt = round_trip(&mut stream).await?;
        assert!(rtt >= ms(100) && rtt < ms(100) + SLACK, "{rtt:?}");
    }
    // Phase 2: 40 ms jitter: at least RTT - jitter.
    proxy.latency().set(
        pair(),
        Latency {
            rtt_ms: 100,
            jitter_ms: 40,
        },
    );
    for _ in 0..5 {
        let rtt = round_trip(&mut stream).await?;
        assert!(rtt >= ms(60) && rtt < ms(140) + SLACK, "{rtt:?}");
    }
    proxy.stop().await;
    Ok(())
}

/// The source region is the region of the local address a connection arrives on: 127.0.0.1
/// is r1 (delayed towards r2), 127.0.0.2 is r2 (same region: not delayed), 127.0.0.3 is not
/// mapped (not delayed, counted as unmapped).
#[tokio::test]
async fn source_region_is_chosen_by_local_address() -> Result<()> {
    let (target, _t) = serve(echo).await?;
    let second = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let third = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let mut config = config_to(
        target,
        Latency {
            rtt_ms: 150,
            jitter_ms: 0,
        },
    );
    config.listen_ip = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    config.local_regions = BTreeMap::from([
        (LOOPBACK, CALLER_REGION.to_string()),
        (second, TARGET_REGION.to_string()),
    ]);
    let proxy = WanProxy::spawn(config).await?;

    // Phase 1: one connection through each address.
    let mut from_r1 = connect_via(&proxy, LOOPBACK).await?;
    let mut from_r2 = connect_via(&proxy, second).await?;
    let mut unmapped = connect_via(&proxy, third).await?;
    let rtt = round_trip(&mut from_r1).await?;
    assert!(rtt >= ms(150), "r1 -> r2 round trip {rtt:?}");
    round_trip(&mut from_r2).await?;
    round_trip(&mut unmapped).await?;

    // Phase 2: each was classified by its local address.
    let status = proxy.status();
    for from in [CALLER_REGION, TARGET_REGION, UNMAPPED] {
        let link = status.link(from, TARGET_REGION);
        let link = link.with_context(|| format!("no link {from} -> r2 in\n{status}"))?;
        assert_eq!((link.connections_open, link.bytes_out), (1, 1), "{status}");
    }
    proxy.stop().await;
    Ok(())
}

/// `SET` through the admin endpoint changes the delay of an open connection and of new ones,
/// and refuses a region the proxy does not know.
#[tokio::test]
async fn runtime_set_changes_the_delay() -> Result<()> {
    let (target, _t) = serve(echo).await?;
    let proxy = proxy_to(target, Latency::NONE).await?;
    let admin = proxy.admin_addr().context("no admin endpoint")?.to_string();
    let mut open = connect_via(&proxy, LOOPBACK).await?;
    round_trip(&mut open).await?;

    // Phase 1: raise the RTT; the reply carries the new table.
    let status = meridian_wanproxy::set(&admin, pair(), 200, Some(0)).await?;
    let entry = status.latency_of("r2", "r1").context("no entry")?;
    assert_eq!((entry.rtt_ms, entry.jitter_ms), (200, 0));

    // Phase 2: the open connection and a new one both see it.
    let rtt = round_trip(&mut open).await?;
    assert!(rtt >= ms(200), "open connection: {rtt:?}");
    let mut fresh = connect_via(&proxy, LOOPBACK).await?;
    let rtt = round_trip(&mut fresh).await?;
    assert!(rtt >= ms(200), "new connection: {rtt:?}");

    // Phase 3: SET without jitter keeps it; SHOW agrees and counts both connections.
    meridian_wanproxy::set(&admin, pair(), 250, None).await?;
    let status = meridian_wanproxy::show(&admin).await?;
    let entry = status.latency_of("r1", "r2").context("no entry")?;
    assert_eq!((entry.rtt_ms, entry.jitter_ms), (250, 0));
    let link = status
        .link(CALLER_REGION, TARGET_REGION)
        .context("no link")?;
    assert_eq!(link.connections_open, 2, "{status}");

    // Phase 4: an unknown region is refused, naming the known ones; nothing changed.
    let bad = "r1:r9".parse()?;
    let err = meridian_wanproxy::set(&admin, bad, 1, None)
        .await
        .unwrap_err();
    assert!(matches!(err, WanProxyError::AdminRefused(_)), "{err}");
    assert!(err.to_string().contains("known regions: r1, r2"), "{err}");
    assert!(err.nothing_changed());
    proxy.stop().await;
    Ok(())
}
