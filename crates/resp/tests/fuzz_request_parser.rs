//! Fuzz target (property-based, stable Rust): hostile bytes against [`RequestParser`] and the
//! reply encoder (DESIGN.md §10.6, "bad input gets a clear error").
//!
//! Inputs are arbitrary bytes, and valid RESP2 multibulk / inline requests mutated (byte flips,
//! truncations, huge and negative lengths, nested `*1\r\n*1\r\n…`), each fed whole and split
//! into random chunks. Properties:
//! - the parser never panics, and once it fails it keeps returning the same error;
//! - chunked parsing gives the same commands, error and leftover as whole parsing (inputs
//!   stay below the 64 KiB inline limit, past which Redis too depends on read sizes);
//! - every error is one of Redis 7.0's protocol error lines;
//! - valid requests come back as the argv that was sent;
//! - `encode` never breaks framing: a generated reply decodes back (by a decoder written here)
//!   to the RESP2 or RESP3 shape Redis writes, using every byte and no more.
//!
//! Cases per property default to a CI-sized number; `PROPTEST_CASES=N` runs N instead
//! (`benches/fuzz.sh`). Memory is checked in `fuzz_parser_memory.rs` (its own allocator).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{Bytes, BytesMut};
use meridian_resp::{
    encode, encode_verbatim, format_double, ParserLimits, Protocol, ProtocolError, RequestParser,
};
use meridian_types::Reply;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// `cases` unless `PROPTEST_CASES` says otherwise; no regression files in the source tree
/// (a failure prints its minimal input; keep it as a plain `#[test]` below).
fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

type Argv = Vec<Vec<u8>>;

/// What feeding a whole input produced: commands, the error (if any), and where it stopped.
#[derive(Debug, PartialEq)]
struct Outcome {
    commands: Vec<Argv>,
    error: Option<ProtocolError>,
    in_progress: bool,
    leftover: Vec<u8>,
    buffered: usize,
}

/// Feeds `input` in pieces of the given sizes (cycled; the rest in one piece when empty),
/// parsing after each piece as the connection does after each read.
fn feed(input: &[u8], pieces: &[usize], limits: ParserLimits) -> Outcome {
    let mut parser = RequestParser::new(limits);
    let mut buf = BytesMut::new();
    let mut commands = Vec::new();
    let mut at = 0;
    let mut sizes = pieces.iter().copied().filter(|&n| n > 0).cycle();
    while at < input.len() {
        let n = sizes.next().unwrap_or(input.len()).min(input.len() - at);
        buf.extend_from_slice(&input[at..at + n]);
        at += n;
        loop {
            match parser.next(&mut buf) {
                Ok(Some(argv)) => {
                    assert!(!argv.is_empty(), "a command has at least its name");
                    commands.push(argv.iter().map(|a| a.to_vec()).collect());
                }
                Ok(None) => break,
                Err(error) => {
                    let again = parser.next(&mut buf);
                    assert_eq!(again, Err(error.clone()), "a protocol error is final");
                    return Outcome {
                        commands,
                        error: Some(error),
                        in_progress: false,
                        leftover: Vec::new(),
                        buffered: 0,
                    };
                }
            }
        }
    }
    Outcome {
        commands,
        error: None,
        in_progress: parser.in_progress(),
        leftover: buf.to_vec(),
        buffered: parser.buffered_len(&buf),
    }
}

/// Redis 7.0's protocol error lines (networking.c), as written to the client.
fn is_redis_protocol_error(line: &[u8]) -> bool {
    const FIXED: [&[u8]; 8] = [
        b"-ERR Protocol error: invalid multibulk length\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
        b"-ERR Protocol error: too big mbulk count string\r\n",
        b"-ERR Protocol error: too big bulk count string\r\n",
        b"-ERR Protocol error: too big inline request\r\n",
        b"-ERR Protocol error: unauthenticated multibulk length\r\n",
        b"-ERR Protocol error: unauthenticated bulk length\r\n",
    ];
    const DOLLAR: &[u8] = b"-ERR Protocol error: expected '$', got '";
    FIXED.contains(&line)
        || (line.len() == DOLLAR.len() + 4
            && line.starts_with(DOLLAR)
            && line.ends_with(b"'\r\n")
            && !matches!(line[DOLLAR.len()], b'$' | b'\r' | b'\n'))
}

