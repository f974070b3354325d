//! The fault schedule: drawn from the seed alone, so the same seed replays the same faults at
//! the same offsets. One fault at a time, each held for a while and then healed, with quiet
//! gaps between them (the system must recover, not only survive).

use std::time::Duration;

use meridian_types::NodeId;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::options::FaultKind;

/// The deployment a schedule is drawn for.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Clusters in order, with their node ids; the first is the primary.
    pub clusters: Vec<(String, Vec<NodeId>)>,
    pub voters: Vec<NodeId>,
}

impl Topology {
    pub fn all(&self) -> Vec<NodeId> {
        self.clusters
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect()
    }

    fn except(&self, out: &[NodeId]) -> Vec<NodeId> {
        self.all()
            .into_iter()
            .filter(|n| !out.contains(n))
            .collect()
    }
}

/// One fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Every link between `a` and `b` cut both ways.
    Partition {
        what: String,
        a: Vec<NodeId>,
        b: Vec<NodeId>,
    },
    /// Every link from a node of `from` to a node of `to` cut (the reverse direction works).
    OneWay {
        from: Vec<NodeId>,
        to: Vec<NodeId>,
    },
    Pause {
        node: NodeId,
    },
    Kill {
        node: NodeId,
    },
    /// Whichever node leads `cluster` when the fault starts, stopped abruptly.
    KillLeader {
        cluster: String,
    },
    /// Whichever node leads `cluster` when the fault starts, cut off from the other nodes of
    /// its cluster both ways; clients and the other clusters still reach it, so it may take
    /// writes it can never commit.
    IsolateLeader {
        cluster: String,
    },
    Delay {
        a: Vec<NodeId>,
        b: Vec<NodeId>,
        base_ms: u64,
        jitter_ms: u64,
    },
    Loss {
        nodes: Vec<NodeId>,
        drop: f64,
        duplicate: f64,
    },
    Clock {
        node: NodeId,
        change: ClockChange,
    },
}

/// What a clock fault does to one node's clocks (undone at heal, but for a jump).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ClockChange {
    /// The wall clock set this far from real time (negative: behind).
    SkewWall { ms: i64 },
    /// Both clocks jump forward.
    Jump { ms: u64 },
    /// The monotonic clock runs fast or slow, in parts per million.
    Drift { ppm: i64 },
}

/// Largest drift drawn: the coordination group's default bound (`clock_drift_bound` 0.05).
const MAX_DRIFT_PPM: i64 = 50_000;

/// A fault applied at `at_ms` after the clients start and healed `hold_ms` later.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub at_ms: u64,
    pub hold_ms: u64,
    pub fault: Fault,
}

/// The schedule for `seed`: faults of `kinds` over `duration`, the first after a warm-up.
pub fn draw(seed: u64, duration: Duration, kinds: &[FaultKind], topo: &Topology) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5c4e_d01e);
    let end = duration.as_millis() as u64;
    let mut at = 1_000;
    let mut steps = Vec::new();
    while let Some(&kind) = kinds.choose(&mut rng) {
        let hold_ms = rng.random_range(800..3_000);
        if at + hold_ms + 500 > end {
            break;
        }
        steps.push(Step {
            at_ms: at,
            hold_ms,
            fault: fault(kind, &mut rng, topo),
        });
        at += hold_ms + rng.random_range(500..1_500);
    }
    steps
}

fn fault(kind: FaultKind, rng: &mut StdRng, topo: &Topology) -> Fault {
    let all = topo.all();
    let node = *all.choose(rng).unwrap_or(&1);
    let (name, cluster) = topo.clusters.choose(rng).cloned().unwrap_or_default();
    let primary = topo
        .clusters
        .first()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    match kind {
        FaultKind::Partition if rng.random_ratio(1, 4) => Fault::IsolateLeader { cluster: primary },
        FaultKind::Partition => partition(rng, topo, node, &name, &cluster),
        FaultKind::Pause => Fault::Pause { node },
        FaultKind::Kill if rng.random_ratio(1, 3) => Fault::KillLeader { cluster: primary },
        FaultKind::Kill => Fault::Kill { node },
        FaultKind::Delay => Fault::Delay {
            b: topo.except(&cluster),
            a: cluster,
            base_ms: rng.random_range(20..150),
            jitter_ms: rng.random_range(0..40),
        },
        FaultKind::Loss => Fault::Loss {
            nodes: cluster,
            drop: rng.random_range(0.05..0.3),
            duplicate: rng.random_range(0.05..0.3),
        },
        FaultKind::Clock => Fault::Clock {
            node,
            change: match rng.random_range(0..3) {
                0 => ClockChange::SkewWall {
                    ms: rng.random_range(-60_000..60_000),
                },
                1 => ClockChange::Jump {
                    ms: rng.random_range(100..5_000),
                },
                _ => ClockChange::Drift {
                    ppm: rng.random_range(-MAX_DRIFT_PPM..=MAX_DRIFT_PPM),
                },
            },
        },
    }
}

fn partition(
    rng: &mut StdRng,
    topo: &Topology,
    node: NodeId,
    name: &str,
    cluster: &[NodeId],
) -> Fault {
    match rng.random_range(0..5) {
        0 => Fault::Partition {
            what: format!("node {node} from everyone"),
            a: vec![node],
            b: topo.except(&[node]),
        },
        1 => Fault::Partition {
            what: format!("region {name} from the others"),
            a: cluster.to_vec(),
            b: topo.except(cluster),
        },
        2 => Fault::Partition {
            what: format!("region {name} from the coordination voters"),
            a: cluster.to_vec(),
            b: topo
                .voters
                .iter()
                .copied()
                .filter(|v| !cluster.contains(v))
                .collect(),
        },
        3 => {
            let mut all = topo.all();
            all.shuffle(rng);
            let minority = all.split_off(all.len() / 2 + 1);
            Fault::Partition {
                what: "random majority / minority".into(),
                a: all,
                b: minority,
            }
        }
        _ => Fault::OneWay {
            from: vec![node],
            to: topo.except(&[node]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        Topology {
            clusters: vec![
                ("use1".into(), vec![1, 2, 3]),
                ("euw1".into(), vec![4, 5, 6]),
            ],
            voters: vec![1, 4],
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_schedule() {
        let d = Duration::from_secs(30);
        let a = draw(7, d, &FaultKind::ALL, &topo());
        assert_eq!(a, draw(7, d, &FaultKind::ALL, &topo()));
        assert_ne!(a, draw(8, d, &FaultKind::ALL, &topo()));
        assert!(a.len() >= 5, "a 30 s run holds several faults: {a:?}");
    }

    #[test]
    fn faults_do_not_overlap_and_end_before_the_run() {
        let d = Duration::from_secs(20);
        for seed in 0..50 {
            let steps = draw(seed, d, &[FaultKind::Kill, FaultKind::Partition], &topo());
            for pair in steps.windows(2) {
                assert!(pair[0].at_ms + pair[0].hold_ms < pair[1].at_ms);
            }
            if let Some(last) = steps.last() {
                assert!(last.at_ms + last.hold_ms < 20_000);
            }
        }
    }

    #[test]
    fn only_the_asked_kinds_are_drawn() {
        let steps = draw(3, Duration::from_secs(60), &[FaultKind::Pause], &topo());
        assert!(steps.iter().all(|s| matches!(s.fault, Fault::Pause { .. })));
    }
}
