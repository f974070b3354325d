//! Commands that span databases: MOVE SWAPDB COPY FLUSHALL. They run through
//! [`Databases`](crate::Databases); `SELECT` itself is the edge's (a connection's state), and
//! inside a transaction's entry `Databases::execute_write` follows it.
//!
//! Database indexes are checked twice: at the edge against the `databases` setting (with
//! [`db_index_error`], before anything is proposed), and here against the hard limit only, so
//! every replica applies the same entry the same way whatever its own setting.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, err, int_arg, SYNTAX};
use crate::command::{keyed, keyless, CommandDef, CommandKind, W, W_DENYOOM, W_FAST};
use crate::ctx::DbsCtx;
use crate::databases::MAX_DATABASES;

pub const COMMANDS: &[CommandDef] = &[
    keyed("move", 3, W_FAST, 1, CommandKind::Databases(move_cmd)),
    keyless("swapdb", 3, W_FAST, CommandKind::Databases(swapdb)),
    keyed("copy", -3, W_DENYOOM, 2, CommandKind::Databases(copy)),
    keyless("flushall", -1, W, CommandKind::Databases(flushall)),
];

const OUT_OF_RANGE: &str = "ERR DB index is out of range";
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// Parses a database index as Redis's `getIntFromObjectOrReply` does (`msg` replaces both of
/// its parse errors when given) and checks it against `count` databases.
pub fn db_index(arg: &Bytes, msg: Option<&str>, count: u32) -> Result<u32, Reply> {
    let n = match (int_arg(arg), msg) {
        (Ok(n), _) if i32::try_from(n).is_ok() => n,
        (_, Some(msg)) => return Err(err(msg)),
        (Ok(_), None) => {
            return Err(err(
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ))
        }
        (Err(e), None) => return Err(e),
    };
    u32::try_from(n)
        .ok()
        .filter(|id| *id < count)
        .ok_or_else(|| err(OUT_OF_RANGE))
}

/// The error Redis answers for the database indexes of `argv` (SELECT, MOVE, SWAPDB, COPY …
/// DB) with `count` databases, checked in Redis's order; None when they are fine, or when
/// the command fails for another reason first (the apply answers that one).
pub fn db_index_error(argv: &[Bytes], count: u32) -> Option<Reply> {
    let name = argv.first()?;
    let checks: Vec<(&Bytes, Option<&str>)> = if eq_ignore_case(name, "select") {
        argv.get(1).map(|a| (a, None)).into_iter().collect()
    } else if eq_ignore_case(name, "move") {
        argv.get(2).map(|a| (a, None)).into_iter().collect()
    } else if eq_ignore_case(name, "swapdb") {
        let first = argv.get(1).map(|a| (a, Some("ERR invalid first DB index")));
        let second = argv
            .get(2)
            .map(|a| (a, Some("ERR invalid second DB index")));
        first.into_iter().chain(second).collect()
    } else if eq_ignore_case(name, "copy") {
        copy_db_args(argv).into_iter().map(|a| (a, None)).collect()
    } else {
        Vec::new()
    };
    // SWAPDB parses both before it checks either's range.
    let mut out_of_range = None;
    for (arg, msg) in checks {
        match db_index(arg, msg, u32::MAX) {
            Err(e) => return Some(e),
            Ok(id) if id >= count && out_of_range.is_none() => {
                out_of_range = Some(err(OUT_OF_RANGE))
            }
            Ok(_) => {}
        }
        if out_of_range.is_some() && !eq_ignore_case(name, "swapdb") {
            break;
        }
    }
    out_of_range
}

/// COPY's `DB` arguments up to its first syntax error (where Redis stops parsing).
fn copy_db_args(argv: &[Bytes]) -> Vec<&Bytes> {
    let mut out = Vec::new();
    let mut j = 3;
    while j < argv.len() {
        if eq_ignore_case(&argv[j], "replace") {
            j += 1;
        } else if eq_ignore_case(&argv[j], "db") && j + 1 < argv.len() {
            out.push(&argv[j + 1]);
            j += 2;
        } else {
            break;
        }
    }
    out
}

/// MOVE key db.
fn move_cmd(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> Reply {
    let dst = match db_index(&argv[2], None, MAX_DATABASES) {
        Ok(id) => id,
        Err(e) => return e,
    };
    if dst == ctx.db {
        return err(SAME_OBJECT);
    }
    let (key, now) = (&argv[1], ctx.now_ms);
    if !ctx.dbs.db(ctx.db).contains(key, now) || ctx.dbs.db(dst).contains(key, now) {
        return Reply::Integer(0);
    }
    let Some(entry) = ctx.dbs.db_mut(ctx.db).remove(key, now) else {
        return Reply::Integer(0);
    };
    ctx.dbs.db_mut(dst).insert_entry(key.clone(), entry);
    Reply::Integer(1)
}

/// SWAPDB index1 index2.
fn swapdb(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> Reply {
    let first = db_index(&argv[1], Some("ERR invalid first DB index"), u32::MAX);
    let second = db_index(&argv[2], Some("ERR invalid second DB index"), u32::MAX);
    let (a, b) = match (first, second) {
        (Err(e), _) | (_, Err(e)) => return e,
        (Ok(a), Ok(b)) => (a, b),
    };
    if a >= MAX_DATABASES || b >= MAX_DATABASES {
        return err(OUT_OF_RANGE);
    }
    ctx.dbs.swap(a, b);
    Reply::ok()
}

/// COPY source destination [DB destination-db] [REPLACE].
fn copy(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> Reply {
    let mut replace = false;
    let mut dst_db = ctx.db;
    let mut j = 3;
    while j < argv.len() {
        if eq_ignore_case(&argv[j], "replace") {
            replace = true;
        } else if eq_ignore_case(&argv[j], "db") && j + 1 < argv.len() {
            dst_db = match db_index(&argv[j + 1], None, MAX_DATABASES) {
                Ok(id) => id,
                Err(e) => return e,
            };
            j += 1;
        } else {
            return err(SYNTAX);
        }
        j += 1;
    }
    let (src, dst, now) = (&argv[1], &argv[2], ctx.now_ms);
    if dst_db == ctx.db && src == dst {
        return err(SAME_OBJECT);
    }
    let Some(entry) = ctx.dbs.db(ctx.db).get(src, now).cloned() else {
        return Reply::Integer(0);
    };
    let target = ctx.dbs.db_mut(dst_db);
    if target.contains(dst, now) {
        if !replace {
            return Reply::Integer(0);
        }
        target.remove(dst, now);
    }
    target.insert_entry(dst.clone(), entry);
    Reply::Integer(1)
}

/// FLUSHALL [ASYNC|SYNC].
fn flushall(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> Reply {
    match argv {
        [_] => {}
        [_, mode] if eq_ignore_case(mode, "sync") || eq_ignore_case(mode, "async") => {}
        _ => return err(SYNTAX),
    }
    ctx.dbs.clear();
    Reply::ok()
}
