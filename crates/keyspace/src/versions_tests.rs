//! WATCH digests: every write that modifies a key changes its digest (even back to the same
//! value), a write that changes nothing or fails does not (as Redis's `signalModifiedKey`
//! callers in 7.0), missing keys created in between are seen, and versions survive snapshots.

use bytes::Bytes;

use super::*;
use crate::db::{scan_hash, Keyspace};
use crate::test_util::argv;
use crate::value::{Entry, Value};
use crate::SmallBytes;

const NOW: u64 = 1_000_000;

#[test]
fn every_hash_has_a_slot_and_versions_only_grow() {
    assert!(CREATION_SLOTS.is_power_of_two());
    assert_eq!(slot(u64::MAX), CREATION_SLOTS - 1);
    assert_eq!(slot(0), 0);
    let mut v = Versions::default();
    let (a, b) = (v.next(), v.next());
    assert!(b > a && v.last() == b);
    v.note_created(u64::MAX, b);
    assert_eq!(v.missing_digest(u64::MAX), MISSING | b);
    assert_eq!(v.missing_digest(0), MISSING);
    assert!(Versions::from_parts(3, vec![0; CREATION_SLOTS - 1]).is_none());
}

pub(super) fn key(k: &str) -> Bytes {
    Bytes::copy_from_slice(k.as_bytes())
}

pub(super) fn digest(ks: &Keyspace, k: &str) -> u64 {
    ks.digest(&key(k), NOW).expect("digest is always Some")
}

pub(super) fn run(ks: &mut Keyspace, cmd: &[&str]) {
    crate::Databases::run_in(ks, &argv(cmd), NOW, 7);
}

/// Runs `setup`, records the digest of `watched`, runs `commands`, and says whether the digest
/// moved.
fn digest_moves(setup: &[&[&str]], watched: &str, commands: &[&[&str]]) -> bool {
    let mut ks = Keyspace::new();
    for cmd in setup {
        run(&mut ks, cmd);
    }
    let before = digest(&ks, watched);
    for cmd in commands {
        run(&mut ks, cmd);
    }
    digest(&ks, watched) != before
}

const STRING: &[&[&str]] = &[&["SET", "k", "a"]];
const STRING_TTL: &[&[&str]] = &[&["SET", "k", "a", "PX", "100000"]];
const HASH: &[&[&str]] = &[&["HSET", "h", "f", "v", "n", "1"]];
const LIST: &[&[&str]] = &[&["RPUSH", "l", "x"]];
const SET: &[&[&str]] = &[&["SADD", "s", "m"], &["SADD", "t", "m"]];
const ZSET: &[&[&str]] = &[&["ZADD", "z", "1", "m"]];
/// Collections with a TTL: their version lives in the TTL index, not in the entry.
const TTL_COLLECTIONS: &[&[&str]] = &[
    &["HSET", "h", "f", "v"],
    &["PEXPIRE", "h", "100000"],
    &["RPUSH", "l", "x"],
    &["PEXPIRE", "l", "100000"],
    &["SADD", "s", "m"],
    &["PEXPIRE", "s", "100000"],
];

