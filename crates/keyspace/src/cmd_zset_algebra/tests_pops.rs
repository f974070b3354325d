//! ZMPOP, LMPOP, the range removals, ZLEXCOUNT and ZRANDMEMBER; expected replies were taken
//! from redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use super::{pairs, read, run};
use crate::db::Keyspace;
use crate::test_util::{array, bulk, error, exists, int, SYNTAX, WRONGTYPE};

const NOT_INT: &str = "ERR value is not an integer or out of range";

fn popped(key: &str, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![bulk(key), Reply::Array(items)])
}

fn scored(m: &str, s: f64) -> Reply {
    Reply::Array(vec![bulk(m), Reply::Double(s)])
}

fn with(cmds: &[&str]) -> Keyspace {
    let mut ks = Keyspace::new();
    for cmd in cmds {
        run(&mut ks, cmd);
    }
    ks
}

#[test]
fn zmpop_pops_from_the_first_existing_key() {
    let mut ks = with(&["zadd z 1 a 2 b 3 c 4 d", "set s v"]);
    assert_eq!(
        run(&mut ks, "zmpop 1 z min"),
        popped("z", vec![scored("a", 1.0)])
    );
    assert_eq!(
        run(&mut ks, "zmpop 1 z MAX COUNT 2"),
        popped("z", vec![scored("d", 4.0), scored("c", 3.0)])
    );
    assert_eq!(
        run(&mut ks, "zmpop 2 nokey z min count 10"),
        popped("z", vec![scored("b", 2.0)])
    );
    assert!(!exists(&ks, "z"));
    assert_eq!(run(&mut ks, "zmpop 1 z min"), Reply::NilArray);
    assert_eq!(run(&mut ks, "zmpop 2 nokey s min"), error(WRONGTYPE));
    let numkeys = "ERR numkeys should be greater than 0";
    let count = "ERR count should be greater than 0";
    for (cmd, expected) in [
        ("zmpop 0 z min", numkeys),
        ("zmpop -1 z min", numkeys),
        ("zmpop x z min", numkeys),
        ("zmpop 2 z min", SYNTAX),
        ("zmpop 1 z foo", SYNTAX),
        ("zmpop 1 z min count 0", count),
        ("zmpop 1 z min count -1", count),
        ("zmpop 1 z min count x", count),
        ("zmpop 1 z min count 1 count 1", SYNTAX),
        ("zmpop 1 z min count", SYNTAX),
        ("zmpop 1 z min foo", SYNTAX),
        (
            "zmpop 1 z",
            "ERR wrong number of arguments for 'zmpop' command",
        ),
    ] {
        assert_eq!(run(&mut ks, cmd), error(expected), "{cmd}");
    }
    // The first existing key decides: a sorted set before a string is popped.
    let mut ks = with(&["zadd z 1 a", "set s v"]);
    assert_eq!(
        run(&mut ks, "zmpop 2 z s min"),
        popped("z", vec![scored("a", 1.0)])
    );
    assert_eq!(run(&mut ks, "zmpop 2 s z min"), error(WRONGTYPE));
}

