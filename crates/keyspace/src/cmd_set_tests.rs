//! Set command tests. Expected replies and error texts were taken from redis-server 7.0.15
//! (member order aside: ours is insertion order).

use std::collections::BTreeSet;

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::{argv, array, bulk, error, exists, int, words, NOT_INT, SYNTAX, WRONGTYPE};
use crate::value::Value;

/// Runs one command (words separated by spaces) at time 0 with seed 7.
fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    run_seeded(ks, cmd, 7)
}

fn run_seeded(ks: &mut Keyspace, cmd: &str, seed: u64) -> Reply {
    ks.execute_write(&words(cmd), 0, seed)
}

fn set(items: &[&str]) -> Reply {
    Reply::Set(items.iter().map(|s| bulk(s)).collect())
}

/// The members of a Set/Array reply as sorted strings.
fn sorted(r: &Reply) -> Vec<String> {
    let items = match r {
        Reply::Set(v) | Reply::Array(v) => v,
        other => panic!("not a collection: {other:?}"),
    };
    let mut out: Vec<String> = items
        .iter()
        .map(|i| match i {
            Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    out.sort();
    out
}

/// `s` = {a, b, c}, `t` = {b, c, d}, string `str`.
fn setup() -> Keyspace {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "sadd s a b c"), int(3));
    assert_eq!(run(&mut ks, "sadd t b c d"), int(3));
    assert_eq!(run(&mut ks, "set str x"), Reply::ok());
    ks
}

#[test]
fn sadd_srem_scard_smembers() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "sadd s c d d"), int(1));
    assert_eq!(run(&mut ks, "smembers s"), set(&["a", "b", "c", "d"]));
    assert_eq!(run(&mut ks, "scard s"), int(4));
    assert_eq!(run(&mut ks, "srem s b zz b"), int(1));
    // Removal moves the last member into the gap.
    assert_eq!(run(&mut ks, "smembers s"), set(&["a", "d", "c"]));
    assert_eq!(run(&mut ks, "srem nokey a"), int(0));
    assert_eq!(run(&mut ks, "srem s a c d"), int(3));
    assert!(!exists(&ks, "s"));
    assert_eq!(run(&mut ks, "smembers nokey"), set(&[]));
    assert_eq!(run(&mut ks, "scard nokey"), int(0));
    let empty_member = ks.execute_write(&argv(&["sadd", "e", ""]), 0, 0);
    assert_eq!(empty_member, int(1));
    assert_eq!(
        ks.execute_write(&argv(&["sismember", "e", ""]), 0, 0),
        int(1)
    );
    let binary = [
        Bytes::from_static(b"sadd"),
        Bytes::from_static(b"e"),
        Bytes::from_static(b"\x00\xff\r\n"),
    ];
    assert_eq!(ks.execute_write(&binary, 0, 0), int(1));
    assert_eq!(
        run(&mut ks, "smembers e"),
        Reply::Set(vec![
            bulk(""),
            Reply::Bulk(Bytes::from_static(b"\x00\xff\r\n"))
        ])
    );
}

#[test]
fn wrong_type_everywhere() {
    let mut ks = setup();
    for cmd in [
        "sadd str a",
        "srem str a",
        "smembers str",
        "sismember str a",
        "smismember str a",
        "scard str",
        "spop str",
        "spop str 0",
        "srandmember str",
        "srandmember str 0",
        "sinter s nokey str",
        "sinter nokey str",
        "sinter str nokey",
        "sunion s str",
        "sdiff nokey str",
        "sintercard 1 str",
        "sintercard 2 nokey str",
        "sinterstore d s str",
        "sunionstore d str",
        "sdiffstore d nokey str",
        "sscan str 0",
        "smove str s a",
        "smove s str a",
    ] {
        assert_eq!(run(&mut ks, cmd), error(WRONGTYPE), "{cmd}");
    }
    assert!(!exists(&ks, "d"));
    assert_eq!(run(&mut ks, "smembers s"), set(&["a", "b", "c"]));
}

