//! Bitmap commands and string extras: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO
//! LCS SUBSTR, with the replies, errors and argument order of Redis 7.0 (`bitops.c`,
//! `t_string.c`).
//!
//! Bit 0 is the most significant bit of the first byte. A bitmap is a plain string value;
//! writes keep the key's TTL (Redis changes the string in place), except BITOP, which replaces
//! its destination as SET does. WATCH sees a modification exactly when Redis signals one: a
//! SETBIT or BITFIELD that changes no bit and does not grow the string stores nothing. Strings
//! are immutable [`SmallBytes`], so a write copies the string, as APPEND and SETRANGE do.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::{keyed, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W_DENYOOM};
use crate::ctx::{Limits, ReadCtx, WriteCtx};
use crate::errors::{err, BITOP_NOT_SOURCES, BITPOS_BIT, BIT_OFFSET, BIT_VALUE, SYNTAX};
use crate::events::EventClass;
use crate::small_bytes::SmallBytes;
use crate::value::Value;

mod bitfield;
mod lcs;
#[cfg(test)]
mod tests;

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed("setbit", 4, W_DENYOOM, 1, CommandKind::Write(setbit)),
    keyed("getbit", 3, RO_FAST, 1, CommandKind::Read(getbit)),
    keyed("bitcount", -2, RO, 1, CommandKind::Read(bitcount)),
    keyed("bitpos", -3, RO, 1, CommandKind::Read(bitpos)),
    // BITOP's keys are the destination (argv[2]) and every source after it.
    CommandDef {
        name: "bitop",
        arity: -4,
        flags: W_DENYOOM,
        first_key: 2,
        last_key: -1,
        step: 1,
        kind: CommandKind::Write(bitop),
    },
    keyed(
        "bitfield",
        -2,
        W_DENYOOM,
        1,
        CommandKind::Write(bitfield::bitfield),
    ),
    keyed(
        "bitfield_ro",
        -2,
        RO_FAST,
        1,
        CommandKind::Read(bitfield::bitfield_ro),
    ),
    keyed("lcs", -3, RO, 2, CommandKind::Read(lcs::lcs)),
    // SUBSTR is GETRANGE under its old name.
    keyed(
        "substr",
        4,
        RO,
        1,
        CommandKind::Read(crate::cmd_strings::getrange),
    ),
];

/// Redis's `getBitOffsetFromArgument`: a non-negative bit offset whose byte lies below
/// `proto-max-bulk-len`. With `unit` (BITFIELD's type width), `#n` means `n * unit`; the
/// product wraps as it does in Redis's C.
fn bit_offset(arg: &[u8], unit: Option<u32>, limits: &Limits) -> Result<u64, Reply> {
    let (digits, times) = match (arg.first(), unit) {
        (Some(b'#'), Some(bits)) => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits)
        .ok_or_else(|| err(BIT_OFFSET))?
        .wrapping_mul(times);
    match u64::try_from(offset) {
        Ok(o) if (o >> 3) < limits.max_string_len as u64 => Ok(o),
        _ => Err(err(BIT_OFFSET)),
    }
}

/// The byte holding bit `offset` and the mask of that bit within it.
fn byte_and_mask(offset: u64) -> (usize, u8) {
    ((offset >> 3) as usize, 0x80 >> (offset & 7))
}

/// Stores `buf` as the string under `key`, keeping its TTL (a modification for WATCH).
fn store_keep_ttl(ctx: &mut WriteCtx<'_>, key: &Bytes, buf: Vec<u8>) {
    let now = ctx.now_ms;
    ctx.db
        .insert_keep_ttl(key.clone(), Value::Str(SmallBytes::from(buf)), now);
}

/// SETBIT key offset 0|1: answers the bit's old value. The string grows zero-padded.
fn setbit(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let offset = bit_offset(&argv[2], None, &ctx.limits)?;
    let on = match parse_i64(&argv[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return Err(err(BIT_VALUE)),
    };
    let key = &argv[1];
    let old = ctx.db.lookup::<SmallBytes>(key, ctx.now_ms)?;
    let (byte, mask) = byte_and_mask(offset);
    let was = old.and_then(|s| s.get(byte)).is_some_and(|b| b & mask != 0);
    let grows = old.is_none_or(|s| s.len() <= byte);
    if grows || was != on {
        let mut buf = old.map_or_else(Vec::new, |s| s.to_vec());
        if buf.len() <= byte {
            buf.resize(byte + 1, 0);
        }
        if on {
            buf[byte] |= mask;
        } else {
            buf[byte] &= !mask;
        }
        store_keep_ttl(ctx, key, buf);
        ctx.notify(EventClass::String, "setbit", key);
    }
    Ok(Reply::Integer(i64::from(was)))
}

/// GETBIT key offset: 0 past the end of the string or for a missing key.
fn getbit(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let offset = bit_offset(&argv[2], None, &ctx.limits)?;
    let s = ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)?;
    let (byte, mask) = byte_and_mask(offset);
    let set = s.and_then(|s| s.get(byte)).is_some_and(|b| b & mask != 0);
    Ok(Reply::Integer(i64::from(set)))
}

/// The BIT|BYTE argument of BITCOUNT and BITPOS: true for BIT.
fn bit_unit(arg: &[u8]) -> Result<bool, Reply> {
    if eq_ignore_case(arg, "bit") {
        Ok(true)
    } else if eq_ignore_case(arg, "byte") {
        Ok(false)
    } else {
        Err(err(SYNTAX))
    }
}

