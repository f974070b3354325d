//! Settings of the coordination group (`[coord]` in the deployment config).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meridian_config::CoordSettings;

/// Timing of the coordination group and of primary leases. WAN values by default: the voters
/// sit in different regions.
#[derive(Debug, Clone)]
pub struct CoordOptions {
    pub heartbeat_interval: Duration,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    /// Default lease length `D` (a primary may ask for another).
    pub lease: Duration,
    /// Bound `ε` on relative clock-rate drift, as a fraction.
    pub clock_drift_bound: f64,
    /// Added on top of `D × (1 + ε)` before a promotion.
    pub lease_margin: Duration,
    /// How long a call waits for a leader, a quorum round or a commit.
    pub request_timeout: Duration,
    /// Build a snapshot after this many log entries since the last one.
    pub snapshot_logs_since_last: u64,
    /// Timeout of one snapshot-install chunk (WAN).
    pub install_snapshot_timeout: Duration,
    /// The voter's clocks (grant stamps, election times): the process's own, except in tests.
    pub clock: meridian_types::Clock,
    /// How long a planned failover waits for its target to reach the old primary's final seq
    /// before it aborts and lifts the drain. Default 30 s.
    pub failover_catch_up: Duration,
    /// Tests only: a phase at which failover drivers stop until released.
    pub failover_hold: FailoverHold,
}

/// Tests only: makes every failover driver that shares it stop at one phase (by its name in
/// describe, e.g. `draining`) until released, so a test can crash the coordination leader
/// exactly there. Never set in production: the default holds nothing.
#[derive(Debug, Clone, Default)]
pub struct FailoverHold(Arc<Mutex<Option<String>>>);

impl FailoverHold {
    pub fn hold_at(&self, phase: &str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(phase.to_string());
    }

    pub fn release(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether a driver must not step past `phase` now.
    pub fn holds(&self, phase: &str) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(phase)
    }
}

impl Default for CoordOptions {
    fn default() -> Self {
        CoordOptions::from_settings(&CoordSettings::default())
    }
}

impl CoordOptions {
    /// From the deployment config's `[coord]` table.
    pub fn from_settings(s: &CoordSettings) -> CoordOptions {
        let election_max = Duration::from_millis(s.election_timeout_max_ms);
        CoordOptions {
            heartbeat_interval: Duration::from_millis(s.heartbeat_interval_ms),
            election_timeout_min: Duration::from_millis(s.election_timeout_min_ms),
            election_timeout_max: election_max,
            lease: Duration::from_millis(s.lease_ms),
            clock_drift_bound: s.clock_drift_bound,
            lease_margin: Duration::from_millis(s.lease_margin_ms),
            // Long enough for an election plus a few WAN round trips.
            request_timeout: (election_max * 3).max(Duration::from_secs(10)),
            snapshot_logs_since_last: 1_000,
            install_snapshot_timeout: Duration::from_secs(5),
            clock: meridian_types::Clock::system(),
            failover_catch_up: Duration::from_secs(30),
            failover_hold: FailoverHold::default(),
        }
    }

    /// `length × (1 + ε) + margin`: how long after a grant of `length` (or after an election)
    /// before another cluster may be promoted (DESIGN §5, rule 4).
    pub fn promotion_wait(&self, length: Duration) -> Duration {
        length.mul_f64(1.0 + self.clock_drift_bound.max(0.0)) + self.lease_margin
    }

    pub(crate) fn raft_config(&self) -> Result<openraft::Config, crate::CoordError> {
        let ms = |d: Duration| d.as_millis() as u64;
        openraft::Config {
            cluster_name: "coord".to_string(),
            heartbeat_interval: ms(self.heartbeat_interval),
            election_timeout_min: ms(self.election_timeout_min),
            election_timeout_max: ms(self.election_timeout_max),
            install_snapshot_timeout: ms(self.install_snapshot_timeout),
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_logs_since_last),
            max_in_snapshot_log_to_keep: 100,
            purge_batch_size: 64,
            ..Default::default()
        }
        .validate()
        .map_err(crate::CoordError::fatal)
    }
}
