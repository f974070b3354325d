//! String commands, with replies checked against redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use crate::ctx::WriteCtx;
use crate::db::Keyspace;
use crate::test_util::{argv, bulk, error, int, ok, put_list, NOT_INT, SYNTAX, WRONGTYPE};

const NOW: u64 = 1_700_000_000_000;

fn run_at(ks: &mut Keyspace, now: u64, cmd: &[&str]) -> Reply {
    ks.execute_write(&argv(cmd), now, 7)
}

fn run(ks: &mut Keyspace, cmd: &[&str]) -> Reply {
    run_at(ks, NOW, cmd)
}

/// Runs every `(command, expected reply)` in order.
fn script(ks: &mut Keyspace, steps: &[(&[&str], Reply)]) {
    for (i, (cmd, want)) in steps.iter().enumerate() {
        assert_eq!(&run(ks, cmd), want, "step {i}: {cmd:?}");
    }
}

fn with_list(key: &str) -> Keyspace {
    let mut ks = Keyspace::new();
    put_list(&mut ks, key);
    ks
}

#[test]
fn set_options() {
    let mut ks = Keyspace::new();
    script(
        &mut ks,
        &[
            (&["SET", "k", "v", "ex", "10", "px", "100"], error(SYNTAX)),
            (&["SET", "k", "v", "EX", "10", "EX", "20"], ok()),
            (&["TTL", "k"], int(20)),
            (&["SET", "k", "v", "KEEPTTL"], ok()),
            (&["TTL", "k"], int(20)),
            (&["SET", "k", "v"], ok()),
            (&["TTL", "k"], int(-1)),
            (&["SET", "k", "v", "EX"], error(SYNTAX)),
            (&["SET", "k", "v", "NX", "XX"], error(SYNTAX)),
            (&["SET", "k", "v", "xx", "nx"], error(SYNTAX)),
            (&["SET", "k", "v", "foo"], error(SYNTAX)),
            (&["SET", "k", "v", "PX", "100", "KEEPTTL"], error(SYNTAX)),
            (&["SET", "k", "v", "KEEPTTL", "EXAT", "100"], error(SYNTAX)),
            (&["SET", "k", "v", "PERSIST"], error(SYNTAX)),
            (&["SET", "k", "v", "get", "GET"], bulk("v")),
            (&["SET", "k", "v2", "NX", "GET"], bulk("v")),
            (&["SET", "k", "v3", "XX", "GET"], bulk("v")),
            (&["SET", "new", "v", "XX", "GET"], Reply::Nil),
            (&["SET", "new", "v", "XX"], Reply::Nil),
            (&["SET", "k", "v4", "NX"], Reply::Nil),
            (&["GET", "k"], bulk("v3")),
            (&["EXISTS", "new"], int(0)),
            (&["SET", "new", "v", "NX", "PX", "1500"], ok()),
            (&["PTTL", "new"], int(1500)),
            (&["SET", "new", "v", "PXAT", "1700000005000", "XX"], ok()),
            (&["PTTL", "new"], int(5000)),
            (&["SET", "new", "v", "EXAT", "1700000010"], ok()),
            (&["PTTL", "new"], int(10_000)),
        ],
    );
}

