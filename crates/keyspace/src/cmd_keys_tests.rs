//! Generic key commands, with replies checked against redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::{argv, bulk, error, int, ok, put_list};

const NOW: u64 = 1_700_000_000_000;

fn run_at(ks: &mut Keyspace, now: u64, cmd: &[&str]) -> Reply {
    ks.execute_write(&argv(cmd), now, 7)
}

fn run(ks: &mut Keyspace, cmd: &[&str]) -> Reply {
    run_at(ks, NOW, cmd)
}

fn with(keys: &[(&str, &str)]) -> Keyspace {
    let mut ks = Keyspace::new();
    for (k, v) in keys {
        assert_eq!(run(&mut ks, &["SET", k, v]), ok());
    }
    ks
}

fn sorted(r: Reply) -> Vec<Reply> {
    let Reply::Array(mut v) = r else {
        panic!("not an array: {r:?}")
    };
    v.sort_by_key(|r| format!("{r:?}"));
    v
}

#[test]
fn del_unlink_exists_type() {
    let mut ks = with(&[("a", "1"), ("b", "2")]);
    put_list(&mut ks, "l");
    assert_eq!(run(&mut ks, &["EXISTS", "a", "a", "nokey", "b"]), int(3));
    assert_eq!(run(&mut ks, &["TYPE", "a"]), Reply::Status("string".into()));
    assert_eq!(
        run(&mut ks, &["TYPE", "nokey"]),
        Reply::Status("none".into())
    );
    assert_eq!(run(&mut ks, &["DEL", "a", "a", "nokey"]), int(1));
    assert_eq!(run(&mut ks, &["unlink", "b"]), int(1));
    assert_eq!(run(&mut ks, &["EXISTS", "a", "b"]), int(0));
    assert_eq!(
        run(&mut ks, &["DEL"]),
        error("ERR wrong number of arguments for 'del' command")
    );
}

#[test]
fn keys_matches_globs_and_star_matches_the_empty_key() {
    let mut ks = with(&[("hello", "1"), ("hallo", "1"), ("", "1"), ("x", "1")]);
    assert_eq!(
        sorted(run(&mut ks, &["KEYS", "h?llo"])),
        vec![bulk("hallo"), bulk("hello")]
    );
    assert_eq!(sorted(run(&mut ks, &["KEYS", "*"])).len(), 4);
    assert_eq!(sorted(run(&mut ks, &["KEYS", "**"])).len(), 3);
    assert_eq!(run(&mut ks, &["KEYS", "nothing*"]), Reply::Array(vec![]));
    // Expired keys are not listed.
    run(&mut ks, &["PEXPIRE", "x", "10"]);
    assert_eq!(
        run_at(&mut ks, NOW + 10, &["KEYS", "x"]),
        Reply::Array(vec![])
    );
}

fn scan_all(ks: &mut Keyspace, opts: &[&str]) -> Vec<Reply> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    loop {
        let mut cmd = vec!["SCAN", cursor.as_str()];
        cmd.extend_from_slice(opts);
        let Reply::Array(parts) = run(ks, &cmd) else {
            panic!("scan reply")
        };
        let [Reply::Bulk(next), Reply::Array(keys)] = &parts[..] else {
            panic!("scan shape {parts:?}")
        };
        out.extend(keys.iter().cloned());
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    out.sort_by_key(|r| format!("{r:?}"));
    out
}

#[test]
fn scan_walks_everything_with_match_count_type() {
    let mut ks = Keyspace::new();
    for i in 0..50 {
        run(&mut ks, &["SET", &format!("k{i}"), "v"]);
    }
    put_list(&mut ks, "list");
    assert_eq!(scan_all(&mut ks, &[]).len(), 51);
    assert_eq!(scan_all(&mut ks, &["COUNT", "3"]).len(), 51);
    assert_eq!(scan_all(&mut ks, &["MATCH", "k1*", "COUNT", "7"]).len(), 11);
    assert_eq!(scan_all(&mut ks, &["type", "LIST"]), vec![bulk("list")]);
    assert_eq!(scan_all(&mut ks, &["TYPE", "foo"]), vec![]);
    let first = run(&mut ks, &["SCAN", "0"]);
    let Reply::Array(parts) = first else { panic!() };
    let Reply::Array(keys) = &parts[1] else {
        panic!()
    };
    assert!(keys.len() >= 10, "default COUNT is 10");
}