fn check_error(error: &ProtocolError) {
    let mut line = BytesMut::new();
    error.write_reply(&mut line);
    assert!(
        is_redis_protocol_error(&line),
        "not a Redis protocol error line: {:?}",
        String::from_utf8_lossy(&line)
    );
    assert!(error.closes_connection());
    if !matches!(error, ProtocolError::ExpectedDollar(b) if !b.is_ascii()) {
        assert_eq!(error.to_reply(), Reply::Error(error.to_string()));
        assert_eq!(&line[1..line.len() - 2], error.to_string().as_bytes());
    }
}

/// Whole and chunked parsing agree; errors are Redis's; the parser never reads past the input.
fn check_input(input: &[u8], pieces: &[usize], limits: ParserLimits) -> Outcome {
    let whole = feed(input, &[], limits);
    let chunked = feed(input, pieces, limits);
    let bytewise = feed(input, &[1], limits);
    assert_eq!(chunked, whole, "chunks {pieces:?}");
    assert_eq!(bytewise, whole, "one byte at a time");
    if let Some(error) = &whole.error {
        check_error(error);
    }
    let argument_bytes: usize = whole.commands.iter().flatten().map(Vec::len).sum();
    assert!(argument_bytes + whole.leftover.len() <= input.len());
    whole
}

// ---- generators ----------------------------------------------------------------------------

fn args() -> impl Strategy<Value = Argv> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..6)
}

fn multibulk(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for arg in argv {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// An inline request of words that need no quoting.
fn inline(argv: &[Vec<u8>]) -> Vec<u8> {
    let words: Vec<Vec<u8>> = argv
        .iter()
        .map(|a| {
            let w: Vec<u8> = a.iter().map(|b| b'a' + b % 26).collect();
            if w.is_empty() {
                b"x".to_vec()
            } else {
                w
            }
        })
        .collect();
    let mut out = words.join(&b' ');
    out.extend_from_slice(if argv.len().is_multiple_of(2) {
        b"\r\n"
    } else {
        b"\n"
    });
    out
}

/// Fragments Redis's parser has special cases for.
const TOKENS: [&[u8]; 22] = [
    b"*1\r\n",
    b"*-1\r\n",
    b"*0\r\n",
    b"*2147483647\r\n",
    b"*2147483648\r\n",
    b"*1\r\n*1\r\n*1\r\n*1\r\n",
    b"$536870912\r\n",
    b"$536870913\r\n",
    b"$-1\r\n",
    b"$-9223372036854775808\r\n",
    b"$99999999999999999999\r\n",
    b"$01\r\n",
    b"$+1\r\n",
    b"$16385\r\n",
    b"\r\n",
    b"\r",
    b"\n",
    b"\0",
    b"\"",
    b"'",
    b"\\x4",
    b" \t",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, usize),
    Remove(usize, usize),
    Repeat(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 1u8..).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (at, prop::sample::select(b"\r\n*$-+0129\0 \"'\\x".to_vec()))
            .prop_map(|(i, b)| Mutation::Set(i, b)),
        at.prop_map(Mutation::Truncate),
        (at, 0..TOKENS.len()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (at, 1usize..8).prop_map(|(i, n)| Mutation::Remove(i, n)),
        (at, 1usize..16, 1usize..64).prop_map(|(i, n, k)| Mutation::Repeat(i, n, k)),
    ]
}

fn apply(input: &mut Vec<u8>, m: &Mutation) {
    let pos = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match *m {
        Mutation::Flip(i, x) if !input.is_empty() => {
            let i = i % input.len();
            input[i] ^= x;
        }
        Mutation::Set(i, b) if !input.is_empty() => {
            let i = i % input.len();
            input[i] = b;
        }
        Mutation::Truncate(i) => input.truncate(pos(i, input.len())),
        Mutation::Insert(i, t) => {
            let i = pos(i, input.len());
            input.splice(i..i, TOKENS[t].iter().copied());
        }
        Mutation::Remove(i, n) => {
            let i = pos(i, input.len());
            input.drain(i..(i + n).min(input.len()));
        }
        Mutation::Repeat(i, n, k) => {
            let i = pos(i, input.len());
            let piece = input[i..(i + n).min(input.len())].to_vec();
            for _ in 0..k {
                input.splice(i..i, piece.iter().copied());
            }
        }
        Mutation::Flip(..) | Mutation::Set(..) => {}
    }
}

/// A pipeline of valid requests (multibulk and inline), then mutated.
fn mutated_pipeline() -> impl Strategy<Value = Vec<u8>> {
    let request = prop_oneof![
        args().prop_map(|a| multibulk(&a)),
        args().prop_map(|a| inline(&a)),
    ];
    (
        prop::collection::vec(request, 1..8),
        prop::collection::vec(mutation(), 0..6),
    )
        .prop_map(|(requests, mutations)| {
            let mut input = requests.concat();
            for m in &mutations {
                apply(&mut input, m);
            }
            input
        })
}

fn pieces() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..40, 0..12)
}

