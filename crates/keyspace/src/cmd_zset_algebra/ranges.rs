//! ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX (Redis's `zremrangeGenericCommand`),
//! ZLEXCOUNT and ZRANDMEMBER. Registered in `cmd_zset_algebra::COMMANDS`.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{err, NOT_FLOAT_RANGE, NOT_LEX_RANGE, OUT_OF_RANGE, SYNTAX};
use crate::events::EventClass;
use crate::sample::{parse_rand_count, random_index, random_indices};
use crate::zset::ZSet;
use crate::zset_args::{LexRange, ScoreRange};

/// The members of `z` inside a lex range, ascending, as Redis walks them.
fn lex_members<'a>(z: &'a ZSet, range: &'a LexRange) -> impl Iterator<Item = &'a Bytes> + 'a {
    z.lex_walk(range, false)
        .take_while(|(m, _)| range.lte_max(m))
        .map(|(m, _)| m)
}

/// Redis rank indexes (negative counts from the top) as `(skip, count)`, or None when empty.
fn rank_window(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let s = if start < 0 { start + len } else { start }.max(0);
    let e = if end < 0 { end + len } else { end };
    if s > e || s >= len {
        return None;
    }
    let e = e.min(len - 1);
    Some((s as usize, (e - s + 1) as usize))
}

/// Which members a ZREMRANGEBY* command removes, parsed before the key is looked up.
enum Removal {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

impl Removal {
    /// The command's event (its name).
    fn event(&self) -> &'static str {
        match self {
            Removal::Rank(..) => "zremrangebyrank",
            Removal::Score(_) => "zremrangebyscore",
            Removal::Lex(_) => "zremrangebylex",
        }
    }

    fn members(&self, z: &ZSet) -> Vec<Bytes> {
        match self {
            Removal::Rank(start, end) => match rank_window(*start, *end, z.len()) {
                Some((skip, n)) => z
                    .iter()
                    .skip(skip)
                    .take(n)
                    .map(|(m, _)| m.clone())
                    .collect(),
                None => Vec::new(),
            },
            Removal::Score(r) => z.range_by_score_spec(r).map(|(m, _)| m.clone()).collect(),
            Removal::Lex(r) => lex_members(z, r).cloned().collect(),
        }
    }
}

fn remove_range(ctx: &mut WriteCtx<'_>, key: &Bytes, removal: &Removal) -> CommandResult {
    let removed = match ctx.db.lookup_mut_unmarked::<ZSet>(key, ctx.now_ms)? {
        None => 0,
        Some(z) => {
            let doomed = removal.members(z);
            for m in &doomed {
                z.remove(m);
            }
            doomed.len()
        }
    };
    if removed > 0 {
        ctx.db.mark_modified(key);
        ctx.notify(EventClass::Zset, removal.event(), key);
        ctx.remove_if_empty_notify(key);
    }
    Ok(Reply::Integer(removed as i64))
}

pub(super) fn zremrangebyrank(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let start = int_arg(&argv[2])?;
    let end = int_arg(&argv[3])?;
    remove_range(ctx, &argv[1], &Removal::Rank(start, end))
}

pub(super) fn zremrangebyscore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let range = ScoreRange::parse(&argv[2], &argv[3]).ok_or_else(|| err(NOT_FLOAT_RANGE))?;
    remove_range(ctx, &argv[1], &Removal::Score(range))
}

pub(super) fn zremrangebylex(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let range = LexRange::parse(&argv[2], &argv[3]).ok_or_else(|| err(NOT_LEX_RANGE))?;
    remove_range(ctx, &argv[1], &Removal::Lex(range))
}

pub(super) fn zlexcount(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let range = LexRange::parse(&argv[2], &argv[3]).ok_or_else(|| err(NOT_LEX_RANGE))?;
    let z = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(
        z.map_or(0, |z| lex_members(z, &range).count() as i64),
    ))
}

/// ZRANDMEMBER key [count [WITHSCORES]].
pub(super) fn zrandmember(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let Some(count_arg) = argv.get(2) else {
        let Some(z) = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let i = random_index(&mut *ctx.rng(), z.len());
        return Ok(z
            .iter()
            .nth(i)
            .map_or(Reply::Nil, |(m, _)| Reply::Bulk(m.clone())));
    };
    let (count, distinct) = parse_rand_count(count_arg)?;
    let withscores = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && eq_ignore_case(opt, "withscores") => true,
        Some(_) => return Err(err(SYNTAX)),
    };
    // Redis doubles the reply length for the scores and refuses what would overflow.
    if withscores && count > (i64::MAX / 2) as u64 {
        return Err(err(OUT_OF_RANGE));
    }
    let z = match ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)? {
        Some(z) if count > 0 => z,
        _ => return Ok(Reply::Array(Vec::new())),
    };
    let all: Vec<(&Bytes, f64)> = z.iter().collect();
    // Asked for at least the whole set, Redis answers it as its iterator walks it: from the
    // highest score down.
    let picks = if distinct && count >= all.len() as u64 {
        (0..all.len()).rev().collect()
    } else {
        random_indices(&mut *ctx.rng(), all.len(), count, distinct)?
    };
    let chosen = picks.into_iter().filter_map(|i| all.get(i));
    Ok(if withscores {
        Reply::Pairs(
            chosen
                .map(|(m, s)| (Reply::Bulk((*m).clone()), Reply::Double(*s)))
                .collect(),
        )
    } else {
        Reply::Array(chosen.map(|(m, _)| Reply::Bulk((*m).clone())).collect())
    })
}