/// BITCOUNT's and BITPOS's range of a string of `len` bytes: `start` and `end` inclusive, in
/// bytes or bits, negative from the end, clamped to the string. Answers the inclusive range in
/// bits, or `None` when it is empty.
fn bit_range(start: i64, end: i64, len: usize, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let start = from_end(start);
    let end = from_end(end).min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    })
}

/// Set bits of `s` from bit `first` to bit `last`, both inclusive and within `s`.
fn count_ones(s: &[u8], first: u64, last: u64) -> u64 {
    let (from, to) = ((first >> 3) as usize, (last >> 3) as usize);
    let all: u64 = s[from..=to].iter().map(|b| u64::from(b.count_ones())).sum();
    // Minus the bits of the edge bytes outside the range.
    let before = s[from] & !(0xffu8 >> (first & 7));
    let after = s[to] & 0xffu8.checked_shr((last & 7) as u32 + 1).unwrap_or(0);
    all - u64::from(before.count_ones()) - u64::from(after.count_ones())
}

/// The first bit equal to `want` from bit `first` to bit `last` (inclusive, within `s`).
fn first_bit(s: &[u8], first: u64, last: u64, want: bool) -> Option<u64> {
    let skip = if want { 0x00 } else { 0xff };
    let mut i = first;
    while i <= last {
        let (byte, mask) = byte_and_mask(i);
        if i & 7 == 0 && i + 7 <= last && s[byte] == skip {
            i += 8;
            continue;
        }
        if (s[byte] & mask != 0) == want {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// BITCOUNT key [start end [BYTE|BIT]]. As Redis, a missing key answers 0 before the range is
/// looked at.
fn bitcount(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let Some(s) = ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let range = match argv.len() {
        2 => bit_range(0, -1, s.len(), false),
        4 | 5 => {
            let (start, end) = (int_arg(&argv[2])?, int_arg(&argv[3])?);
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Integer(0));
            }
            let in_bits = argv.get(4).map(|u| bit_unit(u)).transpose()?;
            bit_range(start, end, s.len(), in_bits.unwrap_or(false))
        }
        _ => return Err(err(SYNTAX)),
    };
    let n = range.map_or(0, |(first, last)| count_ones(s, first, last));
    Ok(Reply::Integer(n as i64))
}

/// BITPOS key 0|1 [start [end [BYTE|BIT]]]. A missing key is all zeros; without an explicit
/// end the string counts as zero-padded on the right, so a clear bit is always found.
fn bitpos(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let want = match int_arg(&argv[2])? {
        0 => false,
        1 => true,
        _ => return Err(err(BITPOS_BIT)),
    };
    let Some(s) = ctx.db.lookup::<SmallBytes>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(if want { -1 } else { 0 }));
    };
    let len = s.len();
    let (range, end_given) = match argv.len() {
        3 => (bit_range(0, -1, len, false), false),
        4..=6 => {
            let start = int_arg(&argv[3])?;
            let in_bits = argv.get(5).map(|u| bit_unit(u)).transpose()?;
            let end = argv.get(4).map(int_arg).transpose()?;
            let in_bits = in_bits.unwrap_or(false);
            let range = bit_range(start, end.unwrap_or(len as i64 - 1), len, in_bits);
            (range, end.is_some())
        }
        _ => return Err(err(SYNTAX)),
    };
    let Some((first, last)) = range else {
        return Ok(Reply::Integer(-1));
    };
    let pos = match first_bit(s, first, last, want) {
        Some(pos) => pos as i64,
        None if want || end_given => -1,
        None => last as i64 + 1,
    };
    Ok(Reply::Integer(pos))
}

#[derive(Clone, Copy, PartialEq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT dest src...: missing sources are empty strings, shorter ones are
/// zero-padded. An empty result deletes `dest`; otherwise it replaces it (and its TTL).
fn bitop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let op = [
        ("and", BitOp::And),
        ("or", BitOp::Or),
        ("xor", BitOp::Xor),
        ("not", BitOp::Not),
    ]
    .into_iter()
    .find(|(name, _)| eq_ignore_case(&argv[1], name))
    .map(|(_, op)| op)
    .ok_or_else(|| err(SYNTAX))?;
    if op == BitOp::Not && argv.len() != 4 {
        return Err(err(BITOP_NOT_SOURCES));
    }
    let now = ctx.now_ms;
    let sources = argv[3..]
        .iter()
        .map(|k| {
            Ok(ctx
                .db
                .lookup::<SmallBytes>(k, now)?
                .map_or(&[][..], |s| &s[..]))
        })
        .collect::<Result<Vec<&[u8]>, Reply>>()?;
    let result = combine(op, &sources);
    let dest = &argv[2];
    let len = result.len();
    if result.is_empty() {
        if ctx.db.remove(dest, now).is_some() {
            ctx.notify(EventClass::Generic, "del", dest);
        }
    } else {
        ctx.db
            .insert(dest.clone(), Value::Str(SmallBytes::from(result)));
        ctx.notify(EventClass::String, "set", dest);
    }
    Ok(Reply::Integer(len as i64))
}

/// The bitwise combination of `sources`, as long as the longest one.
fn combine(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let mut bytes = sources.iter().map(|s| byte(s, i));
            let first = bytes.next().unwrap_or(0);
            match op {
                BitOp::And => bytes.fold(first, |acc, b| acc & b),
                BitOp::Or => bytes.fold(first, |acc, b| acc | b),
                BitOp::Xor => bytes.fold(first, |acc, b| acc ^ b),
                BitOp::Not => !first,
            }
        })
        .collect()
}