type Case = (
    &'static [&'static [&'static str]],
    &'static str,
    &'static [&'static [&'static str]],
);

/// Writes that modify the watched key, most of them leaving it as it was.
const MODIFY: &[Case] = &[
    (STRING, "k", &[&["SET", "k", "a"]]),
    (STRING, "k", &[&["SET", "k", "b"], &["SET", "k", "a"]]),
    (STRING, "k", &[&["MSET", "k", "a"]]),
    (STRING, "k", &[&["GETSET", "k", "a"]]),
    (STRING, "k", &[&["SET", "k", "a", "XX"]]),
    (STRING_TTL, "k", &[&["SET", "k", "a", "KEEPTTL"]]),
    (&[&["SET", "k", "5"]], "k", &[&["INCRBY", "k", "0"]]),
    (
        &[&["SET", "k", "5"]],
        "k",
        &[&["INCR", "k"], &["DECR", "k"]],
    ),
    (&[&["SET", "k", "5"]], "k", &[&["INCRBYFLOAT", "k", "0"]]),
    (STRING, "k", &[&["APPEND", "k", "b"]]),
    (STRING, "k", &[&["SETRANGE", "k", "0", "a"]]),
    (STRING, "k", &[&["EXPIRE", "k", "100"]]),
    (STRING_TTL, "k", &[&["PERSIST", "k"]]),
    (STRING_TTL, "k", &[&["PEXPIREAT", "k", "1100000"]]),
    (STRING, "k", &[&["GETEX", "k", "PX", "100"]]),
    (STRING_TTL, "k", &[&["GETEX", "k", "PERSIST"]]),
    (STRING, "k", &[&["DEL", "k"]]),
    (STRING, "k", &[&["DEL", "k"], &["SET", "k", "a"]]),
    (STRING, "k", &[&["GETDEL", "k"], &["SET", "k", "a"]]),
    (STRING, "k", &[&["EXPIRE", "k", "-1"], &["SET", "k", "a"]]),
    (STRING, "k", &[&["RENAME", "k", "j"], &["RENAME", "j", "k"]]),
    (
        STRING,
        "k",
        &[&["SET", "j", "a"], &["COPY", "j", "k", "REPLACE"]],
    ),
    (STRING, "k", &[&["FLUSHALL"], &["SET", "k", "a"]]),
    (STRING, "k", &[&["FLUSHDB"]]),
    (HASH, "h", &[&["HSET", "h", "f", "v"]]),
    (HASH, "h", &[&["HMSET", "h", "f", "v"]]),
    (HASH, "h", &[&["HDEL", "h", "f"], &["HSET", "h", "f", "v"]]),
    (HASH, "h", &[&["HINCRBY", "h", "n", "0"]]),
    (HASH, "h", &[&["HINCRBYFLOAT", "h", "n", "0"]]),
    (HASH, "h", &[&["HSETNX", "h", "g", "v"]]),
    (LIST, "l", &[&["LPUSH", "l", "y"], &["LPOP", "l"]]),
    (LIST, "l", &[&["RPUSHX", "l", "y"], &["RPOP", "l", "1"]]),
    (LIST, "l", &[&["LSET", "l", "0", "x"]]),
    (LIST, "l", &[&["LTRIM", "l", "0", "-1"]]),
    (
        LIST,
        "l",
        &[
            &["LINSERT", "l", "BEFORE", "x", "y"],
            &["LREM", "l", "1", "y"],
        ],
    ),
    (LIST, "l", &[&["LMOVE", "l", "l", "LEFT", "RIGHT"]]),
    (LIST, "l", &[&["RPOPLPUSH", "l", "l"]]),
    (SET, "s", &[&["SADD", "s", "n"], &["SREM", "s", "n"]]),
    (SET, "s", &[&["SPOP", "s"], &["SADD", "s", "m"]]),
    (SET, "s", &[&["SPOP", "s", "1"], &["SADD", "s", "m"]]),
    (
        SET,
        "s",
        &[&["SMOVE", "s", "u", "m"], &["SMOVE", "u", "s", "m"]],
    ),
    (SET, "s", &[&["SINTERSTORE", "s", "t"]]),
    (
        ZSET,
        "z",
        &[&["ZADD", "z", "2", "m"], &["ZADD", "z", "1", "m"]],
    ),
    (
        ZSET,
        "z",
        &[&["ZINCRBY", "z", "1", "m"], &["ZINCRBY", "z", "-1", "m"]],
    ),
    (ZSET, "z", &[&["ZADD", "z", "1", "n"], &["ZREM", "z", "n"]]),
    (ZSET, "z", &[&["ZPOPMIN", "z"], &["ZADD", "z", "1", "m"]]),
    (
        ZSET,
        "z",
        &[&["ZPOPMAX", "z", "1"], &["ZADD", "z", "1", "m"]],
    ),
    (ZSET, "z", &[&["ZRANGESTORE", "z", "z", "0", "-1"]]),
    (TTL_COLLECTIONS, "h", &[&["HSET", "h", "f", "v"]]),
    (TTL_COLLECTIONS, "l", &[&["LSET", "l", "0", "x"]]),
    (
        TTL_COLLECTIONS,
        "s",
        &[&["SADD", "s", "n"], &["SREM", "s", "n"]],
    ),
    (TTL_COLLECTIONS, "s", &[&["PEXPIRE", "s", "100000"]]),
];

/// Writes that change nothing or fail: Redis does not call `signalModifiedKey` for them.
const UNCHANGED: &[Case] = &[
    (
        STRING,
        "k",
        &[
            &["GET", "k"],
            &["EXISTS", "k"],
            &["TTL", "k"],
            &["STRLEN", "k"],
        ],
    ),
    (STRING, "k", &[&["SET", "j", "b"], &["DEL", "j"]]),
    (
        STRING,
        "k",
        &[&["SET", "k", "b", "NX"], &["SETNX", "k", "b"]],
    ),
    (STRING, "k", &[&["MSETNX", "k", "b", "j", "c"]]),
    (STRING, "k", &[&["INCR", "k"], &["INCRBYFLOAT", "k", "1"]]),
    (
        STRING,
        "k",
        &[&["EXPIRE", "k", "100", "XX"], &["PERSIST", "k"]],
    ),
    (STRING, "k", &[&["GETEX", "k"], &["GETEX", "k", "PERSIST"]]),
    (STRING, "k", &[&["SETRANGE", "k", "0", ""]]),
    (
        STRING,
        "k",
        &[&["RENAME", "k", "k"], &["RENAMENX", "k", "k"]],
    ),
    (STRING, "k", &[&["RENAMENX", "j", "k"], &["COPY", "j", "k"]]),
    (
        STRING,
        "k",
        &[
            &["LPUSH", "k", "x"],
            &["SADD", "k", "x"],
            &["HSET", "k", "f", "v"],
        ],
    ),
    (
        STRING,
        "k",
        &[
            &["ZADD", "k", "1", "m"],
            &["LSET", "k", "0", "x"],
            &["LPOP", "k"],
        ],
    ),
    (
        STRING,
        "k",
        &[
            &["SREM", "k", "x"],
            &["ZREM", "k", "x"],
            &["HDEL", "k", "f"],
        ],
    ),
    (
        STRING_TTL,
        "k",
        &[&["EXPIRE", "k", "100", "NX"], &["PEXPIRE", "k", "1", "GT"]],
    ),
    (
        HASH,
        "h",
        &[
            &["HDEL", "h", "nope"],
            &["HSETNX", "h", "f", "w"],
            &["HGET", "h", "f"],
        ],
    ),
    (
        HASH,
        "h",
        &[
            &["HINCRBY", "h", "f", "1"],
            &["HINCRBYFLOAT", "h", "f", "1"],
        ],
    ),
    (
        LIST,
        "l",
        &[
            &["LREM", "l", "0", "nope"],
            &["LINSERT", "l", "BEFORE", "nope", "y"],
        ],
    ),
    (
        LIST,
        "l",
        &[
            &["LPOP", "l", "0"],
            &["RPOP", "l", "0"],
            &["LSET", "l", "9", "y"],
        ],
    ),
    (
        LIST,
        "l",
        &[&["LPUSHX", "m", "y"], &["LRANGE", "l", "0", "-1"]],
    ),
    (
        SET,
        "s",
        &[
            &["SADD", "s", "m"],
            &["SREM", "s", "nope"],
            &["SPOP", "s", "0"],
        ],
    ),
    (
        SET,
        "s",
        &[&["SMOVE", "s", "t", "nope"], &["SMOVE", "s", "s", "m"]],
    ),
    (SET, "t", &[&["SADD", "s", "n"], &["SMOVE", "s", "t", "m"]]),
    (
        ZSET,
        "z",
        &[&["ZADD", "z", "1", "m"], &["ZADD", "z", "NX", "5", "m"]],
    ),
    (
        ZSET,
        "z",
        &[
            &["ZADD", "z", "XX", "1", "n"],
            &["ZADD", "z", "GT", "0", "m"],
        ],
    ),
    (
        ZSET,
        "z",
        &[&["ZINCRBY", "z", "0", "m"], &["ZREM", "z", "nope"]],
    ),
    (
        ZSET,
        "z",
        &[&["ZPOPMIN", "z", "0"], &["ZADD", "z", "INCR", "nan", "m"]],
    ),
    (
        &[&["ZADD", "z", "inf", "m"]],
        "z",
        &[&["ZADD", "z", "INCR", "-inf", "m"]],
    ),
    (
        TTL_COLLECTIONS,
        "s",
        &[&["SADD", "s", "m"], &["SREM", "s", "nope"]],
    ),
    (
        TTL_COLLECTIONS,
        "l",
        &[
            &["LSET", "l", "9", "y"],
            &["LINSERT", "l", "AFTER", "no", "y"],
        ],
    ),
    // A missing key stays unchanged by writes that do not create it.
    (
        &[],
        "k",
        &[
            &["DEL", "k"],
            &["SET", "k", "a", "XX"],
            &["LPUSHX", "k", "x"],
        ],
    ),
    (
        &[],
        "k",
        &[&["EXPIRE", "k", "10"], &["INCR", "k", "x"], &["FLUSHALL"]],
    ),
    // FLUSHALL aborts the watchers of the keys it removes, not those of missing keys (7.0).
    (&[&["SET", "j", "1"]], "k", &[&["FLUSHALL"]]),
    (
        &[],
        "k",
        &[
            &["SINTERSTORE", "k", "nope"],
            &["ZRANGESTORE", "k", "no", "0", "1"],
        ],
    ),
];

#[test]
fn every_write_that_modifies_a_key_moves_its_digest_even_back_to_the_same_value() {
    for (setup, watched, commands) in MODIFY {
        assert!(
            digest_moves(setup, watched, commands),
            "{commands:?} after {setup:?} left the digest of {watched} unchanged"
        );
    }
}

#[test]
fn a_write_that_changes_nothing_or_fails_keeps_the_digest() {
    for (setup, watched, commands) in UNCHANGED {
        assert!(
            !digest_moves(setup, watched, commands),
            "{commands:?} after {setup:?} moved the digest of {watched}"
        );
    }
}

/// A key whose creation slot differs from `k`'s.
pub(super) fn key_in_another_slot(k: &str) -> String {
    let slot_of = |s: &str| slot(scan_hash(s.as_bytes()));
    (0..)
        .map(|i| format!("other{i}"))
        .find(|o| slot_of(o) != slot_of(k))
        .expect("some key hashes elsewhere")
}

#[test]
fn a_missing_key_created_and_deleted_again_has_moved() {
    let other = key_in_another_slot("k");
    let mut ks = Keyspace::new();
    let before = digest(&ks, "k");

    // phase: writes to a key of another slot leave a missing key alone
    run(&mut ks, &["SET", &other, "x"]);
    run(&mut ks, &["DEL", &other]);
    assert_eq!(digest(&ks, "k"), before);

    // phase: created (the digest of a live key is never a missing key's) then deleted
    run(&mut ks, &["SET", "k", "a"]);
    assert_ne!(digest(&ks, "k"), before);
    run(&mut ks, &["DEL", "k"]);
    assert!(!ks.contains(&key("k"), NOW));
    assert_ne!(digest(&ks, "k"), before, "created and deleted again");

    // phase: created with a TTL, then gone by active expiry
    let before = digest(&ks, "k");
    run(&mut ks, &["SET", "k", "a", "PX", "10"]);
    assert!(ks.expire_if_due(&key("k"), NOW + 10));
    assert_ne!(digest(&ks, "k"), before, "created and expired");
}

#[test]
fn expiry_moves_the_digest_but_removing_an_already_expired_key_does_not() {
    let mut ks = Keyspace::new();
    run(&mut ks, &["SET", "k", "a", "PX", "10"]);
    let live = digest(&ks, "k");
    // phase: passive expiry (the key is still stored)
    let expired = ks.digest(&key("k"), NOW + 10).expect("digest");
    assert_ne!(expired, live);
    // phase: removing the expired key is no change (Redis 7.0: "logically no change")
    assert!(ks.expire_if_due(&key("k"), NOW + 10));
    assert_eq!(ks.digest(&key("k"), NOW + 10), Some(expired));
    // phase: a key expired when watched, then written, has moved
    run(&mut ks, &["SET", "k", "a", "PX", "10"]);
    let watched = ks.digest(&key("k"), NOW + 20).expect("digest");
    ks.execute_write(&argv(&["SET", "k", "a"]), NOW + 20, 7);
    assert_ne!(ks.digest(&key("k"), NOW + 20), Some(watched));
}

#[test]
fn every_keyspace_write_path_stamps_and_no_read_path_does() {
    let (k, j) = (key("k"), key("j"));
    let s = |v: &str| Value::Str(SmallBytes::new(v.as_bytes()));
    let mut ks = Keyspace::new();
    ks.insert(k.clone(), s("a"));
    let mut last = digest(&ks, "k");
    let mut moved = |ks: &Keyspace, path: &str| {
        let now = digest(ks, "k");
        assert_ne!(now, last, "{path} left the digest unchanged");
        last = now;
    };
    ks.insert(k.clone(), s("a"));
    moved(&ks, "insert");
    ks.insert_keep_ttl(k.clone(), s("a"), NOW);
    moved(&ks, "insert_keep_ttl");
    ks.insert_entry(k.clone(), Entry::new(s("a")));
    moved(&ks, "insert_entry");
    ks.get_value_mut(&k, NOW);
    moved(&ks, "get_value_mut");
    ks.set_expire(&k, Some(NOW + 100));
    moved(&ks, "set_expire");
    ks.get_value_mut(&k, NOW);
    moved(&ks, "get_value_mut with a TTL");
    ks.insert_keep_ttl(k.clone(), s("a"), NOW);
    moved(&ks, "insert_keep_ttl with a TTL");
    ks.set_expire(&k, None);
    moved(&ks, "set_expire(None)");
    ks.remove(&k, NOW);
    moved(&ks, "remove");
    ks.insert_entry(k.clone(), Entry::new(s("a")));
    moved(&ks, "insert_entry of a missing key");
    ks.clear();
    moved(&ks, "clear");
    ks.insert_entry(k.clone(), Entry::new(s("a")));
    moved(&ks, "insert_entry after clear (a full-sync chunk's import)");

    // phase: reads, and writes that find nothing to do, change no digest
    ks.insert(j.clone(), Value::List(Box::default()));
    let before = (digest(&ks, "k"), digest(&ks, "j"));
    ks.get(&k, NOW);
    ks.get_value(&k, NOW);
    ks.iter(NOW).count();
    ks.scan(0, 10, NOW);
    ks.expired_keys(u64::MAX, 10);
    ks.execute_read(&argv(&["GET", "k"]), NOW, 7);
    ks.execute_write(&argv(&["GET", "k"]), NOW, 7);
    assert!(!ks.expire_if_due(&k, NOW));
    assert!(ks.set_expire(&k, None), "clearing an absent TTL");
    assert!(!ks.remove_if_empty(&k));
    assert!(ks.remove(&key("nope"), NOW).is_none());
    assert_eq!((digest(&ks, "k"), digest(&ks, "j")), before);
    // remove_if_empty of an empty collection removes it (a missing key now)
    assert!(ks.remove_if_empty(&j));
    assert_ne!(digest(&ks, "j"), before.1);
}

#[test]
fn long_keys_are_stamped_like_short_ones() {
    let long = "l".repeat(crate::INLINE_MAX + 10);
    let mut ks = Keyspace::new();
    run(&mut ks, &["SADD", &long, "m"]);
    run(&mut ks, &["PEXPIRE", &long, "100000"]);
    let before = digest(&ks, &long);
    run(&mut ks, &["SADD", &long, "m"]);
    assert_eq!(digest(&ks, &long), before, "nothing added");
    run(&mut ks, &["SADD", &long, "n"]);
    assert_ne!(digest(&ks, &long), before);
}

#[path = "versions_snapshot_tests.rs"]
mod snapshot;
