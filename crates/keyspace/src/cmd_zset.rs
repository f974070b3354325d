//! Sorted-set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZRANK ZREVRANK, the ZRANGE
//! family (in `cmd_zset_range.rs`), ZPOPMIN ZPOPMAX and ZSCAN, with Redis 7.0 semantics.
//!
//! Rank-based operations (ZRANK, ZRANGE by rank, LIMIT offsets) walk the ordered set and are
//! O(n) for now; score ranges seek in O(log n).

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, fmt_g17, parse_i64};
use crate::command::{
    keyed, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W_DENYOOM, W_DENYOOM_FAST, W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, NOT_FLOAT, NOT_FLOAT_RANGE, NOT_POSITIVE, SYNTAX, ZADD_GT_LT_NX, ZADD_INCR_PAIR,
    ZADD_NAN_RESULT, ZADD_XX_AND_NX,
};
use crate::events::EventClass;
use crate::scan::scan_collection;
use crate::zset::ZSet;
use crate::zset_args::{c_str, parse_score, ScoreRange};

#[path = "cmd_zset_range.rs"]
mod range;
#[cfg(test)]
#[path = "cmd_zset_tests.rs"]
mod tests;

use range::{
    zrange, zrangebylex, zrangebyscore, zrangestore, zrevrange, zrevrangebylex, zrevrangebyscore,
};

pub const COMMANDS: &[CommandDef] = &[
    keyed("zadd", -4, W_DENYOOM_FAST, 1, CommandKind::Write(zadd)),
    keyed("zincrby", 4, W_DENYOOM_FAST, 1, CommandKind::Write(zincrby)),
    keyed("zrem", -3, W_FAST, 1, CommandKind::Write(zrem)),
    keyed("zscore", 3, RO_FAST, 1, CommandKind::Read(zscore)),
    keyed("zmscore", -3, RO_FAST, 1, CommandKind::Read(zmscore)),
    keyed("zcard", 2, RO_FAST, 1, CommandKind::Read(zcard)),
    keyed("zcount", 4, RO_FAST, 1, CommandKind::Read(zcount)),
    keyed("zrank", 3, RO_FAST, 1, CommandKind::Read(zrank)),
    keyed("zrevrank", 3, RO_FAST, 1, CommandKind::Read(zrevrank)),
    keyed("zrange", -4, RO, 1, CommandKind::Read(zrange)),
    keyed("zrangebyscore", -4, RO, 1, CommandKind::Read(zrangebyscore)),
    keyed(
        "zrevrangebyscore",
        -4,
        RO,
        1,
        CommandKind::Read(zrevrangebyscore),
    ),
    keyed("zrangebylex", -4, RO, 1, CommandKind::Read(zrangebylex)),
    keyed(
        "zrevrangebylex",
        -4,
        RO,
        1,
        CommandKind::Read(zrevrangebylex),
    ),
    keyed("zrevrange", -4, RO, 1, CommandKind::Read(zrevrange)),
    keyed("zpopmin", -2, W_FAST, 1, CommandKind::Write(zpopmin)),
    keyed("zpopmax", -2, W_FAST, 1, CommandKind::Write(zpopmax)),
    keyed(
        "zrangestore",
        -5,
        W_DENYOOM,
        2,
        CommandKind::Write(zrangestore),
    ),
    keyed("zscan", -3, RO, 1, CommandKind::Read(zscan)),
];

fn bulk(b: &Bytes) -> Reply {
    Reply::Bulk(b.clone())
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY

#[derive(Default)]
struct ZaddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// The score/member pairs of a ZADD, in the order given.
type ScorePairs<'a> = Vec<(f64, &'a Bytes)>;

/// What ZADD did to the members it was given.
#[derive(Default)]
struct ZaddCounts {
    added: i64,
    updated: i64,
    /// Members added or whose score passed the GT/LT checks (changed or not).
    processed: i64,
    /// The score of the last member processed (ZADD INCR answers it).
    last: f64,
}

