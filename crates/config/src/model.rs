//! The TOML schema of a deployment: plain data with serde defaults, no behaviour beyond
//! small derived values (addresses, durations).

use crate::security::{SecurityConfig, TlsConfig};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// One deployment: every cluster that knows each other, the coordination voters, the shared
/// Raft/limit/coordination settings, and the global datastores to create at bootstrap.
///
/// Build it with [`DeploymentConfig::load`] or [`DeploymentConfig::from_toml_str`], then
/// [`DeploymentConfig::apply_env`] and [`DeploymentConfig::validate`] (or all three at once
/// with [`DeploymentConfig::open`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentConfig {
    /// Root directory for node state; node `N` stores under `<data_dir>/node-N`.
    /// A relative path in the file resolves against the config file's directory (after
    /// loading this is always resolved). Default: `"data"`. Env: `MERIDIAN_DATA_DIR`.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Directory for node log files. Relative paths resolve like `data_dir`.
    /// Default: unset, meaning `<data_dir>/logs` (see [`DeploymentConfig::log_dir`]).
    /// Env: `MERIDIAN_LOG_DIR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<PathBuf>,
    /// Timing and log compaction of every regional Raft group. Default: see [`RaftSettings`].
    #[serde(default)]
    pub raft: RaftSettings,
    /// Size limits on keys, values, messages and the replication backlog.
    /// Default: see [`Limits`].
    #[serde(default)]
    pub limits: Limits,
    /// Cross-region log shipping: batch sizes and timing. Default: see [`ReplicationSettings`].
    #[serde(default)]
    pub replication: ReplicationSettings,
    /// Timing of the coordination group and of primary leases.
    /// Default: see [`CoordSettings`].
    #[serde(default)]
    pub coord: CoordSettings,
    /// Settings of every node's RESP (Redis protocol) listener, named after the Redis
    /// parameters they mirror. Default: see [`RespConfig`].
    #[serde(default)]
    pub resp: RespConfig,
    /// The clusters (regional Raft groups) of the deployment; at least one is required.
    /// Default: none (refused by validation).
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
    /// Coordination-only nodes that hold no data, e.g. a tie-breaker in a third region.
    /// Every witness is a coordination voter. Default: none.
    #[serde(default)]
    pub witnesses: Vec<WitnessConfig>,
    /// Global datastores that `meridian up` creates at bootstrap. Default: none.
    #[serde(default)]
    pub global_datastores: Vec<GlobalDatastoreConfig>,
    /// TLS on the nodes' ports. Default: unset (every port plaintext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// The cluster secret of internal calls made without TLS. Default: see
    /// [`SecurityConfig`].
    #[serde(default)]
    pub security: SecurityConfig,
}

/// Settings shared by every regional Raft group (mapped onto `openraft::Config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftSettings {
    /// Leader heartbeat period, in milliseconds. Must be below `election_timeout_min_ms`.
    /// Default: 50. Env: `MERIDIAN_RAFT_HEARTBEAT_INTERVAL_MS`.
    pub heartbeat_interval_ms: u64,
    /// Lower bound of the randomized election timeout, in milliseconds. Default: 200 (the
    /// nodes of a cluster share a region; a killed leader is replaced in under a second).
    pub election_timeout_min_ms: u64,
    /// Upper bound (exclusive) of the randomized election timeout, in milliseconds.
    /// Must exceed `election_timeout_min_ms`. Default: 400.
    pub election_timeout_max_ms: u64,
    /// Take a snapshot after this many log entries since the last one, in entries.
    /// Default: 20000.
    pub snapshot_logs_since_last: u64,
    /// Log entries kept behind a snapshot so slightly lagging followers avoid a snapshot
    /// install, in entries. Default: 1000.
    pub max_in_snapshot_log_to_keep: u64,
    /// Timeout of one snapshot-install RPC chunk, in milliseconds. Default: 2000.
    pub install_snapshot_timeout_ms: u64,
    /// Most log entries sent in one AppendEntries RPC, in entries. Default: 300.
    pub max_payload_entries: u64,
}

impl Default for RaftSettings {
    fn default() -> Self {
        RaftSettings {
            heartbeat_interval_ms: 50,
            election_timeout_min_ms: 200,
            election_timeout_max_ms: 400,
            snapshot_logs_since_last: 20_000,
            max_in_snapshot_log_to_keep: 1_000,
            install_snapshot_timeout_ms: 2_000,
            max_payload_entries: 300,
        }
    }
}

