//! Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis 7.0 replies and error texts.
//!
//! Also home of the helpers HSCAN/SSCAN and HRANDFIELD/SRANDMEMBER share (cursor and option
//! parsing, random index picking); `cmd_set` uses them.

use bytes::Bytes;
use meridian_types::Reply;
use rand::Rng;

use crate::args::{
    eq_ignore_case, err, float_arg, fmt_incr_float, int_arg, parse_f64, parse_i64, OVERFLOW, SYNTAX,
};
use crate::command::{wrong_arity, CommandDef, CommandKind};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::glob::glob_match;
use crate::typed::Hash;

const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
const INCR_ARG_NAN_OR_INF: &str = "ERR value is NaN or Infinity";
const INCR_RESULT_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub(crate) const INVALID_CURSOR: &str = "ERR invalid cursor";
pub(crate) const OUT_OF_RANGE: &str = "ERR value is out of range";
/// Redis's wording (typo included) for a count outside `-LONG_MAX..=LONG_MAX`.
pub(crate) const RAND_COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// Longest string Redis's `string2ld` reads as a number (`MAX_LONG_DOUBLE_CHARS`).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
/// Largest reply a negative (repeating) random count may ask for. Redis has no bound and would
/// try to build the reply until memory runs out; we refuse instead of aborting the node.
pub(crate) const MAX_RANDOM_REPEATS: u64 = 1 << 24;

pub const COMMANDS: &[CommandDef] = &[
    def(
        "hset",
        -4,
        &["write", "denyoom", "fast"],
        CommandKind::Write(hset),
    ),
    def(
        "hsetnx",
        4,
        &["write", "denyoom", "fast"],
        CommandKind::Write(hsetnx),
    ),
    def("hget", 3, &["readonly", "fast"], CommandKind::Read(hget)),
    def("hmget", -3, &["readonly", "fast"], CommandKind::Read(hmget)),
    def(
        "hmset",
        -4,
        &["write", "denyoom", "fast"],
        CommandKind::Write(hmset),
    ),
    def("hdel", -3, &["write", "fast"], CommandKind::Write(hdel)),
    def("hgetall", 2, &["readonly"], CommandKind::Read(hgetall)),
    def("hkeys", 2, &["readonly"], CommandKind::Read(hkeys)),
    def("hvals", 2, &["readonly"], CommandKind::Read(hvals)),
    def("hlen", 2, &["readonly", "fast"], CommandKind::Read(hlen)),
    def(
        "hexists",
        3,
        &["readonly", "fast"],
        CommandKind::Read(hexists),
    ),
    def(
        "hstrlen",
        3,
        &["readonly", "fast"],
        CommandKind::Read(hstrlen),
    ),
    def(
        "hincrby",
        4,
        &["write", "denyoom", "fast"],
        CommandKind::Write(hincrby),
    ),
    def(
        "hincrbyfloat",
        4,
        &["write", "denyoom", "fast"],
        CommandKind::Write(hincrbyfloat),
    ),
    def(
        "hrandfield",
        -2,
        &["readonly"],
        CommandKind::Read(hrandfield),
    ),
    def("hscan", -3, &["readonly"], CommandKind::Read(hscan)),
];

/// Every hash command has exactly one key, at argv[1].
const fn def(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    kind: CommandKind,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        first_key: 1,
        last_key: 1,
        step: 1,
        kind,
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the SCAN family and random sampling (also used by `cmd_set`)

/// Parses a SCAN cursor as Redis does (`strtoul` base 10): optional sign (a `-` wraps around),
/// no leading space, nothing after the digits, no overflow. An empty string is cursor 0.
pub(crate) fn parse_scan_cursor(b: &[u8]) -> Result<u64, Reply> {
    let invalid = || err(INVALID_CURSOR);
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if b.is_empty() {
        return Ok(0);
    }
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Parses the `[MATCH pattern] [COUNT count]` options of HSCAN/SSCAN (any order, repeatable,
/// last wins). Returns the pattern, or None when every element matches.
pub(crate) fn parse_scan_options(opts: &[Bytes]) -> Result<Option<Bytes>, Reply> {
    let mut pattern = None;
    let mut i = 0;
    while i < opts.len() {
        let has_value = i + 1 < opts.len();
        if eq_ignore_case(&opts[i], "count") && has_value {
            let count = int_arg(&opts[i + 1])?;
            if count < 1 {
                return Err(err(SYNTAX));
            }
        } else if eq_ignore_case(&opts[i], "match") && has_value {
            let p = &opts[i + 1];
            pattern = (p.as_ref() != b"*").then(|| p.clone());
        } else {
            return Err(err(SYNTAX));
        }
        i += 2;
    }
    Ok(pattern)
}

/// A whole-collection SCAN reply: cursor "0" and the elements.
pub(crate) fn scan_reply(elements: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from_static(b"0")),
        Reply::Array(elements),
    ])
}

