//! BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits (unsigned up to 63)
//! at any bit offset, with Redis's overflow checks reproduced operation for operation
//! (`checkSignedBitfieldOverflow`, `checkUnsignedBitfieldOverflow`), wrapping C arithmetic
//! included.

use bytes::Bytes;
use meridian_types::Reply;

use super::{bit_offset, store_keep_ttl};
use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::CommandResult;
use crate::ctx::{Limits, ReadCtx, WriteCtx};
use crate::errors::{err, BITFIELD_OVERFLOW_TYPE, BITFIELD_RO_GET_ONLY, BITFIELD_TYPE, SYNTAX};
use crate::events::EventClass;
use crate::small_bytes::SmallBytes;
use crate::value::Value;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// What an overflow check decided: the value fits, is replaced (WRAP, SAT), or is refused (FAIL).
enum Fit<T> {
    Fits,
    Replaced(T),
    Refused,
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub(super) fn bitfield(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let ops = parse_ops(&argv[2..], &ctx.limits)?;
    let highest = ops
        .iter()
        .filter(|op| op.kind != Kind::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();
    let Some(highest) = highest else {
        return read_only(&ctx.as_read(), &argv[1], &ops);
    };
    let (key, now) = (&argv[1], ctx.now_ms);
    let old = ctx.db.lookup::<SmallBytes>(key, now)?;
    let created = old.is_none();
    let mut buf = old.map_or_else(Vec::new, |s| s.to_vec());
    let old_len = buf.len();
    let need = (highest >> 3) as usize + 1;
    if buf.len() < need {
        buf.resize(need, 0);
    }
    // Creating or growing the string makes every write that succeeds a change (GETs never are).
    let grown = created || buf.len() != old_len;
    let mut changes = 0;
    let replies = ops
        .iter()
        .map(|op| match apply(&mut buf, op) {
            Some((reply, changed)) => {
                changes += usize::from(op.kind != Kind::Get && (grown || changed));
                reply
            }
            None => Reply::Nil,
        })
        .collect();
    if changes > 0 || created {
        store_keep_ttl(ctx, key, buf);
        if changes > 0 {
            ctx.notify(EventClass::String, "setbit", key);
        }
    } else if grown {
        // Only refused writes: Redis grows the string but signals no modification.
        if let Some(e) = ctx.db.entry_for_write(key, now, |_| false) {
            e.value = Value::Str(SmallBytes::from(buf));
        }
    }
    Ok(Reply::Array(replies))
}

/// BITFIELD_RO key [GET type offset] ...
pub(super) fn bitfield_ro(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let ops = parse_ops(&argv[2..], &ctx.limits)?;
    if ops.iter().any(|op| op.kind != Kind::Get) {
        return Err(err(BITFIELD_RO_GET_ONLY));
    }
    read_only(ctx, &argv[1], &ops)
}

/// Answers GET-only operations; a missing key reads as zeros.
fn read_only(ctx: &ReadCtx<'_>, key: &Bytes, ops: &[Op]) -> CommandResult {
    let s = ctx.db.lookup::<SmallBytes>(key, ctx.now_ms)?;
    let s = s.map_or(&[][..], |s| &s[..]);
    Ok(Reply::Array(
        ops.iter().map(|op| Reply::Integer(get(s, op))).collect(),
    ))
}

/// Every operation, validated in order before any runs; OVERFLOW applies to the operations
/// after it.
fn parse_ops(args: &[Bytes], limits: &Limits) -> Result<Vec<Op>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 0;
    while j < args.len() {
        let (name, rest) = (&args[j], &args[j + 1..]);
        let nargs = if eq_ignore_case(name, "get") {
            2
        } else if eq_ignore_case(name, "set") || eq_ignore_case(name, "incrby") {
            3
        } else if eq_ignore_case(name, "overflow") && !rest.is_empty() {
            overflow = parse_overflow(&rest[0])?;
            j += 2;
            continue;
        } else {
            return Err(err(SYNTAX));
        };
        if rest.len() < nargs {
            return Err(err(SYNTAX));
        }
        let (signed, bits) = parse_type(&rest[0])?;
        let offset = bit_offset(&rest[1], Some(bits), limits)?;
        let kind = match nargs {
            2 => Kind::Get,
            _ if eq_ignore_case(name, "set") => Kind::Set(int_arg(&rest[2])?),
            _ => Kind::IncrBy(int_arg(&rest[2])?),
        };
        ops.push(Op {
            kind,
            signed,
            bits,
            offset,
            overflow,
        });
        j += 1 + nargs;
    }
    Ok(ops)
}

fn parse_overflow(arg: &[u8]) -> Result<Overflow, Reply> {
    [
        ("wrap", Overflow::Wrap),
        ("sat", Overflow::Sat),
        ("fail", Overflow::Fail),
    ]
    .into_iter()
    .find(|(name, _)| eq_ignore_case(arg, name))
    .map(|(_, o)| o)
    .ok_or_else(|| err(BITFIELD_OVERFLOW_TYPE))
}

/// `i1`..`i64` or `u1`..`u63` (the prefix is case-sensitive, as in Redis). Redis reads the
/// width as a C string, so it ends at a NUL byte.
fn parse_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err(BITFIELD_TYPE)),
    };
    let width = &arg[1..];
    let width = &width[..width.iter().position(|b| *b == 0).unwrap_or(width.len())];
    match parse_i64(width) {
        Some(bits @ 1..=64) if signed || bits < 64 => Ok((signed, bits as u32)),
        _ => Err(err(BITFIELD_TYPE)),
    }
}

