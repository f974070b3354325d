//! Fuzz target (property-based, stable Rust): decoding keyspace snapshots
//! ([`Databases::read_snapshot`], the state machine's snapshot body) and full-sync chunks
//! ([`Databases::import_chunk`], what a secondary receives from the primary).
//!
//! Properties:
//! - round trip: databases built by random commands, written as a snapshot or as chunks, read
//!   back equal (a snapshot re-encodes to the same bytes);
//! - arbitrary and mutated encodings (byte flips, truncations, length prefixes set to huge
//!   values) decode to an error or to some value, never panic, and allocate in proportion to
//!   the input, not to a length the input claims; a corrupt chunk changes nothing.
//!
//! Hostile decoding runs in a child process (this test binary, re-run with one test) whose
//! address space is capped, so an allocation the input asks for ends that child, not the
//! machine; the parent then reports the last input tried. The child counts allocations with an
//! instrumented allocator (this binary only) and runs one thread, so nothing else is counted.
//!
//! Cases default to a CI-sized number; `PROPTEST_CASES=N` runs N (`benches/fuzz.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use meridian_keyspace::{encode_chunk, Databases, MAX_DATABASES};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestError, TestRunner};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

// ---- the child-process harness --------------------------------------------------------------

/// Names the test a child process runs for real.
const CHILD: &str = "MERIDIAN_FUZZ_CHILD";
/// Where the child writes each input before decoding it.
const LAST_INPUT: &str = "MERIDIAN_FUZZ_LAST_INPUT";
/// The child's address space (KiB): room for a debug test binary, not for 2^40-byte claims.
const CHILD_ADDRESS_SPACE_KIB: u64 = 2 * 1024 * 1024;

/// True inside the child started for `test`; in the parent, runs that child and fails with
/// the last input it tried if it did not pass.
fn in_child(test: &str) -> bool {
    if std::env::var(CHILD).as_deref() == Ok(test) {
        return true;
    }
    let last = std::env::temp_dir().join(format!("meridian-fuzz-{}-{test}", std::process::id()));
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {CHILD_ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args([test, "--exact", "--include-ignored", "--test-threads=1"])
        .env(CHILD, test)
        .env(LAST_INPUT, &last)
        .output()
        .expect("starting the child test process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.contains("1 passed") {
        let _ = std::fs::remove_file(&last);
        return false;
    }
    let input = std::fs::read(&last).unwrap_or_default();
    panic!(
        "{test} in a child process: {}\nlast input ({} bytes, kept in {}), first 256: {}\n{stdout}\n{}",
        out.status,
        input.len(),
        last.display(),
        hex(&input[..input.len().min(256)]),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Saves `input` where the parent finds it if this child dies on it.
fn record(input: &[u8]) {
    if let Some(path) = std::env::var_os(LAST_INPUT).map(PathBuf::from) {
        std::fs::write(path, input).expect("recording the input");
    }
}

/// Runs a property in the child; on failure records the minimal input (not the last one tried
/// while shrinking) and fails with the reason and the input's head.
fn check_property<S: Strategy>(
    cases: u32,
    strategy: S,
    input_of: fn(&S::Value) -> &[u8],
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    match TestRunner::new(config(cases)).run(&strategy, test) {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            let input = input_of(&value);
            record(input);
            panic!(
                "{reason}\nminimal input ({} bytes), first 256: {}",
                input.len(),
                hex(&input[..input.len().min(256)])
            );
        }
        Err(e @ TestError::Abort(_)) => panic!("{e}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes allocated while `f` runs (meaningful in the single-threaded child only).
fn allocated<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let region = Region::new(GLOBAL);
    let out = f();
    (out, region.change().bytes_allocated)
}

/// What decoding `n` input bytes may allocate (counted cumulatively): the decoded values' own
/// overhead (hash tables, 1024 creation slots per new database) is a multiple of the bytes;
/// serde preallocates up to 1 MiB for a sequence from its claimed length (`size_hint::cautious`),
/// and sequences nest (records, then a list's elements).
fn allowance(n: usize) -> usize {
    (4 << 20) + 64 * n
}

// ---- generators -----------------------------------------------------------------------------

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            b"a".to_vec(),
            b"b".to_vec(),
            b"k:1".to_vec(),
            Vec::new()
        ]),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..16),
        (0i64..1000).prop_map(|n| n.to_string().into_bytes()),
    ]
}

