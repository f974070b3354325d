//! Real processes, real crashes: three `meridian node` processes; the leader is killed with
//! SIGKILL while writes flow, and every acknowledged write survives (DESIGN.md §10.1).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

async fn leader(procs: &[Proc], deadline: Duration) -> Result<u64> {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        for p in procs.iter().filter(|p| p.child.is_some()) {
            let Ok(ch) = tonic::transport::Endpoint::from_shared(format!("http://{}", p.grpc))?
                .connect_timeout(Duration::from_millis(300))
                .connect()
                .await
            else {
                continue;
            };
            if let Ok(s) = ClustersClient::new(ch)
                .node_status(pb::NodeStatusRequest {})
                .await
            {
                let s = s.into_inner();
                let alive = procs
                    .iter()
                    .any(|q| q.id == s.leader_id && q.child.is_some());
                if s.state == "leader" || (s.leader_id != 0 && alive) {
                    return Ok(s.leader_id);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("no leader within {deadline:?}")
}

/// Writes key i through any live node until one acknowledges it.
async fn write_acked(procs: &[Proc], i: usize) -> Result<()> {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        for p in procs.iter().filter(|p| p.child.is_some()) {
            let Ok(mut c) = kv(&p.grpc).await else {
                continue;
            };
            let req = pb::SetRequest {
                key: Bytes::from(format!("k{i}")),
                value: Bytes::from(format!("v{i}")),
                ..Default::default()
            };
            if c.set(req).await.is_ok() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("write {i} never acknowledged")
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
    let result = async {
        let first = leader(&procs, Duration::from_secs(20)).await?;
        let mut acked = BTreeMap::new();
        for i in 0..200 {
            write_acked(&procs, i).await?;
            acked.insert(i, ());
        }
        // SIGKILL: no shutdown path runs, nothing is flushed that was not already.
        let victim = procs
            .iter_mut()
            .find(|p| p.id == first)
            .context("leader process")?;
        if let Some(mut c) = victim.child.take() {
            c.kill()?;
            c.wait()?;
        }
        let second = leader(&procs, Duration::from_secs(20)).await?;
        assert_ne!(second, first);
        for i in 200..400 {
            write_acked(&procs, i).await?;
            acked.insert(i, ());
        }
        // Bring the killed node back and read everything from it once it caught up.
        let victim = procs
            .iter_mut()
            .find(|p| p.id == first)
            .context("leader process")?;
        victim.child = Some(spawn(&config, first, dir.path())?);
        let addr = victim.grpc.clone();
        let until = Instant::now() + Duration::from_secs(30);
        'wait: loop {
            if Instant::now() > until {
                bail!("restarted node {first} never caught up");
            }
            if let Ok(mut c) = kv(&addr).await {
                let last = c
                    .get(pb::GetRequest {
                        key: Bytes::from("k399"),
                        read: Some(pb::ReadOptions {
                            consistency: pb::Consistency::Local as i32,
                            min_seq: 0,
                        }),
                    })
                    .await;
                if matches!(last, Ok(ref r) if r.get_ref().found) {
                    break 'wait;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut c = kv(&addr).await?;
        for i in acked.keys() {
            let r = c
                .get(pb::GetRequest {
                    key: Bytes::from(format!("k{i}")),
                    read: Some(pb::ReadOptions {
                        consistency: pb::Consistency::Local as i32,
                        min_seq: 0,
                    }),
                })
                .await?
                .into_inner();
            assert!(
                r.found && r.value == format!("v{i}"),
                "k{i} lost on node {first}"
            );
        }
        anyhow::Ok(())
    }
    .await;
    for p in procs.iter_mut() {
        if let Some(mut c) = p.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    if result.is_err() {
        for id in 1..=3 {
            let log = std::fs::read_to_string(dir.path().join(format!("node-{id}.log")))
                .unwrap_or_default();
            let tail: Vec<_> = log.lines().rev().take(15).collect();
            eprintln!(
                "--- node-{id}.log (last lines, newest first) ---\n{}",
                tail.join("\n")
            );
        }
    }
    result
}
