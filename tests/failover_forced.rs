//! Forced failover with the primary region cut off from everything, judged from recorded
//! histories: the coordination group promotes only after the old primary's lease certainly ran
//! out, so no two clusters acknowledge writes in overlapping time; every acknowledged write
//! survives or lies after the seq the new primary started from; the old primary, healed,
//! never takes another write, rejoins as a secondary and counts exactly the writes it
//! discards (and saves them to a file); every node converges.

use std::sync::Arc;

use meridian_chaos::checks::seqs_from_values;
use meridian_chaos::setup;
use meridian_chaos::workload::Ctx;
use meridian_history::loss::{self, FinalHistory};
use meridian_history::{single_writer, History, Kind, Recorder, Report};

use crate::global_datastores::support::*;

/// Writers run this long; the cut and the failover happen inside.
const WRITING: Duration = Duration::from_secs(16);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forced_failover_keeps_one_writer_and_counts_exactly_what_the_old_primary_discards(
) -> Result<()> {
    for_seeds("forced-failover", &[1, 2], forced).await
}

async fn forced(seed: u64, recorder: Arc<Recorder>) -> Result<()> {
    let (d, lease) = start(seed).await?;

    phase("writers on every node of every cluster");
    let ctx = Ctx::new(recorder.clone(), d.net().clone(), 4, WRITING);
    let writers = spawn_writers(&d, &ctx, &["use1", "euw1", "aps1"], seed)?;
    eventually("writes acknowledged by use1", WAIT, || async {
        Ok((recorder.counts().ok > 50).then_some(()))
    })
    .await?;

    let (use1, cut_ns) = cut_use1_off(&d, &recorder).await?;
    let (via, target, loss) = failover_without_a_target(&d).await?;
    let discarded = use1_rejoins_and_counts_what_it_discards(&d, via, &use1).await?;

    phase("writes go on at the new primary until the writers stop; every node converges");
    writers.join_all().await;
    let mut d = d;
    setup::converge(&mut d, &target, WAIT).await?;

    let history: History = recorder.snapshot();
    check_the_history(&d, &history, &target, &loss, discarded).await?;
    // A figure for benches/failover.sh (not a goal asserted here).
    if let Some(first) = acks(&history, &target)
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t > cut_ns)
        .min()
    {
        eprintln!(
            "    forced failover: {} ms from the cut to the first write acknowledged by {target} (lease {} ms)",
            (first - cut_ns) / 1_000_000,
            lease.as_millis()
        );
    }
    discarded_writes_are_in_files(&d, &use1, discarded)?;
    metrics_show_the_failover(&d, &use1, &target, via, discarded).await?;
    d.shutdown().await;
    Ok(())
}

/// A deployment (with the default lease when benches/failover.sh asks for it) and gds1 on
/// every cluster; returns it and its primary's lease.
async fn start(seed: u64) -> Result<(TestDeployment, Duration)> {
    let mut opts = TestDeploymentOptions {
        fault_seed: seed,
        ..TestDeploymentOptions::default()
    };
    if std::env::var_os("MERIDIAN_BENCH_DEFAULT_LEASE").is_some() {
        // benches/failover.sh: the lease, drift bound and margin a deployment gets by default.
        let defaults = meridian_coord::CoordOptions::default();
        opts.coord.lease = defaults.lease;
        opts.coord.lease_margin = defaults.lease_margin;
        opts.coord.clock_drift_bound = defaults.clock_drift_bound;
    }
    let lease = opts.coord.lease;
    let d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;
    Ok((d, lease))
}

/// Cuts use1 off and waits until it acknowledged a write after the cut; returns its nodes
/// and the time of the cut.
async fn cut_use1_off(d: &TestDeployment, recorder: &Recorder) -> Result<(Vec<NodeId>, u64)> {
    phase("cut use1 off from every other node; its clients still reach it");
    let use1 = cut_off(d, "use1")?;
    let cut_ns = recorder.now_ns();
    // use1 keeps acknowledging on its lease for a while: those writes are what a forced
    // failover loses, and the test needs some.
    eventually("use1 acknowledges a write after the cut", WAIT, || async {
        let h = recorder.snapshot();
        Ok(acks(&h, "use1")
            .iter()
            .any(|(t, _)| *t > cut_ns)
            .then_some(()))
    })
    .await?;
    Ok((use1, cut_ns))
}

