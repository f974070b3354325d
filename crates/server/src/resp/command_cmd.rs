//! `COMMAND` (plain, COUNT, INFO, DOCS, LIST [FILTERBY …], HELP) over the commands Meridian
//! implements, subcommands included, described as Redis 7.0.15 describes them
//! (`command_meta.rs`; key specs from `introspection/getkeys_specs.rs`). Argument docs are not
//! described (docs/compatibility.md). `COMMAND LIST` and its filters are in
//! `command_cmd/list.rs`.

mod list;

use bytes::Bytes;
use meridian_keyspace::{lookup, CommandDef, ALL_COMMANDS};
use meridian_types::Reply;

use self::list::{list, Filter};
use crate::resp::command_meta::{meta, Meta, UNDESCRIBED};
use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};
use crate::resp::server_cmds::help;
use crate::resp::table::{data_subcommands, server_command, ServerCommand, SERVER_COMMANDS};

/// A command or subcommand as COMMAND describes it.
struct Entry {
    /// Full name: `get`, `client|list`.
    name: String,
    arity: i32,
    flags: Vec<&'static str>,
    keys: (i32, i32, i32),
    /// Empty when unknown (Meridian keeps summaries of its server commands only).
    summary: &'static str,
    /// Redis's description ([`UNDESCRIBED`] for a command Redis 7.0.15 lacks).
    meta: &'static Meta,
    /// Non-empty for a container (CLIENT, CONFIG, OBJECT, …).
    subs: Vec<Entry>,
}

