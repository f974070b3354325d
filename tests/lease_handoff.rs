//! The primary's write lease handed from a regional leader to its followers
//! (crates/region/src/lease_share.rs): a follower elected after its leader crashed takes writes
//! on the lease it inherited, before the coordination group could grant a fresh one; a
//! follower cut off from everyone who could renew it stops writing when that lease ends, before
//! a forced failover lets another cluster write. Both judged from recorded histories, with
//! deadlines and no fixed sleeps.

use std::sync::Arc;
use std::time::Instant;

use meridian_chaos::checks::seqs_from_values;
use meridian_chaos::client::GrpcClient;
use meridian_chaos::setup;
use meridian_chaos::workload::{shipping, Ctx, Session};
use meridian_coord::CoordOptions;
use meridian_history::loss::{self, FinalHistory};
use meridian_history::{single_writer, History, Kind, Op, Recorder, Report};
use tokio::task::JoinSet;

use crate::global_datastores::support::*;

/// Coordination timing as in `cluster-configs/local.toml` (WAN election timeouts of 1–2 s, 4 s
/// leases renewed every 1.33 s), so a coordination election is clearly slower than a regional
/// one: openraft 0.9 waits `election_timeout_max` (its leader lease) plus an election timeout
/// after the last heartbeat, 3–4 s here against 0.6–0.8 s for the tests' regional groups.
fn wan_coord() -> CoordOptions {
    CoordOptions {
        heartbeat_interval: Duration::from_millis(250),
        election_timeout_min: Duration::from_millis(1_000),
        election_timeout_max: Duration::from_millis(2_000),
        lease: Duration::from_millis(4_000),
        clock_drift_bound: 0.05,
        lease_margin: Duration::from_millis(500),
        ..meridian_testkit::fast_coord_options()
    }
}

/// use1 (primary) and euw1 (secondary), three nodes each; voters 1 and 4, plus aps1's 7.
async fn start() -> Result<TestDeployment> {
    let opts = TestDeploymentOptions {
        coord: wan_coord(),
        ..TestDeploymentOptions::default()
    };
    let d = TestDeployment::start(opts).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    Ok(d)
}

/// Ns since `start`, as the recorder counts.
fn ns_since(start: Instant) -> u64 {
    start.elapsed().as_nanos() as u64
}

fn ms(ns: u64) -> u64 {
    ns / 1_000_000
}

/// One gRPC writer of unique values per node in `nodes`, each of its own cluster.
fn spawn_writers(d: &TestDeployment, ctx: &Ctx, nodes: &[NodeId]) -> Result<JoinSet<()>> {
    let mut set = JoinSet::new();
    for cluster in ["use1", "euw1"] {
        for t in setup::targets(d, cluster)? {
            if let Some(n) = nodes.iter().position(|id| *id == t.node) {
                let n = n as u64 + 1;
                let c = GrpcClient::new(ctx.faults(n), t.clone())?;
                set.spawn(shipping::grpc_writer(Session::new(ctx.clone(), t), c, n));
            }
        }
    }
    Ok(set)
}

/// Until every node of `nodes` holds a lease inherited from its leader with at least `left`
/// to run.
async fn wait_inherited(d: &TestDeployment, nodes: &[NodeId], left: Duration) -> Result<()> {
    eventually(
        "the followers inherited the leader's lease",
        WAIT,
        || async {
            for id in nodes {
                if d.group(*id)?
                    .inherited_lease_left()
                    .is_none_or(|l| l < left)
                {
                    return Ok(None);
                }
            }
            Ok(Some(()))
        },
    )
    .await
}

/// `(invoked, completed)` of every write acknowledged through a node of `cluster`.
fn acked(history: &History, cluster: &str) -> Result<Vec<(u64, u64)>> {
    Ok(history
        .pairs()?
        .iter()
        .filter(|p| p.outcome() == Kind::Ok && matches!(p.op(), Op::Write { .. }))
        .filter(|p| p.cluster() == Some(cluster))
        .filter_map(|p| p.completed().map(|c| (p.invoked(), c)))
        .collect())
}

