//! BITFIELD and BITFIELD_RO, replies from redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use super::{ints, raw, run, script, BF_TYPE, BIT_OFFSET, NOT_INT, NOW};
use crate::db::Keyspace;
use crate::test_util::{error, exists, int, ok, put_list, SYNTAX, WRONGTYPE};

const RO_ONLY_GET: &str = "ERR BITFIELD_RO only supports the GET subcommand";

/// Runs every `(command line, expected reply)` in order (words separated by spaces).
fn lines(ks: &mut Keyspace, steps: &[(&str, Reply)]) {
    for (i, (line, want)) in steps.iter().enumerate() {
        let cmd: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&run(ks, &cmd), want, "step {i}: {line}");
    }
}

/// An array of integers and nils (`None`).
fn results(values: &[Option<i64>]) -> Reply {
    Reply::Array(values.iter().map(|v| v.map_or(Reply::Nil, int)).collect())
}

#[test]
fn get_set_incrby_in_every_overflow_mode() {
    let mut ks = Keyspace::new();
    lines(
        &mut ks,
        &[
            (
                "BITFIELD bf SET i8 0 100 GET i8 0 INCRBY i8 0 50 GET u8 0",
                ints(&[0, 100, -106, 150]),
            ),
            (
                "bitfield bf overflow sat incrby i8 0 200 incrby i8 0 -300",
                ints(&[94, -128]),
            ),
            (
                "bitfield bf overflow fail incrby i8 0 1 incrby i8 0 -1 get i8 0",
                ints(&[-127, -128, -128]),
            ),
            (
                "bitfield bf overflow wrap incrby u4 3 15 incrby u4 3 1 get u4 3",
                ints(&[15, 0, 0]),
            ),
            (
                "bitfield bf set u63 10 9223372036854775807 get u63 10 get i64 10",
                ints(&[0, i64::MAX, -2]),
            ),
            (
                "bitfield bf set i64 0 -9223372036854775808 incrby i64 0 -1 \
                 overflow sat incrby i64 0 -1 get i64 0",
                ints(&[-9205357638345293825, i64::MAX, i64::MAX - 1, i64::MAX - 1]),
            ),
        ],
    );
}

#[test]
fn out_of_range_set_values_follow_redis_overflow_checks() {
    let mut ks = Keyspace::new();
    let (min, max) = (i64::MIN.to_string(), i64::MAX.to_string());
    let steps: Vec<(Vec<&str>, Reply)> = vec![
        // Redis's bound on i64::MIN wraps, so SAT saturates it upwards.
        (vec!["sat", "set", "i8", "0", &min], ints(&[0, 127])),
        (vec!["wrap", "set", "i8", "0", &min], ints(&[127, 0])),
        (vec!["sat", "set", "u8", "0", "-1"], ints(&[0, 255])),
        (vec!["wrap", "set", "u8", "0", "-1"], ints(&[255, 255])),
        (vec!["sat", "set", "i8", "0", &max], ints(&[-1, 127])),
        (vec!["wrap", "set", "i8", "0", &max], ints(&[127, -1])),
        (
            vec!["fail", "set", "u8", "0", "256"],
            results(&[None, Some(255)]),
        ),
    ];
    for (i, (op, want)) in steps.into_iter().enumerate() {
        let mut cmd = vec!["BITFIELD", "bf", "OVERFLOW"];
        cmd.extend(&op);
        cmd.extend(["GET", op[2], op[3]]);
        assert_eq!(run(&mut ks, &cmd), want, "step {i}: {cmd:?}");
    }
}