/// Runs one operation on `buf` (long enough for every write): the reply, and whether the
/// stored bits changed; `None` for a write that OVERFLOW FAIL refused.
fn apply(buf: &mut [u8], op: &Op) -> Option<(Reply, bool)> {
    let (shown, changed) = match op.kind {
        Kind::Get => return Some((Reply::Integer(get(buf, op)), false)),
        _ if op.signed => apply_signed(buf, op)?,
        _ => apply_unsigned(buf, op)?,
    };
    Some((Reply::Integer(shown), changed))
}

/// SET answers the old value, INCRBY the new one.
fn apply_signed(buf: &mut [u8], op: &Op) -> Option<(i64, bool)> {
    let old = sign_extend(get_unsigned(buf, op.offset, op.bits), op.bits);
    let (value, incr) = match op.kind {
        Kind::Set(v) => (v, 0),
        _ => (old, by_of(op.kind)),
    };
    let new = match check_signed(value, incr, op.bits, op.overflow) {
        Fit::Fits => value.wrapping_add(incr),
        Fit::Replaced(v) => v,
        Fit::Refused => return None,
    };
    set_unsigned(buf, op.offset, op.bits, new as u64);
    let shown = if matches!(op.kind, Kind::Set(_)) {
        old
    } else {
        new
    };
    Some((shown, old != new))
}

/// As [`apply_signed`]; the value is below 2^63, so it is answered as it is.
fn apply_unsigned(buf: &mut [u8], op: &Op) -> Option<(i64, bool)> {
    let old = get_unsigned(buf, op.offset, op.bits);
    let (value, incr) = match op.kind {
        Kind::Set(v) => (v as u64, 0),
        _ => (old, by_of(op.kind)),
    };
    let new = match check_unsigned(value, incr, op.bits, op.overflow) {
        Fit::Fits => value.wrapping_add(incr as u64),
        Fit::Replaced(v) => v,
        Fit::Refused => return None,
    };
    set_unsigned(buf, op.offset, op.bits, new);
    let shown = if matches!(op.kind, Kind::Set(_)) {
        old
    } else {
        new
    };
    Some((shown as i64, old != new))
}

/// INCRBY's increment (0 for the other operations).
fn by_of(kind: Kind) -> i64 {
    match kind {
        Kind::IncrBy(by) => by,
        _ => 0,
    }
}

/// The value of a GET; bits past the end of `s` read as zeros.
fn get(s: &[u8], op: &Op) -> i64 {
    let raw = get_unsigned(s, op.offset, op.bits);
    if op.signed {
        sign_extend(raw, op.bits)
    } else {
        raw as i64
    }
}

fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    (offset..offset + u64::from(bits)).fold(0, |value, i| {
        let byte = s.get((i >> 3) as usize).copied().unwrap_or(0);
        (value << 1) | u64::from((byte >> (7 - (i & 7))) & 1)
    })
}

/// Writes the low `bits` bits of `value`, most significant first.
fn set_unsigned(buf: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..u64::from(bits) {
        let i = offset + j;
        let bit = 0x80u8 >> (i & 7);
        if let Some(byte) = buf.get_mut((i >> 3) as usize) {
            if (value >> (u64::from(bits) - 1 - j)) & 1 == 1 {
                *byte |= bit;
            } else {
                *byte &= !bit;
            }
        }
    }
}

/// The low `bits` bits of `v`.
fn mask(v: u64, bits: u32) -> u64 {
    v & u64::MAX.checked_shr(64 - bits).unwrap_or(0)
}

/// The low `bits` bits of `raw` as a two's complement integer.
fn sign_extend(raw: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// Redis's `checkUnsignedBitfieldOverflow` (`bits` < 64).
fn check_unsigned(value: u64, incr: i64, bits: u32, overflow: Overflow) -> Fit<u64> {
    let max = mask(u64::MAX, bits);
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let saturated = if value > max || (incr > 0 && incr > max_incr) {
        max
    } else if incr < 0 && incr < min_incr {
        0
    } else {
        return Fit::Fits;
    };
    match overflow {
        Overflow::Wrap => Fit::Replaced(mask(value.wrapping_add(incr as u64), bits)),
        Overflow::Sat => Fit::Replaced(saturated),
        Overflow::Fail => Fit::Refused,
    }
}

/// Redis's `checkSignedBitfieldOverflow`. Its bounds on the increment are computed with
/// wrapping arithmetic, which decides some SETs of out-of-range values (see the tests).
fn check_signed(value: i64, incr: i64, bits: u32, overflow: Overflow) -> Fit<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let narrow = bits != 64;
    let saturated = if value > max
        || (narrow && incr > max_incr)
        || (value >= 0 && incr > 0 && incr > max_incr)
    {
        max
    } else if value < min
        || (narrow && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        min
    } else {
        return Fit::Fits;
    };
    match overflow {
        Overflow::Wrap => {
            let sum = (value as u64).wrapping_add(incr as u64);
            Fit::Replaced(sign_extend(sum, bits))
        }
        Overflow::Sat => Fit::Replaced(saturated),
        Overflow::Fail => Fit::Refused,
    }
}