#[test]
fn set_expire_errors_and_past_times() {
    let mut ks = Keyspace::new();
    let invalid = error("ERR invalid expire time in 'set' command");
    script(
        &mut ks,
        &[
            (&["SET", "k", "v", "EX", "abc"], error(NOT_INT)),
            (&["SET", "k", "v", "EX", "0", "NX", "XX"], error(SYNTAX)),
            (&["SET", "k", "v", "EX", "0"], invalid.clone()),
            (&["SET", "k", "v", "PX", "-1"], invalid.clone()),
            (&["SET", "k", "v", "PXAT", "-1"], invalid.clone()),
            (
                &["SET", "k", "v", "EX", "9223372036854775"],
                invalid.clone(),
            ),
            (
                &["SET", "k", "v", "EX", "9223372036854776"],
                invalid.clone(),
            ),
            (
                &["SET", "k", "v", "PX", "9223372036854775807"],
                invalid.clone(),
            ),
            (&["EXISTS", "k"], int(0)),
            (&["SET", "k", "v", "EXAT", "1"], ok()),
            (&["EXISTS", "k"], int(0)),
            (&["GET", "k"], Reply::Nil),
        ],
    );
    // Expire is validated before the GET type check.
    let mut ks = with_list("l");
    assert_eq!(run(&mut ks, &["SET", "l", "v", "GET", "EX", "0"]), invalid);
    assert_eq!(run(&mut ks, &["SET", "l", "v", "GET"]), error(WRONGTYPE));
    assert_eq!(run(&mut ks, &["TYPE", "l"]), Reply::Status("list".into()));
    // Without GET a SET overwrites any type.
    assert_eq!(run(&mut ks, &["SET", "l", "v"]), ok());
    assert_eq!(run(&mut ks, &["GET", "l"]), bulk("v"));
}

#[test]
fn setnx_setex_psetex() {
    let mut ks = Keyspace::new();
    script(
        &mut ks,
        &[
            (&["SETNX", "k", "a"], int(1)),
            (&["SETNX", "k", "b"], int(0)),
            (&["GET", "k"], bulk("a")),
            (
                &["SETEX", "k", "0", "v"],
                error("ERR invalid expire time in 'setex' command"),
            ),
            (&["SETEX", "k", "abc", "v"], error(NOT_INT)),
            (
                &["PSETEX", "k", "-5", "v"],
                error("ERR invalid expire time in 'psetex' command"),
            ),
            (&["GET", "k"], bulk("a")),
            (&["SETEX", "k", "10", "v"], ok()),
            (&["TTL", "k"], int(10)),
            (&["PSETEX", "k", "2500", "w"], ok()),
            (&["PTTL", "k"], int(2500)),
            (&["GET", "k"], bulk("w")),
        ],
    );
}

#[test]
fn mget_mset_msetnx() {
    let mut ks = with_list("l");
    let mset_arity = error("ERR wrong number of arguments for 'mset' command");
    script(
        &mut ks,
        &[
            (
                &["MSET", "a"],
                error("ERR wrong number of arguments for 'mset' command"),
            ),
            (&["MSET", "a", "1", "b"], mset_arity),
            (
                &["MSETNX", "a", "1", "b"],
                error("ERR wrong number of arguments for 'msetnx' command"),
            ),
            (&["MSET", "a", "1", "b", "2", "a", "3"], ok()),
            (
                &["MGET", "a", "b", "nokey", "l"],
                Reply::Array(vec![bulk("3"), bulk("2"), Reply::Nil, Reply::Nil]),
            ),
            (&["MSETNX", "a", "1", "z", "2"], int(0)),
            (&["EXISTS", "z"], int(0)),
            (&["MSETNX", "y", "1", "z", "2"], int(1)),
            (
                &["MGET", "y", "z"],
                Reply::Array(vec![bulk("1"), bulk("2")]),
            ),
        ],
    );
    // MSET drops TTLs.
    run(&mut ks, &["EXPIRE", "a", "100"]);
    run(&mut ks, &["MSET", "a", "4"]);
    assert_eq!(run(&mut ks, &["TTL", "a"]), int(-1));
}

