use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{dial, Delay, Fate, FaultNet, Lossy};

/// An echo server registered as node 2; returns its address.
async fn echo(net: &FaultNet) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    net.register(2, &addr);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

async fn round_trip(s: &mut tokio::io::DuplexStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    s.write_all(msg).await?;
    let mut got = vec![0u8; msg.len()];
    s.read_exact(&mut got).await?;
    Ok(got)
}

#[tokio::test]
async fn a_clean_link_carries_bytes_both_ways() {
    let net = FaultNet::new(1);
    let addr = echo(&net).await;
    let mut s = dial(&net.endpoint(1), &addr).await.unwrap();
    assert_eq!(round_trip(&mut s, b"hello").await.unwrap(), b"hello");
    assert!(net.is_clean());
}

#[tokio::test]
async fn a_cut_link_refuses_new_connections_and_severs_open_ones() {
    let net = FaultNet::new(1);
    let addr = echo(&net).await;
    let mut open = dial(&net.endpoint(1), &addr).await.unwrap();
    net.partition(&[1], &[2]);
    let refused = dial(&net.endpoint(1), &addr).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(round_trip(&mut open, b"x").await.is_err(), "a cut severs");
    net.heal();
    let mut again = dial(&net.endpoint(1), &addr).await.unwrap();
    assert_eq!(round_trip(&mut again, b"y").await.unwrap(), b"y");
}

#[tokio::test]
async fn a_one_way_cut_lets_the_request_in_and_loses_the_reply() {
    let net = FaultNet::new(1);
    let addr = echo(&net).await;
    net.cut_one_way(2, 1);
    // 1 → 2 is open: the connection opens and the request arrives; the echo is lost.
    let mut s = dial(&net.endpoint(1), &addr).await.unwrap();
    assert!(round_trip(&mut s, b"z").await.is_err());
    // From node 2's side the same link is closed for new connections.
    assert!(net.is_cut(2, 1) && !net.is_cut(1, 2));
}

#[tokio::test]
async fn delay_holds_each_chunk_and_keeps_order() {
    let net = FaultNet::new(1);
    let addr = echo(&net).await;
    net.delay(
        &[1],
        &[2],
        Delay {
            base: Duration::from_millis(40),
            jitter: Duration::from_millis(10),
        },
    );
    let mut s = dial(&net.endpoint(1), &addr).await.unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(round_trip(&mut s, b"abc").await.unwrap(), b"abc");
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "both ways delayed"
    );
}

#[tokio::test]
async fn a_paused_node_hears_nothing_until_it_resumes() {
    let net = FaultNet::new(1);
    let addr = echo(&net).await;
    let mut s = dial(&net.endpoint(1), &addr).await.unwrap();
    net.pause(2);
    s.write_all(b"held").await.unwrap();
    let mut got = [0u8; 4];
    let early = tokio::time::timeout(Duration::from_millis(150), s.read_exact(&mut got)).await;
    assert!(early.is_err(), "nothing comes back while paused");
    net.resume(2);
    tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut got))
        .await
        .expect("delivered after resume")
        .unwrap();
    assert_eq!(&got, b"held");
}

#[test]
fn message_fates_follow_the_probabilities() {
    let net = FaultNet::new(7);
    assert_eq!(net.fate(1, 2), Fate::Deliver);
    net.lossy(
        &[1],
        &[2],
        Lossy {
            drop: 0.5,
            duplicate: 0.25,
        },
    );
    let fates: Vec<Fate> = (0..1000).map(|_| net.fate(1, 2)).collect();
    let count = |f| fates.iter().filter(|&&x| x == f).count();
    assert!((400..600).contains(&count(Fate::Drop)));
    assert!((150..350).contains(&count(Fate::Duplicate)));
    assert_eq!(net.fate(3, 2), Fate::Deliver, "other links are clean");
}
