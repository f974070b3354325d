//! SORT and SORT_RO with Redis 7.0 semantics (Redis's `sortCommandGeneric`): lists, sets and
//! sorted sets, sorted by their elements or by other keys (`BY pattern`), projected through
//! `GET pattern`, windowed by `LIMIT`, optionally stored as a list (`STORE`, SORT only).
//!
//! SORT is a write command even without STORE, as Redis flags it, so it goes through the log.
//! Redis compares ALPHA values with `strcoll` unless it stores the result; we compare bytes
//! (up to a NUL, as `strcoll` does), which is what `strcoll` does in the C locale.

use std::cmp::Ordering;

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::{keyed, CommandDef, CommandKind, CommandResult};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{err, wrongtype, SORT_NOT_DOUBLE, SYNTAX};
use crate::events::EventClass;
use crate::typed::List;
use crate::value::Value;
use crate::zset_args::{c_str, strtod};

mod pattern;
#[cfg(test)]
mod tests;

use pattern::lookup_by_pattern;

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed(
        "sort",
        -2,
        &["write", "denyoom", "movablekeys"],
        1,
        CommandKind::Write(sort),
    ),
    keyed(
        "sort_ro",
        -2,
        &["readonly", "movablekeys"],
        1,
        CommandKind::Read(sort_ro),
    ),
];

/// A parsed SORT request.
struct SortRequest<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a Bytes>,
    by: Option<&'a Bytes>,
    /// A BY pattern without `*` (such as `nosort`) keeps the stored order.
    dontsort: bool,
    gets: Vec<&'a Bytes>,
}