#[test]
fn scan_errors() {
    let mut ks = with(&[("a", "1")]);
    assert_eq!(run(&mut ks, &["SCAN", "x"]), error("ERR invalid cursor"));
    assert_eq!(run(&mut ks, &["SCAN", " 1"]), error("ERR invalid cursor"));
    assert_eq!(
        run(&mut ks, &["SCAN", "0", "COUNT", "0"]),
        error("ERR syntax error")
    );
    assert_eq!(
        run(&mut ks, &["SCAN", "0", "COUNT", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut ks, &["SCAN", "0", "MATCH"]),
        error("ERR syntax error")
    );
    assert_eq!(
        run(&mut ks, &["SCAN", "0", "FOO", "1"]),
        error("ERR syntax error")
    );
    // The cursor is checked before the options.
    assert_eq!(
        run(&mut ks, &["SCAN", "x", "COUNT", "0"]),
        error("ERR invalid cursor")
    );
    // strtoul accepts these.
    for c in ["", "+0", "-1", "007"] {
        assert!(
            matches!(run(&mut ks, &["SCAN", c]), Reply::Array(_)),
            "{c:?}"
        );
    }
}

#[test]
fn rename_and_renamenx() {
    let mut ks = with(&[("a", "1"), ("b", "2")]);
    run(&mut ks, &["PEXPIRE", "a", "5000"]);
    assert_eq!(
        run(&mut ks, &["RENAME", "nokey", "x"]),
        error("ERR no such key")
    );
    assert_eq!(
        run(&mut ks, &["RENAME", "nokey", "nokey"]),
        error("ERR no such key")
    );
    assert_eq!(
        run(&mut ks, &["RENAMENX", "nokey", "x"]),
        error("ERR no such key")
    );
    assert_eq!(run(&mut ks, &["RENAME", "a", "a"]), ok());
    assert_eq!(run(&mut ks, &["RENAMENX", "a", "a"]), int(0));
    assert_eq!(run(&mut ks, &["RENAMENX", "a", "b"]), int(0));
    assert_eq!(run(&mut ks, &["RENAME", "a", "b"]), ok());
    assert_eq!(run(&mut ks, &["GET", "b"]), bulk("1"));
    assert_eq!(run(&mut ks, &["PTTL", "b"]), int(5000));
    assert_eq!(run(&mut ks, &["EXISTS", "a"]), int(0));
    assert_eq!(run(&mut ks, &["RENAMENX", "b", "c"]), int(1));
    assert_eq!(run(&mut ks, &["PTTL", "c"]), int(5000));
    // RENAME overwrites a key of another type.
    put_list(&mut ks, "l");
    assert_eq!(run(&mut ks, &["RENAME", "c", "l"]), ok());
    assert_eq!(run(&mut ks, &["TYPE", "l"]), Reply::Status("string".into()));
    assert_eq!(run(&mut ks, &["GET", "l"]), bulk("1"));
    assert_eq!(ks.len(), 1);
}

#[test]
fn expire_family_sets_ttls() {
    let mut ks = with(&[("k", "v")]);
    assert_eq!(run(&mut ks, &["EXPIRE", "nokey", "10"]), int(0));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "10"]), int(1));
    assert_eq!(run(&mut ks, &["TTL", "k"]), int(10));
    assert_eq!(run(&mut ks, &["PTTL", "k"]), int(10_000));
    assert_eq!(run_at(&mut ks, NOW + 1_499, &["TTL", "k"]), int(9));
    assert_eq!(run_at(&mut ks, NOW + 1_500, &["TTL", "k"]), int(9));
    assert_eq!(run_at(&mut ks, NOW + 1_501, &["TTL", "k"]), int(8));
    assert_eq!(run(&mut ks, &["PEXPIRE", "k", "1500"]), int(1));
    assert_eq!(run(&mut ks, &["TTL", "k"]), int(2));
    assert_eq!(run(&mut ks, &["EXPIREAT", "k", "2000000000"]), int(1));
    assert_eq!(run(&mut ks, &["EXPIRETIME", "k"]), int(2_000_000_000));
    assert_eq!(run(&mut ks, &["PEXPIRETIME", "k"]), int(2_000_000_000_000));
    assert_eq!(run(&mut ks, &["PEXPIREAT", "k", "1999999999999"]), int(1));
    assert_eq!(run(&mut ks, &["EXPIRETIME", "k"]), int(2_000_000_000));
    assert_eq!(run(&mut ks, &["PEXPIREAT", "k", "1999999999499"]), int(1));
    assert_eq!(run(&mut ks, &["EXPIRETIME", "k"]), int(1_999_999_999));
    assert_eq!(run(&mut ks, &["PERSIST", "k"]), int(1));
    assert_eq!(run(&mut ks, &["PERSIST", "k"]), int(0));
    assert_eq!(run(&mut ks, &["PERSIST", "nokey"]), int(0));
    for c in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(run(&mut ks, &[c, "k"]), int(-1), "{c}");
        assert_eq!(run(&mut ks, &[c, "nokey"]), int(-2), "{c}");
    }
    // The key disappears when its time comes.
    run(&mut ks, &["PEXPIRE", "k", "100"]);
    assert_eq!(run_at(&mut ks, NOW + 99, &["EXISTS", "k"]), int(1));
    assert_eq!(run_at(&mut ks, NOW + 100, &["EXISTS", "k"]), int(0));
    assert_eq!(run_at(&mut ks, NOW + 100, &["TTL", "k"]), int(-2));
}

