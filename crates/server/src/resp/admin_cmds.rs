//! MODULE and REPLICAOF / SLAVEOF: Redis administration commands that have no counterpart in
//! Meridian, answered the way a Redis 7.0.15 server would answer them in the same position.
//!
//! - A node loads no modules and reports `enable-module-command no` (CONFIG GET), so MODULE
//!   LIST is empty and LOAD / LOADEX / UNLOAD are refused with Redis's text for that setting.
//! - A cluster's replication role is set through the Global Datastore (`meridian global …`),
//!   never by a client: `REPLICAOF NO ONE` succeeds where the cluster takes writes already
//!   (standalone or primary), and everything else changes nothing and says where to go.

use bytes::Bytes;
use meridian_types::{ClusterRole, Reply};

use crate::resp::connection::Connection;
use crate::resp::server_cmds::{help, parse_i64};

const MODULE_HELP: &[&str] = &[
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
];

/// Redis `processCommand`'s refusal of a protected command while `enable-module-command` is
/// `no`, the value every Meridian node reports.
const MODULE_NOT_ALLOWED: &str = "ERR MODULE command not allowed. If the enable-module-command \
option is set to \"local\", you can run it from a local connection, otherwise you need to set \
this option in the configuration file, and then restart the server.";

/// `MODULE <sub> …`; dispatch has checked the subcommand and its arity.
pub(crate) fn module(argv: &[Bytes]) -> Reply {
    match argv[1].to_ascii_lowercase().as_slice() {
        b"list" => Reply::Array(vec![]),
        b"help" => help(MODULE_HELP),
        _ => Reply::Error(MODULE_NOT_ALLOWED.into()),
    }
}

/// What `REPLICAOF host port` answers instead of following another server.
const REPLICAOF_GLOBAL: &str = "ERR REPLICAOF host port is not supported: replication between \
Meridian clusters is configured through the Global Datastore (meridian global add-secondary); \
nothing was changed";

/// What `REPLICAOF NO ONE` answers on a cluster that does not take writes (a secondary, or a
/// primary draining for a failover): only the Global Datastore changes its role.
fn no_one_refused(role: &ClusterRole) -> Reply {
    Reply::Error(format!(
        "ERR REPLICAOF NO ONE cannot change the role of this {} cluster: it is changed through \
         its Global Datastore (meridian global failover); nothing was changed",
        role.name()
    ))
}

/// `REPLICAOF host port` / `SLAVEOF host port` (arity checked by dispatch) on a cluster with
/// this role. The port is checked first, as Redis does.
pub(crate) fn replicaof(role: &ClusterRole, argv: &[Bytes]) -> Reply {
    let (host, port) = (&argv[1], &argv[2]);
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return match role {
            ClusterRole::Standalone | ClusterRole::Primary { .. } => Reply::ok(),
            ClusterRole::Secondary { .. } | ClusterRole::Draining { .. } => no_one_refused(role),
        };
    }
    if !parse_i64(port).is_some_and(|p| (0..=65535).contains(&p)) {
        return Reply::Error("ERR Invalid master port".into());
    }
    Reply::Error(REPLICAOF_GLOBAL.into())
}

impl Connection {
    /// REPLICAOF / SLAVEOF against this node's cluster role.
    pub(super) fn replicaof(&self, argv: &[Bytes]) -> Reply {
        replicaof(&self.shared.group.role(), argv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::from(w.to_string())).collect()
    }

    fn error_text(reply: Reply) -> String {
        match reply {
            Reply::Error(e) => e,
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn module_lists_nothing_and_loads_nothing() {
        assert_eq!(module(&argv(&["module", "LIST"])), Reply::Array(vec![]));
        let Reply::Array(lines) = module(&argv(&["module", "help"])) else {
            panic!("help is not an array")
        };
        assert_eq!(lines.len(), MODULE_HELP.len());
        for cmd in [
            &["module", "load", "/nonexistent"][..],
            &["module", "LoadEx", "/nonexistent", "CONFIG", "a", "b"],
            &["module", "unload", "foo"],
        ] {
            assert_eq!(
                error_text(module(&argv(cmd))),
                MODULE_NOT_ALLOWED,
                "{cmd:?}"
            );
        }
    }

    #[test]
    fn replicaof_no_one_is_ok_where_writes_are_taken() {
        let primary = ClusterRole::Primary {
            datastore: "g".into(),
            epoch: 1,
            base_seq: 0,
        };
        for role in [ClusterRole::Standalone, primary] {
            assert_eq!(
                replicaof(&role, &argv(&["replicaof", "No", "ONE"])),
                Reply::ok()
            );
            assert_eq!(
                replicaof(&role, &argv(&["slaveof", "no", "one"])),
                Reply::ok()
            );
        }
        let secondary = ClusterRole::Secondary {
            datastore: "g".into(),
            epoch: 1,
            source: "east".into(),
        };
        let err = error_text(replicaof(&secondary, &argv(&["replicaof", "no", "one"])));
        assert!(
            err.contains("this secondary cluster") && err.contains("failover"),
            "{err}"
        );
    }

    #[test]
    fn replicaof_host_port_changes_nothing() {
        let role = ClusterRole::Standalone;
        let err = |w: &[&str]| error_text(replicaof(&role, &argv(w)));
        assert_eq!(err(&["replicaof", "127.0.0.1", "6379"]), REPLICAOF_GLOBAL);
        assert!(REPLICAOF_GLOBAL.contains("meridian global add-secondary"));
        for port in ["two", "-1", "65536", "01", ""] {
            assert_eq!(
                err(&["replicaof", "no", port]),
                "ERR Invalid master port",
                "{port}"
            );
        }
    }
}
