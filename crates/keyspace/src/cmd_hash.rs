//! Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis 7.0 replies and error texts.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::{
    keyed, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W_DENYOOM_FAST, W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, wrong_arity, HASH_NOT_FLOAT, HASH_NOT_INTEGER, NAN_OR_INFINITY, NOT_FLOAT, OUT_OF_RANGE,
    OVERFLOW, SYNTAX, VALUE_NAN_OR_INFINITY,
};
use crate::events::EventClass;
use crate::long_double::LongDouble;
use crate::sample::{parse_rand_count, random_index, random_indices};
use crate::scan::scan_collection;
use crate::typed::Hash;

pub const COMMANDS: &[CommandDef] = &[
    keyed("hset", -4, W_DENYOOM_FAST, 1, CommandKind::Write(hset)),
    keyed("hsetnx", 4, W_DENYOOM_FAST, 1, CommandKind::Write(hsetnx)),
    keyed("hget", 3, RO_FAST, 1, CommandKind::Read(hget)),
    keyed("hmget", -3, RO_FAST, 1, CommandKind::Read(hmget)),
    keyed("hmset", -4, W_DENYOOM_FAST, 1, CommandKind::Write(hmset)),
    keyed("hdel", -3, W_FAST, 1, CommandKind::Write(hdel)),
    keyed("hgetall", 2, RO, 1, CommandKind::Read(hgetall)),
    keyed("hkeys", 2, RO, 1, CommandKind::Read(hkeys)),
    keyed("hvals", 2, RO, 1, CommandKind::Read(hvals)),
    keyed("hlen", 2, RO_FAST, 1, CommandKind::Read(hlen)),
    keyed("hexists", 3, RO_FAST, 1, CommandKind::Read(hexists)),
    keyed("hstrlen", 3, RO_FAST, 1, CommandKind::Read(hstrlen)),
    keyed("hincrby", 4, W_DENYOOM_FAST, 1, CommandKind::Write(hincrby)),
    keyed(
        "hincrbyfloat",
        4,
        W_DENYOOM_FAST,
        1,
        CommandKind::Write(hincrbyfloat),
    ),
    keyed("hrandfield", -2, RO, 1, CommandKind::Read(hrandfield)),
    keyed("hscan", -3, RO, 1, CommandKind::Read(hscan)),
];

// ---------------------------------------------------------------------------------------------
// Commands

fn hset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let added = set_fields(ctx, argv, "hset")?;
    Ok(Reply::Integer(added as i64))
}

fn hmset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    set_fields(ctx, argv, "hmset")?;
    Ok(Reply::ok())
}

/// HSET/HMSET: sets every field/value pair, returns how many fields were new.
fn set_fields(ctx: &mut WriteCtx<'_>, argv: &[Bytes], name: &str) -> Result<usize, Reply> {
    if argv.len() % 2 == 1 {
        return Err(wrong_arity(name));
    }
    let h = ctx.db.lookup_or_create::<Hash>(&argv[1], ctx.now_ms)?;
    let added = argv[2..]
        .chunks_exact(2)
        .filter(|pair| h.insert(pair[0].clone(), pair[1].clone()).is_none())
        .count();
    ctx.notify(EventClass::Hash, "hset", &argv[1]);
    Ok(added)
}

fn hsetnx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    if h.is_some_and(|h| h.contains_key(&argv[2])) {
        return Ok(Reply::Integer(0));
    }
    ctx.db
        .lookup_or_create::<Hash>(&argv[1], ctx.now_ms)?
        .insert(argv[2].clone(), argv[3].clone());
    ctx.notify(EventClass::Hash, "hset", &argv[1]);
    Ok(Reply::Integer(1))
}

fn hget(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(match h.and_then(|h| h.get(&argv[2])) {
        Some(v) => Reply::Bulk(v.clone()),
        None => Reply::Nil,
    })
}

fn hmget(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|f| match h.and_then(|h| h.get(f)) {
                Some(v) => Reply::Bulk(v.clone()),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn hdel(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let removed = match ctx.db.lookup_mut_unmarked::<Hash>(&argv[1], ctx.now_ms)? {
        Some(h) => argv[2..]
            .iter()
            .filter(|f| h.shift_remove(*f).is_some())
            .count(),
        None => 0,
    };
    if removed > 0 {
        ctx.db.mark_modified(&argv[1]);
        ctx.notify(EventClass::Hash, "hdel", &argv[1]);
    }
    ctx.remove_if_empty_notify(&argv[1]);
    Ok(Reply::Integer(removed as i64))
}

fn hgetall(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Map(
        h.into_iter()
            .flatten()
            .map(|(f, v)| (Reply::Bulk(f.clone()), Reply::Bulk(v.clone())))
            .collect(),
    ))
}

fn hkeys(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        h.into_iter()
            .flat_map(|h| h.keys())
            .map(|f| Reply::Bulk(f.clone()))
            .collect(),
    ))
}

