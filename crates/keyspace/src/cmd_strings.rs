//! String commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL GETEX INCR
//! INCRBY INCRBYFLOAT DECR DECRBY APPEND STRLEN GETRANGE SETRANGE.
//!
//! Redis keeps integers in strings as text, and so do we: `INCR` on "10" stores "11".

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::{
    keyed, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W_DENYOOM, W_DENYOOM_FAST, W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, invalid_expire, wrong_arity, DECREMENT_OVERFLOW, NOT_INTEGER, OFFSET_OUT_OF_RANGE,
    OVERFLOW, STRING_TOO_LONG, SYNTAX,
};
use crate::events::EventClass;
use crate::long_double::LongDouble;
use crate::small_bytes::SmallBytes;
use crate::value::Value;

pub const COMMANDS: &[CommandDef] = &[
    keyed("get", 2, RO_FAST, 1, CommandKind::Read(get)),
    keyed("set", -3, W_DENYOOM, 1, CommandKind::Write(set)),
    keyed("setnx", 3, W_DENYOOM_FAST, 1, CommandKind::Write(setnx)),
    keyed("setex", 4, W_DENYOOM, 1, CommandKind::Write(setex)),
    keyed("psetex", 4, W_DENYOOM, 1, CommandKind::Write(psetex)),
    keyed("mget", -2, RO_FAST, -1, CommandKind::Read(mget)),
    keyed("mset", -3, W_DENYOOM, -1, CommandKind::Write(mset)).step(2),
    keyed("msetnx", -3, W_DENYOOM, -1, CommandKind::Write(msetnx)).step(2),
    keyed("getset", 3, W_DENYOOM_FAST, 1, CommandKind::Write(getset)),
    keyed("getdel", 2, W_FAST, 1, CommandKind::Write(getdel)),
    keyed("getex", -2, W_FAST, 1, CommandKind::Write(getex)),
    keyed("incr", 2, W_DENYOOM_FAST, 1, CommandKind::Write(incr)),
    keyed("incrby", 3, W_DENYOOM_FAST, 1, CommandKind::Write(incrby)),
    keyed(
        "incrbyfloat",
        3,
        W_DENYOOM_FAST,
        1,
        CommandKind::Write(incrbyfloat),
    ),
    keyed("decr", 2, W_DENYOOM_FAST, 1, CommandKind::Write(decr)),
    keyed("decrby", 3, W_DENYOOM_FAST, 1, CommandKind::Write(decrby)),
    keyed("append", 3, W_DENYOOM_FAST, 1, CommandKind::Write(append)),
    keyed("strlen", 2, RO_FAST, 1, CommandKind::Read(strlen)),
    keyed("getrange", 4, RO, 1, CommandKind::Read(getrange)),
    keyed("setrange", 4, W_DENYOOM, 1, CommandKind::Write(setrange)),
];

fn bulk_or_nil(v: Option<&SmallBytes>) -> Reply {
    v.map_or(Reply::Nil, |s| Reply::Bulk(s.to_bytes()))
}

fn get(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let value = ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)?;
    Ok(bulk_or_nil(value))
}

/// Which expiry option of SET / GETEX was given.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Options of SET (`for_set`) or GETEX, parsed as Redis's
/// `parseExtendedStringArgumentsOrReply`: a repeated option is allowed, a conflicting one is a
/// syntax error.
#[derive(Debug, Default)]
struct ExtOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, Bytes)>,
}

