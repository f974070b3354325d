//! `CONFIG GET / SET / RESETSTAT / REWRITE / HELP` over every Redis 7.0.15 parameter
//! (`config_params.rs` is the table). Settings live per node, as on Redis; nothing is
//! replicated, and everything set is lost when the node restarts (Redis without REWRITE).
//!
//! Three sorts of parameters:
//! - acted on: `requirepass`, `proto-max-bulk-len`, `client-query-buffer-limit`, `maxclients`
//!   live in [`RespSettings`] and change what the node does (`databases` too, immutable);
//! - fixed by the deployment file: `port`, `bind`, `tls-port` (settable on Redis) and Redis's
//!   immutable and protected ones are refused with Redis's texts; `port` and `dir` read live;
//! - everything else tunes internals Meridian does not have (encodings, eviction, AOF, …): a
//!   SET is checked exactly as Redis checks it and the value is stored and reported, so
//!   clients and test suites that set them see Redis's answers, but it changes nothing else.

#[path = "config_params.rs"]
mod config_params;
#[cfg(test)]
#[path = "config_tests.rs"]
mod config_tests;
#[path = "config_values.rs"]
mod config_values;

use std::collections::HashMap;
use std::sync::PoisonError;

use bytes::Bytes;
use meridian_keyspace::glob_match_nocase;
use meridian_types::Reply;

use crate::resp::connection::Connection;
use crate::resp::server_cmds::help;
use crate::spec::RespSettings;
use config_params::{lookup, visible_names, Kind, Param, FIXED, IMM, PROT};
use config_values::{merge_output_buffer_limits, normalize};

/// Values set on the parameters Meridian only stores, by parameter name (the default applies
/// when absent).
pub(crate) type Stored = HashMap<&'static str, String>;

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

/// The node's RESP listening ports, as `CONFIG GET port` / `tls-port` report them (0: none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Listeners {
    pub port: u16,
    pub tls_port: u16,
}

impl Connection {
    /// `CONFIG <subcommand>`; existence and arity of the subcommand were checked by dispatch.
    pub(crate) fn config(&mut self, argv: &[Bytes]) -> Reply {
        let sub = argv[1].to_ascii_lowercase();
        let port = Listeners {
            port: self.shared.port,
            tls_port: self.shared.tls_port,
        };
        let mut stored = self
            .shared
            .config_stored
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let stored = &mut *stored;
        match sub.as_slice() {
            b"get" => config_get(&argv[2..], &self.shared.settings(), stored, port),
            b"set" => {
                let mut settings = self
                    .shared
                    .settings
                    .write()
                    .unwrap_or_else(PoisonError::into_inner);
                let before = settings.requirepass.clone();
                let reply = config_set(&argv[2..], &mut settings, stored, port);
                if settings.requirepass != before {
                    self.shared
                        .acl
                        .set_requirepass(settings.requirepass.clone());
                }
                push_tuning(&self.shared, stored);
                reply
            }
            b"resetstat" => {
                use std::sync::atomic::Ordering::Relaxed;
                let stats = &self.shared.stats;
                stats.commands_processed.store(0, Relaxed);
                stats.connections_received.store(0, Relaxed);
                stats.rejected_connections.store(0, Relaxed);
                self.shared.intro.reset_stats();
                Reply::ok()
            }
            // Redis's answer when it was started without a file: a node's settings come from
            // the deployment TOML and MERIDIAN_* variables, which CONFIG does not write.
            b"rewrite" => Reply::Error("ERR The server is running without a config file".into()),
            _ => help(HELP),
        }
    }
}

