//! Real processes, real crashes: three `meridian node` processes; the leader is killed with
//! SIGKILL while writes flow, and every acknowledged write survives (DESIGN.md §10.1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use common::free_port;
use meridian_proto::v1 as pb;
use meridian_proto::v1::clusters_client::ClustersClient;
use meridian_proto::v1::key_value_client::KeyValueClient;

struct Proc {
    id: u64,
    grpc: String,
    child: Option<Child>,
}

fn write_config(dir: &Path) -> Result<(std::path::PathBuf, Vec<(u64, String)>)> {
    let mut text = format!(
        "data_dir = \"{}\"\n[raft]\nheartbeat_interval_ms = 50\nelection_timeout_min_ms = 300\nelection_timeout_max_ms = 600\n[[clusters]]\nname = \"k9\"\nregion = \"test-1\"\n",
        dir.join("data").display()
    );
    let mut nodes = Vec::new();
    for id in 1..=3u64 {
        let (g, r, m) = (free_port(), free_port(), free_port());
        text.push_str(&format!(
            "[[clusters.nodes]]\nid = {id}\ngrpc_port = {g}\nresp_port = {r}\nmetrics_port = {m}\ncoord = {}\n",
            id == 1
        ));
        nodes.push((id, format!("127.0.0.1:{g}")));
    }
    let path = dir.join("deployment.toml");
    std::fs::write(&path, text)?;
    Ok((path, nodes))
}

fn spawn(config: &Path, id: u64, dir: &Path) -> Result<Child> {
    let log = std::fs::File::create(dir.join(format!("node-{id}.log")))?;
    Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["node", "--node", &id.to_string(), "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("starting node {id}"))
}

async fn kv(addr: &str) -> Result<KeyValueClient<tonic::transport::Channel>> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(5))
        .connect()
        .await?;
    Ok(KeyValueClient::new(ch))
}

/// The processes still running.
fn live(procs: &[Proc]) -> impl Iterator<Item = &Proc> {
    procs.iter().filter(|p| p.child.is_some())
}

/// A local read of `key`: what one node holds, whether or not it leads.
fn local_get(key: String) -> pb::GetRequest {
    pb::GetRequest {
        key: Bytes::from(key),
        read: Some(pb::ReadOptions {
            consistency: pb::Consistency::Local as i32,
            min_seq: 0,
        }),
    }
}

/// Waits until a live node leads or names a live leader; returns the leader's id.
async fn leader(procs: &[Proc], limit: Duration) -> Result<u64> {
    let id = meridian_wait::Wait::new("a live leader", limit)
        .every(Duration::from_millis(50))
        .until_async(|| named_leader(procs))
        .await?;
    Ok(id)
}

/// One look at every live node's status.
async fn named_leader(procs: &[Proc]) -> Result<u64> {
    let mut seen = Vec::new();
    for p in live(procs) {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{}", p.grpc))?
            .connect_timeout(Duration::from_millis(300))
            .connect()
            .await;
        let status = match ch {
            Ok(ch) => {
                ClustersClient::new(ch)
                    .node_status(pb::NodeStatusRequest {})
                    .await
            }
            Err(e) => {
                seen.push(format!("node {}: {e}", p.id));
                continue;
            }
        };
        match status {
            Ok(s) => {
                let s = s.into_inner();
                let alive = live(procs).any(|q| q.id == s.leader_id);
                if s.state == "leader" || (s.leader_id != 0 && alive) {
                    return Ok(s.leader_id);
                }
                seen.push(format!(
                    "node {}: {} of leader {}",
                    p.id, s.state, s.leader_id
                ));
            }
            Err(e) => seen.push(format!("node {}: {}", p.id, e.message())),
        }
    }
    bail!("no live leader named: {}", seen.join("; "))
}

/// Writes keys `range` in order, each acknowledged before the next.
async fn write_acked(procs: &[Proc], range: std::ops::Range<usize>) -> Result<()> {
    for i in range {
        meridian_wait::until_async(
            format!("write {i} acknowledged"),
            Duration::from_secs(20),
            || write_once(procs, i),
        )
        .await?;
    }
    Ok(())
}