#[test]
fn increments_at_the_limits() {
    let mut ks = Keyspace::new();
    let (min, max) = (i64::MIN.to_string(), i64::MAX.to_string());
    script(
        &mut ks,
        &[
            (&["BITFIELD", "bf", "SET", "u8", "0", "7"], ints(&[0])),
            (
                &[
                    "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", &min,
                ],
                ints(&[0]),
            ),
            (&["BITFIELD", "bf", "INCRBY", "u8", "0", &min], ints(&[0])),
            (
                &[
                    "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", &max,
                ],
                ints(&[i64::MAX]),
            ),
            (&["BITFIELD", "bf", "INCRBY", "i64", "0", &max], ints(&[-2])),
            (
                &["BITFIELD", "bf", "INCRBY", "i64", "0", &max],
                ints(&[i64::MAX - 2]),
            ),
            (&["BITFIELD", "bf", "SET", "u8", "0", "255"], ints(&[127])),
            (&["BITFIELD", "bf", "INCRBY", "u8", "0", "-255"], ints(&[0])),
            (&["BITFIELD", "bf", "INCRBY", "u8", "0", "-1"], ints(&[255])),
            (
                &[
                    "BITFIELD", "bf", "SET", "i5", "3", "-16", "INCRBY", "i5", "3", "-1",
                ],
                ints(&[-1, 15]),
            ),
        ],
    );
}

#[test]
fn hash_offsets_are_multiples_of_the_width() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, &["SET", "bf", "abcdef"]), ok());
    script(
        &mut ks,
        &[
            (
                &["BITFIELD", "bf", "GET", "u8", "#2", "SET", "u8", "#3", "65"],
                ints(&[99, 100]),
            ),
            (&["BITFIELD", "bf", "GET", "i16", "#1"], ints(&[25409])),
            (&["GET", "bf"], raw(b"abcAef")),
            (&["BITFIELD", "bf", "GET", "u8", "#536870911"], ints(&[0])),
            (
                &["BITFIELD", "bf", "GET", "u8", "#536870912"],
                error(BIT_OFFSET),
            ),
            (&["BITFIELD", "bf", "GET", "u8", "4294967288"], ints(&[0])),
            (
                &["BITFIELD", "bf", "GET", "u8", "4294967296"],
                error(BIT_OFFSET),
            ),
            (&["BITFIELD", "bf", "GET", "u8", "#-1"], error(BIT_OFFSET)),
            (&["BITFIELD", "bf", "GET", "u8", "-1"], error(BIT_OFFSET)),
        ],
    );
}

#[test]
fn argument_errors() {
    let mut ks = Keyspace::new();
    put_list(&mut ks, "l");
    let cases: &[(&[&str], Reply)] = &[
        (&["BITFIELD", "bf", "GET", "u64", "0"], error(BF_TYPE)),
        (&["BITFIELD", "bf", "GET", "i65", "0"], error(BF_TYPE)),
        (&["BITFIELD", "bf", "GET", "i0", "0"], error(BF_TYPE)),
        (&["BITFIELD", "bf", "GET", "I8", "0"], error(BF_TYPE)),
        (&["BITFIELD", "bf", "GET", "u", "0"], error(BF_TYPE)),
        (&["BITFIELD", "bf", "GET", "u08", "0"], error(BF_TYPE)),
        (&["BITFIELD", "bf", "SET", "u8", "0", "abc"], error(NOT_INT)),
        (&["BITFIELD", "bf", "SET", "u8", "0"], error(SYNTAX)),
        (&["BITFIELD", "bf", "GET", "u8"], error(SYNTAX)),
        (&["BITFIELD", "bf", "foo"], error(SYNTAX)),
        (&["BITFIELD", "bf", "OVERFLOW"], error(SYNTAX)),
        (
            &["BITFIELD", "bf", "OVERFLOW", "foo", "GET", "u8", "0"],
            error("ERR Invalid OVERFLOW type specified"),
        ),
        (
            &["BITFIELD", "bf", "SET", "u8", "0", "1", "GET", "u8"],
            error(SYNTAX),
        ),
        // Arguments are checked before the key's type.
        (&["BITFIELD", "l", "GET", "x8", "0"], error(BF_TYPE)),
        (&["BITFIELD", "l", "GET", "u8", "0"], error(WRONGTYPE)),
        (&["BITFIELD", "l", "SET", "u8", "0", "1"], error(WRONGTYPE)),
    ];
    script(&mut ks, cases);
    assert!(!exists(&ks, "bf"), "a failed BITFIELD creates nothing");
}

