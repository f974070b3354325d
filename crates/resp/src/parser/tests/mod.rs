//! Parser tests. Expected outcomes marked "redis" were observed on redis-server 7.0.15 by
//! sending the same bytes over a raw socket.

use bytes::{Bytes, BytesMut};

use super::{string_to_i64, RequestParser};
use crate::error::ProtocolError;
use crate::limits::ParserLimits;

mod stream;

pub(super) type Argv = Vec<Vec<u8>>;

/// Feeds `input` in chunks of `chunk` bytes; returns the commands parsed and the error, if any.
pub(super) fn run(
    input: &[u8],
    chunk: usize,
    limits: ParserLimits,
) -> (Vec<Argv>, Option<ProtocolError>) {
    let mut parser = RequestParser::new(limits);
    let mut buf = BytesMut::new();
    let mut commands = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match parser.next(&mut buf) {
                Ok(Some(argv)) => commands.push(argv.iter().map(|a| a.to_vec()).collect()),
                Ok(None) => break,
                Err(err) => return (commands, Some(err)),
            }
        }
    }
    (commands, None)
}

pub(super) fn parse(input: &[u8]) -> (Vec<Argv>, Option<ProtocolError>) {
    run(input, input.len(), ParserLimits::default())
}

pub(super) fn argv(args: &[&str]) -> Argv {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

pub(super) fn unauthenticated() -> ParserLimits {
    ParserLimits {
        authenticated: false,
        ..ParserLimits::default()
    }
}

pub(super) fn error_of(input: &[u8]) -> Option<ProtocolError> {
    parse(input).1
}

#[test]
fn multibulk_and_inline_commands() {
    let (cmds, err) = parse(b"*2\r\n$4\r\nECHO\r\n$3\r\nfoo\r\nPING\r\nSET a \"b c\"\n");
    assert_eq!(err, None);
    assert_eq!(
        cmds,
        vec![
            argv(&["ECHO", "foo"]),
            argv(&["PING"]),
            argv(&["SET", "a", "b c"])
        ]
    );
}

#[test]
fn invalid_multibulk_length() {
    use ProtocolError::InvalidMultibulkLength as E;
    // redis: each of these gets -ERR Protocol error: invalid multibulk length
    for input in [
        &b"*2147483648\r\n"[..],
        b"*01\r\n",
        b"*+1\r\n",
        b"*\r\n",
        b"* 1\r\n",
        b"*x\r\n",
        b"*-0\r\n",
    ] {
        assert_eq!(
            error_of(input),
            Some(E),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let small = ParserLimits {
        max_multibulk_len: 3,
        ..ParserLimits::default()
    };
    assert_eq!(run(b"*4\r\n", 8, small).1, Some(E));
}

#[test]
fn large_multibulk_counts_are_accepted_like_redis_7_0() {
    // redis 7.0.15 waits for more data after *1048577 (limit is INT_MAX, not 1024*1024).
    assert_eq!(parse(b"*1048577\r\n$4\r\nPING\r\n"), (vec![], None));
    assert_eq!(parse(b"*2147483647\r\n"), (vec![], None));
}

#[test]
fn invalid_bulk_length() {
    use ProtocolError::InvalidBulkLength as E;
    for input in [
        &b"*1\r\n$-1\r\n"[..],
        b"*1\r\n$536870913\r\n",
        b"*1\r\n$04\r\nPING\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\n$\r\n",
    ] {
        assert_eq!(
            error_of(input),
            Some(E),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    // redis: $536870912 (exactly proto-max-bulk-len) is accepted.
    assert_eq!(parse(b"*1\r\n$536870912\r\n"), (vec![], None));
    let small = ParserLimits {
        proto_max_bulk_len: 3,
        ..ParserLimits::default()
    };
    assert_eq!(run(b"*1\r\n$4\r\n", 64, small).1, Some(E));
}

#[test]
fn expected_dollar_shows_the_byte_like_redis() {
    assert_eq!(
        error_of(b"*1\r\nX4\r\nPING\r\n"),
        Some(ProtocolError::ExpectedDollar(b'X'))
    );
    // redis: CR and LF are printed as spaces, other bytes raw.
    assert_eq!(
        error_of(b"*1\r\n\r\n"),
        Some(ProtocolError::ExpectedDollar(b' '))
    );
    assert_eq!(
        error_of(b"*1\r\n\n\r\n"),
        Some(ProtocolError::ExpectedDollar(b' '))
    );
    let err = error_of(b"*1\r\n\xff4\r\n").expect("error");
    let mut out = BytesMut::new();
    err.write_reply(&mut out);
    assert_eq!(
        &out[..],
        b"-ERR Protocol error: expected '$', got '\xff'\r\n"
    );
    assert_eq!(
        err.to_string(),
        "ERR Protocol error: expected '$', got '\u{ff}'"
    );
}

#[test]
fn unbalanced_quotes() {
    for input in [
        &b"ECHO \"ab\r\n"[..],
        b"ECHO 'ab\r\n",
        b"ECHO \"a\"b\r\n",
        b"\"\r\n",
    ] {
        assert_eq!(error_of(input), Some(ProtocolError::UnbalancedQuotes));
    }
}

#[test]
fn too_big_lines() {
    // redis: 65536 bytes without a newline wait, 65537 fail.
    assert_eq!(parse(&[b'A'; 65536]), (vec![], None));
    assert_eq!(error_of(&[b'A'; 65537]), Some(ProtocolError::TooBigInline));
    let mut mbulk = b"*".to_vec();
    mbulk.extend_from_slice(&[b'1'; 70000]);
    assert_eq!(error_of(&mbulk), Some(ProtocolError::TooBigMbulkCount));
    let mut bulk = b"*1\r\n$".to_vec();
    bulk.extend_from_slice(&[b'1'; 70000]);
    assert_eq!(error_of(&bulk), Some(ProtocolError::TooBigBulkCount));
}

#[test]
fn nul_hides_the_line_end_like_strchr() {
    // redis: waits forever (strchr stops at NUL) until the buffer passes 64 KiB.
    assert_eq!(parse(b"ECHO a\x00b\r\nPING\r\n"), (vec![], None));
    assert_eq!(parse(b"*1\x00\r\n$4\r\nPING\r\n"), (vec![], None));
    let mut inline = b"ECHO a\x00".to_vec();
    inline.extend_from_slice(&[b'b'; 70000]);
    inline.extend_from_slice(b"\r\n");
    assert_eq!(error_of(&inline), Some(ProtocolError::TooBigInline));
    let mut bulk = b"*1\r\n$\x00".to_vec();
    bulk.extend_from_slice(&[b'1'; 70000]);
    bulk.extend_from_slice(b"\r\n");
    assert_eq!(error_of(&bulk), Some(ProtocolError::TooBigBulkCount));
    // NUL inside a bulk payload is ordinary data.
    assert_eq!(
        parse(b"*1\r\n$3\r\na\x00b\r\n").0,
        vec![vec![b"a\x00b".to_vec()]]
    );
}

#[test]
pub(super) fn unauthenticated_limits() {
    let run_unauth = |input: &[u8]| run(input, input.len(), unauthenticated());
    assert_eq!(run_unauth(b"*10\r\n"), (vec![], None));
    assert_eq!(
        run_unauth(b"*11\r\n").1,
        Some(ProtocolError::UnauthenticatedMultibulkLength)
    );
    assert_eq!(run_unauth(b"*1\r\n$16384\r\n"), (vec![], None));
    assert_eq!(
        run_unauth(b"*1\r\n$16385\r\n").1,
        Some(ProtocolError::UnauthenticatedBulkLength)
    );
    // redis: the invalid-length checks come first.
    assert_eq!(
        run_unauth(b"*1\r\n$536870913\r\n").1,
        Some(ProtocolError::InvalidBulkLength)
    );
    assert_eq!(
        run_unauth(b"*x\r\n").1,
        Some(ProtocolError::InvalidMultibulkLength)
    );
    // redis: `*-1` is skipped, then `*11` fails.
    assert_eq!(
        run_unauth(b"*-1\r\n*11\r\n").1,
        Some(ProtocolError::UnauthenticatedMultibulkLength)
    );
}

#[test]
fn authentication_applies_from_the_next_request() {
    // redis: AUTH then *11 in one packet → +OK, no protocol error.
    let mut parser = RequestParser::new(unauthenticated());
    let mut buf = BytesMut::from(&b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*11\r\n"[..]);
    let auth = parser
        .next(&mut buf)
        .expect("auth parses")
        .expect("complete");
    assert_eq!(
        auth,
        vec![Bytes::from_static(b"AUTH"), Bytes::from_static(b"secret")]
    );
    parser.limits_mut().authenticated = true;
    assert_eq!(parser.next(&mut buf), Ok(None));
}

#[test]
fn empty_requests_are_skipped() {
    // redis: *-5 / *0 / blank lines produce no reply; the PING after them does.
    for input in [
        &b"*-5\r\nPING\r\n"[..],
        b"*0\r\nPING\r\n",
        b"\r\n\r\nPING\r\n",
        b"\nPING\n",
        b"   \r\nPING\r\n",
    ] {
        assert_eq!(
            parse(input),
            (vec![argv(&["PING"])], None),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn terminators_are_skipped_unchecked_like_redis() {
    // redis: `PINGXY` → PONG, then `ECHO` runs as an inline command.
    assert_eq!(
        parse(b"*1\r\n$4\r\nPINGXYECHO\r\n").0,
        vec![argv(&["PING"]), argv(&["ECHO"])]
    );
    // redis: any byte may follow the CR of a header.
    assert_eq!(
        parse(b"*1\rX$4\rXPING\r\nPING\r\n").0,
        vec![argv(&["PING"]), argv(&["PING"])]
    );
    // redis: an inline line may end in a bare LF and may contain a CR in the middle.
    assert_eq!(parse(b"ECHO a\rb\r\n").0, vec![argv(&["ECHO", "a", "b"])]);
}

#[test]
fn errors_are_sticky() {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::from(&b"*x\r\n"[..]);
    assert!(parser.next(&mut buf).is_err());
    buf.extend_from_slice(b"PING\r\n");
    assert_eq!(
        parser.next(&mut buf),
        Err(ProtocolError::InvalidMultibulkLength)
    );
    assert!(ProtocolError::InvalidMultibulkLength.closes_connection());
}

#[test]
fn string_to_i64_is_strict() {
    assert_eq!(string_to_i64(b"0"), Some(0));
    assert_eq!(string_to_i64(b"-1"), Some(-1));
    assert_eq!(string_to_i64(b"9223372036854775807"), Some(i64::MAX));
    assert_eq!(string_to_i64(b"-9223372036854775808"), Some(i64::MIN));
    for bad in [
        &b""[..],
        b"-",
        b"-0",
        b"00",
        b"01",
        b"+1",
        b" 1",
        b"1 ",
        b"9223372036854775808",
        b"1a",
    ] {
        assert_eq!(
            string_to_i64(bad),
            None,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}
