//! Sorted-set algebra with Redis 7.0 semantics: ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZUNION
//! ZINTER ZDIFF ZINTERCARD (Redis's `zunionInterDiffGenericCommand`), plus the range removals,
//! ZLEXCOUNT and ZRANDMEMBER (`ranges.rs`) and the multi-key pops ZMPOP and LMPOP (`mpop.rs`).
//!
//! Inputs may be sets, whose members count with score 1. Redis folds the inputs smallest first
//! (a stable sort by cardinality), and floating-point sums depend on that order, so we fold in
//! the same order; a product or sum that is NaN (`0 * inf`, `inf + -inf`) counts as 0.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::{keyed, keyless, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{err, no_input_key, wrongtype, LIMIT_NEGATIVE, NOT_FLOAT_WEIGHT, SYNTAX};
use crate::events::EventClass;
use crate::value::Value;
use crate::zset::{Score, ZSet};
use crate::zset_args::parse_score;
use combine::{diff, inter, union, Aggregate, Members, Source};

mod combine;
pub(crate) mod mpop;
mod ranges;
#[cfg(test)]
mod tests;

const W_DENYOOM_MOVABLE: &[&str] = &["write", "denyoom", "movablekeys"];
const RO_MOVABLE: &[&str] = &["readonly", "movablekeys"];
const W_MOVABLE: &[&str] = &["write", "movablekeys"];

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed(
        "zunionstore",
        -4,
        W_DENYOOM_MOVABLE,
        1,
        CommandKind::Write(zunionstore),
    ),
    keyed(
        "zinterstore",
        -4,
        W_DENYOOM_MOVABLE,
        1,
        CommandKind::Write(zinterstore),
    ),
    keyed(
        "zdiffstore",
        -4,
        W_DENYOOM_MOVABLE,
        1,
        CommandKind::Write(zdiffstore),
    ),
    keyless("zunion", -3, RO_MOVABLE, CommandKind::Read(zunion)),
    keyless("zinter", -3, RO_MOVABLE, CommandKind::Read(zinter)),
    keyless("zdiff", -3, RO_MOVABLE, CommandKind::Read(zdiff)),
    keyless("zintercard", -3, RO_MOVABLE, CommandKind::Read(zintercard)),
    keyed(
        "zremrangebyscore",
        4,
        W,
        1,
        CommandKind::Write(ranges::zremrangebyscore),
    ),
    keyed(
        "zremrangebyrank",
        4,
        W,
        1,
        CommandKind::Write(ranges::zremrangebyrank),
    ),
    keyed(
        "zremrangebylex",
        4,
        W,
        1,
        CommandKind::Write(ranges::zremrangebylex),
    ),
    keyed(
        "zlexcount",
        4,
        RO_FAST,
        1,
        CommandKind::Read(ranges::zlexcount),
    ),
    keyed(
        "zrandmember",
        -2,
        RO,
        1,
        CommandKind::Read(ranges::zrandmember),
    ),
    keyless("zmpop", -4, W_MOVABLE, CommandKind::Write(mpop::zmpop)),
    keyless("lmpop", -4, W_MOVABLE, CommandKind::Write(mpop::lmpop)),
];

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// The request after the keys: what Redis parses once every key was looked up.
struct Options {
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: usize,
}

/// The keys after `numkeys` at `argv[at]`, checked as Redis checks them.
fn input_keys<'a>(argv: &'a [Bytes], at: usize, name: &str) -> Result<&'a [Bytes], Reply> {
    let n = int_arg(&argv[at])?;
    if n < 1 {
        return Err(no_input_key(name));
    }
    let available = (argv.len() - at - 1) as i64;
    if n > available {
        return Err(err(SYNTAX));
    }
    Ok(&argv[at + 1..at + 1 + n as usize])
}

fn lookup_sources<'a>(
    db: &'a Keyspace,
    keys: &[Bytes],
    now: u64,
) -> Result<Vec<Source<'a>>, Reply> {
    keys.iter()
        .map(|k| {
            let members = match db.get_value(k, now) {
                None => Members::Missing,
                Some(Value::ZSet(z)) => Members::Sorted(z),
                Some(Value::Set(s)) => Members::Plain(s),
                Some(_) => return Err(wrongtype()),
            };
            Ok(Source {
                members,
                weight: 1.0,
            })
        })
        .collect()
}

