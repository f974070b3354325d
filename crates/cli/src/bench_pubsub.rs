//! `meridian bench pubsub`: PUBLISH fan-out. Subscribers (spread over the given RESP
//! addresses) subscribe to one channel; one publisher pipelines PUBLISH of fixed-size
//! messages; the delivery rate is messages × subscribers over the time from the first
//! PUBLISH to the last message received. Works the same against Meridian and redis-server.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHANNEL: &str = "meridian-bench";

#[derive(Args, Debug)]
pub struct PubSubArgs {
    /// RESP address (host:port) the publisher sends PUBLISH to.
    #[arg(long, default_value = "127.0.0.1:6379")]
    pub publish: String,
    /// RESP addresses the subscribers connect to, round robin (default: the publisher's).
    #[arg(long)]
    pub subscribe: Vec<String>,
    /// Subscribers.
    #[arg(long, default_value_t = 100)]
    pub subscribers: usize,
    /// Messages published.
    #[arg(long, default_value_t = 20_000)]
    pub messages: usize,
    /// Message size in bytes.
    #[arg(long, default_value_t = 16)]
    pub size: usize,
    /// PUBLISH commands the publisher keeps in flight.
    #[arg(long, default_value_t = 64)]
    pub pipeline: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub limit_secs: u64,
}

/// The bytes one delivered message takes on a RESP2 subscriber's socket.
fn message_len(size: usize) -> usize {
    format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{CHANNEL}\r\n${size}\r\n",
        CHANNEL.len()
    )
    .len()
        + size
        + 2
}

async fn subscribe(addr: &str) -> Result<TcpStream> {
    let mut s = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting a subscriber to {addr}"))?;
    s.set_nodelay(true)?;
    let cmd = format!(
        "*2\r\n$9\r\nsubscribe\r\n${}\r\n{CHANNEL}\r\n",
        CHANNEL.len()
    );
    s.write_all(cmd.as_bytes()).await?;
    let want = format!(
        "*3\r\n$9\r\nsubscribe\r\n${}\r\n{CHANNEL}\r\n:1\r\n",
        CHANNEL.len()
    );
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).await?;
    ensure!(
        got == want.as_bytes(),
        "SUBSCRIBE answered {:?}",
        String::from_utf8_lossy(&got)
    );
    Ok(s)
}

/// Reads until `bytes` arrived.
async fn receive(mut s: TcpStream, bytes: usize) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = 0;
    while seen < bytes {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            bail!("subscriber closed after {seen} of {bytes} bytes");
        }
        seen += n;
    }
    Ok(())
}

/// Publishes `messages` messages with `pipeline` in flight; answers when every reply came.
async fn publish(addr: &str, args: &PubSubArgs) -> Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let payload = "x".repeat(args.size);
    let one = format!(
        "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{CHANNEL}\r\n${}\r\n{payload}\r\n",
        CHANNEL.len(),
        args.size
    );
    let (mut rd, mut wr) = s.split();
    let (messages, window) = (args.messages, args.pipeline.max(1));
    let reader = async {
        // Each reply is one `:<n>\r\n` line.
        let mut buf = vec![0u8; 64 * 1024];
        let mut lines = 0;
        while lines < messages {
            let n = rd.read(&mut buf).await?;
            if n == 0 {
                bail!("publisher connection closed after {lines} replies");
            }
            ensure!(
                !buf[..n].contains(&b'-'),
                "PUBLISH failed: {:?}",
                String::from_utf8_lossy(&buf[..n])
            );
            lines += buf[..n].iter().filter(|b| **b == b'\n').count();
        }
        Ok::<(), anyhow::Error>(())
    };
    let writer = async {
        for chunk in (0..messages).collect::<Vec<_>>().chunks(window) {
            wr.write_all(one.repeat(chunk.len()).as_bytes()).await?;
        }
        Ok::<(), anyhow::Error>(())
    };
    tokio::try_join!(reader, writer)?;
    Ok(())
}

pub async fn run(args: PubSubArgs) -> Result<()> {
    let addrs = if args.subscribe.is_empty() {
        vec![args.publish.clone()]
    } else {
        args.subscribe.clone()
    };
    let mut subscribers = Vec::with_capacity(args.subscribers);
    for i in 0..args.subscribers {
        subscribers.push(subscribe(&addrs[i % addrs.len()]).await?);
    }
    let bytes = args.messages * message_len(args.size);
    let started = Instant::now();
    let receivers: Vec<_> = subscribers
        .into_iter()
        .map(|s| tokio::spawn(receive(s, bytes)))
        .collect();
    let limit = Duration::from_secs(args.limit_secs);
    tokio::time::timeout(limit, publish(&args.publish, &args))
        .await
        .context("publishing took longer than --limit-secs")??;
    let published = started.elapsed();
    for r in receivers {
        tokio::time::timeout(limit, r)
            .await
            .context("delivery took longer than --limit-secs")???;
    }
    let delivered = started.elapsed();
    let deliveries = (args.messages * args.subscribers) as f64;
    println!(
        "published {} messages in {:.2}s ({:.0}/s); delivered {:.0} messages/s to {} subscribers in {:.2}s",
        args.messages,
        published.as_secs_f64(),
        args.messages as f64 / published.as_secs_f64(),
        deliveries / delivered.as_secs_f64(),
        args.subscribers,
        delivered.as_secs_f64()
    );
    println!(
        "deliveries_per_sec {:.0}",
        deliveries / delivered.as_secs_f64()
    );
    Ok(())
}