#[test]
fn lmpop_pops_from_either_end() {
    let mut ks = with(&["rpush l a b c d", "set s v"]);
    let bulks = |items: &[&str]| items.iter().map(|s| bulk(s)).collect::<Vec<_>>();
    assert_eq!(run(&mut ks, "lmpop 1 l left"), popped("l", bulks(&["a"])));
    assert_eq!(
        run(&mut ks, "lmpop 1 l right count 2"),
        popped("l", bulks(&["d", "c"]))
    );
    assert_eq!(
        run(&mut ks, "lmpop 2 nokey l left count 5"),
        popped("l", bulks(&["b"]))
    );
    assert!(!exists(&ks, "l"));
    assert_eq!(run(&mut ks, "lmpop 1 l left"), Reply::NilArray);
    run(&mut ks, "rpush l x");
    assert_eq!(run(&mut ks, "lmpop 2 s l left"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "lmpop 1 l up"), error(SYNTAX));
    assert_eq!(
        run(&mut ks, "lmpop 0 l left"),
        error("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut ks, "lmpop 1 l left count 0"),
        error("ERR count should be greater than 0")
    );
    assert_eq!(read(&ks, "lrange l 0 -1"), array(&["x"]));
}

#[test]
fn zremrange_by_rank_score_and_lex() {
    let mut ks = with(&["zadd r 1 a 2 b 3 c 4 d 5 e", "set s v"]);
    assert_eq!(run(&mut ks, "zremrangebyrank r 1 2"), int(2));
    assert_eq!(read(&ks, "zrange r 0 -1"), array(&["a", "d", "e"]));
    assert_eq!(run(&mut ks, "zremrangebyrank r 5 10"), int(0));
    assert_eq!(run(&mut ks, "zremrangebyrank r x 1"), error(NOT_INT));
    assert_eq!(run(&mut ks, "zremrangebyrank s 0 1"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "zremrangebyrank nokey x 1"), error(NOT_INT));
    assert_eq!(run(&mut ks, "zremrangebyrank nokey 0 1"), int(0));
    assert_eq!(run(&mut ks, "zremrangebyscore r (1 4"), int(1));
    assert_eq!(
        run(&mut ks, "zremrangebyscore r x 4"),
        error("ERR min or max is not a float")
    );
    assert_eq!(run(&mut ks, "zremrangebyscore s 1 4"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "zremrangebyscore r -inf +inf"), int(2));
    assert!(!exists(&ks, "r"));

    let lex_err = error("ERR min or max not valid string range item");
    let mut ks = with(&["zadd lx 0 a 0 b 0 c 0 d 0 e", "set s v"]);
    assert_eq!(read(&ks, "zlexcount lx - +"), int(5));
    assert_eq!(read(&ks, "zlexcount lx [b (d"), int(2));
    assert_eq!(read(&ks, "zlexcount lx x +"), lex_err);
    assert_eq!(read(&ks, "zlexcount s - +"), error(WRONGTYPE));
    assert_eq!(read(&ks, "zlexcount nokey - +"), int(0));
    assert_eq!(read(&ks, "zlexcount nokey x +"), lex_err);
    assert_eq!(run(&mut ks, "zremrangebylex lx [b (d"), int(2));
    assert_eq!(read(&ks, "zrange lx 0 -1"), array(&["a", "d", "e"]));
    assert_eq!(run(&mut ks, "zremrangebylex lx x +"), lex_err);
    assert_eq!(run(&mut ks, "zremrangebylex lx - +"), int(3));
    assert!(!exists(&ks, "lx"));
}

#[test]
fn zremrange_of_negative_ranks_counts_from_the_top() {
    let mut ks = with(&["zadd r 1 a 2 b 3 c 4 d 5 e"]);
    assert_eq!(run(&mut ks, "zremrangebyrank r -2 -1"), int(2));
    assert_eq!(run(&mut ks, "zremrangebyrank r -100 0"), int(1));
    assert_eq!(read(&ks, "zrange r 0 -1"), array(&["b", "c"]));
}

#[test]
fn zrandmember_replies_and_errors() {
    let ks = with(&["zadd one 7 m", "set s v"]);
    assert_eq!(read(&ks, "zrandmember one"), bulk("m"));
    assert_eq!(read(&ks, "zrandmember one 1"), array(&["m"]));
    assert_eq!(
        read(&ks, "zrandmember one 5 withscores"),
        pairs(&[("m", 7.0)])
    );
    assert_eq!(
        read(&ks, "zrandmember one -3 WITHSCORES"),
        pairs(&[("m", 7.0), ("m", 7.0), ("m", 7.0)])
    );
    assert_eq!(read(&ks, "zrandmember one 0"), array(&[]));
    assert_eq!(read(&ks, "zrandmember nokey"), Reply::Nil);
    assert_eq!(read(&ks, "zrandmember nokey 5"), array(&[]));
    let range = "ERR value is out of range, value must between -9223372036854775807 and \
                 9223372036854775807";
    for (cmd, expected) in [
        ("zrandmember one x", NOT_INT),
        ("zrandmember one 1 foo", SYNTAX),
        ("zrandmember one 1 withscores foo", SYNTAX),
        ("zrandmember one -9223372036854775808", range),
        (
            "zrandmember one 4611686018427387904 withscores",
            "ERR value is out of range",
        ),
        (
            "zrandmember one -4611686018427387904 withscores",
            "ERR value is out of range",
        ),
        ("zrandmember s", WRONGTYPE),
        ("zrandmember s 0", WRONGTYPE),
        ("zrandmember nokey x", NOT_INT),
        ("zrandmember nokey 1 foo", SYNTAX),
    ] {
        assert_eq!(read(&ks, cmd), error(expected), "{cmd}");
    }
}

#[test]
fn zrandmember_samples_deterministically_per_seed() {
    let ks = with(&["zadd z 1 a 2 b 3 c 4 d 5 e"]);
    let cmd = crate::test_util::words("zrandmember z 3");
    let first = ks.execute_read(&cmd, 0, 42);
    assert_eq!(ks.execute_read(&cmd, 0, 42), first);
    let Reply::Array(items) = first else {
        panic!("not an array");
    };
    let mut seen: Vec<Bytes> = items
        .into_iter()
        .map(|r| match r {
            Reply::Bulk(b) => b,
            other => panic!("{other:?}"),
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "distinct members");
    // A count covering the set answers all of it, highest score first.
    assert_eq!(
        read(&ks, "zrandmember z 9"),
        array(&["e", "d", "c", "b", "a"])
    );
    assert_eq!(
        read(&ks, "zrandmember z 5 withscores"),
        pairs(&[("e", 5.0), ("d", 4.0), ("c", 3.0), ("b", 2.0), ("a", 1.0)])
    );
}
