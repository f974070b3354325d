//! The blocking commands run without blocking. Expected replies were taken from redis-server
//! 7.0.15 inside MULTI, where it never blocks.

use meridian_types::Reply;

use crate::command::lookup;
use crate::db::Keyspace;
use crate::test_util::{array, bulk, error, exists, words, SYNTAX, WRONGTYPE};

pub(super) const NOW: u64 = 1_000;
pub(super) const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub(super) const NEGATIVE: &str = "ERR timeout is negative";
const NUMKEYS: &str = "ERR numkeys should be greater than 0";
const COUNT: &str = "ERR count should be greater than 0";

pub(super) fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    run_at(ks, NOW, cmd)
}

fn run_at(ks: &mut Keyspace, now_ms: u64, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), now_ms, 7)
}

/// l = [a b c], z = {a:1 b:2 c:3}, s = a string.
pub(super) fn fixture() -> Keyspace {
    let mut ks = Keyspace::new();
    for cmd in ["rpush l a b c", "zadd z 1 a 2 b 3 c", "set s v"] {
        run(&mut ks, cmd);
    }
    ks
}

fn scored(key: &str, member: &str, score: f64) -> Reply {
    Reply::Array(vec![bulk(key), bulk(member), Reply::Double(score)])
}

fn list(ks: &mut Keyspace, key: &str) -> Reply {
    run(ks, &format!("lrange {key} 0 -1"))
}

