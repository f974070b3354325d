//! Commands that span databases: MOVE SWAPDB COPY FLUSHALL. They run through
//! [`Databases`](crate::Databases); `SELECT` itself is the edge's (a connection's state), and
//! inside a transaction's entry `Databases::execute_write` follows it.
//!
//! Database indexes are checked twice: at the edge against the `databases` setting (with
//! [`db_index_error`], before anything is proposed), and here against the hard limit only, so
//! every replica applies the same entry the same way whatever its own setting.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::{
    keyed, keyless, CommandDef, CommandKind, CommandResult, W, W_DENYOOM, W_FAST,
};
use crate::ctx::DbsCtx;
use crate::databases::MAX_DATABASES;
use crate::errors::{
    err, DB_INDEX_NOT_INT, DB_OUT_OF_RANGE, INVALID_FIRST_DB, INVALID_SECOND_DB, SAME_OBJECT,
    SYNTAX,
};
use crate::events::EventClass;

pub const COMMANDS: &[CommandDef] = &[
    keyed("move", 3, W_FAST, 1, CommandKind::Databases(move_cmd)),
    keyless("swapdb", 3, W_FAST, CommandKind::Databases(swapdb)),
    keyed("copy", -3, W_DENYOOM, 2, CommandKind::Databases(copy)),
    keyless("flushall", -1, W, CommandKind::Databases(flushall)),
];

/// Parses a database index as Redis's `getIntFromObjectOrReply` does (`msg` replaces both of
/// its parse errors when given) and checks it against `count` databases.
pub fn db_index(arg: &Bytes, msg: Option<&str>, count: u32) -> Result<u32, Reply> {
    let n = match (int_arg(arg), msg) {
        (Ok(n), _) if i32::try_from(n).is_ok() => n,
        (_, Some(msg)) => return Err(err(msg)),
        (Ok(_), None) => return Err(err(DB_INDEX_NOT_INT)),
        (Err(e), None) => return Err(e),
    };
    u32::try_from(n)
        .ok()
        .filter(|id| *id < count)
        .ok_or_else(|| err(DB_OUT_OF_RANGE))
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
        let first = argv.get(1).map(|a| (a, Some(INVALID_FIRST_DB)));
        let second = argv.get(2).map(|a| (a, Some(INVALID_SECOND_DB)));
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
                out_of_range = Some(err(DB_OUT_OF_RANGE))
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
fn move_cmd(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let dst = db_index(&argv[2], None, MAX_DATABASES)?;
    if dst == ctx.db {
        return Err(err(SAME_OBJECT));
    }
    let (key, now) = (&argv[1], ctx.now_ms);
    // Redis looks the key up for a write in the target too, deleting it if expired.
    if ctx.dbs.db(ctx.db).contains(key, now) {
        ctx.dbs.db_mut(dst).drop_if_expired(key, now);
    }
    if !ctx.dbs.db(ctx.db).contains(key, now) || ctx.dbs.db(dst).contains(key, now) {
        return Ok(Reply::Integer(0));
    }
    let Some(entry) = ctx.dbs.db_mut(ctx.db).remove(key, now) else {
        return Ok(Reply::Integer(0));
    };
    ctx.dbs.db_mut(dst).insert_entry(key.clone(), entry);
    ctx.notify(EventClass::Generic, "move_from", ctx.db, key);
    ctx.notify(EventClass::Generic, "move_to", dst, key);
    Ok(Reply::Integer(1))
}

/// SWAPDB index1 index2.
fn swapdb(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let a = db_index(&argv[1], Some(INVALID_FIRST_DB), u32::MAX)?;
    let b = db_index(&argv[2], Some(INVALID_SECOND_DB), u32::MAX)?;
    if a >= MAX_DATABASES || b >= MAX_DATABASES {
        return Err(err(DB_OUT_OF_RANGE));
    }
    ctx.dbs.swap(a, b);
    Ok(Reply::ok())
}

/// COPY source destination [DB destination-db] [REPLACE].
fn copy(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let mut replace = false;
    let mut dst_db = ctx.db;
    let mut j = 3;
    while j < argv.len() {
        if eq_ignore_case(&argv[j], "replace") {
            replace = true;
        } else if eq_ignore_case(&argv[j], "db") && j + 1 < argv.len() {
            dst_db = db_index(&argv[j + 1], None, MAX_DATABASES)?;
            j += 1;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    let (src, dst, now) = (&argv[1], &argv[2], ctx.now_ms);
    if dst_db == ctx.db && src == dst {
        return Err(err(SAME_OBJECT));
    }
    let Some(entry) = ctx.dbs.db(ctx.db).get(src, now).cloned() else {
        return Ok(Reply::Integer(0));
    };
    let target = ctx.dbs.db_mut(dst_db);
    target.drop_if_expired(dst, now);
    if target.contains(dst, now) {
        if !replace {
            return Ok(Reply::Integer(0));
        }
        target.remove(dst, now);
    }
    target.insert_entry(dst.clone(), entry);
    ctx.notify(EventClass::Generic, "copy_to", dst_db, dst);
    Ok(Reply::Integer(1))
}

/// FLUSHALL [ASYNC|SYNC].
fn flushall(ctx: &mut DbsCtx<'_>, argv: &[Bytes]) -> CommandResult {
    match argv {
        [_] => {}
        [_, mode] if eq_ignore_case(mode, "sync") || eq_ignore_case(mode, "async") => {}
        _ => return Err(err(SYNTAX)),
    }
    ctx.dbs.clear();
    Ok(Reply::ok())
}