fn parse_ext_opts(args: &[Bytes], for_set: bool) -> Result<ExtOpts, Reply> {
    let mut o = ExtOpts::default();
    let mut j = 0;
    while j < args.len() {
        let opt = &args[j];
        let next = args.get(j + 1);
        let kind = o.expire.as_ref().map(|(k, _)| *k);
        // An expiry option may repeat itself but not follow another kind, KEEPTTL or PERSIST.
        let expire_ok = |k: ExpireKind| !o.keepttl && !o.persist && kind.is_none_or(|c| c == k);
        let expire_kind = [
            ("ex", ExpireKind::Ex),
            ("px", ExpireKind::Px),
            ("exat", ExpireKind::ExAt),
            ("pxat", ExpireKind::PxAt),
        ]
        .into_iter()
        .find(|(name, _)| eq_ignore_case(opt, name))
        .map(|(_, k)| k);
        if eq_ignore_case(opt, "nx") && !o.xx && for_set {
            o.nx = true;
        } else if eq_ignore_case(opt, "xx") && !o.nx && for_set {
            o.xx = true;
        } else if eq_ignore_case(opt, "get") && for_set {
            o.get = true;
        } else if eq_ignore_case(opt, "keepttl") && !o.persist && kind.is_none() && for_set {
            o.keepttl = true;
        } else if eq_ignore_case(opt, "persist") && !for_set && kind.is_none() && !o.keepttl {
            o.persist = true;
        } else if let (Some(k), Some(v)) = (expire_kind, next) {
            if !expire_ok(k) {
                return Err(err(SYNTAX));
            }
            o.expire = Some((k, v.clone()));
            j += 1;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in ms, which must be positive
/// and must not overflow.
fn expire_ms(kind: ExpireKind, arg: &Bytes, command: &str, now_ms: u64) -> Result<u64, Reply> {
    let v = int_arg(arg)?;
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if v <= 0 {
        return Err(invalid_expire(command));
    }
    let mut ms = if seconds {
        v.checked_mul(1000).ok_or_else(|| invalid_expire(command))?
    } else {
        v
    };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
        ms = ms.checked_add(now).ok_or_else(|| invalid_expire(command))?;
    }
    u64::try_from(ms).map_err(|_| invalid_expire(command))
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL].
fn set(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let opts = parse_ext_opts(&argv[3..], true)?;
    let at = match &opts.expire {
        Some((kind, arg)) => Some(expire_ms(*kind, arg, "set", ctx.now_ms)?),
        None => None,
    };
    set_generic(ctx, &argv[1], &argv[2], &opts, at)
}

/// Sets `key` per SET's options (already validated). `at`: absolute expiry. An expiry in the
/// past (EXAT/PXAT) leaves the key stored but expired, as Redis 7.0 does.
fn set_generic(
    ctx: &mut WriteCtx<'_>,
    key: &Bytes,
    value: &Bytes,
    opts: &ExtOpts,
    at: Option<u64>,
) -> CommandResult {
    let now = ctx.now_ms;
    let old = if opts.get {
        Some(bulk_or_nil(ctx.db.lookup::<SmallBytes>(key, now)?))
    } else {
        None
    };
    let found = ctx.db.contains(key, now);
    if (opts.nx && found) || (opts.xx && !found) {
        return Ok(old.unwrap_or(Reply::Nil));
    }
    let v = Value::Str(SmallBytes::from(value));
    if opts.keepttl {
        ctx.db.insert_keep_ttl(key.clone(), v, now);
    } else {
        ctx.db.insert(key.clone(), v);
    }
    ctx.notify(EventClass::String, "set", key);
    if at.is_some() {
        ctx.db.set_expire(key, at);
        ctx.notify(EventClass::Generic, "expire", key);
    }
    Ok(old.unwrap_or_else(Reply::ok))
}

fn setnx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if ctx.db.contains(&argv[1], ctx.now_ms) {
        return Ok(Reply::Integer(0));
    }
    ctx.db
        .insert(argv[1].clone(), Value::Str(SmallBytes::from(&argv[2])));
    ctx.notify(EventClass::String, "set", &argv[1]);
    Ok(Reply::Integer(1))
}

fn setex(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    setex_generic(ctx, argv, ExpireKind::Ex, "setex")
}

fn psetex(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    setex_generic(ctx, argv, ExpireKind::Px, "psetex")
}

fn setex_generic(
    ctx: &mut WriteCtx<'_>,
    argv: &[Bytes],
    kind: ExpireKind,
    name: &str,
) -> CommandResult {
    let at = expire_ms(kind, &argv[2], name, ctx.now_ms)?;
    set_generic(ctx, &argv[1], &argv[3], &ExtOpts::default(), Some(at))
}

/// A key holding another type reads as nil.
fn mget(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let out = argv[1..]
        .iter()
        .map(|k| match ctx.db.get_value(k, ctx.now_ms) {
            Some(Value::Str(s)) => Reply::Bulk(s.to_bytes()),
            _ => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(out))
}

fn mset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if argv.len().is_multiple_of(2) {
        return Err(wrong_arity("mset"));
    }
    for kv in argv[1..].chunks_exact(2) {
        ctx.db
            .insert(kv[0].clone(), Value::Str(SmallBytes::from(&kv[1])));
        ctx.notify(EventClass::String, "set", &kv[0]);
    }
    Ok(Reply::ok())
}

fn msetnx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if argv.len().is_multiple_of(2) {
        return Err(wrong_arity("msetnx"));
    }
    let now = ctx.now_ms;
    if argv[1..].iter().step_by(2).any(|k| ctx.db.contains(k, now)) {
        return Ok(Reply::Integer(0));
    }
    for kv in argv[1..].chunks_exact(2) {
        ctx.db
            .insert(kv[0].clone(), Value::Str(SmallBytes::from(&kv[1])));
        ctx.notify(EventClass::String, "set", &kv[0]);
    }
    Ok(Reply::Integer(1))
}