/// Forces a failover without a target through a node of euw1; returns that node, the
/// cluster promoted and the loss range the failover recorded.
async fn failover_without_a_target(d: &TestDeployment) -> Result<(NodeId, String, pb::LossRange)> {
    phase("a forced failover without a target, asked of a node in euw1");
    let via = d.cluster_ids("euw1")?[0];
    datastore(failover_with(d, via, "gds1", "", true).await)?;
    let done = wait_failover_done(d, via, "gds1").await?;
    let target = done.primary_cluster.clone();
    ensure!(target != "use1" && done.epoch == 2, "{}", view(&done));
    let old = member(&done, "use1").context("use1 is still a member")?;
    ensure!(
        old.role == "secondary" && old.rejoin_pending,
        "use1 waits to rejoin: {}",
        view(&done)
    );
    let loss = done
        .failover
        .as_ref()
        .and_then(|f| f.loss)
        .context("a forced failover records its loss range")?;
    ensure!(loss.epoch == 1 && loss.after_seq > 0, "{loss:?}");
    eprintln!(
        "    promoted {target} at seq {}; use1 last reported head {}",
        loss.after_seq, loss.reported_head
    );
    Ok((via, target, loss))
}

/// The old primary takes no write while cut off and, healed, rejoins as a secondary;
/// returns the writes it counted as discarded.
async fn use1_rejoins_and_counts_what_it_discards(
    d: &TestDeployment,
    via: NodeId,
    use1: &[NodeId],
) -> Result<u64> {
    phase("the old primary, still cut off, takes no write");
    for id in use1 {
        let line = resp_line(d.resp_addr(*id)?, &["SET", "late", "v"]).await?;
        ensure!(
            !line.starts_with("+OK"),
            "node {id} of use1 took a write: {line:?}"
        );
    }

    phase("heal: use1 rejoins as a secondary and counts what it discards");
    d.net().heal();
    let rejoined = wait_describe(d, via, "gds1", "use1 rejoined with its count", |ds| {
        let Some(ds) = ds else { return false };
        let counted = ds
            .failover
            .as_ref()
            .and_then(|f| f.loss.as_ref())
            .is_some_and(|l| l.discarded.is_some());
        counted && member(ds, "use1").is_some_and(|m| !m.rejoin_pending)
    })
    .await?
    .context("describe")?;
    let discarded = rejoined
        .failover
        .as_ref()
        .and_then(|f| f.loss.as_ref())
        .and_then(|l| l.discarded)
        .unwrap_or(0);
    for id in use1 {
        let line = resp_line(d.resp_addr(*id)?, &["SET", "late", "v"]).await?;
        ensure!(line.starts_with("-READONLY"), "node {id} of use1: {line:?}");
    }
    Ok(discarded)
}

/// One writer at a time; every acknowledged write survived or lies in the range use1
/// discarded, which holds exactly the writes use1 acknowledged there (and maybe some of
/// unknown outcome).
async fn check_the_history(
    d: &TestDeployment,
    history: &History,
    target: &str,
    loss: &pb::LossRange,
    discarded: u64,
) -> Result<()> {
    phase("check the history");
    let single = single_writer::check(history)?;
    ensure!(single.is_valid(), "{single}");
    let primary = setup::primary_writes(d, target).await?;
    let survived: FinalHistory = primary
        .iter()
        .map(|(seq, k, v)| (*seq, (k.clone(), *v)))
        .collect();
    let with_seqs = seqs_from_values(history, &primary);
    // Acknowledged by use1 past the seq the new primary started from: lost, and counted.
    let range = loss::LossRange {
        epoch: 1,
        from_seq: loss.after_seq + 1,
        to_seq: loss.after_seq + discarded,
    };
    let old_acks = acks(history, "use1");
    let lost_acks = old_acks
        .iter()
        .filter(|(_, seq)| seq.is_some_and(|s| range.contains(s)))
        .count() as u64;
    let unknown_on_use1 = history
        .events
        .iter()
        .filter(|e| e.kind == Kind::Info && e.cluster.as_deref() == Some("use1"))
        .count() as u64;
    ensure!(
        lost_acks > 0 && lost_acks <= discarded && discarded <= lost_acks + unknown_on_use1,
        "use1 discarded {discarded} writes; the history shows {lost_acks} acknowledged and {unknown_on_use1} of unknown outcome past seq {}",
        loss.after_seq
    );
    let checked = loss::check(&with_seqs, &survived, &[range])?;
    ensure!(checked.is_valid(), "{checked}");
    ensure!(
        checked.in_reported_ranges == lost_acks,
        "{} acknowledged writes missing inside the discarded range, but use1 acknowledged {lost_acks} there",
        checked.in_reported_ranges
    );
    eprintln!(
        "    {} writes acknowledged; use1 discarded {discarded} ({lost_acks} of them acknowledged)",
        checked.acknowledged
    );
    Ok(())
}

