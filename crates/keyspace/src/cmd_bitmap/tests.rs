//! Bitmap and string-extra command tests. Every expected reply was taken from redis-server
//! 7.0.15 running the same commands.

use bytes::Bytes;
use meridian_types::Reply;

use crate::ctx::WriteCtx;
use crate::db::Keyspace;
use crate::test_util::{argv, bulk, error, exists, int, ok, put_list, SYNTAX, WRONGTYPE};

const NOW: u64 = 1_700_000_000_000;
const NOT_INT: &str = "ERR value is not an integer or out of range";
const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
const BF_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

fn run(ks: &mut Keyspace, cmd: &[&str]) -> Reply {
    ks.execute_write(&argv(cmd), NOW, 7)
}

/// Runs every `(command, expected reply)` in order.
fn script(ks: &mut Keyspace, steps: &[(&[&str], Reply)]) {
    for (i, (cmd, want)) in steps.iter().enumerate() {
        assert_eq!(&run(ks, cmd), want, "step {i}: {cmd:?}");
    }
}

fn ints(values: &[i64]) -> Reply {
    Reply::Array(values.iter().map(|v| int(*v)).collect())
}

fn raw(b: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(b))
}

/// `s` = "foobar", `l` a list.
fn setup() -> Keyspace {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, &["SET", "s", "foobar"]), ok());
    put_list(&mut ks, "l");
    ks
}

#[test]
fn setbit_and_getbit() {
    let mut ks = setup();
    script(
        &mut ks,
        &[
            (&["SETBIT", "b", "7", "1"], int(0)),
            (&["SETBIT", "b", "7", "1"], int(1)),
            (&["SETBIT", "b", "7", "0"], int(1)),
            (&["GET", "b"], raw(b"\x00")),
            (&["SETBIT", "b", "100", "1"], int(0)),
            (&["STRLEN", "b"], int(13)),
            (&["GETBIT", "b", "100"], int(1)),
            (&["GETBIT", "b", "101"], int(0)),
            (&["GETBIT", "b", "99999"], int(0)),
            (&["GETBIT", "nokey", "5"], int(0)),
            (&["GETBIT", "b", "4294967295"], int(0)),
            (&["GETBIT", "s", "1"], int(1)),
            (&["SETBIT", "l", "1", "1"], error(WRONGTYPE)),
            (&["GETBIT", "l", "1"], error(WRONGTYPE)),
        ],
    );
}

#[test]
fn setbit_and_getbit_argument_errors() {
    let mut ks = setup();
    script(
        &mut ks,
        &[
            (&["SETBIT", "b", "-1", "1"], error(BIT_OFFSET)),
            (&["SETBIT", "b", "abc", "1"], error(BIT_OFFSET)),
            (&["SETBIT", "b", "#1", "1"], error(BIT_OFFSET)),
            (&["SETBIT", "b", "4294967296", "1"], error(BIT_OFFSET)),
            (&["SETBIT", "b", "1", "2"], error(BIT_VALUE)),
            (&["SETBIT", "b", "1", "-1"], error(BIT_VALUE)),
            (&["SETBIT", "b", "1", "x"], error(BIT_VALUE)),
            // The offset is checked before the key's type.
            (&["SETBIT", "l", "-1", "1"], error(BIT_OFFSET)),
            (&["GETBIT", "b", "-1"], error(BIT_OFFSET)),
            (&["GETBIT", "b", "4294967296"], error(BIT_OFFSET)),
        ],
    );
    assert!(!exists(&ks, "b"));
}

#[test]
fn offsets_are_limited_by_proto_max_bulk_len() {
    let mut ks = Keyspace::new();
    let mut ctx = WriteCtx::new(&mut ks, NOW, 7);
    ctx.limits.max_string_len = 4;
    // Byte 3 is the last one a 4-byte limit allows: bit 31.
    assert_eq!(
        super::setbit(&mut ctx, &argv(&["SETBIT", "b", "31", "1"])),
        Ok(int(0))
    );
    assert_eq!(
        super::setbit(&mut ctx, &argv(&["SETBIT", "b", "32", "1"])),
        Err(error(BIT_OFFSET))
    );
    let bitfield =
        |ctx: &mut WriteCtx<'_>, cmd: &[&str]| super::bitfield::bitfield(ctx, &argv(cmd));
    assert_eq!(
        bitfield(&mut ctx, &["BITFIELD", "b", "GET", "u8", "#4"]),
        Err(error(BIT_OFFSET))
    );
    // Only the start of a field is checked, so a field may end past the limit, as in Redis.
    assert_eq!(
        bitfield(&mut ctx, &["BITFIELD", "b", "SET", "u16", "24", "65535"]),
        Ok(ints(&[256]))
    );
    assert_eq!(run(&mut ks, &["GET", "b"]), raw(b"\x00\x00\x00\xff\xff"));
}

