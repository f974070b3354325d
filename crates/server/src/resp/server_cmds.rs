//! Server commands: the dispatcher for every non-data command, plus CONFIG, INFO, ROLE,
//! TIME and WAIT.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use meridian_types::Reply;

use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};
use crate::resp::info::info_text;
use crate::resp::pubsub::conn::subscription_command;
use crate::resp::replication_info::{role_reply, ReplicationFacts};
use crate::resp::table::ServerCommand;

fn answer(reply: Reply) -> Step {
    Step::Answer(Answer::Reply(reply))
}

/// Redis `getLongLongFromObject` (strict decimal integer).
pub(crate) fn parse_i64(arg: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with('+') || (s.len() > 1 && s.starts_with('0')) || s == "-0" {
        return None;
    }
    if s.starts_with("-0") {
        return None;
    }
    s.parse().ok()
}

impl Connection {
    /// Runs one connection/server command. `in_exec`: the command was queued in MULTI and runs
    /// inside EXEC (WAIT then answers at once, as Redis does).
    pub(crate) async fn server_command(
        &mut self,
        cmd: &ServerCommand,
        argv: &[Bytes],
        in_exec: bool,
    ) -> Step {
        match cmd.name {
            "ping" => match self.subscribed_ping(argv) {
                Some(pong) => Step::Answer(pong),
                None => answer(self.ping(argv)),
            },
            "pubsub" => answer(self.pubsub_command(argv)),
            name if subscription_command(name).is_some() => {
                let Some((kind, subscribe)) = subscription_command(name) else {
                    return answer(Reply::Error("ERR unreachable".into()));
                };
                Step::Answer(self.subscription(kind, subscribe, argv))
            }
            "echo" => answer(Reply::Bulk(argv[1].clone())),
            "hello" => self.hello(argv),
            "auth" => answer(self.auth(argv)),
            "acl" => answer(self.acl(argv).await),
            "select" => answer(self.select(argv)),
            "client" => self.client(argv),
            "monitor" => self.monitor(in_exec),
            "shutdown" => self.shutdown(argv).await,
            "command" if crate::resp::introspection::is_getkeys(argv) => {
                answer(crate::resp::introspection::getkeys(argv))
            }
            "command" => self.command(argv),
            "slowlog" | "latency" | "memory" | "debug" | "lolwut" | "lastsave" | "save"
            | "bgsave" | "bgrewriteaof" => self.introspection(cmd.name, argv, in_exec).await,
            "config" => answer(self.config(argv)),
            "info" => Step::Answer(Answer::Verbatim(info_text(&self.shared, &argv[1..]).await)),
            "role" => {
                let facts = ReplicationFacts::gather(&self.shared).await;
                answer(role_reply(&self.shared, &facts))
            }
            "time" => answer(time()),
            "quit" => Step::Close(Answer::Reply(Reply::ok())),
            "reset" => answer(self.reset()),
            "readonly" => {
                self.session.readonly = true;
                answer(Reply::ok())
            }
            "readwrite" => {
                self.session.readonly = false;
                answer(Reply::ok())
            }
            "wait" => wait(argv, in_exec),
            "multi" => answer(self.multi()),
            "exec" => Step::Answer(self.exec().await),
            "discard" => answer(self.discard()),
            "watch" => answer(self.watch(&argv[1..]).await),
            "function" => answer(function_flush(argv)),
            "module" => answer(crate::resp::admin_cmds::module(argv)),
            "replicaof" | "slaveof" => answer(self.replicaof(argv)),
            "unwatch" => {
                self.session.watched.clear();
                answer(Reply::ok())
            }
            other => answer(Reply::Error(format!(
                "ERR command '{other}' is listed but not implemented"
            ))),
        }
    }
}

pub(crate) fn help(lines: &[&str]) -> Reply {
    Reply::Array(
        lines
            .iter()
            .map(|l| Reply::Status((*l).to_string()))
            .collect(),
    )
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`, the only FUNCTION subcommand the table lists: there are no
/// libraries to delete yet, so it answers as Redis does after deleting them (test harnesses
/// call it before every test).
fn function_flush(argv: &[Bytes]) -> Reply {
    match argv.get(2) {
        _ if argv.len() > 3 => Reply::Error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
            String::from_utf8_lossy(&argv[1])
        )),
        Some(mode)
            if !mode.eq_ignore_ascii_case(b"sync") && !mode.eq_ignore_ascii_case(b"async") =>
        {
            Reply::Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into())
        }
        _ => Reply::ok(),
    }
}

fn time() -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Reply::Array(vec![
        Reply::bulk(now.as_secs().to_string()),
        Reply::bulk(now.subsec_micros().to_string()),
    ])
}

/// `WAIT numreplicas timeout`: the connection then waits until that many secondary clusters
/// applied its last write, or the timeout passes (0 = block forever); see `Connection::block`.
fn wait(argv: &[Bytes], in_exec: bool) -> Step {
    let Some(numreplicas) = parse_i64(&argv[1]) else {
        return answer(Reply::Error(
            "ERR value is not an integer or out of range".into(),
        ));
    };
    let timeout = match parse_i64(&argv[2]) {
        None => {
            return answer(Reply::Error(
                "ERR timeout is not an integer or out of range".into(),
            ))
        }
        Some(t) if t < 0 => return answer(Reply::Error("ERR timeout is negative".into())),
        Some(t) => t as u64,
    };
    Step::Block {
        replicas: numreplicas.max(0) as usize,
        limit: (timeout > 0).then(|| Duration::from_millis(timeout)),
        at_once: in_exec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict_like_redis() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"012"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"1x"), None);
    }
}
