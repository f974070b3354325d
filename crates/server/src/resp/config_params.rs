//! The table of every Redis 7.0.15 configuration parameter (`standardConfig static_configs[]`
//! in Redis's `config.c`, TLS ones included as in Debian's build): name, alias, flags, kind with
//! its bounds, and the value a Meridian node reports before any `CONFIG SET`. One row per
//! parameter, in Redis's order, so the table reads against config.c line by line.

/// Redis `IMMUTABLE_CONFIG`: `can't set immutable config`.
pub(crate) const IMM: u8 = 1;
/// Redis `PROTECTED_CONFIG` (with `enable-protected-configs no`): `can't set protected config`.
pub(crate) const PROT: u8 = 2;
/// Redis `HIDDEN_CONFIG`: left out of glob matches, found only by its exact name.
pub(crate) const HID: u8 = 4;
/// Settable on Redis but fixed on Meridian, where the deployment file owns the listener
/// (`port`, `bind`, `tls-port`): setting the current value is a no-op, any other is refused
/// as immutable.
pub(crate) const FIXED: u8 = 8;

/// How a numeric parameter's text is read and shown (Redis `num_conf_flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Int,
    /// `MEMORY_CONFIG`: `1gb`, `10k`, … (`memtoull`), shown in bytes.
    Mem,
    /// `MEMORY_CONFIG | PERCENT_CONFIG`: also `N%`, stored as `-N`.
    MemPercent,
    /// `OCTAL_CONFIG`.
    Octal,
}

/// A numeric parameter: inclusive bounds and whether Redis stores it unsigned (which changes
/// how a negative input is bounds-checked and the bounds are printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Num {
    pub min: i128,
    pub max: i128,
    pub unsigned: bool,
    pub unit: Unit,
}

/// The kind of a parameter, which decides how a `CONFIG SET` value is checked and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Str,
    Num(Num),
    /// One name out of the list; GET shows the first name with the same value.
    Enum(&'static [(&'static str, u32)]),
    /// Several names, OR-ed (Redis `MULTI_ARG_CONFIG` enums: `shutdown-on-sig*`).
    Flags(&'static [(&'static str, u32)]),
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyTrackingInfoPercentiles,
}

/// One configuration parameter.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    /// The Redis 6 name still accepted (`slave-*`, `*-ziplist-*`, `lua-time-limit`), or "".
    pub alias: &'static str,
    pub flags: u8,
    pub kind: Kind,
    /// What GET shows until a SET; Redis's default except where Meridian differs (`save`,
    /// `databases`, `daemonize`, `pidfile`, `bind`; `port` and `dir` are read live).
    pub default: &'static str,
}

const fn p(
    name: &'static str,
    alias: &'static str,
    flags: u8,
    kind: Kind,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind,
        default,
    }
}
const fn signed(min: i128, max: i128, unit: Unit) -> Kind {
    Kind::Num(Num {
        min,
        max,
        unsigned: false,
        unit,
    })
}
const fn unsigned(min: i128, max: i128, unit: Unit) -> Kind {
    Kind::Num(Num {
        min,
        max,
        unsigned: true,
        unit,
    })
}

const I32MIN: i128 = i32::MIN as i128;
const I32MAX: i128 = i32::MAX as i128;
const U32MAX: i128 = u32::MAX as i128;
const I64MAX: i128 = i64::MAX as i128;
const U64MAX: i128 = u64::MAX as i128;
const MIB: i128 = 1024 * 1024;

type Names = &'static [(&'static str, u32)];
const MAXMEMORY_POLICY: Names = &[
    ("volatile-lru", 1),
    ("volatile-lfu", 2),
    ("volatile-random", 3),
    ("volatile-ttl", 4),
    ("allkeys-lru", 5),
    ("allkeys-lfu", 6),
    ("allkeys-random", 7),
    ("noeviction", 8),
];
const SYSLOG_FACILITY: Names = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const LOGLEVEL: Names = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED_MODE: Names = &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)];
const AOF_FSYNC: Names = &[("everysec", 2), ("always", 1), ("no", 0)];
const SHUTDOWN_ON_SIG: Names = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];
const REPL_DISKLESS_LOAD: Names = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: Names = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: Names = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: Names = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: Names = &[("no", 0), ("yes", 1), ("clients", 2)];
const PROTECTED_ACTION: Names = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_PREFERRED_ENDPOINT_TYPE: Names =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: Names = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