fn zadd(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    zadd_generic(ctx, argv, false)
}

fn zincrby(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    zadd_generic(ctx, argv, true)
}

/// Redis's `zaddGenericCommand`, shared by ZADD and ZINCRBY (which is ZADD with INCR set).
fn zadd_generic(ctx: &mut WriteCtx<'_>, argv: &[Bytes], incr: bool) -> CommandResult {
    let key = &argv[1];
    let (f, pairs) = parse_zadd(argv, incr)?;
    let now = ctx.now_ms;
    if f.xx && ctx.db.lookup::<ZSet>(key, now)?.is_none() {
        return Ok(if f.incr {
            Reply::Nil
        } else {
            Reply::Integer(0)
        });
    }
    let zs = ctx.db.lookup_or_create_unmarked::<ZSet>(key, now)?;
    let counts = zadd_pairs(zs, &f, pairs)?;
    // Like Redis, a ZADD that adds nothing and changes no score is no modification.
    if counts.added + counts.updated > 0 {
        ctx.db.mark_modified(key);
        ctx.notify(EventClass::Zset, if f.incr { "zincr" } else { "zadd" }, key);
    }
    ctx.db.remove_if_empty(key);
    Ok(if !f.incr {
        Reply::Integer(if f.ch {
            counts.added + counts.updated
        } else {
            counts.added
        })
    } else if counts.processed > 0 {
        Reply::Double(counts.last)
    } else {
        Reply::Nil
    })
}

/// ZADD's options and its score/member pairs, checked in Redis's order.
fn parse_zadd(argv: &[Bytes], incr: bool) -> Result<(ZaddFlags, ScorePairs<'_>), Reply> {
    let mut f = ZaddFlags {
        incr,
        ..ZaddFlags::default()
    };
    let mut idx = 2;
    while let Some(opt) = argv.get(idx) {
        let flag = match () {
            _ if eq_ignore_case(opt, "nx") => &mut f.nx,
            _ if eq_ignore_case(opt, "xx") => &mut f.xx,
            _ if eq_ignore_case(opt, "ch") => &mut f.ch,
            _ if eq_ignore_case(opt, "incr") => &mut f.incr,
            _ if eq_ignore_case(opt, "gt") => &mut f.gt,
            _ if eq_ignore_case(opt, "lt") => &mut f.lt,
            _ => break,
        };
        *flag = true;
        idx += 1;
    }
    let rest = &argv[idx..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(err(SYNTAX));
    }
    if f.nx && f.xx {
        return Err(err(ZADD_XX_AND_NX));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(err(ZADD_GT_LT_NX));
    }
    if f.incr && rest.len() > 2 {
        return Err(err(ZADD_INCR_PAIR));
    }
    let pairs = rest
        .chunks_exact(2)
        .map(|p| parse_score(&p[0]).map(|s| (s, &p[1])))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| err(NOT_FLOAT))?;
    Ok((f, pairs))
}

/// Adds or updates each member of `pairs` in `zs` as the flags allow.
fn zadd_pairs(zs: &mut ZSet, f: &ZaddFlags, pairs: ScorePairs<'_>) -> Result<ZaddCounts, Reply> {
    let mut counts = ZaddCounts::default();
    for (score, member) in pairs {
        match zs.score(member) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let mut new = score;
                if f.incr {
                    new += cur;
                    if new.is_nan() {
                        // Only reachable with INCR, hence with a single pair: nothing changed.
                        return Err(err(ZADD_NAN_RESULT));
                    }
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                counts.processed += 1;
                counts.last = new;
                if new != cur {
                    zs.insert(member.clone(), new);
                    counts.updated += 1;
                }
            }
            None if !f.xx => {
                zs.insert(member.clone(), score);
                counts.added += 1;
                counts.processed += 1;
                counts.last = score;
            }
            None => {}
        }
    }
    Ok(counts)
}

