//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
//! SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SSCAN, with Redis 7.0 replies and
//! error texts.
//!
//! Members keep insertion order until one is removed: removal moves the last member into its
//! place, so SREM and SPOP cost the same on a set of any size. Redis 7.0 keeps small all-integer
//! sets as sorted intsets and others as hash tables; SMEMBERS order is unspecified, so we do not
//! emulate either.

use bytes::Bytes;
use meridian_types::Reply;
use rand::Rng;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::{
    keyed, keyless, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W_DENYOOM, W_DENYOOM_FAST,
    W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{
    err, LIMIT_NEGATIVE, NOT_POSITIVE, NUMKEYS_NOT_POSITIVE, SYNTAX, TOO_MANY_KEYS,
};
use crate::events::EventClass;
use crate::sample::{parse_rand_count, random_index, random_indices};
use crate::scan::scan_collection;
use crate::typed::Set;
use crate::value::Value;

pub const COMMANDS: &[CommandDef] = &[
    keyed("sadd", -3, W_DENYOOM_FAST, 1, CommandKind::Write(sadd)),
    keyed("srem", -3, W_FAST, 1, CommandKind::Write(srem)),
    keyed("smembers", 2, RO, 1, CommandKind::Read(smembers)),
    keyed("sismember", 3, RO_FAST, 1, CommandKind::Read(sismember)),
    keyed("smismember", -3, RO_FAST, 1, CommandKind::Read(smismember)),
    keyed("scard", 2, RO_FAST, 1, CommandKind::Read(scard)),
    keyed("spop", -2, W_FAST, 1, CommandKind::Write(spop)),
    keyed("srandmember", -2, RO, 1, CommandKind::Read(srandmember)),
    keyed("smove", 4, W_FAST, 2, CommandKind::Write(smove)),
    keyed("sinter", -2, RO, -1, CommandKind::Read(sinter)),
    keyless(
        "sintercard",
        -3,
        &["readonly", "movablekeys"],
        CommandKind::Read(sintercard),
    ),
    keyed("sunion", -2, RO, -1, CommandKind::Read(sunion)),
    keyed("sdiff", -2, RO, -1, CommandKind::Read(sdiff)),
    keyed(
        "sinterstore",
        -3,
        W_DENYOOM,
        -1,
        CommandKind::Write(sinterstore),
    ),
    keyed(
        "sunionstore",
        -3,
        W_DENYOOM,
        -1,
        CommandKind::Write(sunionstore),
    ),
    keyed(
        "sdiffstore",
        -3,
        W_DENYOOM,
        -1,
        CommandKind::Write(sdiffstore),
    ),
    keyed("sscan", -3, RO, 1, CommandKind::Read(sscan)),
];

fn members(elements: impl IntoIterator<Item = Bytes>) -> Vec<Reply> {
    elements.into_iter().map(Reply::Bulk).collect()
}

// ---------------------------------------------------------------------------------------------
// Type accessors

/// Every key as a set (None for a missing key); WRONGTYPE if any key holds another type.
fn read_sets<'a>(
    db: &'a Keyspace,
    keys: &[Bytes],
    now: u64,
) -> Result<Vec<Option<&'a Set>>, Reply> {
    keys.iter().map(|k| db.lookup::<Set>(k, now)).collect()
}

// ---------------------------------------------------------------------------------------------
// Set algebra (pure)