/// Writes key i through the first live node that acknowledges it.
async fn write_once(procs: &[Proc], i: usize) -> Result<()> {
    let mut last = anyhow::anyhow!("no live node");
    for p in live(procs) {
        let req = pb::SetRequest {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(format!("v{i}")),
            ..Default::default()
        };
        match kv(&p.grpc).await {
            Ok(mut c) => match c.set(req).await {
                Ok(_) => return Ok(()),
                Err(e) => last = anyhow::anyhow!("node {}: {}", p.id, e.message()),
            },
            Err(e) => last = e.context(format!("connecting to node {}", p.id)),
        }
    }
    Err(last)
}

/// SIGKILL: no shutdown path runs, nothing is flushed that was not already.
fn sigkill(procs: &mut [Proc], id: u64) -> Result<()> {
    let victim = procs
        .iter_mut()
        .find(|p| p.id == id)
        .context("the process to kill")?;
    if let Some(mut c) = victim.child.take() {
        c.kill()?;
        c.wait()?;
    }
    Ok(())
}

/// Starts node `id` again on its data; returns its gRPC address.
fn restart(procs: &mut [Proc], id: u64, config: &Path, dir: &Path) -> Result<String> {
    let p = procs
        .iter_mut()
        .find(|p| p.id == id)
        .context("the process to restart")?;
    p.child = Some(spawn(config, id, dir)?);
    Ok(p.grpc.clone())
}

/// Waits until the node at `addr` holds `key` locally.
async fn holds(addr: &str, key: &str, limit: Duration) -> Result<()> {
    meridian_wait::Wait::new(format!("{addr} to hold {key}"), limit)
        .every(Duration::from_millis(50))
        .until_async(|| async {
            let found = kv(addr)
                .await?
                .get(local_get(key.to_string()))
                .await?
                .into_inner()
                .found;
            if found {
                Ok(())
            } else {
                bail!("not there yet")
            }
        })
        .await?;
    Ok(())
}

/// Every acknowledged write, read locally from node `id` at `addr`.
async fn check_every_write(addr: &str, id: u64, range: std::ops::Range<usize>) -> Result<()> {
    let mut c = kv(addr).await?;
    for i in range {
        let r = c.get(local_get(format!("k{i}"))).await?.into_inner();
        assert!(
            r.found && r.value == format!("v{i}"),
            "k{i} lost on node {id}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_the_leader_loses_no_acknowledged_write() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (config, nodes) = write_config(dir.path())?;
    let mut procs = Vec::new();
    for (id, grpc) in nodes {
        procs.push(Proc {
            id,
            grpc,
            child: Some(spawn(&config, id, dir.path())?),
        });
    }
    let result = kill_the_leader_under_writes(&mut procs, &config, dir.path()).await;
    for p in procs.iter_mut() {
        if let Some(mut c) = p.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    if result.is_err() {
        print_log_tails(dir.path());
    }
    result
}

async fn kill_the_leader_under_writes(procs: &mut [Proc], config: &Path, dir: &Path) -> Result<()> {
    // phase: writes acknowledged by the first leader
    let first = leader(procs, Duration::from_secs(20)).await?;
    write_acked(procs, 0..200).await?;

    // phase: the leader is SIGKILLed; a new one takes writes
    sigkill(procs, first)?;
    let second = leader(procs, Duration::from_secs(20)).await?;
    assert_ne!(second, first);
    write_acked(procs, 200..400).await?;

    // phase: the killed node comes back and, once caught up, holds every acknowledged write
    let addr = restart(procs, first, config, dir)?;
    holds(&addr, "k399", Duration::from_secs(30))
        .await
        .with_context(|| format!("restarted node {first} never caught up"))?;
    check_every_write(&addr, first, 0..400).await
}

fn print_log_tails(dir: &Path) {
    for id in 1..=3 {
        let log = std::fs::read_to_string(dir.join(format!("node-{id}.log"))).unwrap_or_default();
        let tail: Vec<_> = log.lines().rev().take(15).collect();
        eprintln!(
            "--- node-{id}.log (last lines, newest first) ---\n{}",
            tail.join("\n")
        );
    }
}
