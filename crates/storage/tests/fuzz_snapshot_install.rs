//! Fuzz target (property-based, stable Rust): a regional state machine installing snapshot
//! bytes it was sent (`RaftStateMachine::install_snapshot`, the InstallSnapshot RPC's data).
//!
//! The bytes are a real snapshot (built from random writes and a membership with node
//! addresses) mutated (byte flips, truncations, eight bytes set to 0xff over a length prefix),
//! or arbitrary bytes behind the right version byte. Properties:
//! - round trip: a built snapshot installs into a fresh store, which then builds the same bytes;
//! - a hostile snapshot installs or is refused; it never panics, never aborts the process on a
//!   claimed length, and a refused one leaves the state machine as it was.
//!
//! Hostile installs run in a child process (this test binary, re-run with one test) with its
//! address space capped, so a claimed length ends the child, not the machine; the parent
//! reports the last input tried.
//! Cases default to a CI-sized number; `PROPTEST_CASES=N` runs N (`benches/fuzz.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use meridian_storage::{open_db, open_group, NodeDb, SmHandle, StateMachine, StorageOptions};
use meridian_types::{GroupId, Node, NodeId, RegionRequest, RegionTypeConfig, WriteBatch};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Membership, SnapshotMeta};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestError, TestRunner};

type C = RegionTypeConfig;

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

// ---- the child-process harness (as in crates/keyspace/tests/fuzz_snapshot.rs) ---------------

const CHILD: &str = "MERIDIAN_FUZZ_CHILD";
const LAST_INPUT: &str = "MERIDIAN_FUZZ_LAST_INPUT";
/// The child's address space (KiB): a debug binary with a runtime and sled fits; a 2^40-byte
/// claim does not.
const CHILD_ADDRESS_SPACE_KIB: u64 = 3 * 1024 * 1024;

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