fn discarded_writes_are_in_files(
    d: &TestDeployment,
    use1: &[NodeId],
    discarded: u64,
) -> Result<()> {
    phase("the discarded writes are in a file on every node of use1, one line per seq");
    for id in use1 {
        let group = d.group(*id)?;
        let runs = group.sm().discarded();
        let counted: u64 = runs.iter().map(|r| r.count()).sum();
        ensure!(counted == discarded, "node {id} holds runs {runs:?}");
        let dir = d.data_dir(*id).join("discarded");
        let lines = count_lines(&dir)?;
        ensure!(
            lines == discarded,
            "node {id}: {lines} lines under {}",
            dir.display()
        );
    }
    Ok(())
}

async fn metrics_show_the_failover(
    d: &TestDeployment,
    use1: &[NodeId],
    target: &str,
    via: NodeId,
    discarded: u64,
) -> Result<()> {
    phase("metrics: use1's discarded writes and epoch; the voters' failover phase");
    for id in use1 {
        let body = scrape(d.node(*id)?.metrics_addr()).await?;
        ensure!(
            metric(&body, "meridian_discarded_writes") == Some(discarded as f64)
                && metric(&body, "meridian_epoch") == Some(2.0)
                && metric(&body, "meridian_lease_remaining_ms") == Some(0.0),
            "node {id}: {body}"
        );
    }
    let leader = d.wait_for_leader(target, WAIT).await?;
    eventually("the new primary's leader holds a lease", WAIT, || async {
        let body = scrape(d.node(leader)?.metrics_addr()).await?;
        Ok(metric(&body, "meridian_lease_remaining_ms").filter(|ms| *ms > 0.0))
    })
    .await?;
    let body = scrape(d.node(via)?.metrics_addr()).await?;
    let series = |name: &str, labels: &[&str], value: &str| {
        body.lines().any(|l| {
            l.starts_with(name)
                && labels.iter().all(|want| l.contains(want))
                && l.ends_with(&format!(" {value}"))
        })
    };
    ensure!(
        series(
            "meridian_failover_phase{",
            &["datastore=\"gds1\"", "phase=\"done\""],
            "1"
        ) && series("meridian_datastore_epoch{", &["datastore=\"gds1\""], "2"),
        "voter {via}: {body}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_primary_that_ignores_its_lease_is_caught_by_the_single_writer_checker() -> Result<()> {
    let mut opts = TestDeploymentOptions::default();
    opts.region_options.planted.skip_lease_check = true;
    let d = TestDeployment::start(opts).await?;
    datastore_with(&d, &["euw1", "aps1"]).await?;
    let recorder = Arc::new(Recorder::new(std::time::Instant::now()));
    let ctx = Ctx::new(recorder.clone(), d.net().clone(), 4, WRITING);
    let writers = spawn_writers(&d, &ctx, &["use1", "euw1", "aps1"], 7)?;
    eventually("writes acknowledged by use1", WAIT, || async {
        Ok((recorder.counts().ok > 20).then_some(()))
    })
    .await?;

    phase("planted bug: use1 ignores its lease; cut it off and force a failover to euw1");
    cut_off(&d, "use1")?;
    let via = d.cluster_ids("euw1")?[0];
    datastore(failover_with(&d, via, "gds1", "euw1", true).await)?;
    eventually(
        "both clusters acknowledge writes after the promotion",
        WAIT,
        || async {
            let h = recorder.snapshot();
            let newest = |c: &str| acks(&h, c).iter().map(|(t, _)| *t).max();
            let first_euw1 = acks(&h, "euw1").iter().map(|(t, _)| *t).min();
            Ok(match (first_euw1, newest("use1")) {
                (Some(first), Some(last)) if last > first => Some(()),
                _ => None,
            })
        },
    )
    .await?;
    writers.join_all().await;
    let single = single_writer::check(&recorder.snapshot())?;
    ensure!(
        !single.is_valid(),
        "the checker missed two writers: {single}"
    );
    // Either order may come first (use1 after euw1 took over, or euw1 after use1 wrote again).
    let text = single.to_string();
    ensure!(
        text.contains("use1") && text.contains("euw1") && !text.contains("aps1"),
        "the interleaving is not between the deposed primary and the new one: {single}"
    );
    eprintln!("    caught: {single}");
    d.net().heal();
    d.shutdown().await;
    Ok(())
}

/// `GET /metrics` of a node, as text.
async fn scrape(addr: SocketAddr) -> Result<String> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out)
}

/// The value of the one unlabelled-or-labelled series named `name` (the first found).
fn metric(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with(' ') || r.starts_with('{'))
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Lines in every file under `dir` (recursively).
fn count_lines(dir: &std::path::Path) -> Result<u64> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            n += count_lines(&path)?;
        } else {
            n += std::fs::read_to_string(&path)?.lines().count() as u64;
        }
    }
    Ok(n)
}
