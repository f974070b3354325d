//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LRANGE LLEN LINDEX LSET LREM LTRIM
//! LINSERT LPOS LMOVE RPOPLPUSH, with Redis 7.0 semantics.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::{
    keyed, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W, W_DENYOOM, W_DENYOOM_FAST,
    W_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, wrong_arity, INDEX_OUT_OF_RANGE, LPOS_COUNT_NEGATIVE, LPOS_MAXLEN_NEGATIVE,
    LPOS_RANK_ZERO, NOT_POSITIVE, NO_SUCH_KEY, SYNTAX,
};
use crate::events::EventClass;
use crate::streamed::BulkSink;
use crate::typed::List;

#[cfg(test)]
#[path = "cmd_list_tests.rs"]
mod tests;

pub const COMMANDS: &[CommandDef] = &[
    keyed("lpush", -3, W_DENYOOM_FAST, 1, CommandKind::Write(lpush)),
    keyed("rpush", -3, W_DENYOOM_FAST, 1, CommandKind::Write(rpush)),
    keyed("lpushx", -3, W_DENYOOM_FAST, 1, CommandKind::Write(lpushx)),
    keyed("rpushx", -3, W_DENYOOM_FAST, 1, CommandKind::Write(rpushx)),
    keyed("lpop", -2, W_FAST, 1, CommandKind::Write(lpop)),
    keyed("rpop", -2, W_FAST, 1, CommandKind::Write(rpop)),
    keyed("lrange", 4, RO, 1, CommandKind::Read(lrange)),
    keyed("llen", 2, RO_FAST, 1, CommandKind::Read(llen)),
    keyed("lindex", 3, RO, 1, CommandKind::Read(lindex)),
    keyed("lset", 4, W_DENYOOM, 1, CommandKind::Write(lset)),
    keyed("lrem", 4, W, 1, CommandKind::Write(lrem)),
    keyed("ltrim", 4, W, 1, CommandKind::Write(ltrim)),
    keyed("linsert", 5, W_DENYOOM, 1, CommandKind::Write(linsert)),
    keyed("lpos", -3, RO, 1, CommandKind::Read(lpos)),
    keyed("lmove", 5, W_DENYOOM, 2, CommandKind::Write(lmove)),
    keyed("rpoplpush", 3, W_DENYOOM, 2, CommandKind::Write(rpoplpush)),
];

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum End {
    Left,
    Right,
}

fn push(list: &mut List, end: End, v: Bytes) {
    match end {
        End::Left => list.push_front(v),
        End::Right => list.push_back(v),
    }
}

/// The event of a push at `end` (Redis's `lpush` / `rpush`).
pub(crate) fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The event of a pop at `end` (Redis's `lpop` / `rpop`).
pub(crate) fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}

fn pop(list: &mut List, end: End) -> Option<Bytes> {
    match end {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    }
}

/// Redis's `getPositiveLongFromObjectOrReply` with a custom message: any non-integer or
/// negative value answers `msg`.
fn non_negative(b: &[u8], msg: &str) -> Result<i64, Reply> {
    match parse_i64(b) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(err(msg)),
    }
}

/// Turns Redis start/end indexes (negative counts from the tail) into a clamped
/// `(start, count)`, or None when the range is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { start + len } else { start };
    let mut e = if end < 0 { end + len } else { end };
    s = s.max(0);
    if s > e || s >= len {
        return None;
    }
    e = e.min(len - 1);
    Some((s as usize, (e - s + 1) as usize))
}

// ---------------------------------------------------------------------------------------------
// Push and pop

fn lpush(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    push_generic(ctx, argv, End::Left, false)
}

fn rpush(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    push_generic(ctx, argv, End::Right, false)
}

fn lpushx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    push_generic(ctx, argv, End::Left, true)
}

fn rpushx(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    push_generic(ctx, argv, End::Right, true)
}

fn push_generic(
    ctx: &mut WriteCtx<'_>,
    argv: &[Bytes],
    end: End,
    only_existing: bool,
) -> CommandResult {
    let key = &argv[1];
    let now = ctx.now_ms;
    if ctx.db.lookup::<List>(key, now)?.is_none() && only_existing {
        return Ok(Reply::Integer(0));
    }
    let list = ctx.db.lookup_or_create::<List>(key, now)?;
    for v in &argv[2..] {
        push(list, end, v.clone());
    }
    let len = list.len();
    ctx.notify(EventClass::List, push_event(end), key);
    Ok(Reply::Integer(len as i64))
}

pub(crate) fn lpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    pop_generic(ctx, argv, End::Left)
}

pub(crate) fn rpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    pop_generic(ctx, argv, End::Right)
}