fn limits() -> impl Strategy<Value = ParserLimits> {
    (
        any::<bool>(),
        prop_oneof![Just(None), (0u64..64).prop_map(Some)],
    )
        .prop_map(|(authenticated, small)| ParserLimits {
            authenticated,
            proto_max_bulk_len: small.unwrap_or(ParserLimits::default().proto_max_bulk_len),
            max_multibulk_len: small.unwrap_or(ParserLimits::default().max_multibulk_len),
            ..ParserLimits::default()
        })
}

proptest! {
    #![proptest_config(config(8000))]

    #[test]
    fn arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512), pieces in pieces(), limits in limits()) {
        check_input(&input, &pieces, limits);
    }

    #[test]
    fn mutated_requests(input in mutated_pipeline(), pieces in pieces(), limits in limits()) {
        check_input(&input, &pieces, limits);
    }

    /// Valid requests come back as sent, whatever the read sizes.
    #[test]
    fn valid_requests_round_trip(requests in prop::collection::vec(args(), 1..8), pieces in pieces()) {
        let input: Vec<u8> = requests.iter().flat_map(|a| multibulk(a)).collect();
        let outcome = check_input(&input, &pieces, ParserLimits::default());
        prop_assert_eq!(outcome.commands, requests);
        prop_assert_eq!(outcome.error, None);
        prop_assert!(!outcome.in_progress);
        prop_assert_eq!(outcome.buffered, 0);
    }

    /// Headers with any integer text: accepted exactly when Redis's `string2ll` accepts them.
    #[test]
    fn length_headers(n in prop_oneof![any::<i64>().prop_map(|n| n.to_string()),
                                       "[-+0-9 ]{0,22}"],
                      bulk in any::<bool>(), pieces in pieces()) {
        let input = if bulk {
            format!("*1\r\n${n}\r\n").into_bytes()
        } else {
            format!("*{n}\r\n").into_bytes()
        };
        check_input(&input, &pieces, ParserLimits::default());
    }
}

// ---- the reply encoder ----------------------------------------------------------------------

/// A decoded RESP value, as a client library sees it.
#[derive(Debug, Clone, PartialEq)]
enum Wire {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    NullBulk,
    NullArray,
    Null,
    Array(Vec<Wire>),
    Set(Vec<Wire>),
    Map(Vec<(Wire, Wire)>),
    Double(Vec<u8>),
    Bool(bool),
    Verbatim(Vec<u8>, Vec<u8>),
}