#[test]
fn gets_alone_never_create_the_key_and_refused_writes_do() {
    let mut ks = Keyspace::new();
    script(
        &mut ks,
        &[
            (&["BITFIELD", "bf"], ints(&[])),
            (
                &["BITFIELD", "bf", "GET", "u8", "0", "GET", "i16", "100"],
                ints(&[0, 0]),
            ),
            (&["EXISTS", "bf"], int(0)),
            (
                &["BITFIELD", "nk", "OVERFLOW", "FAIL", "SET", "u2", "0", "10"],
                results(&[None]),
            ),
            (&["STRLEN", "nk"], int(1)),
        ],
    );
    // A refused write still grows the string, but Redis signals no modification.
    assert_eq!(run(&mut ks, &["SET", "s", "ab"]), ok());
    let key = Bytes::from_static(b"s");
    let before = ks.digest(&key, NOW);
    let cmd = [
        "BITFIELD", "s", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "300",
    ];
    assert_eq!(run(&mut ks, &cmd), results(&[None]));
    assert_eq!(run(&mut ks, &["STRLEN", "s"]), int(14));
    assert_eq!(ks.digest(&key, NOW), before);
    let cmd = [
        "BITFIELD", "s", "GET", "u8", "0", "OVERFLOW", "FAIL", "SET", "u8", "200", "256",
    ];
    assert_eq!(run(&mut ks, &cmd), results(&[Some(97), None]));
    assert_eq!(run(&mut ks, &["STRLEN", "s"]), int(26));
    assert_eq!(ks.digest(&key, NOW), before);
}

#[test]
fn writes_keep_the_ttl() {
    let mut ks = Keyspace::new();
    script(
        &mut ks,
        &[
            (&["SET", "t", "v"], ok()),
            (&["EXPIRE", "t", "100"], int(1)),
            (&["BITFIELD", "t", "SET", "u8", "0", "1"], ints(&[118])),
            (&["BITFIELD", "t", "INCRBY", "u2", "14", "1"], ints(&[1])),
            (&["TTL", "t"], int(100)),
            (&["GET", "t"], raw(b"\x01\x01")),
        ],
    );
}

#[test]
fn bitfield_ro_only_gets() {
    let mut ks = Keyspace::new();
    put_list(&mut ks, "l");
    assert_eq!(run(&mut ks, &["SET", "bf", "\x7f"]), ok());
    let cases: &[(&[&str], Reply)] = &[
        (
            &["BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "4"],
            ints(&[127, -1]),
        ),
        (
            &["BITFIELD_RO", "bf", "OVERFLOW", "SAT", "GET", "u8", "0"],
            ints(&[127]),
        ),
        (&["BITFIELD_RO", "bf", "OVERFLOW", "SAT"], ints(&[])),
        (&["BITFIELD_RO", "nokey", "GET", "u8", "0"], ints(&[0])),
        (
            &["BITFIELD_RO", "bf", "SET", "u8", "0", "1"],
            error(RO_ONLY_GET),
        ),
        (
            &[
                "BITFIELD_RO",
                "bf",
                "GET",
                "u8",
                "0",
                "INCRBY",
                "u8",
                "0",
                "1",
            ],
            error(RO_ONLY_GET),
        ),
        // Every argument is parsed before the subcommands are checked.
        (
            &["BITFIELD_RO", "bf", "GET", "x8", "0", "SET", "u8", "0", "1"],
            error(BF_TYPE),
        ),
        (&["BITFIELD_RO", "l", "GET", "u8", "0"], error(WRONGTYPE)),
    ];
    script(&mut ks, cases);
    let read = ks.execute_read(
        &super::argv(&["BITFIELD_RO", "bf", "GET", "u4", "0"]),
        NOW,
        0,
    );
    assert_eq!(read, ints(&[7]));
}