/// Size limits. A request over a limit is refused with an error and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest key, in bytes. Default: 536870912 (512 MiB, as Redis).
    pub max_key_bytes: u64,
    /// Largest value (a string, or one element of a collection), in bytes.
    /// Default: 536870912 (512 MiB, as Redis's `proto-max-bulk-len`).
    pub max_value_bytes: u64,
    /// Largest gRPC message sent or received, in bytes; set explicitly on every server and
    /// client. Default: 67108864 (64 MiB).
    pub grpc_max_message_bytes: u64,
    /// Size of the replication backlog (`seq → op`) kept for secondaries to resume from, in
    /// bytes; a secondary further behind gets a full sync. Default: 67108864 (64 MiB).
    pub backlog_max_bytes: u64,
    /// Most secondary clusters in one global datastore, in clusters. Default: 4.
    pub max_secondaries_per_datastore: u64,
}

/// Cross-region log shipping (`[replication]`). The backlog's size is `limits.backlog_max_bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicationSettings {
    /// Most bytes of ops shipped in one batch (one message, one Raft entry on the
    /// secondary). Default: 1048576 (1 MiB).
    pub batch_bytes: u64,
    /// Most bytes of keys in one full-sync chunk. Default: 1048576 (1 MiB).
    pub sync_chunk_bytes: u64,
    /// Heartbeat on an idle shipping stream, in ms. Default: 200.
    pub heartbeat_ms: u64,
    /// A secondary that hears nothing from its source for this long subscribes again, in ms;
    /// must exceed `heartbeat_ms`. Default: 3000.
    pub idle_timeout_ms: u64,
}

impl Default for ReplicationSettings {
    fn default() -> Self {
        ReplicationSettings {
            batch_bytes: MIB,
            sync_chunk_bytes: MIB,
            heartbeat_ms: 200,
            idle_timeout_ms: 3000,
        }
    }
}

/// 1 MiB in bytes.
const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_key_bytes: 512 * MIB,
            max_value_bytes: 512 * MIB,
            grpc_max_message_bytes: 64 * MIB,
            backlog_max_bytes: 64 * MIB,
            max_secondaries_per_datastore: 4,
        }
    }
}

/// Settings of the RESP listener of every node (`[resp]`). `CONFIG SET` may change them on
/// one running node; the file gives the starting values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RespConfig {
    /// Redis `requirepass`: the password clients must give with `AUTH` (or `HELLO … AUTH
    /// default <password>`). Default: unset (no password). Env: `MERIDIAN_RESP_REQUIREPASS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirepass: Option<String>,
    /// Redis `proto-max-bulk-len`: the longest bulk argument a client may send, in bytes;
    /// a longer one is a protocol error that closes the connection. Default: 536870912
    /// (512 MiB).
    pub proto_max_bulk_len: u64,
    /// Redis `client-query-buffer-limit`: bytes of not-yet-complete requests a node buffers
    /// for one client before closing its connection. Default: 1073741824 (1 GiB).
    pub client_query_buffer_limit: u64,
    /// Redis `maxclients`: RESP connections per node at most, in connections. Default: 10000.
    pub maxclients: u64,
    /// Redis `databases`: how many numbered databases clients may `SELECT` (0 to n-1), from
    /// 1 to 65536. Default: 16. Env: `MERIDIAN_RESP_DATABASES`.
    pub databases: u32,
}

impl Default for RespConfig {
    fn default() -> Self {
        RespConfig {
            requirepass: None,
            proto_max_bulk_len: 512 * MIB,
            client_query_buffer_limit: 1024 * MIB,
            maxclients: 10_000,
            databases: 16,
        }
    }
}

/// Settings of the coordination group and of the primary's write lease (DESIGN.md §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoordSettings {
    /// Length `D` of a primary's write lease, in milliseconds. Must be above 0.
    /// Default: 4000. Env: `MERIDIAN_COORD_LEASE_MS`.
    pub lease_ms: u64,
    /// Bound `ε` on relative clock-rate drift between nodes, as a fraction (0.05 = 5 %).
    /// Must be in `[0, 1)`. Default: 0.05.
    pub clock_drift_bound: f64,
    /// Extra wait added on top of `lease_ms × (1 + clock_drift_bound)` before promoting
    /// another cluster, in milliseconds. Default: 500.
    pub lease_margin_ms: u64,
    /// Coordination leader heartbeat period, in milliseconds. Must be below
    /// `election_timeout_min_ms`. Default: 250.
    pub heartbeat_interval_ms: u64,
    /// Lower bound of the coordination group's election timeout, in milliseconds.
    /// Default: 750 (three heartbeats; a new coordination leader is elected within the lease
    /// a killed primary leader's followers inherited).
    pub election_timeout_min_ms: u64,
    /// Upper bound (exclusive) of the coordination group's election timeout, in
    /// milliseconds. Default: 1500.
    pub election_timeout_max_ms: u64,
}

