//! Hash command tests. Expected replies and error texts were taken from redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::{argv, array, bulk, error, exists, int, words, NOT_INT, WRONGTYPE};

/// Runs one command (words separated by spaces) at time 0 with seed 7.
fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 0, 7)
}

fn run_argv(ks: &mut Keyspace, parts: &[&str]) -> Reply {
    ks.execute_write(&argv(parts), 0, 7)
}

fn map(items: &[(&str, &str)]) -> Reply {
    Reply::Map(items.iter().map(|(f, v)| (bulk(f), bulk(v))).collect())
}

/// A keyspace with hash `h` = {a: 1, b: 2} and string `s`.
fn setup() -> Keyspace {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "hset h a 1 b 2"), int(2));
    assert_eq!(run(&mut ks, "set s x"), Reply::ok());
    ks
}

#[test]
fn hset_counts_new_fields_and_keeps_field_order() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hset h b 20 c 3 a 10"), int(1));
    assert_eq!(
        run(&mut ks, "hgetall h"),
        map(&[("a", "10"), ("b", "20"), ("c", "3")])
    );
    assert_eq!(run(&mut ks, "hset h c 4 c 5"), int(0));
    assert_eq!(run(&mut ks, "hget h c"), bulk("5"));
    assert_eq!(run(&mut ks, "HSET s f v"), error(WRONGTYPE));
}

#[test]
fn hset_and_hmset_need_field_value_pairs() {
    let mut ks = setup();
    assert_eq!(
        run(&mut ks, "hset h a 1 b"),
        error("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(
        run(&mut ks, "hmset new a 1 b"),
        error("ERR wrong number of arguments for 'hmset' command")
    );
    assert!(!exists(&ks, "new"));
    assert_eq!(run(&mut ks, "hmset new a 1"), Reply::ok());
    assert_eq!(run(&mut ks, "hmset s a 1"), error(WRONGTYPE));
}

#[test]
fn empty_and_binary_fields_and_values() {
    let mut ks = Keyspace::new();
    assert_eq!(run_argv(&mut ks, &["hset", "h", "", ""]), int(1));
    assert_eq!(run_argv(&mut ks, &["hget", "h", ""]), bulk(""));
    assert_eq!(run_argv(&mut ks, &["hstrlen", "h", ""]), int(0));
    assert_eq!(run_argv(&mut ks, &["hexists", "h", ""]), int(1));
    let bin = vec![
        Bytes::from_static(b"hset"),
        Bytes::from_static(b"h"),
        Bytes::from_static(b"\x00\xff"),
        Bytes::from_static(b"\r\n"),
    ];
    assert_eq!(ks.execute_write(&bin, 0, 0), int(1));
    let get = vec![
        Bytes::from_static(b"hget"),
        Bytes::from_static(b"h"),
        Bytes::from_static(b"\x00\xff"),
    ];
    assert_eq!(
        ks.execute_write(&get, 0, 0),
        Reply::Bulk(Bytes::from_static(b"\r\n"))
    );
}

#[test]
fn hsetnx_sets_only_missing_fields() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hsetnx h a 5"), int(0));
    assert_eq!(run(&mut ks, "hsetnx h z 5"), int(1));
    assert_eq!(run(&mut ks, "hsetnx new z 5"), int(1));
    assert_eq!(run(&mut ks, "hget h z"), bulk("5"));
    assert_eq!(run(&mut ks, "hget h a"), bulk("1"));
    assert_eq!(run(&mut ks, "hsetnx s a 5"), error(WRONGTYPE));
}

#[test]
fn reads_of_missing_keys_fields_and_wrong_types() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hget h zz"), Reply::Nil);
    assert_eq!(run(&mut ks, "hget nokey a"), Reply::Nil);
    assert_eq!(
        run(&mut ks, "hmget h a zz b"),
        Reply::Array(vec![bulk("1"), Reply::Nil, bulk("2")])
    );
    assert_eq!(
        run(&mut ks, "hmget nokey a b"),
        Reply::Array(vec![Reply::Nil, Reply::Nil])
    );
    assert_eq!(run(&mut ks, "hgetall nokey"), Reply::Map(vec![]));
    assert_eq!(run(&mut ks, "hkeys nokey"), Reply::Array(vec![]));
    assert_eq!(run(&mut ks, "hvals nokey"), Reply::Array(vec![]));
    assert_eq!(run(&mut ks, "hkeys h"), array(&["a", "b"]));
    assert_eq!(run(&mut ks, "hvals h"), array(&["1", "2"]));
    assert_eq!(run(&mut ks, "hlen h"), int(2));
    assert_eq!(run(&mut ks, "hlen nokey"), int(0));
    assert_eq!(run(&mut ks, "hexists h a"), int(1));
    assert_eq!(run(&mut ks, "hexists h zz"), int(0));
    assert_eq!(run(&mut ks, "hexists nokey a"), int(0));
    assert_eq!(run(&mut ks, "hstrlen h a"), int(1));
    assert_eq!(run(&mut ks, "hstrlen h zz"), int(0));
    assert_eq!(run(&mut ks, "hstrlen nokey a"), int(0));
    for cmd in [
        "hget s a",
        "hmget s a",
        "hgetall s",
        "hkeys s",
        "hvals s",
        "hlen s",
        "hexists s a",
        "hstrlen s a",
        "hdel s a",
        "hrandfield s",
        "hrandfield s 0",
        "hscan s 0",
    ] {
        assert_eq!(run(&mut ks, cmd), error(WRONGTYPE), "{cmd}");
    }
}