fn subcommands(parent: &str, subs: &[(&'static str, i32)]) -> Vec<Entry> {
    subs.iter()
        .map(|(sub, arity)| {
            let name = format!("{parent}|{sub}");
            let meta = describe(&name);
            Entry {
                arity: *arity,
                flags: words(meta.flags).collect(),
                keys: meta.keys,
                summary: "",
                meta,
                subs: vec![],
                name,
            }
        })
        .collect()
}

fn describe(name: &str) -> &'static Meta {
    meta(name).unwrap_or(&UNDESCRIBED)
}

fn data_entry(def: &'static CommandDef) -> Entry {
    Entry {
        name: def.name.to_string(),
        arity: def.arity,
        flags: def.flags.to_vec(),
        keys: (def.first_key, def.last_key, def.step),
        summary: "",
        meta: describe(def.name),
        subs: subcommands(def.name, data_subcommands(def.name)),
    }
}

fn server_entry(cmd: &'static ServerCommand) -> Entry {
    Entry {
        name: cmd.name.to_string(),
        arity: cmd.arity,
        flags: cmd.flags.to_vec(),
        keys: (cmd.first_key, cmd.last_key, cmd.step),
        summary: cmd.summary,
        meta: describe(cmd.name),
        subs: subcommands(cmd.name, cmd.subcommands),
    }
}

/// Every top-level command, data commands first.
fn all() -> Vec<Entry> {
    let data = ALL_COMMANDS
        .iter()
        .flat_map(|defs| defs.iter().map(data_entry));
    data.chain(SERVER_COMMANDS.iter().map(server_entry))
        .collect()
}

/// `get` or `client|list`, as Redis's `lookupCommandBySds` finds it: one level of
/// subcommands, names case-insensitive.
fn find(name: &[u8]) -> Option<Entry> {
    let mut parts = name.split(|&b| b == b'|');
    let top = parts.next()?;
    let top = match server_command(top) {
        Some(cmd) => server_entry(cmd),
        None => data_entry(lookup(top)?),
    };
    match (parts.next(), parts.next()) {
        (None, _) => Some(top),
        (Some(sub), None) => {
            let full = [top.name.as_bytes(), b"|", sub].concat();
            top.subs
                .into_iter()
                .find(|s| s.name.as_bytes().eq_ignore_ascii_case(&full))
        }
        _ => None,
    }
}

/// Every command and subcommand as ACL rules see them (full name, categories, `no_auth`): the
/// table `ACL SETUSER` rules are applied against, on every node and in the replicated apply.
/// It is Redis 7.0.15's whole table, commands Meridian does not implement included, so rules
/// written for Redis (`+cluster`, `-@stream`) are accepted and rendered as Redis renders them;
/// then the commands only Meridian has.
pub(crate) fn acl_commands() -> Vec<meridian_acl::CommandInfo> {
    let metas = crate::resp::command_meta::all_meta();
    let info = |m: &Meta, subs| {
        let flags: Vec<&str> = words(m.flags).collect();
        acl_info(
            m.name,
            &m.categories(&flags),
            flags.contains(&"no_auth"),
            subs,
        )
    };
    let mut table: Vec<meridian_acl::CommandInfo> = metas
        .iter()
        .filter(|m| !m.name.contains('|'))
        .map(|top| {
            let prefix = format!("{}|", top.name);
            let subs = metas
                .iter()
                .filter(|m| m.name.starts_with(&prefix))
                .map(|m| info(m, vec![]))
                .collect();
            info(top, subs)
        })
        .collect();
    for entry in all() {
        match table.iter_mut().find(|c| c.fullname == entry.name) {
            None => table.push(entry.acl_info()),
            Some(known) => {
                for sub in &entry.subs {
                    if !known.subcommands.iter().any(|s| s.fullname == sub.name) {
                        known.subcommands.push(sub.acl_info());
                    }
                }
            }
        }
    }
    table
}

fn acl_info(
    name: &str,
    categories: &[&str],
    no_auth: bool,
    subcommands: Vec<meridian_acl::CommandInfo>,
) -> meridian_acl::CommandInfo {
    let cats: Vec<_> = categories
        .iter()
        .filter_map(|c| meridian_acl::Category::from_name(c))
        .collect();
    meridian_acl::CommandInfo {
        fullname: name.to_string(),
        categories: meridian_acl::CategorySet::of(&cats),
        no_auth,
        subcommands,
    }
}

fn words(s: &'static str) -> impl Iterator<Item = &'static str> {
    s.split(' ').filter(|w| !w.is_empty())
}

fn bulk(s: &str) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

impl Entry {
    fn categories(&self) -> Vec<&'static str> {
        self.meta.categories(&self.flags)
    }

    fn acl_info(&self) -> meridian_acl::CommandInfo {
        let subs = self.subs.iter().map(Entry::acl_info).collect();
        acl_info(
            &self.name,
            &self.categories(),
            self.flags.contains(&"no_auth"),
            subs,
        )
    }

    /// The 10-element `COMMAND INFO` entry (`addReplyCommandInfo`).
    fn info(&self) -> Reply {
        let int = |n: i32| Reply::Integer(i64::from(n));
        let status = |s: &str| Reply::Status(s.to_string());
        Reply::Array(vec![
            bulk(&self.name),
            int(self.arity),
            Reply::Set(self.flags.iter().map(|f| status(f)).collect()),
            int(self.keys.0),
            int(self.keys.1),
            int(self.keys.2),
            Reply::Set(
                self.categories()
                    .iter()
                    .map(|c| status(&format!("@{c}")))
                    .collect(),
            ),
            Reply::Set(words(self.meta.tips).map(bulk).collect()),
            self.meta.key_specs(),
            if self.subs.is_empty() {
                Reply::Set(vec![])
            } else {
                Reply::Array(self.subs.iter().map(Entry::info).collect())
            },
        ])
    }

    /// The `COMMAND DOCS` map (`addReplyCommandDocs`) with the fields Meridian knows.
    fn docs(&self) -> Reply {
        let mut fields = Vec::new();
        if !self.summary.is_empty() {
            fields.push((bulk("summary"), bulk(self.summary)));
        }
        if !self.meta.since.is_empty() {
            fields.push((bulk("since"), bulk(self.meta.since)));
        }
        fields.push((bulk("group"), bulk(self.meta.group)));
        if !self.subs.is_empty() {
            let subs = self.subs.iter().map(|s| (bulk(&s.name), s.docs()));
            fields.push((bulk("subcommands"), Reply::Map(subs.collect())));
        }
        Reply::Map(fields)
    }
}

const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

/// COMMAND and its subcommands other than GETKEYS (`introspection`); dispatch has checked
/// the subcommand and its arity.
fn command_reply(argv: &[Bytes]) -> Reply {
    let Some(sub) = argv.get(1) else {
        return Reply::Array(all().iter().map(Entry::info).collect());
    };
    let names = &argv[2..];
    match sub.to_ascii_lowercase().as_slice() {
        b"count" => Reply::Integer(all().len() as i64),
        b"list" => match Filter::parse(names) {
            Ok(filter) => list(filter.as_ref()),
            Err(e) => e,
        },
        b"info" if names.is_empty() => Reply::Array(all().iter().map(Entry::info).collect()),
        b"info" => Reply::Array(
            names
                .iter()
                .map(|n| find(n).map_or(Reply::Nil, |e| e.info()))
                .collect(),
        ),
        b"docs" => {
            let found = if names.is_empty() {
                all()
            } else {
                names.iter().filter_map(|n| find(n)).collect()
            };
            Reply::Map(found.iter().map(|e| (bulk(&e.name), e.docs())).collect())
        }
        _ => help(HELP),
    }
}

impl Connection {
    pub(super) fn command(&mut self, argv: &[Bytes]) -> Step {
        Step::Answer(Answer::Reply(command_reply(argv)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::from(w.to_string())).collect()
    }

    #[test]
    fn info_finds_subcommands_as_redis_does() {
        let name = |n: &str| find(n.as_bytes()).map(|e| e.name);
        assert_eq!(name("CLIENT|List").as_deref(), Some("client|list"));
        assert_eq!(name("object|freq").as_deref(), Some("object|freq"));
        for missing in ["get|key", "config|get|key", "client|", "|list", "", "nope"] {
            assert_eq!(name(missing), None, "{missing}");
        }
        let status =
            |s: &[&str]| Reply::Set(s.iter().map(|s| Reply::Status(s.to_string())).collect());
        let Reply::Array(info) = command_reply(&argv(&["command", "info", "client|list"])) else {
            panic!("not an array")
        };
        assert_eq!(
            info[0],
            Reply::Array(vec![
                bulk("client|list"),
                Reply::Integer(-2),
                status(&["admin", "noscript", "loading", "stale"]),
                Reply::Integer(0),
                Reply::Integer(0),
                Reply::Integer(0),
                status(&["@admin", "@slow", "@dangerous", "@connection"]),
                Reply::Set(vec![bulk("nondeterministic_output")]),
                Reply::Set(vec![]),
                Reply::Set(vec![]),
            ])
        );
    }

    #[test]
    fn docs_nest_subcommands() {
        let Reply::Map(docs) = command_reply(&argv(&["command", "docs", "config", "nope"])) else {
            panic!("not a map")
        };
        assert_eq!(docs.len(), 1);
        let Reply::Map(fields) = &docs[0].1 else {
            panic!("not a map")
        };
        assert!(fields.contains(&(bulk("group"), bulk("server"))));
        assert!(fields.contains(&(bulk("since"), bulk("2.0.0"))));
        let subs = fields.iter().find(|(k, _)| *k == bulk("subcommands"));
        let Some((_, Reply::Map(subs))) = subs else {
            panic!("no subcommands")
        };
        assert!(subs.iter().any(|(k, _)| *k == bulk("config|get")));
    }

    fn info_of(name: &str) -> Vec<Reply> {
        let Some(Reply::Array(info)) = find(name.as_bytes()).map(|e| e.info()) else {
            panic!("{name}: no info")
        };
        info
    }

    fn specs_of(name: &str) -> Vec<Vec<(Reply, Reply)>> {
        let Reply::Set(specs) = info_of(name).swap_remove(8) else {
            panic!("{name}: key specs are not a set")
        };
        specs
            .into_iter()
            .map(|s| match s {
                Reply::Map(fields) => fields,
                other => panic!("{name}: spec is not a map: {other:?}"),
            })
            .collect()
    }

    fn map(fields: &[(&'static str, Reply)]) -> Reply {
        Reply::Map(fields.iter().map(|(k, v)| (bulk(k), v.clone())).collect())
    }

    fn typed(kind: &str, spec: &[(&'static str, Reply)]) -> Reply {
        map(&[("type", bulk(kind)), ("spec", map(spec))])
    }

    fn flags(words: &[&str]) -> Reply {
        Reply::Set(words.iter().map(|w| Reply::Status(w.to_string())).collect())
    }

    #[test]
    fn key_specs_as_redis_writes_them() {
        let int = Reply::Integer;
        let range = |last, step, limit| {
            typed(
                "range",
                &[
                    ("lastkey", int(last)),
                    ("keystep", int(step)),
                    ("limit", int(limit)),
                ],
            )
        };
        let georadius = specs_of("GEORADIUS");
        assert_eq!(georadius.len(), 3);
        assert_eq!(
            Reply::Map(georadius[1].clone()),
            map(&[
                ("flags", flags(&["OW", "update"])),
                (
                    "begin_search",
                    typed(
                        "keyword",
                        &[("keyword", bulk("STORE")), ("startfrom", int(6))]
                    )
                ),
                ("find_keys", range(0, 1, 0)),
            ])
        );
        let blmpop = specs_of("blmpop");
        assert_eq!(
            Reply::Map(blmpop[0].clone()),
            map(&[
                ("flags", flags(&["RW", "access", "delete"])),
                ("begin_search", typed("index", &[("index", int(2))])),
                (
                    "find_keys",
                    typed(
                        "keynum",
                        &[
                            ("keynumidx", int(0)),
                            ("firstkey", int(1)),
                            ("keystep", int(1)),
                        ]
                    )
                ),
            ])
        );
        assert_eq!(
            specs_of("blpop")[0][2],
            (bulk("find_keys"), range(-2, 1, 0))
        );
    }

    #[test]
    fn key_spec_notes_come_first() {
        let sort = specs_of("sort");
        assert_eq!(sort.len(), 3);
        assert_eq!(sort[0][0].0, bulk("flags"));
        assert_eq!(sort[2][0].0, bulk("notes"));
        let Reply::Bulk(note) = &sort[2][0].1 else {
            panic!("note is not a bulk")
        };
        assert!(note.starts_with(b"For the optional STORE keyword."));
        assert_eq!(sort[2][2].1, typed("unknown", &[]));
        assert_eq!(sort[2][3].1, typed("unknown", &[]));
        assert_eq!(specs_of("set")[0][0].0, bulk("notes"));
    }

    /// Every command with keys (a legacy range or movable keys) has key specs, and commands
    /// without keys have none.
    #[test]
    fn key_specs_cover_every_command_with_keys() {
        for top in all() {
            for e in std::iter::once(&top).chain(top.subs.iter()) {
                let has_keys = e.keys != (0, 0, 0) || e.flags.contains(&"movablekeys");
                let specs = specs_of(&e.name).len();
                assert_eq!(specs > 0, has_keys, "{}: {specs} key specs", e.name);
            }
        }
        assert!(specs_of("object").is_empty() && specs_of("client|list").is_empty());
    }

    /// Meridian's own tables say what Redis 7.0.15 says about the same commands.
    #[test]
    fn tables_agree_with_redis() {
        for top in all() {
            for e in std::iter::once(&top).chain(top.subs.iter()) {
                if e.name == "client|setinfo" {
                    continue;
                }
                let m = meta(&e.name).unwrap_or_else(|| panic!("{} not in command_meta", e.name));
                assert_eq!(
                    e.flags,
                    words(m.flags).collect::<Vec<_>>(),
                    "{} flags",
                    e.name
                );
                assert_eq!(e.keys, m.keys, "{} keys", e.name);
            }
        }
    }
}