/// Writers through `nodes` and every node of euw1 for `writing`, once use1 acknowledged
/// some: the time they started (the recorder's zero), the recorder and the writer tasks.
async fn start_writers(
    d: &TestDeployment,
    nodes: &[NodeId],
    writing: Duration,
) -> Result<(Instant, Arc<Recorder>, JoinSet<()>)> {
    let start = Instant::now();
    let recorder = Arc::new(Recorder::new(start));
    let ctx = Ctx::new(recorder.clone(), d.net().clone(), 4, writing);
    let mut writing_to = nodes.to_vec();
    writing_to.extend(d.cluster_ids("euw1")?);
    let writers = spawn_writers(d, &ctx, &writing_to)?;
    eventually("writes acknowledged by use1", WAIT, || async {
        Ok((recorder.counts().ok > 30).then_some(()))
    })
    .await?;
    Ok((start, recorder, writers))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_elected_after_a_crash_writes_on_the_inherited_lease_before_coord_recovers(
) -> Result<()> {
    let mut d = start().await?;
    let use1 = d.cluster_ids("use1")?;
    let victim = use1[0];
    let survivors: Vec<NodeId> = use1[1..].to_vec();
    node_leads_use1_and_coordination(&d, victim).await?;
    // More than a renewal period left: the hand-off, not a lucky grant, is what is tested.
    wait_inherited(&d, &survivors, Duration::from_secs(2)).await?;

    phase("writers through use1's surviving nodes and euw1 (which refuses them)");
    let (start, recorder, writers) = start_writers(&d, &survivors, Duration::from_secs(14)).await?;
    let crash = crash(&mut d, victim, &survivors, start).await?;
    eventually(
        "writes acknowledged after the coordination election",
        WAIT,
        || async {
            let h = recorder.snapshot();
            Ok(acked(&h, "use1")?
                .iter()
                .any(|(i, _)| *i > crash.elected_at)
                .then_some(()))
        },
    )
    .await?;
    writers.join_all().await;

    let history = recorder.snapshot();
    the_first_write_after_the_crash_came_before_a_fresh_grant(&history, &crash)?;
    phase("no acknowledged write lost");
    let primary = setup::primary_writes(&d, "use1").await?;
    let survived: FinalHistory = primary
        .iter()
        .map(|(seq, k, v)| (*seq, (k.clone(), *v)))
        .collect();
    let lost = loss::check(&seqs_from_values(&history, &primary), &survived, &[])?;
    ensure!(lost.is_valid(), "{lost}");
    d.shutdown().await;
    Ok(())
}

async fn node_leads_use1_and_coordination(d: &TestDeployment, node: NodeId) -> Result<()> {
    phase("node 1 leads both use1 and the coordination group");
    eventually(
        "node 1 leading use1 and the coordination group",
        WAIT,
        || async {
            let region = d.group(node)?;
            let coord = d.coord(node)?;
            if !region.is_leader() {
                region.raft().trigger().elect().await?;
            }
            if !coord.is_leader() {
                coord.raft().trigger().elect().await?;
            }
            let leads = d.wait_for_leader("use1", WAIT).await? == node
                && d.wait_for_coord_leader(WAIT).await? == node;
            Ok(leads.then_some(()))
        },
    )
    .await
}

/// When a crash happened and what followed, in ns since the writers started.
struct Crash {
    killed_at: u64,
    /// A surviving voter first led the coordination group.
    elected_at: u64,
    /// A surviving node of use1 first led it.
    region_at: u64,
    new_leader: NodeId,
}

/// Crashes `victim`: cut off from everyone at once, then stopped.
async fn crash(
    d: &mut TestDeployment,
    victim: NodeId,
    survivors: &[NodeId],
    start: Instant,
) -> Result<Crash> {
    phase("crash node 1: cut off from everyone at once, then stopped");
    let others: Vec<NodeId> = d.ids().into_iter().filter(|id| *id != victim).collect();
    let voters = d
        .voters()
        .iter()
        .filter(|v| **v != victim)
        .map(|v| Ok(d.coord(*v)?.clone()))
        .collect::<Result<Vec<_>>>()?;
    let groups = survivors
        .iter()
        .map(|id| Ok(d.group(*id)?.clone()))
        .collect::<Result<Vec<_>>>()?;
    // Watched from before the crash, every 5 ms: when a surviving voter first leads, and when
    // a surviving node of use1 does.
    let coord_elected = tokio::spawn(async move {
        while !voters.iter().any(|g| g.is_leader()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ns_since(start)
    });
    let region_elected = tokio::spawn(async move {
        while !groups.iter().any(|g| g.is_leader()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ns_since(start)
    });
    let killed_at = ns_since(start);
    d.net().partition(&[victim], &others);
    d.kill(victim).await?;
    let elected_at = tokio::time::timeout(WAIT, coord_elected)
        .await
        .context("no new coordination leader")??;
    let region_at = tokio::time::timeout(WAIT, region_elected)
        .await
        .context("no new use1 leader")??;
    let new_leader = d.wait_for_leader("use1", WAIT).await?;
    Ok(Crash {
        killed_at,
        elected_at,
        region_at,
        new_leader,
    })
}

fn the_first_write_after_the_crash_came_before_a_fresh_grant(
    history: &History,
    crash: &Crash,
) -> Result<()> {
    phase("check: the first write after the crash came before any fresh grant could");
    let Crash {
        killed_at,
        elected_at,
        region_at,
        new_leader,
    } = *crash;
    let use1_acks = acked(history, "use1")?;
    let last_before = use1_acks
        .iter()
        .filter(|(_, c)| *c < killed_at)
        .map(|(_, c)| *c)
        .max()
        .context("no write acknowledged before the crash")?;
    let first_after = use1_acks
        .iter()
        .filter(|(i, _)| *i > killed_at)
        .map(|(_, c)| *c)
        .min()
        .context("no write acknowledged after the crash")?;
    eprintln!(
        "    node {new_leader} elected {} ms after the crash; write gap {} ms (last ack {} ms before the crash, first {} ms after); coordination leader elected {} ms after the crash",
        ms(region_at.saturating_sub(killed_at)),
        ms(first_after - last_before),
        ms(killed_at - last_before),
        ms(first_after - killed_at),
        ms(elected_at - killed_at)
    );
    ensure!(
        first_after < elected_at,
        "the first write after the crash was acknowledged {} ms after it, the coordination group elected a leader (the earliest a fresh lease could exist) {} ms after it: the inherited lease was not used",
        ms(first_after - killed_at),
        ms(elected_at - killed_at)
    );
    ensure!(
        acked(history, "euw1")?.is_empty(),
        "the secondary euw1 acknowledged a write"
    );
    let writers = single_writer::check(history)?;
    ensure!(writers.is_valid(), "{writers}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_cut_off_with_its_cluster_stops_writing_when_the_inherited_lease_ends(
) -> Result<()> {
    let d = start().await?;
    let leader = d.wait_for_leader("use1", WAIT).await?;
    let followers: Vec<NodeId> = d
        .cluster_ids("use1")?
        .into_iter()
        .filter(|id| *id != leader)
        .collect();
    // The followers' clocks run 4 % slow (within the 5 % drift bound): their D lasts longer.
    let slow = 0.04;
    for id in &followers {
        d.clock(*id)?.drift(-(slow * 1e6) as i64);
    }
    wait_inherited(&d, &followers, Duration::from_secs(2)).await?;

    phase("writers through use1's followers and euw1's nodes");
    let (start, recorder, writers) = start_writers(&d, &followers, Duration::from_secs(20)).await?;
    let cut = cut_use1_off(&d, leader, &followers, slow, start).await?;

    phase("a forced failover to euw1, asked of node 4");
    let via = d.cluster_ids("euw1")?[0];
    datastore(failover_with(&d, via, "gds1", "euw1", true).await)?;
    let done = wait_failover_done(&d, via, "gds1").await?;
    ensure!(
        done.primary_cluster == "euw1" && done.epoch == 2,
        "{}",
        view(&done)
    );
    eventually("a write acknowledged by euw1", WAIT, || async {
        Ok((!acked(&recorder.snapshot(), "euw1")?.is_empty()).then_some(()))
    })
    .await?;
    writers.join_all().await;
    use1_wrote_on_the_inherited_lease_only(&recorder.snapshot(), &cut)?;
    d.shutdown().await;
    Ok(())
}

/// The cut of use1 and its bounds, in ns since the writers started.
struct Cut {
    at: u64,
    /// Every lease the followers inherited ends by then (on their slow clocks).
    inherited_end: u64,
    /// The earliest the coordination group could promote another cluster.
    promotable: u64,
    new_leader: NodeId,
}

/// Cuts use1 off from every other node, and its leader from its followers; returns once a
/// follower leads.
async fn cut_use1_off(
    d: &TestDeployment,
    leader: NodeId,
    followers: &[NodeId],
    slow: f64,
    start: Instant,
) -> Result<Cut> {
    phase("cut use1 off from every other node, and its leader from its followers");
    let coord = d.options().coord.clone();
    let lease = coord.lease;
    let use1 = d.cluster_ids("use1")?;
    let others: Vec<NodeId> = d
        .ids()
        .into_iter()
        .filter(|id| !use1.contains(id))
        .collect();
    d.net().partition(&use1, &others);
    d.net().partition(&[leader], followers);
    // No grant reaches the followers from now on; every lease they hold was granted after an
    // instant of theirs before this one, so it ends within `lease` of their (slow) clocks.
    let at = ns_since(start);
    let inherited_end = at + lease.div_f64(1.0 - slow).as_nanos() as u64;
    let promotable = at + coord.promotion_wait(lease).as_nanos() as u64;
    let new_leader = eventually("a new use1 leader among the followers", WAIT, || async {
        for id in followers {
            if d.group(*id)?.is_leader() {
                return Ok(Some(*id));
            }
        }
        Ok(None)
    })
    .await?;
    Ok(Cut {
        at,
        inherited_end,
        promotable,
        new_leader,
    })
}

fn use1_wrote_on_the_inherited_lease_only(history: &History, cut: &Cut) -> Result<()> {
    phase("check: use1 wrote on the inherited lease only, and stopped before euw1 began");
    let Cut {
        at: cut_at,
        inherited_end,
        promotable,
        new_leader,
    } = *cut;
    let after_cut: Vec<(u64, u64)> = acked(history, "use1")?
        .into_iter()
        .filter(|(_, c)| *c > cut_at)
        .collect();
    let last = after_cut.iter().map(|(_, c)| *c).max().unwrap_or(cut_at);
    let first_euw1 = acked(history, "euw1")?
        .iter()
        .map(|(_, c)| *c)
        .min()
        .context("no write acknowledged by euw1")?;
    eprintln!(
        "    node {new_leader} took over; {} writes acknowledged after the cut, the last {} ms after it (inherited leases end by {} ms, another cluster could be promoted at {} ms); euw1's first {} ms after it",
        after_cut.len(),
        ms(last - cut_at),
        ms(inherited_end - cut_at),
        ms(promotable - cut_at),
        ms(first_euw1 - cut_at)
    );
    ensure!(
        after_cut.iter().any(|(i, _)| *i > cut_at),
        "no write invoked after the cut was acknowledged: the new leader did not use its inherited lease"
    );
    for (invoked, completed) in &after_cut {
        // A write passes the lease check after it was invoked, and the check passes only
        // before the lease ends.
        ensure!(
            *invoked < inherited_end,
            "a write invoked {} ms after the cut, past the end of any inherited lease ({} ms), was acknowledged",
            ms(invoked - cut_at),
            ms(inherited_end - cut_at)
        );
        ensure!(
            *completed < promotable,
            "a write was acknowledged by use1 {} ms after the cut, when another cluster could have been promoted ({} ms)",
            ms(completed - cut_at),
            ms(promotable - cut_at)
        );
    }
    // use1 before euw1, never interleaved (judged from invocations and completions).
    let writers = single_writer::check(history)?;
    ensure!(writers.is_valid(), "{writers}");
    Ok(())
}
