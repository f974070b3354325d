//! Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RENAME RENAMENX RANDOMKEY, the TTL
//! commands (EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST) and the
//! database-wide ones (DBSIZE FLUSHDB). Those that span databases are in `cmd_db.rs`.

use bytes::Bytes;
use meridian_types::Reply;
use rand::RngCore;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::{
    keyed, keyless, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W, W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, invalid_expire, unsupported_option, EXPIRE_GT_AND_LT, EXPIRE_NX_AND_OTHERS, NO_SUCH_KEY,
    SYNTAX,
};
use crate::events::EventClass;
use crate::scan::{scan_cursor, scan_reply, ScanOpts};
use meridian_types::glob::glob_match;

pub const COMMANDS: &[CommandDef] = &[
    keyed("del", -2, W, -1, CommandKind::Write(del)),
    keyed("unlink", -2, W_FAST, -1, CommandKind::Write(del)),
    keyed("exists", -2, RO_FAST, -1, CommandKind::Read(exists)),
    keyed("type", 2, RO_FAST, 1, CommandKind::Read(type_cmd)),
    keyless("keys", 2, RO, CommandKind::Read(keys)),
    keyless("scan", -2, RO, CommandKind::Read(scan)),
    keyed("rename", 3, W, 2, CommandKind::Write(rename)),
    keyed("renamenx", 3, W_FAST, 2, CommandKind::Write(renamenx)),
    keyed("expire", -3, W_FAST, 1, CommandKind::Write(expire)),
    keyed("pexpire", -3, W_FAST, 1, CommandKind::Write(pexpire)),
    keyed("expireat", -3, W_FAST, 1, CommandKind::Write(expireat)),
    keyed("pexpireat", -3, W_FAST, 1, CommandKind::Write(pexpireat)),
    keyed("ttl", 2, RO_FAST, 1, CommandKind::Read(ttl)),
    keyed("pttl", 2, RO_FAST, 1, CommandKind::Read(pttl)),
    keyed("expiretime", 2, RO_FAST, 1, CommandKind::Read(expiretime)),
    keyed("pexpiretime", 2, RO_FAST, 1, CommandKind::Read(pexpiretime)),
    keyed("persist", 2, W_FAST, 1, CommandKind::Write(persist)),
    keyless("dbsize", 1, RO_FAST, CommandKind::Read(dbsize)),
    keyless("flushdb", -1, W, CommandKind::Write(flush)),
    keyless("randomkey", 1, RO, CommandKind::Read(randomkey)),
];

/// `now_ms` as Redis's signed `mstime()`.
fn now_i64(now_ms: u64) -> i64 {
    i64::try_from(now_ms).unwrap_or(i64::MAX)
}

/// DEL and UNLINK (UNLINK only frees memory lazily in Redis; the effect is the same).
fn del(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for key in &argv[1..] {
        if ctx.db.remove(key, now).is_some() {
            ctx.notify(EventClass::Generic, "del", key);
            n += 1;
        }
    }
    Ok(Reply::Integer(n))
}

/// Counts every argument that names a live key (a key given twice counts twice).
fn exists(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let n = argv[1..]
        .iter()
        .filter(|k| ctx.db.contains(k, ctx.now_ms))
        .count();
    Ok(Reply::Integer(n as i64))
}

fn type_cmd(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let name = ctx
        .db
        .get_value(&argv[1], ctx.now_ms)
        .map_or("none", |v| v.type_name());
    Ok(Reply::Status(name.to_string()))
}

fn keys(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let pattern = &argv[1];
    // Redis skips matching for "*" (which then also returns the empty key).
    let all = pattern.as_ref() == b"*";
    let out = ctx
        .db
        .iter(ctx.now_ms)
        .filter(|(k, _)| all || glob_match(pattern, k))
        .map(|(k, _)| Reply::Bulk(k.to_bytes()))
        .collect();
    Ok(Reply::Array(out))
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is the keyspace's scan
/// hash (see `Keyspace::scan`), sent as a bulk string like Redis's.
fn scan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let cursor = scan_cursor(&argv[1])?;
    let opts = ScanOpts::parse(&argv[2..], true)?;
    let (next, items) = ctx.db.scan(cursor, opts.count, ctx.now_ms);
    let keys = items
        .into_iter()
        .filter(|(k, e)| opts.matches(k) && opts.type_matches(e.value.type_name()))
        .map(|(k, _)| Reply::Bulk(k.to_bytes()))
        .collect();
    Ok(scan_reply(next, keys))
}

fn rename(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    rename_generic(ctx, argv, false)
}

fn renamenx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    rename_generic(ctx, argv, true)
}

/// Moves the value and its TTL; RENAME overwrites the destination whatever its type.
fn rename_generic(ctx: &mut WriteCtx<'_>, argv: &[Bytes], nx: bool) -> CommandResult {
    let now = ctx.now_ms;
    let (src, dst) = (&argv[1], &argv[2]);
    if !ctx.db.contains(src, now) {
        return Err(err(NO_SUCH_KEY));
    }
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::ok() });
    }
    if nx && ctx.db.contains(dst, now) {
        return Ok(Reply::Integer(0));
    }
    let entry = ctx.db.remove(src, now).ok_or_else(|| err(NO_SUCH_KEY))?;
    ctx.db.remove(dst, now);
    ctx.db.insert_entry(dst.clone(), entry);
    ctx.notify(EventClass::Generic, "rename_from", src);
    ctx.notify(EventClass::Generic, "rename_to", dst);
    Ok(if nx { Reply::Integer(1) } else { Reply::ok() })
}