/// WEIGHTS, AGGREGATE, WITHSCORES and LIMIT, each accepted only where Redis accepts it.
fn parse_options(
    rest: &[Bytes],
    sources: &mut [Source<'_>],
    op: Op,
    store: bool,
    card_only: bool,
) -> Result<Options, Reply> {
    let mut o = Options {
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && !card_only;
    let mut j = 0;
    while let Some(opt) = rest.get(j) {
        let remaining = rest.len() - j;
        if algebra && remaining > sources.len() && eq_ignore_case(opt, "weights") {
            for (src, w) in sources.iter_mut().zip(&rest[j + 1..]) {
                src.weight = parse_score(w).ok_or_else(|| err(NOT_FLOAT_WEIGHT))?;
            }
            j += 1 + sources.len();
        } else if algebra && remaining >= 2 && eq_ignore_case(opt, "aggregate") {
            let a = &rest[j + 1];
            o.aggregate = match () {
                _ if eq_ignore_case(a, "sum") => Aggregate::Sum,
                _ if eq_ignore_case(a, "min") => Aggregate::Min,
                _ if eq_ignore_case(a, "max") => Aggregate::Max,
                _ => return Err(err(SYNTAX)),
            };
            j += 2;
        } else if !store && !card_only && eq_ignore_case(opt, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && eq_ignore_case(opt, "limit") {
            o.limit = match parse_i64(&rest[j + 1]) {
                Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(err(LIMIT_NEGATIVE)),
            };
            j += 2;
        } else {
            return Err(err(SYNTAX));
        }
    }
    Ok(o)
}

/// What a request computes: the members in Redis's (score, member) order, or for
/// ZINTERCARD only their number.
enum Outcome {
    Members(Vec<(Bytes, f64)>, bool),
    Count(usize),
}

/// Redis's `zunionInterDiffGenericCommand` up to the reply: keys, then options, then the
/// operation.
fn compute(
    db: &Keyspace,
    now: u64,
    argv: &[Bytes],
    op: Op,
    store: bool,
    card_only: bool,
) -> Result<Outcome, Reply> {
    // The Z*STORE commands name their destination before `numkeys`.
    let numkeys_at = if store { 2 } else { 1 };
    let name = std::str::from_utf8(&argv[0])
        .unwrap_or("")
        .to_ascii_lowercase();
    let keys = input_keys(argv, numkeys_at, &name)?;
    let mut sources = lookup_sources(db, keys, now)?;
    let rest = &argv[numkeys_at + 1 + keys.len()..];
    let o = parse_options(rest, &mut sources, op, store, card_only)?;
    if op != Op::Diff {
        sources.sort_by_key(|s| s.members.len());
    }
    let mut members = match op {
        Op::Union => union(&sources, o.aggregate),
        Op::Inter => inter(&sources, o.aggregate, o.limit),
        Op::Diff => diff(&sources),
    };
    if card_only {
        return Ok(Outcome::Count(members.len()));
    }
    members.sort_by(|a, b| Score(a.1).cmp(&Score(b.1)).then_with(|| a.0.cmp(&b.0)));
    Ok(Outcome::Members(members, o.withscores))
}

fn read_generic(ctx: &ReadCtx<'_>, argv: &[Bytes], op: Op, card_only: bool) -> CommandResult {
    Ok(
        match compute(ctx.db, ctx.now_ms, argv, op, false, card_only)? {
            Outcome::Count(n) => Reply::Integer(n as i64),
            Outcome::Members(members, true) => Reply::Pairs(
                members
                    .into_iter()
                    .map(|(m, s)| (Reply::Bulk(m), Reply::Double(s)))
                    .collect(),
            ),
            Outcome::Members(members, false) => {
                Reply::Array(members.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
            }
        },
    )
}

/// Z*STORE: replaces the destination (of any type, dropping its TTL) with the result, or
/// deletes it when the result is empty.
fn store_generic(ctx: &mut WriteCtx<'_>, argv: &[Bytes], op: Op) -> CommandResult {
    let members = match compute(ctx.db, ctx.now_ms, argv, op, true, false)? {
        Outcome::Members(m, _) => m,
        Outcome::Count(_) => Vec::new(),
    };
    let dst = &argv[1];
    if members.is_empty() {
        if ctx.db.remove(dst, ctx.now_ms).is_some() {
            ctx.notify(EventClass::Generic, "del", dst);
        }
        return Ok(Reply::Integer(0));
    }
    let mut out = ZSet::new();
    for (m, s) in members {
        out.insert(m, s);
    }
    let n = out.len() as i64;
    ctx.db.insert(dst.clone(), Value::ZSet(Box::new(out)));
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    ctx.notify(EventClass::Zset, event, dst);
    Ok(Reply::Integer(n))
}

fn zunionstore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    store_generic(ctx, argv, Op::Union)
}

fn zinterstore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    store_generic(ctx, argv, Op::Inter)
}

fn zdiffstore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    store_generic(ctx, argv, Op::Diff)
}

fn zunion(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_generic(ctx, argv, Op::Union, false)
}

fn zinter(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_generic(ctx, argv, Op::Inter, false)
}

fn zdiff(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_generic(ctx, argv, Op::Diff, false)
}

fn zintercard(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_generic(ctx, argv, Op::Inter, true)
}
