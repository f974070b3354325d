//! Unit tests for the sorted-set commands; expected replies were taken from redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::{array, bulk, error, int, words, SYNTAX, WRONGTYPE};
use crate::zset_args::{parse_score, LexRange, ScoreRange};

fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 1_000, 1)
}

fn pairs(items: &[(&str, f64)]) -> Reply {
    Reply::Pairs(
        items
            .iter()
            .map(|(m, s)| (bulk(m), Reply::Double(*s)))
            .collect(),
    )
}

fn with_zset(items: &str) -> Keyspace {
    let mut ks = Keyspace::new();
    run(&mut ks, &format!("zadd z {items}"));
    run(&mut ks, "set s v");
    ks
}

#[test]
fn zadd_flags() {
    let mut ks = with_zset("1 a 2 b");
    assert_eq!(run(&mut ks, "zadd z 5 a 3 c"), int(1));
    assert_eq!(run(&mut ks, "zadd z ch 6 a 1 d"), int(2));
    assert_eq!(run(&mut ks, "zadd z nx 9 a 4 e"), int(1));
    assert_eq!(run(&mut ks, "zadd z xx ch 9 a 9 zz"), int(1));
    assert_eq!(run(&mut ks, "zadd z gt ch 1 a"), int(0));
    assert_eq!(run(&mut ks, "zadd z LT CH 1 a 7 new"), int(2));
    assert_eq!(
        run(&mut ks, "zrange z 0 -1 withscores"),
        pairs(&[
            ("a", 1.0),
            ("d", 1.0),
            ("b", 2.0),
            ("c", 3.0),
            ("e", 4.0),
            ("new", 7.0)
        ])
    );
    assert_eq!(run(&mut ks, "zadd nz xx 1 a"), int(0));
    assert!(!ks.contains(&Bytes::from_static(b"nz"), 0));
}