#[test]
fn sismember_and_smismember() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "sismember s a"), int(1));
    assert_eq!(run(&mut ks, "sismember s z"), int(0));
    assert_eq!(run(&mut ks, "sismember nokey a"), int(0));
    assert_eq!(
        run(&mut ks, "smismember s a z c"),
        Reply::Array(vec![int(1), int(0), int(1)])
    );
    assert_eq!(
        run(&mut ks, "smismember nokey a"),
        Reply::Array(vec![int(0)])
    );
}

#[test]
fn spop_single() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "spop nokey"), Reply::Nil);
    let mut popped = BTreeSet::new();
    for seed in 0..3 {
        match run_seeded(&mut ks, "spop s", seed) {
            Reply::Bulk(b) => assert!(popped.insert(b)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(popped.len(), 3);
    assert!(!exists(&ks, "s"));
    assert_eq!(run(&mut ks, "spop s"), Reply::Nil);
}

#[test]
fn spop_with_count() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "spop s 0"), set(&[]));
    assert_eq!(run(&mut ks, "spop nokey 2"), set(&[]));
    assert_eq!(run(&mut ks, "sadd s d e f g"), int(4));
    let popped = run(&mut ks, "spop s 3");
    let popped = sorted(&popped);
    assert_eq!(popped.len(), 3);
    let left = sorted(&run(&mut ks, "smembers s"));
    assert_eq!(left.len(), 4);
    let mut all: Vec<String> = popped.iter().chain(left.iter()).cloned().collect();
    all.sort();
    assert_eq!(all, ["a", "b", "c", "d", "e", "f", "g"]);
    let rest = run(&mut ks, "spop s 100");
    assert_eq!(sorted(&rest), left);
    assert!(!exists(&ks, "s"));
}

#[test]
fn spop_is_deterministic_for_a_seed() {
    let mut a = setup();
    let mut b = setup();
    assert_eq!(
        run_seeded(&mut a, "spop t 2", 99),
        run_seeded(&mut b, "spop t 2", 99)
    );
    assert_eq!(
        run_seeded(&mut a, "spop s", 5),
        run_seeded(&mut b, "spop s", 5)
    );
    assert_eq!(a, b);
}

#[test]
fn spop_argument_errors() {
    let mut ks = setup();
    let positive = error("ERR value is out of range, must be positive");
    assert_eq!(run(&mut ks, "spop s -1"), positive);
    assert_eq!(run(&mut ks, "spop s abc"), positive);
    assert_eq!(run(&mut ks, "spop nokey -1"), positive);
    assert_eq!(run(&mut ks, "spop s 1 2"), error(SYNTAX));
    assert_eq!(run(&mut ks, "spop s abc x"), error(SYNTAX));
    assert_eq!(run(&mut ks, "scard s"), int(3));
}

#[test]
fn srandmember_counts() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "srandmember nokey"), Reply::Nil);
    assert_eq!(run(&mut ks, "srandmember nokey 3"), array(&[]));
    assert_eq!(run(&mut ks, "srandmember nokey -3"), array(&[]));
    assert_eq!(run(&mut ks, "srandmember s 0"), array(&[]));
    assert_eq!(run(&mut ks, "srandmember s 5"), array(&["a", "b", "c"]));
    for seed in 0..20 {
        let one = run_seeded(&mut ks, "srandmember s", seed);
        assert!([bulk("a"), bulk("b"), bulk("c")].contains(&one));
        let two = sorted(&run_seeded(&mut ks, "srandmember s 2", seed));
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
    }
    let many = sorted(&run(&mut ks, "srandmember s -40"));
    assert_eq!(many.len(), 40);
    assert!(many.iter().all(|m| ["a", "b", "c"].contains(&m.as_str())));
    assert_eq!(run(&mut ks, "scard s"), int(3));
}

#[test]
fn srandmember_argument_errors() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "srandmember s abc"), error(NOT_INT));
    assert_eq!(run(&mut ks, "srandmember s 1 x"), error(SYNTAX));
    assert_eq!(run(&mut ks, "srandmember s abc x"), error(SYNTAX));
    assert_eq!(
        run(&mut ks, "srandmember s -9223372036854775808"),
        error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        run(&mut ks, "srandmember s 9223372036854775807"),
        array(&["a", "b", "c"])
    );
    // Redis would try to build 2^63 replies; we refuse.
    assert_eq!(
        run(&mut ks, "srandmember s -9223372036854775807"),
        error("ERR value is out of range")
    );
}

