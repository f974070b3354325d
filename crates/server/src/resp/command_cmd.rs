//! `COMMAND` (plain, COUNT, INFO, DOCS, LIST): enough for clients and tools that probe the
//! command table. Key specs, tips and argument docs are not described (docs/compatibility.md).

use bytes::Bytes;
use meridian_keyspace::{CommandDef, ALL_COMMANDS};
use meridian_types::Reply;

use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};
use crate::resp::server_cmds::help;
use crate::resp::table::{data_group, server_command, ServerCommand, SERVER_COMMANDS};

/// A command of either table, as COMMAND describes it.
enum Described {
    Data(&'static CommandDef, usize),
    Server(&'static ServerCommand),
}

fn all() -> Vec<Described> {
    let data = ALL_COMMANDS
        .iter()
        .enumerate()
        .flat_map(|(family, defs)| defs.iter().map(move |d| Described::Data(d, family)));
    data.chain(SERVER_COMMANDS.iter().map(Described::Server))
        .collect()
}

fn find(name: &[u8]) -> Option<Described> {
    if let Some(cmd) = server_command(name) {
        return Some(Described::Server(cmd));
    }
    ALL_COMMANDS.iter().enumerate().find_map(|(family, defs)| {
        defs.iter()
            .find(|d| d.name.as_bytes().eq_ignore_ascii_case(name))
            .map(|d| Described::Data(d, family))
    })
}

fn status_set(items: impl IntoIterator<Item = String>) -> Reply {
    Reply::Set(items.into_iter().map(Reply::Status).collect())
}

fn bulk(s: &str) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// ACL category of a Redis command group.
fn category(group: &str) -> &'static str {
    match group {
        "string" => "@string",
        "hash" => "@hash",
        "list" => "@list",
        "set" => "@set",
        "sorted-set" => "@sortedset",
        "connection" => "@connection",
        "transactions" => "@transaction",
        "generic" => "@keyspace",
        _ => "@admin",
    }
}

#[allow(clippy::too_many_arguments)]
fn info_entry(
    name: &str,
    arity: i32,
    flags: &[&str],
    keys: (i32, i32, i32),
    group: &str,
    subcommands: Vec<Reply>,
) -> Reply {
    let mut acl = Vec::new();
    if flags.contains(&"write") {
        acl.push("@write".to_string());
    }
    if flags.contains(&"readonly") {
        acl.push("@read".to_string());
    }
    acl.push(category(group).to_string());
    acl.push(
        if flags.contains(&"fast") {
            "@fast"
        } else {
            "@slow"
        }
        .to_string(),
    );
    Reply::Array(vec![
        bulk(name),
        Reply::Integer(i64::from(arity)),
        status_set(flags.iter().map(|f| f.to_string())),
        Reply::Integer(i64::from(keys.0)),
        Reply::Integer(i64::from(keys.1)),
        Reply::Integer(i64::from(keys.2)),
        status_set(acl),
        Reply::Set(vec![]),
        Reply::Array(vec![]),
        Reply::Array(subcommands),
    ])
}

fn info(d: &Described) -> Reply {
    match d {
        Described::Data(def, family) => info_entry(
            def.name,
            def.arity,
            def.flags,
            (def.first_key, def.last_key, def.step),
            data_group(*family),
            vec![],
        ),
        Described::Server(cmd) => {
            let subs = cmd
                .subcommands
                .iter()
                .map(|(sub, arity)| {
                    info_entry(
                        &format!("{}|{sub}", cmd.name),
                        *arity,
                        cmd.flags,
                        (0, 0, 0),
                        cmd.group,
                        vec![],
                    )
                })
                .collect();
            info_entry(
                cmd.name,
                cmd.arity,
                cmd.flags,
                (cmd.first_key, cmd.last_key, cmd.step),
                cmd.group,
                subs,
            )
        }
    }
}

fn name_of(d: &Described) -> &'static str {
    match d {
        Described::Data(def, _) => def.name,
        Described::Server(cmd) => cmd.name,
    }
}

fn docs(d: &Described) -> Reply {
    let (summary, group) = match d {
        Described::Data(_, family) => ("", data_group(*family)),
        Described::Server(cmd) => (cmd.summary, cmd.group),
    };
    Reply::Map(vec![
        (bulk("summary"), bulk(summary)),
        (bulk("since"), bulk("1.0.0")),
        (bulk("group"), bulk(group)),
    ])
}

impl Connection {
    pub(super) fn command(&mut self, argv: &[Bytes]) -> Step {
        let reply = if argv.len() == 1 {
            Reply::Array(all().iter().map(info).collect())
        } else {
            let names = &argv[2..];
            match argv[1].to_ascii_lowercase().as_slice() {
                b"count" => Reply::Integer(all().len() as i64),
                b"list" => Reply::Array(all().iter().map(|d| bulk(name_of(d))).collect()),
                b"info" if names.is_empty() => Reply::Array(all().iter().map(info).collect()),
                b"info" => Reply::Array(
                    names
                        .iter()
                        .map(|n| find(n).map_or(Reply::Nil, |d| info(&d)))
                        .collect(),
                ),
                b"docs" => {
                    let found: Vec<Described> = if names.is_empty() {
                        all()
                    } else {
                        names.iter().filter_map(|n| find(n)).collect()
                    };
                    Reply::Map(found.iter().map(|d| (bulk(name_of(d)), docs(d))).collect())
                }
                _ => help(&[
                    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "(no subcommand)",
                    "    Return details about all Redis commands.",
                    "COUNT",
                    "    Return the total number of commands in this Redis server.",
                    "LIST",
                    "    Return a list of all commands in this Redis server.",
                    "INFO [<command-name> ...]",
                    "    Return details about multiple Redis commands.",
                    "DOCS [<command-name> ...]",
                    "    Return documentation details about multiple Redis commands.",
                    "HELP",
                    "    Print this help.",
                ]),
            }
        };
        Step::Answer(Answer::Reply(reply))
    }
}
