//! Sorted-set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZRANK ZREVRANK, the ZRANGE
//! family (in `cmd_zset_range.rs`), ZPOPMIN ZPOPMAX and ZSCAN, with Redis 7.0 semantics.
//!
//! Rank-based operations (ZRANK, ZRANGE by rank, LIMIT offsets) walk the ordered set and are
//! O(n) for now; score ranges seek in O(log n).

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, err, fmt_g17, NOT_FLOAT, SYNTAX};
use crate::command::{
    keyed, CommandDef, CommandKind, RO, RO_FAST, W_DENYOOM, W_DENYOOM_FAST, W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
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

const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";
const XX_NX: &str = "ERR XX and NX options at the same time are not compatible";
const GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
const INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

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

fn reply_of<T>(r: Result<T, Reply>, f: impl FnOnce(T) -> Reply) -> Reply {
    r.map_or_else(|e| e, f)
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

fn zadd(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    reply_of(zadd_generic(ctx, argv, false), |r| r)
}

fn zincrby(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    reply_of(zadd_generic(ctx, argv, true), |r| r)
}

/// Redis's `zaddGenericCommand`, shared by ZADD and ZINCRBY (which is ZADD with INCR set).
fn zadd_generic(ctx: &mut WriteCtx<'_>, argv: &[Bytes], incr: bool) -> Result<Reply, Reply> {
    let key = &argv[1];
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
        return Err(err(XX_NX));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(err(GT_LT_NX));
    }
    if f.incr && rest.len() > 2 {
        return Err(err(INCR_PAIR));
    }
    let pairs = rest
        .chunks_exact(2)
        .map(|p| parse_score(&p[0]).map(|s| (s, &p[1])))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| err(NOT_FLOAT))?;

    let now = ctx.now_ms;
    if f.xx && ctx.db.lookup::<ZSet>(key, now)?.is_none() {
        return Ok(if f.incr {
            Reply::Nil
        } else {
            Reply::Integer(0)
        });
    }
    let zs = ctx.db.lookup_or_create_unmarked::<ZSet>(key, now)?;

    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
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
                        return Err(err(NAN_RESULT));
                    }
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                processed += 1;
                last = new;
                if new != cur {
                    zs.insert(member.clone(), new);
                    updated += 1;
                }
            }
            None if !f.xx => {
                zs.insert(member.clone(), score);
                added += 1;
                processed += 1;
                last = score;
            }
            None => {}
        }
    }
    // Like Redis, a ZADD that adds nothing and changes no score is no modification.
    if added + updated > 0 {
        ctx.db.mark_modified(key);
    }
    ctx.db.remove_if_empty(key);
    Ok(if f.incr {
        if processed > 0 {
            Reply::Double(last)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Integer(if f.ch { added + updated } else { added })
    })
}

// ---------------------------------------------------------------------------------------------
// Simple reads and ZREM

fn zrem(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let removed = match ctx.db.lookup_mut_unmarked::<ZSet>(key, ctx.now_ms) {
        Err(e) => return e,
        Ok(None) => 0,
        Ok(Some(zs)) => argv[2..].iter().filter(|m| zs.remove(m)).count(),
    };
    if removed > 0 {
        ctx.db.mark_modified(key);
    }
    ctx.db.remove_if_empty(key);
    Reply::Integer(removed as i64)
}

fn zscore(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    reply_of(ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms), |z| {
        z.and_then(|z| z.score(&argv[2]))
            .map_or(Reply::Nil, Reply::Double)
    })
}

fn zmscore(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    reply_of(ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms), |z| {
        Reply::Array(
            argv[2..]
                .iter()
                .map(|m| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double))
                .collect(),
        )
    })
}

fn zcard(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    reply_of(ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms), |z| {
        Reply::Integer(z.map_or(0, |z| z.len() as i64))
    })
}

fn zcount(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    let Some(range) = ScoreRange::parse(&argv[2], &argv[3]) else {
        return err(NOT_FLOAT_RANGE);
    };
    reply_of(ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms), |z| {
        Reply::Integer(z.map_or(0, |z| z.count_in_score_range(&range) as i64))
    })
}

fn zrank(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    rank_generic(ctx, argv, false)
}

fn zrevrank(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    rank_generic(ctx, argv, true)
}

fn rank_generic(ctx: &ReadCtx<'_>, argv: &[Bytes], reverse: bool) -> Reply {
    reply_of(ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms), |z| {
        let Some(z) = z else { return Reply::Nil };
        match z.rank(&argv[2]) {
            None => Reply::Nil,
            Some(r) if reverse => Reply::Integer((z.len() - 1 - r) as i64),
            Some(r) => Reply::Integer(r as i64),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// ZPOPMIN / ZPOPMAX

pub(crate) fn zpopmin(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    zpop(ctx, argv, false)
}

pub(crate) fn zpopmax(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    zpop(ctx, argv, true)
}

/// Without a count the reply is one flat [member, score]; with a count it is a list of
/// pairs (nested in RESP3).
fn zpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes], max: bool) -> Reply {
    if argv.len() > 3 {
        return err(SYNTAX);
    }
    let count = match argv.get(2) {
        None => None,
        Some(c) => match crate::args::parse_i64(c) {
            Some(n) if n >= 0 => Some(n),
            _ => return err(NOT_POSITIVE),
        },
    };
    let key = &argv[1];
    let zs = match ctx.db.lookup_mut_unmarked::<ZSet>(key, ctx.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(z)) => z,
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
    }
    ctx.db.remove_if_empty(key);
    match count {
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
    }
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: answers every member in one call with
/// cursor 0, as Redis does for sorted sets in their compact encoding. Unlike SCAN, HSCAN and
/// SSCAN (so far), the cursor is read as a C string, up to its first NUL byte, as Redis does.
fn zscan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    scan_collection(ctx, argv, c_str(&argv[2]), |z: &ZSet, opts| {
        z.iter()
            .filter(|(m, _)| opts.matches(m))
            .flat_map(|(m, s)| [bulk(m), Reply::Bulk(Bytes::from(fmt_g17(s)))])
            .collect()
    })
}