/// GETSET key value: SET (dropping any TTL) answering the old value.
fn getset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let old = bulk_or_nil(ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)?);
    ctx.db
        .insert(argv[1].clone(), Value::Str(SmallBytes::from(&argv[2])));
    ctx.notify(EventClass::String, "set", &argv[1]);
    Ok(old)
}

fn getdel(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let now = ctx.now_ms;
    let Some(old) = ctx.db.lookup::<SmallBytes>(&argv[1], now)? else {
        return Ok(Reply::Nil);
    };
    let old = Reply::Bulk(old.to_bytes());
    ctx.db.remove(&argv[1], now);
    ctx.notify(EventClass::Generic, "del", &argv[1]);
    Ok(old)
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST]. Order as Redis: options, key, type, then
/// the time; an EXAT/PXAT in the past deletes the key after answering its value.
fn getex(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let opts = parse_ext_opts(&argv[2..], false)?;
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(value) = ctx.db.lookup::<SmallBytes>(key, now)?.map(|s| s.to_bytes()) else {
        return Ok(Reply::Nil);
    };
    match &opts.expire {
        Some((kind, arg)) => {
            let at = expire_ms(*kind, arg, "getex", now)?;
            if at <= now {
                ctx.db.remove(key, now);
                ctx.notify(EventClass::Generic, "del", key);
            } else {
                ctx.db.set_expire(key, Some(at));
                ctx.notify(EventClass::Generic, "expire", key);
            }
        }
        // PERSIST of a key without a TTL changes nothing.
        None if opts.persist && ctx.db.expire_at(key, now).flatten().is_some() => {
            ctx.db.set_expire(key, None);
            ctx.notify(EventClass::Generic, "persist", key);
        }
        None => {}
    }
    Ok(Reply::Bulk(value))
}

fn incr(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    incr_decr(ctx, &argv[1], 1)
}

fn decr(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    incr_decr(ctx, &argv[1], -1)
}

fn incrby(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let by = int_arg(&argv[2])?;
    incr_decr(ctx, &argv[1], by)
}

fn decrby(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    match int_arg(&argv[2])? {
        i64::MIN => Err(err(DECREMENT_OVERFLOW)),
        by => incr_decr(ctx, &argv[1], -by),
    }
}

/// Adds `by` to the integer stored as text under `key` (0 if missing), keeping its TTL.
fn incr_decr(ctx: &mut WriteCtx<'_>, key: &Bytes, by: i64) -> CommandResult {
    let now = ctx.now_ms;
    let cur = match ctx.db.lookup::<SmallBytes>(key, now)? {
        None => 0,
        Some(s) => parse_i64(s).ok_or_else(|| err(NOT_INTEGER))?,
    };
    let new = cur.checked_add(by).ok_or_else(|| err(OVERFLOW))?;
    let text = SmallBytes::new(new.to_string().as_bytes());
    ctx.db.insert_keep_ttl(key.clone(), Value::Str(text), now);
    ctx.notify(EventClass::String, "incrby", key);
    Ok(Reply::Integer(new))
}