/// LPOP/RPOP key [count]: one bulk without count; with a count an array (a nil array when
/// the key is missing, an empty array for count 0).
fn pop_generic(ctx: &mut WriteCtx<'_>, argv: &[Bytes], end: End) -> CommandResult {
    if argv.len() > 3 {
        return Err(wrong_arity(if end == End::Left { "lpop" } else { "rpop" }));
    }
    let count = argv
        .get(2)
        .map(|c| non_negative(c, NOT_POSITIVE))
        .transpose()?;
    let key = &argv[1];
    let Some(list) = ctx.db.lookup_mut_unmarked::<List>(key, ctx.now_ms)? else {
        return Ok(if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        });
    };
    let before = list.len();
    let reply = match count {
        None => pop(list, end).map_or(Reply::Nil, Reply::Bulk),
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX).min(list.len());
            Reply::Array(
                (0..n)
                    .filter_map(|_| pop(list, end))
                    .map(Reply::Bulk)
                    .collect(),
            )
        }
    };
    // A count of 0 pops nothing.
    if list.len() != before {
        ctx.db.mark_modified(key);
        ctx.notify(EventClass::List, pop_event(end), key);
        ctx.remove_if_empty_notify(key);
    }
    Ok(reply)
}

// ---------------------------------------------------------------------------------------------
// Reads

fn lrange(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    crate::streamed::collect(|sink| lrange_into(ctx, argv, sink))
}

/// LRANGE written into `sink` (see `crate::streamed`).
pub(crate) fn lrange_into(
    ctx: &ReadCtx<'_>,
    argv: &[Bytes],
    sink: &mut dyn BulkSink,
) -> Result<(), Reply> {
    let start = int_arg(&argv[2])?;
    let end = int_arg(&argv[3])?;
    let range = match ctx.db.lookup::<List>(&argv[1], ctx.now_ms)? {
        Some(list) => clamp_range(start, end, list.len()).map(|(s, n)| list.range(s..s + n)),
        None => None,
    };
    match range {
        None => sink.array_len(0),
        Some(items) => {
            sink.array_len(items.len());
            items.for_each(|item| sink.bulk(item));
        }
    }
    Ok(())
}

fn llen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let l = ctx.db.lookup::<List>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(l.map_or(0, |l| l.len() as i64)))
}

/// A Redis list index (negative counts from the tail) as a position, if inside the list.
fn position(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { index + len as i64 } else { index };
    usize::try_from(i).ok().filter(|i| *i < len)
}