/// The options after the key, parsed in Redis's order (the first bad one answers).
fn parse(argv: &[Bytes], readonly: bool) -> Result<SortRequest<'_>, Reply> {
    let mut r = SortRequest {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while let Some(opt) = argv.get(j) {
        let left = argv.len() - j - 1;
        if eq_ignore_case(opt, "asc") {
            r.desc = false;
        } else if eq_ignore_case(opt, "desc") {
            r.desc = true;
        } else if eq_ignore_case(opt, "alpha") {
            r.alpha = true;
        } else if eq_ignore_case(opt, "limit") && left >= 2 {
            r.limit_start = int_arg(&argv[j + 1])?;
            r.limit_count = int_arg(&argv[j + 2])?;
            j += 2;
        } else if !readonly && eq_ignore_case(opt, "store") && left >= 1 {
            r.store = Some(&argv[j + 1]);
            j += 1;
        } else if eq_ignore_case(opt, "by") && left >= 1 {
            let by = &argv[j + 1];
            // Once a constant BY was seen Redis never sorts, even if a later BY has a `*`.
            r.dontsort |= !c_str(by).contains(&b'*');
            r.by = Some(by);
            j += 1;
        } else if eq_ignore_case(opt, "get") && left >= 1 {
            r.gets.push(&argv[j + 1]);
            j += 1;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    Ok(r)
}

/// The elements to sort: a list or set in its order, a sorted set ascending; `is_set` tells
/// a plain set apart (its order is not Redis's, and DESC does not reverse it).
fn load(db: &Keyspace, key: &Bytes, now: u64) -> Result<(Vec<Bytes>, bool), Reply> {
    Ok(match db.get_value(key, now) {
        None => (Vec::new(), false),
        Some(Value::List(l)) => (l.iter().cloned().collect(), false),
        Some(Value::Set(s)) => (s.iter().cloned().collect(), true),
        Some(Value::ZSet(z)) => (z.iter().map(|(m, _)| m.clone()).collect(), false),
        Some(_) => return Err(wrongtype()),
    })
}

/// Redis's LIMIT sanitising: the first index and how many elements the reply holds.
fn window(start: i64, count: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let mut start = start.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    (start.max(0) as usize, (end - start + 1).max(0) as usize)
}

/// A by-value as a sort score, as Redis reads it with `strtod`: leading spaces, hex and `inf`
/// are fine; trailing bytes (before a NUL), NaN, overflow and underflow are not.
fn sort_score(b: &[u8]) -> Option<f64> {
    let c = c_str(b);
    let (v, used, erange) = strtod(c);
    let subnormal = v != 0.0 && v.abs() < f64::MIN_POSITIVE;
    (used == c.len() && !erange && !subnormal && !v.is_nan()).then_some(v)
}

/// What each element sorts by.
enum Keys {
    Numeric(Vec<f64>),
    /// ALPHA with BY: the looked-up value, None (sorting first) when it is missing.
    Alpha(Vec<Option<Bytes>>),
    /// ALPHA without BY: the elements themselves.
    Elements,
}

fn sort_keys(
    db: &Keyspace,
    now: u64,
    req: &SortRequest<'_>,
    items: &[Bytes],
) -> Result<Keys, Reply> {
    let by_value = |item: &Bytes| match req.by {
        Some(pattern) => lookup_by_pattern(db, now, pattern, item),
        None => Some(item.clone()),
    };
    if req.alpha {
        return Ok(match req.by {
            Some(_) => Keys::Alpha(items.iter().map(by_value).collect()),
            None => Keys::Elements,
        });
    }
    let mut scores = Vec::with_capacity(items.len());
    for item in items {
        // A missing by-key sorts as 0.
        let score = match by_value(item) {
            Some(v) => sort_score(&v).ok_or_else(|| err(SORT_NOT_DOUBLE))?,
            None => 0.0,
        };
        scores.push(score);
    }
    Ok(Keys::Numeric(scores))
}

/// Two ALPHA values: bytes when storing (Redis's binary compare), else as `strcoll` in the C
/// locale sees them.
fn alpha_cmp(a: &[u8], b: &[u8], binary: bool) -> Ordering {
    if binary {
        a.cmp(b)
    } else {
        c_str(a).cmp(c_str(b))
    }
}

/// Sorts `items` as Redis's `sortCompare` orders them (a stable sort, as glibc's `qsort`).
fn sort_items(items: Vec<Bytes>, keys: Keys, desc: bool, binary: bool) -> Vec<Bytes> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let cmp = |a: &usize, b: &usize| -> Ordering {
        let (x, y) = (&items[*a], &items[*b]);
        match &keys {
            // Scores are never NaN here; equal ones (-0 and 0 too) fall back to the elements.
            Keys::Numeric(s) => s[*a]
                .partial_cmp(&s[*b])
                .unwrap_or(Ordering::Equal)
                .then_with(|| x.cmp(y)),
            Keys::Alpha(v) => match (&v[*a], &v[*b]) {
                (Some(p), Some(q)) => alpha_cmp(p, q, binary),
                (p, q) => p.is_some().cmp(&q.is_some()),
            },
            Keys::Elements => alpha_cmp(x, y, binary),
        }
    };
    if desc {
        order.sort_by(|a, b| cmp(b, a));
    } else {
        order.sort_by(cmp);
    }
    order.into_iter().map(|i| items[i].clone()).collect()
}

/// The reply elements of a SORT (None where a GET pattern finds nothing).
fn run(db: &Keyspace, now: u64, argv: &[Bytes], readonly: bool) -> Result<SortOutput, Reply> {
    let mut req = parse(argv, readonly)?;
    let (mut items, is_set) = load(db, &argv[1], now)?;
    // A set has no order of its own: stored results are sorted alphabetically instead.
    if req.dontsort && is_set && req.store.is_some() {
        req.dontsort = false;
        req.alpha = true;
        req.by = None;
    }
    if req.dontsort {
        if req.desc && !is_set {
            items.reverse();
        }
    } else {
        let keys = sort_keys(db, now, &req, &items)?;
        items = sort_items(items, keys, req.desc, req.store.is_some());
    }
    let (start, n) = window(req.limit_start, req.limit_count, items.len());
    let picked = items.iter().skip(start).take(n);
    let values = if req.gets.is_empty() {
        picked.map(|i| Some(i.clone())).collect()
    } else {
        picked
            .flat_map(|item| {
                req.gets
                    .iter()
                    .map(move |p| lookup_by_pattern(db, now, p, item))
            })
            .collect()
    };
    Ok(SortOutput {
        values,
        store: req.store.cloned(),
    })
}

struct SortOutput {
    values: Vec<Option<Bytes>>,
    store: Option<Bytes>,
}

fn array(values: Vec<Option<Bytes>>) -> Reply {
    Reply::Array(
        values
            .into_iter()
            .map(|v| v.map_or(Reply::Nil, Reply::Bulk))
            .collect(),
    )
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]: with STORE, replaces the destination (dropping its TTL) with the
/// result as a list, GET misses stored as empty strings, or deletes it when there is none.
fn sort(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let out = run(ctx.db, ctx.now_ms, argv, false)?;
    let Some(dst) = out.store else {
        return Ok(array(out.values));
    };
    let n = out.values.len();
    if n == 0 {
        if ctx.db.remove(&dst, ctx.now_ms).is_some() {
            ctx.notify(EventClass::Generic, "del", &dst);
        }
    } else {
        let list: List = out
            .values
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        ctx.db.insert(dst.clone(), Value::List(Box::new(list)));
        ctx.notify(EventClass::List, "sortstore", &dst);
    }
    Ok(Reply::Integer(n as i64))
}

fn sort_ro(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let out = run(ctx.db, ctx.now_ms, argv, true)?;
    Ok(array(out.values))
}