/// Hands the stored values of the parameters other modules act on to them: the slowlog's and
/// the latency monitor's thresholds (`introspection`), the idle `timeout` (`client_admin`)
/// and `maxmemory` (`oom`).
fn push_tuning(shared: &crate::resp::listener::Shared, stored: &Stored) {
    let value = |name: &str| stored.get(name).and_then(|v| v.parse::<i64>().ok());
    if let Some(us) = value("slowlog-log-slower-than") {
        shared.intro.set_slowlog_log_slower_than(us);
    }
    if let Some(len) = value("slowlog-max-len") {
        shared.intro.set_slowlog_max_len(len.max(0) as u64);
    }
    if let Some(ms) = value("latency-monitor-threshold") {
        shared.intro.set_latency_monitor_threshold(ms.max(0) as u64);
    }
    if let Some(secs) = value("timeout") {
        shared.admin.set_idle_timeout(secs.max(0) as u64);
    }
    if let Some(flags) = stored.get("notify-keyspace-events") {
        let flags = meridian_keyspace::NotifyFlags::parse(flags.as_bytes()).unwrap_or_default();
        let wanted = shared.pubsub.set_notify_flags(flags);
        shared.group.sm().set_events_wanted(wanted);
    }
    if let Some(limits) = stored.get("client-output-buffer-limit") {
        shared.pubsub.limits.load(limits);
    }
    if let Some(bytes) = stored.get("maxmemory").and_then(|v| v.parse::<u64>().ok()) {
        shared
            .maxmemory
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Which of [`RespSettings`] a parameter is, if the node acts on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Live {
    Requirepass,
    ProtoMaxBulkLen,
    ClientQueryBufferLimit,
    Maxclients,
    Databases,
}

fn live(param: &Param) -> Option<Live> {
    match param.name {
        "requirepass" => Some(Live::Requirepass),
        "proto-max-bulk-len" => Some(Live::ProtoMaxBulkLen),
        "client-query-buffer-limit" => Some(Live::ClientQueryBufferLimit),
        "maxclients" => Some(Live::Maxclients),
        "databases" => Some(Live::Databases),
        _ => None,
    }
}

/// What GET shows for a parameter on this node.
fn current(param: &Param, settings: &RespSettings, stored: &Stored, port: Listeners) -> String {
    match live(param) {
        Some(Live::Requirepass) => return settings.requirepass.clone().unwrap_or_default(),
        Some(Live::ProtoMaxBulkLen) => return settings.proto_max_bulk_len.to_string(),
        Some(Live::ClientQueryBufferLimit) => {
            return settings.client_query_buffer_limit.to_string()
        }
        Some(Live::Maxclients) => return settings.maxclients.to_string(),
        Some(Live::Databases) => return settings.databases.to_string(),
        None => {}
    }
    match param.name {
        "port" => port.port.to_string(),
        "tls-port" => port.tls_port.to_string(),
        "dir" => std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        name => stored
            .get(name)
            .cloned()
            .unwrap_or_else(|| param.default.to_string()),
    }
}

/// `CONFIG GET pattern [pattern …]`: a map of every parameter matching any pattern. A pattern
/// without `*?[` names one parameter (hidden ones too) and is echoed as typed; a glob matches
/// names and aliases case-insensitively. A name appears once however many patterns match it.
pub(crate) fn config_get(
    patterns: &[Bytes],
    settings: &RespSettings,
    stored: &Stored,
    port: Listeners,
) -> Reply {
    let mut found: Vec<(String, &Param)> = Vec::new();
    let mut add = |name: String, param: &'static Param| {
        if !found.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            found.push((name, param));
        }
    };
    for pattern in patterns {
        if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            if let Some((param, _)) = lookup(pattern) {
                add(String::from_utf8_lossy(pattern).into_owned(), param);
            }
            continue;
        }
        for (param, name) in visible_names() {
            if glob_match_nocase(pattern, name.as_bytes()) {
                add(name.to_string(), param);
            }
        }
    }
    let entries = found
        .into_iter()
        .map(|(name, param)| {
            (
                Reply::bulk(name),
                Reply::bulk(current(param, settings, stored, port)),
            )
        })
        .collect();
    Reply::Map(entries)
}

