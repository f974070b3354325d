//! Argument parsing and the error replies shared by all command families, worded exactly as
//! Redis words them.

use bytes::Bytes;
use meridian_types::Reply;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const SYNTAX: &str = "ERR syntax error";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

pub fn err(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

pub fn wrongtype() -> Reply {
    err(WRONGTYPE)
}

/// Parses a signed 64-bit integer the way Redis's `string2ll` does: optional `-`, no `+`, no
/// spaces, no leading zeros, at most 20 characters.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// [`parse_i64`] answering Redis's "not an integer" error.
pub fn int_arg(b: &Bytes) -> Result<i64, Reply> {
    parse_i64(b).ok_or_else(|| err(NOT_INTEGER))
}

/// Parses a double the way Redis's `getDoubleFromObject` does: no surrounding spaces, no NaN;
/// `inf`, `+inf`, `-inf` (any case) accepted.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let v = match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => s.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

/// [`parse_f64`] answering Redis's "not a valid float" error.
pub fn float_arg(b: &Bytes) -> Result<f64, Reply> {
    parse_f64(b).ok_or_else(|| err(NOT_FLOAT))
}

/// Case-insensitive comparison of an argument with an option name.
pub fn eq_ignore_case(arg: &[u8], option: &str) -> bool {
    arg.eq_ignore_ascii_case(option.as_bytes())
}

/// Formats a double as Redis 7.0's `%.17g` (ZSCORE, RESP2 doubles).
pub fn fmt_g17(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-5..17).contains(&exp) {
        // %e style with 17 significant digits, trailing zeros trimmed.
        let s = format!("{:.16e}", v);
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = trim_fraction(mant);
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", e.abs());
    }
    let decimals = (16 - exp).max(0) as usize;
    trim_fraction(&format!("{:.*}", decimals, v)).to_string()
}

/// Formats a double the way INCRBYFLOAT / HINCRBYFLOAT print their result (`%.17Lf`, trailing
/// zeros and point removed). Prefer [`LongDouble`], which also does the arithmetic as Redis does.
pub fn fmt_incr_float(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    LongDouble::from_f64(v).to_human_string()
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `ERR invalid expire time in '<command>' command` (SET, SETEX, GETEX, EXPIRE, …).
pub fn invalid_expire(command: &str) -> Reply {
    Reply::Error(format!("ERR invalid expire time in '{command}' command"))
}

/// `ERR increment would produce NaN or Infinity` (INCRBYFLOAT, HINCRBYFLOAT).
pub const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";

/// Longest string Redis's `string2ld` accepts (`MAX_LONG_DOUBLE_CHARS`), exclusive.
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
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
    let mut exp10: i64 = 0;
    if i < b.len() {
        if b[i] | 0x20 != b'e' {
            return None;
        }
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        if i >= b.len() {
            return None;
        }
        for c in &b[i..] {
            if !c.is_ascii_digit() {
                return None;
            }
            exp10 = (exp10 * 10 + i64::from(c - b'0')).min(1_000_000);
        }
        if eneg {
            exp10 = -exp10;
        }
    }
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
    if i < b.len() {
        if b[i] | 0x20 != b'p' {
            return None;
        }
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        if i >= b.len() {
            return None;
        }
        let mut e: i64 = 0;
        for c in &b[i..] {
            if !c.is_ascii_digit() {
                return None;
            }
            e = (e * 10 + i64::from(c - b'0')).min(1_000_000);
        }
        exp2 += if eneg { -e } else { e };
    }
    if h.is_zero() {
        return Some(LongDouble::ZERO);
    }
    let (mant, exp) = round_to_64(&h, exp2, false);
    check_range(mant, exp)
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

/// Just enough unsigned big-integer arithmetic for [`LongDouble`]: little-endian u32 limbs,
/// no high zero limbs.
#[derive(Debug, Clone, Default, PartialEq)]
struct BigUint(Vec<u32>);

impl BigUint {
    fn from_u64(v: u64) -> BigUint {
        let mut b = BigUint(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> usize {
        match self.0.last() {
            None => 0,
            Some(top) => self.0.len() * 32 - top.leading_zeros() as usize,
        }
    }

    /// Rough count of decimal digits (for range checks only).
    fn to_decimal_len_estimate(&self) -> i64 {
        (self.bit_len() as i64 * 301) / 1000 + 1
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 32).is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    /// True if any bit below position `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let full = (i / 32).min(self.0.len());
        if self.0[..full].iter().any(|&l| l != 0) {
            return true;
        }
        let rem = i % 32;
        rem > 0
            && self
                .0
                .get(full)
                .is_some_and(|l| l & ((1u32 << rem) - 1) != 0)
    }

    fn low_u64(&self) -> u64 {
        let lo = u64::from(self.0.first().copied().unwrap_or(0));
        let hi = u64::from(self.0.get(1).copied().unwrap_or(0));
        lo | (hi << 32)
    }

    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for l in &mut self.0 {
            let v = u64::from(*l) * u64::from(m) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    /// Divides in place, returning the remainder.
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem: u64 = 0;
        for l in self.0.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*l);
            *l = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    fn shl(&self, bits: usize) -> BigUint {
        if self.is_zero() {
            return BigUint::default();
        }
        let (limbs, rem) = (bits / 32, bits % 32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &l in &self.0 {
            if rem == 0 {
                out.push(l);
            } else {
                out.push((l << rem) | carry);
                carry = l >> (32 - rem);
            }
        }
        if carry > 0 {
            out.push(carry);
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn shr(&self, bits: usize) -> BigUint {
        let (limbs, rem) = (bits / 32, bits % 32);
        if limbs >= self.0.len() {
            return BigUint::default();
        }
        let src = &self.0[limbs..];
        let mut out = Vec::with_capacity(src.len());
        for (i, &l) in src.iter().enumerate() {
            let hi = src.get(i + 1).copied().unwrap_or(0);
            out.push(if rem == 0 {
                l
            } else {
                (l >> rem) | (hi << (32 - rem))
            });
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn add(&self, o: &BigUint) -> BigUint {
        let n = self.0.len().max(o.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let v = u64::from(self.0.get(i).copied().unwrap_or(0))
                + u64::from(o.0.get(i).copied().unwrap_or(0))
                + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    /// `self - o`; requires `self >= o`.
    fn sub(&self, o: &BigUint) -> BigUint {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for (i, &l) in self.0.iter().enumerate() {
            let mut v = i64::from(l) - i64::from(o.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(1_000_000_000));
        }
        let mut s = String::new();
        for (i, c) in chunks.iter().rev().enumerate() {
            if i == 0 {
                s.push_str(&c.to_string());
            } else {
                s.push_str(&format!("{c:09}"));
            }
        }
        s
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod long_double_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_i64_follows_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"01"[..],
            b"+1",
            b" 1",
            b"1 ",
            b"-0",
            b"",
            b"9223372036854775808",
            b"1.0",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn g17_matches_printf() {
        assert_eq!(fmt_g17(1.5), "1.5");
        assert_eq!(fmt_g17(0.1), "0.10000000000000001");
        assert_eq!(fmt_g17(3.0), "3");
        assert_eq!(fmt_g17(-2.25), "-2.25");
        assert_eq!(fmt_g17(1e20), "1e+20");
        assert_eq!(fmt_g17(f64::INFINITY), "inf");
    }
}
