//! The SCAN family (SCAN, HSCAN, SSCAN, ZSCAN): cursor and option parsing and the reply, shared
//! by every command family.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::ReadCtx;
use crate::errors::{err, INVALID_CURSOR, SYNTAX};
use crate::typed::Typed;

/// Parses a SCAN cursor as Redis's `parseScanCursorOrReply` (C `strtoul`): no leading space,
/// optional sign (a negative cursor wraps, as in C), decimal digits; the empty string is 0.
pub fn scan_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let invalid = || err(INVALID_CURSOR);
    if arg.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
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

/// The options of SCAN / HSCAN / SSCAN / ZSCAN after the cursor: `MATCH pattern`, `COUNT n`
/// (default 10, must be >= 1) and, for SCAN only, `TYPE name`. Later options override earlier
/// ones, as in Redis.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOpts {
    /// The MATCH pattern; `None` when absent or `*` (everything matches).
    pub pattern: Option<Bytes>,
    pub count: usize,
    /// The TYPE filter (compared case-insensitively with `Value::type_name`; an unknown name
    /// matches nothing in Redis 7.0).
    pub type_name: Option<Bytes>,
}

impl ScanOpts {
    /// Parses `args` (the arguments after the cursor). `allow_type` is true only for SCAN.
    /// Errors: `ERR value is not an integer or out of range` for a bad COUNT, `ERR syntax
    /// error` for COUNT < 1 or anything unknown. Note Redis checks the cursor first, and for
    /// HSCAN/SSCAN/ZSCAN the key (missing key => empty reply, wrong type => WRONGTYPE) before
    /// it parses these options.
    pub fn parse(args: &[Bytes], allow_type: bool) -> Result<ScanOpts, Reply> {
        let mut opts = ScanOpts {
            pattern: None,
            count: 10,
            type_name: None,
        };
        let mut i = 0;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            let opt = &args[i];
            if eq_ignore_case(opt, "count") && has_value {
                let n = int_arg(&args[i + 1])?;
                if n < 1 {
                    return Err(err(SYNTAX));
                }
                opts.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if eq_ignore_case(opt, "match") && has_value {
                let p = &args[i + 1];
                opts.pattern = (p.as_ref() != b"*").then(|| p.clone());
            } else if allow_type && eq_ignore_case(opt, "type") && has_value {
                opts.type_name = Some(args[i + 1].clone());
            } else {
                return Err(err(SYNTAX));
            }
            i += 2;
        }
        Ok(opts)
    }

    /// True when `item` (a key, field or member) passes the MATCH pattern.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|p| meridian_types::glob::glob_match(p, item))
    }

    /// True when a value of type `type_name` passes the TYPE filter.
    pub fn type_matches(&self, type_name: &str) -> bool {
        self.type_name
            .as_ref()
            .is_none_or(|t| t.eq_ignore_ascii_case(type_name.as_bytes()))
    }
}

/// A SCAN-family reply: the next cursor (as a bulk string, like Redis's) and the elements.
pub(crate) fn scan_reply(cursor: u64, elements: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(cursor.to_string())),
        Reply::Array(elements),
    ])
}

/// HSCAN / SSCAN / ZSCAN `key cursor [MATCH pattern] [COUNT count]`: answers the whole
/// collection in one call with cursor 0 (as Redis does for small collections), so it can never
/// miss or repeat an element whatever happens between calls. `cursor` is the cursor argument
/// as the caller reads it; `elements` lists what passes the options, flattened into the reply.
/// Order of checks as in Redis: cursor, then key (missing => empty reply, wrong type =>
/// WRONGTYPE), then options.
pub(crate) fn scan_collection<T: Typed>(
    ctx: &ReadCtx<'_>,
    argv: &[Bytes],
    cursor: &[u8],
    elements: impl FnOnce(&T, &ScanOpts) -> Vec<Reply>,
) -> CommandResult {
    scan_cursor(cursor)?;
    let Some(collection) = ctx.db.lookup::<T>(&argv[1], ctx.now_ms)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOpts::parse(&argv[3..], false)?;
    Ok(scan_reply(0, elements(collection, &opts)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::NOT_INTEGER;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn scan_cursor_follows_strtoul() {
        assert_eq!(scan_cursor(b""), Ok(0));
        assert_eq!(scan_cursor(b"0"), Ok(0));
        assert_eq!(scan_cursor(b"007"), Ok(7));
        assert_eq!(scan_cursor(b"+5"), Ok(5));
        assert_eq!(scan_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(scan_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b"1 ",
            b"+",
            b"-",
            b"x",
            b"1x",
        ] {
            assert_eq!(scan_cursor(bad), Err(err(INVALID_CURSOR)));
        }
    }

    #[test]
    fn scan_opts_parse() {
        let args = |v: &[&str]| v.iter().map(|s| b(s)).collect::<Vec<_>>();
        let o =
            ScanOpts::parse(&args(&["MATCH", "k*", "count", "5", "TYPE", "Hash"]), true).unwrap();
        assert_eq!(o.pattern, Some(b("k*")));
        assert_eq!(o.count, 5);
        assert!(o.matches(b"key") && !o.matches(b"x"));
        assert!(o.type_matches("hash") && !o.type_matches("string"));
        let o = ScanOpts::parse(&args(&["match", "*"]), false).unwrap();
        assert_eq!(o.pattern, None);
        assert_eq!(o.count, 10);
        let syntax = Err(err(SYNTAX));
        assert_eq!(ScanOpts::parse(&args(&["type", "string"]), false), syntax);
        assert_eq!(ScanOpts::parse(&args(&["count", "0"]), true), syntax);
        assert_eq!(ScanOpts::parse(&args(&["count", "-1"]), true), syntax);
        assert_eq!(ScanOpts::parse(&args(&["count"]), true), syntax);
        assert_eq!(ScanOpts::parse(&args(&["foo", "bar"]), true), syntax);
        assert_eq!(
            ScanOpts::parse(&args(&["count", "x"]), true),
            Err(err(NOT_INTEGER))
        );
    }
}
