//! INFO text and the ROLE reply.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::resp::listener::Shared;
use crate::resp::replication_info::{info_fields, ReplicationFacts};

/// The Redis version Meridian reports (clients gate features on it).
pub(crate) const REDIS_VERSION: &str = "7.0.15";

/// Sections in the order Redis prints them; all of them are in the default set.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cluster",
    "keyspace",
];

/// `INFO [section …]`: `default`, `all`, `everything` or section names, case-insensitive;
/// unknown names select nothing (an empty string, as Redis answers).
pub(crate) async fn info_text(shared: &Shared, args: &[Bytes]) -> String {
    let wanted: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let all = wanted.is_empty()
        || wanted
            .iter()
            .any(|w| matches!(w.as_str(), "all" | "everything" | "default"));
    let mut out = String::new();
    for section in SECTIONS {
        if !all && !wanted.iter().any(|w| w == section) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = format!("{}{}", section[..1].to_ascii_uppercase(), &section[1..]);
        let _ = write!(out, "# {title}\r\n");
        if *section == "replication" {
            let facts = ReplicationFacts::gather(shared).await;
            for (k, v) in info_fields(shared, &facts) {
                let _ = write!(out, "{k}:{v}\r\n");
            }
            continue;
        }
        if *section == "keyspace" {
            out.push_str(&keyspace_lines(shared));
            continue;
        }
        for (k, v) in section_fields(shared, section) {
            let _ = write!(out, "{k}:{v}\r\n");
        }
    }
    out
}

fn section_fields(shared: &Shared, section: &str) -> Vec<(&'static str, String)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let uptime = shared.started.elapsed().as_secs();
    let settings = shared.settings();
    let group = &shared.group;
    let stats = &shared.stats;
    let f = |k: &'static str, v: String| (k, v);
    match section {
        "server" => vec![
            f("redis_version", REDIS_VERSION.into()),
            f("redis_git_sha1", "00000000".into()),
            f("redis_git_dirty", "0".into()),
            f("redis_build_id", "0".into()),
            f("redis_mode", "standalone".into()),
            f("os", std::env::consts::OS.into()),
            f("arch_bits", (usize::BITS).to_string()),
            f("multiplexing_api", "tokio".into()),
            f("process_id", std::process::id().to_string()),
            f("run_id", shared.run_id.clone()),
            f("tcp_port", shared.port.to_string()),
            f("server_time_usec", now.as_micros().to_string()),
            f("uptime_in_seconds", uptime.to_string()),
            f("uptime_in_days", (uptime / 86_400).to_string()),
            f("hz", "10".into()),
            f("executable", String::new()),
            f("config_file", String::new()),
            f("meridian_version", env!("CARGO_PKG_VERSION").into()),
            f("meridian_node_id", shared.node_id.to_string()),
            f("meridian_cluster", group.cluster().to_string()),
            f("meridian_region", shared.region.clone()),
        ],
        "clients" => vec![
            f("connected_clients", shared.clients.count().to_string()),
            f("cluster_connections", "0".into()),
            f("maxclients", settings.maxclients.to_string()),
            f("client_recent_max_input_buffer", "0".into()),
            f("client_recent_max_output_buffer", "0".into()),
            f(
                "blocked_clients",
                shared.blocked.load(Ordering::Relaxed).to_string(),
            ),
            f("tracking_clients", "0".into()),
            f("clients_in_timeout_table", "0".into()),
        ],
        "memory" => {
            let used = resident_bytes();
            vec![
                f("used_memory", used.to_string()),
                f("used_memory_human", human_bytes(used)),
                f("used_memory_rss", used.to_string()),
                f("used_memory_rss_human", human_bytes(used)),
                f("maxmemory", "0".into()),
                f("maxmemory_human", "0B".into()),
                f("maxmemory_policy", "noeviction".into()),
                f("mem_allocator", "libc".into()),
            ]
        }
        "persistence" => vec![
            f("loading", "0".into()),
            f("async_loading", "0".into()),
            f("rdb_changes_since_last_save", "0".into()),
            f("rdb_bgsave_in_progress", "0".into()),
            f("rdb_last_save_time", now.as_secs().to_string()),
            f("rdb_last_bgsave_status", "ok".into()),
            f("aof_enabled", "0".into()),
            f("aof_rewrite_in_progress", "0".into()),
            f("aof_last_write_status", "ok".into()),
            f(
                "meridian_raft_last_applied",
                group
                    .sm()
                    .last_applied()
                    .map(|l| l.index)
                    .unwrap_or(0)
                    .to_string(),
            ),
        ],
        "stats" => vec![
            f(
                "total_connections_received",
                stats
                    .connections_received
                    .load(Ordering::Relaxed)
                    .to_string(),
            ),
            f(
                "total_commands_processed",
                stats.commands_processed.load(Ordering::Relaxed).to_string(),
            ),
            f("instantaneous_ops_per_sec", "0".into()),
            f(
                "rejected_connections",
                stats
                    .rejected_connections
                    .load(Ordering::Relaxed)
                    .to_string(),
            ),
            f("expired_keys", "0".into()),
            f("evicted_keys", "0".into()),
            f("keyspace_hits", "0".into()),
            f("keyspace_misses", "0".into()),
        ],
        "cluster" => vec![f("cluster_enabled", "0".into())],
        _ => vec![],
    }
}

/// `# Keyspace`: one line per database that holds keys, as Redis writes them.
fn keyspace_lines(shared: &Shared) -> String {
    shared.group.sm().read(|dbs| {
        dbs.non_empty()
            .map(|(id, ks)| {
                let (keys, expires) = (ks.len(), ks.expires_count());
                format!("db{id}:keys={keys},expires={expires},avg_ttl=0\r\n")
            })
            .collect()
    })
}

/// Resident set size of this process (Linux), 0 when unknown.
/// The process's resident set size in bytes (Linux `/proc/self/statm`), 0 elsewhere: what
/// Meridian reports as `used_memory` and checks `maxmemory` against.
pub(crate) fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Redis `bytesToHuman`.
fn human_bytes(n: u64) -> String {
    let n = n as f64;
    let k = 1024.0;
    if n < k {
        format!("{n}B")
    } else if n < k * k {
        format!("{:.2}K", n / k)
    } else if n < k * k * k {
        format!("{:.2}M", n / (k * k))
    } else {
        format!("{:.2}G", n / (k * k * k))
    }
}
