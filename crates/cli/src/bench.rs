//! `meridian bench`: many concurrent gRPC clients against one cluster; prints ops/s and
//! latency percentiles. A benchmark, not a test: record its figures in docs/benchmarks.md.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use clap::{Args, Subcommand, ValueEnum};
use hdrhistogram::Histogram;
use meridian_proto::v1 as pb;
use meridian_proto::v1::key_value_client::KeyValueClient;
use tonic::transport::Channel;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum Op {
    /// SET of a random key (acknowledged after Raft commit on a majority, flushed).
    Set,
    /// Linearizable GET of a random key.
    Get,
    /// GET of a random key from the serving node's state (no Raft round).
    GetLocal,
}

/// `meridian bench [grpc options]` or `meridian bench lag [options]`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchCommand {
    #[command(subcommand)]
    pub sub: Option<BenchSub>,
    #[command(flatten)]
    pub grpc: BenchArgs,
}

#[derive(Subcommand, Debug)]
pub enum BenchSub {
    /// Replication lag (acknowledged on the primary -> readable on a replica) while the
    /// primary takes writes; works the same against Meridian and a redis-server replica.
    Lag(crate::bench_lag::LagArgs),
    /// PUBLISH fan-out: messages delivered per second to many subscribers; works the same
    /// against Meridian and redis-server.
    Pubsub(crate::bench_pubsub::PubSubArgs),
}

/// Runs the chosen benchmark.
pub async fn run_command(cmd: BenchCommand) -> Result<()> {
    match cmd.sub {
        Some(BenchSub::Lag(args)) => crate::bench_lag::run(args).await,
        Some(BenchSub::Pubsub(args)) => crate::bench_pubsub::run(args).await,
        None => run(cmd.grpc).await,
    }
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// gRPC address of a node (host:port); the leader avoids a forwarding hop.
    #[arg(long, default_value = "127.0.0.1:7401")]
    pub endpoint: String,
    /// Concurrent clients, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// gRPC connections shared by the clients.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Value size in bytes.
    #[arg(long, default_value_t = 16)]
    pub value_size: usize,
    /// Number of distinct keys.
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,
    /// Operation to run.
    #[arg(long, value_enum, default_value_t = Op::Set)]
    pub op: Op,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        let ch = crate::grpc_client::endpoint(&args.endpoint)?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to {}", args.endpoint))?;
        channels.push(ch);
    }
    let value = Bytes::from(vec![b'x'; args.value_size]);
    let stop_at = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.clients.max(1) {
        let client = KeyValueClient::new(channels[i % channels.len()].clone());
        tasks.push(tokio::spawn(worker(
            client,
            args.op,
            value.clone(),
            args.keys,
            i as u64,
            stop_at,
        )));
    }
    let started = Instant::now();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut errors = 0u64;
    let mut first_error = None;
    for t in tasks {
        let (h, e, fe) = t.await??;
        hist.add(h)?;
        errors += e;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ops = hist.len();
    println!(
        "op={:?} clients={} connections={} value={}B seconds={:.1}",
        args.op, args.clients, args.connections, args.value_size, elapsed
    );
    println!(
        "ok={} errors={} throughput={:.0} ops/s  latency p50={:.2}ms p99={:.2}ms p99.9={:.2}ms max={:.2}ms",
        ops,
        errors,
        ops as f64 / elapsed,
        hist.value_at_quantile(0.50) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0,
        hist.value_at_quantile(0.999) as f64 / 1000.0,
        hist.max() as f64 / 1000.0
    );
    if let Some(e) = first_error {
        println!("first error: {e}");
    }
    Ok(())
}

async fn worker(
    mut client: KeyValueClient<Channel>,
    op: Op,
    value: Bytes,
    keys: u64,
    seed: u64,
    stop_at: Instant,
) -> Result<(Histogram<u64>, u64, Option<String>)> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
        .context("creating a worker's latency histogram")?;
    let mut errors = 0;
    let mut first_error = None;
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while Instant::now() < stop_at {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let key = Bytes::from(format!("key:{:012}", x % keys.max(1)));
        let t = Instant::now();
        let res = match op {
            Op::Set => client
                .set(pb::SetRequest {
                    key,
                    value: value.clone(),
                    ..Default::default()
                })
                .await
                .map(|_| ()),
            Op::Get | Op::GetLocal => {
                let read = (op == Op::GetLocal).then_some(pb::ReadOptions {
                    consistency: pb::Consistency::Local as i32,
                    min_seq: 0,
                });
                client.get(pb::GetRequest { key, read }).await.map(|_| ())
            }
        };
        match res {
            Ok(()) => {
                let _ = hist.record(t.elapsed().as_micros().max(1) as u64);
            }
            Err(s) => {
                errors += 1;
                if first_error.is_none() {
                    first_error = Some(format!("{:?}: {}", s.code(), s.message()));
                }
            }
        }
    }
    Ok((hist, errors, first_error))
}
