//! Chaos runs on fixed seeds, one test per workload, each under every fault kind; and, for each
//! planted bug, a run that its checker must find invalid. A failing run prints its seed,
//! schedule and history location (`meridian-chaos` and `benches/chaos.sh` run many seeds).

use std::time::Duration;

use anyhow::{ensure, Result};
use meridian_chaos::{ChaosOptions, FaultKind, RunReport, Workload};
use meridian_types::PlantedBugs;

/// Seconds of faults per run; the suite stays within a few minutes on two cores.
const RUN: Duration = Duration::from_secs(12);

async fn run(opts: ChaosOptions) -> Result<RunReport> {
    let report = meridian_chaos::run(&opts).await?;
    eprintln!("{}", report.summary());
    Ok(report)
}

/// Every seed's run under every fault kind is valid, and faults and writes did happen.
async fn valid_under_faults(workload: Workload, seeds: [u64; 2]) -> Result<()> {
    for seed in seeds {
        let report = run(ChaosOptions {
            seed,
            duration: RUN,
            workload,
            ..ChaosOptions::default()
        })
        .await?;
        ensure!(report.valid(), "seed {seed}: {}", report.summary());
        ensure!(
            report.faults > 0 && report.ok > 100,
            "seed {seed}: too little happened: {}",
            report.summary()
        );
    }
    Ok(())
}

/// The run with `planted` is found invalid by `check`.
async fn caught(check: &str, planted: PlantedBugs, opts: ChaosOptions) -> Result<()> {
    let report = run(ChaosOptions {
        planted,
        duration: RUN,
        ..opts
    })
    .await?;
    let verdict = report
        .checks
        .iter()
        .find(|c| c.name == check)
        .map(|c| &c.verdict);
    ensure!(
        verdict.is_some_and(|v| v.is_invalid()),
        "the planted bug went unnoticed by {check}: {}",
        report.summary()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_stay_linearizable_under_every_fault() -> Result<()> {
    valid_under_faults(Workload::Register, [11, 12]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_append_transactions_show_no_anomaly_under_every_fault() -> Result<()> {
    valid_under_faults(Workload::ListAppend, [51, 52]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secondaries_show_prefixes_and_refuse_writes_under_every_fault() -> Result<()> {
    valid_under_faults(Workload::Shipping, [21, 22]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_linearizability_checker_catches_acknowledgement_before_commit() -> Result<()> {
    let planted = PlantedBugs {
        ack_before_commit: true,
        ..PlantedBugs::default()
    };
    let opts = ChaosOptions {
        seed: 31,
        workload: Workload::Register,
        ..ChaosOptions::default()
    };
    caught("linearizable", planted, opts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefix_checker_catches_shipped_batches_applied_out_of_order() -> Result<()> {
    let planted = PlantedBugs {
        ship_out_of_order: true,
        ..PlantedBugs::default()
    };
    let opts = ChaosOptions {
        seed: 41,
        workload: Workload::Shipping,
        // Secondaries may never converge with this bug: no need to wait the full minute.
        converge_within: Duration::from_secs(10),
        ..ChaosOptions::default()
    };
    caught("prefix", planted, opts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefix_checker_catches_a_write_dropped_from_snapshots() -> Result<()> {
    let planted = PlantedBugs {
        snapshot_drops_key: true,
        ..PlantedBugs::default()
    };
    let opts = ChaosOptions {
        seed: 61,
        workload: Workload::Shipping,
        // Nodes restart from their snapshots.
        faults: vec![FaultKind::Kill],
        converge_within: Duration::from_secs(10),
        ..ChaosOptions::default()
    };
    caught("prefix", planted, opts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_append_checker_catches_transactions_split_into_entries() -> Result<()> {
    let planted = PlantedBugs {
        split_transactions: true,
        ..PlantedBugs::default()
    };
    let opts = ChaosOptions {
        seed: 71,
        workload: Workload::ListAppend,
        ..ChaosOptions::default()
    };
    caught("list-append", planted, opts).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loss_checker_catches_writes_acknowledged_before_commit() -> Result<()> {
    let planted = PlantedBugs {
        ack_before_commit: true,
        ..PlantedBugs::default()
    };
    let opts = ChaosOptions {
        seed: 81,
        workload: Workload::Shipping,
        // A leader killed or cut off from its followers loses the writes it acknowledged
        // but never committed.
        faults: vec![FaultKind::Kill, FaultKind::Partition],
        ..ChaosOptions::default()
    };
    caught("no lost writes", planted, opts).await
}