use Kind::*;
use Unit::*;

/// Every parameter, in config.c's order.
#[rustfmt::skip]
pub(crate) const PARAMS: &[Param] = &[
    p("rdbchecksum", "", IMM, Bool, "yes"),
    p("daemonize", "", IMM, Bool, "no"),
    p("io-threads-do-reads", "", IMM, Bool, "no"),
    p("always-show-logo", "", IMM, Bool, "no"),
    p("protected-mode", "", 0, Bool, "yes"),
    p("rdbcompression", "", 0, Bool, "yes"),
    p("rdb-del-sync-files", "", 0, Bool, "no"),
    p("activerehashing", "", 0, Bool, "yes"),
    p("stop-writes-on-bgsave-error", "", 0, Bool, "yes"),
    p("set-proc-title", "", IMM, Bool, "yes"),
    p("dynamic-hz", "", 0, Bool, "yes"),
    p("lazyfree-lazy-eviction", "", 0, Bool, "no"),
    p("lazyfree-lazy-expire", "", 0, Bool, "no"),
    p("lazyfree-lazy-server-del", "", 0, Bool, "no"),
    p("lazyfree-lazy-user-del", "", 0, Bool, "no"),
    p("lazyfree-lazy-user-flush", "", 0, Bool, "no"),
    p("repl-disable-tcp-nodelay", "", 0, Bool, "no"),
    p("repl-diskless-sync", "", 0, Bool, "yes"),
    p("aof-rewrite-incremental-fsync", "", 0, Bool, "yes"),
    p("no-appendfsync-on-rewrite", "", 0, Bool, "no"),
    p("cluster-require-full-coverage", "", 0, Bool, "yes"),
    p("rdb-save-incremental-fsync", "", 0, Bool, "yes"),
    p("aof-load-truncated", "", 0, Bool, "yes"),
    p("aof-use-rdb-preamble", "", 0, Bool, "yes"),
    p("aof-timestamp-enabled", "", 0, Bool, "no"),
    p("cluster-replica-no-failover", "cluster-slave-no-failover", 0, Bool, "no"),
    p("replica-lazy-flush", "slave-lazy-flush", 0, Bool, "no"),
    p("replica-serve-stale-data", "slave-serve-stale-data", 0, Bool, "yes"),
    p("replica-read-only", "slave-read-only", 0, Bool, "yes"),
    p("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, Bool, "yes"),
    p("jemalloc-bg-thread", "", 0, Bool, "yes"),
    p("activedefrag", "", 0, Bool, "no"),
    p("syslog-enabled", "", IMM, Bool, "no"),
    p("cluster-enabled", "", IMM, Bool, "no"),
    p("appendonly", "", 0, Bool, "no"),
    p("cluster-allow-reads-when-down", "", 0, Bool, "no"),
    p("cluster-allow-pubsubshard-when-down", "", 0, Bool, "yes"),
    p("crash-log-enabled", "", 0, Bool, "yes"),
    p("crash-memcheck-enabled", "", 0, Bool, "yes"),
    p("use-exit-on-panic", "", HID, Bool, "no"),
    p("disable-thp", "", IMM, Bool, "yes"),
    p("cluster-allow-replica-migration", "", 0, Bool, "yes"),
    p("replica-announced", "", 0, Bool, "yes"),
    p("latency-tracking", "", 0, Bool, "yes"),
    p("aof-disable-auto-gc", "", 0, Bool, "no"),
    p("replica-ignore-disk-write-errors", "", 0, Bool, "no"),
    p("aclfile", "", IMM, Str, ""),
    p("unixsocket", "", IMM, Str, ""),
    p("pidfile", "", IMM, Str, ""),
    p("replica-announce-ip", "slave-announce-ip", 0, Str, ""),
    p("masteruser", "", 0, Str, ""),
    p("cluster-announce-ip", "", 0, Str, ""),
    p("cluster-config-file", "", IMM, Str, "nodes.conf"),
    p("cluster-announce-hostname", "", 0, Str, ""),
    p("syslog-ident", "", IMM, Str, "redis"),
    p("dbfilename", "", PROT, Str, "dump.rdb"),
    p("appendfilename", "", IMM, Str, "appendonly.aof"),
    p("appenddirname", "", IMM, Str, "appendonlydir"),
    p("server_cpulist", "", IMM, Str, ""),
    p("bio_cpulist", "", IMM, Str, ""),
    p("aof_rewrite_cpulist", "", IMM, Str, ""),
    p("bgsave_cpulist", "", IMM, Str, ""),
    p("ignore-warnings", "", 0, Str, ""),
    p("proc-title-template", "", 0, Str, "{title} {listen-addr} {server-mode}"),
    p("bind-source-addr", "", 0, Str, ""),
    p("logfile", "", IMM, Str, ""),
    p("masterauth", "", 0, Str, ""),
    p("requirepass", "", 0, Str, ""),
    p("supervised", "", IMM, Enum(SUPERVISED_MODE), "no"),
    p("syslog-facility", "", IMM, Enum(SYSLOG_FACILITY), "local0"),
    p("repl-diskless-load", "", 0, Enum(REPL_DISKLESS_LOAD), "disabled"),
    p("loglevel", "", 0, Enum(LOGLEVEL), "notice"),
    p("maxmemory-policy", "", 0, Enum(MAXMEMORY_POLICY), "noeviction"),
    p("appendfsync", "", 0, Enum(AOF_FSYNC), "everysec"),
    p("oom-score-adj", "", 0, Enum(OOM_SCORE_ADJ), "no"),
    p("acl-pubsub-default", "", 0, Enum(ACL_PUBSUB_DEFAULT), "resetchannels"),
    p("sanitize-dump-payload", "", 0, Enum(SANITIZE_DUMP_PAYLOAD), "no"),
    p("enable-protected-configs", "", IMM, Enum(PROTECTED_ACTION), "no"),
    p("enable-debug-command", "", IMM, Enum(PROTECTED_ACTION), "no"),
    p("enable-module-command", "", IMM, Enum(PROTECTED_ACTION), "no"),
    p("cluster-preferred-endpoint-type", "", 0, Enum(CLUSTER_PREFERRED_ENDPOINT_TYPE), "ip"),
    p("propagation-error-behavior", "", 0, Enum(PROPAGATION_ERROR_BEHAVIOR), "ignore"),
    p("shutdown-on-sigint", "", 0, Flags(SHUTDOWN_ON_SIG), "default"),
    p("shutdown-on-sigterm", "", 0, Flags(SHUTDOWN_ON_SIG), "default"),
    p("databases", "", IMM, signed(1, I32MAX, Int), "16"),
    p("port", "", FIXED, signed(0, 65535, Int), "6379"),
    p("io-threads", "", IMM, signed(1, 128, Int), "1"),
    p("auto-aof-rewrite-percentage", "", 0, signed(0, I32MAX, Int), "100"),
    p("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, signed(0, I32MAX, Int), "10"),
    p("list-max-listpack-size", "list-max-ziplist-size", 0, signed(I32MIN, I32MAX, Int), "-2"),
    p("tcp-keepalive", "", 0, signed(0, I32MAX, Int), "300"),
    p("cluster-migration-barrier", "", 0, signed(0, I32MAX, Int), "1"),
    p("active-defrag-cycle-min", "", 0, signed(1, 99, Int), "1"),
    p("active-defrag-cycle-max", "", 0, signed(1, 99, Int), "25"),
    p("active-defrag-threshold-lower", "", 0, signed(0, 1000, Int), "10"),
    p("active-defrag-threshold-upper", "", 0, signed(0, 1000, Int), "100"),
    p("lfu-log-factor", "", 0, signed(0, I32MAX, Int), "10"),
    p("lfu-decay-time", "", 0, signed(0, I32MAX, Int), "1"),
    p("replica-priority", "slave-priority", 0, signed(0, I32MAX, Int), "100"),
    p("repl-diskless-sync-delay", "", 0, signed(0, I32MAX, Int), "5"),
    p("maxmemory-samples", "", 0, signed(1, I32MAX, Int), "5"),
    p("maxmemory-eviction-tenacity", "", 0, signed(0, 100, Int), "10"),
    p("timeout", "", 0, signed(0, I32MAX, Int), "0"),
    p("replica-announce-port", "slave-announce-port", 0, signed(0, 65535, Int), "0"),
    p("tcp-backlog", "", IMM, signed(0, I32MAX, Int), "511"),
    p("cluster-port", "", IMM, signed(0, 65535, Int), "0"),
    p("cluster-announce-bus-port", "", 0, signed(0, 65535, Int), "0"),
    p("cluster-announce-port", "", 0, signed(0, 65535, Int), "0"),
    p("cluster-announce-tls-port", "", 0, signed(0, 65535, Int), "0"),
    p("repl-timeout", "", 0, signed(1, I32MAX, Int), "60"),
    p("repl-ping-replica-period", "repl-ping-slave-period", 0, signed(1, I32MAX, Int), "10"),
    p("list-compress-depth", "", 0, signed(0, I32MAX, Int), "0"),
    p("rdb-key-save-delay", "", HID, signed(I32MIN, I32MAX, Int), "0"),
    p("key-load-delay", "", HID, signed(I32MIN, I32MAX, Int), "0"),
    p("active-expire-effort", "", 0, signed(1, 10, Int), "1"),
    p("hz", "", 0, signed(0, I32MAX, Int), "10"),
    p("min-replicas-to-write", "min-slaves-to-write", 0, signed(0, I32MAX, Int), "0"),
    p("min-replicas-max-lag", "min-slaves-max-lag", 0, signed(0, I32MAX, Int), "10"),
    p("watchdog-period", "", HID, signed(0, I32MAX, Int), "0"),
    p("shutdown-timeout", "", 0, signed(0, I32MAX, Int), "10"),
    p("repl-diskless-sync-max-replicas", "", 0, signed(0, I32MAX, Int), "0"),
    p("maxclients", "", 0, unsigned(1, U32MAX, Int), "10000"),
    p("unixsocketperm", "", IMM, unsigned(0, 0o777, Octal), "0"),
    p("socket-mark-id", "", IMM, unsigned(0, U32MAX, Int), "0"),
    p("active-defrag-max-scan-fields", "", 0, unsigned(1, I64MAX, Int), "1000"),
    p("slowlog-max-len", "", 0, unsigned(0, I64MAX, Int), "128"),
    p("acllog-max-len", "", 0, unsigned(0, I64MAX, Int), "128"),
    p("busy-reply-threshold", "lua-time-limit", 0, signed(0, I64MAX, Int), "5000"),
    p("cluster-node-timeout", "", 0, signed(0, I64MAX, Int), "15000"),
    p("slowlog-log-slower-than", "", 0, signed(-1, I64MAX, Int), "10000"),
    p("latency-monitor-threshold", "", 0, signed(0, I64MAX, Int), "0"),
    p("proto-max-bulk-len", "", 0, signed(MIB, I64MAX, Mem), "536870912"),
    p("stream-node-max-entries", "", 0, signed(0, I64MAX, Int), "100"),
    p("repl-backlog-size", "", 0, signed(1, I64MAX, Mem), "1048576"),
    p("maxmemory", "", 0, unsigned(0, U64MAX, Mem), "0"),
    p("cluster-link-sendbuf-limit", "", 0, unsigned(0, U64MAX, Mem), "0"),
    p("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, unsigned(0, I64MAX, Int), "512"),
    p("set-max-intset-entries", "", 0, unsigned(0, I64MAX, Int), "512"),
    p("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, unsigned(0, I64MAX, Int), "128"),
    p("active-defrag-ignore-bytes", "", 0, unsigned(1, I64MAX, Mem), "104857600"),
    p("hash-max-listpack-value", "hash-max-ziplist-value", 0, unsigned(0, I64MAX, Mem), "64"),
    p("stream-node-max-bytes", "", 0, unsigned(0, I64MAX, Mem), "4096"),
    p("zset-max-listpack-value", "zset-max-ziplist-value", 0, unsigned(0, I64MAX, Mem), "64"),
    p("hll-sparse-max-bytes", "", 0, unsigned(0, I64MAX, Mem), "3000"),
    p("tracking-table-max-keys", "", 0, unsigned(0, I64MAX, Int), "1000000"),
    p("client-query-buffer-limit", "", 0, unsigned(MIB, I64MAX, Mem), "1073741824"),
    p("maxmemory-clients", "", 0, signed(-100, I64MAX, MemPercent), "0"),
    p("repl-backlog-ttl", "", 0, signed(0, I64MAX, Int), "3600"),
    p("auto-aof-rewrite-min-size", "", 0, signed(0, I64MAX, Mem), "67108864"),
    p("loading-process-events-interval-bytes", "", HID, signed(1024, I32MAX, Int), "2097152"),
    p("tls-port", "", FIXED, signed(0, 65535, Int), "0"),
    p("tls-session-cache-size", "", 0, signed(0, I32MAX, Int), "20480"),
    p("tls-session-cache-timeout", "", 0, signed(0, I32MAX, Int), "300"),
    p("tls-cluster", "", 0, Bool, "no"),
    p("tls-replication", "", 0, Bool, "no"),
    p("tls-auth-clients", "", 0, Enum(TLS_AUTH_CLIENTS), "yes"),
    p("tls-prefer-server-ciphers", "", 0, Bool, "no"),
    p("tls-session-caching", "", 0, Bool, "yes"),
    p("tls-cert-file", "", 0, Str, ""),
    p("tls-key-file", "", 0, Str, ""),
    p("tls-key-file-pass", "", 0, Str, ""),
    p("tls-client-cert-file", "", 0, Str, ""),
    p("tls-client-key-file", "", 0, Str, ""),
    p("tls-client-key-file-pass", "", 0, Str, ""),
    p("tls-dh-params-file", "", 0, Str, ""),
    p("tls-ca-cert-file", "", 0, Str, ""),
    p("tls-ca-cert-dir", "", 0, Str, ""),
    p("tls-protocols", "", 0, Str, ""),
    p("tls-ciphers", "", 0, Str, ""),
    p("tls-ciphersuites", "", 0, Str, ""),
    p("dir", "", PROT, Dir, ""),
    p("save", "", 0, Save, ""),
    p("client-output-buffer-limit", "", 0, ClientOutputBufferLimit, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    p("oom-score-adj-values", "", 0, OomScoreAdjValues, "0 200 800"),
    p("notify-keyspace-events", "", 0, NotifyKeyspaceEvents, ""),
    p("bind", "", FIXED, Bind, ""),
    p("replicaof", "slaveof", IMM, ReplicaOf, ""),
    p("latency-tracking-info-percentiles", "", 0, LatencyTrackingInfoPercentiles, "50 99 99.9"),
];

/// A parameter found by name or alias, case-insensitively; `.1` is the name it goes by in
/// replies (the alias when found through it, as Redis registers aliases as their own entries).
pub(crate) fn lookup(name: &[u8]) -> Option<(&'static Param, &'static str)> {
    PARAMS.iter().find_map(|p| {
        if p.name.as_bytes().eq_ignore_ascii_case(name) {
            Some((p, p.name))
        } else if !p.alias.is_empty() && p.alias.as_bytes().eq_ignore_ascii_case(name) {
            Some((p, p.alias))
        } else {
            None
        }
    })
}

/// Every name a glob can match, aliases included, hidden parameters left out.
pub(crate) fn visible_names() -> impl Iterator<Item = (&'static Param, &'static str)> {
    PARAMS.iter().filter(|p| p.flags & HID == 0).flat_map(|p| {
        std::iter::once((p, p.name)).chain((!p.alias.is_empty()).then_some((p, p.alias)))
    })
}