#[test]
fn smove_semantics() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "smove s t a"), int(1));
    assert_eq!(run(&mut ks, "smembers s"), set(&["c", "b"]));
    assert_eq!(run(&mut ks, "smembers t"), set(&["b", "c", "d", "a"]));
    assert_eq!(run(&mut ks, "smove s t zz"), int(0));
    assert_eq!(run(&mut ks, "smove s t b"), int(1));
    assert_eq!(run(&mut ks, "smove nokey str a"), int(0));
    assert_eq!(run(&mut ks, "smove t t a"), int(1));
    assert_eq!(run(&mut ks, "smove t t zz"), int(0));
    assert_eq!(run(&mut ks, "smove s new c"), int(1));
    assert!(!exists(&ks, "s"));
    assert_eq!(run(&mut ks, "smembers new"), set(&["c"]));
    assert_eq!(run(&mut ks, "smove new str c"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "smove new str zz"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "smembers new"), set(&["c"]));
}

#[test]
fn sinter_sunion_sdiff() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "sinter s t"), set(&["b", "c"]));
    assert_eq!(run(&mut ks, "sinter s"), set(&["a", "b", "c"]));
    assert_eq!(run(&mut ks, "sinter s t nokey"), set(&[]));
    assert_eq!(run(&mut ks, "sunion s t"), set(&["a", "b", "c", "d"]));
    assert_eq!(run(&mut ks, "sunion nokey t nokey2"), set(&["b", "c", "d"]));
    assert_eq!(run(&mut ks, "sunion nokey"), set(&[]));
    assert_eq!(run(&mut ks, "sdiff s t"), set(&["a"]));
    assert_eq!(run(&mut ks, "sdiff t s"), set(&["d"]));
    assert_eq!(run(&mut ks, "sdiff s nokey"), set(&["a", "b", "c"]));
    assert_eq!(run(&mut ks, "sdiff nokey s"), set(&[]));
    assert_eq!(run(&mut ks, "sdiff s s"), set(&[]));
}

#[test]
fn sintercard_counts_with_limit() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "sintercard 2 s t"), int(2));
    assert_eq!(run(&mut ks, "sintercard 1 s"), int(3));
    assert_eq!(run(&mut ks, "sintercard 1 s limit 2"), int(2));
    assert_eq!(run(&mut ks, "sintercard 1 s LIMIT 1 limit 0"), int(3));
    assert_eq!(run(&mut ks, "sintercard 2 s nokey"), int(0));
    assert_eq!(run(&mut ks, "sintercard 1 nokey"), int(0));
    // A key named like the option is still a key when numkeys covers it.
    assert_eq!(run(&mut ks, "sintercard 2 s limit"), int(0));
}

#[test]
fn sintercard_argument_errors() {
    let mut ks = setup();
    let numkeys = error("ERR numkeys should be greater than 0");
    assert_eq!(run(&mut ks, "sintercard 0 s"), numkeys);
    assert_eq!(run(&mut ks, "sintercard -1 s"), numkeys);
    assert_eq!(run(&mut ks, "sintercard abc s"), numkeys);
    assert_eq!(
        run(&mut ks, "sintercard 3 s t"),
        error("ERR Number of keys can't be greater than number of args")
    );
    let limit = error("ERR LIMIT can't be negative");
    assert_eq!(run(&mut ks, "sintercard 1 s limit -1"), limit);
    assert_eq!(run(&mut ks, "sintercard 1 s limit abc"), limit);
    assert_eq!(run(&mut ks, "sintercard 1 s limit"), error(SYNTAX));
    assert_eq!(run(&mut ks, "sintercard 1 s foo 1"), error(SYNTAX));
    assert_eq!(run(&mut ks, "sintercard 1 str limit x"), limit);
    assert_eq!(run(&mut ks, "sintercard 1 str limit 1"), error(WRONGTYPE));
}