#[test]
fn expire_in_the_past_deletes() {
    for cmd in [
        vec!["EXPIRE", "k", "0"],
        vec!["EXPIRE", "k", "-9223372036854775"],
        vec!["PEXPIRE", "k", "-1"],
        vec!["EXPIREAT", "k", "1"],
        vec!["PEXPIREAT", "k", "1700000000000"],
    ] {
        let mut ks = with(&[("k", "v")]);
        assert_eq!(run(&mut ks, &cmd), int(1), "{cmd:?}");
        assert_eq!(ks.len(), 0, "{cmd:?}");
    }
}

#[test]
fn expire_options() {
    let mut ks = with(&[("k", "v")]);
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "100", "lt"]), int(1));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "50", "NX"]), int(0));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "200", "LT"]), int(0));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "200", "gt", "xx"]), int(1));
    assert_eq!(run(&mut ks, &["TTL", "k"]), int(200));
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "20", "LT", "LT"]), int(1));
    assert_eq!(run(&mut ks, &["TTL", "k"]), int(20));
    // LT with a past time deletes.
    assert_eq!(run(&mut ks, &["EXPIRE", "k", "-1", "LT"]), int(1));
    assert_eq!(run(&mut ks, &["EXISTS", "k"]), int(0));
}

#[test]
fn expire_errors() {
    let mut ks = with(&[("k", "v")]);
    let incompatible = error("ERR NX and XX, GT or LT options at the same time are not compatible");
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "10", "nx", "xx"]),
        incompatible
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "10", "nx", "gt"]),
        incompatible
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "10", "lt", "nx"]),
        incompatible
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "10", "gt", "lt"]),
        error("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "10", "foo"]),
        error("ERR Unsupported option foo")
    );
    // Options are checked before the time, and before the key exists.
    assert_eq!(
        run(&mut ks, &["EXPIRE", "nokey", "abc", "foo"]),
        error("ERR Unsupported option foo")
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "abc"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "1.5"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "9223372036854776"]),
        error("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k", "-9223372036854776"]),
        error("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        run(&mut ks, &["PEXPIRE", "k", "9223372036854775807"]),
        error("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        run(&mut ks, &["EXPIREAT", "k", "9223372036854776"]),
        error("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(
        run(&mut ks, &["PEXPIREAT", "k", "9223372036854775807"]),
        int(1)
    );
    assert_eq!(
        run(&mut ks, &["EXPIRE", "k"]),
        error("ERR wrong number of arguments for 'expire' command")
    );
    assert_eq!(run(&mut ks, &["EXISTS", "k"]), int(1));
}

#[test]
fn dbsize_flush_randomkey() {
    let mut ks = with(&[("a", "1"), ("b", "2")]);
    assert_eq!(run(&mut ks, &["DBSIZE"]), int(2));
    assert!(matches!(run(&mut ks, &["RANDOMKEY"]), Reply::Bulk(_)));
    assert_eq!(run(&mut ks, &["FLUSHDB", "foo"]), error("ERR syntax error"));
    assert_eq!(
        run(&mut ks, &["FLUSHDB", "async", "x"]),
        error("ERR syntax error")
    );
    assert_eq!(run(&mut ks, &["DBSIZE"]), int(2));
    assert_eq!(run(&mut ks, &["FLUSHDB", "ASYNC"]), ok());
    assert_eq!(run(&mut ks, &["DBSIZE"]), int(0));
    assert_eq!(run(&mut ks, &["RANDOMKEY"]), Reply::Nil);
    run(&mut ks, &["SET", "a", "1"]);
    assert_eq!(run(&mut ks, &["RANDOMKEY"]), bulk("a"));
    assert_eq!(run(&mut ks, &["FLUSHDB", "sync"]), ok());
    assert_eq!(run(&mut ks, &["FLUSHDB"]), ok());
    assert_eq!(ks.len(), 0);
}

#[test]
fn randomkey_skips_expired_keys_and_is_deterministic() {
    let mut ks = with(&[("a", "1"), ("b", "2"), ("c", "3")]);
    run(&mut ks, &["PEXPIRE", "a", "1"]);
    run(&mut ks, &["PEXPIRE", "b", "1"]);
    for _ in 0..5 {
        assert_eq!(run_at(&mut ks, NOW + 1, &["RANDOMKEY"]), bulk("c"));
    }
    let ks2 = with(&[("a", "1"), ("b", "2"), ("c", "3")]);
    let argv = [Bytes::from_static(b"RANDOMKEY")];
    assert_eq!(
        ks2.execute_read(&argv, NOW, 9),
        ks2.execute_read(&argv, NOW, 9)
    );
}
