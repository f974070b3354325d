//! Unit tests of the pure parts; expected values come from redis-server 7.0.15.

use bytes::Bytes;
use meridian_keyspace::Databases;
use meridian_resp::Protocol;
use meridian_types::Reply;

use super::debug::{memtoull, protocol, PROTOCOL_DOUBLE};
use super::digest::{dataset_digest, hex, value_digest};
use super::getkeys::getkeys;
use super::histogram::Histogram;
use super::latency::{doctor, LatencyMonitor};
use super::sha1::sha1;
use super::slowlog::{entry_argv, redact, SlowLog};
use crate::resp::dispatch::Answer;

fn argv(items: &[&str]) -> Vec<Bytes> {
    items
        .iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

fn run(dbs: &mut Databases, db: u32, cmd: &[&str]) {
    let mut db = db;
    let reply = dbs.execute_write(&mut db, &argv(cmd), 1_000, 7);
    assert!(!matches!(reply, Reply::Error(_)), "{cmd:?}: {reply:?}");
}

#[test]
fn sha1_matches_the_standard_vectors() {
    assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_eq!(
        hex(&sha1(b"abc")),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    let long = vec![b'a'; 1000];
    assert_eq!(
        hex(&sha1(&long)),
        "291e9a6c66994949b57ba5e650361e98fc36b1ba"
    );
}

#[test]
fn slowlog_entries_are_trimmed_like_slowlog_create_entry() {
    // tests/unit/slowlog.tcl "commands with too many arguments are trimmed".
    let mut args = vec!["sadd".to_string(), "set".to_string()];
    args.extend((3..=33).map(|n| n.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let kept = entry_argv(&argv(&refs));
    assert_eq!(kept.len(), 32);
    assert_eq!(kept[30], Bytes::from("31"));
    assert_eq!(kept[31], Bytes::from("... (2 more arguments)"));
    // "too long arguments are trimmed": 129 bytes keep 128 and say one more.
    let long = "A".repeat(129);
    let kept = entry_argv(&argv(&["sadd", "set", "foo", &long]));
    assert_eq!(
        kept[3],
        Bytes::from(format!("{}... (1 more bytes)", "A".repeat(128)))
    );
    assert_eq!(entry_argv(&argv(&["get", "k"])), argv(&["get", "k"]));
}

#[test]
fn slowlog_redacts_credentials_and_keeps_newest_first_within_max_len() {
    assert_eq!(
        redact(&argv(&["AUTH", "pw"])),
        argv(&["AUTH", "(redacted)"])
    );
    assert_eq!(
        redact(&argv(&["auth", "u", "pw"])),
        argv(&["auth", "(redacted)", "(redacted)"])
    );
    assert_eq!(
        redact(&argv(&["hello", "3", "AUTH", "u", "p", "SETNAME", "n"])),
        argv(&[
            "hello",
            "3",
            "AUTH",
            "(redacted)",
            "(redacted)",
            "SETNAME",
            "n"
        ])
    );
    assert_eq!(
        redact(&argv(&[
            "config",
            "set",
            "masterauth",
            "x",
            "maxclients",
            "5"
        ])),
        argv(&[
            "config",
            "set",
            "masterauth",
            "(redacted)",
            "maxclients",
            "5"
        ])
    );
    let mut log = SlowLog::default();
    for i in 0..5 {
        log.push(&argv(&["ping", &i.to_string()]), 10, 100, "1.2.3.4:5", "");
        log.trim(3);
    }
    assert_eq!(log.len(), 3);
    let ids: Vec<i64> = log.newest(10).map(|e| e.id).collect();
    assert_eq!(ids, vec![4, 3, 2]);
}

#[test]
fn latency_keeps_the_highest_sample_per_second_and_resets_by_name() {
    let mut m = LatencyMonitor::default();
    m.add_sample("command", 5, 1000);
    m.add_sample("command", 9, 1000);
    m.add_sample("command", 3, 1000);
    m.add_sample("command", 4, 1001);
    m.add_sample("fast-command", 2, 1001);
    let (_, ts) = &m.events[0];
    let samples: Vec<(i64, u64)> = ts.ordered().map(|s| (s.time, s.ms)).collect();
    assert_eq!(samples, vec![(1000, 9), (1001, 4)]);
    assert_eq!(ts.max, 9);
    assert_eq!(m.reset(Some(b"COMMAND")), 1);
    assert_eq!(m.reset(None), 1);
    assert!(m.events.is_empty());
}

#[test]
fn latency_doctor_texts_match_redis() {
    let m = LatencyMonitor::default();
    assert!(doctor(&m, 0, 10000, 0).starts_with("I'm sorry, Dave, I can't do that."));
    assert!(doctor(&m, 100, 10000, 0).starts_with("Dave, no latency spike was observed"));
    let mut m = LatencyMonitor::default();
    m.add_sample("command", 200, 100);
    let report = doctor(&m, 100, 10000, 101);
    assert!(report.contains("1. command: 1 latency spikes (average 200ms, mean deviation 0ms, period 1.00 sec). Worst all time event 200ms."), "{report}");
}

#[test]
fn histogram_buckets_follow_redis_hdr_layout() {
    // Redis's MEMORY MALLOC-STATS at ~1.05 ms reported "1056 1", COMMAND INFO "2113".
    let mut h = Histogram::default();
    h.record(1_050_000);
    assert_eq!(h.cdf(), vec![(1056, 1)]);
    let mut h = Histogram::default();
    h.record(2_100_000);
    assert_eq!(h.cdf(), vec![(2113, 1)]);
    // Cumulative counts over several buckets; below 1 µs all land in the first report.
    let mut h = Histogram::default();
    for v in [500, 900, 8_000, 8_100, 60_000] {
        h.record(v);
    }
    assert_eq!(h.calls(), 5);
    assert_eq!(h.cdf(), vec![(1, 2), (8, 4), (66, 5)]);
}

#[test]
fn digests_match_redis_server() {
    let mut dbs = Databases::new();
    assert_eq!(hex(&dataset_digest(&dbs)), "0".repeat(40));
    run(&mut dbs, 0, &["set", "a", "1"]);
    assert_eq!(
        hex(&dataset_digest(&dbs)),
        "943d800368fb9c0e951138f1bc0e313ac769d91f"
    );
    run(&mut dbs, 0, &["rpush", "l", "a", "b", "c"]);
    run(&mut dbs, 0, &["sadd", "s", "x", "y"]);
    run(&mut dbs, 0, &["zadd", "z", "1.5", "m", "2", "n"]);
    run(&mut dbs, 0, &["hset", "h", "f", "v", "g", "w"]);
    let db = dbs.db(0);
    let value = |k: &str| hex(&value_digest(db, &Bytes::copy_from_slice(k.as_bytes())));
    assert_eq!(value("a"), "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da");
    assert_eq!(value("l"), "8bf72d812571eea9b927f3c11beb0c4165a6ff89");
    assert_eq!(value("s"), "36846f8a92fb6b6b824c73bf468c5bbcf5075ede");
    assert_eq!(value("z"), "908aeffe4e922542b456cb5c8f5b1961a763d7dd");
    assert_eq!(value("h"), "d127864ed50239662bf61bafc9bda63c17da5b37");
    assert_eq!(value("nokey"), "0".repeat(40));
    assert_eq!(
        hex(&dataset_digest(&dbs)),
        "0cb6088238ad0722b5243c3ffb60910e74eae1e5"
    );
    run(&mut dbs, 0, &["set", "e", "v", "ex", "100"]);
    let expiring = value_digest(dbs.db(0), &Bytes::from("e"));
    assert_eq!(hex(&expiring), "311b17018163335616e089f6b951c82c477335ac");
}

#[test]
fn digest_covers_the_database_number() {
    let mut dbs = Databases::new();
    run(&mut dbs, 1, &["set", "a", "1"]);
    assert_eq!(
        hex(&dataset_digest(&dbs)),
        "8c8a6be2ca87c2882fea78af15ce43b8c3792dad"
    );
    run(&mut dbs, 0, &["set", "a", "1"]);
    run(&mut dbs, 0, &["rpush", "l", "a", "b", "c"]);
    run(&mut dbs, 0, &["sadd", "s", "x", "y"]);
    run(&mut dbs, 0, &["zadd", "z", "1.5", "m", "2", "n"]);
    run(&mut dbs, 0, &["hset", "h", "f", "v", "g", "w"]);
    run(&mut dbs, 0, &["set", "e", "v", "ex", "100"]);
    assert_eq!(
        hex(&dataset_digest(&dbs)),
        "0cd4a6156a82304d4ff72340a113fe2ed7f396ca"
    );
}

fn keys(args: &[&str]) -> Reply {
    let mut v = vec!["command", "getkeys"];
    v.extend_from_slice(args);
    getkeys(&argv(&v))
}

fn flags(args: &[&str]) -> Reply {
    let mut v = vec!["command", "getkeysandflags"];
    v.extend_from_slice(args);
    getkeys(&argv(&v))
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| Reply::bulk(s.to_string())).collect())
}

fn err(text: &str) -> Reply {
    Reply::Error(text.into())
}

#[test]
fn getkeys_matches_redis_server() {
    assert_eq!(keys(&["set", "a", "b"]), bulks(&["a"]));
    assert_eq!(keys(&["mset", "a", "1", "b", "2"]), bulks(&["a", "b"]));
    assert_eq!(keys(&["mset", "a", "1", "b"]), bulks(&["a", "b"]));
    assert_eq!(
        keys(&["zunionstore", "d", "2", "a", "b", "weights", "1", "2"]),
        bulks(&["d", "a", "b"])
    );
    assert_eq!(keys(&["zinter", "2", "a", "b"]), bulks(&["a", "b"]));
    assert_eq!(keys(&["lmpop", "2", "a", "b", "left"]), bulks(&["a", "b"]));
    assert_eq!(keys(&["zmpop", "1", "a", "min"]), bulks(&["a"]));
    assert_eq!(keys(&["sort", "a", "store", "b"]), bulks(&["a", "b"]));
    assert_eq!(keys(&["sort", "a"]), bulks(&["a"]));
    assert_eq!(
        keys(&[
            "georadius",
            "a",
            "1",
            "2",
            "3",
            "km",
            "store",
            "b",
            "storedist",
            "c"
        ]),
        bulks(&["a", "b", "c"])
    );
    assert_eq!(keys(&["memory", "usage", "k"]), bulks(&["k"]));
    assert_eq!(keys(&["object", "encoding", "k"]), bulks(&["k"]));
    assert_eq!(keys(&["foo", "a"]), err("ERR Invalid command specified"));
    assert_eq!(
        keys(&["zunionstore", "d", "x", "a"]),
        err("ERR Invalid arguments specified for command")
    );
    assert_eq!(
        keys(&["zunionstore", "d", "3", "a"]),
        err("ERR Invalid arguments specified for command")
    );
    assert_eq!(
        keys(&["set", "a"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        keys(&["get", "a", "b"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        keys(&["client", "list"]),
        err("ERR The command has no key arguments")
    );
    assert_eq!(keys(&["ping"]), err("ERR The command has no key arguments"));
}

fn with_flags(items: &[(&str, &[&str])]) -> Reply {
    Reply::Array(
        items
            .iter()
            .map(|(k, f)| {
                Reply::Array(vec![
                    Reply::bulk(k.to_string()),
                    Reply::Set(f.iter().map(|s| Reply::Status(s.to_string())).collect()),
                ])
            })
            .collect(),
    )
}

#[test]
fn getkeysandflags_matches_redis_server() {
    assert_eq!(
        flags(&["set", "a", "b"]),
        with_flags(&[("a", &["OW", "update"])])
    );
    assert_eq!(
        flags(&["lmove", "a", "b", "left", "right"]),
        with_flags(&[("a", &["RW", "access", "delete"]), ("b", &["RW", "insert"])])
    );
    assert_eq!(
        flags(&["zunionstore", "d", "2", "a", "b"]),
        with_flags(&[
            ("d", &["OW", "update"]),
            ("a", &["RO", "access"]),
            ("b", &["RO", "access"])
        ])
    );
    assert_eq!(
        flags(&["getex", "a"]),
        with_flags(&[("a", &["RW", "access", "update"])])
    );
    assert_eq!(
        flags(&["sort", "a", "store", "b"]),
        with_flags(&[("a", &["RO", "access"]), ("b", &["OW", "update"])])
    );
    assert_eq!(
        flags(&["del", "a", "b"]),
        with_flags(&[("a", &["RM", "delete"]), ("b", &["RM", "delete"])])
    );
    assert_eq!(
        flags(&["rename", "a", "b"]),
        with_flags(&[("a", &["RW", "access", "delete"]), ("b", &["OW", "update"])])
    );
}

#[test]
fn debug_protocol_answers_each_type_as_redis() {
    let raw = |a: Answer| match a {
        Answer::Raw(b) => b,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        raw(protocol(b"attrib", Protocol::Resp3)),
        Bytes::from_static(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n")
    );
    assert_eq!(
        raw(protocol(b"push", Protocol::Resp3)),
        Bytes::from_static(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n")
    );
    assert_eq!(
        raw(protocol(b"BIGNUM", Protocol::Resp3)),
        Bytes::from_static(b"(1234567999999999999999999999999999999\r\n")
    );
    assert!(matches!(
        protocol(b"push", Protocol::Resp2),
        Answer::Reply(Reply::Error(e)) if e == "ERR RESP2 is not supported by this command"
    ));
    assert!(
        matches!(protocol(b"double", Protocol::Resp2), Answer::Reply(Reply::Double(d)) if d == PROTOCOL_DOUBLE)
    );
}

#[test]
fn memory_units_parse_like_memtoull() {
    assert_eq!(memtoull(b"0"), Some(0));
    assert_eq!(memtoull(b"1k"), Some(1000));
    assert_eq!(memtoull(b"1KB"), Some(1024));
    assert_eq!(memtoull(b"5gb"), Some(5 << 30));
    assert_eq!(memtoull(b"x"), None);
}