/// The intersection, in the order of the smallest set (the one Redis iterates), stopping after
/// `limit` members (0 = no limit).
fn intersection(sets: &[Option<&Set>], limit: usize) -> Vec<Bytes> {
    let Some(sets) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else {
        return Vec::new();
    };
    let Some((smallest_at, smallest)) = sets.iter().enumerate().min_by_key(|(_, s)| s.len()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in smallest.iter() {
        if limit != 0 && out.len() >= limit {
            break;
        }
        let in_all = sets
            .iter()
            .enumerate()
            .all(|(i, s)| i == smallest_at || s.contains(m));
        if in_all {
            out.push(m.clone());
        }
    }
    out
}

fn union(sets: &[Option<&Set>]) -> Set {
    let mut out = Set::new();
    for s in sets.iter().flatten() {
        out.extend(s.iter().cloned());
    }
    out
}

/// Members of the first set that are in none of the others.
fn difference(sets: &[Option<&Set>]) -> Set {
    let Some(Some(first)) = sets.first() else {
        return Set::new();
    };
    first
        .iter()
        .filter(|m| !sets[1..].iter().flatten().any(|s| s.contains(*m)))
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Commands

fn sadd(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx
        .db
        .lookup_or_create_unmarked::<Set>(&argv[1], ctx.now_ms)?;
    let added = argv[2..].iter().filter(|m| s.insert((*m).clone())).count();
    if added > 0 {
        ctx.db.mark_modified(&argv[1]);
        ctx.notify(EventClass::Set, "sadd", &argv[1]);
    }
    Ok(Reply::Integer(added as i64))
}

fn srem(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let removed = match ctx.db.lookup_mut_unmarked::<Set>(&argv[1], ctx.now_ms)? {
        Some(s) => argv[2..].iter().filter(|m| s.swap_remove(*m)).count(),
        None => 0,
    };
    if removed > 0 {
        ctx.db.mark_modified(&argv[1]);
        ctx.notify(EventClass::Set, "srem", &argv[1]);
        ctx.remove_if_empty_notify(&argv[1]);
    }
    Ok(Reply::Integer(removed as i64))
}

fn smembers(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx.db.lookup::<Set>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Set(members(s.into_iter().flatten().cloned())))
}

fn sismember(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx.db.lookup::<Set>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(i64::from(
        s.is_some_and(|s| s.contains(&argv[2])),
    )))
}

fn smismember(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx.db.lookup::<Set>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|m| Reply::Integer(i64::from(s.is_some_and(|s| s.contains(m)))))
            .collect(),
    ))
}

fn scard(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx.db.lookup::<Set>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(s.map_or(0, |s| s.len()) as i64))
}

fn spop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if argv.len() > 3 {
        return Err(err(SYNTAX));
    }
    let key = &argv[1];
    if argv.len() == 2 {
        let rng = ctx.rng.get();
        let popped = match ctx.db.lookup_mut::<Set>(key, ctx.now_ms)? {
            Some(s) if !s.is_empty() => s.swap_remove_index(rng.random_range(0..s.len())),
            _ => None,
        };
        if popped.is_some() {
            ctx.notify(EventClass::Set, "spop", key);
            ctx.remove_if_empty_notify(key);
        }
        return Ok(popped.map_or(Reply::Nil, Reply::Bulk));
    }
    let count = match int_arg(&argv[2]) {
        Ok(n) if n >= 0 => n as u64,
        _ => return Err(err(NOT_POSITIVE)),
    };
    let rng = ctx.rng.get();
    let Some(s) = ctx.db.lookup_mut_unmarked::<Set>(key, ctx.now_ms)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    let picks = random_indices(rng, s.len(), count, true)?;
    let mut chosen = vec![false; s.len()];
    for &i in &picks {
        chosen[i] = true;
    }
    let popped = members(picks.iter().filter_map(|&i| s.get_index(i)).cloned());
    let mut i = 0;
    s.retain(|_| {
        let keep = !chosen[i];
        i += 1;
        keep
    });
    // A count of 0 pops nothing.
    if !popped.is_empty() {
        ctx.db.mark_modified(key);
        ctx.notify(EventClass::Set, "spop", key);
        ctx.remove_if_empty_notify(key);
    }
    Ok(Reply::Set(popped))
}

