//! Fuzz target (property-based, stable Rust): decoding shipping messages ([`Up`], [`Down`]),
//! the bincode payload of every `ShipFrame` a node receives on the shipping stream.
//!
//! The stream decodes with `wire::unframe`, which is `pub(crate)`; this target calls what it
//! calls (`bincode::deserialize` of the payload slice into `Up`/`Down`), so a change of codec
//! there must be mirrored here. Properties:
//! - round trip: generated messages encode and decode to the same bytes;
//! - arbitrary and mutated payloads (byte flips, truncations, length prefixes set to huge
//!   values) decode to an error or a message, never panic and never abort on a claimed length
//!   (the test process would die: a 2^60-element claim must not reach `Vec::with_capacity`).
//!
//! Full-sync chunks inside `Down::SyncChunk` are keyspace records, fuzzed in
//! `crates/keyspace/tests/fuzz_snapshot.rs`; the users inside `Down::SyncUsers` are decoded by
//! the secondary's state machine with bounded decoding (`crates/storage/src/sm_state/ship.rs`).
//! Cases default to a CI-sized number; `PROPTEST_CASES=N` runs N (`benches/fuzz.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use meridian_shipping::{Ack, Down, Subscribe, Up};
use meridian_types::{BacklogOp, HistoryMark, ShipPosition};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

fn bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from)
}

fn marks() -> impl Strategy<Value = Vec<HistoryMark>> {
    prop::collection::vec(
        (any::<u64>(), any::<u64>())
            .prop_map(|(epoch, start_seq)| HistoryMark { epoch, start_seq }),
        0..4,
    )
}

fn op() -> impl Strategy<Value = BacklogOp> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(bytes(), 0..4),
    )
        .prop_map(|(seq, db, now_ms, seed, argv)| BacklogOp {
            seq,
            db,
            now_ms,
            seed,
            argv,
        })
}

fn down() -> impl Strategy<Value = Down> {
    prop_oneof![
        (
            prop::collection::vec(op(), 0..6),
            marks(),
            any::<u64>(),
            any::<u64>()
        )
            .prop_map(|(ops, history, head_seq, age_ms)| Down::Ops {
                ops,
                history,
                head_seq,
                age_ms
            }),
        (any::<u64>(), marks(), any::<u64>()).prop_map(|(seq, history, keys)| Down::SyncBegin {
            seq,
            history,
            keys
        }),
        bytes().prop_map(Down::SyncChunk),
        Just(Down::SyncEnd),
        (any::<u64>(), marks())
            .prop_map(|(head_seq, history)| Down::Heartbeat { head_seq, history }),
        bytes().prop_map(Down::SyncUsers),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "use1", "gds1", "127.0.0.1:6401", "é"]).prop_map(String::from)
}

fn up() -> impl Strategy<Value = Up> {
    let position = prop::option::of(
        (any::<u64>(), any::<u64>()).prop_map(|(epoch, seq)| ShipPosition { epoch, seq }),
    );
    prop_oneof![
        (
            name(),
            name(),
            name(),
            any::<u64>(),
            name(),
            position,
            any::<bool>()
        )
            .prop_map(
                |(datastore, source, subscriber, node, resp_addr, position, allow_leader)| {
                    Up::Subscribe(Subscribe {
                        datastore,
                        source,
                        subscriber,
                        node,
                        resp_addr,
                        position,
                        allow_leader,
                    })
                }
            ),
        (any::<u64>(), any::<u64>()).prop_map(|(applied_seq, lag_ms)| Up::Ack(Ack {
            applied_seq,
            lag_ms
        })),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Fill(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (
            any::<usize>(),
            prop::sample::select(vec![0xff, 0x7f, 0x10, 0x00])
        )
            .prop_map(|(i, b)| Mutation::Fill(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
    ]
}

fn mutate(mut input: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if input.is_empty() {
            break;
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
    input
}

/// Decodes as the stream does; a message that decodes re-encodes without error.
fn decode<T: serde::de::DeserializeOwned + serde::Serialize>(payload: &[u8]) {
    if let Ok(msg) = bincode::deserialize::<T>(payload) {
        bincode::serialize(&msg).expect("a decoded message encodes");
    }
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    msg: &T,
) -> Result<(), TestCaseError> {
    let bytes = bincode::serialize(msg).expect("encoding");
    let back: T = bincode::deserialize(&bytes).expect("decoding what was just encoded");
    prop_assert_eq!(bincode::serialize(&back).expect("encoding again"), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn down_round_trips(msg in down()) {
        round_trip(&msg)?;
    }

    #[test]
    fn up_round_trips(msg in up()) {
        round_trip(&msg)?;
    }

    #[test]
    fn arbitrary_payloads(payload in prop::collection::vec(any::<u8>(), 0..256)) {
        decode::<Down>(&payload);
        decode::<Up>(&payload);
    }

    #[test]
    fn mutated_down(msg in down(), mutations in prop::collection::vec(mutation(), 1..5)) {
        decode::<Down>(&mutate(bincode::serialize(&msg).expect("encoding"), &mutations));
    }

    #[test]
    fn mutated_up(msg in up(), mutations in prop::collection::vec(mutation(), 1..5)) {
        decode::<Up>(&mutate(bincode::serialize(&msg).expect("encoding"), &mutations));
    }
}

/// Length prefixes claiming 2^60 (ops, argv, a chunk's bytes, a string) are refused, not
/// allocated.
#[test]
fn huge_length_prefixes_are_not_trusted() {
    let huge = (1u64 << 60).to_le_bytes();
    // Down::Ops (variant 0) with 2^60 ops; Down::SyncChunk (variant 2) and Down::SyncUsers
    // (variant 5) of 2^60 bytes.
    for (variant, rest) in [(0u32, &huge[..]), (2, &huge[..]), (5, &huge[..])] {
        let mut payload = variant.to_le_bytes().to_vec();
        payload.extend_from_slice(rest);
        assert!(bincode::deserialize::<Down>(&payload).is_err());
    }
    // Up::Subscribe whose datastore name claims 2^60 bytes.
    let mut payload = 0u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&huge);
    assert!(bincode::deserialize::<Up>(&payload).is_err());
    // One op whose argv claims 2^60 arguments.
    let op = BacklogOp {
        seq: 1,
        db: 0,
        now_ms: 0,
        seed: 0,
        argv: vec![],
    };
    let mut payload = bincode::serialize(&Down::Ops {
        ops: vec![op],
        history: vec![],
        head_seq: 1,
        age_ms: 0,
    })
    .expect("encoding");
    // Layout: variant u32, ops len u64, seq u64, db u32, now_ms u64, seed u64, argv len u64.
    let argv_len = 4 + 8 + 8 + 4 + 8 + 8;
    payload[argv_len..argv_len + 8].copy_from_slice(&huge);
    assert!(bincode::deserialize::<Down>(&payload).is_err());
}
