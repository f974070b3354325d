//! Fuzz target: what hostile headers make [`RequestParser`] allocate, counted by an
//! instrumented global allocator (this test binary only, one test so nothing else allocates
//! while it counts).
//!
//! A header announces sizes the client never has to send: `*2147483647` arguments,
//! `$536870912` bytes. The parser must allocate in proportion to the bytes that arrived, not
//! to the sizes announced. (The connection may reserve more on the parser's hint,
//! `bytes_wanted`, which it caps; that is the server's business and not measured here.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;

use bytes::BytesMut;
use meridian_resp::{ParserLimits, RequestParser};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Fixed overhead allowed per parse: the argv vector's initial capacity (1024 `Bytes`).
const OVERHEAD: usize = 64 * 1024;

/// Parses `input` in `pieces`-sized reads; returns the bytes allocated while parsing (the input
/// buffer's own growth excluded: the test copies each piece in before counting).
fn allocated_while_parsing(input: &[u8], piece: usize) -> usize {
    let mut parser = RequestParser::new(ParserLimits::default());
    let mut buf = BytesMut::with_capacity(input.len());
    let mut total = 0;
    for chunk in input.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        let region = Region::new(GLOBAL);
        let mut done = false;
        while !done {
            match parser.next(&mut buf) {
                Ok(Some(argv)) => drop(argv),
                Ok(None) | Err(_) => done = true,
            }
        }
        total += region.change().bytes_allocated;
    }
    total
}

const HOSTILE: [&[u8]; 6] = [
    b"*1\r\n$536870912\r\n",
    b"*2147483647\r\n",
    b"*2147483647\r\n$536870912\r\n",
    b"*1024\r\n$0\r\n\r\n$536870912\r\n",
    b"*1\r\n$1000000000\r\n",
    b"*100000\r\n$1\r\nx\r\n$1\r\nx\r\n$1\r\nx\r\n",
];

fn hostile() -> impl Strategy<Value = (Vec<u8>, usize)> {
    let header = prop_oneof![
        (1i64..=i64::from(i32::MAX)).prop_map(|n| format!("*{n}\r\n")),
        (0i64..=512 * 1024 * 1024).prop_map(|n| format!("${n}\r\n")),
        prop::sample::select(HOSTILE.to_vec())
            .prop_map(|h| String::from_utf8_lossy(h).into_owned()),
        Just("$1\r\nx\r\n".to_string()),
    ];
    (prop::collection::vec(header, 1..12), 1usize..64)
        .prop_map(|(parts, piece)| (parts.concat().into_bytes(), piece))
}

#[test]
fn announced_sizes_are_not_allocated() {
    // phase: the fixed hostile headers, whole and a byte at a time
    for input in HOSTILE {
        for piece in [input.len(), 1] {
            let n = allocated_while_parsing(input, piece);
            assert!(
                n <= OVERHEAD + 4 * input.len(),
                "{:?} in {piece}-byte reads allocated {n} bytes",
                String::from_utf8_lossy(input)
            );
        }
    }
    // phase: the parser's hint for the connection names the announced bulk, unreserved
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::from(&b"*1\r\n$536870912\r\n"[..]);
    let capacity = buf.capacity();
    assert_eq!(parser.next(&mut buf), Ok(None));
    assert_eq!(parser.bytes_wanted(&buf), Some(536_870_914));
    assert!(
        buf.capacity() <= capacity,
        "the parser itself reserves nothing"
    );

    // phase: random runs of hostile headers
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 10_000;
    }
    config.failure_persistence = None;
    TestRunner::new(config)
        .run(&hostile(), |(input, piece)| {
            let n = allocated_while_parsing(&input, piece);
            prop_assert!(
                n <= OVERHEAD + 4 * input.len(),
                "{:?} in {}-byte reads allocated {} bytes",
                String::from_utf8_lossy(&input),
                piece,
                n
            );
            Ok(())
        })
        .unwrap();
}
