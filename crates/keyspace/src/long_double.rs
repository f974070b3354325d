//! A C `long double` (x87 80-bit) emulated in software, for INCRBYFLOAT and the formatting of
//! float increments, so that results and their text match Redis digit for digit.

use meridian_types::Reply;

use crate::biguint::BigUint;
use crate::errors::{err, NAN_OR_INFINITY, NOT_FLOAT};

/// Formats a double the way INCRBYFLOAT / HINCRBYFLOAT print their result (`%.17Lf`, trailing
/// zeros and point removed). Prefer [`LongDouble`], which also does the arithmetic as Redis does.
pub fn fmt_incr_float(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    LongDouble::from_f64(v).to_human_string()
}

/// Longest string Redis's `string2ld` accepts (`MAX_LONG_DOUBLE_CHARS`), exclusive.
pub(crate) const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
/// x87 extended precision: 64-bit mantissa, exponents of normal numbers.
const LD_MAX_EXP: i64 = 16383;
const LD_MIN_EXP: i64 = -16382;

/// A C `long double` as on x86-64 Linux (x87 80-bit: 64-bit mantissa, round-half-even), the
/// type Redis computes INCRBYFLOAT and HINCRBYFLOAT in. Emulated so that results and their
/// text match Redis digit for digit (`10.5 + 0.1` prints `10.6`, `1000.1` prints
/// `1000.09999999999999998`). Finite values only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongDouble {
    neg: bool,
    /// 0 for zero, otherwise with its top bit set.
    mant: u64,
    /// value = mant * 2^exp
    exp: i64,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// Parses like Redis's `string2ld` (C `strtold`): decimal or hex (`0x1p3`) notation,
    /// optional sign, no surrounding spaces, shorter than 5 KiB. Rejects NaN, values that
    /// overflow or underflow to zero, and `inf` (a finite type: Redis accepts `inf` here but
    /// every addition with it then fails with [`NAN_OR_INFINITY`], so callers that parse an
    /// operand should map `None` from `parse` and `is_inf_literal` as Redis does).
    pub fn parse(b: &[u8]) -> Option<LongDouble> {
        if b.is_empty() || b.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let (neg, body) = match b[0] {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        let v = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            parse_hex(&body[2..])?
        } else {
            parse_dec(body)?
        };
        Some(LongDouble { neg, ..v })
    }

    /// True for the texts `strtold` reads as an infinity (`inf`, `-Infinity`, …), which
    /// `string2ld` accepts.
    pub fn is_inf_literal(b: &[u8]) -> bool {
        let body = match b.first() {
            Some(b'-' | b'+') => &b[1..],
            _ => b,
        };
        body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity")
    }

    /// Parses an operand the way Redis's `getLongDoubleFromObject` does and then adds it:
    /// `Err(NOT_FLOAT)` if either text is not a number, `Err(NAN_OR_INFINITY)` if the sum is
    /// not finite. `current` is `None` for a missing key (0).
    pub fn incr_by(current: Option<&[u8]>, incr: &[u8]) -> Result<LongDouble, Reply> {
        let parse = |b: &[u8]| -> Result<Option<LongDouble>, Reply> {
            match LongDouble::parse(b) {
                Some(v) => Ok(Some(v)),
                None if LongDouble::is_inf_literal(b) => Ok(None),
                None => Err(err(NOT_FLOAT)),
            }
        };
        let cur = match current {
            Some(c) => parse(c)?,
            None => Some(LongDouble::ZERO),
        };
        let inc = parse(incr)?;
        match (cur, inc) {
            (Some(a), Some(b)) => a.checked_add(b).ok_or_else(|| err(NAN_OR_INFINITY)),
            _ => Err(err(NAN_OR_INFINITY)),
        }
    }

    /// The exact value of a double.
    pub fn from_f64(v: f64) -> LongDouble {
        if !v.is_finite() || v == 0.0 {
            return LongDouble {
                neg: v.is_sign_negative() && v == 0.0,
                ..LongDouble::ZERO
            };
        }
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let e = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, e) = if e == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), e - 1075)
        };
        let shift = m.leading_zeros();
        LongDouble {
            neg,
            mant: m << shift,
            exp: e - i64::from(shift),
        }
    }

    /// `self + other` rounded to long double, or `None` if it overflows to infinity.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        if self.mant == 0 {
            return Some(if other.mant == 0 {
                LongDouble {
                    neg: self.neg && other.neg,
                    ..LongDouble::ZERO
                }
            } else {
                other
            });
        }
        if other.mant == 0 {
            return Some(self);
        }
        let (big, small) = if (self.exp, self.mant) >= (other.exp, other.mant) {
            (self, other)
        } else {
            (other, self)
        };
        let diff = big.exp - small.exp;
        if diff >= 66 {
            // |small| < a quarter of big's ulp: round-to-nearest gives big.
            return Some(big);
        }
        let a = BigUint::from_u64(big.mant).shl(diff as usize);
        let b = BigUint::from_u64(small.mant);
        let (sum, neg) = if big.neg == small.neg {
            (a.add(&b), big.neg)
        } else {
            (a.sub(&b), big.neg)
        };
        if sum.is_zero() {
            return Some(LongDouble::ZERO);
        }
        let (mant, exp) = round_to_64(&sum, small.exp, false);
        if exp + 63 > LD_MAX_EXP {
            return None;
        }
        Some(LongDouble { neg, mant, exp })
    }

    /// Redis's `ld2string(.., LD_STR_HUMAN)`: `%.17Lf` with trailing zeros (and a trailing
    /// point) removed, `-0` printed as `0`.
    pub fn to_human_string(self) -> String {
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        if self.exp >= 0 {
            let int = BigUint::from_u64(self.mant).shl(self.exp as usize);
            out.push_str(&int.to_decimal());
        } else {
            let mut x = BigUint::from_u64(self.mant);
            for _ in 0..17 {
                x.mul_add_small(10, 0);
            }
            let s = (-self.exp) as usize;
            let mut r = x.shr(s);
            let half = s >= 1 && x.bit(s - 1);
            let rest = s >= 2 && x.any_below(s - 1);
            if half && (rest || r.bit(0)) {
                r = r.add(&BigUint::from_u64(1));
            }
            let digits = format!("{:0>18}", r.to_decimal());
            let (int, frac) = digits.split_at(digits.len() - 17);
            out.push_str(int);
            let frac = frac.trim_end_matches('0');
            if !frac.is_empty() {
                out.push('.');
                out.push_str(frac);
            }
        }
        if out == "-0" {
            out = "0".into();
        }
        out
    }
}

