//! Redis 7.0.15's own description of its commands, for `COMMAND INFO`, `COMMAND DOCS` and
//! `COMMAND LIST FILTERBY ACLCAT`: group, version, flags, ACL categories, legacy key range and
//! tips of every command and subcommand (plus `CLIENT SETINFO` from Redis 7.2, which Meridian
//! implements). Meridian describes only the commands it implements (`table.rs` and
//! `meridian_keyspace::ALL_COMMANDS`); this table supplies what those do not carry: the flags
//! and keys of subcommands, groups, categories, tips and key-spec notes. A test checks that the
//! flags and keys of Meridian's own tables agree with it. The key specs are in
//! `introspection/getkeys_specs.rs`, shared with COMMAND GETKEYS.
//!
//! Generated from `COMMAND` and `COMMAND DOCS` of redis-server 7.0.15. `acl` lists only the
//! categories Redis does not derive from the flags (`setImplicitACLCategories`, see
//! [`Meta::categories`]).

/// One Redis command or subcommand (`parent|sub`).
pub(crate) struct Meta {
    /// Full lower-case name.
    pub name: &'static str,
    /// `COMMAND DOCS` group.
    pub group: &'static str,
    /// `COMMAND DOCS` since.
    pub since: &'static str,
    /// Command flags, space-separated, in the order `COMMAND INFO` lists them.
    pub flags: &'static str,
    /// Explicit ACL categories (without `@`), space-separated.
    pub acl: &'static str,
    /// Legacy first key, last key, step.
    pub keys: (i32, i32, i32),
    /// Command tips, space-separated.
    pub tips: &'static str,
}

/// ACL categories in the order Redis lists them (acl.c `ACLCommandCategories`).
pub(crate) const ACL_CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

impl Meta {
    const fn keys(self, first: i32, last: i32, step: i32) -> Meta {
        Meta {
            keys: (first, last, step),
            ..self
        }
    }

    const fn tips(self, tips: &'static str) -> Meta {
        Meta { tips, ..self }
    }

    /// The ACL categories of a command with these `flags` (its own: Meridian's table for a
    /// top-level command), in Redis's order, as `setImplicitACLCategories` completes them.
    pub(crate) fn categories(&self, flags: &[&str]) -> Vec<&'static str> {
        let explicit = |c: &str| self.acl.split(' ').any(|a| a == c);
        let has = |f: &str| flags.contains(&f);
        let implicit = |c: &str| match c {
            "write" => has("write"),
            "read" => has("readonly") && !explicit("scripting"),
            "admin" | "dangerous" => has("admin"),
            "pubsub" => has("pubsub"),
            "fast" => has("fast"),
            "blocking" => has("blocking"),
            "slow" => !has("fast") && !explicit("fast"),
            _ => false,
        };
        ACL_CATEGORIES
            .iter()
            .copied()
            .filter(|c| explicit(c) || implicit(c))
            .collect()
    }
}

/// The notes Redis 7.0.15 attaches to key specs of the commands Meridian implements:
/// command, index of the spec (in `introspection/getkeys_specs.rs`), note.
const KEY_SPEC_NOTES: &[(&str, usize, &str)] = &[
    (
        "bitfield",
        0,
        "This command allows both access and modification of the key",
    ),
    ("getex", 0, "RW and UPDATE because it changes the TTL"),
    (
        "pfcount",
        0,
        "RW because it may change the internal representation of the key, and propagate to \
         replicas",
    ),
    ("set", 0, "RW and ACCESS due to the optional `GET` argument"),
    ("sort", 1, SORT_BY_GET_NOTE),
    (
        "sort",
        2,
        "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear \
         anywhere in the argument array",
    ),
    ("sort_ro", 1, SORT_BY_GET_NOTE),
];

const SORT_BY_GET_NOTE: &str = "For the optional BY/GET keyword. It is marked 'unknown' because \
the key names derive from the content of the key we sort";

impl Meta {
    /// Redis's note on this command's key spec number `index`, if it has one. The specs
    /// themselves, and `Meta::key_specs` which describes them, are in `introspection/getkeys*`.
    pub(crate) fn key_spec_note(&self, index: usize) -> Option<&'static str> {
        KEY_SPEC_NOTES
            .iter()
            .find(|(name, i, _)| *name == self.name && *i == index)
            .map(|(_, _, note)| *note)
    }
}

/// What is known of a command missing from the table: nothing but what its flags imply.
pub(crate) const UNDESCRIBED: Meta = m("", GENERIC, "", "", "");

/// Finds a command (`get`) or subcommand (`client|list`), case-insensitively.
pub(crate) fn meta(name: &str) -> Option<&'static Meta> {
    let lower = name.to_ascii_lowercase();
    META.binary_search_by(|m| m.name.cmp(&lower))
        .ok()
        .map(|i| &META[i])
}

const fn m(
    name: &'static str,
    group: &'static str,
    since: &'static str,
    flags: &'static str,
    acl: &'static str,
) -> Meta {
    Meta {
        name,
        group,
        since,
        flags,
        acl,
        keys: (0, 0, 0),
        tips: "",
    }
}

const BITMAP: &str = "bitmap";
const CLUSTER: &str = "cluster";
const CONN: &str = "connection";
const GENERIC: &str = "generic";
const GEO: &str = "geo";
const HASH: &str = "hash";
const HLL: &str = "hyperloglog";
const LIST: &str = "list";
const PUBSUB: &str = "pubsub";
const SCRIPTING: &str = "scripting";
const SERVER: &str = "server";
const SET: &str = "set";
const STREAM: &str = "stream";
const STRING: &str = "string";
const TXN: &str = "transactions";
const ZSET: &str = "sorted-set";