/// One write command of a type the snapshot format holds.
fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let name = prop::sample::select(vec![
        "SET",
        "RPUSH",
        "SADD",
        "HSET",
        "ZADD",
        "PEXPIREAT",
        "SELECT",
        "DEL",
        "INCR",
    ]);
    (name, key(), prop::collection::vec(word(), 1..5)).prop_map(|(name, key, words)| {
        let mut argv = vec![name.as_bytes().to_vec()];
        match name {
            "SELECT" => argv.push((words[0].len() % 16).to_string().into_bytes()),
            "ZADD" => {
                argv.push(key);
                for (i, w) in words.iter().enumerate() {
                    argv.push(format!("{}.5", i as i64 - 2).into_bytes());
                    argv.push(w.clone());
                }
            }
            "HSET" => {
                argv.push(key);
                argv.extend(words.iter().flat_map(|w| [w.clone(), w.clone()]));
            }
            "PEXPIREAT" => {
                argv.push(key);
                argv.push(format!("{}", 1_000 + words.len() * 1_000_000).into_bytes());
            }
            "SET" | "INCR" | "DEL" => {
                argv.push(key);
                if name == "SET" {
                    argv.push(words[0].clone());
                }
            }
            _ => {
                argv.push(key);
                argv.extend(words);
            }
        }
        argv
    })
}

fn databases() -> impl Strategy<Value = Databases> {
    prop::collection::vec(command(), 0..40).prop_map(|commands| {
        let mut dbs = Databases::new();
        let mut db = 0;
        for (i, argv) in commands.iter().enumerate() {
            let argv: Vec<Bytes> = argv.iter().map(|a| Bytes::from(a.clone())).collect();
            dbs.execute_write(&mut db, &argv, 500, i as u64);
        }
        dbs
    })
}

fn snapshot_bytes(dbs: &Databases) -> Vec<u8> {
    let mut out = Vec::new();
    dbs.write_snapshot(&mut out)
        .expect("writing a snapshot to memory");
    out
}

fn chunk_bytes(dbs: &Databases) -> Vec<u8> {
    let records: Vec<_> = dbs.clone().into_raw_entries().collect();
    encode_chunk(&records).expect("encoding a chunk")
}

