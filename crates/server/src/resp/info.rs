//! INFO's text (the replication section's fields come from `replication_info`).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::resp::listener::Shared;
use crate::resp::replication_info::{info_fields, ReplicationFacts};

/// The Redis version Meridian reports (clients gate features on it).
pub(crate) const REDIS_VERSION: &str = "7.0.15";

/// The process's allocator as INFO's `mem_allocator` names it, set by [`set_mem_allocator`].
static MEM_ALLOCATOR: OnceLock<&'static str> = OnceLock::new();

/// Names the process's global allocator for INFO's `mem_allocator`, in Redis's form
/// (`jemalloc-5.3.0`, `libc`). The binary that installs a global allocator calls it once at
/// start; the first call wins. Without a call the field reads `libc`: Rust's default, the
/// system malloc (as in tests, which run nodes inside their own process).
pub fn set_mem_allocator(name: &'static str) {
    let _ = MEM_ALLOCATOR.set(name);
}

fn mem_allocator() -> &'static str {
    MEM_ALLOCATOR.get().copied().unwrap_or("libc")
}

/// Sections in the order Redis prints them, with their titles and whether they are in Redis's
/// default set (INFO without arguments, `INFO default`).
const SECTIONS: &[(&str, &str, bool)] = &[
    ("server", "Server", true),
    ("clients", "Clients", true),
    ("memory", "Memory", true),
    ("persistence", "Persistence", true),
    ("stats", "Stats", true),
    ("replication", "Replication", true),
    ("cpu", "CPU", true),
    // Also selected by `modules`; Meridian has none, so it is only the title.
    ("module_list", "Modules", true),
    ("commandstats", "Commandstats", false),
    ("errorstats", "Errorstats", true),
    ("latencystats", "Latencystats", false),
    ("cluster", "Cluster", true),
    ("keyspace", "Keyspace", true),
];

/// Redis's `genInfoSectionDict`: no argument is the default set, `default` adds it, `all`
/// and `everything` take every section; other names (case-insensitive) select one section,
/// and unknown ones nothing.
struct Selection {
    all: bool,
    names: Vec<String>,
}

impl Selection {
    fn parse(args: &[Bytes]) -> Selection {
        let defaults = || SECTIONS.iter().filter(|s| s.2).map(|s| s.0.to_string());
        let mut selection = Selection {
            all: false,
            names: Vec::new(),
        };
        if args.is_empty() {
            selection.names.extend(defaults());
        }
        for arg in args {
            let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
            match name.as_str() {
                "default" => selection.names.extend(defaults()),
                "all" | "everything" => selection.all = true,
                _ => selection.names.push(name),
            }
        }
        selection
    }

    fn wants(&self, section: &str) -> bool {
        self.all
            || self
                .names
                .iter()
                .any(|n| n == section || (section == "module_list" && n == "modules"))
    }
}

/// `INFO [section …]`, as Redis writes it.
pub(crate) async fn info_text(shared: &Shared, args: &[Bytes]) -> String {
    let selection = Selection::parse(args);
    let mut out = String::new();
    for (section, title, _) in SECTIONS {
        if !selection.wants(section) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let _ = write!(out, "# {title}\r\n");
        match *section {
            "replication" => {
                let facts = ReplicationFacts::gather(shared).await;
                for (k, v) in info_fields(shared, &facts) {
                    let _ = write!(out, "{k}:{v}\r\n");
                }
            }
            "keyspace" => out.push_str(&keyspace_lines(shared)),
            "commandstats" => shared.intro.command_stats().write_commandstats(&mut out),
            "errorstats" => shared.intro.command_stats().write_errorstats(&mut out),
            "latencystats" => latency_lines(shared, &mut out),
            _ => {
                for (k, v) in section_fields(shared, section) {
                    let _ = write!(out, "{k}:{v}\r\n");
                }
            }
        }
    }
    out
}