#[test]
fn setbit_keeps_the_ttl_and_an_unchanged_bit_is_no_modification() {
    let mut ks = Keyspace::new();
    let key = Bytes::from_static(b"t");
    script(
        &mut ks,
        &[
            (&["SET", "t", "v"], ok()),
            (&["EXPIRE", "t", "100"], int(1)),
            (&["SETBIT", "t", "4", "1"], int(0)),
            (&["TTL", "t"], int(100)),
            (&["GET", "t"], bulk("~")),
        ],
    );
    let before = ks.digest(&key, NOW);
    assert_eq!(run(&mut ks, &["SETBIT", "t", "4", "1"]), int(1));
    assert_eq!(run(&mut ks, &["SETBIT", "t", "0", "0"]), int(0));
    assert_eq!(ks.digest(&key, NOW), before);
    assert_eq!(run(&mut ks, &["SETBIT", "t", "8", "0"]), int(0));
    assert_ne!(
        ks.digest(&key, NOW),
        before,
        "growing the string is a change"
    );
}

#[test]
fn bitcount_ranges() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, &["SET", "e", ""]), ok());
    let cases: &[(&[&str], Reply)] = &[
        (&["BITCOUNT", "s"], int(26)),
        (&["BITCOUNT", "s", "0", "0"], int(4)),
        (&["BITCOUNT", "s", "1", "1"], int(6)),
        (&["BITCOUNT", "s", "1", "1", "bit"], int(1)),
        (&["BITCOUNT", "s", "5", "30", "BIT"], int(17)),
        (&["BITCOUNT", "s", "0", "-1", "bit"], int(26)),
        (&["BITCOUNT", "s", "-3", "-1", "BYTE"], int(10)),
        (&["BITCOUNT", "s", "-9", "-1", "BIT"], int(5)),
        (&["BITCOUNT", "s", "-100", "100"], int(26)),
        (&["BITCOUNT", "s", "2", "1"], int(0)),
        (&["BITCOUNT", "s", "-1", "-2"], int(0)),
        (&["BITCOUNT", "nokey"], int(0)),
        (&["BITCOUNT", "e"], int(0)),
        (&["BITCOUNT", "e", "0", "-1"], int(0)),
    ];
    script(&mut ks, cases);
}

#[test]
fn bitcount_errors_follow_redis_order() {
    let mut ks = setup();
    script(
        &mut ks,
        &[
            // A missing key answers 0 before its arguments are read.
            (&["BITCOUNT", "nokey", "0"], int(0)),
            (&["BITCOUNT", "nokey", "a", "b"], int(0)),
            (&["BITCOUNT", "l"], error(WRONGTYPE)),
            (&["BITCOUNT", "s", "0"], error(SYNTAX)),
            (&["BITCOUNT", "s", "0", "1", "bit", "x"], error(SYNTAX)),
            (&["BITCOUNT", "s", "0", "1", "foo"], error(SYNTAX)),
            (&["BITCOUNT", "s", "a", "b"], error(NOT_INT)),
            (&["BITCOUNT", "s", "0", "b"], error(NOT_INT)),
            // An inverted negative range answers 0 before the unit is read.
            (&["BITCOUNT", "s", "-1", "-2", "foo"], int(0)),
        ],
    );
}

#[test]
fn bitpos_finds_set_and_clear_bits() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, &["SET", "e", ""]), ok());
    let cases: &[(&[&str], Reply)] = &[
        (&["BITPOS", "s", "1"], int(1)),
        (&["BITPOS", "s", "0"], int(0)),
        (&["BITPOS", "s", "1", "2"], int(17)),
        (&["BITPOS", "s", "1", "2", "-1"], int(17)),
        (&["BITPOS", "s", "1", "7", "15", "bit"], int(9)),
        (&["BITPOS", "s", "0", "7", "15", "bit"], int(7)),
        (&["BITPOS", "s", "1", "-1", "-1"], int(41)),
        (&["BITPOS", "s", "1", "0", "-1", "bit"], int(1)),
        (&["BITPOS", "s", "0", "0", "-1", "bit"], int(0)),
        (&["BITPOS", "nokey", "0"], int(0)),
        (&["BITPOS", "nokey", "1"], int(-1)),
        (&["BITPOS", "nokey", "1", "a", "b"], int(-1)),
        // An empty string has no bits, not even the padding.
        (&["BITPOS", "e", "0"], int(-1)),
        (&["BITPOS", "e", "1"], int(-1)),
        (&["BITPOS", "e", "0", "0"], int(-1)),
    ];
    script(&mut ks, cases);
}

#[test]
fn bitpos_of_a_clear_bit_in_all_ones() {
    let mut ks = Keyspace::new();
    for bit in 0..24 {
        run(&mut ks, &["SETBIT", "ff", &bit.to_string(), "1"]);
    }
    script(
        &mut ks,
        &[
            // Without an end the string is zero-padded on the right.
            (&["BITPOS", "ff", "0"], int(24)),
            (&["BITPOS", "ff", "0", "1"], int(24)),
            // With an explicit end it is not.
            (&["BITPOS", "ff", "0", "0", "-1"], int(-1)),
            (&["BITPOS", "ff", "0", "3", "20", "bit"], int(-1)),
            (&["BITPOS", "ff", "1", "3", "20", "bit"], int(3)),
            (&["SETBIT", "ff", "13", "0"], int(1)),
            (&["BITPOS", "ff", "0", "3", "20", "bit"], int(13)),
            (&["BITPOS", "ff", "0", "14", "20", "bit"], int(-1)),
            (&["BITPOS", "ff", "0", "13", "13", "bit"], int(13)),
        ],
    );
}

