use std::path::PathBuf;
use std::time::Duration;

use meridian_types::PlantedBugs;
use serde::Serialize;

/// A kind of fault the schedule may draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Symmetric and one-way partitions: a node from everyone, a region from the others, a
    /// region from the coordination voters, a random majority/minority split, one-way cuts.
    Partition,
    /// A node's traffic held, then delivered when it resumes.
    Pause,
    /// A node stopped abruptly, then restarted on its data.
    Kill,
    /// Latency and jitter between a region and the others.
    Delay,
    /// Raft messages dropped and duplicated inside a region.
    Loss,
    /// A node's clocks: wall clock skewed, both clocks jumped forward, or the monotonic rate
    /// drifting within the coordination group's drift bound.
    Clock,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Partition,
        FaultKind::Pause,
        FaultKind::Kill,
        FaultKind::Delay,
        FaultKind::Loss,
        FaultKind::Clock,
    ];
}

/// What the clients do, and so which checkers judge the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// GET / SET / INCR / compare-and-set (WATCH + MULTI) on a few keys of the primary, over
    /// RESP and gRPC: checked for linearizability per key.
    Register,
    /// MULTI / EXEC transactions of RPUSH and LRANGE on the primary (Elle's list-append):
    /// checked for lost, duplicated and reordered appends and dependency cycles.
    ListAppend,
    /// SET of unique values on the primary, multi-key reads on every secondary node (RESP
    /// READONLY and gRPC LOCAL), writes tried on secondaries: checked for prefix order,
    /// monotonic sessions, no lost acknowledged write and no write accepted by a secondary.
    Shipping,
}

/// One chaos run.
#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// Draws the fault schedule, the clients' choices and the network's jitter and loss.
    pub seed: u64,
    /// How long clients run under faults (healing and checking come after).
    pub duration: Duration,
    pub faults: Vec<FaultKind>,
    pub workload: Workload,
    /// Keys the clients share.
    pub keys: usize,
    /// Clients per node the workload talks to (RESP and gRPC alternate).
    pub clients_per_node: usize,
    /// Where a failing run writes its seed, schedule and history (`None`: a temp dir that is
    /// kept and printed).
    pub out_dir: Option<PathBuf>,
    /// Deliberate bugs, to show the checkers catch them.
    pub planted: PlantedBugs,
    /// How long healing may take before the run counts as not converged.
    pub converge_within: Duration,
}

impl Default for ChaosOptions {
    fn default() -> Self {
        ChaosOptions {
            seed: 1,
            duration: Duration::from_secs(20),
            faults: FaultKind::ALL.to_vec(),
            workload: Workload::Register,
            keys: 4,
            clients_per_node: 2,
            out_dir: None,
            planted: PlantedBugs::default(),
            converge_within: Duration::from_secs(60),
        }
    }
}
