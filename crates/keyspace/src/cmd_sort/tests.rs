//! Unit tests for SORT and SORT_RO; expected replies were taken from redis-server 7.0.15.

use meridian_types::Reply;

use crate::command::lookup;
use crate::db::Keyspace;
use crate::test_util::{argv, array, bulk, error, exists, int, words, SYNTAX, WRONGTYPE};

const NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 1_000, 1)
}

fn read(ks: &Keyspace, cmd: &str) -> Reply {
    ks.execute_read(&words(cmd), 1_000, 1)
}

/// An array of bulks where `None` is a nil (a GET that found nothing).
fn maybe(items: &[Option<&str>]) -> Reply {
    Reply::Array(items.iter().map(|i| i.map_or(Reply::Nil, bulk)).collect())
}

/// l = [3 1 2 10], weights w_1..w_3, names o_1..o_3, hashes h_1 h_2 with field f.
fn fixture() -> Keyspace {
    let mut ks = Keyspace::new();
    for cmd in [
        "rpush l 3 1 2 10",
        "mset w_1 30 w_2 20 w_3 10 o_1 one o_2 two o_3 three",
        "hset h_1 f x1",
        "hset h_2 f x2",
        "set str v",
    ] {
        run(&mut ks, cmd);
    }
    ks
}

#[test]
fn command_table_matches_redis_command_info() {
    let sort = lookup(b"sort").expect("sort");
    assert_eq!(sort.flags, &["write", "denyoom", "movablekeys"]);
    assert!(sort.is_write());
    let ro = lookup(b"sort_ro").expect("sort_ro");
    assert_eq!(ro.flags, &["readonly", "movablekeys"]);
    assert!(!ro.is_write());
    for def in [sort, ro] {
        assert_eq!(
            (def.arity, def.first_key, def.last_key, def.step),
            (-2, 1, 1, 1)
        );
    }
}

#[test]
fn sorts_numbers_and_strings() {
    let ks = fixture();
    let cases: &[(&str, &[&str])] = &[
        ("sort_ro l", &["1", "2", "3", "10"]),
        ("sort_ro l desc", &["10", "3", "2", "1"]),
        ("sort_ro l alpha", &["1", "10", "2", "3"]),
        ("sort_ro l limit 1 2", &["2", "3"]),
        ("sort_ro l limit 1 2 desc", &["3", "2"]),
        ("sort_ro l limit -5 2", &["1", "2"]),
        ("sort_ro l limit 2 -5", &["3", "10"]),
        ("sort_ro l limit 10 2", &[]),
        ("sort_ro nokey", &[]),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), array(expected), "{cmd}");
    }
    let mut ks = Keyspace::new();
    run(&mut ks, "rpush l2 5 3 0x10 inf");
    ks.execute_write(&argv(&["rpush", "l2", " 4", ""]), 1_000, 1);
    assert_eq!(
        read(&ks, "sort_ro l2"),
        array(&["", "3", " 4", "5", "0x10", "inf"])
    );
}

#[test]
fn by_and_get_patterns() {
    let ks = fixture();
    let cases: &[(&str, &[&str])] = &[
        ("sort_ro l by w_*", &["10", "3", "2", "1"]),
        ("sort_ro l by w_* alpha", &["10", "3", "2", "1"]),
        ("sort_ro l by nosort", &["3", "1", "2", "10"]),
        ("sort_ro l by nosort desc limit 1 2", &["2", "1"]),
        ("sort_ro l by nosort limit 10 2", &[]),
        ("sort_ro l by nosort limit 3 5 desc", &["3"]),
        // A constant BY, once seen, wins over a later pattern.
        ("sort_ro l by nosort by w_*", &["3", "1", "2", "10"]),
        ("sort_ro l by w_* by nosort", &["3", "1", "2", "10"]),
        // A trailing "->" is part of the key name: every weight is missing, so 0.
        ("sort_ro l by w_*->", &["1", "10", "2", "3"]),
        // Missing hash fields sort first, ties keep the list order.
        ("sort_ro l by h_*->f alpha", &["3", "10", "1", "2"]),
        ("sort_ro l by h_*->f alpha desc", &["2", "1", "3", "10"]),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), array(expected), "{cmd}");
    }
    let (n, s) = (None, Some);
    assert_eq!(
        read(&ks, "sort_ro l by w_* get o_* get #"),
        maybe(&[
            n,
            s("10"),
            s("three"),
            s("3"),
            s("two"),
            s("2"),
            s("one"),
            s("1")
        ])
    );
    assert_eq!(
        read(&ks, "sort_ro l get h_*->f get h_*-> get # get nokey"),
        maybe(&[
            s("x1"),
            n,
            s("1"),
            n,
            s("x2"),
            n,
            s("2"),
            n,
            n,
            n,
            s("3"),
            n,
            n,
            n,
            s("10"),
            n
        ])
    );
    assert_eq!(read(&ks, "sort_ro l get #x"), maybe(&[n, n, n, n]));
    assert_eq!(read(&ks, "sort_ro l by h_*->f"), error(NOT_DOUBLE));
}