#[test]
fn command_table_matches_redis_command_info() {
    type Info = (&'static str, i32, &'static [&'static str], (i32, i32, i32));
    let expect: &[Info] = &[
        ("blpop", -3, &["write", "noscript", "blocking"], (1, -2, 1)),
        ("brpop", -3, &["write", "noscript", "blocking"], (1, -2, 1)),
        (
            "blmove",
            6,
            &["write", "denyoom", "noscript", "blocking"],
            (1, 2, 1),
        ),
        (
            "brpoplpush",
            4,
            &["write", "denyoom", "noscript", "blocking"],
            (1, 2, 1),
        ),
        (
            "blmpop",
            -5,
            &["write", "blocking", "movablekeys"],
            (0, 0, 0),
        ),
        (
            "bzpopmin",
            -3,
            &["write", "noscript", "blocking", "fast"],
            (1, -2, 1),
        ),
        (
            "bzpopmax",
            -3,
            &["write", "noscript", "blocking", "fast"],
            (1, -2, 1),
        ),
        (
            "bzmpop",
            -5,
            &["write", "blocking", "movablekeys"],
            (0, 0, 0),
        ),
    ];
    for (name, arity, flags, keys) in expect {
        let def = lookup(name.as_bytes()).expect("registered");
        assert_eq!(
            (
                def.arity,
                def.flags,
                (def.first_key, def.last_key, def.step)
            ),
            (*arity, *flags, *keys),
            "{name}"
        );
        assert!(def.is_write(), "{name}");
    }
    let def = lookup(b"BLPOP").expect("registered");
    let argv = words("blpop a b 0");
    assert_eq!(def.keys(&argv), vec![&argv[1], &argv[2]]);
    let argv = words("blmove src dst left right 0");
    let def = lookup(b"blmove").expect("registered");
    assert_eq!(def.keys(&argv), vec![&argv[1], &argv[2]]);
}

#[test]
fn blpop_and_brpop_pop_from_the_first_non_empty_list() {
    let mut ks = fixture();
    assert_eq!(run(&mut ks, "blpop l 0"), array(&["l", "a"]));
    assert_eq!(run(&mut ks, "BRPOP l 0.5"), array(&["l", "c"]));
    assert_eq!(run(&mut ks, "blpop nokey l 0"), array(&["l", "b"]));
    assert!(!exists(&ks, "l"));
    assert_eq!(run(&mut ks, "blpop l 0"), Reply::NilArray);
    assert_eq!(run(&mut ks, "brpop nokey1 nokey2 1"), Reply::NilArray);
    // A later list is served when the earlier keys are missing.
    run(&mut ks, "rpush m x");
    assert_eq!(run(&mut ks, "brpop nokey m l 0"), array(&["m", "x"]));
}

#[test]
fn a_key_of_another_type_answers_wrongtype_even_before_a_ready_key() {
    let mut ks = fixture();
    for cmd in [
        "blpop s l 0",
        "blpop nokey s l 0",
        "brpop z 0",
        "bzpopmin s z 0",
        "bzpopmax nokey l z 0",
        "blmpop 0 2 nokey s left",
        "bzmpop 0 1 s min",
    ] {
        assert_eq!(run(&mut ks, cmd), error(WRONGTYPE), "{cmd}");
    }
    // Nothing was popped; a ready key before the other type is served.
    assert_eq!(list(&mut ks, "l"), array(&["a", "b", "c"]));
    assert_eq!(run(&mut ks, "blpop l s 0"), array(&["l", "a"]));
    assert_eq!(run(&mut ks, "bzpopmin z s 0"), scored("z", "a", 1.0));
}

#[test]
fn the_timeout_is_checked_before_any_key() {
    let mut ks = fixture();
    for (cmd, expected) in [
        ("blpop s l x", NOT_FLOAT),
        ("blpop s l -1", NEGATIVE),
        ("brpop s x", NOT_FLOAT),
        ("bzpopmin z x", NOT_FLOAT),
        ("bzpopmin s -1", NEGATIVE),
        ("bzpopmax l inf", NEGATIVE),
        ("blmove s d left right x", NOT_FLOAT),
        ("brpoplpush s l x", NOT_FLOAT),
        ("brpoplpush s l -1", NEGATIVE),
        ("blmpop -1 1 s left", NEGATIVE),
        ("bzmpop x 1 s min", NOT_FLOAT),
    ] {
        assert_eq!(run(&mut ks, cmd), error(expected), "{cmd}");
    }
    assert_eq!(list(&mut ks, "l"), array(&["a", "b", "c"]));
}

#[test]
fn blmove_and_brpoplpush_move_as_lmove_does() {
    let mut ks = fixture();
    assert_eq!(run(&mut ks, "blmove l d left right 0"), bulk("a"));
    assert_eq!(run(&mut ks, "brpoplpush l d 0"), bulk("c"));
    assert_eq!(list(&mut ks, "d"), array(&["c", "a"]));
    assert_eq!(run(&mut ks, "blmove d d left right 0"), bulk("c"));
    assert_eq!(list(&mut ks, "d"), array(&["a", "c"]));
    assert_eq!(run(&mut ks, "blmove nokey d left right 0"), Reply::Nil);
    assert_eq!(run(&mut ks, "brpoplpush nokey d 0"), Reply::Nil);
    // A missing source answers nil before the destination's type is looked at.
    assert_eq!(run(&mut ks, "blmove nokey s left right 0"), Reply::Nil);
    for cmd in [
        "blmove l s left right 0",
        "blmove s d left right 0",
        "brpoplpush l s 0",
        "brpoplpush s l 0",
    ] {
        assert_eq!(run(&mut ks, cmd), error(WRONGTYPE), "{cmd}");
    }
    assert_eq!(list(&mut ks, "l"), array(&["b"]));
}

#[test]
fn blmove_reads_its_ends_before_the_timeout() {
    let mut ks = fixture();
    for (cmd, expected) in [
        ("blmove l d foo right x", SYNTAX),
        ("blmove l d left foo x", SYNTAX),
        ("blmove l d left right x", NOT_FLOAT),
        ("blmove l d left right -1", NEGATIVE),
    ] {
        assert_eq!(run(&mut ks, cmd), error(expected), "{cmd}");
    }
}

#[test]
fn blmpop_and_bzmpop_pop_as_lmpop_and_zmpop_do() {
    let mut ks = fixture();
    let popped = |key: &str, items: Vec<Reply>| Reply::Array(vec![bulk(key), Reply::Array(items)]);
    let pair = |m: &str, s: f64| Reply::Array(vec![bulk(m), Reply::Double(s)]);
    assert_eq!(
        run(&mut ks, "blmpop 0 2 nokey l right count 2"),
        popped("l", vec![bulk("c"), bulk("b")])
    );
    assert_eq!(
        run(&mut ks, "BLMPOP 0.01 1 l LEFT COUNT 10"),
        popped("l", vec![bulk("a")])
    );
    assert_eq!(run(&mut ks, "blmpop 0 1 l left"), Reply::NilArray);
    assert_eq!(
        run(&mut ks, "bzmpop 0 2 z s min count 2"),
        popped("z", vec![pair("a", 1.0), pair("b", 2.0)])
    );
    assert_eq!(
        run(&mut ks, "bzmpop 0 2 nokey z max count 2"),
        popped("z", vec![pair("c", 3.0)])
    );
    assert!(!exists(&ks, "z"));
    assert_eq!(run(&mut ks, "bzmpop 0 1 z min"), Reply::NilArray);
}

#[test]
fn blmpop_and_bzmpop_read_numkeys_ends_and_count_before_the_timeout() {
    let mut ks = fixture();
    for (cmd, expected) in [
        ("blmpop x 0 l left", NUMKEYS),
        ("blmpop x -1 l left", NUMKEYS),
        ("blmpop x 1 l foo", SYNTAX),
        ("blmpop x 2 l left", SYNTAX),
        ("blmpop x 1 l left count 0", COUNT),
        ("blmpop x 1 l left count 1 count 2", SYNTAX),
        ("blmpop x 1 l left foo", SYNTAX),
        ("blmpop 0 1 l left count", SYNTAX),
        ("blmpop 0 9223372036854775807 l left", SYNTAX),
        ("blmpop x 1 l left", NOT_FLOAT),
        ("bzmpop x 0 z min", NUMKEYS),
        ("bzmpop x 1 z foo", SYNTAX),
        ("bzmpop x 1 z left", SYNTAX),
        ("bzmpop x 1 z min count x", COUNT),
        ("bzmpop x 1 z min", NOT_FLOAT),
        ("bzmpop -2 1 z max", NEGATIVE),
    ] {
        assert_eq!(run(&mut ks, cmd), error(expected), "{cmd}");
    }
}

#[test]
fn bzpopmin_and_bzpopmax_reply_key_member_and_score() {
    let mut ks = fixture();
    assert_eq!(run(&mut ks, "bzpopmin z 0"), scored("z", "a", 1.0));
    assert_eq!(run(&mut ks, "bzpopmax nokey z 0"), scored("z", "c", 3.0));
    assert_eq!(run(&mut ks, "BZPOPMIN z s 0"), scored("z", "b", 2.0));
    assert!(!exists(&ks, "z"));
    assert_eq!(run(&mut ks, "bzpopmin z 0"), Reply::NilArray);
    assert_eq!(run(&mut ks, "bzpopmax z nokey 0"), Reply::NilArray);
}

#[test]
fn expired_keys_count_as_missing() {
    let mut ks = fixture();
    for cmd in [
        "pexpire l 100",
        "pexpire z 100",
        "pexpire s 100",
        "rpush m x",
    ] {
        run(&mut ks, cmd);
    }
    let later = NOW + 100;
    assert_eq!(run_at(&mut ks, later, "blpop l 0"), Reply::NilArray);
    assert_eq!(run_at(&mut ks, later, "blpop s l m 0"), array(&["m", "x"]));
    assert_eq!(run_at(&mut ks, later, "bzpopmin s z 0"), Reply::NilArray);
    assert_eq!(
        run_at(&mut ks, later, "blmove l s left right 0"),
        Reply::Nil
    );
    assert_eq!(
        run_at(&mut ks, later, "bzmpop 0 2 l z min"),
        Reply::NilArray
    );
    // Just before the TTL they are served.
    let mut ks = fixture();
    run(&mut ks, "pexpire l 100");
    assert_eq!(run_at(&mut ks, later - 1, "brpop l 0"), array(&["l", "c"]));
}

#[test]
fn wrong_arity_is_redis_error() {
    let mut ks = fixture();
    for (cmd, name) in [
        ("blpop l", "blpop"),
        ("brpop l", "brpop"),
        ("blmove l d left right", "blmove"),
        ("blmove l d left right 0 0", "blmove"),
        ("brpoplpush l d", "brpoplpush"),
        ("blmpop 0 1 l", "blmpop"),
        ("bzmpop 0 1 z", "bzmpop"),
        ("bzpopmin z", "bzpopmin"),
        ("bzpopmax z", "bzpopmax"),
    ] {
        let expected = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(run(&mut ks, cmd), error(&expected), "{cmd}");
    }
}