/// A strict RESP2/RESP3 reply decoder; `None` for anything malformed.
fn decode(buf: &[u8], at: &mut usize) -> Option<Wire> {
    let line = |at: &mut usize| -> Option<Vec<u8>> {
        let rest = buf.get(*at..)?;
        let cr = rest.windows(2).position(|w| w == b"\r\n")?;
        let text = rest[..cr].to_vec();
        *at += cr + 2;
        Some(text)
    };
    let int = |text: Vec<u8>| -> Option<i64> { std::str::from_utf8(&text).ok()?.parse().ok() };
    let kind = *buf.get(*at)?;
    *at += 1;
    let text = line(at)?;
    Some(match kind {
        b'+' => Wire::Simple(text),
        b'-' => Wire::Error(text),
        b':' => Wire::Int(int(text)?),
        b',' => Wire::Double(text),
        b'_' if text.is_empty() => Wire::Null,
        b'#' if text == b"t" => Wire::Bool(true),
        b'#' if text == b"f" => Wire::Bool(false),
        b'$' | b'=' => match int(text)? {
            -1 if kind == b'$' => Wire::NullBulk,
            n => {
                let n = usize::try_from(n).ok()?;
                let body = buf.get(*at..*at + n)?.to_vec();
                *at += n;
                if buf.get(*at..*at + 2)? != b"\r\n" {
                    return None;
                }
                *at += 2;
                if kind == b'$' {
                    Wire::Bulk(body)
                } else if body.len() >= 4 && body[3] == b':' {
                    Wire::Verbatim(body[..3].to_vec(), body[4..].to_vec())
                } else {
                    return None;
                }
            }
        },
        b'*' | b'~' | b'%' => match int(text)? {
            -1 if kind == b'*' => Wire::NullArray,
            n => {
                let n = usize::try_from(n).ok()?;
                let width = if kind == b'%' { 2 } else { 1 };
                let mut items = Vec::new();
                for _ in 0..n * width {
                    items.push(decode(buf, at)?);
                }
                match kind {
                    b'*' => Wire::Array(items),
                    b'~' => Wire::Set(items),
                    _ => Wire::Map(
                        items
                            .chunks(2)
                            .map(|kv| (kv[0].clone(), kv[1].clone()))
                            .collect(),
                    ),
                }
            }
        },
        _ => return None,
    })
}

fn decode_all(buf: &[u8]) -> Wire {
    let mut at = 0;
    let wire = decode(buf, &mut at)
        .unwrap_or_else(|| panic!("undecodable reply {:?}", String::from_utf8_lossy(buf)));
    assert_eq!(
        at,
        buf.len(),
        "trailing bytes after a reply: {:?}",
        String::from_utf8_lossy(buf)
    );
    wire
}