/// Sorted by name (binary search; a test checks).
#[rustfmt::skip]
const META: &[Meta] = &[
    m("acl", SERVER, "6.0.0", "", ""),
    m("acl|cat", SERVER, "6.0.0", "noscript loading stale", ""),
    m("acl|deluser", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|dryrun", SERVER, "7.0.0", "admin noscript loading stale", ""),
    m("acl|genpass", SERVER, "6.0.0", "noscript loading stale", ""),
    m("acl|getuser", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|help", SERVER, "6.0.0", "loading stale", ""),
    m("acl|list", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|load", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|log", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|save", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|setuser", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|users", SERVER, "6.0.0", "admin noscript loading stale", ""),
    m("acl|whoami", SERVER, "6.0.0", "noscript loading stale", ""),
    m("append", STRING, "2.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("asking", CLUSTER, "3.0.0", "fast", "connection"),
    m("auth", CONN, "1.0.0", "noscript loading stale fast no_auth allow_busy", "connection"),
    m("bgrewriteaof", SERVER, "1.0.0", "admin noscript no_async_loading", ""),
    m("bgsave", SERVER, "1.0.0", "admin noscript no_async_loading", ""),
    m("bitcount", BITMAP, "2.6.0", "readonly", "bitmap").keys(1, 1, 1),
    m("bitfield", BITMAP, "3.2.0", "write denyoom", "bitmap").keys(1, 1, 1),
    m("bitfield_ro", BITMAP, "6.0.0", "readonly fast", "bitmap").keys(1, 1, 1),
    m("bitop", BITMAP, "2.6.0", "write denyoom", "bitmap").keys(2, -1, 1),
    m("bitpos", BITMAP, "2.8.7", "readonly", "bitmap").keys(1, 1, 1),
    m("blmove", LIST, "6.2.0", "write denyoom noscript blocking", "list").keys(1, 2, 1),
    m("blmpop", LIST, "7.0.0", "write blocking movablekeys", "list"),
    m("blpop", LIST, "2.0.0", "write noscript blocking", "list").keys(1, -2, 1),
    m("brpop", LIST, "2.0.0", "write noscript blocking", "list").keys(1, -2, 1),
    m("brpoplpush", LIST, "2.2.0", "write denyoom noscript blocking", "list").keys(1, 2, 1),
    m("bzmpop", ZSET, "7.0.0", "write blocking movablekeys", "sortedset"),
    m("bzpopmax", ZSET, "5.0.0", "write noscript blocking fast", "sortedset").keys(1, -2, 1),
    m("bzpopmin", ZSET, "5.0.0", "write noscript blocking fast", "sortedset").keys(1, -2, 1),
    m("client", CONN, "2.4.0", "", ""),
    m("client|caching", CONN, "6.0.0", "noscript loading stale", "connection"),
    m("client|getname", CONN, "2.6.9", "noscript loading stale", "connection"),
    m("client|getredir", CONN, "6.0.0", "noscript loading stale", "connection"),
    m("client|help", CONN, "5.0.0", "loading stale", "connection"),
    m("client|id", CONN, "5.0.0", "noscript loading stale", "connection"),
    m("client|info", CONN, "6.2.0", "noscript loading stale", "connection").tips("nondeterministic_output"),
    m("client|kill", CONN, "2.4.0", "admin noscript loading stale", "connection"),
    m("client|list", CONN, "2.4.0", "admin noscript loading stale", "connection").tips("nondeterministic_output"),
    m("client|no-evict", CONN, "7.0.0", "admin noscript loading stale", "connection"),
    m("client|pause", CONN, "2.9.50", "admin noscript loading stale", "connection"),
    m("client|reply", CONN, "3.2.0", "noscript loading stale", "connection"),
    m("client|setinfo", CONN, "7.2.0", "noscript loading stale", "connection"),
    m("client|setname", CONN, "2.6.9", "noscript loading stale", "connection"),
    m("client|tracking", CONN, "6.0.0", "noscript loading stale", "connection"),
    m("client|trackinginfo", CONN, "6.2.0", "noscript loading stale", "connection"),
    m("client|unblock", CONN, "5.0.0", "admin noscript loading stale", "connection"),
    m("client|unpause", CONN, "6.2.0", "admin noscript loading stale", "connection"),
    m("cluster", CLUSTER, "3.0.0", "", ""),
    m("cluster|addslots", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|addslotsrange", CLUSTER, "7.0.0", "admin stale no_async_loading", ""),
    m("cluster|bumpepoch", CLUSTER, "3.0.0", "admin stale no_async_loading", "").tips("nondeterministic_output"),
    m("cluster|count-failure-reports", CLUSTER, "3.0.0", "admin stale", "").tips("nondeterministic_output"),
    m("cluster|countkeysinslot", CLUSTER, "3.0.0", "stale", ""),
    m("cluster|delslots", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|delslotsrange", CLUSTER, "7.0.0", "admin stale no_async_loading", ""),
    m("cluster|failover", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|flushslots", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|forget", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|getkeysinslot", CLUSTER, "3.0.0", "stale", "").tips("nondeterministic_output"),
    m("cluster|help", CLUSTER, "5.0.0", "loading stale", ""),
    m("cluster|info", CLUSTER, "3.0.0", "stale", "").tips("nondeterministic_output"),
    m("cluster|keyslot", CLUSTER, "3.0.0", "stale", ""),
    m("cluster|links", CLUSTER, "7.0.0", "stale", "").tips("nondeterministic_output"),
    m("cluster|meet", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|myid", CLUSTER, "3.0.0", "stale", ""),
    m("cluster|nodes", CLUSTER, "3.0.0", "stale", "").tips("nondeterministic_output"),
    m("cluster|replicas", CLUSTER, "5.0.0", "admin stale", "").tips("nondeterministic_output"),
    m("cluster|replicate", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|reset", CLUSTER, "3.0.0", "admin noscript stale", ""),
    m("cluster|saveconfig", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|set-config-epoch", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|setslot", CLUSTER, "3.0.0", "admin stale no_async_loading", ""),
    m("cluster|shards", CLUSTER, "7.0.0", "stale", "").tips("nondeterministic_output"),
    m("cluster|slaves", CLUSTER, "3.0.0", "admin stale", "").tips("nondeterministic_output"),
    m("cluster|slots", CLUSTER, "3.0.0", "stale", "").tips("nondeterministic_output"),
    m("command", SERVER, "2.8.13", "loading stale", "connection").tips("nondeterministic_output_order"),
    m("command|count", SERVER, "2.8.13", "loading stale", "connection"),
    m("command|docs", SERVER, "7.0.0", "loading stale", "connection").tips("nondeterministic_output_order"),
    m("command|getkeys", SERVER, "2.8.13", "loading stale", "connection"),
    m("command|getkeysandflags", SERVER, "7.0.0", "loading stale", "connection"),
    m("command|help", SERVER, "5.0.0", "loading stale", "connection"),
    m("command|info", SERVER, "2.8.13", "loading stale", "connection").tips("nondeterministic_output_order"),
    m("command|list", SERVER, "7.0.0", "loading stale", "connection").tips("nondeterministic_output_order"),
    m("config", SERVER, "2.0.0", "", ""),
    m("config|get", SERVER, "2.0.0", "admin noscript loading stale", ""),
    m("config|help", SERVER, "5.0.0", "loading stale", ""),
    m("config|resetstat", SERVER, "2.0.0", "admin noscript loading stale", ""),
    m("config|rewrite", SERVER, "2.8.0", "admin noscript loading stale", ""),
    m("config|set", SERVER, "2.0.0", "admin noscript loading stale", "").tips("request_policy:all_nodes response_policy:all_succeeded"),
    m("copy", GENERIC, "6.2.0", "write denyoom", "keyspace").keys(1, 2, 1),
    m("dbsize", SERVER, "1.0.0", "readonly fast", "keyspace").tips("request_policy:all_shards response_policy:agg_sum"),
    m("debug", SERVER, "1.0.0", "admin noscript loading stale", ""),
    m("decr", STRING, "1.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("decrby", STRING, "1.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("del", GENERIC, "1.0.0", "write", "keyspace").keys(1, -1, 1).tips("request_policy:multi_shard response_policy:agg_sum"),
    m("discard", TXN, "2.0.0", "noscript loading stale fast allow_busy", "transaction"),
    m("dump", GENERIC, "2.6.0", "readonly", "keyspace").keys(1, 1, 1).tips("nondeterministic_output"),
    m("echo", CONN, "1.0.0", "loading stale fast", "connection"),
    m("eval", SCRIPTING, "2.6.0", "noscript stale skip_monitor no_mandatory_keys movablekeys", "scripting"),
    m("eval_ro", SCRIPTING, "7.0.0", "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", "scripting"),
    m("evalsha", SCRIPTING, "2.6.0", "noscript stale skip_monitor no_mandatory_keys movablekeys", "scripting"),
    m("evalsha_ro", SCRIPTING, "7.0.0", "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", "scripting"),
    m("exec", TXN, "1.2.0", "noscript loading stale skip_slowlog", "transaction"),
    m("exists", GENERIC, "1.0.0", "readonly fast", "keyspace").keys(1, -1, 1).tips("request_policy:multi_shard response_policy:agg_sum"),
    m("expire", GENERIC, "1.0.0", "write fast", "keyspace").keys(1, 1, 1),
    m("expireat", GENERIC, "1.2.0", "write fast", "keyspace").keys(1, 1, 1),
    m("expiretime", GENERIC, "7.0.0", "readonly fast", "keyspace").keys(1, 1, 1),
    m("failover", SERVER, "6.2.0", "admin noscript stale", ""),
    m("fcall", SCRIPTING, "7.0.0", "noscript stale skip_monitor no_mandatory_keys movablekeys", "scripting"),
    m("fcall_ro", SCRIPTING, "7.0.0", "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", "scripting"),
    m("flushall", SERVER, "1.0.0", "write", "keyspace dangerous").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("flushdb", SERVER, "1.0.0", "write", "keyspace dangerous").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("function", SCRIPTING, "7.0.0", "", ""),
    m("function|delete", SCRIPTING, "7.0.0", "write noscript", "scripting").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("function|dump", SCRIPTING, "7.0.0", "noscript", "scripting"),
    m("function|flush", SCRIPTING, "7.0.0", "write noscript", "scripting").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("function|help", SCRIPTING, "7.0.0", "loading stale", "scripting"),
    m("function|kill", SCRIPTING, "7.0.0", "noscript allow_busy", "scripting").tips("request_policy:all_shards response_policy:one_succeeded"),
    m("function|list", SCRIPTING, "7.0.0", "noscript", "scripting").tips("nondeterministic_output_order"),
    m("function|load", SCRIPTING, "7.0.0", "write denyoom noscript", "scripting").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("function|restore", SCRIPTING, "7.0.0", "write denyoom noscript", "scripting").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("function|stats", SCRIPTING, "7.0.0", "noscript allow_busy", "scripting").tips("nondeterministic_output request_policy:all_shards response_policy:special"),
    m("geoadd", GEO, "3.2.0", "write denyoom", "geo").keys(1, 1, 1),
    m("geodist", GEO, "3.2.0", "readonly", "geo").keys(1, 1, 1),
    m("geohash", GEO, "3.2.0", "readonly", "geo").keys(1, 1, 1),
    m("geopos", GEO, "3.2.0", "readonly", "geo").keys(1, 1, 1),
    m("georadius", GEO, "3.2.0", "write denyoom movablekeys", "geo").keys(1, 1, 1),
    m("georadius_ro", GEO, "3.2.10", "readonly", "geo").keys(1, 1, 1),
    m("georadiusbymember", GEO, "3.2.0", "write denyoom movablekeys", "geo").keys(1, 1, 1),
    m("georadiusbymember_ro", GEO, "3.2.10", "readonly", "geo").keys(1, 1, 1),
    m("geosearch", GEO, "6.2.0", "readonly", "geo").keys(1, 1, 1),
    m("geosearchstore", GEO, "6.2.0", "write denyoom", "geo").keys(1, 2, 1),
    m("get", STRING, "1.0.0", "readonly fast", "string").keys(1, 1, 1),
    m("getbit", BITMAP, "2.2.0", "readonly fast", "bitmap").keys(1, 1, 1),
    m("getdel", STRING, "6.2.0", "write fast", "string").keys(1, 1, 1),
    m("getex", STRING, "6.2.0", "write fast", "string").keys(1, 1, 1),
    m("getrange", STRING, "2.4.0", "readonly", "string").keys(1, 1, 1),
    m("getset", STRING, "1.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("hdel", HASH, "2.0.0", "write fast", "hash").keys(1, 1, 1),
    m("hello", CONN, "6.0.0", "noscript loading stale fast no_auth allow_busy", "connection"),
    m("hexists", HASH, "2.0.0", "readonly fast", "hash").keys(1, 1, 1),
    m("hget", HASH, "2.0.0", "readonly fast", "hash").keys(1, 1, 1),
    m("hgetall", HASH, "2.0.0", "readonly", "hash").keys(1, 1, 1).tips("nondeterministic_output_order"),
    m("hincrby", HASH, "2.0.0", "write denyoom fast", "hash").keys(1, 1, 1),
    m("hincrbyfloat", HASH, "2.6.0", "write denyoom fast", "hash").keys(1, 1, 1),
    m("hkeys", HASH, "2.0.0", "readonly", "hash").keys(1, 1, 1).tips("nondeterministic_output_order"),
    m("hlen", HASH, "2.0.0", "readonly fast", "hash").keys(1, 1, 1),
    m("hmget", HASH, "2.0.0", "readonly fast", "hash").keys(1, 1, 1),
    m("hmset", HASH, "2.0.0", "write denyoom fast", "hash").keys(1, 1, 1),
    m("hrandfield", HASH, "6.2.0", "readonly", "hash").keys(1, 1, 1).tips("nondeterministic_output"),
    m("hscan", HASH, "2.8.0", "readonly", "hash").keys(1, 1, 1).tips("nondeterministic_output"),
    m("hset", HASH, "2.0.0", "write denyoom fast", "hash").keys(1, 1, 1),
    m("hsetnx", HASH, "2.0.0", "write denyoom fast", "hash").keys(1, 1, 1),
    m("hstrlen", HASH, "3.2.0", "readonly fast", "hash").keys(1, 1, 1),
    m("hvals", HASH, "2.0.0", "readonly", "hash").keys(1, 1, 1).tips("nondeterministic_output_order"),
    m("incr", STRING, "1.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("incrby", STRING, "1.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("incrbyfloat", STRING, "2.6.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("info", SERVER, "1.0.0", "loading stale", "dangerous").tips("nondeterministic_output request_policy:all_shards response_policy:special"),
    m("keys", GENERIC, "1.0.0", "readonly", "keyspace dangerous").tips("request_policy:all_shards nondeterministic_output_order"),
    m("lastsave", SERVER, "1.0.0", "loading stale fast", "admin dangerous").tips("nondeterministic_output"),
    m("latency", SERVER, "2.8.13", "", ""),
    m("latency|doctor", SERVER, "2.8.13", "admin noscript loading stale", "").tips("nondeterministic_output request_policy:all_nodes response_policy:special"),
    m("latency|graph", SERVER, "2.8.13", "admin noscript loading stale", "").tips("nondeterministic_output request_policy:all_nodes response_policy:special"),
    m("latency|help", SERVER, "2.8.13", "loading stale", ""),
    m("latency|histogram", SERVER, "7.0.0", "admin noscript loading stale", "").tips("nondeterministic_output request_policy:all_nodes response_policy:special"),
    m("latency|history", SERVER, "2.8.13", "admin noscript loading stale", "").tips("nondeterministic_output request_policy:all_nodes response_policy:special"),
    m("latency|latest", SERVER, "2.8.13", "admin noscript loading stale", "").tips("nondeterministic_output request_policy:all_nodes response_policy:special"),
    m("latency|reset", SERVER, "2.8.13", "admin noscript loading stale", "").tips("request_policy:all_nodes response_policy:all_succeeded"),
    m("lcs", STRING, "7.0.0", "readonly", "string").keys(1, 2, 1),
    m("lindex", LIST, "1.0.0", "readonly", "list").keys(1, 1, 1),
    m("linsert", LIST, "2.2.0", "write denyoom", "list").keys(1, 1, 1),
    m("llen", LIST, "1.0.0", "readonly fast", "list").keys(1, 1, 1),
    m("lmove", LIST, "6.2.0", "write denyoom", "list").keys(1, 2, 1),
    m("lmpop", LIST, "7.0.0", "write movablekeys", "list"),
    m("lolwut", SERVER, "5.0.0", "readonly fast", ""),
    m("lpop", LIST, "1.0.0", "write fast", "list").keys(1, 1, 1),
    m("lpos", LIST, "6.0.6", "readonly", "list").keys(1, 1, 1),
    m("lpush", LIST, "1.0.0", "write denyoom fast", "list").keys(1, 1, 1),
    m("lpushx", LIST, "2.2.0", "write denyoom fast", "list").keys(1, 1, 1),
    m("lrange", LIST, "1.0.0", "readonly", "list").keys(1, 1, 1),
    m("lrem", LIST, "1.0.0", "write", "list").keys(1, 1, 1),
    m("lset", LIST, "1.0.0", "write denyoom", "list").keys(1, 1, 1),
    m("ltrim", LIST, "1.0.0", "write", "list").keys(1, 1, 1),
    m("memory", SERVER, "4.0.0", "", ""),
    m("memory|doctor", SERVER, "4.0.0", "", "").tips("nondeterministic_output request_policy:all_shards response_policy:special"),
    m("memory|help", SERVER, "4.0.0", "loading stale", ""),
    m("memory|malloc-stats", SERVER, "4.0.0", "", "").tips("nondeterministic_output request_policy:all_shards response_policy:special"),
    m("memory|purge", SERVER, "4.0.0", "", "").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("memory|stats", SERVER, "4.0.0", "", "").tips("nondeterministic_output request_policy:all_shards response_policy:special"),
    m("memory|usage", SERVER, "4.0.0", "readonly", "").keys(2, 2, 1),
    m("mget", STRING, "1.0.0", "readonly fast", "string").keys(1, -1, 1).tips("request_policy:multi_shard"),
    m("migrate", GENERIC, "2.6.0", "write movablekeys", "keyspace dangerous").keys(3, 3, 1).tips("nondeterministic_output"),
    m("module", SERVER, "4.0.0", "", ""),
    m("module|help", SERVER, "5.0.0", "loading stale", ""),
    m("module|list", SERVER, "4.0.0", "admin noscript", "").tips("nondeterministic_output_order"),
    m("module|load", SERVER, "4.0.0", "admin noscript no_async_loading", ""),
    m("module|loadex", SERVER, "7.0.0", "admin noscript no_async_loading", ""),
    m("module|unload", SERVER, "4.0.0", "admin noscript no_async_loading", ""),
    m("monitor", SERVER, "1.0.0", "admin noscript loading stale", ""),
    m("move", GENERIC, "1.0.0", "write fast", "keyspace").keys(1, 1, 1),
    m("mset", STRING, "1.0.1", "write denyoom", "string").keys(1, -1, 2).tips("request_policy:multi_shard response_policy:all_succeeded"),
    m("msetnx", STRING, "1.0.1", "write denyoom", "string").keys(1, -1, 2).tips("request_policy:multi_shard response_policy:agg_min"),
    m("multi", TXN, "1.2.0", "noscript loading stale fast allow_busy", "transaction"),
    m("object", GENERIC, "2.2.3", "", ""),
    m("object|encoding", GENERIC, "2.2.3", "readonly", "keyspace").keys(2, 2, 1).tips("nondeterministic_output"),
    m("object|freq", GENERIC, "4.0.0", "readonly", "keyspace").keys(2, 2, 1).tips("nondeterministic_output"),
    m("object|help", GENERIC, "6.2.0", "loading stale", "keyspace"),
    m("object|idletime", GENERIC, "2.2.3", "readonly", "keyspace").keys(2, 2, 1).tips("nondeterministic_output"),
    m("object|refcount", GENERIC, "2.2.3", "readonly", "keyspace").keys(2, 2, 1).tips("nondeterministic_output"),
    m("persist", GENERIC, "2.2.0", "write fast", "keyspace").keys(1, 1, 1),
    m("pexpire", GENERIC, "2.6.0", "write fast", "keyspace").keys(1, 1, 1),
    m("pexpireat", GENERIC, "2.6.0", "write fast", "keyspace").keys(1, 1, 1),
    m("pexpiretime", GENERIC, "7.0.0", "readonly fast", "keyspace").keys(1, 1, 1),
    m("pfadd", HLL, "2.8.9", "write denyoom fast", "hyperloglog").keys(1, 1, 1),
    m("pfcount", HLL, "2.8.9", "readonly", "hyperloglog").keys(1, -1, 1),
    m("pfdebug", HLL, "2.8.9", "write denyoom admin", "hyperloglog").keys(2, 2, 1),
    m("pfmerge", HLL, "2.8.9", "write denyoom", "hyperloglog").keys(1, -1, 1),
    m("pfselftest", HLL, "2.8.9", "admin", "hyperloglog"),
    m("ping", CONN, "1.0.0", "fast", "connection").tips("request_policy:all_shards response_policy:all_succeeded"),
    m("psetex", STRING, "2.6.0", "write denyoom", "string").keys(1, 1, 1),
    m("psubscribe", PUBSUB, "2.0.0", "pubsub noscript loading stale", ""),
    m("psync", SERVER, "2.8.0", "admin noscript no_async_loading no_multi", ""),
    m("pttl", GENERIC, "2.6.0", "readonly fast", "keyspace").keys(1, 1, 1).tips("nondeterministic_output"),
    m("publish", PUBSUB, "2.0.0", "pubsub loading stale fast", ""),
    m("pubsub", PUBSUB, "2.8.0", "", ""),
    m("pubsub|channels", PUBSUB, "2.8.0", "pubsub loading stale", ""),
    m("pubsub|help", PUBSUB, "6.2.0", "loading stale", ""),
    m("pubsub|numpat", PUBSUB, "2.8.0", "pubsub loading stale", ""),
    m("pubsub|numsub", PUBSUB, "2.8.0", "pubsub loading stale", ""),
    m("pubsub|shardchannels", PUBSUB, "7.0.0", "pubsub loading stale", ""),
    m("pubsub|shardnumsub", PUBSUB, "7.0.0", "pubsub loading stale", ""),
    m("punsubscribe", PUBSUB, "2.0.0", "pubsub noscript loading stale", ""),
    m("quit", CONN, "1.0.0", "noscript loading stale fast no_auth allow_busy", "connection"),
    m("randomkey", GENERIC, "1.0.0", "readonly", "keyspace").tips("request_policy:all_shards nondeterministic_output"),
    m("readonly", CLUSTER, "3.0.0", "loading stale fast", "connection"),
    m("readwrite", CLUSTER, "3.0.0", "loading stale fast", "connection"),
    m("rename", GENERIC, "1.0.0", "write", "keyspace").keys(1, 2, 1),
    m("renamenx", GENERIC, "1.0.0", "write fast", "keyspace").keys(1, 2, 1),
    m("replconf", SERVER, "3.0.0", "admin noscript loading stale allow_busy", ""),
    m("replicaof", SERVER, "5.0.0", "admin noscript stale no_async_loading", ""),
    m("reset", CONN, "6.2.0", "noscript loading stale fast no_auth allow_busy", "connection"),
    m("restore", GENERIC, "2.6.0", "write denyoom", "keyspace dangerous").keys(1, 1, 1),
    m("restore-asking", SERVER, "3.0.0", "write denyoom asking", "keyspace dangerous").keys(1, 1, 1),
    m("role", SERVER, "2.8.12", "noscript loading stale fast", "admin dangerous"),
    m("rpop", LIST, "1.0.0", "write fast", "list").keys(1, 1, 1),
    m("rpoplpush", LIST, "1.2.0", "write denyoom", "list").keys(1, 2, 1),
    m("rpush", LIST, "1.0.0", "write denyoom fast", "list").keys(1, 1, 1),
    m("rpushx", LIST, "2.2.0", "write denyoom fast", "list").keys(1, 1, 1),
    m("sadd", SET, "1.0.0", "write denyoom fast", "set").keys(1, 1, 1),
    m("save", SERVER, "1.0.0", "admin noscript no_async_loading no_multi", ""),
    m("scan", GENERIC, "2.8.0", "readonly", "keyspace").tips("nondeterministic_output request_policy:special"),
    m("scard", SET, "1.0.0", "readonly fast", "set").keys(1, 1, 1),
    m("script", SCRIPTING, "2.6.0", "", ""),
    m("script|debug", SCRIPTING, "3.2.0", "noscript", "scripting"),
    m("script|exists", SCRIPTING, "2.6.0", "noscript", "scripting").tips("request_policy:all_shards response_policy:agg_logical_and"),
    m("script|flush", SCRIPTING, "2.6.0", "noscript", "scripting").tips("request_policy:all_nodes response_policy:all_succeeded"),
    m("script|help", SCRIPTING, "5.0.0", "loading stale", "scripting"),
    m("script|kill", SCRIPTING, "2.6.0", "noscript allow_busy", "scripting").tips("request_policy:all_shards response_policy:one_succeeded"),
    m("script|load", SCRIPTING, "2.6.0", "noscript stale", "scripting").tips("request_policy:all_nodes response_policy:all_succeeded"),
    m("sdiff", SET, "1.0.0", "readonly", "set").keys(1, -1, 1).tips("nondeterministic_output_order"),
    m("sdiffstore", SET, "1.0.0", "write denyoom", "set").keys(1, -1, 1),
    m("select", CONN, "1.0.0", "loading stale fast", "connection"),
    m("set", STRING, "1.0.0", "write denyoom", "string").keys(1, 1, 1),
    m("setbit", BITMAP, "2.2.0", "write denyoom", "bitmap").keys(1, 1, 1),
    m("setex", STRING, "2.0.0", "write denyoom", "string").keys(1, 1, 1),
    m("setnx", STRING, "1.0.0", "write denyoom fast", "string").keys(1, 1, 1),
    m("setrange", STRING, "2.2.0", "write denyoom", "string").keys(1, 1, 1),
    m("shutdown", SERVER, "1.0.0", "admin noscript loading stale no_multi allow_busy", ""),
    m("sinter", SET, "1.0.0", "readonly", "set").keys(1, -1, 1).tips("nondeterministic_output_order"),
    m("sintercard", SET, "7.0.0", "readonly movablekeys", "set"),
    m("sinterstore", SET, "1.0.0", "write denyoom", "set").keys(1, -1, 1),
    m("sismember", SET, "1.0.0", "readonly fast", "set").keys(1, 1, 1),
    m("slaveof", SERVER, "1.0.0", "admin noscript stale no_async_loading", ""),
    m("slowlog", SERVER, "2.2.12", "", ""),
    m("slowlog|get", SERVER, "2.2.12", "admin loading stale", "").tips("request_policy:all_nodes nondeterministic_output"),
    m("slowlog|help", SERVER, "6.2.0", "loading stale", ""),
    m("slowlog|len", SERVER, "2.2.12", "admin loading stale", "").tips("request_policy:all_nodes response_policy:agg_sum nondeterministic_output"),
    m("slowlog|reset", SERVER, "2.2.12", "admin loading stale", "").tips("request_policy:all_nodes response_policy:all_succeeded"),
    m("smembers", SET, "1.0.0", "readonly", "set").keys(1, 1, 1).tips("nondeterministic_output_order"),
    m("smismember", SET, "6.2.0", "readonly fast", "set").keys(1, 1, 1),
    m("smove", SET, "1.0.0", "write fast", "set").keys(1, 2, 1),
    m("sort", GENERIC, "1.0.0", "write denyoom movablekeys", "set sortedset list dangerous").keys(1, 1, 1),
    m("sort_ro", GENERIC, "7.0.0", "readonly movablekeys", "set sortedset list dangerous").keys(1, 1, 1),
    m("spop", SET, "1.0.0", "write fast", "set").keys(1, 1, 1).tips("nondeterministic_output"),
    m("spublish", PUBSUB, "7.0.0", "pubsub loading stale fast", "").keys(1, 1, 1),
    m("srandmember", SET, "1.0.0", "readonly", "set").keys(1, 1, 1).tips("nondeterministic_output"),
    m("srem", SET, "1.0.0", "write fast", "set").keys(1, 1, 1),
    m("sscan", SET, "2.8.0", "readonly", "set").keys(1, 1, 1).tips("nondeterministic_output"),
    m("ssubscribe", PUBSUB, "7.0.0", "pubsub noscript loading stale", "").keys(1, -1, 1),
    m("strlen", STRING, "2.2.0", "readonly fast", "string").keys(1, 1, 1),
    m("subscribe", PUBSUB, "2.0.0", "pubsub noscript loading stale", ""),
    m("substr", STRING, "1.0.0", "readonly", "string").keys(1, 1, 1),
    m("sunion", SET, "1.0.0", "readonly", "set").keys(1, -1, 1).tips("nondeterministic_output_order"),
    m("sunionstore", SET, "1.0.0", "write denyoom", "set").keys(1, -1, 1),
    m("sunsubscribe", PUBSUB, "7.0.0", "pubsub noscript loading stale", "").keys(1, -1, 1),
    m("swapdb", SERVER, "4.0.0", "write fast", "keyspace dangerous"),
    m("sync", SERVER, "1.0.0", "admin noscript no_async_loading no_multi", ""),
    m("time", SERVER, "2.6.0", "loading stale fast", "").tips("nondeterministic_output"),
    m("touch", GENERIC, "3.2.1", "readonly fast", "keyspace").keys(1, -1, 1).tips("request_policy:multi_shard response_policy:agg_sum"),
    m("ttl", GENERIC, "1.0.0", "readonly fast", "keyspace").keys(1, 1, 1).tips("nondeterministic_output"),
    m("type", GENERIC, "1.0.0", "readonly fast", "keyspace").keys(1, 1, 1),
    m("unlink", GENERIC, "4.0.0", "write fast", "keyspace").keys(1, -1, 1).tips("request_policy:multi_shard response_policy:agg_sum"),
    m("unsubscribe", PUBSUB, "2.0.0", "pubsub noscript loading stale", ""),
    m("unwatch", TXN, "2.2.0", "noscript loading stale fast allow_busy", "transaction"),
    m("wait", GENERIC, "3.0.0", "noscript", "connection").tips("request_policy:all_shards response_policy:agg_min"),
    m("watch", TXN, "2.2.0", "noscript loading stale fast allow_busy", "transaction").keys(1, -1, 1),
    m("xack", STREAM, "5.0.0", "write fast", "stream").keys(1, 1, 1),
    m("xadd", STREAM, "5.0.0", "write denyoom fast", "stream").keys(1, 1, 1).tips("nondeterministic_output"),
    m("xautoclaim", STREAM, "6.2.0", "write fast", "stream").keys(1, 1, 1).tips("nondeterministic_output"),
    m("xclaim", STREAM, "5.0.0", "write fast", "stream").keys(1, 1, 1).tips("nondeterministic_output"),
    m("xdel", STREAM, "5.0.0", "write fast", "stream").keys(1, 1, 1),
    m("xgroup", STREAM, "5.0.0", "", ""),
    m("xgroup|create", STREAM, "5.0.0", "write denyoom", "stream").keys(2, 2, 1),
    m("xgroup|createconsumer", STREAM, "6.2.0", "write denyoom", "stream").keys(2, 2, 1),
    m("xgroup|delconsumer", STREAM, "5.0.0", "write", "stream").keys(2, 2, 1),
    m("xgroup|destroy", STREAM, "5.0.0", "write", "stream").keys(2, 2, 1),
    m("xgroup|help", STREAM, "5.0.0", "loading stale", "stream"),
    m("xgroup|setid", STREAM, "5.0.0", "write", "stream").keys(2, 2, 1),
    m("xinfo", STREAM, "5.0.0", "", ""),
    m("xinfo|consumers", STREAM, "5.0.0", "readonly", "stream").keys(2, 2, 1).tips("nondeterministic_output"),
    m("xinfo|groups", STREAM, "5.0.0", "readonly", "stream").keys(2, 2, 1),
    m("xinfo|help", STREAM, "5.0.0", "loading stale", "stream"),
    m("xinfo|stream", STREAM, "5.0.0", "readonly", "stream").keys(2, 2, 1),
    m("xlen", STREAM, "5.0.0", "readonly fast", "stream").keys(1, 1, 1),
    m("xpending", STREAM, "5.0.0", "readonly", "stream").keys(1, 1, 1).tips("nondeterministic_output"),
    m("xrange", STREAM, "5.0.0", "readonly", "stream").keys(1, 1, 1),
    m("xread", STREAM, "5.0.0", "readonly blocking movablekeys", "stream"),
    m("xreadgroup", STREAM, "5.0.0", "write blocking movablekeys", "stream"),
    m("xrevrange", STREAM, "5.0.0", "readonly", "stream").keys(1, 1, 1),
    m("xsetid", STREAM, "5.0.0", "write denyoom fast", "stream").keys(1, 1, 1),
    m("xtrim", STREAM, "5.0.0", "write", "stream").keys(1, 1, 1).tips("nondeterministic_output"),
    m("zadd", ZSET, "1.2.0", "write denyoom fast", "sortedset").keys(1, 1, 1),
    m("zcard", ZSET, "1.2.0", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zcount", ZSET, "2.0.0", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zdiff", ZSET, "6.2.0", "readonly movablekeys", "sortedset"),
    m("zdiffstore", ZSET, "6.2.0", "write denyoom movablekeys", "sortedset").keys(1, 1, 1),
    m("zincrby", ZSET, "1.2.0", "write denyoom fast", "sortedset").keys(1, 1, 1),
    m("zinter", ZSET, "6.2.0", "readonly movablekeys", "sortedset"),
    m("zintercard", ZSET, "7.0.0", "readonly movablekeys", "sortedset"),
    m("zinterstore", ZSET, "2.0.0", "write denyoom movablekeys", "sortedset").keys(1, 1, 1),
    m("zlexcount", ZSET, "2.8.9", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zmpop", ZSET, "7.0.0", "write movablekeys", "sortedset"),
    m("zmscore", ZSET, "6.2.0", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zpopmax", ZSET, "5.0.0", "write fast", "sortedset").keys(1, 1, 1),
    m("zpopmin", ZSET, "5.0.0", "write fast", "sortedset").keys(1, 1, 1),
    m("zrandmember", ZSET, "6.2.0", "readonly", "sortedset").keys(1, 1, 1).tips("nondeterministic_output"),
    m("zrange", ZSET, "1.2.0", "readonly", "sortedset").keys(1, 1, 1),
    m("zrangebylex", ZSET, "2.8.9", "readonly", "sortedset").keys(1, 1, 1),
    m("zrangebyscore", ZSET, "1.0.5", "readonly", "sortedset").keys(1, 1, 1),
    m("zrangestore", ZSET, "6.2.0", "write denyoom", "sortedset").keys(1, 2, 1),
    m("zrank", ZSET, "2.0.0", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zrem", ZSET, "1.2.0", "write fast", "sortedset").keys(1, 1, 1),
    m("zremrangebylex", ZSET, "2.8.9", "write", "sortedset").keys(1, 1, 1),
    m("zremrangebyrank", ZSET, "2.0.0", "write", "sortedset").keys(1, 1, 1),
    m("zremrangebyscore", ZSET, "1.2.0", "write", "sortedset").keys(1, 1, 1),
    m("zrevrange", ZSET, "1.2.0", "readonly", "sortedset").keys(1, 1, 1),
    m("zrevrangebylex", ZSET, "2.8.9", "readonly", "sortedset").keys(1, 1, 1),
    m("zrevrangebyscore", ZSET, "2.2.0", "readonly", "sortedset").keys(1, 1, 1),
    m("zrevrank", ZSET, "2.0.0", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zscan", ZSET, "2.8.0", "readonly", "sortedset").keys(1, 1, 1).tips("nondeterministic_output"),
    m("zscore", ZSET, "1.2.0", "readonly fast", "sortedset").keys(1, 1, 1),
    m("zunion", ZSET, "6.2.0", "readonly movablekeys", "sortedset"),
    m("zunionstore", ZSET, "2.0.0", "write denyoom movablekeys", "sortedset").keys(1, 1, 1),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_lower_case_and_known_categories() {
        for pair in META.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        for m in META {
            assert_eq!(m.name, m.name.to_ascii_lowercase());
            for c in m.acl.split(' ').filter(|c| !c.is_empty()) {
                assert!(ACL_CATEGORIES.contains(&c), "{}: {c}", m.name);
            }
        }
    }

    #[test]
    fn categories_as_redis_lists_them() {
        let cats = |n: &str| {
            let m = meta(n).unwrap();
            let flags: Vec<&str> = m.flags.split(' ').filter(|f| !f.is_empty()).collect();
            m.categories(&flags).join(" ")
        };
        assert_eq!(cats("GET"), "read string fast");
        assert_eq!(cats("del"), "keyspace write slow");
        assert_eq!(cats("client|list"), "admin slow dangerous connection");
        assert_eq!(cats("eval"), "slow scripting");
        assert_eq!(cats("blpop"), "write list slow blocking");
        assert_eq!(cats("client"), "slow");
        assert!(meta("config|get|x").is_none() && meta("nope").is_none());
    }
}
