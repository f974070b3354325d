//! What the server uses to block: block_spec, retry_argv, timeout_reply, served_nothing,
//! Databases::block_ready, and the timeout argument. Timeout values were checked against
//! redis-server 7.0.15 (accepted or which error) and against `(long long) ceill(strtold(s) *
//! 1000.0)` compiled with gcc on x86-64 (the milliseconds).

use bytes::Bytes;
use meridian_types::Reply;

use super::tests::{fixture, run, NEGATIVE, NOT_FLOAT, NOW};
use super::timeout::timeout_ms;
use super::{block_spec, retry_argv, served_nothing, timeout_reply, BlockFamily, BlockSpec};
use crate::databases::Databases;
use crate::test_util::{bulk, error, words};

fn spec(family: BlockFamily, keys: &str, timeout_ms: u64) -> BlockSpec {
    BlockSpec {
        family,
        keys: words(keys),
        timeout_ms,
    }
}

#[test]
fn block_spec_names_the_keys_waited_on_and_the_timeout() {
    use BlockFamily::{List, Zset};
    for (cmd, expected) in [
        ("blpop a b 1.5", spec(List, "a b", 1500)),
        ("BRPOP a b a c 0", spec(List, "a b c", 0)),
        ("blmove src dst left right 0.25", spec(List, "src", 250)),
        ("brpoplpush src dst 2", spec(List, "src", 2000)),
        ("blmpop 0.1 2 a b left count 3", spec(List, "a b", 100)),
        ("bzpopmin z 0", spec(Zset, "z", 0)),
        ("bzpopmax z y 1e-3", spec(Zset, "z y", 1)),
        ("bzmpop 3 1 z max", spec(Zset, "z", 3000)),
    ] {
        assert_eq!(block_spec(&words(cmd)), Some(Ok(expected)), "{cmd}");
    }
    for cmd in ["lpop l", "get k", "nosuchcommand a b", "zmpop 1 z min"] {
        assert_eq!(block_spec(&words(cmd)), None, "{cmd}");
    }
    assert_eq!(block_spec(&[]), None);
}

#[test]
fn block_spec_errors_are_the_commands_own() {
    for cmd in [
        "blpop s l x",
        "brpop l -1",
        "blmove l d up right 0",
        "blmove l d left right -0.5",
        "brpoplpush l d nan",
        "blmpop 0 0 l left",
        "blmpop x 1 l left count 0",
        "blmpop x 1 l left",
        "bzmpop 0 1 z min foo",
        "bzpopmax z inf",
        "blpop l",
        "bzmpop 0 1 z",
    ] {
        let expected = run(&mut fixture(), cmd);
        assert!(expected.is_error(), "{cmd}");
        assert_eq!(block_spec(&words(cmd)), Some(Err(expected)), "{cmd}");
    }
    // Types are the command's business, not the spec's.
    assert!(matches!(block_spec(&words("blpop s 0")), Some(Ok(_))));
}

#[test]
fn timeout_is_read_as_redis_reads_it() {
    for (arg, ms) in [
        ("0", 0),
        ("1", 1000),
        ("0.5", 500),
        ("0.1", 100),
        ("2.3", 2300),
        ("1.001", 1001),
        ("0.001", 1),
        ("0.0001", 1),
        ("1e-30", 1),
        ("0.0010000000000000000001", 2),
        ("123.4567891", 123457),
        ("-0", 0),
        ("-0.0001", 0),
        ("-1e-30", 0),
        // The long double nearest 0.001 is just below it.
        ("-0.001", 0),
        ("+1", 1000),
        ("1.", 1000),
        (".5", 500),
        ("1e3", 1_000_000),
        ("0x10", 16000),
        ("0x1.8p-3", 188),
        ("-0x1p-10", 0),
        ("4503599627370495.5", 4503599627370495500),
        ("9223372036854775", 9223372036854775000),
        ("9223372036854775.807", 9223372036854775807),
    ] {
        assert_eq!(timeout_ms(arg.as_bytes()), Ok(ms), "{arg}");
    }
    for (arg, expected) in [
        ("x", NOT_FLOAT),
        ("", NOT_FLOAT),
        (" 1", NOT_FLOAT),
        ("1 ", NOT_FLOAT),
        ("1e", NOT_FLOAT),
        ("nan", NOT_FLOAT),
        ("1e-5000", NOT_FLOAT),
        ("1e5000", NOT_FLOAT),
        ("-1", NEGATIVE),
        ("-0.0011", NEGATIVE),
        ("-0.0010000000000000000001", NEGATIVE),
        ("-0x1p-9", NEGATIVE),
        // Past i64 milliseconds the C cast yields LLONG_MIN, and so does an infinity.
        ("9223372036854775.808", NEGATIVE),
        ("9223372036854776", NEGATIVE),
        ("9223372036854775807", NEGATIVE),
        ("1e400", NEGATIVE),
        ("inf", NEGATIVE),
        ("-inf", NEGATIVE),
        ("+Infinity", NEGATIVE),
    ] {
        assert_eq!(timeout_ms(arg.as_bytes()), Err(error(expected)), "{arg:?}");
    }
}