/// `digits[.digits][e[+-]digits]` (at least one mantissa digit), as `strtold` reads it.
fn parse_dec(b: &[u8]) -> Option<LongDouble> {
    if b.eq_ignore_ascii_case(b"inf") || b.eq_ignore_ascii_case(b"infinity") {
        return None;
    }
    let mut d = BigUint::default();
    let mut i = 0;
    let mut ndigits = 0usize;
    let mut frac_digits: i64 = 0;
    let mut seen_point = false;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                d.mul_add_small(10, u32::from(c - b'0'));
                ndigits += 1;
                if seen_point {
                    frac_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if ndigits == 0 {
        return None;
    }
    let exp10 = parse_exponent(&b[i..], b'e')?;
    if d.is_zero() {
        return Some(LongDouble::ZERO);
    }
    let exp10 = exp10 - frac_digits;
    let digits_len = d.to_decimal_len_estimate();
    // Decide overflow/underflow early so that absurd exponents cost nothing.
    if exp10 + digits_len > 4940 {
        return None;
    }
    if exp10 + digits_len < -4960 {
        return None;
    }
    let (mant, exp) = if exp10 >= 0 {
        for _ in 0..exp10 {
            d.mul_add_small(10, 0);
        }
        round_to_64(&d, 0, false)
    } else {
        let n = (-exp10) as usize;
        // Enough extra bits that the quotient keeps 66+ significant bits.
        let need = 70 + (n * 3322).div_ceil(1000) + 1;
        let k = need.saturating_sub(d.bit_len());
        let mut q = d.shl(k);
        let mut sticky = false;
        let mut left = n;
        while left > 0 {
            let step = left.min(9);
            sticky |= q.div_small(10u32.pow(step as u32)) != 0;
            left -= step;
        }
        round_to_64(&q, -(k as i64), sticky)
    };
    check_range(mant, exp)
}

/// Hex float after `0x`: `hexdigits[.hexdigits][p[+-]digits]`.
fn parse_hex(b: &[u8]) -> Option<LongDouble> {
    let mut h = BigUint::default();
    let mut i = 0;
    let mut ndigits = 0usize;
    let mut exp2: i64 = 0;
    let mut seen_point = false;
    while i < b.len() {
        let c = b[i];
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b'.' if !seen_point => {
                seen_point = true;
                i += 1;
                continue;
            }
            _ => break,
        };
        h.mul_add_small(16, u32::from(v));
        ndigits += 1;
        if seen_point {
            exp2 -= 4;
        }
        i += 1;
    }
    if ndigits == 0 {
        return None;
    }
    exp2 += parse_exponent(&b[i..], b'p')?;
    if h.is_zero() {
        return Some(LongDouble::ZERO);
    }
    let (mant, exp) = round_to_64(&h, exp2, false);
    check_range(mant, exp)
}

/// What follows the mantissa: nothing (exponent 0) or `marker` (either case), an optional
/// sign and at least one digit, saturated at +-1_000_000 (far beyond any finite long double).
fn parse_exponent(b: &[u8], marker: u8) -> Option<i64> {
    let Some((first, rest)) = b.split_first() else {
        return Some(0);
    };
    if first | 0x20 != marker {
        return None;
    }
    let (neg, digits) = match rest.first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    if digits.is_empty() {
        return None;
    }
    let mut e: i64 = 0;
    for c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        e = (e * 10 + i64::from(c - b'0')).min(1_000_000);
    }
    Some(if neg { -e } else { e })
}

fn check_range(mant: u64, exp: i64) -> Option<LongDouble> {
    let e = exp + 63;
    // Below the normal range we keep full precision (x87 would lose bits in denormals) and
    // reject only what `strtold` flushes to zero.
    if !(LD_MIN_EXP - 64..=LD_MAX_EXP).contains(&e) {
        return None;
    }
    Some(LongDouble {
        neg: false,
        mant,
        exp,
    })
}

/// Rounds `n * 2^exp` (`sticky`: nonzero bits were already dropped below `n`) to a 64-bit
/// mantissa with its top bit set, half to even.
fn round_to_64(n: &BigUint, exp: i64, sticky: bool) -> (u64, i64) {
    let len = n.bit_len();
    if len <= 64 {
        let m = n.low_u64();
        let shift = 64 - len;
        return (m << shift, exp - shift as i64);
    }
    let shift = len - 64;
    let mut top = n.shr(shift).low_u64();
    let half = n.bit(shift - 1);
    let rest = sticky || (shift >= 2 && n.any_below(shift - 1));
    let mut exp = exp + shift as i64;
    if half && (rest || top & 1 == 1) {
        match top.checked_add(1) {
            Some(t) => top = t,
            None => {
                top = 1 << 63;
                exp += 1;
            }
        }
    }
    (top, exp)
}

#[cfg(test)]
#[path = "long_double_tests.rs"]
mod tests;