/// Computed in x87 `long double` and printed as Redis prints it (see [`LongDouble`]).
fn incrbyfloat(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let now = ctx.now_ms;
    let key = &argv[1];
    let cur = ctx.db.lookup::<SmallBytes>(key, now)?.cloned();
    let v = LongDouble::incr_by(cur.as_deref(), &argv[2])?;
    let text = Bytes::from(v.to_human_string());
    ctx.db
        .insert_keep_ttl(key.clone(), Value::Str(SmallBytes::from(&text)), now);
    ctx.notify(EventClass::String, "incrbyfloat", key);
    Ok(Reply::Bulk(text))
}

/// True when a string of `len + extra` bytes would exceed `proto-max-bulk-len`.
fn too_long(ctx: &WriteCtx<'_>, len: usize, extra: usize) -> bool {
    len.checked_add(extra)
        .is_none_or(|total| total > ctx.limits.max_string_len)
}

fn append(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let now = ctx.now_ms;
    let key = &argv[1];
    let Some(old) = ctx.db.lookup::<SmallBytes>(key, now)? else {
        ctx.db
            .insert(key.clone(), Value::Str(SmallBytes::from(&argv[2])));
        ctx.notify(EventClass::String, "append", key);
        return Ok(Reply::Integer(argv[2].len() as i64));
    };
    if too_long(ctx, old.len(), argv[2].len()) {
        return Err(err(STRING_TOO_LONG));
    }
    let mut new = Vec::with_capacity(old.len() + argv[2].len());
    new.extend_from_slice(old);
    new.extend_from_slice(&argv[2]);
    let len = new.len();
    ctx.db
        .insert_keep_ttl(key.clone(), Value::Str(SmallBytes::from(new)), now);
    ctx.notify(EventClass::String, "append", key);
    Ok(Reply::Integer(len as i64))
}

fn strlen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(s.map_or(0, |s| s.len() as i64)))
}

/// GETRANGE key start end (inclusive, negative from the end), as Redis's `getrangeCommand`.
pub(crate) fn getrange(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let mut start = int_arg(&argv[2])?;
    let mut end = int_arg(&argv[3])?;
    let Some(s) = ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Bulk(Bytes::new()));
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::Bulk(Bytes::new()));
    }
    if start < 0 {
        start = start.wrapping_add(len);
    }
    if end < 0 {
        end = end.wrapping_add(len);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Ok(Reply::Bulk(Bytes::new()));
    }
    Ok(Reply::Bulk(Bytes::copy_from_slice(
        &s[start as usize..=end as usize],
    )))
}

/// SETRANGE key offset value: overwrites from `offset`, zero-padding a shorter string.
fn setrange(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let offset = match int_arg(&argv[2])? {
        o if o < 0 => return Err(err(OFFSET_OUT_OF_RANGE)),
        o => usize::try_from(o).unwrap_or(usize::MAX),
    };
    let now = ctx.now_ms;
    let (key, value) = (&argv[1], &argv[3]);
    let old = ctx.db.lookup::<SmallBytes>(key, now)?;
    if value.is_empty() {
        return Ok(Reply::Integer(old.map_or(0, |s| s.len() as i64)));
    }
    if too_long(ctx, offset, value.len()) {
        return Err(err(STRING_TOO_LONG));
    }
    let end = offset + value.len();
    let mut v = old.map_or_else(Vec::new, |s| s.to_vec());
    if v.len() < end {
        v.resize(end, 0);
    }
    v[offset..end].copy_from_slice(value);
    let len = v.len();
    ctx.db
        .insert_keep_ttl(key.clone(), Value::Str(SmallBytes::from(v)), now);
    ctx.notify(EventClass::String, "setrange", key);
    Ok(Reply::Integer(len as i64))
}

#[cfg(test)]
#[path = "cmd_strings_tests.rs"]
mod tests;