impl Default for CoordSettings {
    fn default() -> Self {
        CoordSettings {
            lease_ms: 4_000,
            clock_drift_bound: 0.05,
            lease_margin_ms: 500,
            heartbeat_interval_ms: 250,
            election_timeout_min_ms: 750,
            election_timeout_max_ms: 1_500,
        }
    }
}

impl CoordSettings {
    /// The lease length `D`.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }

    /// How long a promoter (or a newly elected coordination leader) waits after the last
    /// lease grant it knows of before promoting another cluster:
    /// `D × (1 + ε) + margin`, rounded up to the millisecond (DESIGN.md §5, rule 4).
    pub fn promotion_wait(&self) -> Duration {
        let stretched = (self.lease_ms as f64 * (1.0 + self.clock_drift_bound)).ceil() as u64;
        Duration::from_millis(stretched.saturating_add(self.lease_margin_ms))
    }
}

/// One cluster: a named regional Raft group of nodes in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Cluster name, unique in the deployment: 1 to 32 of `a-z`, `0-9`, `-`. Required.
    pub name: String,
    /// Region label, e.g. `"us-east-1"`: 1 to 32 of `a-z`, `0-9`, `-`. Required.
    pub region: String,
    /// The nodes of the cluster's Raft group: any count ≥ 1 (an empty list is refused by
    /// validation). Default: none.
    #[serde(default)]
    pub nodes: Vec<NodeConfig>,
}

/// One data node (`meridian node` process) of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Node id, ≥ 1 and unique across all clusters and witnesses. Required.
    pub id: u64,
    /// Host name or IP address the node listens on and peers dial.
    /// Default: `"127.0.0.1"`.
    #[serde(default = "default_host")]
    pub host: String,
    /// gRPC port (client API, admin, Raft and shipping RPCs). Required, 1-65535.
    pub grpc_port: u16,
    /// RESP (Redis protocol) port. Required, 1-65535.
    pub resp_port: u16,
    /// Prometheus metrics HTTP port. Required, 1-65535.
    pub metrics_port: u16,
    /// RESP port speaking TLS (Redis's `tls-port`), next to the plaintext `resp_port`; needs
    /// `[tls]`. Default: unset (no RESP over TLS on this node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resp_tls_port: Option<u16>,
    /// Whether this node is also a voter of the coordination group. Default: false.
    #[serde(default)]
    pub coord: bool,
}

/// A coordination-only node: a voter of the coordination group with no cluster and no data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessConfig {
    /// Node id, ≥ 1 and unique across all clusters and witnesses. Required.
    pub id: u64,
    /// Region label the witness runs in, e.g. `"us-west-2"`. Required.
    pub region: String,
    /// Host name or IP address. Default: `"127.0.0.1"`.
    #[serde(default = "default_host")]
    pub host: String,
    /// gRPC port (coordination Raft RPCs). Required, 1-65535.
    pub grpc_port: u16,
    /// Prometheus metrics HTTP port. Required, 1-65535.
    pub metrics_port: u16,
}

/// A global datastore to create at bootstrap: one primary cluster and its secondaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalDatastoreConfig {
    /// Datastore id, unique in the deployment: 1 to 32 of `a-z`, `0-9`, `-`. Required.
    pub id: String,
    /// Name of the cluster that takes writes. Required.
    pub primary: String,
    /// Names of the read-only secondary clusters, each in a region of its own.
    /// Default: none (a primary-only datastore).
    #[serde(default)]
    pub secondaries: Vec<String>,
    /// Free text shown by `meridian global describe`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl GlobalDatastoreConfig {
    /// Primary first, then the secondaries in file order.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary.as_str()).chain(self.secondaries.iter().map(String::as_str))
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

fn default_host() -> String {
    "127.0.0.1".to_string()
}

/// `host:port`, with IPv6 literals bracketed (`[::1]:7401`).
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl NodeConfig {
    /// `host:grpc_port`.
    pub fn grpc_addr(&self) -> String {
        host_port(&self.host, self.grpc_port)
    }

    /// `host:resp_port`.
    pub fn resp_addr(&self) -> String {
        host_port(&self.host, self.resp_port)
    }

    /// `host:metrics_port`.
    pub fn metrics_addr(&self) -> String {
        host_port(&self.host, self.metrics_port)
    }

    /// `host:resp_tls_port`, when the node has one.
    pub fn resp_tls_addr(&self) -> Option<String> {
        self.resp_tls_port.map(|p| host_port(&self.host, p))
    }
}

impl WitnessConfig {
    /// `host:grpc_port`.
    pub fn grpc_addr(&self) -> String {
        host_port(&self.host, self.grpc_port)
    }

    /// `host:metrics_port`.
    pub fn metrics_addr(&self) -> String {
        host_port(&self.host, self.metrics_port)
    }
}
