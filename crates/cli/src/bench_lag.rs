//! `meridian bench lag`: replication lag seen by a reader in another region, measured the same
//! way against Meridian and against a redis-server replica, over RESP.
//!
//! Writers SET random keys on the primary at a fixed total rate (by default half of the rate
//! they reach unthrottled, measured first). Beside them a probe writes `SET lag:probe <i>` every
//! few milliseconds and notes when each write was acknowledged. One watcher per replica reads
//! `lag:probe` in a loop; when it first sees `i`, the lag of probe `i` is the time since its
//! acknowledgement on the primary (zero if the replica showed it before the ack arrived). Lag
//! is therefore "acknowledged on the primary → readable on the replica", resolution about
//! `--poll-ms`, and no clocks other than this process's are involved.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use hdrhistogram::Histogram;
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;

const PROBE_KEY: &str = "lag:probe";
const SETTLE_KEY: &str = "lag:settle";

#[derive(Args, Debug)]
pub struct LagArgs {
    /// RESP address (host:port) of the primary that takes the writes.
    #[arg(long, default_value = "127.0.0.1:6401")]
    pub primary: String,
    /// RESP address of a replica to watch (a node of a secondary cluster, or a redis-server
    /// replica). Repeat for several.
    #[arg(long = "replica", default_values_t = vec!["127.0.0.1:6411".to_string()])]
    pub replicas: Vec<String>,
    /// Concurrent writer connections, one request in flight each.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Total writes/s of the writers and the probe. 0: measure the unthrottled rate first
    /// (`--calibrate-seconds`), then write at half of it.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// How long the unthrottled calibration runs, in seconds.
    #[arg(long, default_value_t = 5)]
    pub calibrate_seconds: u64,
    /// How long the measured run lasts, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Milliseconds between probe writes.
    #[arg(long, default_value_t = 2)]
    pub probe_every_ms: u64,
    /// Milliseconds between a watcher's reads of the probe key.
    #[arg(long, default_value_t = 1)]
    pub poll_ms: u64,
    /// Value size in bytes.
    #[arg(long, default_value_t = 16)]
    pub value_size: usize,
    /// Number of distinct keys the writers draw from.
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,
}