#[test]
fn retry_argv_keeps_the_request_but_the_keys_and_timeout() {
    let ready = words("r1 r2");
    for (cmd, expected) in [
        ("BLPOP a r1 b r2 5", "BLPOP r1 r2 0"),
        ("brpop r1 r2 0.5", "brpop r1 r2 0"),
        ("bzpopmin r1 x r2 1", "bzpopmin r1 r2 0"),
        ("bzpopmax r2 r1 r2 1", "bzpopmax r1 r2 0"),
        (
            "blmpop 2.5 3 r1 x r2 LEFT COUNT 3",
            "blmpop 0 2 r1 r2 LEFT COUNT 3",
        ),
        ("bzmpop 1 2 r1 r2 max", "bzmpop 0 2 r1 r2 max"),
        ("blmove r1 dst left right 7", "blmove r1 dst left right 0"),
        ("brpoplpush r1 dst 7", "brpoplpush r1 dst 0"),
        ("get r1", "get r1"),
    ] {
        assert_eq!(retry_argv(&words(cmd), &ready), words(expected), "{cmd}");
    }
    // Keys go through byte for byte.
    let odd = vec![Bytes::from_static(b"k 1"), Bytes::from_static(b"\xff")];
    let expected: Vec<Bytes> = vec![
        Bytes::from_static(b"blpop"),
        odd[0].clone(),
        odd[1].clone(),
        Bytes::from_static(b"0"),
    ];
    assert_eq!(retry_argv(&words("blpop x 0"), &odd), expected);
}

#[test]
fn a_retry_serves_the_ready_keys_only() {
    let mut ks = fixture();
    run(&mut ks, "rpush m x");
    let argv = words("blpop l m 0");
    let retry = retry_argv(&argv, &words("m"));
    assert_eq!(
        ks.execute_write(&retry, NOW, 7),
        Reply::Array(vec![bulk("m"), bulk("x")])
    );
}

#[test]
fn timeout_reply_is_what_the_command_answers_when_every_key_is_empty() {
    for cmd in [
        "blpop e 0",
        "brpop e 0",
        "blmove e d left left 0",
        "brpoplpush e d 0",
        "blmpop 0 1 e left",
        "bzpopmin e 0",
        "bzpopmax e 0",
        "bzmpop 0 1 e min",
    ] {
        let reply = run(&mut fixture(), cmd);
        assert_eq!(timeout_reply(&words(cmd)), reply, "{cmd}");
        assert!(served_nothing(&reply), "{cmd}");
    }
    for served in [
        run(&mut fixture(), "blpop l 0"),
        run(&mut fixture(), "blmove l d left left 0"),
        run(&mut fixture(), "blmpop 0 1 l left"),
        run(&mut fixture(), "bzpopmin z 0"),
        run(&mut fixture(), "blpop s 0"),
    ] {
        assert!(!served_nothing(&served), "{served:?}");
    }
}

#[test]
fn block_ready_sees_live_non_empty_values_of_the_family() {
    let mut dbs = Databases::new();
    let mut db = 0;
    for cmd in [
        "rpush l a",
        "zadd z 1 a",
        "set s v",
        "sadd set a",
        "rpush old a",
        "pexpire old 100",
        "select 3",
        "zadd z3 1 a",
    ] {
        dbs.execute_write(&mut db, &words(cmd), NOW, 7);
    }
    use BlockFamily::{List, Zset};
    for (db, key, family, now, ready) in [
        (0, "l", List, NOW, true),
        (0, "l", Zset, NOW, false),
        (0, "z", Zset, NOW, true),
        (0, "z", List, NOW, false),
        (0, "s", List, NOW, false),
        (0, "set", Zset, NOW, false),
        (0, "missing", List, NOW, false),
        (0, "old", List, NOW + 99, true),
        (0, "old", List, NOW + 100, false),
        (3, "z3", Zset, NOW, true),
        (1, "z3", Zset, NOW, false),
        (9, "l", List, NOW, false),
    ] {
        assert_eq!(
            dbs.block_ready(db, key.as_bytes(), family, now),
            ready,
            "db {db} {key} {family:?} at {now}"
        );
    }
}