/// `CONFIG SET name value [name value …]`: all or nothing, checked in Redis 7.0's order
/// (`configSetCommand`): every name first (unknown, immutable, protected, duplicate), then
/// every value; the first failure is the answer and nothing changes.
pub(crate) fn config_set(
    args: &[Bytes],
    settings: &mut RespSettings,
    stored: &mut Stored,
    port: Listeners,
) -> Reply {
    if args.is_empty() || !args.len().is_multiple_of(2) {
        return Reply::Error("ERR syntax error".into());
    }
    let failed = |arg: &str, why: &str| {
        Reply::Error(format!(
            "ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}"
        ))
    };
    let pairs: Vec<(&Bytes, &Bytes)> = args.chunks(2).map(|c| (&c[0], &c[1])).collect();
    let mut chosen: Vec<(&'static Param, &'static str)> = Vec::new();
    let mut refusal: Option<Reply> = None;
    for (name, _) in &pairs {
        let typed = String::from_utf8_lossy(name);
        let Some(entry) = lookup(name) else {
            if refusal.is_none() {
                return Reply::Error(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{typed}'"
                ));
            }
            continue;
        };
        if refusal.is_some() {
            continue;
        }
        if entry.0.flags & IMM != 0 {
            refusal = Some(failed(&typed, "can't set immutable config"));
        } else if entry.0.flags & PROT != 0 {
            refusal = Some(failed(&typed, "can't set protected config"));
        } else if chosen
            .iter()
            .any(|(p, n)| std::ptr::eq(*p, entry.0) && *n == entry.1)
        {
            refusal = Some(failed(&typed, "duplicate parameter"));
        }
        chosen.push(entry);
    }
    if let Some(reply) = refusal {
        return reply;
    }
    let mut next_settings = settings.clone();
    let mut next_stored = stored.clone();
    for ((param, shown), (_, raw)) in chosen.iter().zip(&pairs) {
        let raw = String::from_utf8_lossy(raw);
        let value = match normalize(param.kind, &raw) {
            Ok(v) => v,
            Err(why) => return failed(shown, &why),
        };
        // The listener's settings are the deployment file's: setting the value they have is a
        // no-op (as on Redis), any other value is refused.
        if param.flags & FIXED != 0 {
            if value != current(param, settings, stored, port) {
                return failed(shown, fixed_refusal(param.name, &value));
            }
            continue;
        }
        apply(param, value, &mut next_settings, &mut next_stored);
    }
    *settings = next_settings;
    *stored = next_stored;
    Reply::ok()
}

/// Why a listener setting cannot change: Redis's own failure for a port nothing can listen on
/// (it would try to move there), else that the deployment file fixes it.
fn fixed_refusal(name: &str, value: &str) -> &'static str {
    let port_in_use = name == "port"
        && value
            .parse::<u16>()
            .is_ok_and(|p| p != 0 && std::net::TcpListener::bind(("0.0.0.0", p)).is_err());
    if port_in_use {
        "Unable to listen on this port"
    } else {
        "can't set immutable config"
    }
}

/// Puts a checked value where the node keeps it.
fn apply(param: &'static Param, value: String, settings: &mut RespSettings, stored: &mut Stored) {
    let number = || value.parse::<u64>().unwrap_or_default();
    match live(param) {
        Some(Live::Requirepass) => {
            settings.requirepass = (!value.is_empty()).then(|| value.clone())
        }
        Some(Live::ProtoMaxBulkLen) => settings.proto_max_bulk_len = number(),
        Some(Live::ClientQueryBufferLimit) => settings.client_query_buffer_limit = number(),
        Some(Live::Maxclients) => settings.maxclients = number(),
        // Immutable: SET refuses it before it gets here.
        Some(Live::Databases) => {}
        None if param.kind == Kind::ClientOutputBufferLimit => {
            let before = stored.get(param.name).map_or(param.default, String::as_str);
            let merged = merge_output_buffer_limits(before, &value);
            stored.insert(param.name, merged);
        }
        None => {
            stored.insert(param.name, value);
        }
    }
}