/// `# Latencystats`: when `latency-tracking` is on, the percentiles that
/// `latency-tracking-info-percentiles` names for every command with calls.
fn latency_lines(shared: &Shared, out: &mut String) {
    let (tracking, percentiles) = {
        let stored = shared
            .config_stored
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let tracking = stored.get("latency-tracking").is_none_or(|v| v == "yes");
        let percentiles = stored
            .get("latency-tracking-info-percentiles")
            .map_or_else(|| "50 99 99.9".to_string(), Clone::clone);
        (tracking, percentiles)
    };
    if tracking {
        let percentiles: Vec<&str> = percentiles.split_whitespace().collect();
        shared
            .intro
            .command_stats()
            .write_latencystats(out, &percentiles);
    }
}

/// The `field:value` lines of a section that has no writer of its own.
fn section_fields(shared: &Shared, section: &str) -> Vec<(&'static str, String)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    match section {
        "server" => server_fields(shared, now),
        "clients" => client_fields(shared),
        "memory" => memory_fields(),
        "persistence" => persistence_fields(shared, now),
        "stats" => stats_fields(shared),
        "cpu" => cpu_fields(),
        "cluster" => vec![("cluster_enabled", "0".into())],
        _ => vec![],
    }
}

/// `# Server`; `now` is the time since the Unix epoch.
fn server_fields(shared: &Shared, now: Duration) -> Vec<(&'static str, String)> {
    let uptime = shared.started.elapsed().as_secs();
    let f = |k: &'static str, v: String| (k, v);
    vec![
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
        f("meridian_cluster", shared.group.cluster().to_string()),
        f("meridian_region", shared.region.clone()),
    ]
}

/// `# Clients`.
fn client_fields(shared: &Shared) -> Vec<(&'static str, String)> {
    let settings = shared.settings();
    let f = |k: &'static str, v: String| (k, v);
    vec![
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
    ]
}

/// `# Memory`.
fn memory_fields() -> Vec<(&'static str, String)> {
    let f = |k: &'static str, v: String| (k, v);
    let used = resident_bytes();
    vec![
        f("used_memory", used.to_string()),
        f("used_memory_human", human_bytes(used)),
        f("used_memory_rss", used.to_string()),
        f("used_memory_rss_human", human_bytes(used)),
        f("maxmemory", "0".into()),
        f("maxmemory_human", "0B".into()),
        f("maxmemory_policy", "noeviction".into()),
        f("mem_allocator", mem_allocator().into()),
    ]
}

/// `# Persistence`; `now` is the time since the Unix epoch.
fn persistence_fields(shared: &Shared, now: Duration) -> Vec<(&'static str, String)> {
    let f = |k: &'static str, v: String| (k, v);
    vec![
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
            shared
                .group
                .sm()
                .last_applied()
                .map(|l| l.index)
                .unwrap_or(0)
                .to_string(),
        ),
    ]
}

