use std::time::Duration;

/// Settings of a regional group (see `[raft]` and `[limits]` in the deployment config).
#[derive(Debug, Clone)]
pub struct RegionOptions {
    pub heartbeat_interval: Duration,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    /// Build a snapshot after this many log entries since the last one.
    pub snapshot_logs_since_last: u64,
    /// Log entries kept after a snapshot (followers a little behind catch up from the log).
    pub max_in_snapshot_log_to_keep: u64,
    pub install_snapshot_timeout: Duration,
    pub max_payload_entries: u64,
    /// Replication backlog size in bytes.
    pub backlog_max_bytes: u64,
    /// How long a write or read waits for a leader, a read index or a min_seq.
    pub request_timeout: Duration,
    /// How often the leader looks for keys past their TTL.
    pub active_expiry_interval: Duration,
    /// Keys deleted per active-expiry entry at most.
    pub active_expiry_batch: usize,
    /// Tests only: deliberate bugs that chaos tests plant to prove their checkers (see
    /// [`meridian_types::PlantedBugs`]). Off by default; no config file can set them.
    pub planted: meridian_types::PlantedBugs,
    /// The node's clocks: the process's own, except in tests that skew them.
    pub clock: meridian_types::Clock,
    /// The server's command table for `ACL SETUSER` rules applied in the group's state machine
    /// (see `meridian_storage::StorageOptions::acl_commands`). Default: empty.
    pub acl_commands: std::sync::Arc<Vec<meridian_acl::CommandInfo>>,
}

impl Default for RegionOptions {
    fn default() -> Self {
        RegionOptions {
            heartbeat_interval: Duration::from_millis(50),
            election_timeout_min: Duration::from_millis(200),
            election_timeout_max: Duration::from_millis(400),
            snapshot_logs_since_last: 20_000,
            max_in_snapshot_log_to_keep: 1_000,
            install_snapshot_timeout: Duration::from_millis(2_000),
            max_payload_entries: 300,
            backlog_max_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(5),
            active_expiry_interval: Duration::from_millis(100),
            active_expiry_batch: 500,
            planted: meridian_types::PlantedBugs::default(),
            clock: meridian_types::Clock::system(),
            acl_commands: std::sync::Arc::default(),
        }
    }
}

impl RegionOptions {
    pub(crate) fn raft_config(&self, cluster: &str) -> Result<openraft::Config, crate::ErrorCause> {
        let ms = |d: Duration| d.as_millis() as u64;
        openraft::Config {
            cluster_name: cluster.to_string(),
            heartbeat_interval: ms(self.heartbeat_interval),
            election_timeout_min: ms(self.election_timeout_min),
            election_timeout_max: ms(self.election_timeout_max),
            install_snapshot_timeout: ms(self.install_snapshot_timeout),
            max_payload_entries: self.max_payload_entries,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_logs_since_last),
            max_in_snapshot_log_to_keep: self.max_in_snapshot_log_to_keep,
            purge_batch_size: 256,
            ..Default::default()
        }
        .validate()
        .map_err(crate::ErrorCause::new)
    }
}
