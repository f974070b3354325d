//! One chaos run: deployment, schedule, clients, heal, convergence, checks, verdict.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use meridian_history::{History, Recorder, Verdict};
use meridian_testkit::TestDeployment;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::checks::{self, Check};
use crate::client::{GrpcClient, RespClient};
use crate::options::{ChaosOptions, Workload};
use crate::schedule::{self, Step};
use crate::setup::{self, PRIMARY, SECONDARIES};
use crate::workload::{list_append, register, shipping, Ctx, Session};

/// What a run found.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub seed: u64,
    pub workload: Workload,
    pub duration_ms: u64,
    pub ops: u64,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    pub faults: usize,
    /// Shipping workload: the largest staleness of a secondary read, in ms (see
    /// `staleness`).
    pub max_staleness_ms: Option<u64>,
    pub checks: Vec<Check>,
    /// Where the seed, schedule and history were written (failing runs, or when asked).
    pub artifacts: Option<PathBuf>,
}

impl RunReport {
    pub fn valid(&self) -> bool {
        self.checks.iter().all(|c| c.verdict.is_valid())
    }

    /// One line per check, after a summary line.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "seed {} workload {:?}: {} — {} ops (ok {}, fail {}, info {}), {} faults in {} ms",
            self.seed,
            self.workload,
            if self.valid() { "VALID" } else { "INVALID" },
            self.ops,
            self.ok,
            self.fail,
            self.info,
            self.faults,
            self.duration_ms
        );
        if let Some(ms) = self.max_staleness_ms {
            s.push_str(&format!(", secondary reads at most {ms} ms stale"));
        }
        for c in &self.checks {
            s.push_str(&format!("\n  {:<22} {}", c.name, c.verdict));
        }
        if let Some(dir) = &self.artifacts {
            s.push_str(&format!(
                "\n  seed, schedule and history in {}",
                dir.display()
            ));
        }
        s
    }
}

/// Runs `opts` and judges the history. Errors are failures of the harness itself (the
/// deployment did not start); a system that misbehaves yields an invalid report.
pub async fn run(opts: &ChaosOptions) -> Result<RunReport> {
    let mut d = setup::deployment(opts).await?;
    let steps = schedule::draw(
        opts.seed,
        opts.duration,
        &opts.faults,
        &setup::topology(&d)?,
    );
    let recorder = Arc::new(Recorder::new(std::time::Instant::now()));
    let ctx = Ctx::new(recorder.clone(), d.net().clone(), opts.keys, opts.duration);
    let start = ctx.start;
    let clients = spawn_clients(&d, &ctx, opts)?;
    let nemesis = crate::nemesis::run(&mut d, &steps, start).await;
    clients.join_all().await;
    let faults = nemesis.context("running the fault schedule")?;

    let converged = setup::converge(&mut d, PRIMARY, opts.converge_within).await;
    final_reads(&d, &ctx, opts.workload).await?;
    let history = recorder.snapshot();
    let (mut checks, max_staleness_ms) = checks::judge(opts.workload, &history, &d).await;
    checks.push(Check::new(
        "convergence",
        match &converged {
            Ok(()) => Verdict::Valid,
            Err(e) => Verdict::Invalid(format!("{e:#}")),
        },
    ));
    let counts = recorder.counts();
    let mut report = RunReport {
        seed: opts.seed,
        workload: opts.workload,
        duration_ms: start.elapsed().as_millis() as u64,
        ops: counts.invoke,
        ok: counts.ok,
        fail: counts.fail,
        info: counts.info,
        faults,
        max_staleness_ms,
        checks,
        artifacts: None,
    };
    if !report.valid() || opts.out_dir.is_some() {
        report.artifacts = Some(write_artifacts(opts, &steps, &history, &report)?);
    }
    d.shutdown().await;
    Ok(report)
}

