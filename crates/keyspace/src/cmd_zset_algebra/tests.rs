//! Unit tests for the sorted-set algebra, range removals, ZRANDMEMBER, ZMPOP and LMPOP;
//! expected replies were taken from redis-server 7.0.15.

use meridian_types::Reply;

use crate::command::lookup;
use crate::db::Keyspace;
use crate::test_util::{array, bulk, error, exists, int, words, SYNTAX, WRONGTYPE};

fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 1_000, 7)
}

fn read(ks: &Keyspace, cmd: &str) -> Reply {
    ks.execute_read(&words(cmd), 1_000, 7)
}

fn pairs(items: &[(&str, f64)]) -> Reply {
    Reply::Pairs(
        items
            .iter()
            .map(|(m, s)| (bulk(m), Reply::Double(*s)))
            .collect(),
    )
}

/// z1 = {a:1 b:2 c:3}, z2 = {b:10 c:20 d:30}, s1 = set {a d x}, str = a string.
fn fixture() -> Keyspace {
    let mut ks = Keyspace::new();
    for cmd in [
        "zadd z1 1 a 2 b 3 c",
        "zadd z2 10 b 20 c 30 d",
        "sadd s1 a d x",
        "set str v",
    ] {
        run(&mut ks, cmd);
    }
    ks
}

#[test]
fn command_table_matches_redis_command_info() {
    let expect: &[(&str, i32, &[&str], i32)] = &[
        ("zunionstore", -4, &["write", "denyoom", "movablekeys"], 1),
        ("zinterstore", -4, &["write", "denyoom", "movablekeys"], 1),
        ("zdiffstore", -4, &["write", "denyoom", "movablekeys"], 1),
        ("zunion", -3, &["readonly", "movablekeys"], 0),
        ("zinter", -3, &["readonly", "movablekeys"], 0),
        ("zdiff", -3, &["readonly", "movablekeys"], 0),
        ("zintercard", -3, &["readonly", "movablekeys"], 0),
        ("zremrangebyscore", 4, &["write"], 1),
        ("zremrangebyrank", 4, &["write"], 1),
        ("zremrangebylex", 4, &["write"], 1),
        ("zlexcount", 4, &["readonly", "fast"], 1),
        ("zrandmember", -2, &["readonly"], 1),
        ("zmpop", -4, &["write", "movablekeys"], 0),
        ("lmpop", -4, &["write", "movablekeys"], 0),
    ];
    for (name, arity, flags, first) in expect {
        let def = lookup(name.as_bytes()).expect("registered");
        assert_eq!(
            (def.arity, def.flags, def.first_key),
            (*arity, *flags, *first)
        );
        assert_eq!(def.is_write(), flags.contains(&"write"), "{name}");
        if *first == 1 {
            assert_eq!((def.last_key, def.step), (1, 1), "{name}");
        }
    }
}

#[test]
fn union_weights_and_aggregates() {
    let ks = fixture();
    let cases: &[(&str, &[(&str, f64)])] = &[
        (
            "zunion 2 z1 z2 withscores",
            &[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)],
        ),
        (
            "zunion 2 z1 z2 weights 2 0.5 withscores",
            &[("a", 2.0), ("b", 9.0), ("d", 15.0), ("c", 16.0)],
        ),
        (
            "zunion 2 z1 z2 aggregate min withscores",
            &[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 30.0)],
        ),
        (
            "zunion 2 z1 z2 aggregate max withscores",
            &[("a", 1.0), ("b", 10.0), ("c", 20.0), ("d", 30.0)],
        ),
        (
            "zunion 3 z1 z2 s1 withscores",
            &[
                ("x", 1.0),
                ("a", 2.0),
                ("b", 12.0),
                ("c", 23.0),
                ("d", 31.0),
            ],
        ),
        (
            "zunion 1 z1 weights 1 weights 2 withscores",
            &[("a", 2.0), ("b", 4.0), ("c", 6.0)],
        ),
        (
            "zunion 1 z1 WEIGHTS 3 AGGREGATE MAX WITHSCORES",
            &[("a", 3.0), ("b", 6.0), ("c", 9.0)],
        ),
        (
            "zunion 1 z1 weights 0x10 withscores",
            &[("a", 16.0), ("b", 32.0), ("c", 48.0)],
        ),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), pairs(expected), "{cmd}");
    }
    assert_eq!(
        read(&ks, "zunion 3 z1 z2 nokey"),
        array(&["a", "b", "c", "d"])
    );
}