#[test]
fn missing_weights_tie_on_the_elements() {
    let mut ks = Keyspace::new();
    run(&mut ks, "rpush l7 b a c");
    let cases: &[(&str, &[&str])] = &[
        ("sort_ro l7 by nokey_* alpha", &["b", "a", "c"]),
        ("sort_ro l7 by nokey_*", &["a", "b", "c"]),
        ("sort_ro l7 by nokey_* desc alpha", &["b", "a", "c"]),
        ("sort_ro l7 by nokey_* desc", &["c", "b", "a"]),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), array(expected), "{cmd}");
    }
}

#[test]
fn sets_and_sorted_sets() {
    let mut ks = Keyspace::new();
    run(&mut ks, "sadd s 5 3 9 1");
    run(&mut ks, "zadd z 5 a 1 b 3 c");
    let cases: &[(&str, &[&str])] = &[
        ("sort_ro s", &["1", "3", "5", "9"]),
        ("sort_ro s desc limit 1 2", &["5", "3"]),
        ("sort_ro z alpha", &["a", "b", "c"]),
        ("sort_ro z by nosort", &["b", "c", "a"]),
        ("sort_ro z by nosort desc", &["a", "c", "b"]),
        ("sort_ro z by nosort desc limit 1 1", &["c"]),
        ("sort_ro z by nosort limit 1 5", &["c", "a"]),
        ("sort_ro z by w_*", &["a", "b", "c"]),
    ];
    for (cmd, expected) in cases {
        assert_eq!(read(&ks, cmd), array(expected), "{cmd}");
    }
    // Stored without order, a set is sorted alphabetically.
    assert_eq!(run(&mut ks, "sort s by nosort store d5"), int(4));
    assert_eq!(read(&ks, "lrange d5 0 -1"), array(&["1", "3", "5", "9"]));
}

#[test]
fn store_writes_a_list_or_deletes() {
    let mut ks = fixture();
    assert_eq!(run(&mut ks, "sort l by w_* store dst"), int(4));
    assert_eq!(read(&ks, "lrange dst 0 -1"), array(&["10", "3", "2", "1"]));
    assert_eq!(run(&mut ks, "sort l by w_* get # get o_* store d4"), int(8));
    assert_eq!(
        read(&ks, "lrange d4 0 -1"),
        array(&["10", "", "3", "three", "2", "two", "1", "one"])
    );
    assert_eq!(run(&mut ks, "sort l limit 0 0 store d4"), int(0));
    assert!(!exists(&ks, "d4"));
    assert_eq!(run(&mut ks, "sort nokey store str"), int(0));
    assert!(!exists(&ks, "str"));
    assert_eq!(
        run(&mut ks, "sort l by h_*->f store dst"),
        error(NOT_DOUBLE)
    );
    assert_eq!(read(&ks, "llen dst"), int(4));
    assert_eq!(run(&mut ks, "sort l desc"), array(&["10", "3", "2", "1"]));
}

#[test]
fn errors_in_redis_order() {
    let mut ks = fixture();
    run(&mut ks, "rpush bad a 1");
    run(&mut ks, "hset hh a b");
    run(&mut ks, "rpush tiny 1e-310 2");
    run(&mut ks, "rpush big 1e400");
    let cases: &[(&str, &str)] = &[
        (
            "sort l limit x 1",
            "ERR value is not an integer or out of range",
        ),
        ("sort l limit 1", SYNTAX),
        ("sort l foo", SYNTAX),
        ("sort l store", SYNTAX),
        ("sort_ro l store x", SYNTAX),
        ("sort bad", NOT_DOUBLE),
        ("sort tiny", NOT_DOUBLE),
        ("sort big", NOT_DOUBLE),
        ("sort str", WRONGTYPE),
        ("sort hh", WRONGTYPE),
        ("sort str foo", SYNTAX),
    ];
    for (cmd, expected) in cases {
        assert_eq!(run(&mut ks, cmd), error(expected), "{cmd}");
    }
    assert_eq!(read(&ks, "sort_ro bad alpha"), array(&["1", "a"]));
    assert!(!exists(&ks, "x"));
}