#[test]
fn getset_getdel_getex() {
    let mut ks = with_list("l");
    script(
        &mut ks,
        &[
            (&["GETSET", "nokey", "v"], Reply::Nil),
            (&["EXPIRE", "nokey", "100"], int(1)),
            (&["GETSET", "nokey", "w"], bulk("v")),
            (&["TTL", "nokey"], int(-1)),
            (&["GETSET", "l", "v"], error(WRONGTYPE)),
            (&["GETDEL", "l"], error(WRONGTYPE)),
            (&["GETDEL", "nokey"], bulk("w")),
            (&["GETDEL", "nokey"], Reply::Nil),
            (&["SET", "k", "v"], ok()),
            (&["GETEX", "k"], bulk("v")),
            (&["GETEX", "k", "EX", "10"], bulk("v")),
            (&["TTL", "k"], int(10)),
            (&["GETEX", "k", "PX", "2500"], bulk("v")),
            (&["PTTL", "k"], int(2500)),
            (&["GETEX", "k", "PERSIST"], bulk("v")),
            (&["TTL", "k"], int(-1)),
            (&["GETEX", "k", "PXAT", "1700000003000"], bulk("v")),
            (&["PTTL", "k"], int(3000)),
            (&["GETEX", "k", "persist", "EX", "10"], error(SYNTAX)),
            (&["GETEX", "k", "EX", "10", "PERSIST"], error(SYNTAX)),
            (&["GETEX", "k", "GET"], error(SYNTAX)),
            (&["GETEX", "k", "KEEPTTL"], error(SYNTAX)),
            (&["GETEX", "k", "NX"], error(SYNTAX)),
            (&["GETEX", "k", "EX"], error(SYNTAX)),
            (
                &["GETEX", "k", "EX", "-1"],
                error("ERR invalid expire time in 'getex' command"),
            ),
            (&["GETEX", "k", "EX", "x"], error(NOT_INT)),
            (&["GETEX", "nokey", "EX", "-1"], Reply::Nil),
            (&["GETEX", "l", "EX", "-1"], error(WRONGTYPE)),
            (&["PTTL", "k"], int(3000)),
            (&["GETEX", "k", "EXAT", "1"], bulk("v")),
            (&["EXISTS", "k"], int(0)),
        ],
    );
    assert_eq!(ks.len(), 1);
}

#[test]
fn incr_family() {
    let mut ks = with_list("l");
    script(
        &mut ks,
        &[
            (&["INCR", "n"], int(1)),
            (&["SET", "k", "10"], ok()),
            (&["EXPIRE", "k", "100"], int(1)),
            (&["INCR", "k"], int(11)),
            (&["GET", "k"], bulk("11")),
            (&["TTL", "k"], int(100)),
            (&["INCRBY", "k", "-3"], int(8)),
            (&["DECRBY", "k", "5"], int(3)),
            (&["DECR", "k"], int(2)),
            (&["DECR", "k"], int(1)),
            (&["DECRBY", "k", "3"], int(-2)),
            (&["GET", "k"], bulk("-2")),
            (&["SET", "k", "9223372036854775807"], ok()),
            (
                &["INCR", "k"],
                error("ERR increment or decrement would overflow"),
            ),
            (&["SET", "k", "-9223372036854775808"], ok()),
            (
                &["DECR", "k"],
                error("ERR increment or decrement would overflow"),
            ),
            (
                &["DECRBY", "k", "-9223372036854775808"],
                error("ERR decrement would overflow"),
            ),
            (
                &["DECRBY", "l", "-9223372036854775808"],
                error("ERR decrement would overflow"),
            ),
            (&["INCRBY", "k", "9223372036854775807"], int(-1)),
            (&["SET", "k", "010"], ok()),
            (&["INCR", "k"], error(NOT_INT)),
            (&["SET", "k", "-0"], ok()),
            (&["INCR", "k"], error(NOT_INT)),
            (&["SET", "k", " 1"], ok()),
            (&["INCR", "k"], error(NOT_INT)),
            (&["SET", "k", ""], ok()),
            (&["INCR", "k"], error(NOT_INT)),
            (&["INCRBY", "k", "1.5"], error(NOT_INT)),
            (&["INCRBY", "n", "x"], error(NOT_INT)),
            (&["INCR", "l"], error(WRONGTYPE)),
            (&["INCRBY", "l", "x"], error(NOT_INT)),
            (&["GET", "n"], bulk("1")),
        ],
    );
}