#[test]
fn hdel_counts_removed_and_deletes_empty_hash() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hset h c 3"), int(1));
    assert_eq!(run(&mut ks, "hdel h a zz a"), int(1));
    assert_eq!(run(&mut ks, "hkeys h"), array(&["b", "c"]));
    assert_eq!(run(&mut ks, "hdel nokey a"), int(0));
    assert_eq!(run(&mut ks, "hdel h b c"), int(2));
    assert!(!exists(&ks, "h"));
}

#[test]
fn hincrby_parses_like_redis_and_detects_overflow() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hincrby h a 10"), int(11));
    assert_eq!(run(&mut ks, "hincrby h new -5"), int(-5));
    assert_eq!(run(&mut ks, "hincrby newkey f 3"), int(3));
    assert_eq!(run(&mut ks, "hget newkey f"), bulk("3"));
    assert_eq!(run(&mut ks, "hincrby h a 01"), error(NOT_INT));
    assert_eq!(run(&mut ks, "hincrby h a 1.5"), error(NOT_INT));
    assert_eq!(run(&mut ks, "hincrby s f abc"), error(NOT_INT));
    assert_eq!(run(&mut ks, "hincrby s f 1"), error(WRONGTYPE));
    assert_eq!(
        run(&mut ks, "hset h i 9223372036854775807 f 1.5 z -0"),
        int(3)
    );
    run_argv(&mut ks, &["hset", "h", "e", ""]);
    let overflow = error("ERR increment or decrement would overflow");
    assert_eq!(run(&mut ks, "hincrby h i 1"), overflow);
    assert_eq!(run(&mut ks, "hincrby h i -1"), int(i64::MAX - 1));
    assert_eq!(run(&mut ks, "hset h m -9223372036854775808"), int(1));
    assert_eq!(run(&mut ks, "hincrby h m -1"), overflow);
    for field in ["f", "z", "e"] {
        assert_eq!(
            run_argv(&mut ks, &["hincrby", "h", field, "1"]),
            error("ERR hash value is not an integer"),
            "{field}"
        );
    }
    assert_eq!(run(&mut ks, "hincrby nokey2 f x"), error(NOT_INT));
    assert!(!exists(&ks, "nokey2"));
}

#[test]
fn hincrbyfloat_errors_match_redis() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hincrbyfloat h a 9.5"), bulk("10.5"));
    assert_eq!(run(&mut ks, "hincrbyfloat h a 0.25"), bulk("10.75"));
    assert_eq!(run(&mut ks, "hincrbyfloat h a -10.75"), bulk("0"));
    assert_eq!(run(&mut ks, "hincrbyfloat h n 5e3"), bulk("5000"));
    assert_eq!(run(&mut ks, "hincrbyfloat nokey f 1.5"), bulk("1.5"));
    assert_eq!(run(&mut ks, "hget nokey f"), bulk("1.5"));
    assert_eq!(
        run(&mut ks, "hincrby nokey f 1"),
        error("ERR hash value is not an integer")
    );
    let nan_arg = error("ERR value is NaN or Infinity");
    assert_eq!(run(&mut ks, "hincrbyfloat h a inf"), nan_arg);
    assert_eq!(run(&mut ks, "hincrbyfloat h a -inf"), nan_arg);
    let not_float = error("ERR value is not a valid float");
    assert_eq!(run(&mut ks, "hincrbyfloat h a nan"), not_float);
    assert_eq!(run(&mut ks, "hincrbyfloat h a abc"), not_float);
    assert_eq!(
        run_argv(&mut ks, &["hincrbyfloat", "h", "a", " 1"]),
        not_float
    );
    assert_eq!(run(&mut ks, "hincrbyfloat s f abc"), not_float);
    assert_eq!(run(&mut ks, "hincrbyfloat s f 1"), error(WRONGTYPE));
    assert_eq!(
        run(&mut ks, "hset h big 1e5000 tiny 1e-5000 inf inf sp x"),
        int(4)
    );
    run_argv(&mut ks, &["hset", "h", "e", "", "sp", " 5"]);
    for field in ["big", "tiny", "e", "sp"] {
        assert_eq!(
            run_argv(&mut ks, &["hincrbyfloat", "h", field, "1"]),
            error("ERR hash value is not a float"),
            "{field}"
        );
    }
    assert_eq!(
        run(&mut ks, "hincrbyfloat h inf 1"),
        error("ERR increment would produce NaN or Infinity")
    );
    // Long double arithmetic, as Redis: past a double's range is fine, past a long double's
    // is not.
    assert_eq!(run(&mut ks, "hset h max 1.7e308"), int(1));
    let Reply::Bulk(sum) = run(&mut ks, "hincrbyfloat h max 1.7e308") else {
        panic!("a sum past f64's range is a number");
    };
    assert!(sum.starts_with(b"340000000000000000006273556050395193590540427779388"));
    assert_eq!(run(&mut ks, "hset h max 1.1e4932"), int(0));
    assert_eq!(
        run(&mut ks, "hincrbyfloat h max 1.1e4932"),
        error("ERR increment would produce NaN or Infinity")
    );
    assert_eq!(run(&mut ks, "hincrbyfloat nokey3 f x"), not_float);
    assert!(!exists(&ks, "nokey3"));
}

