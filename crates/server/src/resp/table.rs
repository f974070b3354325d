//! The connection and server commands this edge answers itself (data commands come from
//! `meridian_keyspace`), described the way `COMMAND INFO` reports them.

/// One connection/server command.
pub(crate) struct ServerCommand {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis arity (negative: at least that many).
    pub arity: i32,
    /// Redis command flags as `COMMAND INFO` lists them.
    pub flags: &'static [&'static str],
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// Allowed before AUTH (Redis `CMD_NO_AUTH`).
    pub no_auth: bool,
    /// Subcommands with their arities (`client|setname` has arity 3).
    pub subcommands: &'static [(&'static str, i32)],
    /// `COMMAND DOCS` summary.
    pub summary: &'static str,
}

const fn cmd(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    no_auth: bool,
    summary: &'static str,
) -> ServerCommand {
    ServerCommand {
        name,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        step: 0,
        no_auth,
        subcommands: &[],
        summary,
    }
}

pub(crate) const SERVER_COMMANDS: &[ServerCommand] = &[
    cmd("ping", -1, &["fast"], false, "Ping the server"),
    cmd("echo", 2, &["loading", "stale", "fast"], false, "Echo the given string"),
    cmd(
        "hello",
        -1,
        &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        true,
        "Handshake with Redis",
    ),
    cmd(
        "auth",
        -2,
        &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        true,
        "Authenticate to the server",
    ),
    cmd(
        "select",
        2,
        &["loading", "stale", "fast"],
        false,
        "Change the selected database for the current connection",
    ),
    ServerCommand {
        subcommands: &[
            ("id", 2),
            ("setname", 3),
            ("getname", 2),
            ("info", 2),
            ("list", -2),
            ("setinfo", 4),
            ("kill", -3),
            ("pause", -3),
            ("unpause", 2),
            ("unblock", -3),
            ("no-evict", 3),
            ("reply", 3),
            ("getredir", 2),
            ("trackinginfo", 2),
            ("caching", 3),
            ("help", 2),
        ],
        ..cmd("client", -2, &[], false, "A container for client connection commands")
    },
    ServerCommand {
        subcommands: &[
            ("cat", -2),
            ("deluser", -3),
            ("dryrun", -4),
            ("genpass", -2),
            ("getuser", 3),
            ("help", 2),
            ("list", 2),
            ("load", 2),
            ("log", -2),
            ("save", 2),
            ("setuser", -3),
            ("users", 2),
            ("whoami", 2),
        ],
        ..cmd("acl", -2, &[], false, "A container for Access List Control commands")
    },
    ServerCommand {
        subcommands: &[
            ("count", 2),
            ("info", -2),
            ("docs", -2),
            ("list", -2),
            ("getkeys", -4),
            ("getkeysandflags", -4),
            ("help", 2),
        ],
        ..cmd(
            "command",
            -1,
            &["loading", "stale"],
            false,
            "Get array of Redis command details",
        )
    },
    ServerCommand {
        subcommands: &[
            ("get", -3),
            ("set", -4),
            ("resetstat", 2),
            ("rewrite", 2),
            ("help", 2),
        ],
        ..cmd("config", -2, &[], false, "A container for server configuration commands")
    },
    ServerCommand {
        subcommands: &[("flush", -2)],
        ..cmd("function", -2, &[], false, "A container for function commands")
    },
    cmd(
        "info",
        -1,
        &["loading", "stale"],
        false,
        "Get information and statistics about the server",
    ),
    cmd(
        "role",
        1,
        &["noscript", "loading", "stale", "fast"],
        false,
        "Return the role of the instance in the context of replication",
    ),
    cmd(
        "time",
        1,
        &["loading", "stale", "fast"],
        false,
        "Return the current server time",
    ),
    cmd(
        "quit",
        -1,
        &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        true,
        "Close the connection",
    ),
    cmd(
        "reset",
        1,
        &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        true,
        "Reset the connection",
    ),
    cmd(
        "readonly",
        1,
        &["loading", "stale", "fast"],
        false,
        "Enables read queries for a connection to a cluster replica node",
    ),
    cmd(
        "readwrite",
        1,
        &["loading", "stale", "fast"],
        false,
        "Disables read queries for a connection to a cluster replica node",
    ),
    cmd(
        "wait",
        3,
        &["noscript"],
        false,
        "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
    ),
    cmd(
        "multi",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        false,
        "Mark the start of a transaction block",
    ),
    cmd(
        "exec",
        1,
        &["noscript", "loading", "stale", "skip_slowlog"],
        false,
        "Execute all commands issued after MULTI",
    ),
    cmd(
        "discard",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        false,
        "Discard all commands issued after MULTI",
    ),
    ServerCommand {
        first_key: 1,
        last_key: -1,
        step: 1,
        ..cmd(
            "watch",
            -2,
            &["noscript", "loading", "stale", "fast", "allow_busy"],
            false,
            "Watch the given keys to determine execution of the MULTI/EXEC block",
        )
    },
    ServerCommand {
        subcommands: &[("get", -2), ("len", 2), ("reset", 2), ("help", 2)],
        ..cmd("slowlog", -2, &[], false, "A container for slow log commands")
    },
    ServerCommand {
        subcommands: &[
            ("latest", 2),
            ("history", 3),
            ("reset", -2),
            ("graph", 3),
            ("doctor", 2),
            ("histogram", -2),
            ("help", 2),
        ],
        ..cmd("latency", -2, &[], false, "A container for latency diagnostics commands")
    },
    ServerCommand {
        subcommands: &[
            ("usage", -3),
            ("stats", 2),
            ("doctor", 2),
            ("malloc-stats", 2),
            ("purge", 2),
            ("help", 2),
        ],
        ..cmd("memory", -2, &[], false, "A container for memory diagnostics commands")
    },
    cmd(
        "debug",
        -2,
        &["admin", "noscript", "loading", "stale"],
        false,
        "A container for debugging commands",
    ),
    cmd("lolwut", -1, &["readonly", "fast"], false, "Display some computer art and the Redis version"),
    cmd(
        "lastsave",
        1,
        &["loading", "stale", "fast"],
        false,
        "Get the UNIX time stamp of the last successful save to disk",
    ),
    cmd(
        "save",
        1,
        &["admin", "noscript", "no_async_loading", "no_multi"],
        false,
        "Synchronously save the dataset to disk",
    ),
    cmd(
        "bgsave",
        -1,
        &["admin", "noscript", "no_async_loading"],
        false,
        "Asynchronously save the dataset to disk",
    ),
    cmd(
        "bgrewriteaof",
        1,
        &["admin", "noscript", "no_async_loading"],
        false,
        "Asynchronously rewrite the append-only file",
    ),
    cmd(
        "monitor",
        1,
        &["admin", "noscript", "loading", "stale"],
        false,
        "Listen for all requests received by the server in real time",
    ),
    cmd(
        "shutdown",
        -1,
        &["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
        false,
        "Synchronously save the dataset to disk and then shut down the server",
    ),
    ServerCommand {
        subcommands: &[
            ("list", 2),
            ("load", -3),
            ("loadex", -3),
            ("unload", 3),
            ("help", 2),
        ],
        ..cmd("module", -2, &[], false, "A container for module commands")
    },
    cmd(
        "replicaof",
        3,
        &["admin", "noscript", "stale", "no_async_loading"],
        false,
        "Make the server a replica of another instance, or promote it as master.",
    ),
    cmd(
        "slaveof",
        3,
        &["admin", "noscript", "stale", "no_async_loading"],
        false,
        "Make the server a replica of another instance, or promote it as master.",
    ),
    cmd(
        "subscribe",
        -2,
        &["pubsub", "noscript", "loading", "stale"],
        false,
        "Listen for messages published to the given channels",
    ),
    cmd(
        "unsubscribe",
        -1,
        &["pubsub", "noscript", "loading", "stale"],
        false,
        "Stop listening for messages posted to the given channels",
    ),
    cmd(
        "psubscribe",
        -2,
        &["pubsub", "noscript", "loading", "stale"],
        false,
        "Listen for messages published to channels matching the given patterns",
    ),
    cmd(
        "punsubscribe",
        -1,
        &["pubsub", "noscript", "loading", "stale"],
        false,
        "Stop listening for messages posted to channels matching the given patterns",
    ),
    // The shard channels sit at key positions (Redis Cluster routes them by slot).
    ServerCommand {
        first_key: 1,
        last_key: -1,
        step: 1,
        ..cmd(
            "ssubscribe",
            -2,
            &["pubsub", "noscript", "loading", "stale"],
            false,
            "Listen for messages published to the given shard channels",
        )
    },
    // The shard channels sit at key positions (Redis Cluster routes them by slot).
    ServerCommand {
        first_key: 1,
        last_key: -1,
        step: 1,
        ..cmd(
            "sunsubscribe",
            -1,
            &["pubsub", "noscript", "loading", "stale"],
            false,
            "Stop listening for messages posted to the given shard channels",
        )
    },
    ServerCommand {
        subcommands: &[
            ("channels", -2),
            ("numpat", 2),
            ("numsub", -2),
            ("shardchannels", -2),
            ("shardnumsub", -2),
            ("help", 2),
        ],
        ..cmd("pubsub", -2, &[], false, "A container for Pub/Sub commands")
    },
    cmd(
        "unwatch",
        1,
        &["noscript", "loading", "stale", "fast", "allow_busy"],
        false,
        "Forget about all watched keys",
    ),
];

/// Finds a server command by name, case-insensitively.
pub(crate) fn server_command(name: &[u8]) -> Option<&'static ServerCommand> {
    SERVER_COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// True when `argc` fits `arity` (Redis rule: exact when positive, at least -arity otherwise).
pub(crate) fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i64;
    let arity = i64::from(arity);
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Subcommands of a data command that Redis 7.0 describes as a container (OBJECT is one data
/// command in `meridian_keyspace`, which answers its subcommands), with their arities.
pub(crate) fn data_subcommands(name: &str) -> &'static [(&'static str, i32)] {
    match name {
        "object" => &[
            ("encoding", 3),
            ("freq", 3),
            ("idletime", 3),
            ("refcount", 3),
            ("help", 2),
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_case_and_not_data_commands() {
        let mut seen = std::collections::HashSet::new();
        for c in SERVER_COMMANDS {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(seen.insert(c.name), "{} twice", c.name);
            assert!(
                meridian_keyspace::lookup(c.name.as_bytes()).is_none(),
                "{} is also a data command",
                c.name
            );
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(server_command(b"PiNg").map(|c| c.name), Some("ping"));
        assert!(server_command(b"nope").is_none());
    }
}