/// The reply to a SCAN of a missing key.
pub(crate) fn empty_scan() -> Reply {
    scan_reply(Vec::new())
}

/// Parses the count of HRANDFIELD/SRANDMEMBER: `(how many, distinct?)`. A negative count asks
/// for that many picks with repeats.
pub(crate) fn parse_rand_count(b: &Bytes) -> Result<(u64, bool), Reply> {
    let n = int_arg(b)?;
    if n == i64::MIN {
        return Err(err(RAND_COUNT_RANGE));
    }
    Ok((n.unsigned_abs(), n >= 0))
}

/// Random indices into a collection of `len` elements: `count` distinct ones (all of them, in
/// order, when `count >= len`), or `count` picks with repeats.
pub(crate) fn random_indices<R: Rng + ?Sized>(
    rng: &mut R,
    len: usize,
    count: u64,
    distinct: bool,
) -> Result<Vec<usize>, Reply> {
    if len == 0 || count == 0 {
        return Ok(Vec::new());
    }
    if !distinct {
        if count > MAX_RANDOM_REPEATS {
            return Err(err(OUT_OF_RANGE));
        }
        return Ok((0..count).map(|_| rng.random_range(0..len)).collect());
    }
    match usize::try_from(count) {
        Ok(c) if c < len => Ok(rand::seq::index::sample(rng, len, c).into_vec()),
        _ => Ok((0..len).collect()),
    }
}

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
    let removed = match ctx.db.lookup_mut::<Hash>(&argv[1], ctx.now_ms) {
        Ok(Some(h)) => argv[2..]
            .iter()
            .filter(|f| h.shift_remove(*f).is_some())
            .count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
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

fn incr_by_float(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Result<Bytes, Reply> {
    let incr = float_arg(&argv[3])?;
    if !incr.is_finite() {
        return Err(err(INCR_ARG_NAN_OR_INF));
    }
    let old = match ctx
        .db
        .lookup::<Hash>(&argv[1], ctx.now_ms)?
        .and_then(|h| h.get(&argv[2]))
    {
        Some(v) => parse_hash_float(v).ok_or_else(|| err(HASH_NOT_FLOAT))?,
        None => 0.0,
    };
    let new = old + incr;
    if !new.is_finite() {
        return Err(err(INCR_RESULT_NAN_OR_INF));
    }
    let text = Bytes::from(fmt_incr_float(new));
    ctx.db
        .lookup_or_create::<Hash>(&argv[1], ctx.now_ms)?
        .insert(argv[2].clone(), text.clone());
    Ok(text)
}

/// Reads a stored hash value as a float the way Redis's `string2ld` does: at most 5 KiB, and a
/// literal that overflows to infinity or underflows to zero is not a float.
fn parse_hash_float(v: &[u8]) -> Option<f64> {
    if v.is_empty() || v.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    let f = parse_f64(v)?;
    let unsigned = v
        .strip_prefix(b"-")
        .or_else(|| v.strip_prefix(b"+"))
        .unwrap_or(v);
    let is_inf_literal =
        unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity");
    if f.is_infinite() && !is_inf_literal {
        return None;
    }
    let mantissa = unsigned
        .split(|c| *c == b'e' || *c == b'E')
        .next()
        .unwrap_or_default();
    if f == 0.0 && mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) {
        return None;
    }
    Some(f)
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
        let i = ctx.rng().random_range(0..h.len().max(1));
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

/// HSCAN answers the whole hash in one call with cursor 0 (as Redis does for small hashes):
/// it can never miss or repeat a field, whatever happens between calls.
fn hscan(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    scan_fields(ctx, argv).unwrap_or_else(|e| e)
}

fn scan_fields(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Result<Reply, Reply> {
    parse_scan_cursor(&argv[2])?;
    let Some(h) = ctx.db.lookup::<Hash>(&argv[1], ctx.now_ms)? else {
        return Ok(empty_scan());
    };
    let pattern = parse_scan_options(&argv[3..])?;
    let mut out = Vec::new();
    for (f, v) in h.iter() {
        if pattern.as_ref().is_none_or(|p| glob_match(p, f)) {
            out.push(Reply::Bulk(f.clone()));
            out.push(Reply::Bulk(v.clone()));
        }
    }
    Ok(scan_reply(out))
}

#[cfg(test)]
#[path = "cmd_hash_tests.rs"]
mod tests;