fn same(a: &Databases, b: &Databases) -> bool {
    (0..MAX_DATABASES).all(|i| a.db(i) == b.db(i))
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    /// Eight 0xff bytes (or another fill) over a little-endian length prefix, say.
    Fill(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (
            any::<usize>(),
            prop::sample::select(vec![0xff, 0x7f, 0x40, 0x00])
        )
            .prop_map(|(i, b)| Mutation::Fill(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn apply(input: &mut Vec<u8>, m: &Mutation) {
    if input.is_empty() {
        return;
    }
    let n = input.len();
    match m {
        Mutation::Flip(i, x) => input[i % n] ^= x,
        Mutation::Fill(i, b) => {
            let at = i % n;
            input[at..(at + 8).min(n)].fill(*b);
        }
        Mutation::Truncate(i) => input.truncate(i % n),
        Mutation::Insert(i, bytes) => {
            let at = i % (n + 1);
            input.splice(at..at, bytes.iter().copied());
        }
    }
}

/// Encodings to decode: arbitrary bytes, or an encoding of random databases, mutated.
fn hostile(encode: fn(&Databases) -> Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        4 => (databases(), prop::collection::vec(mutation(), 1..5)).prop_map(move |(dbs, ms)| {
            let mut bytes = encode(&dbs);
            for m in &ms {
                apply(&mut bytes, m);
            }
            bytes
        }),
    ]
}

// ---- properties -----------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(150))]

    #[test]
    fn snapshots_round_trip(dbs in databases()) {
        let bytes = snapshot_bytes(&dbs);
        let back = Databases::read_snapshot(&bytes[..]).expect("reading a snapshot just written");
        prop_assert!(same(&dbs, &back));
        prop_assert_eq!(snapshot_bytes(&back), bytes, "versions and order survive");
    }

    #[test]
    fn chunks_round_trip(dbs in databases(), split in 1usize..8) {
        let records: Vec<_> = dbs.clone().into_raw_entries().collect();
        let mut back = Databases::new();
        let mut imported = 0;
        for part in records.chunks(split) {
            imported += back.import_chunk(&encode_chunk(part).expect("encoding")).expect("importing");
        }
        prop_assert_eq!(imported, records.len());
        prop_assert!(same(&dbs, &back));
    }
}

/// Hostile full-sync chunks: an error or some records; a failed import changes nothing.
#[test]
fn hostile_chunks() {
    if !in_child("hostile_chunks") {
        return;
    }
    check_property(
        500,
        (hostile(chunk_bytes), databases()),
        |(input, _)| input,
        |(input, dbs)| {
            record(&input);
            let mut target = dbs.clone();
            let (result, n) = allocated(|| target.import_chunk(&input));
            prop_assert!(
                n <= allowance(input.len()),
                "{} bytes allocated for {} input bytes",
                n,
                input.len()
            );
            if result.is_err() {
                prop_assert!(same(&dbs, &target), "a corrupt chunk changed the databases");
            }
            Ok(())
        },
    );
}

/// Hostile snapshots: an error or some databases, memory bounded by the input.
#[test]
fn hostile_snapshots() {
    if !in_child("hostile_snapshots") {
        return;
    }
    check_property(
        500,
        hostile(snapshot_bytes),
        |input| input,
        |input| {
            record(&input);
            let (result, n) = allocated(|| Databases::read_snapshot(&input[..]));
            prop_assert!(
                n <= allowance(input.len()),
                "{} bytes allocated for {} input bytes",
                n,
                input.len()
            );
            if let Ok(dbs) = result {
                let _ = snapshot_bytes(&dbs);
            }
            Ok(())
        },
    );
}

// ---- regressions ----------------------------------------------------------------------------

/// A snapshot of `{db 0: "k" → "v"}` whose key length prefix claims `claim` bytes.
fn snapshot_claiming(claim: u64) -> Vec<u8> {
    let mut dbs = Databases::new();
    let argv: Vec<Bytes> = ["SET", "k", "v"].iter().map(|s| Bytes::from(*s)).collect();
    dbs.execute_write(&mut 0, &argv, 0, 0);
    let mut bytes = snapshot_bytes(&dbs);
    // The only record: key length (u64 LE) = 1, then b"k".
    let key = bytes
        .windows(9)
        .position(|w| w == b"\x01\0\0\0\0\0\0\0k")
        .expect("the key record");
    bytes[key..key + 8].copy_from_slice(&claim.to_le_bytes());
    bytes
}

/// Found by `hostile_snapshots` at once: a mutated snapshot whose key (or value) length prefix
/// says 2^56 made `Databases::read_snapshot` ask the allocator for 2^56 bytes and abort the
/// process ("memory allocation of 72057594037927936 bytes failed"); smaller claims (2^24 in
/// an 8 KiB input) are allocated and zero-filled before the read fails. bincode's
/// `deserialize_from` on a bare reader sizes a byte string's buffer from its prefix; the same
/// decoder served `Keyspace::read_snapshot` and the state machine installing a snapshot a
/// leader sent (`storage::sm_state::codec`). Both now decode with the bytes left as bincode's
/// limit, which checks the length against them first, as the slice decoder
/// (`bincode::deserialize`, used for chunks) does.
#[test]
fn snapshot_key_length_is_not_trusted() {
    if !in_child("snapshot_key_length_is_not_trusted") {
        return;
    }
    for claim in [1 << 62, 1 << 40, 1 << 30] {
        let input = snapshot_claiming(claim);
        record(&input);
        let (result, n) = allocated(|| Databases::read_snapshot(&input[..]));
        assert!(
            result.is_err(),
            "a snapshot claiming a {claim}-byte key decoded"
        );
        assert!(
            n <= allowance(input.len()),
            "{n} bytes allocated for a {claim}-byte claim"
        );
    }
}

/// The same claim inside a chunk is refused without the allocation (the slice decoder checks
/// the length against the bytes left).
#[test]
fn chunk_key_length_is_not_trusted() {
    if !in_child("chunk_key_length_is_not_trusted") {
        return;
    }
    let mut dbs = Databases::new();
    let argv: Vec<Bytes> = ["SET", "k", "v"].iter().map(|s| Bytes::from(*s)).collect();
    dbs.execute_write(&mut 0, &argv, 0, 0);
    let mut chunk = chunk_bytes(&dbs);
    let key = chunk
        .windows(9)
        .position(|w| w == b"\x01\0\0\0\0\0\0\0k")
        .expect("the key record");
    for claim in [1u64 << 62, 1 << 40, 1 << 30] {
        chunk[key..key + 8].copy_from_slice(&claim.to_le_bytes());
        record(&chunk);
        let mut target = Databases::new();
        let (result, n) = allocated(|| target.import_chunk(&chunk));
        assert!(result.is_err());
        assert!(n <= allowance(chunk.len()));
    }
}