#[test]
fn incrbyfloat_command() {
    let mut ks = with_list("l");
    script(
        &mut ks,
        &[
            (&["SET", "a", "10.5"], ok()),
            (&["PEXPIRE", "a", "1000"], int(1)),
            (&["INCRBYFLOAT", "a", "0.1"], bulk("10.6")),
            (&["GET", "a"], bulk("10.6")),
            (&["PTTL", "a"], int(1000)),
            (&["SET", "b", "5.0e3"], ok()),
            (&["INCRBYFLOAT", "b", "2.0e2"], bulk("5200")),
            (
                &["INCRBYFLOAT", "c", "1000.1"],
                bulk("1000.09999999999999998"),
            ),
            (&["INCRBYFLOAT", "c", "0.2"], bulk("1000.29999999999999999")),
            (&["INCRBYFLOAT", "d", "0x10"], bulk("16")),
            (&["INCRBYFLOAT", "d", "-16"], bulk("0")),
            (
                &["INCRBYFLOAT", "d", "inf"],
                error("ERR increment would produce NaN or Infinity"),
            ),
            (
                &["INCRBYFLOAT", "d", " 1"],
                error("ERR value is not a valid float"),
            ),
            (
                &["INCRBYFLOAT", "d", "abc"],
                error("ERR value is not a valid float"),
            ),
            (&["INCRBYFLOAT", "l", "x"], error(WRONGTYPE)),
            (&["SET", "s", "v"], ok()),
            (
                &["INCRBYFLOAT", "s", "1"],
                error("ERR value is not a valid float"),
            ),
            (&["SET", "s", "10 "], ok()),
            (
                &["INCRBYFLOAT", "s", "1"],
                error("ERR value is not a valid float"),
            ),
            (&["INCR", "a"], error(NOT_INT)),
            (&["GET", "d"], bulk("0")),
        ],
    );
}

#[test]
fn append_strlen_getrange() {
    let mut ks = with_list("l");
    script(
        &mut ks,
        &[
            (&["APPEND", "nk", "abc"], int(3)),
            (&["EXPIRE", "nk", "100"], int(1)),
            (&["APPEND", "nk", "de"], int(5)),
            (&["TTL", "nk"], int(100)),
            (&["APPEND", "nk", ""], int(5)),
            (&["STRLEN", "nk"], int(5)),
            (&["STRLEN", "nokey"], int(0)),
            (&["APPEND", "l", "x"], error(WRONGTYPE)),
            (&["STRLEN", "l"], error(WRONGTYPE)),
            (&["GETRANGE", "nk", "1", "-2"], bulk("bcd")),
            (&["GETRANGE", "nk", "-100", "100"], bulk("abcde")),
            (&["GETRANGE", "nk", "-1", "-5"], bulk("")),
            (&["GETRANGE", "nk", "3", "1"], bulk("")),
            (&["GETRANGE", "nk", "4", "100"], bulk("e")),
            (&["GETRANGE", "nk", "5", "100"], bulk("")),
            (
                &["GETRANGE", "nk", "-9223372036854775808", "-1"],
                bulk("abcde"),
            ),
            (
                &["GETRANGE", "nk", "0", "9223372036854775807"],
                bulk("abcde"),
            ),
            (&["GETRANGE", "nokey", "0", "1"], bulk("")),
            (&["GETRANGE", "l", "0", "1"], error(WRONGTYPE)),
            (&["GETRANGE", "l", "a", "1"], error(NOT_INT)),
            (&["SET", "e", ""], ok()),
            (&["GETRANGE", "e", "0", "-1"], bulk("")),
            (&["GETRANGE", "e", "-1", "0"], bulk("")),
        ],
    );
}

