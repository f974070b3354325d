//! The deployment a chaos run uses: three regions of three nodes, global datastore `gds1` with
//! primary `use1` and secondaries `euw1` and `aps1`, each associated before clients start.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use meridian_proto::v1 as pb;
use meridian_testkit::{eventually, TestDeployment, TestDeploymentOptions};
use meridian_types::NodeId;

use crate::client::Target;
use crate::options::ChaosOptions;
use crate::schedule::Topology;

pub const DATASTORE: &str = "gds1";
pub const PRIMARY: &str = "use1";
pub const SECONDARIES: [&str; 2] = ["euw1", "aps1"];
const READY: Duration = Duration::from_secs(60);

/// Starts the deployment and makes `gds1` available.
pub async fn deployment(opts: &ChaosOptions) -> Result<TestDeployment> {
    let mut o = TestDeploymentOptions {
        fault_seed: opts.seed,
        ..TestDeploymentOptions::default()
    };
    o.region_options.planted = opts.planted;
    // Clients' calls give up after a few seconds; nodes must answer or refuse before that.
    o.region_options.request_timeout = Duration::from_secs(2);
    // Snapshots every few dozen entries: restarts and lagging followers go through them.
    o.region_options.snapshot_logs_since_last = 50;
    o.region_options.max_in_snapshot_log_to_keep = 20;
    let d = TestDeployment::start(o)
        .await
        .context("starting the deployment")?;
    let via = d.voters()[0];
    let mut g = d.global(via).await?;
    g.create(pb::CreateGlobalDatastoreRequest {
        id: DATASTORE.into(),
        description: "chaos".into(),
        primary_cluster: PRIMARY.into(),
        auto_failover: None,
    })
    .await
    .map_err(|s| anyhow!("create {DATASTORE}: {}", s.message()))?;
    wait_status(&d, via, "primary-only").await?;
    for s in SECONDARIES {
        g.add_secondary(pb::AddSecondaryRequest {
            id: DATASTORE.into(),
            cluster: s.into(),
        })
        .await
        .map_err(|e| anyhow!("add-secondary {s}: {}", e.message()))?;
        wait_status(&d, via, "available").await?;
    }
    Ok(d)
}

async fn wait_status(d: &TestDeployment, via: NodeId, want: &str) -> Result<()> {
    eventually(&format!("{DATASTORE} {want}"), READY, || async {
        let mut g = d.global(via).await?;
        let r = g
            .describe(pb::DescribeGlobalDatastoresRequest {
                id: DATASTORE.into(),
            })
            .await;
        let ds = match r {
            Ok(r) => r.into_inner().datastores.into_iter().next(),
            Err(_) => None,
        };
        Ok(ds
            .filter(|ds| ds.status == want && ds.members.iter().all(|m| m.status == "associated"))
            .map(|_| ()))
    })
    .await
}

pub fn topology(d: &TestDeployment) -> Result<Topology> {
    let mut clusters = Vec::new();
    for name in std::iter::once(PRIMARY).chain(SECONDARIES) {
        clusters.push((name.to_string(), d.cluster_ids(name)?));
    }
    Ok(Topology {
        clusters,
        voters: d.voters().to_vec(),
    })
}

/// Every node of `cluster` as a client target.
pub fn targets(d: &TestDeployment, cluster: &str) -> Result<Vec<Target>> {
    d.cluster_ids(cluster)?
        .into_iter()
        .map(|node| {
            Ok(Target {
                node,
                cluster: cluster.to_string(),
                resp: d.resp_addr(node)?,
                grpc: d.grpc_addr(node)?,
            })
        })
        .collect()
}

/// Heals the network, restarts stopped nodes, and waits until every node of every cluster
/// holds exactly the data and seq of `primary`'s leader.
pub async fn converge(d: &mut TestDeployment, primary: &str, limit: Duration) -> Result<()> {
    d.net().heal();
    for id in d.ids() {
        if !d.running().contains(&id) {
            d.restart(id).await?;
        }
    }
    eventually(
        "every node equal to the primary's leader",
        limit,
        || async {
            let leader = d.wait_for_leader(primary, limit).await?;
            let (seq, ks) = d.group(leader)?.sm().read_at(|s, ks| (s, ks.clone()));
            for id in d.ids() {
                let (s, k) = d.group(id)?.sm().read_at(|s, ks| (s, ks.clone()));
                if s != seq || k != ks {
                    return Ok(None);
                }
            }
            Ok(Some(()))
        },
    )
    .await
}

/// The history of `primary` as register writes `(seq, key, value)` in seq order, read from
/// the backlog of its leader or, where that one starts after seq 1 (a node that caught up
/// from a snapshot keeps no backlog before it), of another running node of the cluster that
/// holds the whole history up to the leader's seq (they share one log); fails when none does.
pub async fn primary_writes(
    d: &TestDeployment,
    primary: &str,
) -> Result<Vec<(u64, String, Option<i64>)>> {
    let ops = whole_backlog(d, primary).await?;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let name = op.argv.first().map(|a| a.to_ascii_lowercase());
        let key = |i: usize| {
            op.argv
                .get(i)
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default()
        };
        match name.as_deref() {
            Some(b"set") => out.push((
                op.seq,
                key(1),
                op.argv.get(2).and_then(|v| crate::client::parse_int(v)),
            )),
            Some(b"del") => out.push((op.seq, key(1), None)),
            _ => bail!(
                "seq {}: an op the shipping workload never sends: {:?}",
                op.seq,
                op.argv
            ),
        }
    }
    Ok(out)
}

/// Every op of `primary`'s history from seq 1 to the last in its leader's backlog, from the
/// first node (leader first) whose backlog holds all of them.
async fn whole_backlog(
    d: &TestDeployment,
    primary: &str,
) -> Result<Vec<meridian_types::BacklogOp>> {
    let leader = d.wait_for_leader(primary, READY).await?;
    let head = d.group(leader)?.sm().backlog_last_seq()?.unwrap_or(0);
    let running = d.running();
    let others = d
        .cluster_ids(primary)?
        .into_iter()
        .filter(|id| *id != leader);
    let mut starts = Vec::new();
    for id in std::iter::once(leader).chain(others.filter(|id| running.contains(id))) {
        let ops = d.group(id)?.sm().backlog_range(1, u64::MAX)?;
        let first = ops.first().map_or(1, |o| o.seq);
        let last = ops.last().map_or(0, |o| o.seq);
        if first == 1 && last == head {
            return Ok(ops);
        }
        starts.push(format!("node {id}: seqs {first}..={last}"));
    }
    bail!(
        "no node of {primary} holds its whole history up to seq {head} (backlogs trimmed: {})",
        starts.join(", ")
    )
}