#[test]
fn bitpos_errors_follow_redis_order() {
    let mut ks = setup();
    script(
        &mut ks,
        &[
            (
                &["BITPOS", "s", "2"],
                error("ERR The bit argument must be 1 or 0."),
            ),
            (
                &["BITPOS", "nokey", "2"],
                error("ERR The bit argument must be 1 or 0."),
            ),
            (&["BITPOS", "s", "x"], error(NOT_INT)),
            (&["BITPOS", "l", "1"], error(WRONGTYPE)),
            (&["BITPOS", "s", "0", "a"], error(NOT_INT)),
            (&["BITPOS", "s", "0", "0", "a"], error(NOT_INT)),
            (&["BITPOS", "s", "0", "0", "1", "foo"], error(SYNTAX)),
            (&["BITPOS", "s", "0", "0", "1", "bit", "x"], error(SYNTAX)),
        ],
    );
}

#[test]
fn bitop_combines_sources() {
    let mut ks = setup();
    script(
        &mut ks,
        &[
            (&["MSET", "a", "foobar", "b", "abcdef", "c", "xyz"], ok()),
            (&["BITOP", "and", "d", "a", "b"], int(6)),
            (&["GET", "d"], bulk("`bc`ab")),
            (&["BITOP", "OR", "d", "a", "b", "c"], int(6)),
            (&["GET", "d"], bulk("\x7f\x7f\x7ffev")),
            (&["BITOP", "xor", "d", "a", "c"], int(6)),
            (&["GET", "d"], raw(b"\x1e\x16\x15bar")),
            (&["BITOP", "not", "d", "c"], int(3)),
            (&["GET", "d"], raw(b"\x87\x86\x85")),
            (&["BITOP", "and", "d", "a", "nokey"], int(6)),
            (&["GET", "d"], raw(&[0; 6])),
            (&["BITOP", "or", "a", "a", "a"], int(6)),
            (&["GET", "a"], bulk("foobar")),
        ],
    );
}

#[test]
fn bitop_empty_result_deletes_and_a_result_replaces_with_its_ttl() {
    let mut ks = setup();
    script(
        &mut ks,
        &[
            (&["SET", "d", "x"], ok()),
            (&["BITOP", "or", "d", "nokey"], int(0)),
            (&["EXISTS", "d"], int(0)),
            (&["SET", "e", ""], ok()),
            (&["SET", "d", "x"], ok()),
            (&["BITOP", "AND", "d", "e", "nokey"], int(0)),
            (&["EXISTS", "d"], int(0)),
            (&["SET", "t", "v"], ok()),
            (&["EXPIRE", "t", "100"], int(1)),
            (&["BITOP", "or", "t", "s"], int(6)),
            (&["TTL", "t"], int(-1)),
            // A destination of another type is replaced.
            (&["BITOP", "or", "l", "s"], int(6)),
            (&["TYPE", "l"], Reply::Status("string".into())),
        ],
    );
}

#[test]
fn bitop_errors() {
    let mut ks = setup();
    let not_one = error("ERR BITOP NOT must be called with a single source key.");
    script(
        &mut ks,
        &[
            (&["BITOP", "nand", "d", "s"], error(SYNTAX)),
            (&["BITOP", "not", "d", "s", "s"], not_one),
            (&["SET", "d", "keep"], ok()),
            (&["BITOP", "and", "d", "s", "l"], error(WRONGTYPE)),
            (&["GET", "d"], bulk("keep")),
        ],
    );
}

#[test]
fn substr_is_getrange() {
    let mut ks = setup();
    assert_eq!(run(&mut ks, &["SET", "e", ""]), ok());
    let empty = bulk("");
    let cases: &[(&[&str], Reply)] = &[
        (&["SUBSTR", "s", "0", "2"], bulk("foo")),
        (&["SUBSTR", "s", "-3", "-1"], bulk("bar")),
        (&["SUBSTR", "s", "-1", "-3"], empty.clone()),
        (&["SUBSTR", "s", "2", "100"], bulk("obar")),
        (&["SUBSTR", "s", "100", "200"], empty.clone()),
        (&["SUBSTR", "s", "-100", "-50"], bulk("f")),
        (&["SUBSTR", "s", "0", "-100"], bulk("f")),
        (&["SUBSTR", "nokey", "0", "1"], empty.clone()),
        (&["SUBSTR", "e", "0", "-1"], empty),
        (&["SUBSTR", "l", "0", "1"], error(WRONGTYPE)),
        (&["SUBSTR", "l", "x", "1"], error(NOT_INT)),
    ];
    script(&mut ks, cases);
}

mod bitfield;
mod lcs;