#[test]
fn hincrbyfloat_prints_what_redis_prints() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hincrbyfloat hf f 1.23"), bulk("1.23"));
    assert_eq!(run(&mut ks, "hincrbyfloat hf f 0.77"), bulk("2"));
    assert_eq!(run(&mut ks, "hincrbyfloat hf f -0.1"), bulk("1.9"));
}

#[test]
fn hrandfield_without_count() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hrandfield nokey"), Reply::Nil);
    for seed in 0..20 {
        let r = ks.execute_read(&argv(&["hrandfield", "h"]), 0, seed);
        assert!(r == bulk("a") || r == bulk("b"), "{r:?}");
    }
}

#[test]
fn hrandfield_counts() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hset h c 3 d 4"), int(2));
    assert_eq!(run(&mut ks, "hrandfield h 0"), Reply::Array(vec![]));
    assert_eq!(
        run(&mut ks, "hrandfield h 0 withvalues"),
        Reply::Array(vec![])
    );
    assert_eq!(run(&mut ks, "hrandfield nokey 3"), Reply::Array(vec![]));
    assert_eq!(
        run(&mut ks, "hrandfield nokey 3 withvalues"),
        Reply::Array(vec![])
    );
    assert_eq!(
        run(&mut ks, "hrandfield h 10"),
        array(&["a", "b", "c", "d"])
    );
    assert_eq!(
        run(&mut ks, "hrandfield h 4 WithValues"),
        Reply::Pairs(
            [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]
                .iter()
                .map(|(f, v)| (bulk(f), bulk(v)))
                .collect()
        )
    );
    for seed in 0..30 {
        let Reply::Array(picked) = ks.execute_read(&argv(&["hrandfield", "h", "3"]), 0, seed)
        else {
            panic!("not an array");
        };
        assert_eq!(picked.len(), 3);
        let distinct: std::collections::HashSet<_> =
            picked.iter().map(|r| format!("{r:?}")).collect();
        assert_eq!(distinct.len(), 3, "positive count must not repeat");
    }
    let Reply::Array(picked) = run(&mut ks, "hrandfield h -50") else {
        panic!("not an array");
    };
    assert_eq!(picked.len(), 50);
    let distinct: std::collections::HashSet<_> = picked.iter().map(|r| format!("{r:?}")).collect();
    assert!(distinct.len() > 1 && distinct.len() <= 4);
    let Reply::Pairs(pairs) = run(&mut ks, "hrandfield h -6 withvalues") else {
        panic!("not pairs");
    };
    assert_eq!(pairs.len(), 6);
    for (f, v) in pairs {
        assert_eq!(
            run_argv(
                &mut ks,
                &[
                    "hget",
                    "h",
                    &String::from_utf8_lossy(match &f {
                        Reply::Bulk(b) => b,
                        _ => panic!(),
                    })
                ]
            ),
            v
        );
    }
}

#[test]
fn hrandfield_is_deterministic_for_a_seed() {
    let ks = setup();
    let a = ks.execute_read(&argv(&["hrandfield", "h", "-20", "withvalues"]), 0, 42);
    let b = ks.execute_read(&argv(&["hrandfield", "h", "-20", "withvalues"]), 0, 42);
    assert_eq!(a, b);
}

