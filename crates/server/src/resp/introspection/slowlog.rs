//! SLOWLOG: the node's log of commands slower than `slowlog-log-slower-than`, newest first,
//! entries built as Redis's `slowlogCreateEntry` builds them (argv capped at 32 arguments and
//! 128 bytes per argument; passwords redacted as the commands themselves redact them).

use std::collections::VecDeque;

use bytes::Bytes;
use meridian_types::Reply;

use super::{subcommand_syntax_error, Intro};
use crate::resp::server_cmds::help;

const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;

/// One logged call.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub id: i64,
    pub time: i64,
    pub micros: i64,
    pub argv: Vec<Bytes>,
    pub client: String,
    pub name: String,
}

#[derive(Default)]
pub(super) struct SlowLog {
    /// Newest first.
    entries: VecDeque<Entry>,
    next_id: i64,
}

impl SlowLog {
    pub(super) fn push(
        &mut self,
        argv: &[Bytes],
        micros: i64,
        time: i64,
        client: &str,
        name: &str,
    ) {
        let entry = Entry {
            id: self.next_id,
            time,
            micros,
            argv: entry_argv(&redact(argv)),
            client: client.to_string(),
            name: name.to_string(),
        };
        self.next_id += 1;
        self.entries.push_front(entry);
    }

    pub(super) fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn reset(&mut self) {
        self.entries.clear();
    }

    pub(super) fn newest(&self, count: usize) -> impl Iterator<Item = &Entry> {
        self.entries.iter().take(count)
    }
}

/// The arguments as `slowlogCreateEntry` keeps them.
pub(super) fn entry_argv(argv: &[Bytes]) -> Vec<Bytes> {
    let kept = argv.len().min(MAX_ARGC);
    (0..kept)
        .map(|j| {
            if kept != argv.len() && j == kept - 1 {
                let more = argv.len() - kept + 1;
                return Bytes::from(format!("... ({more} more arguments)"));
            }
            let arg = &argv[j];
            if arg.len() > MAX_STRING {
                let mut s = arg[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes(),
                );
                Bytes::from(s)
            } else {
                arg.clone()
            }
        })
        .collect()
}

/// Redis's `redactClientCommandArgument` calls: AUTH's credentials, HELLO … AUTH user pass,
/// ACL SETUSER's arguments, and CONFIG SET of the sensitive settings.
pub(super) fn redact(argv: &[Bytes]) -> Vec<Bytes> {
    let mut out = argv.to_vec();
    let redacted = || Bytes::from_static(b"(redacted)");
    let is = |a: &Bytes, s: &str| a.eq_ignore_ascii_case(s.as_bytes());
    if is(&argv[0], "auth") {
        out.iter_mut().skip(1).take(2).for_each(|a| *a = redacted());
    } else if is(&argv[0], "hello") {
        let mut j = 2;
        while j < argv.len() {
            if is(&argv[j], "auth") && argv.len() - 1 - j >= 2 {
                out[j + 1] = redacted();
                out[j + 2] = redacted();
                j += 2;
            } else if is(&argv[j], "setname") {
                j += 1;
            }
            j += 1;
        }
    } else if is(&argv[0], "acl") && argv.len() >= 3 && is(&argv[1], "setuser") {
        // The user name and every rule (passwords among them).
        out.iter_mut().skip(2).for_each(|a| *a = redacted());
    } else if is(&argv[0], "config") && argv.len() >= 2 && is(&argv[1], "set") {
        for pair in (2..argv.len().saturating_sub(1)).step_by(2) {
            if ["masteruser", "masterauth", "requirepass"]
                .iter()
                .any(|s| is(&argv[pair], s))
            {
                out[pair + 1] = redacted();
            }
        }
    }
    out
}

fn entry_reply(e: &Entry) -> Reply {
    Reply::Array(vec![
        Reply::Integer(e.id),
        Reply::Integer(e.time),
        Reply::Integer(e.micros),
        Reply::Array(e.argv.iter().cloned().map(Reply::Bulk).collect()),
        Reply::bulk(e.client.clone()),
        Reply::bulk(e.name.clone()),
    ])
}

pub(super) fn command(intro: &Intro, argv: &[Bytes]) -> Reply {
    let sub = argv[1].to_ascii_lowercase();
    let mut log = super::lock(&intro.slowlog);
    match (sub.as_slice(), argv.len()) {
        (b"help", 2) => help(&[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ]),
        (b"reset", 2) => {
            log.reset();
            Reply::ok()
        }
        (b"len", 2) => Reply::Integer(log.len() as i64),
        (b"get", 2 | 3) => {
            let count = match argv.get(2) {
                None => 10,
                Some(arg) => match crate::resp::server_cmds::parse_i64(arg) {
                    Some(-1) => usize::MAX,
                    Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                    _ => {
                        return Reply::Error(
                            "ERR count should be greater than or equal to -1".into(),
                        )
                    }
                },
            };
            Reply::Array(log.newest(count).map(entry_reply).collect())
        }
        _ => subcommand_syntax_error(argv),
    }
}
