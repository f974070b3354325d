//! Stream id arguments, read as `streamGenericParseIDOrReply` reads them: `<ms>-<seq>` or
//! `<ms>` (the sequence then defaults), `-` and `+` where allowed, `<ms>-*` for XADD, and the
//! `(` prefix of exclusive range bounds. Numbers go through `string2ull` (which falls back to
//! `strtoull`, so ` 12` and `+12` are accepted) and the argument is a C string: it ends at its
//! first NUL, and one longer than 127 bytes is invalid.

use bytes::Bytes;
use meridian_types::Reply;

use super::model::StreamId;
use crate::args::parse_i64;
use crate::errors::{err, STREAM_BAD_END_ID, STREAM_BAD_START_ID, STREAM_INVALID_ID};

/// The argument as C sees it: up to its first NUL.
pub(crate) fn cstr(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or_default()
}

/// `string2ull`.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    strtoull(s)
}

/// `strtoull(s, &end, 10)` that must consume the whole of a non-empty `s`.
fn strtoull(s: &[u8]) -> Option<u64> {
    let start = s.iter().position(|c| !is_c_space(*c))?;
    let mut rest = &s[start..];
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in rest {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// How an id argument is read.
#[derive(Clone, Copy)]
pub(crate) struct IdRules {
    /// The sequence of an id given as `<ms>` alone.
    pub missing_seq: u64,
    /// `-` and `+` are invalid.
    pub strict: bool,
    /// `<ms>-*` is accepted (XADD).
    pub seq_star: bool,
}

/// A parsed id; `seq_given` is false for `<ms>-*`.
pub(crate) struct ParsedId {
    pub id: StreamId,
    pub seq_given: bool,
}

/// `streamGenericParseIDOrReply`.
pub(crate) fn parse_with(arg: &[u8], rules: IdRules) -> Result<ParsedId, Reply> {
    let invalid = || err(STREAM_INVALID_ID);
    if arg.len() > 127 {
        return Err(invalid());
    }
    let buf = cstr(arg);
    let special = |id| {
        Ok(ParsedId {
            id,
            seq_given: true,
        })
    };
    match buf {
        b"-" | b"+" if rules.strict => Err(invalid()),
        b"-" => special(StreamId::MIN),
        b"+" => special(StreamId::MAX),
        _ => {
            let (ms, seq) = match buf.iter().position(|&c| c == b'-') {
                Some(dash) => (&buf[..dash], Some(&buf[dash + 1..])),
                None => (buf, None),
            };
            let ms = string2ull(ms).ok_or_else(invalid)?;
            let (seq, seq_given) = match seq {
                Some(b"*") if rules.seq_star => (0, false),
                Some(seq) => (string2ull(seq).ok_or_else(invalid)?, true),
                None => (rules.missing_seq, true),
            };
            Ok(ParsedId {
                id: StreamId::new(ms, seq),
                seq_given,
            })
        }
    }
}

/// `streamParseStrictIDOrReply` (no `-`/`+`), missing sequence 0.
pub(crate) fn strict_id(arg: &[u8]) -> Result<StreamId, Reply> {
    let rules = IdRules {
        missing_seq: 0,
        strict: true,
        seq_star: false,
    };
    parse_with(arg, rules).map(|p| p.id)
}

/// `streamParseIDOrReply` (`-`/`+` allowed).
pub(crate) fn loose_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    let rules = IdRules {
        missing_seq,
        strict: false,
        seq_star: false,
    };
    parse_with(arg, rules).map(|p| p.id)
}

/// `streamParseIntervalIDOrReply`: the id and whether it is exclusive (`(` prefix, then
/// strict).
fn interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        let rules = IdRules {
            missing_seq,
            strict: true,
            seq_star: false,
        };
        return parse_with(&arg[1..], rules).map(|p| (p.id, true));
    }
    loose_id(arg, missing_seq).map(|id| (id, false))
}

/// A range's inclusive start: `-`, an id (missing sequence 0) or `(id`.
pub(crate) fn range_start(arg: &Bytes) -> Result<StreamId, Reply> {
    let (id, exclusive) = interval_id(arg, 0)?;
    if exclusive {
        return id.incr().ok_or_else(|| err(STREAM_BAD_START_ID));
    }
    Ok(id)
}

/// A range's inclusive end: `+`, an id (missing sequence the largest) or `(id`.
pub(crate) fn range_end(arg: &Bytes) -> Result<StreamId, Reply> {
    let (id, exclusive) = interval_id(arg, u64::MAX)?;
    if exclusive {
        return id.decr().ok_or_else(|| err(STREAM_BAD_END_ID));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<(u64, u64)> {
        strict_id(s.as_bytes()).ok().map(|id| (id.ms, id.seq))
    }

    #[test]
    fn ids_are_read_as_string2ull_reads_them() {
        assert_eq!(parse("1-2"), Some((1, 2)));
        assert_eq!(parse("5"), Some((5, 0)));
        assert_eq!(parse(" 5-+3"), Some((5, 3)));
        assert_eq!(parse("01-02"), Some((1, 2)));
        assert_eq!(parse("18446744073709551615-0"), Some((u64::MAX, 0)));
        assert_eq!(parse("3-2\0junk"), Some((3, 2)));
        for bad in [
            "-",
            "+",
            "",
            "1-",
            "-1",
            "1-2-3",
            "a",
            "18446744073709551616",
            "1 ",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse(&"1".repeat(128)), None);
        assert_eq!(loose_id(b"-", 0), Ok(StreamId::MIN));
        assert_eq!(loose_id(b"+", 0), Ok(StreamId::MAX));
        assert_eq!(loose_id(b"7", u64::MAX), Ok(StreamId::new(7, u64::MAX)));
    }

    #[test]
    fn exclusive_bounds_step_over_the_id() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        assert_eq!(range_start(&b("(1-5")), Ok(StreamId::new(1, 6)));
        assert_eq!(range_end(&b("(1-0")), Ok(StreamId::new(0, u64::MAX)));
        assert_eq!(range_end(&b("(1")), Ok(StreamId::new(1, u64::MAX - 1)));
        assert_eq!(range_start(&b("(")), Err(err(STREAM_INVALID_ID)));
        assert_eq!(range_start(&b("(-")), Err(err(STREAM_INVALID_ID)));
        assert_eq!(
            range_start(&b("(18446744073709551615-18446744073709551615")),
            Err(err(STREAM_BAD_START_ID))
        );
        assert_eq!(range_end(&b("(0-0")), Err(err(STREAM_BAD_END_ID)));
    }
}