fn hvals(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        h.into_iter()
            .flat_map(|h| h.values())
            .map(|v| Reply::Bulk(v.clone()))
            .collect(),
    ))
}

fn hlen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(h.map_or(0, |h| h.len()) as i64))
}

fn hexists(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(i64::from(
        h.is_some_and(|h| h.contains_key(&argv[2])),
    )))
}

fn hstrlen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let h = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)?;
    let len = h.and_then(|h| h.get(&argv[2])).map_or(0, |v| v.len());
    Ok(Reply::Integer(len as i64))
}

fn hincrby(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let incr = int_arg(&argv[3])?;
    let old = match ctx
        .db
        .lookup::<Hash>(&argv[1], ctx.now_ms)?
        .and_then(|h| h.get(&argv[2]))
    {
        Some(v) => parse_i64(v).ok_or_else(|| err(HASH_NOT_INTEGER))?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or_else(|| err(OVERFLOW))?;
    ctx.db
        .lookup_or_create::<Hash>(&argv[1], ctx.now_ms)?
        .insert(argv[2].clone(), Bytes::from(new.to_string()));
    ctx.notify(EventClass::Hash, "hincrby", &argv[1]);
    Ok(Reply::Integer(new))
}

/// Redis's `hincrbyfloatCommand`: long double arithmetic (`string2ld`, `ld2string` human
/// form), so `1.23` stays `1.23`.
fn hincrbyfloat(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let incr = match LongDouble::parse(&argv[3]) {
        Some(v) => v,
        None if LongDouble::is_inf_literal(&argv[3]) => return Err(err(VALUE_NAN_OR_INFINITY)),
        None => return Err(err(NOT_FLOAT)),
    };
    let old = match ctx
        .db
        .lookup::<Hash>(&argv[1], ctx.now_ms)?
        .and_then(|h| h.get(&argv[2]))
    {
        // An infinite stored value parses in Redis and then fails the addition.
        Some(v) if LongDouble::is_inf_literal(v) => return Err(err(NAN_OR_INFINITY)),
        Some(v) => LongDouble::parse(v).ok_or_else(|| err(HASH_NOT_FLOAT))?,
        None => LongDouble::ZERO,
    };
    let new = old.checked_add(incr).ok_or_else(|| err(NAN_OR_INFINITY))?;
    let text = Bytes::from(new.to_human_string());
    ctx.db
        .lookup_or_create::<Hash>(&argv[1], ctx.now_ms)?
        .insert(argv[2].clone(), text.clone());
    ctx.notify(EventClass::Hash, "hincrbyfloat", &argv[1]);
    Ok(Reply::Bulk(text))
}

fn hrandfield(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if argv.len() == 2 {
        let Some(h) = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let i = random_index(&mut *ctx.rng(), h.len());
        return Ok(h
            .get_index(i)
            .map_or(Reply::Nil, |(f, _)| Reply::Bulk(f.clone())));
    }
    let (count, distinct) = parse_rand_count(&argv[2])?;
    let with_values = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && eq_ignore_case(opt, "withvalues") => true,
        Some(_) => return Err(err(SYNTAX)),
    };
    if with_values && count > (i64::MAX / 2) as u64 {
        return Err(err(OUT_OF_RANGE));
    }
    let h = match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)? {
        Some(h) if count > 0 => h,
        _ => return Ok(Reply::Array(Vec::new())),
    };
    let picks = random_indices(&mut *ctx.rng(), h.len(), count, distinct)?;
    let entries = picks.into_iter().filter_map(|i| h.get_index(i));
    Ok(if with_values {
        Reply::Pairs(
            entries
                .map(|(f, v)| (Reply::Bulk(f.clone()), Reply::Bulk(v.clone())))
                .collect(),
        )
    } else {
        Reply::Array(entries.map(|(f, _)| Reply::Bulk(f.clone())).collect())
    })
}

fn hscan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    scan_collection(ctx, argv, &argv[2], |h: &Hash, opts| {
        h.iter()
            .filter(|(f, _)| opts.matches(f))
            .flat_map(|(f, v)| [Reply::Bulk(f.clone()), Reply::Bulk(v.clone())])
            .collect()
    })
}

#[cfg(test)]
#[path = "cmd_hash_tests.rs"]
mod tests;