#[test]
fn inter_diff_and_intercard() {
    let ks = fixture();
    let cases: &[(&str, &[(&str, f64)])] = &[
        ("zinter 2 z1 z2 withscores", &[("b", 12.0), ("c", 23.0)]),
        ("zinter 2 z1 s1 withscores", &[("a", 2.0)]),
        ("zinter 3 z1 z2 nokey withscores", &[]),
        (
            "zinter 2 z1 z2 weights 1 -1 aggregate max withscores",
            &[("b", 2.0), ("c", 3.0)],
        ),
        (
            "zinter 2 z1 z1 weights 1 2 withscores",
            &[("a", 3.0), ("b", 6.0), ("c", 9.0)],
        ),
        ("zdiff 2 z1 z2 withscores", &[("a", 1.0)]),
        ("zdiff 2 z2 s1 withscores", &[("b", 10.0), ("c", 20.0)]),
        ("zdiff 2 s1 z1 withscores", &[("d", 1.0), ("x", 1.0)]),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), pairs(expected), "{cmd}");
    }
    assert_eq!(read(&ks, "zdiff 1 nokey"), array(&[]));
    assert_eq!(read(&ks, "zintercard 2 z1 z2"), int(2));
    assert_eq!(read(&ks, "zintercard 2 z1 z2 limit 1"), int(1));
    assert_eq!(read(&ks, "zintercard 2 z1 z2 limit 0"), int(2));
    assert_eq!(read(&ks, "zintercard 1 s1"), int(3));
    assert_eq!(read(&ks, "zintercard 1 z1 limit 1 limit 2"), int(2));
}

#[test]
fn nan_and_signed_zero_scores_follow_redis() {
    let mut ks = Keyspace::new();
    run(&mut ks, "zadd zinf inf a -inf b");
    run(&mut ks, "zadd zz 0 a");
    run(&mut ks, "zadd p 0.1 p");
    run(&mut ks, "zadd zi 1 a 2 b");
    let cases: &[(&str, &[(&str, f64)])] = &[
        ("zunion 3 p p p withscores", &[("p", 0.30000000000000004)]),
        (
            "zunion 2 zinf zinf weights 1 -1 withscores",
            &[("a", 0.0), ("b", 0.0)],
        ),
        (
            "zinter 2 zinf zinf weights 1 -1 withscores",
            &[("a", 0.0), ("b", 0.0)],
        ),
        (
            "zinter 2 zinf zinf weights 1 -1 aggregate min withscores",
            &[("a", f64::NEG_INFINITY), ("b", f64::NEG_INFINITY)],
        ),
        (
            "zunion 1 zinf weights 0 withscores",
            &[("a", 0.0), ("b", 0.0)],
        ),
        // Equal cardinalities keep the argument order: 0 * -inf (NaN, so 0) + 1.
        (
            "zinter 2 zinf zi weights 0 1 withscores",
            &[("a", 1.0), ("b", 2.0)],
        ),
        (
            "zinter 2 zi zinf weights 0 1 withscores",
            &[("b", f64::NEG_INFINITY), ("a", f64::INFINITY)],
        ),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), pairs(expected), "{cmd}");
    }
    // Redis answers "-0" for these: the sign of zero is kept until a store.
    for (cmd, negative) in [
        ("zunion 1 zz weights -1 withscores", true),
        (
            "zinter 2 zz zz weights -1 -1 aggregate min withscores",
            true,
        ),
        (
            "zinter 2 zz zz weights 1 -1 aggregate min withscores",
            false,
        ),
        ("zinter 2 zz zz weights -1 1 aggregate min withscores", true),
    ] {
        let Reply::Pairs(p) = read(&ks, cmd) else {
            panic!("{cmd}: not pairs");
        };
        let Reply::Double(s) = p[0].1 else {
            panic!("{cmd}: not a double");
        };
        assert_eq!((s, s.is_sign_negative()), (0.0, negative), "{cmd}");
    }
    assert_eq!(run(&mut ks, "zunionstore d 1 zz weights -1"), int(1));
    let Reply::Double(stored) = read(&ks, "zscore d a") else {
        panic!("zscore d a: not a double");
    };
    assert!(!stored.is_sign_negative());
}

