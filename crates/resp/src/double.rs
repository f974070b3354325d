//! Redis 7.0's double formatting: `%.17g`, with infinities spelled `inf` / `-inf`.

/// Formats `d` the way Redis 7.0's `addReplyDouble` does (`%.17g`, `inf`, `-inf`).
///
/// Examples captured from redis-server 7.0.15 `ZSCORE`: 1.1 → `1.1000000000000001`,
/// 0.1 → `0.10000000000000001`, 1e100 → `1e+100`, 1e-5 → `1.0000000000000001e-05`,
/// 123456789012345678 → `1.2345678901234568e+17`, 2 → `2`.
///
/// `-0.0` gives `-0` (as glibc does); Redis's sorted sets store `-0` as `0`, so the keyspace
/// should normalise it if it wants the same reply.
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    // 17 significant digits, correctly rounded: "d.dddddddddddddddde<exp>".
    let sci = format!("{:.16e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if d.is_sign_negative() { "-" } else { "" };
    if !(-4..17).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let rest = rest.trim_end_matches('0');
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{exp_sign}{:02}", exp.abs());
    }
    let (int_part, frac_part) = if exp >= 0 {
        let split = (exp + 1) as usize;
        (digits[..split].to_string(), digits[split..].to_string())
    } else {
        (
            "0".to_string(),
            format!("{}{}", "0".repeat((-exp - 1) as usize), digits),
        )
    };
    let frac_part = frac_part.trim_end_matches('0');
    if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.141 is what DEBUG PROTOCOL double prints
mod tests {
    use super::format_double;

    #[test]
    fn matches_redis_7_0_zscore_output() {
        // Captured from redis-server 7.0.15: ZADD z <score> m; ZSCORE z m.
        let cases: &[(f64, &str)] = &[
            (1.1, "1.1000000000000001"),
            (0.1, "0.10000000000000001"),
            (1e100, "1e+100"),
            (1e-5, "1.0000000000000001e-05"),
            (3.0000000000000004, "3.0000000000000004"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (2.0, "2"),
            (0.0, "0"),
            (3.141, "3.141"), // DEBUG PROTOCOL double
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (d, want) in cases {
            assert_eq!(format_double(*d), *want, "formatting {d:?}");
        }
    }

    #[test]
    fn matches_printf_g_edges() {
        // Expected values from C printf("%.17g").
        let cases: &[(f64, &str)] = &[
            (-0.0, "-0"),
            (-2.5, "-2.5"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (123.456, "123.456"),
            (1.5e-300, "1.5000000000000001e-300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (99999999999999999.0, "1e+17"),
            (0.3, "0.29999999999999999"),
        ];
        for (d, want) in cases {
            assert_eq!(format_double(*d), *want, "formatting {d:?}");
        }
    }
}
