//! Tests of [`LongDouble`], whose expected texts come from
//! `INCRBYFLOAT` on redis-server 7.0.15 (x86-64).

use super::*;

fn incr(cur: Option<&str>, by: &str) -> Result<String, Reply> {
    LongDouble::incr_by(cur.map(str::as_bytes), by.as_bytes()).map(|v| v.to_human_string())
}

fn ok(cur: Option<&str>, by: &str) -> String {
    match incr(cur, by) {
        Ok(s) => s,
        Err(e) => panic!("{cur:?} + {by}: {e:?}"),
    }
}

#[test]
fn incr_by_float_prints_like_redis() {
    let cases: &[(Option<&str>, &str, &str)] = &[
        (Some("10.5"), "0.1", "10.6"),
        (Some("5.0e3"), "0", "5000"),
        (Some("1000.1"), "0", "1000.09999999999999998"),
        (
            Some("1000.09999999999999998"),
            "0.2",
            "1000.29999999999999999",
        ),
        (Some("1e-20"), "0", "0"),
        (Some("0.1"), "0.2", "0.3"),
        (Some("-1.5"), "1.5", "0"),
        (Some("7"), "-7.0", "0"),
        (Some("3.0000000000000000001"), "1.1", "4.1"),
        (None, "0.000003814697265625", "0.00000381469726562"),
        (None, "-0.000003814697265625", "-0.00000381469726562"),
        (None, "-1e-20", "0"),
        (None, "-5.5", "-5.5"),
        (None, "123456789.123456789", "123456789.12345678899873747"),
        (None, "0.1", "0.1"),
        (None, "1.5e-10", "0.00000000015"),
        (None, "18446744073709551617", "18446744073709551616"),
        (None, "-0", "0"),
        (None, ".5", "0.5"),
        (None, "5.", "5"),
        (None, "0x10", "16"),
        (None, "0x1p-2", "0.25"),
        (None, "0x.8", "0.5"),
        (None, "+3", "3"),
        (None, "1e-4950", "0"),
        (None, "0.30000000000000004", "0.30000000000000004"),
        (None, "9007199254740993", "9007199254740993"),
    ];
    for (cur, by, want) in cases {
        assert_eq!(ok(*cur, by), *want, "{cur:?} + {by}");
    }
}

#[test]
fn incr_by_float_huge_values() {
    let s = ok(Some("1e308"), "1e308");
    assert!(s.starts_with("199999999999999999993371759311"), "{s}");
    assert_eq!(s.len(), 309);
    let max = ok(None, "1.18973149535723176502e+4932");
    assert!(max.starts_with("11897314953572317650212638530309702051690633222946242004403237"));
    assert!(max.ends_with("0240"));
    assert_eq!(max.len(), 4933);
    let big = ok(None, "1e4000");
    assert!(big.starts_with("99999999999999999999654638730996237849324925835"));
    assert_eq!(big.len(), 4000);
}

#[test]
fn incr_by_float_errors() {
    let not_float = Err(err(NOT_FLOAT));
    let nan_inf = Err(err(NAN_OR_INFINITY));
    for bad in [
        "1e",
        "0x",
        "1e-4960",
        "nan",
        "1_0",
        "1,5",
        " 1",
        "1 ",
        "",
        "abc",
        "1.18973149535723177e+4932",
    ] {
        assert_eq!(incr(None, bad), not_float, "{bad:?}");
        assert_eq!(incr(Some(bad), "1"), not_float, "{bad:?}");
    }
    assert_eq!(incr(None, "infinity"), nan_inf);
    assert_eq!(incr(Some("-inf"), "1"), nan_inf);
    assert_eq!(incr(Some("inf"), "-inf"), nan_inf);
    assert_eq!(
        incr(
            Some("1.18973149535723176502e+4932"),
            "1.18973149535723176502e+4932"
        ),
        nan_inf
    );
    assert_eq!(incr(Some(&"1".repeat(5120)), "1"), not_float);
}

#[test]
fn fmt_incr_float_of_doubles() {
    assert_eq!(fmt_incr_float(1.5), "1.5");
    assert_eq!(fmt_incr_float(0.1), "0.10000000000000001");
    assert_eq!(fmt_incr_float(1e20), "100000000000000000000");
    assert_eq!(fmt_incr_float(-0.0), "0");
}