fn spawn_clients(d: &TestDeployment, ctx: &Ctx, opts: &ChaosOptions) -> Result<JoinSet<()>> {
    let mut set = JoinSet::new();
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        (ctx.faults(n), opts.seed.wrapping_mul(1_000).wrapping_add(n))
    };
    for t in setup::targets(d, PRIMARY)? {
        for i in 0..opts.clients_per_node {
            let (faults, seed) = next();
            let s = Session::new(ctx.clone(), t.clone());
            match (opts.workload, i % 2) {
                (Workload::Register, 0) => set.spawn(register::resp_client(
                    s,
                    RespClient::new(faults, t.clone(), false),
                    seed,
                )),
                (Workload::Register, _) => set.spawn(register::grpc_client(
                    s,
                    GrpcClient::new(faults, t.clone())?,
                    seed,
                )),
                (Workload::ListAppend, _) => set.spawn(list_append::client(
                    s,
                    RespClient::new(faults, t.clone(), false),
                    seed,
                )),
                (Workload::Shipping, 0) => set.spawn(shipping::resp_writer(
                    s,
                    RespClient::new(faults, t.clone(), false),
                    seed,
                    10,
                )),
                (Workload::Shipping, _) => set.spawn(shipping::grpc_writer(
                    s,
                    GrpcClient::new(faults, t.clone())?,
                    seed,
                )),
            };
        }
    }
    if opts.workload == Workload::Shipping {
        for cluster in SECONDARIES {
            for (j, t) in setup::targets(d, cluster)?.into_iter().enumerate() {
                let (faults, seed) = next();
                let s = Session::new(ctx.clone(), t.clone());
                if j % 2 == 0 {
                    set.spawn(shipping::resp_reader(
                        s,
                        RespClient::new(faults, t.clone(), true),
                        seed,
                    ));
                } else {
                    set.spawn(shipping::grpc_reader(
                        s,
                        GrpcClient::new(faults, t.clone())?,
                        seed,
                    ));
                }
                if j == 0 {
                    // Writes sent to a secondary: every one must be refused.
                    let (faults, seed) = next();
                    let s = Session::new(ctx.clone(), t.clone());
                    let c = RespClient::new(faults, t, false);
                    set.spawn(shipping::resp_writer(s, c, seed, 200));
                }
            }
        }
    }
    Ok(set)
}

/// After convergence: the register and list-append workloads read every key on the primary;
/// the shipping workload reads the whole state on every node (local reads). Recorded like any
/// other op.
async fn final_reads(d: &TestDeployment, ctx: &Ctx, workload: Workload) -> Result<()> {
    let mut n = 10_000;
    match workload {
        Workload::ListAppend => {
            for t in setup::targets(d, PRIMARY)?.into_iter().take(1) {
                let mut s = Session::new(ctx.clone(), t.clone());
                let mut c = RespClient::new(ctx.faults(n), t, false);
                list_append::final_reads(&mut s, &mut c).await;
            }
        }
        Workload::Register => {
            for t in setup::targets(d, PRIMARY)?.into_iter().take(1) {
                let mut s = Session::new(ctx.clone(), t.clone());
                let mut c = GrpcClient::new(ctx.faults(n), t)?;
                register::final_reads(&mut s, &mut c).await;
            }
        }
        Workload::Shipping => {
            for cluster in std::iter::once(PRIMARY).chain(SECONDARIES) {
                for t in setup::targets(d, cluster)? {
                    n += 1;
                    let mut s = Session::new(ctx.clone(), t.clone());
                    let mut c = RespClient::new(ctx.faults(n), t, true);
                    shipping::resp_read_state(&mut s, &mut c).await;
                }
            }
        }
    }
    Ok(())
}

fn write_artifacts(
    opts: &ChaosOptions,
    steps: &[Step],
    history: &History,
    report: &RunReport,
) -> Result<PathBuf> {
    let dir = match &opts.out_dir {
        Some(dir) => dir.join(format!("seed-{}", opts.seed)),
        None => std::env::temp_dir().join(format!(
            "meridian-chaos-{:?}-seed-{}-{}",
            opts.workload,
            opts.seed,
            std::process::id()
        )),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_json(&dir.join("schedule.json"), &steps)?;
    write_json(&dir.join("report.json"), report)?;
    let file = std::fs::File::create(dir.join("history.jsonl"))
        .with_context(|| format!("creating {}/history.jsonl", dir.display()))?;
    history
        .write_jsonl(std::io::BufWriter::new(file))
        .context("writing the history")?;
    std::fs::write(
        dir.join("replay.txt"),
        format!(
            "meridian-chaos --seed {} --duration {}s --workload {:?} --faults {}\n",
            opts.seed,
            opts.duration.as_secs(),
            opts.workload,
            opts.faults
                .iter()
                .map(|f| format!("{f:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(",")
        )
        .to_lowercase(),
    )?;
    Ok(dir)
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