fn sanitized(text: &str) -> Vec<u8> {
    text.bytes()
        .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

/// What Redis 7.0 writes for `reply`, as a decoded value (the model `encode` must follow).
fn expected(reply: &Reply, resp3: bool) -> Wire {
    let all = |items: &[Reply]| items.iter().map(|r| expected(r, resp3)).collect::<Vec<_>>();
    let flat = |pairs: &[(Reply, Reply)]| {
        pairs
            .iter()
            .flat_map(|(a, b)| [expected(a, resp3), expected(b, resp3)])
            .collect::<Vec<_>>()
    };
    let nested = |pairs: &[(Reply, Reply)]| {
        Wire::Array(
            pairs
                .iter()
                .map(|(a, b)| Wire::Array(vec![expected(a, resp3), expected(b, resp3)]))
                .collect(),
        )
    };
    match reply {
        Reply::Status(t) => Wire::Simple(sanitized(t)),
        Reply::Error(t) => Wire::Error(sanitized(t)),
        Reply::Integer(n) => Wire::Int(*n),
        Reply::Bulk(b) => Wire::Bulk(b.to_vec()),
        Reply::Nil | Reply::NilArray if resp3 => Wire::Null,
        Reply::Nil => Wire::NullBulk,
        Reply::NilArray => Wire::NullArray,
        Reply::Array(items) => Wire::Array(all(items)),
        Reply::Set(items) if resp3 => Wire::Set(all(items)),
        Reply::Set(items) => Wire::Array(all(items)),
        Reply::Map(pairs) | Reply::MapOrPairs(pairs) if resp3 => Wire::Map(
            pairs
                .iter()
                .map(|(a, b)| (expected(a, resp3), expected(b, resp3)))
                .collect(),
        ),
        Reply::Pairs(pairs) if resp3 => nested(pairs),
        Reply::MapOrPairs(pairs) => nested(pairs),
        Reply::Map(pairs) | Reply::Pairs(pairs) => Wire::Array(flat(pairs)),
        Reply::Double(d) if resp3 => Wire::Double(format_double(*d).into_bytes()),
        Reply::Double(d) => Wire::Bulk(format_double(*d).into_bytes()),
        Reply::Boolean(b) if resp3 => Wire::Bool(*b),
        Reply::Boolean(b) => Wire::Int(i64::from(*b)),
        Reply::HumanDouble(t) if resp3 => Wire::Double(sanitized(t)),
        Reply::HumanDouble(t) => Wire::Bulk(t.as_bytes().to_vec()),
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,12}",
        prop::collection::vec(
            prop::sample::select(vec!['a', '\r', '\n', ' ', 'é', '-']),
            0..8
        )
        .prop_map(|c| c.into_iter().collect()),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    let bytes = prop::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from);
    let leaf = prop_oneof![
        text().prop_map(Reply::Status),
        text().prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Integer),
        bytes.prop_map(Reply::Bulk),
        Just(Reply::Nil),
        Just(Reply::NilArray),
        any::<f64>().prop_map(Reply::Double),
        any::<bool>().prop_map(Reply::Boolean),
        text().prop_map(Reply::HumanDouble),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let pairs = prop::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Array),
            prop::collection::vec(inner, 0..6).prop_map(Reply::Set),
            pairs.clone().prop_map(Reply::Map),
            pairs.clone().prop_map(Reply::Pairs),
            pairs.prop_map(Reply::MapOrPairs),
        ]
    })
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn encoded_replies_decode_to_the_redis_shape(reply in reply()) {
        for (proto, resp3) in [(Protocol::Resp2, false), (Protocol::Resp3, true)] {
            let mut out = BytesMut::new();
            encode(&reply, proto, &mut out);
            prop_assert_eq!(decode_all(&out), expected(&reply, resp3));
        }
    }

    #[test]
    fn verbatim_replies_decode(text in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut out = BytesMut::new();
        encode_verbatim(&text, Protocol::Resp3, &mut out);
        prop_assert_eq!(decode_all(&out), Wire::Verbatim(b"txt".to_vec(), text.clone()));
        out.clear();
        encode_verbatim(&text, Protocol::Resp2, &mut out);
        prop_assert_eq!(decode_all(&out), Wire::Bulk(text));
    }

    /// The encoder's arrays of bulk strings are exactly the requests the parser reads.
    #[test]
    fn encoded_bulk_arrays_parse_as_requests(argv in args(), pieces in pieces()) {
        let reply = Reply::Array(argv.iter().map(|a| Reply::Bulk(Bytes::from(a.clone()))).collect());
        let mut out = BytesMut::new();
        encode(&reply, Protocol::Resp2, &mut out);
        let outcome = check_input(&out, &pieces, ParserLimits::default());
        prop_assert_eq!(outcome.commands, vec![argv]);
    }
}

// ---- fixed hostile inputs -------------------------------------------------------------------

#[test]
fn hostile_headers_get_redis_errors() {
    use ProtocolError::*;
    let cases: [(&[u8], Option<ProtocolError>); 9] = [
        (b"*1\r\n$536870913\r\n", Some(InvalidBulkLength)),
        (b"*1\r\n$536870912\r\n", None),
        (b"*1\r\n$-1\r\n", Some(InvalidBulkLength)),
        (b"*2147483648\r\n", Some(InvalidMultibulkLength)),
        (b"*-2147483649\r\n*1\r\n$4\r\nPING\r\n", None),
        (b"*1\r\n*1\r\n*1\r\n*1\r\n", Some(ExpectedDollar(b'*'))),
        (b"*3\r\n$3\r\nSET\r\n:1\r\n", Some(ExpectedDollar(b':'))),
        (b"*1\r\n$99999999999999999999\r\n", Some(InvalidBulkLength)),
        (b"SET \"a\x00\" b\r\n", None),
    ];
    for (input, error) in cases {
        let outcome = check_input(input, &[3, 1, 7], ParserLimits::default());
        assert_eq!(outcome.error, error, "{:?}", String::from_utf8_lossy(input));
    }
    let nested = b"*1\r\n".repeat(10_000);
    let outcome = check_input(&nested, &[4096], ParserLimits::default());
    assert_eq!(outcome.error, Some(ExpectedDollar(b'*')));
}
