//! The timeout argument of the blocking commands, read as Redis's `getTimeoutFromObjectOrReply`
//! (timeout.c, `UNIT_SECONDS`) reads it: a C `long double` of seconds, `ceill(secs * 1000)`
//! milliseconds, cast to `long long`.
//!
//! The two x87 roundings show at the edges, so we do them exactly: `-0.001` is accepted (the
//! long double nearest 0.001 lies just below it, and 1000 times it rounds to a value above -1,
//! whose ceiling is -0), `-0.0011` is negative; `9223372036854775.807` is accepted,
//! `9223372036854775.808` overflows the cast, which on x86-64 yields `LLONG_MIN` and so
//! "negative"; an infinity also ends up "negative".

use meridian_types::Reply;

use crate::args::parse_i64;
use crate::errors::{err, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT};
use crate::long_double::LongDouble;

/// A long double of magnitude below 2^-10 has a 64-bit mantissa scaled by less than 2^-73, so
/// scaling by 2^73 makes every long double that matters here an integer.
const SCALE_BITS: u32 = 73;

/// The timeout in milliseconds (0: wait forever), or Redis's error for `arg`.
pub(crate) fn timeout_ms(arg: &[u8]) -> Result<u64, Reply> {
    // The common case, whole seconds: exact in a long double, and so is n * 1000 below 2^63.
    if let Some(n) = parse_i64(arg) {
        return match n.checked_mul(1000) {
            Some(ms) if ms >= 0 => Ok(ms as u64),
            _ => Err(err(TIMEOUT_NEGATIVE)),
        };
    }
    let secs = match LongDouble::parse(arg) {
        Some(v) => v,
        None if LongDouble::is_inf_literal(arg) => return Err(err(TIMEOUT_NEGATIVE)),
        None => return Err(err(TIMEOUT_NOT_FLOAT)),
    };
    match ceil_millis(secs, arg.first() == Some(&b'-')) {
        Some(ms) if ms >= 0 => Ok(ms as u64),
        _ => Err(err(TIMEOUT_NEGATIVE)),
    }
}

/// `(long long) ceill(secs * 1000.0L)`, or None when the cast overflows. `negative` is the sign
/// of `secs` (the sign of its text, as `strtold` reads it).
fn ceil_millis(secs: LongDouble, negative: bool) -> Option<i64> {
    // secs * 2^73, exactly: doubling a long double only moves its exponent.
    let mut scaled = secs;
    for _ in 0..SCALE_BITS {
        scaled = scaled.checked_add(scaled)?;
    }
    let text = scaled.to_human_string();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let integral = !digits.contains('.') && LongDouble::parse(text.as_bytes()) == Some(scaled);
    if !integral {
        // |secs| < 2^-10, so 0 < |secs * 1000| < 1.
        return Some(if negative { 0 } else { 1 });
    }
    // Past 2^127 the milliseconds are far beyond i64 (secs > 2^54).
    let scaled = digits.parse::<u128>().ok()?;
    if scaled == 0 {
        return Some(0);
    }
    // secs * 1000 rounded to a long double: mantissa * 1000 fits in 74 bits.
    let zeros = scaled.trailing_zeros();
    let (mant, shift) = round_to_64_bits((scaled >> zeros) * 1000);
    let exp = i64::from(shift + zeros) - i64::from(SCALE_BITS);
    // Its ceiling (its floor for a negative value, whose sign comes back below).
    let magnitude = if exp >= 0 {
        if i64::from(mant.leading_zeros()) < 65 + exp {
            return None;
        }
        mant << exp
    } else {
        let down = (-exp) as u32;
        let whole = mant.checked_shr(down).unwrap_or(0);
        let fraction = whole.checked_shl(down).unwrap_or(0) != mant;
        whole + u128::from(fraction && !negative)
    };
    let magnitude = i64::try_from(magnitude).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// `n` rounded to its 64 most significant bits, half to even, as `(mantissa, shift)` with value
/// `mantissa << shift` (the mantissa may carry into a 65th bit).
fn round_to_64_bits(n: u128) -> (u128, u32) {
    let len = 128 - n.leading_zeros();
    if len <= 64 {
        return (n, 0);
    }
    let shift = len - 64;
    let top = n >> shift;
    let half = (n >> (shift - 1)) & 1 == 1;
    let rest = n & ((1u128 << (shift - 1)) - 1) != 0;
    let up = half && (rest || top & 1 == 1);
    (top + u128::from(up), shift)
}
