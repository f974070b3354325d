//! Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis 7.0 replies and error texts.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, err, int_arg, parse_i64, NOT_FLOAT, OVERFLOW, SYNTAX};
use crate::command::{
    keyed, wrong_arity, CommandDef, CommandKind, RO, RO_FAST, W_DENYOOM_FAST, W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::long_double::LongDouble;
use crate::sample::{parse_rand_count, random_index, random_indices, OUT_OF_RANGE};
use crate::scan::scan_collection;
use crate::typed::Hash;

const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
const INCR_ARG_NAN_OR_INF: &str = "ERR value is NaN or Infinity";
const INCR_RESULT_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
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

fn hset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    match set_fields(ctx, argv, "hset") {
        Ok(added) => Reply::Integer(added as i64),
        Err(e) => e,
    }
}

fn hmset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    match set_fields(ctx, argv, "hmset") {
        Ok(_) => Reply::ok(),
        Err(e) => e,
    }
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
    Ok(added)
}

fn hsetnx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    let exists = match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => h.is_some_and(|h| h.contains_key(&argv[2])),
        Err(e) => return e,
    };
    if exists {
        return Reply::Integer(0);
    }
    match ctx.db.lookup_or_create::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => {
            h.insert(argv[2].clone(), argv[3].clone());
            Reply::Integer(1)
        }
        Err(e) => e,
    }
}

fn hget(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => match h.and_then(|h| h.get(&argv[2])) {
            Some(v) => Reply::Bulk(v.clone()),
            None => Reply::Nil,
        },
        Err(e) => e,
    }
}

fn hmget(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Array(
            argv[2..]
                .iter()
                .map(|f| match h.and_then(|h| h.get(f)) {
                    Some(v) => Reply::Bulk(v.clone()),
                    None => Reply::Nil,
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

fn hdel(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    let removed = match ctx.db.lookup_mut_unmarked::<Hash>(&argv[1], ctx.now_ms) {
        Ok(Some(h)) => argv[2..]
            .iter()
            .filter(|f| h.shift_remove(*f).is_some())
            .count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
    if removed > 0 {
        ctx.db.mark_modified(&argv[1]);
    }
    ctx.db.remove_if_empty(&argv[1]);
    Reply::Integer(removed as i64)
}

fn hgetall(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Map(
            h.into_iter()
                .flatten()
                .map(|(f, v)| (Reply::Bulk(f.clone()), Reply::Bulk(v.clone())))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn hkeys(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Array(
            h.into_iter()
                .flat_map(|h| h.keys())
                .map(|f| Reply::Bulk(f.clone()))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn hvals(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Array(
            h.into_iter()
                .flat_map(|h| h.values())
                .map(|v| Reply::Bulk(v.clone()))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn hlen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Integer(h.map_or(0, |h| h.len()) as i64),
        Err(e) => e,
    }
}

fn hexists(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Integer(i64::from(h.is_some_and(|h| h.contains_key(&argv[2])))),
        Err(e) => e,
    }
}

fn hstrlen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms) {
        Ok(h) => Reply::Integer(h.and_then(|h| h.get(&argv[2])).map_or(0, |v| v.len()) as i64),
        Err(e) => e,
    }
}

fn hincrby(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    match incr_by(ctx, argv) {
        Ok(v) => Reply::Integer(v),
        Err(e) => e,
    }
}

fn incr_by(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Result<i64, Reply> {
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
    Ok(new)
}

fn hincrbyfloat(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    match incr_by_float(ctx, argv) {
        Ok(v) => Reply::Bulk(v),
        Err(e) => e,
    }
}

/// Redis's `hincrbyfloatCommand`: long double arithmetic (`string2ld`, `ld2string` human
/// form), so `1.23` stays `1.23`.
fn incr_by_float(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Result<Bytes, Reply> {
    let incr = match LongDouble::parse(&argv[3]) {
        Some(v) => v,
        None if LongDouble::is_inf_literal(&argv[3]) => return Err(err(INCR_ARG_NAN_OR_INF)),
        None => return Err(err(NOT_FLOAT)),
    };
    let old = match ctx
        .db
        .lookup::<Hash>(&argv[1], ctx.now_ms)?
        .and_then(|h| h.get(&argv[2]))
    {
        // An infinite stored value parses in Redis and then fails the addition.
        Some(v) if LongDouble::is_inf_literal(v) => return Err(err(INCR_RESULT_NAN_OR_INF)),
        Some(v) => LongDouble::parse(v).ok_or_else(|| err(HASH_NOT_FLOAT))?,
        None => LongDouble::ZERO,
    };
    let new = old
        .checked_add(incr)
        .ok_or_else(|| err(INCR_RESULT_NAN_OR_INF))?;
    let text = Bytes::from(new.to_human_string());
    ctx.db
        .lookup_or_create::<Hash>(&argv[1], ctx.now_ms)?
        .insert(argv[2].clone(), text.clone());
    Ok(text)
}

fn hrandfield(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match rand_field(ctx, argv) {
        Ok(r) => r,
        Err(e) => e,
    }
}

fn rand_field(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Result<Reply, Reply> {
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

fn hscan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
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
