//! Applies a schedule to a running deployment: each fault at its offset, healed after its
//! hold. Faults act through the transport's fault network and the testkit's kill/restart only.

use std::time::Duration;

use anyhow::{Context, Result};
use meridian_testkit::TestDeployment;
use meridian_transport::{Delay, Lossy};
use tokio::time::Instant;
use tracing::info;

use crate::schedule::{ClockChange, Fault, Step};

/// Runs `steps` from `start`; returns how many faults were applied.
pub async fn run(d: &mut TestDeployment, steps: &[Step], start: Instant) -> Result<usize> {
    let mut applied = 0;
    for step in steps {
        tokio::time::sleep_until(start + Duration::from_millis(step.at_ms)).await;
        let fault = resolve(d, &step.fault)
            .await
            .with_context(|| format!("resolving {:?}", step.fault))?;
        info!(at_ms = step.at_ms, fault = ?fault, "nemesis: fault");
        apply(d, &fault)
            .await
            .with_context(|| format!("applying {fault:?}"))?;
        applied += 1;
        tokio::time::sleep(Duration::from_millis(step.hold_ms)).await;
        heal(d, &fault)
            .await
            .with_context(|| format!("healing {fault:?}"))?;
        info!("nemesis: healed");
    }
    Ok(applied)
}

/// How long a leader-targeted fault waits for the cluster to have a leader.
const LEADER_WAIT: Duration = Duration::from_secs(10);

/// `fault` with a leader-targeted fault turned into the node fault it is now (the schedule
/// names the role; who holds it depends on the run's timing).
async fn resolve(d: &TestDeployment, fault: &Fault) -> Result<Fault> {
    Ok(match fault {
        Fault::KillLeader { cluster } => Fault::Kill {
            node: d.wait_for_leader(cluster, LEADER_WAIT).await?,
        },
        Fault::IsolateLeader { cluster } => {
            let leader = d.wait_for_leader(cluster, LEADER_WAIT).await?;
            let followers = d
                .cluster_ids(cluster)?
                .into_iter()
                .filter(|n| *n != leader)
                .collect();
            Fault::Partition {
                what: format!("{cluster}'s leader {leader} from its followers"),
                a: vec![leader],
                b: followers,
            }
        }
        other => other.clone(),
    })
}

async fn apply(d: &mut TestDeployment, fault: &Fault) -> Result<()> {
    let net = d.net().clone();
    match fault {
        Fault::Partition { a, b, .. } => net.partition(a, b),
        Fault::OneWay { from, to } => {
            for f in from {
                for t in to {
                    net.cut_one_way(*f, *t);
                }
            }
        }
        Fault::Pause { node } => net.pause(*node),
        Fault::Kill { node } => d.kill(*node).await?,
        Fault::KillLeader { .. } | Fault::IsolateLeader { .. } => {
            anyhow::bail!("a leader-targeted fault is applied once resolved")
        }
        Fault::Delay {
            a,
            b,
            base_ms,
            jitter_ms,
        } => net.delay(
            a,
            b,
            Delay {
                base: Duration::from_millis(*base_ms),
                jitter: Duration::from_millis(*jitter_ms),
            },
        ),
        Fault::Loss {
            nodes,
            drop,
            duplicate,
        } => net.lossy(
            nodes,
            nodes,
            Lossy {
                drop: *drop,
                duplicate: *duplicate,
            },
        ),
        Fault::Clock { node, change } => {
            let clock = d.clock(*node)?;
            match *change {
                ClockChange::SkewWall { ms } => clock.skew_wall(ms),
                ClockChange::Jump { ms } => clock.jump(Duration::from_millis(ms)),
                ClockChange::Drift { ppm } => clock.drift(ppm),
            }
        }
    }
    Ok(())
}

/// Undoes `fault`: the network is healed whole (one fault at a time), a killed node restarts,
/// a node's clocks return to real time (a forward jump of the monotonic clock stays).
pub async fn heal(d: &mut TestDeployment, fault: &Fault) -> Result<()> {
    d.net().heal();
    match fault {
        Fault::Kill { node } => d.restart(*node).await?,
        Fault::Clock { node, .. } => d.clock(*node)?.reset(),
        _ => {}
    }
    Ok(())
}