#[test]
fn hrandfield_argument_errors() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, "hrandfield h abc"), error(NOT_INT));
    assert_eq!(run(&mut ks, "hrandfield h abc foo"), error(NOT_INT));
    assert_eq!(
        run(&mut ks, "hrandfield h 1 foo"),
        error("ERR syntax error")
    );
    assert_eq!(
        run(&mut ks, "hrandfield h 1 withvalues x"),
        error("ERR syntax error")
    );
    assert_eq!(
        run(&mut ks, "hrandfield nokey 1 foo"),
        error("ERR syntax error")
    );
    assert_eq!(
        run(&mut ks, "hrandfield h -9223372036854775808"),
        error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        run(&mut ks, "hrandfield h 5000000000000000000 withvalues"),
        error("ERR value is out of range")
    );
    assert_eq!(
        run(&mut ks, "hrandfield h -5000000000000000000 withvalues"),
        error("ERR value is out of range")
    );
    // Huge positive counts are capped by the hash size; huge negative ones are refused (Redis
    // would exhaust memory).
    assert_eq!(
        run(&mut ks, "hrandfield h 9223372036854775807"),
        array(&["a", "b"])
    );
    assert_eq!(
        run(&mut ks, "hrandfield h -9223372036854775807"),
        error("ERR value is out of range")
    );
    assert_eq!(
        run(&mut ks, "hrandfield nokey -9223372036854775807"),
        Reply::Array(vec![])
    );
}

#[test]
fn hscan_returns_everything_with_cursor_zero() {
    let mut ks = setup();
    let all = Reply::Array(vec![bulk("0"), array(&["a", "1", "b", "2"])]);
    for cursor in [
        "0",
        "",
        "-1",
        "+5",
        "007",
        "18446744073709551615",
        "-18446744073709551615",
    ] {
        assert_eq!(
            run_argv(&mut ks, &["hscan", "h", cursor]),
            all,
            "{cursor:?}"
        );
    }
    assert_eq!(
        run(&mut ks, "hscan h 0 count 1 match a*"),
        Reply::Array(vec![bulk("0"), array(&["a", "1"])])
    );
    assert_eq!(
        run(&mut ks, "hscan h 0 MATCH a* MATCH [b] COUNT 10"),
        Reply::Array(vec![bulk("0"), array(&["b", "2"])])
    );
    assert_eq!(run(&mut ks, "hscan h 0 match *"), all);
    assert_eq!(
        run(&mut ks, "hscan nokey 0"),
        Reply::Array(vec![bulk("0"), array(&[])])
    );
}

#[test]
fn hscan_validates_cursor_before_key_and_options_after() {
    let mut ks = setup();
    let invalid = error("ERR invalid cursor");
    for cursor in ["abc", "+", "-", " 1", "1 ", "18446744073709551616", "1.0"] {
        assert_eq!(
            run_argv(&mut ks, &["hscan", "h", cursor]),
            invalid,
            "{cursor:?}"
        );
        assert_eq!(
            run_argv(&mut ks, &["hscan", "s", cursor]),
            invalid,
            "{cursor:?}"
        );
    }
    let syntax = error("ERR syntax error");
    assert_eq!(run(&mut ks, "hscan h 0 count 0"), syntax);
    assert_eq!(run(&mut ks, "hscan h 0 count -1"), syntax);
    assert_eq!(run(&mut ks, "hscan h 0 count abc"), error(NOT_INT));
    assert_eq!(run(&mut ks, "hscan h 0 match"), syntax);
    assert_eq!(run(&mut ks, "hscan h 0 foo"), syntax);
    assert_eq!(run(&mut ks, "hscan h 0 type string"), syntax);
    // Redis looks the key up before parsing options: a missing key answers an empty scan.
    assert_eq!(
        run(&mut ks, "hscan nokey 0 foo"),
        Reply::Array(vec![bulk("0"), array(&[])])
    );
}

#[test]
fn expired_hash_is_gone() {
    let mut ks = setup();
    assert!(ks.set_expire(&Bytes::from_static(b"h"), Some(100)));
    let at = |ks: &mut Keyspace, t: u64, parts: &[&str]| ks.execute_write(&argv(parts), t, 0);
    assert_eq!(at(&mut ks, 99, &["hlen", "h"]), int(2));
    assert_eq!(at(&mut ks, 100, &["hlen", "h"]), int(0));
    assert_eq!(at(&mut ks, 100, &["hset", "h", "z", "1"]), int(1));
    assert_eq!(at(&mut ks, 100, &["hgetall", "h"]), map(&[("z", "1")]));
    assert_eq!(ks.expire_at(&Bytes::from_static(b"h"), 100), Some(None));
}