#[test]
fn store_commands_replace_or_delete_destination() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "sinterstore str s nokey"), int(0));
    assert!(!exists(&ks, "str"));
    assert_eq!(run(&mut ks, "set str x"), Reply::ok());
    assert_eq!(run(&mut ks, "sinterstore str s t"), int(2));
    assert_eq!(run(&mut ks, "smembers str"), set(&["b", "c"]));
    assert_eq!(run(&mut ks, "sunionstore d s t"), int(4));
    assert_eq!(run(&mut ks, "smembers d"), set(&["a", "b", "c", "d"]));
    assert_eq!(run(&mut ks, "sdiffstore d s t"), int(1));
    assert_eq!(run(&mut ks, "smembers d"), set(&["a"]));
    assert_eq!(run(&mut ks, "sdiffstore d s s"), int(0));
    assert!(!exists(&ks, "d"));
    assert_eq!(run(&mut ks, "sdiffstore d nokey"), int(0));
    // The destination may be one of the sources.
    assert_eq!(run(&mut ks, "sunionstore s s t"), int(4));
    assert_eq!(run(&mut ks, "sunionstore s nokey"), int(0));
    assert!(!exists(&ks, "s"));
}

#[test]
fn store_drops_destination_ttl() {
    let mut ks = setup();
    let t = Bytes::from_static(b"t");
    assert!(ks.set_expire(&t, Some(1_000)));
    assert_eq!(run(&mut ks, "sunionstore t t"), int(3));
    assert_eq!(ks.expire_at(&t, 0), Some(None));
    assert_eq!(ks.expires_count(), 0);
}

#[test]
fn sscan_returns_everything_with_cursor_zero() {
    let mut ks = setup();
    let all = Reply::Array(vec![bulk("0"), array(&["b", "c", "d"])]);
    assert_eq!(run(&mut ks, "sscan t 0"), all);
    assert_eq!(run(&mut ks, "sscan t 123"), all);
    assert_eq!(run(&mut ks, "sscan t 0 COUNT 10 MATCH * count 5"), all);
    assert_eq!(
        run(&mut ks, "sscan t 0 match b*"),
        Reply::Array(vec![bulk("0"), array(&["b"])])
    );
    assert_eq!(
        run(&mut ks, "sscan t 0 match [cd] count 1"),
        Reply::Array(vec![bulk("0"), array(&["c", "d"])])
    );
    let empty = Reply::Array(vec![bulk("0"), array(&[])]);
    assert_eq!(run(&mut ks, "sscan nokey 0"), empty);
    assert_eq!(run(&mut ks, "sscan nokey 0 count 0"), empty);
}

#[test]
fn sscan_argument_errors() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "sscan t x"), error("ERR invalid cursor"));
    assert_eq!(run(&mut ks, "sscan nokey x"), error("ERR invalid cursor"));
    assert_eq!(run(&mut ks, "sscan t 0 count 0"), error(SYNTAX));
    assert_eq!(run(&mut ks, "sscan t 0 count abc"), error(NOT_INT));
    assert_eq!(run(&mut ks, "sscan t 0 match"), error(SYNTAX));
    assert_eq!(run(&mut ks, "sscan t 0 type string"), error(SYNTAX));
}

#[test]
fn expired_set_is_gone() {
    let mut ks = setup();
    let s = Bytes::from_static(b"s");
    assert!(ks.set_expire(&s, Some(100)));
    let at = |ks: &mut Keyspace, t: u64, cmd: &str| ks.execute_write(&words(cmd), t, 0);
    assert_eq!(at(&mut ks, 99, "scard s"), int(3));
    assert_eq!(at(&mut ks, 100, "scard s"), int(0));
    assert_eq!(at(&mut ks, 100, "sunion s t"), set(&["b", "c", "d"]));
    assert_eq!(at(&mut ks, 100, "smove s t a"), int(0));
    assert_eq!(at(&mut ks, 100, "sadd s z"), int(1));
    assert_eq!(
        ks.get_value(&s, 100),
        Some(&Value::Set(Box::new(
            ["z"]
                .iter()
                .map(|m| Bytes::from_static(m.as_bytes()))
                .collect()
        )))
    );
    assert_eq!(ks.expire_at(&s, 100), Some(None));
}
