//! Chaos runs on fixed seeds, one test per workload, each under every fault kind; and, for each
//! checker, a run with a planted bug that the checker must catch. A failing run prints its
//! seed, schedule and history location (see `meridian-chaos`, which runs many seeds).

use std::time::Duration;

use anyhow::{ensure, Result};
use meridian_chaos::{ChaosOptions, FaultKind, RunReport, Workload};
use meridian_types::PlantedBugs;

/// Seconds of faults per run; the suite stays within a few minutes on two cores.
const RUN: Duration = Duration::from_secs(12);

async fn run(workload: Workload, seed: u64, planted: PlantedBugs) -> Result<RunReport> {
    run_with(workload, seed, planted, Duration::from_secs(60)).await
}

async fn run_with(
    workload: Workload,
    seed: u64,
    planted: PlantedBugs,
    converge_within: Duration,
) -> Result<RunReport> {
    let opts = ChaosOptions {
        seed,
        duration: RUN,
        workload,
        planted,
        converge_within,
        ..ChaosOptions::default()
    };
    let report = meridian_chaos::run(&opts).await?;
    eprintln!("{}", report.summary());
    Ok(report)
}

fn verdict_of<'a>(report: &'a RunReport, check: &str) -> Option<&'a meridian_history::Verdict> {
    report
        .checks
        .iter()
        .find(|c| c.name == check)
        .map(|c| &c.verdict)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_stay_linearizable_under_every_fault() -> Result<()> {
    for seed in [11, 12] {
        let report = run(Workload::Register, seed, PlantedBugs::default()).await?;
        ensure!(report.valid(), "seed {seed}: {}", report.summary());
        ensure!(
            report.faults > 0 && report.ok > 100,
            "seed {seed}: too little happened"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_append_transactions_show_no_anomaly_under_every_fault() -> Result<()> {
    for seed in [51, 52] {
        let report = run(Workload::ListAppend, seed, PlantedBugs::default()).await?;
        ensure!(report.valid(), "seed {seed}: {}", report.summary());
        ensure!(
            report.faults > 0 && report.ok > 100,
            "seed {seed}: too little happened"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secondaries_show_prefixes_and_refuse_writes_under_every_fault() -> Result<()> {
    for seed in [21, 22] {
        let report = run(Workload::Shipping, seed, PlantedBugs::default()).await?;
        ensure!(report.valid(), "seed {seed}: {}", report.summary());
        ensure!(
            report.faults > 0 && report.ok > 100,
            "seed {seed}: too little happened"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_linearizability_checker_catches_acknowledgement_before_commit() -> Result<()> {
    let planted = PlantedBugs {
        ack_before_commit: true,
        ..PlantedBugs::default()
    };
    let report = run(Workload::Register, 31, planted).await?;
    let verdict = verdict_of(&report, "linearizable");
    ensure!(
        verdict.is_some_and(|v| v.is_invalid()),
        "the planted bug went unnoticed: {}",
        report.summary()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefix_checker_catches_shipped_batches_applied_out_of_order() -> Result<()> {
    let planted = PlantedBugs {
        ship_out_of_order: true,
        ..PlantedBugs::default()
    };
    // Secondaries may never converge with this bug: no need to wait the full minute.
    let report = run_with(Workload::Shipping, 41, planted, Duration::from_secs(10)).await?;
    let verdict = verdict_of(&report, "prefix");
    ensure!(
        verdict.is_some_and(|v| v.is_invalid()),
        "the planted bug went unnoticed: {}",
        report.summary()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefix_checker_catches_a_write_dropped_from_snapshots() -> Result<()> {
    let planted = PlantedBugs {
        snapshot_drops_key: true,
        ..PlantedBugs::default()
    };
    let opts = ChaosOptions {
        seed: 61,
        duration: RUN,
        workload: Workload::Shipping,
        // Nodes restart from their snapshots.
        faults: vec![FaultKind::Kill],
        planted,
        converge_within: Duration::from_secs(10),
        ..ChaosOptions::default()
    };
    let report = meridian_chaos::run(&opts).await?;
    eprintln!("{}", report.summary());
    ensure!(
        verdict_of(&report, "prefix").is_some_and(|v| v.is_invalid()),
        "the planted bug went unnoticed: {}",
        report.summary()
    );
    Ok(())
}