/// The NX / XX / GT / LT options of the EXPIRE family.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(opts: &[Bytes]) -> Result<ExpireFlags, Reply> {
    let mut f = ExpireFlags::default();
    for opt in opts {
        if eq_ignore_case(opt, "nx") {
            f.nx = true;
        } else if eq_ignore_case(opt, "xx") {
            f.xx = true;
        } else if eq_ignore_case(opt, "gt") {
            f.gt = true;
        } else if eq_ignore_case(opt, "lt") {
            f.lt = true;
        } else {
            return Err(unsupported_option(opt));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(err(EXPIRE_NX_AND_OTHERS));
    }
    if f.gt && f.lt {
        return Err(err(EXPIRE_GT_AND_LT));
    }
    Ok(f)
}

fn expire(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    expire_generic(ctx, argv, "expire", true, true)
}

fn pexpire(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    expire_generic(ctx, argv, "pexpire", false, true)
}

fn expireat(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    expire_generic(ctx, argv, "expireat", true, false)
}

fn pexpireat(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    expire_generic(ctx, argv, "pexpireat", false, false)
}

/// Redis's `expireGenericCommand`: options, then the time (negative allowed, overflow is an
/// error), then the key. A time at or before now deletes the key (and answers 1).
fn expire_generic(
    ctx: &mut WriteCtx<'_>,
    argv: &[Bytes],
    name: &str,
    seconds: bool,
    relative: bool,
) -> CommandResult {
    let flags = parse_expire_flags(&argv[3..])?;
    let mut when = int_arg(&argv[2])?;
    if seconds {
        when = when.checked_mul(1000).ok_or_else(|| invalid_expire(name))?;
    }
    let now = ctx.now_ms;
    if relative {
        when = when
            .checked_add(now_i64(now))
            .ok_or_else(|| invalid_expire(name))?;
    }
    let key = &argv[1];
    let Some(current) = ctx.db.expire_at(key, now) else {
        return Ok(Reply::Integer(0));
    };
    let current = current.map(|t| i64::try_from(t).unwrap_or(i64::MAX));
    let refused = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|c| when <= c))
        || (flags.lt && current.is_some_and(|c| when >= c));
    if refused {
        return Ok(Reply::Integer(0));
    }
    match u64::try_from(when) {
        Ok(at) if at > now => {
            ctx.db.set_expire(key, Some(at));
            ctx.notify(EventClass::Generic, "expire", key);
        }
        _ => {
            ctx.db.remove(key, now);
            ctx.notify(EventClass::Generic, "del", key);
        }
    }
    Ok(Reply::Integer(1))
}

fn ttl(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    Ok(ttl_generic(ctx, &argv[1], |at, now| {
        (at - now + 500) / 1000
    }))
}

fn pttl(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    Ok(ttl_generic(ctx, &argv[1], |at, now| at - now))
}

fn expiretime(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    Ok(ttl_generic(ctx, &argv[1], |at, _| (at + 500) / 1000))
}

fn pexpiretime(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    Ok(ttl_generic(ctx, &argv[1], |at, _| at))
}

/// -2 for a missing key, -1 for a key without TTL, otherwise `f(expire_at, now)` (a live key's
/// TTL is always after now).
fn ttl_generic(ctx: &ReadCtx<'_>, key: &Bytes, f: impl Fn(u64, u64) -> u64) -> Reply {
    match ctx.db.expire_at(key, ctx.now_ms) {
        None => Reply::Integer(-2),
        Some(None) => Reply::Integer(-1),
        Some(Some(at)) => Reply::Integer(now_i64(f(at.max(ctx.now_ms), ctx.now_ms))),
    }
}

fn persist(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let key = &argv[1];
    match ctx.db.expire_at(key, ctx.now_ms) {
        Some(Some(_)) => {
            ctx.db.set_expire(key, None);
            ctx.notify(EventClass::Generic, "persist", key);
            Ok(Reply::Integer(1))
        }
        _ => Ok(Reply::Integer(0)),
    }
}

/// Keys stored, counting expired keys not yet removed, as Redis does.
fn dbsize(ctx: &ReadCtx<'_>, _argv: &[Bytes]) -> CommandResult {
    Ok(Reply::Integer(ctx.db.len() as i64))
}

/// FLUSHDB [ASYNC|SYNC] (FLUSHALL is in `cmd_db.rs`).
fn flush(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    match argv {
        [_] => {}
        [_, mode] if eq_ignore_case(mode, "sync") || eq_ignore_case(mode, "async") => {}
        _ => return Err(err(SYNTAX)),
    }
    ctx.db.clear();
    Ok(Reply::ok())
}

fn randomkey(ctx: &ReadCtx<'_>, _argv: &[Bytes]) -> CommandResult {
    let pick = ctx.rng().next_u64();
    Ok(match ctx.db.key_near(pick, ctx.now_ms) {
        Some(k) => Reply::Bulk(k.to_bytes()),
        None => Reply::Nil,
    })
}

#[cfg(test)]
#[path = "cmd_keys_tests.rs"]
mod tests;
