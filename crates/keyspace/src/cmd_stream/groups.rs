//! XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP) and XACK.

use bytes::Bytes;
use meridian_types::Reply;

use super::cgroup::Group;
use super::ids::{cstr, loose_id, strict_id};
use super::model::{Stream, StreamId};
use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::WriteCtx;
use crate::errors::{
    err, no_group_for_key, subcommand_syntax, unknown_subcommand, wrong_arity, BUSYGROUP,
    ENTRIESREAD_RANGE, XGROUP_NEEDS_KEY,
};

/// XGROUP's subcommands with their Redis 7.0 arity (command name included; negative: at
/// least).
const SUBCOMMANDS: &[(&str, i32)] = &[
    ("create", -5),
    ("setid", -5),
    ("destroy", 4),
    ("createconsumer", 5),
    ("delconsumer", 5),
    ("help", 2),
];

const HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// The help lines of a container command, as status replies.
pub(crate) fn help_reply(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::Status((*l).into())).collect())
}

/// The subcommand lookup and arity check Redis makes for a container command; the
/// subcommand's lower-case name.
pub(crate) fn subcommand(
    argv: &[Bytes],
    table: &[(&'static str, i32)],
    command: &str,
) -> Result<&'static str, Reply> {
    let sub = &argv[1];
    let (name, arity) = table
        .iter()
        .find(|(n, _)| eq_ignore_case(sub, n))
        .ok_or_else(|| unknown_subcommand(sub, command))?;
    let argc = argv.len() as i32;
    let fits = if *arity >= 0 {
        argc == *arity
    } else {
        argc >= -arity
    };
    if !fits {
        return Err(wrong_arity(&format!(
            "{}|{name}",
            command.to_ascii_lowercase()
        )));
    }
    Ok(name)
}

/// CREATE's and SETID's options.
struct GroupOpts {
    mkstream: bool,
    entries_read: Option<u64>,
}

fn parse_opts(argv: &[Bytes], sub: &str) -> Result<GroupOpts, Reply> {
    let mut opts = GroupOpts {
        mkstream: false,
        entries_read: None,
    };
    let (create, setid) = (sub == "create", sub == "setid");
    let mut i = 5;
    while i < argv.len() {
        if create && eq_ignore_case(&argv[i], "mkstream") {
            opts.mkstream = true;
            i += 1;
        } else if (create || setid) && eq_ignore_case(&argv[i], "entriesread") && i + 1 < argv.len()
        {
            let n = int_arg(&argv[i + 1])?;
            if n < -1 {
                return Err(err(ENTRIESREAD_RANGE));
            }
            opts.entries_read = u64::try_from(n).ok();
            i += 2;
        } else {
            return Err(subcommand_syntax(&argv[1], "XGROUP"));
        }
    }
    Ok(opts)
}

pub(super) fn xgroup(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let sub = subcommand(argv, SUBCOMMANDS, "XGROUP")?;
    if sub == "help" {
        return Ok(help_reply(HELP));
    }
    let opts = parse_opts(argv, sub)?;
    let (key, group) = (&argv[2], &argv[3]);
    let exists = ctx.db.lookup::<Stream>(key, ctx.now_ms)?.is_some();
    if !opts.mkstream {
        let Some(s) = ctx.db.lookup::<Stream>(key, ctx.now_ms)? else {
            return Err(err(XGROUP_NEEDS_KEY));
        };
        let needs_group = matches!(sub, "setid" | "createconsumer" | "delconsumer");
        if needs_group && !s.groups.contains_key(group) {
            return Err(no_group_for_key(group, key));
        }
    }
    match sub {
        "create" if argv.len() <= 8 => create(ctx, argv, opts.entries_read, exists),
        "setid" if argv.len() == 5 || argv.len() == 7 => setid(ctx, argv, opts.entries_read),
        "destroy" => with_stream(ctx, key, |s| {
            Ok(Reply::Integer(i64::from(s.groups.remove(group).is_some())))
        }),
        "createconsumer" => {
            let now = ctx.now_ms as i64;
            with_group(ctx, key, group, |g| {
                Ok(Reply::Integer(i64::from(g.create_consumer(&argv[4], now))))
            })
        }
        "delconsumer" => with_group(ctx, key, group, |g| {
            Ok(Reply::Integer(
                g.delete_consumer(&argv[4]).unwrap_or(0) as i64
            ))
        }),
        _ => Err(subcommand_syntax(&argv[1], "XGROUP")),
    }
}

fn with_stream(
    ctx: &mut WriteCtx<'_>,
    key: &Bytes,
    f: impl FnOnce(&mut Stream) -> CommandResult,
) -> CommandResult {
    match ctx.db.lookup_mut_unmarked::<Stream>(key, ctx.now_ms)? {
        Some(s) => f(s),
        None => Err(err(XGROUP_NEEDS_KEY)),
    }
}

fn with_group(
    ctx: &mut WriteCtx<'_>,
    key: &Bytes,
    group: &Bytes,
    f: impl FnOnce(&mut Group) -> CommandResult,
) -> CommandResult {
    with_stream(ctx, key, |s| match s.groups.get_mut(group) {
        Some(g) => f(g),
        None => Err(no_group_for_key(group, key)),
    })
}

fn create(
    ctx: &mut WriteCtx<'_>,
    argv: &[Bytes],
    entries_read: Option<u64>,
    exists: bool,
) -> CommandResult {
    let (key, group) = (&argv[2], &argv[3]);
    let id = if cstr(&argv[4]) == b"$" {
        ctx.db
            .lookup::<Stream>(key, ctx.now_ms)?
            .map_or(StreamId::MIN, |s| s.last_id)
    } else {
        strict_id(&argv[4])?
    };
    let s = if exists {
        ctx.db.lookup_mut_unmarked::<Stream>(key, ctx.now_ms)?
    } else {
        Some(ctx.db.lookup_or_create::<Stream>(key, ctx.now_ms)?)
    };
    let Some(s) = s else {
        return Err(err(XGROUP_NEEDS_KEY));
    };
    if s.groups.contains_key(group) {
        return Err(err(BUSYGROUP));
    }
    s.groups.insert(group.clone(), Group::new(id, entries_read));
    Ok(Reply::ok())
}

fn setid(ctx: &mut WriteCtx<'_>, argv: &[Bytes], entries_read: Option<u64>) -> CommandResult {
    let (key, group) = (&argv[2], &argv[3]);
    let dollar = cstr(&argv[4]) == b"$";
    let given = if dollar {
        None
    } else {
        Some(loose_id(&argv[4], 0)?)
    };
    with_stream(ctx, key, |s| {
        let id = given.unwrap_or(s.last_id);
        match s.groups.get_mut(group) {
            Some(g) => {
                g.last_id = id;
                g.entries_read = entries_read;
                Ok(Reply::ok())
            }
            None => Err(no_group_for_key(group, key)),
        }
    })
}

pub(super) fn xack(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let (key, group) = (&argv[1], &argv[2]);
    let has_group = ctx
        .db
        .lookup::<Stream>(key, ctx.now_ms)?
        .is_some_and(|s| s.groups.contains_key(group));
    if !has_group {
        return Ok(Reply::Integer(0));
    }
    let ids = argv[3..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(g) = ctx
        .db
        .lookup_mut_unmarked::<Stream>(key, ctx.now_ms)?
        .and_then(|s| s.groups.get_mut(group))
    else {
        return Ok(Reply::Integer(0));
    };
    let acked = ids.into_iter().filter(|id| g.ack(*id)).count();
    Ok(Reply::Integer(acked as i64))
}