fn record(input: &[u8]) {
    if let Some(path) = std::env::var_os(LAST_INPUT).map(PathBuf::from) {
        std::fs::write(path, input).expect("recording the input");
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---- stores and snapshots -------------------------------------------------------------------

struct Store {
    _dir: tempfile::TempDir,
    _db: NodeDb,
    sm: StateMachine,
    handle: SmHandle,
}

async fn store() -> Store {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = open_db(dir.path()).expect("opening sled");
    let group = GroupId::Region("fuzz".to_string());
    let (_log, sm, handle) = open_group(&db, &group, StorageOptions::default())
        .await
        .expect("opening the group");
    Store {
        _dir: dir,
        _db: db,
        sm,
        handle,
    }
}

fn log_id(index: u64) -> LogId<NodeId> {
    LogId::new(CommittedLeaderId::new(1, 1), index)
}

/// A membership entry (node addresses are strings in the snapshot header), then writes.
fn entries(commands: &[Vec<Vec<u8>>]) -> Vec<Entry<C>> {
    let nodes: BTreeMap<NodeId, Node> = (1..=3)
        .map(|id| {
            let node = Node {
                grpc_addr: format!("127.0.0.1:740{id}"),
                resp_addr: format!("127.0.0.1:640{id}"),
            };
            (id, node)
        })
        .collect();
    let voters = BTreeSet::from([1, 2, 3]);
    let mut out = vec![Entry {
        log_id: log_id(1),
        payload: EntryPayload::Membership(Membership::new(vec![voters], nodes)),
    }];
    for (i, argv) in commands.iter().enumerate() {
        let index = i as u64 + 2;
        let argv = argv.iter().map(|a| Bytes::from(a.clone())).collect();
        out.push(Entry {
            log_id: log_id(index),
            payload: EntryPayload::Normal(RegionRequest::Write(vec![WriteBatch {
                db: (i % 3) as u32,
                commands: vec![argv],
                now_ms: 1_000,
                seed: index,
                watched: vec![],
            }])),
        });
    }
    out
}

fn commands() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    let value = prop::collection::vec(any::<u8>(), 0..12);
    let command = (
        prop::sample::select(vec!["SET", "RPUSH", "SADD"]),
        0u8..8,
        value,
    )
        .prop_map(|(name, key, value)| vec![name.as_bytes().to_vec(), vec![b'k', key], value]);
    prop::collection::vec(command, 0..12)
}

async fn snapshot(commands: &[Vec<Vec<u8>>]) -> (SnapshotMeta<NodeId, Node>, Vec<u8>) {
    let mut source = store().await;
    source.sm.apply(entries(commands)).await.expect("applying");
    let snap = source
        .sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .expect("building a snapshot");
    (snap.meta, snap.snapshot.into_inner())
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

fn mutate(input: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
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
}

/// What a refused install must leave untouched.
fn state(handle: &SmHandle) -> (Option<LogId<NodeId>>, u64, usize) {
    (
        handle.last_applied(),
        handle.seq(),
        handle.read(|dbs| dbs.len()),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

// ---- properties -----------------------------------------------------------------------------

#[test]
fn snapshots_install_and_rebuild_the_same_bytes() {
    let rt = runtime();
    let mut runner = TestRunner::new(config(60));
    runner
        .run(&commands(), |commands| {
            rt.block_on(async {
                let (meta, data) = snapshot(&commands).await;
                let mut target = store().await;
                target
                    .sm
                    .install_snapshot(&meta, Box::new(Cursor::new(data.clone())))
                    .await
                    .expect("installing a built snapshot");
                let again = target
                    .sm
                    .get_snapshot_builder()
                    .await
                    .build_snapshot()
                    .await
                    .expect("building again");
                prop_assert_eq!(again.snapshot.into_inner(), data);
                Ok(())
            })
        })
        .unwrap();
}

/// Hostile snapshot bytes: installed or refused, never a crash; a refusal changes nothing.
#[test]
fn hostile_snapshots_are_refused_cleanly() {
    if !in_child("hostile_snapshots_are_refused_cleanly") {
        return;
    }
    let rt = runtime();
    let target = tokio::sync::Mutex::new(rt.block_on(store()));
    let base = rt.block_on(snapshot(&[
        vec![b"SET".to_vec(), b"a".to_vec(), b"1".to_vec()],
        vec![b"RPUSH".to_vec(), b"l".to_vec(), b"x".to_vec()],
    ]));
    let meta = base.0.clone();
    let strategy = prop_oneof![
        4 => prop::collection::vec(mutation(), 1..5).prop_map(move |ms| {
            let mut data = base.1.clone();
            mutate(&mut data, &ms);
            data
        }),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(|mut data| {
            data.insert(0, 5); // the current snapshot version byte
            data
        }),
    ];
    let result = TestRunner::new(config(300)).run(&strategy, |data| {
        record(&data);
        rt.block_on(async {
            let mut target = target.lock().await;
            let before = state(&target.handle);
            let installed = target
                .sm
                .install_snapshot(&meta, Box::new(Cursor::new(data.clone())))
                .await;
            if installed.is_err() {
                prop_assert_eq!(
                    state(&target.handle),
                    before,
                    "a refused snapshot changed state"
                );
            }
            Ok(())
        })
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, data)) => {
            record(&data);
            panic!(
                "{reason}\nminimal input ({} bytes): {}",
                data.len(),
                hex(&data)
            );
        }
        Err(e) => panic!("{e}"),
    }
}

/// Found by `hostile_snapshots_are_refused_cleanly` on its first cases (a mutated snapshot
/// made the install ask for 37,576,668,872,718 bytes and abort: "memory allocation of … bytes
/// failed"). Here: one node address in the snapshot header whose length prefix says 2^62.
/// `SmState::decode` read with `bincode::deserialize_from` on a `Cursor`, which sizes a
/// string's buffer from its prefix before reading it: a leader (or anything that could reach the
/// internal Raft service) could stop a follower with one InstallSnapshot RPC. It now decodes
/// with the bytes left as bincode's limit.
#[test]
fn snapshot_header_length_is_not_trusted() {
    if !in_child("snapshot_header_length_is_not_trusted") {
        return;
    }
    let rt = runtime();
    let (meta, mut data) = rt.block_on(snapshot(&[]));
    let addr = b"127.0.0.1:7401";
    let at = data
        .windows(addr.len())
        .position(|w| w == addr)
        .expect("a node address in the header");
    data[at - 8..at].copy_from_slice(&(1u64 << 62).to_le_bytes());
    record(&data);
    let mut target = rt.block_on(store());
    let installed = rt.block_on(
        target
            .sm
            .install_snapshot(&meta, Box::new(Cursor::new(data))),
    );
    assert!(installed.is_err());
}