#[test]
fn zadd_errors_in_redis_order() {
    let mut ks = with_zset("1 a");
    assert_eq!(run(&mut ks, "zadd z nx xx 1"), error(SYNTAX));
    assert_eq!(
        run(&mut ks, "zadd s nx xx 1 a"),
        error("ERR XX and NX options at the same time are not compatible")
    );
    for opts in ["gt lt", "nx gt", "lt nx"] {
        assert_eq!(
            run(&mut ks, &format!("zadd z {opts} 1 a")),
            error("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
    }
    assert_eq!(
        run(&mut ks, "zadd z incr 1 a 2 b"),
        error("ERR INCR option supports a single increment-element pair")
    );
    assert_eq!(
        run(&mut ks, "zadd s x a"),
        error("ERR value is not a valid float")
    );
    assert_eq!(
        run(&mut ks, "zadd z 1 b x a"),
        error("ERR value is not a valid float")
    );
    assert_eq!(run(&mut ks, "zadd z 1 a x"), error(SYNTAX));
    assert_eq!(run(&mut ks, "zadd s 1 a"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "zcard z"), int(1));
}

#[test]
fn zadd_incr_and_zincrby() {
    let mut ks = with_zset("1 a");
    assert_eq!(run(&mut ks, "zadd z incr 1.5 a"), Reply::Double(2.5));
    assert_eq!(run(&mut ks, "zadd z incr nx 1 a"), Reply::Nil);
    assert_eq!(run(&mut ks, "zadd z incr xx 1 nothere"), Reply::Nil);
    assert_eq!(run(&mut ks, "zadd z incr gt -1 a"), Reply::Nil);
    assert_eq!(run(&mut ks, "zincrby z 2 b"), Reply::Double(2.0));
    assert_eq!(
        run(&mut ks, "zincrby z +inf b"),
        Reply::Double(f64::INFINITY)
    );
    assert_eq!(
        run(&mut ks, "zincrby z -inf b"),
        error("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(run(&mut ks, "zscore z b"), Reply::Double(f64::INFINITY));
    assert_eq!(
        run(&mut ks, "zincrby z nan b"),
        error("ERR value is not a valid float")
    );
    assert_eq!(run(&mut ks, "zincrby z nx a"), error(SYNTAX));
    assert_eq!(run(&mut ks, "zincrby s 1 a"), error(WRONGTYPE));
}

#[test]
fn scores_parse_like_strtod() {
    assert_eq!(parse_score(b"0x10"), Some(16.0));
    assert_eq!(parse_score(b"1e400"), None);
    assert_eq!(parse_score(b"1e-400"), None);
    assert_eq!(parse_score(b" 1"), None);
    assert_eq!(parse_score(b"1 "), None);
    assert_eq!(parse_score(b""), None);
    assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_score(b".5"), Some(0.5));
    // Range bounds accept what strtod accepts, including empty and leading spaces.
    let r = ScoreRange::parse(b"", b" 1e400").expect("valid range");
    assert_eq!((r.min, r.max), (0.0, f64::INFINITY));
    assert!(ScoreRange::parse(b"(", b"(2").is_some());
    assert!(ScoreRange::parse(b"1 ", b"2").is_none());
    assert!(ScoreRange::parse(b"nan", b"2").is_none());
    assert!(LexRange::parse(b"-", b"+").is_some());
    assert!(LexRange::parse(b"+a", b"+").is_none());
    assert!(LexRange::parse(b"", b"+").is_none());
    assert!(LexRange::parse(b"a", b"+").is_none());
}

#[test]
fn negative_zero_is_stored_as_zero() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "zincrby z -0 m"), Reply::Double(-0.0));
    match run(&mut ks, "zscore z m") {
        Reply::Double(v) => assert!(v == 0.0 && v.is_sign_positive()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn simple_reads() {
    let mut ks = with_zset("1 a 2 b 3 c");
    assert_eq!(run(&mut ks, "zscore z b"), Reply::Double(2.0));
    assert_eq!(run(&mut ks, "zscore z x"), Reply::Nil);
    assert_eq!(run(&mut ks, "zscore nz x"), Reply::Nil);
    assert_eq!(
        run(&mut ks, "zmscore z c x"),
        Reply::Array(vec![Reply::Double(3.0), Reply::Nil])
    );
    assert_eq!(run(&mut ks, "zmscore nz a"), Reply::Array(vec![Reply::Nil]));
    assert_eq!(run(&mut ks, "zcard z"), int(3));
    assert_eq!(run(&mut ks, "zcard nz"), int(0));
    assert_eq!(run(&mut ks, "zrank z c"), int(2));
    assert_eq!(run(&mut ks, "zrevrank z c"), int(0));
    assert_eq!(run(&mut ks, "zrank z x"), Reply::Nil);
    assert_eq!(run(&mut ks, "zcount z (1 3"), int(2));
    assert_eq!(run(&mut ks, "zcount z -inf +inf"), int(3));
    assert_eq!(run(&mut ks, "zcount z 3 1"), int(0));
    assert_eq!(
        run(&mut ks, "zcount nz x 1"),
        error("ERR min or max is not a float")
    );
    for cmd in [
        "zscore s a",
        "zmscore s a",
        "zcard s",
        "zrank s a",
        "zcount s 0 1",
    ] {
        assert_eq!(run(&mut ks, cmd), error(WRONGTYPE), "{cmd}");
    }
}

#[test]
fn zrem_removes_and_drops_empty_key() {
    let mut ks = with_zset("1 a 2 b");
    assert_eq!(run(&mut ks, "zrem z a x"), int(1));
    assert_eq!(run(&mut ks, "zrem z b"), int(1));
    assert!(!ks.contains(&Bytes::from_static(b"z"), 0));
    assert_eq!(run(&mut ks, "zrem nz a"), int(0));
    assert_eq!(run(&mut ks, "zrem s a"), error(WRONGTYPE));
}

#[test]
fn zrange_by_rank_score_and_lex() {
    let mut ks = with_zset("1 a 2 b 3 c 4 d 5 e 5 f");
    assert_eq!(run(&mut ks, "zrange z -2 -1 rev"), array(&["b", "a"]));
    assert_eq!(run(&mut ks, "zrange z 5 100"), array(&["f"]));
    assert_eq!(
        run(&mut ks, "zrevrange z 0 1 withscores"),
        pairs(&[("f", 5.0), ("e", 5.0)])
    );
    assert_eq!(run(&mut ks, "zrange z (1 (3 byscore"), array(&["b"]));
    assert_eq!(
        run(
            &mut ks,
            "zrange z +inf -inf byscore rev limit 2 2 withscores"
        ),
        pairs(&[("d", 4.0), ("c", 3.0)])
    );
    assert_eq!(
        run(&mut ks, "zrangebyscore z -inf +inf limit -1 2"),
        array(&[])
    );
    assert_eq!(
        run(&mut ks, "zrangebyscore z 4 +inf limit 1 -1"),
        array(&["e", "f"])
    );
    assert_eq!(
        run(&mut ks, "zrevrangebyscore z (5 (1"),
        array(&["d", "c", "b"])
    );
    assert_eq!(run(&mut ks, "zrange nz 0 -1"), array(&[]));
    assert_eq!(run(&mut ks, "zrange s 0 -1"), error(WRONGTYPE));
    let mut lx = with_zset("0 a 0 b 0 c 0 d");
    assert_eq!(run(&mut lx, "zrangebylex z [b (d"), array(&["b", "c"]));
    assert_eq!(
        run(&mut lx, "zrevrangebylex z + - limit 1 2"),
        array(&["c", "b"])
    );
    assert_eq!(
        run(&mut lx, "zrange z [d [b bylex rev"),
        array(&["d", "c", "b"])
    );
    assert_eq!(run(&mut lx, "zrangebylex z (a [a"), array(&[]));
    assert_eq!(run(&mut lx, "zrangebylex z - -"), array(&[]));
}

#[test]
fn zrange_option_errors() {
    let mut ks = with_zset("1 a");
    let cases = [
        (
            "zrange z 0 -1 limit 0 1",
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            "zrevrange z 0 -1 limit 0 1",
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            "zrangebylex z - + withscores",
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        ("zrange z 0 -1 byscore bylex", SYNTAX),
        ("zrange z 0 -1 rev rev", SYNTAX),
        ("zrangebyscore z 0 1 rev", SYNTAX),
        ("zrange z 0 -1 limit 0", SYNTAX),
        (
            "zrange z x 1",
            "ERR value is not an integer or out of range",
        ),
        (
            "zrange z 0 1 byscore limit x 1",
            "ERR value is not an integer or out of range",
        ),
        ("zrangebyscore z 1 x", "ERR min or max is not a float"),
        (
            "zrangebylex z a +",
            "ERR min or max not valid string range item",
        ),
        ("zrangestore d z 0 -1 withscores", SYNTAX),
    ];
    for (cmd, want) in cases {
        assert_eq!(run(&mut ks, cmd), error(want), "{cmd}");
    }
}

#[test]
fn zrangestore_replaces_or_deletes_destination() {
    let mut ks = with_zset("1 a 2 b 3 c");
    run(&mut ks, "set d x");
    let d = Bytes::from_static(b"d");
    ks.set_expire(&d, Some(5_000));
    assert_eq!(run(&mut ks, "zrangestore d z 1 2 byscore"), int(2));
    assert_eq!(ks.expire_at(&d, 0), Some(None));
    assert_eq!(
        run(&mut ks, "zrange d 0 -1 withscores"),
        pairs(&[("a", 1.0), ("b", 2.0)])
    );
    assert_eq!(run(&mut ks, "zrangestore d z 10 20"), int(0));
    assert!(!ks.contains(&d, 0));
    assert_eq!(run(&mut ks, "zrangestore d s 0 -1"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "zrangestore z z 0 0 rev"), int(1));
    assert_eq!(run(&mut ks, "zrange z 0 -1"), array(&["c"]));
}

#[test]
fn zpop_shapes_and_errors() {
    let mut ks = with_zset("1 a 2 b 3 c");
    assert_eq!(
        run(&mut ks, "zpopmin z"),
        Reply::Array(vec![bulk("a"), Reply::Double(1.0)])
    );
    assert_eq!(run(&mut ks, "zpopmax z 1"), pairs(&[("c", 3.0)]));
    assert_eq!(run(&mut ks, "zpopmin z 0"), pairs(&[]));
    assert_eq!(run(&mut ks, "zpopmin z 5"), pairs(&[("b", 2.0)]));
    assert!(!ks.contains(&Bytes::from_static(b"z"), 0));
    assert_eq!(run(&mut ks, "zpopmin z"), Reply::Array(vec![]));
    assert_eq!(run(&mut ks, "zpopmin z 2"), Reply::Array(vec![]));
    let positive = error("ERR value is out of range, must be positive");
    assert_eq!(run(&mut ks, "zpopmin z -1"), positive);
    assert_eq!(run(&mut ks, "zpopmax z x"), positive);
    assert_eq!(run(&mut ks, "zpopmin z 1 2"), error(SYNTAX));
    assert_eq!(run(&mut ks, "zpopmin s 0"), error(WRONGTYPE));
}

#[test]
fn zscan_returns_everything_at_once() {
    let mut ks = with_zset("1 a 1.5 b 0.1 key:1");
    let scan = |items: &[&str]| Reply::Array(vec![bulk("0"), array(items)]);
    assert_eq!(
        run(&mut ks, "zscan z 0"),
        scan(&["key:1", "0.10000000000000001", "a", "1", "b", "1.5"])
    );
    assert_eq!(
        run(&mut ks, "zscan z 7 MATCH key:* COUNT 1"),
        scan(&["key:1", "0.10000000000000001"])
    );
    assert_eq!(run(&mut ks, "zscan nz 0 count 0"), scan(&[]));
    assert_eq!(run(&mut ks, "zscan z x"), error("ERR invalid cursor"));
    assert_eq!(run(&mut ks, "zscan z 0 count 0"), error(SYNTAX));
    assert_eq!(run(&mut ks, "zscan z 0 type zset"), error(SYNTAX));
    assert_eq!(
        run(&mut ks, "zscan z 0 count x"),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(run(&mut ks, "zscan s 0"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "zscan s x"), error("ERR invalid cursor"));
}