fn srandmember(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if argv.len() > 3 {
        return Err(err(SYNTAX));
    }
    if argv.len() == 2 {
        let Some(s) = ctx.db.lookup::<Set>(&argv[1], ctx.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let i = random_index(&mut *ctx.rng(), s.len());
        return Ok(s
            .get_index(i)
            .map_or(Reply::Nil, |m| Reply::Bulk(m.clone())));
    }
    let (count, distinct) = parse_rand_count(&argv[2])?;
    let Some(s) = ctx.db.lookup::<Set>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let picks = random_indices(&mut *ctx.rng(), s.len(), count, distinct)?;
    Ok(Reply::Array(members(
        picks.into_iter().filter_map(|i| s.get_index(i)).cloned(),
    )))
}

fn smove(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let (src, dst, member) = (&argv[1], &argv[2], &argv[3]);
    let now = ctx.now_ms;
    let Some(src_set) = ctx.db.lookup::<Set>(src, now)? else {
        return Ok(Reply::Integer(0));
    };
    let in_src = src_set.contains(member);
    ctx.db.lookup::<Set>(dst, now)?;
    if src == dst || !in_src {
        return Ok(Reply::Integer(i64::from(in_src)));
    }
    if let Some(s) = ctx.db.lookup_mut::<Set>(src, now)? {
        s.swap_remove(member);
    }
    ctx.notify(EventClass::Set, "srem", src);
    ctx.remove_if_empty_notify(src);
    // As in Redis, a destination that already holds the member is not modified.
    if ctx
        .db
        .lookup_or_create_unmarked::<Set>(dst, now)?
        .insert(member.clone())
    {
        ctx.db.mark_modified(dst);
        ctx.notify(EventClass::Set, "sadd", dst);
    }
    Ok(Reply::Integer(1))
}

/// The set algebra of SINTER/SUNION/SDIFF and their STORE variants.
type SetOp = fn(&[Option<&Set>]) -> Set;

/// The whole intersection, as SINTER and SINTERSTORE want it.
fn intersect_all(sets: &[Option<&Set>]) -> Set {
    intersection(sets, 0).into_iter().collect()
}

/// `op` over the sets under `keys`; WRONGTYPE if any key holds another type.
fn combine(db: &Keyspace, keys: &[Bytes], now: u64, op: SetOp) -> Result<Set, Reply> {
    read_sets(db, keys, now).map(|sets| op(&sets))
}

/// SINTER/SUNION/SDIFF key [key ...].
fn combine_read(ctx: &ReadCtx<'_>, argv: &[Bytes], op: SetOp) -> CommandResult {
    let set = combine(ctx.db, &argv[1..], ctx.now_ms, op)?;
    Ok(Reply::Set(members(set)))
}

fn sinter(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    combine_read(ctx, argv, intersect_all)
}

fn sintercard(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let numkeys = match int_arg(&argv[1]) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(err(NUMKEYS_NOT_POSITIVE)),
    };
    let available = (argv.len() - 2) as u64;
    if numkeys > available {
        return Err(err(TOO_MANY_KEYS));
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0usize;
    let mut i = keys_end;
    while i < argv.len() {
        if eq_ignore_case(&argv[i], "limit") && i + 1 < argv.len() {
            limit = match int_arg(&argv[i + 1]) {
                Ok(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(err(LIMIT_NEGATIVE)),
            };
            i += 2;
        } else {
            return Err(err(SYNTAX));
        }
    }
    let sets = read_sets(ctx.db, &argv[2..keys_end], ctx.now_ms)?;
    Ok(Reply::Integer(intersection(&sets, limit).len() as i64))
}

fn sunion(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    combine_read(ctx, argv, union)
}

fn sdiff(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    combine_read(ctx, argv, difference)
}

fn sinterstore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    store(ctx, argv, (intersect_all, "sinterstore"))
}

fn sunionstore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    store(ctx, argv, (union, "sunionstore"))
}

fn sdiffstore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    store(ctx, argv, (difference, "sdiffstore"))
}

/// S*STORE: computes `op` over the source keys, then replaces the destination (of any type,
/// dropping its TTL) with the result, or deletes it when the result is empty.
/// `event`: the command's name, which is its event.
fn store(
    ctx: &mut WriteCtx<'_>,
    argv: &[Bytes],
    (op, event): (SetOp, &'static str),
) -> CommandResult {
    let result = combine(ctx.db, &argv[2..], ctx.now_ms, op)?;
    let dst = &argv[1];
    let len = result.len();
    if result.is_empty() {
        if ctx.db.remove(dst, ctx.now_ms).is_some() {
            ctx.notify(EventClass::Generic, "del", dst);
        }
    } else {
        ctx.db.insert(dst.clone(), Value::Set(Box::new(result)));
        ctx.notify(EventClass::Set, event, dst);
    }
    Ok(Reply::Integer(len as i64))
}

fn sscan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    scan_collection(ctx, argv, &argv[2], |s: &Set, opts| {
        members(s.iter().filter(|m| opts.matches(m)).cloned())
    })
}

#[cfg(test)]
#[path = "cmd_set_tests.rs"]
mod tests;