// ---------------------------------------------------------------------------------------------
// Simple reads and ZREM

fn zrem(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let key = &argv[1];
    let removed = match ctx.db.lookup_mut_unmarked::<ZSet>(key, ctx.now_ms)? {
        None => 0,
        Some(zs) => argv[2..].iter().filter(|m| zs.remove(m)).count(),
    };
    if removed > 0 {
        ctx.db.mark_modified(key);
        ctx.notify(EventClass::Zset, "zrem", key);
        ctx.remove_if_empty_notify(key);
    }
    Ok(Reply::Integer(removed as i64))
}

fn zscore(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let z = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(z.and_then(|z| z.score(&argv[2]))
        .map_or(Reply::Nil, Reply::Double))
}

fn zmscore(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let z = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|m| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double))
            .collect(),
    ))
}

fn zcard(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let z = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(z.map_or(0, |z| z.len() as i64)))
}

fn zcount(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let range = ScoreRange::parse(&argv[2], &argv[3]).ok_or_else(|| err(NOT_FLOAT_RANGE))?;
    let z = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(
        z.map_or(0, |z| z.count_in_score_range(&range) as i64),
    ))
}

fn zrank(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    rank_generic(ctx, argv, false)
}

fn zrevrank(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    rank_generic(ctx, argv, true)
}

fn rank_generic(ctx: &ReadCtx<'_>, argv: &[Bytes], reverse: bool) -> CommandResult {
    let Some(z) = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    Ok(match z.rank(&argv[2]) {
        None => Reply::Nil,
        Some(r) if reverse => Reply::Integer((z.len() - 1 - r) as i64),
        Some(r) => Reply::Integer(r as i64),
    })
}

// ---------------------------------------------------------------------------------------------
// ZPOPMIN / ZPOPMAX

pub(crate) fn zpopmin(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    zpop(ctx, argv, false)
}

pub(crate) fn zpopmax(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    zpop(ctx, argv, true)
}

/// Without a count the reply is one flat [member, score]; with a count it is a list of
/// pairs (nested in RESP3).
fn zpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes], max: bool) -> CommandResult {
    if argv.len() > 3 {
        return Err(err(SYNTAX));
    }
    let count = match argv.get(2) {
        None => None,
        Some(c) => match parse_i64(c) {
            Some(n) if n >= 0 => Some(n),
            _ => return Err(err(NOT_POSITIVE)),
        },
    };
    let key = &argv[1];
    let Some(zs) = ctx.db.lookup_mut_unmarked::<ZSet>(key, ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let n = count.unwrap_or(1);
    let mut popped = Vec::new();
    while (popped.len() as i64) < n {
        match zs.pop(max) {
            Some(p) => popped.push(p),
            None => break,
        }
    }
    // A count of 0 pops nothing.
    if !popped.is_empty() {
        ctx.db.mark_modified(key);
        ctx.notify(
            EventClass::Zset,
            if max { "zpopmax" } else { "zpopmin" },
            key,
        );
        ctx.remove_if_empty_notify(key);
    }
    Ok(match count {
        None => Reply::Array(
            popped
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
                .collect(),
        ),
        Some(_) => Reply::Pairs(
            popped
                .into_iter()
                .map(|(m, s)| (Reply::Bulk(m), Reply::Double(s)))
                .collect(),
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: answers every member in one call with
/// cursor 0, as Redis does for sorted sets in their compact encoding. Unlike SCAN, HSCAN and
/// SSCAN (so far), the cursor is read as a C string, up to its first NUL byte, as Redis does.
fn zscan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    scan_collection(ctx, argv, c_str(&argv[2]), |z: &ZSet, opts| {
        z.iter()
            .filter(|(m, _)| opts.matches(m))
            .flat_map(|(m, s)| [bulk(m), Reply::Bulk(Bytes::from(fmt_g17(s)))])
            .collect()
    })
}