/// `# Stats`.
fn stats_fields(shared: &Shared) -> Vec<(&'static str, String)> {
    let stats = &shared.stats;
    let (channels, patterns, shard) = shared.pubsub.counts();
    let f = |k: &'static str, v: String| (k, v);
    vec![
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
        f("pubsub_channels", channels.to_string()),
        f("pubsub_patterns", patterns.to_string()),
        f("pubsubshard_channels", shard.to_string()),
        f(
            "client_output_buffer_limit_disconnections",
            shared
                .pubsub
                .disconnections
                .load(Ordering::Relaxed)
                .to_string(),
        ),
        f(
            "total_error_replies",
            shared
                .intro
                .command_stats()
                .total_error_replies()
                .to_string(),
        ),
    ]
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

/// Linux reports CPU times in `USER_HZ` ticks, 100 a second on the architectures it runs on.
const TICKS_PER_SEC: u64 = 100;

/// `# CPU`, Redis's `getrusage` figures read from `/proc` (zeros elsewhere): the process, its
/// waited-for children, and as `main_thread` the thread serving this INFO (commands run on
/// any of the runtime's worker threads; Redis runs them all on its main thread).
fn cpu_fields() -> Vec<(&'static str, String)> {
    let [user, sys, children_user, children_sys] = cpu_ticks("/proc/self/stat");
    let [thread_user, thread_sys, _, _] = cpu_ticks("/proc/thread-self/stat");
    vec![
        ("used_cpu_sys", cpu_seconds(sys)),
        ("used_cpu_user", cpu_seconds(user)),
        ("used_cpu_sys_children", cpu_seconds(children_sys)),
        ("used_cpu_user_children", cpu_seconds(children_user)),
        ("used_cpu_sys_main_thread", cpu_seconds(thread_sys)),
        ("used_cpu_user_main_thread", cpu_seconds(thread_user)),
    ]
}

/// `utime stime cutime cstime` (fields 14 to 17 of proc(5)'s `stat`), 0 when unknown.
fn cpu_ticks(path: &str) -> [u64; 4] {
    parse_cpu_ticks(&std::fs::read_to_string(path).unwrap_or_default())
}

fn parse_cpu_ticks(text: &str) -> [u64; 4] {
    // The command name (field 2) may hold spaces and parentheses: count from the last `)`,
    // which leaves field 3 first.
    let rest = text.rsplit_once(')').map_or("", |(_, rest)| rest);
    let mut ticks = rest
        .split_whitespace()
        .skip(11)
        .map(|f| f.parse::<i64>().map_or(0, |t| t.max(0) as u64));
    std::array::from_fn(|_| ticks.next().unwrap_or(0))
}

/// Redis's `%ld.%06ld` of a `timeval`.
fn cpu_seconds(ticks: u64) -> String {
    let micros = ticks.saturating_mul(1_000_000 / TICKS_PER_SEC);
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Selection {
        let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        Selection::parse(&args)
    }

    fn chosen(selection: &Selection) -> Vec<&'static str> {
        SECTIONS
            .iter()
            .filter(|s| selection.wants(s.0))
            .map(|s| s.1)
            .collect()
    }

    #[test]
    fn sections_are_chosen_as_redis_chooses_them() {
        // redis-server 7.0.15: `INFO` and `INFO default`.
        let default = [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace",
        ];
        assert_eq!(chosen(&parse(&[])), default);
        assert_eq!(chosen(&parse(&["default"])), default);
        assert_eq!(chosen(&parse(&["everything"])).len(), SECTIONS.len());
        assert_eq!(chosen(&parse(&["cpu", "ALL"])).len(), SECTIONS.len());
        assert_eq!(chosen(&parse(&["commandSTATS"])), ["Commandstats"]);
        assert_eq!(chosen(&parse(&["modules", "cpu"])), ["CPU", "Modules"]);
        assert!(chosen(&parse(&["sentinel"])).is_empty());
        let with_cpu = chosen(&parse(&["cpu", "default"]));
        assert_eq!(with_cpu, default);
    }

    #[test]
    fn cpu_times_come_from_proc_stat_fields_14_to_17() {
        // A command name with spaces and a parenthesis, as proc(5) allows.
        let stat = "1234 (tokio (rt) x) S 1 1234 1234 0 -1 4194560 2000 0 0 0 \
                    331 104 7 -1 20 0 9 0 100 0";
        assert_eq!(parse_cpu_ticks(stat), [331, 104, 7, 0]);
        assert_eq!(parse_cpu_ticks(""), [0, 0, 0, 0]);
        assert_eq!(cpu_seconds(331), "3.310000");
        assert_eq!(cpu_seconds(0), "0.000000");
        let fields = cpu_fields();
        let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
        assert_eq!(
            names,
            [
                "used_cpu_sys",
                "used_cpu_user",
                "used_cpu_sys_children",
                "used_cpu_user_children",
                "used_cpu_sys_main_thread",
                "used_cpu_user_main_thread"
            ]
        );
    }
}
