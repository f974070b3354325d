//! Streams: pipelines, partial frames at every split point, a 10 MB argument, random bytes.

use bytes::{Bytes, BytesMut};

use super::{argv, parse, run, Argv};
use crate::error::ProtocolError;
use crate::limits::ParserLimits;
use crate::parser::RequestParser;

#[test]
fn pipeline_replies_in_order_then_error() {
    let mut input = Vec::new();
    for i in 0..1000 {
        let value = i.to_string();
        input.extend_from_slice(
            format!("*2\r\n$4\r\nECHO\r\n${}\r\n{}\r\n", value.len(), value).as_bytes(),
        );
        input.extend_from_slice(format!("ECHO {value}\r\n").as_bytes());
    }
    input.extend_from_slice(b"*1\r\n$x\r\nPING\r\n");
    let (cmds, err) = parse(&input);
    assert_eq!(cmds.len(), 2000);
    for (i, pair) in cmds.chunks(2).enumerate() {
        assert_eq!(pair[0], argv(&["ECHO", &i.to_string()]));
        assert_eq!(pair[1], pair[0]);
    }
    assert_eq!(err, Some(ProtocolError::InvalidBulkLength));
}

#[test]
fn every_split_point_gives_the_same_result() {
    let input: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nGET \"k\\x41\" 'x y'\r\n\r\n*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\nPING\n*1\r\n$0\r\n\r\n*1\r\n$1\r\n";
    let whole = parse(input);
    assert_eq!(whole.0.len(), 5);
    for split in 0..=input.len() {
        let mut parser = RequestParser::default();
        let mut buf = BytesMut::from(&input[..split]);
        let mut cmds: Vec<Vec<Bytes>> = Vec::new();
        while let Some(cmd) = parser.next(&mut buf).expect("valid input") {
            cmds.push(cmd);
        }
        buf.extend_from_slice(&input[split..]);
        while let Some(cmd) = parser.next(&mut buf).expect("valid input") {
            cmds.push(cmd);
        }
        let cmds: Vec<Argv> = cmds
            .iter()
            .map(|c| c.iter().map(|a| a.to_vec()).collect())
            .collect();
        assert_eq!(cmds, whole.0, "split at {split}");
        assert!(
            parser.in_progress(),
            "the trailing partial command is pending"
        );
    }
    assert_eq!(run(input, 1, ParserLimits::default()), whole);
}

#[test]
fn ten_megabyte_argument_in_chunks() {
    let value = vec![b'v'; 10 * 1024 * 1024];
    let mut input = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", value.len()).into_bytes();
    input.extend_from_slice(&value);
    input.extend_from_slice(b"\r\n*1\r\n$4\r\nPING\r\n");
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    for (i, piece) in input.chunks(16 * 1024).enumerate() {
        buf.extend_from_slice(piece);
        if i == 1 {
            assert_eq!(parser.bytes_wanted(&buf), Some(value.len() + 2 - buf.len()));
            // Only the headers and the short arguments count like Redis's query buffer.
            assert_eq!(parser.buffered_len(&buf), buf.len());
        }
        while let Some(cmd) = parser.next(&mut buf).expect("valid input") {
            cmds.push(cmd);
        }
    }
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0][2].len(), value.len());
    assert!(cmds[0][2].iter().all(|&b| b == b'v'));
    assert_eq!(cmds[1], vec![Bytes::from_static(b"PING")]);
    assert!(buf.is_empty());
}

#[test]
fn buffered_len_counts_small_parsed_arguments() {
    let mut parser = RequestParser::default();
    let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel"[..]);
    assert_eq!(parser.next(&mut buf), Ok(None));
    assert_eq!(buf.len(), 3);
    assert_eq!(parser.buffered_len(&buf), 27, "every byte received so far");
    buf.extend_from_slice(b"lo\r\n");
    assert!(parser.next(&mut buf).expect("valid").is_some());
    assert_eq!(parser.buffered_len(&buf), 0);
}

/// A tiny deterministic generator so the fuzz loop needs no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_bytes_never_panic_and_chunking_does_not_matter() {
    const ALPHABET: &[u8] = b"**$$\r\n\r\n0123456789-+ \"'\\xaF\x00\t\x0bPING";
    let seed = 0x5eed_1234_u64;
    let mut rng = XorShift(seed);
    for case in 0..20_000 {
        let len = (rng.next() % 200) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(8) {
                    (r >> 8) as u8
                } else {
                    ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                }
            })
            .collect();
        let limits = ParserLimits {
            authenticated: rng.next().is_multiple_of(2),
            max_inline_len: 16 + (rng.next() % 300) as usize,
            ..ParserLimits::default()
        };
        let whole = run(&input, input.len(), limits);
        let chunk = 1 + (rng.next() % 7) as usize;
        // With a small inline limit the "too big" checks depend on read sizes, as in Redis.
        if limits.max_inline_len > len {
            let chunked = run(&input, chunk, limits);
            assert_eq!(
                whole, chunked,
                "seed {seed:#x} case {case} chunk {chunk} input {input:?}"
            );
        }
    }
}