#[test]
fn stores_replace_or_delete_the_destination() {
    let mut ks = fixture();
    assert_eq!(run(&mut ks, "zunionstore dst 2 z1 z2 weights 1 2"), int(4));
    assert_eq!(
        read(&ks, "zrange dst 0 -1 withscores"),
        pairs(&[("a", 1.0), ("b", 22.0), ("c", 43.0), ("d", 60.0)])
    );
    assert_eq!(run(&mut ks, "zinterstore dst 2 z1 s1"), int(1));
    assert_eq!(
        read(&ks, "zrange dst 0 -1 withscores"),
        pairs(&[("a", 2.0)])
    );
    assert_eq!(run(&mut ks, "zdiffstore dst 2 z1 z1"), int(0));
    assert!(!exists(&ks, "dst"));
    run(&mut ks, "set dst2 v");
    assert_eq!(run(&mut ks, "zunionstore dst2 1 z1"), int(3));
    assert_eq!(read(&ks, "type dst2"), Reply::Status("zset".into()));
    assert_eq!(run(&mut ks, "zunionstore dst2 2 z1 str"), error(WRONGTYPE));
    assert_eq!(read(&ks, "zcard dst2"), int(3));
    assert_eq!(run(&mut ks, "zunionstore z1 2 z1 z2"), int(4));
    assert_eq!(read(&ks, "zscore z1 d"), Reply::Double(30.0));
}

#[test]
fn algebra_errors_in_redis_order() {
    let mut ks = fixture();
    for name in ["zunion", "zinter", "zdiff", "zintercard"] {
        let msg = format!("ERR at least 1 input key is needed for '{name}' command");
        assert_eq!(read(&ks, &format!("{name} 0 z1")), error(&msg));
        assert_eq!(read(&ks, &format!("{name} -1 z1")), error(&msg));
    }
    for name in ["zunionstore", "zinterstore", "zdiffstore"] {
        let msg = format!("ERR at least 1 input key is needed for '{name}' command");
        assert_eq!(run(&mut ks, &format!("{name} d 0 z1")), error(&msg));
    }
    let not_int = "ERR value is not an integer or out of range";
    let weight = "ERR weight value is not a float";
    let limit = "ERR LIMIT can't be negative";
    let cases: &[(&str, &str)] = &[
        ("zunion abc z1", not_int),
        ("zunion 3 z1", SYNTAX),
        ("zunion 2 z1", SYNTAX),
        ("zunion 9223372036854775807 z1", SYNTAX),
        ("zunion 1 z1 weights a", weight),
        ("zunion 1 z1 weights 1e400", weight),
        ("zunion 1 z1 weights nan", weight),
        ("zunion 1 z1 weights 1 2", SYNTAX),
        ("zunion 1 z1 aggregate foo", SYNTAX),
        ("zunion 1 z1 aggregate", SYNTAX),
        ("zunion 1 z1 limit 1", SYNTAX),
        ("zdiff 1 z1 weights 1", SYNTAX),
        ("zdiff 1 z1 aggregate min", SYNTAX),
        ("zintercard 1 z1 limit -1", limit),
        ("zintercard 1 z1 limit x", limit),
        ("zintercard 1 z1 withscores", SYNTAX),
        // Keys are checked before the options.
        ("zunion 2 z1 str weights x", WRONGTYPE),
        ("zunion 2 z1 str", WRONGTYPE),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), error(expected), "{cmd}");
    }
    assert_eq!(run(&mut ks, "zunionstore d 1 z1 withscores"), error(SYNTAX));
    assert!(!exists(&ks, "d"));
}

#[path = "tests_pops.rs"]
mod pops;