#[test]
fn setrange_command() {
    let mut ks = with_list("l");
    script(
        &mut ks,
        &[
            (
                &["SETRANGE", "k", "-1", "x"],
                error("ERR offset is out of range"),
            ),
            (&["SETRANGE", "k", "x", "x"], error(NOT_INT)),
            (&["SETRANGE", "nokey", "5", ""], int(0)),
            (&["EXISTS", "nokey"], int(0)),
            (
                &["SETRANGE", "nokey", "536870911", "xx"],
                error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ),
            (&["SETRANGE", "nokey", "536870911", "x"], int(536_870_912)),
            (&["DEL", "nokey"], int(1)),
            (&["SET", "k", "abcde"], ok()),
            (&["EXPIRE", "k", "100"], int(1)),
            (&["SETRANGE", "k", "7", "X"], int(8)),
            (&["TTL", "k"], int(100)),
            (&["SETRANGE", "k", "1", "YZ"], int(8)),
            (&["SETRANGE", "k", "0", ""], int(8)),
            (&["SETRANGE", "l", "0", "x"], error(WRONGTYPE)),
            (&["SETRANGE", "l", "0", ""], error(WRONGTYPE)),
        ],
    );
    assert_eq!(
        run(&mut ks, &["GET", "k"]),
        Reply::Bulk(Bytes::from_static(b"aYZde\0\0X"))
    );
}

#[test]
fn string_limits_follow_ctx() {
    let mut ks = Keyspace::new();
    run(&mut ks, &["SET", "k", "12345"]);
    let mut ctx = WriteCtx::new(&mut ks, NOW, 1);
    ctx.limits.max_string_len = 8;
    let too_long = Err(error(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    ));
    assert_eq!(
        super::append(&mut ctx, &argv(&["APPEND", "k", "6789"])),
        too_long
    );
    assert_eq!(
        super::append(&mut ctx, &argv(&["APPEND", "k", "678"])),
        Ok(int(8))
    );
    assert_eq!(
        super::setrange(&mut ctx, &argv(&["SETRANGE", "k", "8", "x"])),
        too_long
    );
    assert_eq!(
        super::setrange(&mut ctx, &argv(&["SETRANGE", "n", "7", "xy"])),
        too_long
    );
    assert_eq!(
        super::setrange(&mut ctx, &argv(&["SETRANGE", "n", "7", "x"])),
        Ok(int(8))
    );
}

#[test]
fn binary_values_and_empty_strings() {
    let mut ks = Keyspace::new();
    let key = Bytes::from_static(b"\x00\xffk");
    let val = Bytes::from_static(b"a\r\n\x00b");
    let set = vec![Bytes::from_static(b"SET"), key.clone(), val.clone()];
    assert_eq!(ks.execute_write(&set, NOW, 1), ok());
    let get = vec![Bytes::from_static(b"get"), key.clone()];
    assert_eq!(ks.execute_read(&get, NOW, 1), Reply::Bulk(val));
    assert_eq!(run(&mut ks, &["SET", "", ""]), ok());
    assert_eq!(run(&mut ks, &["GET", ""]), bulk(""));
    assert_eq!(run(&mut ks, &["STRLEN", ""]), int(0));
    assert_eq!(run(&mut ks, &["APPEND", "", ""]), int(0));
}

#[test]
fn expired_keys_read_as_missing() {
    let mut ks = Keyspace::new();
    run(&mut ks, &["SET", "k", "5", "PX", "10"]);
    let later = NOW + 10;
    assert_eq!(run_at(&mut ks, later, &["GET", "k"]), Reply::Nil);
    assert_eq!(run_at(&mut ks, later, &["SETNX", "k", "v"]), int(1));
    assert_eq!(run_at(&mut ks, later, &["TTL", "k"]), int(-1));
    run_at(&mut ks, later, &["SET", "j", "5", "PX", "10"]);
    assert_eq!(run_at(&mut ks, later + 10, &["INCR", "j"]), int(1));
    assert_eq!(run_at(&mut ks, later + 10, &["TTL", "j"]), int(-1));
}
