use std::time::Duration;

/// Shipping settings (`[replication]` in the deployment config).
#[derive(Debug, Clone)]
pub struct ShipOptions {
    /// Most bytes of ops in one shipped batch (one message, one Raft entry on the secondary).
    pub batch_bytes: u64,
    /// Most bytes of keys in one full-sync chunk (one Raft entry on the secondary).
    pub sync_chunk_bytes: u64,
    /// How often an idle stream carries a heartbeat with the primary's seq.
    pub heartbeat: Duration,
    /// A subscriber that hears nothing for this long drops the stream and subscribes again.
    pub idle_timeout: Duration,
    /// Message size limit on the shipping channel (the node's gRPC limit).
    pub max_message_bytes: usize,
}

impl Default for ShipOptions {
    fn default() -> Self {
        ShipOptions {
            batch_bytes: 1024 * 1024,
            sync_chunk_bytes: 1024 * 1024,
            heartbeat: Duration::from_millis(200),
            idle_timeout: Duration::from_secs(3),
            max_message_bytes: 64 * 1024 * 1024,
        }
    }
}