pub async fn run(args: LagArgs) -> Result<()> {
    let primary = connect(&args.primary).await?;
    let _: () = primary
        .clone()
        .del(PROBE_KEY)
        .await
        .context("clearing the probe key")?;
    let rate = if args.rate > 0 {
        args.rate
    } else {
        let max = write_load(&args, None, Duration::from_secs(args.calibrate_seconds)).await?;
        println!("calibration: unthrottled writers reached {max:.0} writes/s");
        (max / 2.0).max(1.0) as u64
    };
    // The calibration may have left the replicas behind: start measuring once they caught up.
    settle(&primary, &args.replicas).await?;
    let probe_rate = 1000 / args.probe_every_ms.max(1);
    let writer_rate = rate.saturating_sub(probe_rate).max(1);

    let acks = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let run_for = Duration::from_secs(args.seconds);
    let mut watchers = Vec::new();
    for addr in &args.replicas {
        let conn = connect_replica(addr).await?;
        watchers.push(spawn_watch(conn, acks.clone(), args.poll_ms)?);
    }
    let probe = tokio::spawn(probe(
        primary.clone(),
        acks.clone(),
        args.probe_every_ms,
        run_for,
    ));
    let achieved = write_load(&args, Some(writer_rate), run_for).await?;
    let probes = probe.await??;
    println!(
        "primary {}: target {rate} writes/s (probe {probe_rate}/s), writers achieved {:.0}/s, {probes} probes",
        args.primary,
        achieved + probe_rate as f64
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    for (addr, w) in args.replicas.iter().zip(watchers) {
        let hist = finish(w, probes, deadline)
            .await
            .with_context(|| format!("watching replica {addr}"))?;
        report(addr, &hist, probes);
    }
    Ok(())
}

/// Writes a fresh token on the primary and waits (at most a minute) until every replica shows
/// it.
async fn settle(primary: &MultiplexedConnection, replicas: &[String]) -> Result<()> {
    let token = format!("{:x}", rand::random::<u64>());
    let _: () = primary
        .clone()
        .set(SETTLE_KEY, &token)
        .await
        .context("writing the settle token")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    for addr in replicas {
        let mut conn = connect_replica(addr).await?;
        loop {
            let got: Option<String> = conn.get(SETTLE_KEY).await.unwrap_or(None);
            if got.as_deref() == Some(token.as_str()) {
                break;
            }
            if Instant::now() >= deadline {
                bail!("replica {addr} did not catch up with the primary within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(())
}

/// A connection for reading a replica locally: READONLY on a Meridian node (a redis-server
/// replica refuses READONLY outside cluster mode and reads locally anyway).
async fn connect_replica(addr: &str) -> Result<MultiplexedConnection> {
    let mut conn = connect(addr).await?;
    let _ = redis::cmd("READONLY").query_async::<()>(&mut conn).await;
    Ok(conn)
}

async fn connect(addr: &str) -> Result<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    client
        .get_multiplexed_async_connection()
        .await
        .with_context(|| format!("connecting to {addr}"))
}

/// `clients` writers of random keys for `run_for`, paced to `rate` writes/s in total when
/// given. Returns the writes/s they achieved.
async fn write_load(args: &LagArgs, rate: Option<u64>, run_for: Duration) -> Result<f64> {
    let clients = args.clients.max(1);
    let value = vec![b'x'; args.value_size];
    let started = Instant::now();
    let stop_at = started + run_for;
    let mut tasks = Vec::new();
    for i in 0..clients {
        let conn = connect(&args.primary).await?;
        let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r.max(1) as f64));
        let (value, keys) = (value.clone(), args.keys.max(1));
        tasks.push(tokio::spawn(async move {
            writer(conn, value, keys, i as u64, started, stop_at, interval).await
        }));
    }
    let mut total = 0u64;
    for t in tasks {
        total += t.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

async fn writer(
    mut conn: MultiplexedConnection,
    value: Vec<u8>,
    keys: u64,
    seed: u64,
    started: Instant,
    stop_at: Instant,
    interval: Option<Duration>,
) -> Result<u64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut done = 0u64;
    loop {
        if let Some(iv) = interval {
            // An absolute schedule: a writer that fell behind catches up instead of drifting.
            let due = started + iv.mul_f64(done as f64);
            if due >= stop_at {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
        } else if Instant::now() >= stop_at {
            break;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let key = format!("key:{:012}", x % keys);
        let _: () = conn
            .set(&key, &value)
            .await
            .with_context(|| format!("SET {key}"))?;
        done += 1;
    }
    Ok(done)
}

/// Writes `lag:probe` = 1, 2, … every `every_ms` and records each acknowledgement time.
async fn probe(
    mut conn: MultiplexedConnection,
    acks: Arc<Mutex<Vec<Instant>>>,
    every_ms: u64,
    run_for: Duration,
) -> Result<u64> {
    let stop_at = Instant::now() + run_for;
    let mut tick = tokio::time::interval(Duration::from_millis(every_ms.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut i = 0u64;
    while Instant::now() < stop_at {
        tick.tick().await;
        i += 1;
        let _: () = conn.set(PROBE_KEY, i).await.context("probe SET")?;
        lock(&acks)?.push(Instant::now());
    }
    Ok(i)
}

struct Watch {
    hist: Histogram<u64>,
    seen: u64,
}

/// A watcher's shared state and its task (which ends only on an error).
type Watcher = (Arc<Mutex<Watch>>, tokio::task::JoinHandle<Result<()>>);

/// Locks state shared with other tasks; a lock poisoned by a task that panicked is an error.
fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| anyhow!("a task panicked while holding shared benchmark state"))
}

/// Spawns a watcher that reads the probe key every `poll_ms` and records the lag of every
/// newly visible probe, in microseconds, into the returned state. It runs until aborted.
fn spawn_watch(
    mut conn: MultiplexedConnection,
    acks: Arc<Mutex<Vec<Instant>>>,
    poll_ms: u64,
) -> Result<Watcher> {
    let state = Arc::new(Mutex::new(Watch {
        hist: Histogram::new_with_bounds(1, 600_000_000, 3)
            .context("creating the lag histogram")?,
        seen: 0,
    }));
    let shared = state.clone();
    let task = tokio::spawn(async move {
        loop {
            let got: Option<u64> = conn.get(PROBE_KEY).await.unwrap_or(None);
            if let Some(j) = got {
                record_seen(&shared, &acks, j, Instant::now())?;
            }
            tokio::time::sleep(Duration::from_millis(poll_ms.max(1))).await;
        }
    });
    Ok((state, task))
}

/// Probe `j` is visible at `now`: records the lag of every probe up to it not seen before.
fn record_seen(
    state: &Mutex<Watch>,
    acks: &Mutex<Vec<Instant>>,
    j: u64,
    now: Instant,
) -> Result<()> {
    let mut w = lock(state)?;
    if j > w.seen {
        let acks = lock(acks)?;
        for k in w.seen + 1..=j {
            let lag = acks
                .get(k as usize - 1)
                .map_or(Duration::ZERO, |t| now.saturating_duration_since(*t));
            let _ = w.hist.record((lag.as_micros() as u64).max(1));
        }
        w.seen = j;
    }
    Ok(())
}

/// Waits (until `deadline`) for the watcher to see the last probe, then stops it and returns
/// its histogram. Probes it never saw show in `report` as missing.
async fn finish((state, task): Watcher, probes: u64, deadline: Instant) -> Result<Histogram<u64>> {
    while lock(&state)?.seen < probes && Instant::now() < deadline && !task.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if task.is_finished() {
        // The watcher loops until aborted: it ended with an error.
        task.await.context("the watcher task")??;
    } else {
        task.abort();
    }
    let hist = lock(&state)?.hist.clone();
    Ok(hist)
}

fn report(addr: &str, hist: &Histogram<u64>, probes: u64) {
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "replica {addr}: {} of {probes} probes seen  lag p50={:.2}ms p90={:.2}ms p99={:.2}ms p99.9={:.2}ms max={:.2}ms",
        hist.len(),
        ms(0.50),
        ms(0.90),
        ms(0.99),
        ms(0.999),
        hist.max() as f64 / 1000.0
    );
}