fn lindex(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let Some(list) = ctx.db.lookup::<List>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let i = int_arg(&argv[2])?;
    Ok(position(i, list.len())
        .and_then(|i| list.get(i))
        .map_or(Reply::Nil, |v| Reply::Bulk(v.clone())))
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
fn lpos(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = &argv[j];
        if eq_ignore_case(opt, "rank") && more {
            j += 1;
            rank = match int_arg(&argv[j])? {
                0 => return Err(err(LPOS_RANK_ZERO)),
                r => r,
            };
        } else if eq_ignore_case(opt, "count") && more {
            j += 1;
            count = Some(non_negative(&argv[j], LPOS_COUNT_NEGATIVE)?);
        } else if eq_ignore_case(opt, "maxlen") && more {
            j += 1;
            maxlen = non_negative(&argv[j], LPOS_MAXLEN_NEGATIVE)?;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    // A negative rank searches from the tail. Redis negates with C overflow semantics, so
    // LONG_MIN stays negative and then matches from the first hit on.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let Some(list) = ctx.db.lookup::<List>(&argv[1], ctx.now_ms)? else {
        return Ok(if count.is_some() {
            Reply::Array(Vec::new())
        } else {
            Reply::Nil
        });
    };
    let len = list.len();
    let ele = &argv[2];
    let scan_len = if maxlen == 0 {
        len
    } else {
        usize::try_from(maxlen).unwrap_or(usize::MAX).min(len)
    };
    let mut found = Vec::new();
    let mut matches: i64 = 0;
    for index in 0..scan_len {
        let pos = if from_tail { len - 1 - index } else { index };
        if list[pos] != *ele {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        found.push(pos as i64);
        match count {
            None => break,
            Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
            Some(_) => {}
        }
    }
    Ok(match count {
        Some(_) => Reply::Array(found.into_iter().map(Reply::Integer).collect()),
        None => found.first().map_or(Reply::Nil, |p| Reply::Integer(*p)),
    })
}

// ---------------------------------------------------------------------------------------------
// In-place writes

fn lset(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let list = ctx
        .db
        .lookup_mut_unmarked::<List>(&argv[1], ctx.now_ms)?
        .ok_or_else(|| err(NO_SUCH_KEY))?;
    let index = int_arg(&argv[2])?;
    let slot = position(index, list.len())
        .and_then(|i| list.get_mut(i))
        .ok_or_else(|| err(INDEX_OUT_OF_RANGE))?;
    *slot = argv[3].clone();
    ctx.db.mark_modified(&argv[1]);
    ctx.notify(EventClass::List, "lset", &argv[1]);
    Ok(Reply::ok())
}

/// LREM key count element: count > 0 removes from the head, < 0 from the tail, 0 all.
fn lrem(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let count = int_arg(&argv[2])?;
    let key = &argv[1];
    let Some(list) = ctx.db.lookup_mut_unmarked::<List>(key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let ele = &argv[3];
    let max = if count == 0 {
        u64::MAX
    } else {
        count.unsigned_abs()
    };
    let mut removed: u64 = 0;
    let kept: List = if count < 0 {
        let mut kept: List = list
            .iter()
            .rev()
            .filter(|v| {
                let drop = removed < max && *v == ele;
                removed += u64::from(drop);
                !drop
            })
            .cloned()
            .collect();
        kept.make_contiguous().reverse();
        kept
    } else {
        list.iter()
            .filter(|v| {
                let drop = removed < max && *v == ele;
                removed += u64::from(drop);
                !drop
            })
            .cloned()
            .collect()
    };
    if removed > 0 {
        *list = kept;
        ctx.db.mark_modified(key);
        ctx.notify(EventClass::List, "lrem", key);
        ctx.remove_if_empty_notify(key);
    }
    Ok(Reply::Integer(removed as i64))
}

fn ltrim(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let start = int_arg(&argv[2])?;
    let end = int_arg(&argv[3])?;
    let key = &argv[1];
    let Some(list) = ctx.db.lookup_mut::<List>(key, ctx.now_ms)? else {
        return Ok(Reply::ok());
    };
    match clamp_range(start, end, list.len()) {
        None => list.clear(),
        Some((s, n)) => {
            list.truncate(s + n);
            list.drain(..s);
        }
    }
    ctx.notify(EventClass::List, "ltrim", key);
    ctx.remove_if_empty_notify(key);
    Ok(Reply::ok())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 if the pivot is absent, 0 if
/// the key is.
fn linsert(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let after = if eq_ignore_case(&argv[2], "after") {
        true
    } else if eq_ignore_case(&argv[2], "before") {
        false
    } else {
        return Err(err(SYNTAX));
    };
    let Some(list) = ctx.db.lookup_mut_unmarked::<List>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(i) = list.iter().position(|v| *v == argv[3]) else {
        return Ok(Reply::Integer(-1));
    };
    list.insert(i + usize::from(after), argv[4].clone());
    let len = list.len();
    ctx.db.mark_modified(&argv[1]);
    ctx.notify(EventClass::List, "linsert", &argv[1]);
    Ok(Reply::Integer(len as i64))
}

// ---------------------------------------------------------------------------------------------
// LMOVE / RPOPLPUSH

pub(crate) fn end_arg(b: &[u8]) -> Result<End, Reply> {
    if eq_ignore_case(b, "left") {
        Ok(End::Left)
    } else if eq_ignore_case(b, "right") {
        Ok(End::Right)
    } else {
        Err(err(SYNTAX))
    }
}

pub(crate) fn lmove(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let from = end_arg(&argv[3])?;
    let to = end_arg(&argv[4])?;
    move_generic(ctx, &argv[1], &argv[2], from, to)
}

pub(crate) fn rpoplpush(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    move_generic(ctx, &argv[1], &argv[2], End::Right, End::Left)
}

/// Pops from `src` and pushes onto `dst` (which may be the same list: a rotation).
fn move_generic(
    ctx: &mut WriteCtx<'_>,
    src: &Bytes,
    dst: &Bytes,
    from: End,
    to: End,
) -> CommandResult {
    let now = ctx.now_ms;
    if ctx
        .db
        .lookup::<List>(src, now)?
        .is_none_or(|l| l.is_empty())
    {
        return Ok(Reply::Nil);
    }
    ctx.db.lookup::<List>(dst, now)?;
    let value = match ctx.db.lookup_mut::<List>(src, now) {
        Ok(Some(l)) => pop(l, from),
        _ => None,
    };
    let Some(value) = value else {
        return Ok(Reply::Nil);
    };
    if let Ok(l) = ctx.db.lookup_or_create::<List>(dst, now) {
        push(l, to, value.clone());
    }
    ctx.notify(EventClass::List, push_event(to), dst);
    ctx.notify(EventClass::List, pop_event(from), src);
    ctx.remove_if_empty_notify(src);
    Ok(Reply::Bulk(value))
}
