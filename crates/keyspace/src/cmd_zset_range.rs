//! The ZRANGE family: ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
//! ZREVRANGEBYLEX ZREVRANGE (Redis's `zrangeGenericCommand`): option parsing, selection by rank,
//! score or lex range, and the replies. Registered in `cmd_zset::COMMANDS`.

use bytes::Bytes;
use meridian_types::Reply;

use super::bulk;
use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, LIMIT_NEEDS_BY, NOT_FLOAT_RANGE, NOT_LEX_RANGE, SYNTAX, WITHSCORES_BYLEX,
};
use crate::events::EventClass;
use crate::value::Value;
use crate::zset::ZSet;
use crate::zset_args::{LexRange, ScoreRange};

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

enum RangeSpec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// A parsed ZRANGE-style request.
struct RangeQuery {
    spec: RangeSpec,
    reverse: bool,
    withscores: bool,
    offset: i64,
    /// Negative: no limit.
    limit: i64,
}

/// Redis's `zrangeGenericCommand` argument parsing: `argv[start]` is the source key, then
/// min, max and options. Commands other than ZRANGE/ZRANGESTORE fix the type and direction.
fn parse_range(
    argv: &[Bytes],
    start: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> Result<RangeQuery, Reply> {
    let mut withscores = false;
    let mut offset = 0;
    let mut limit = -1;
    let mut j = start + 3;
    while let Some(opt) = argv.get(j) {
        let left = argv.len() - j - 1;
        if !store && eq_ignore_case(opt, "withscores") {
            withscores = true;
        } else if eq_ignore_case(opt, "limit") && left >= 2 {
            offset = int_arg(&argv[j + 1])?;
            limit = int_arg(&argv[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && eq_ignore_case(opt, "rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && eq_ignore_case(opt, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && eq_ignore_case(opt, "byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    let reverse = direction == Direction::Reverse;
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(err(LIMIT_NEEDS_BY));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(err(WITHSCORES_BYLEX));
    }
    let (mut lo, mut hi) = (&argv[start + 1], &argv[start + 2]);
    if reverse && rangetype != RangeType::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let spec = match rangetype {
        RangeType::Score => {
            RangeSpec::Score(ScoreRange::parse(lo, hi).ok_or_else(|| err(NOT_FLOAT_RANGE))?)
        }
        RangeType::Lex => {
            RangeSpec::Lex(LexRange::parse(lo, hi).ok_or_else(|| err(NOT_LEX_RANGE))?)
        }
        RangeType::Auto | RangeType::Rank => RangeSpec::Rank(int_arg(lo)?, int_arg(hi)?),
    };
    Ok(RangeQuery {
        spec,
        reverse,
        withscores,
        offset,
        limit,
    })
}

/// The members a parsed range selects, in reply order.
fn select<'a>(z: &'a ZSet, q: &'a RangeQuery) -> Vec<(&'a Bytes, f64)> {
    let limited = |it: Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a>| -> Vec<_> {
        // Redis skips `offset` elements with `while (offset--)`: a negative offset skips
        // everything; a negative limit means no limit.
        if q.offset < 0 || (q.offset > 0 && q.offset as u64 >= z.len() as u64) {
            return Vec::new();
        }
        let take = usize::try_from(q.limit).unwrap_or(usize::MAX);
        it.skip(q.offset as usize).take(take).collect()
    };
    match &q.spec {
        RangeSpec::Rank(start, end) => {
            let len = z.len() as i64;
            let (mut s, mut e) = (*start, *end);
            if s < 0 {
                s += len;
            }
            if e < 0 {
                e += len;
            }
            s = s.max(0);
            if s > e || s >= len {
                return Vec::new();
            }
            e = e.min(len - 1);
            let (skip, n) = (s as usize, (e - s + 1) as usize);
            if q.reverse {
                z.iter().rev().skip(skip).take(n).collect()
            } else {
                z.iter().skip(skip).take(n).collect()
            }
        }
        RangeSpec::Score(r) => {
            if q.reverse {
                limited(Box::new(z.range_by_score_spec(r).rev()))
            } else {
                limited(Box::new(z.range_by_score_spec(r)))
            }
        }
        RangeSpec::Lex(r) => {
            let reverse = q.reverse;
            limited(Box::new(z.lex_walk(r, reverse).take_while(
                move |(m, _)| {
                    if reverse {
                        r.gte_min(m)
                    } else {
                        r.lte_max(m)
                    }
                },
            )))
        }
    }
}

fn range_read(
    ctx: &ReadCtx<'_>,
    argv: &[Bytes],
    rangetype: RangeType,
    direction: Direction,
) -> CommandResult {
    let q = parse_range(argv, 1, false, rangetype, direction)?;
    let Some(z) = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let items = select(z, &q);
    Ok(if q.withscores {
        Reply::Pairs(
            items
                .into_iter()
                .map(|(m, s)| (bulk(m), Reply::Double(s)))
                .collect(),
        )
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| bulk(m)).collect())
    })
}

pub(super) fn zrange(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_read(ctx, argv, RangeType::Auto, Direction::Auto)
}

pub(super) fn zrevrange(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_read(ctx, argv, RangeType::Rank, Direction::Reverse)
}

pub(super) fn zrangebyscore(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_read(ctx, argv, RangeType::Score, Direction::Forward)
}

pub(super) fn zrevrangebyscore(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_read(ctx, argv, RangeType::Score, Direction::Reverse)
}

pub(super) fn zrangebylex(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_read(ctx, argv, RangeType::Lex, Direction::Forward)
}

pub(super) fn zrevrangebylex(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_read(ctx, argv, RangeType::Lex, Direction::Reverse)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: replaces `dst`
/// (dropping its TTL) with the selection, or deletes it when the selection is empty.
pub(super) fn zrangestore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let q = parse_range(argv, 2, true, RangeType::Auto, Direction::Auto)?;
    let now = ctx.now_ms;
    let picked: Vec<(Bytes, f64)> = match ctx.db.lookup::<ZSet>(&argv[2], now)? {
        None => Vec::new(),
        Some(z) => select(z, &q)
            .into_iter()
            .map(|(m, s)| (m.clone(), s))
            .collect(),
    };
    let dst = &argv[1];
    if picked.is_empty() {
        if ctx.db.remove(dst, now).is_some() {
            ctx.notify(EventClass::Generic, "del", dst);
        }
        return Ok(Reply::Integer(0));
    }
    let n = picked.len() as i64;
    let mut out = ZSet::new();
    for (m, s) in picked {
        out.insert(m, s);
    }
    ctx.db.insert(dst.clone(), Value::ZSet(Box::new(out)));
    ctx.notify(EventClass::Zset, "zrangestore", dst);
    Ok(Reply::Integer(n))
}
