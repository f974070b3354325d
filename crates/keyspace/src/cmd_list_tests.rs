//! Unit tests for the list commands; expected replies were taken from redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::{array, bulk, error, int, words, WRONGTYPE};

fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 1_000, 1)
}

fn with_list(items: &str) -> Keyspace {
    let mut ks = Keyspace::new();
    run(&mut ks, &format!("rpush l {items}"));
    run(&mut ks, "set s v");
    ks
}

#[test]
fn push_variants_and_order() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "lpush l a b c"), int(3));
    assert_eq!(run(&mut ks, "rpush l d"), int(4));
    assert_eq!(run(&mut ks, "lrange l 0 -1"), array(&["c", "b", "a", "d"]));
    assert_eq!(run(&mut ks, "lpushx nol a"), int(0));
    assert!(!ks.contains(&Bytes::from_static(b"nol"), 0));
    assert_eq!(run(&mut ks, "rpushx l e f"), int(6));
    run(&mut ks, "set s v");
    assert_eq!(run(&mut ks, "lpush s a"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "rpushx s a"), error(WRONGTYPE));
}

#[test]
fn pop_with_and_without_count() {
    let mut ks = with_list("a b c d");
    assert_eq!(run(&mut ks, "lpop l"), bulk("a"));
    assert_eq!(run(&mut ks, "rpop l"), bulk("d"));
    assert_eq!(run(&mut ks, "lpop l 0"), Reply::Array(vec![]));
    assert_eq!(run(&mut ks, "rpop l 5"), array(&["c", "b"]));
    assert!(!ks.contains(&Bytes::from_static(b"l"), 0));
    assert_eq!(run(&mut ks, "lpop l"), Reply::Nil);
    assert_eq!(run(&mut ks, "lpop l 1"), Reply::NilArray);
    assert_eq!(run(&mut ks, "lpop l 0"), Reply::NilArray);
    let positive = error("ERR value is out of range, must be positive");
    assert_eq!(run(&mut ks, "lpop l -1"), positive);
    assert_eq!(run(&mut ks, "rpop l x"), positive);
    assert_eq!(
        run(&mut ks, "lpop l 1 2"),
        error("ERR wrong number of arguments for 'lpop' command")
    );
    assert_eq!(run(&mut ks, "lpop s 0"), error(WRONGTYPE));
}

#[test]
fn lrange_and_lindex_clamp_like_redis() {
    let mut ks = with_list("a b c d e f");
    assert_eq!(run(&mut ks, "lrange l -3 -1"), array(&["d", "e", "f"]));
    assert_eq!(run(&mut ks, "lrange l -100 1"), array(&["a", "b"]));
    assert_eq!(run(&mut ks, "lrange l 4 2"), array(&[]));
    assert_eq!(
        run(&mut ks, "lrange l -9223372036854775808 9223372036854775807"),
        array(&["a", "b", "c", "d", "e", "f"])
    );
    assert_eq!(
        run(&mut ks, "lrange nol x 1"),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(run(&mut ks, "lindex l -1"), bulk("f"));
    assert_eq!(run(&mut ks, "lindex l 6"), Reply::Nil);
    // The key is looked up before the index is parsed.
    assert_eq!(run(&mut ks, "lindex nol x"), Reply::Nil);
    assert_eq!(run(&mut ks, "lindex s x"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "llen l"), int(6));
    assert_eq!(run(&mut ks, "llen nol"), int(0));
}

#[test]
fn lset_errors() {
    let mut ks = with_list("a b");
    assert_eq!(run(&mut ks, "lset l -1 B"), Reply::ok());
    assert_eq!(run(&mut ks, "lrange l 0 -1"), array(&["a", "B"]));
    assert_eq!(run(&mut ks, "lset l 2 x"), error("ERR index out of range"));
    assert_eq!(run(&mut ks, "lset nol x v"), error("ERR no such key"));
    assert_eq!(
        run(&mut ks, "lset l x v"),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(run(&mut ks, "lset s 0 v"), error(WRONGTYPE));
}

#[test]
fn lrem_directions() {
    let mut ks = with_list("a b a c a b a");
    assert_eq!(run(&mut ks, "lrem l 2 a"), int(2));
    assert_eq!(
        run(&mut ks, "lrange l 0 -1"),
        array(&["b", "c", "a", "b", "a"])
    );
    assert_eq!(run(&mut ks, "lrem l -1 a"), int(1));
    assert_eq!(run(&mut ks, "lrange l 0 -1"), array(&["b", "c", "a", "b"]));
    assert_eq!(run(&mut ks, "lrem l 0 b"), int(2));
    assert_eq!(run(&mut ks, "lrem l -9223372036854775808 a"), int(1));
    assert_eq!(run(&mut ks, "lrem l 0 c"), int(1));
    assert!(!ks.contains(&Bytes::from_static(b"l"), 0));
    assert_eq!(run(&mut ks, "lrem nol 1 a"), int(0));
    assert_eq!(
        run(&mut ks, "lrem nol x a"),
        error("ERR value is not an integer or out of range")
    );
}

#[test]
fn ltrim_ranges() {
    let mut ks = with_list("a b c d e");
    assert_eq!(run(&mut ks, "ltrim l 1 -2"), Reply::ok());
    assert_eq!(run(&mut ks, "lrange l 0 -1"), array(&["b", "c", "d"]));
    assert_eq!(run(&mut ks, "ltrim l 5 1"), Reply::ok());
    assert!(!ks.contains(&Bytes::from_static(b"l"), 0));
    assert_eq!(run(&mut ks, "ltrim nol 0 1"), Reply::ok());
    assert_eq!(run(&mut ks, "ltrim s 0 1"), error(WRONGTYPE));
}

#[test]
fn linsert_cases() {
    let mut ks = with_list("a b");
    assert_eq!(run(&mut ks, "linsert l before b X"), int(3));
    assert_eq!(run(&mut ks, "linsert l AFTER b Y"), int(4));
    assert_eq!(run(&mut ks, "lrange l 0 -1"), array(&["a", "X", "b", "Y"]));
    assert_eq!(run(&mut ks, "linsert l after zz Y"), int(-1));
    assert_eq!(run(&mut ks, "linsert nol before a b"), int(0));
    assert_eq!(
        run(&mut ks, "linsert nol middle a b"),
        error("ERR syntax error")
    );
    assert_eq!(run(&mut ks, "linsert s before a b"), error(WRONGTYPE));
}

#[test]
fn lpos_options() {
    let mut ks = with_list("a b c 1 2 3 c c");
    assert_eq!(run(&mut ks, "lpos l c"), int(2));
    assert_eq!(run(&mut ks, "lpos l c rank -1"), int(7));
    assert_eq!(run(&mut ks, "lpos l c rank 2"), int(6));
    assert_eq!(run(&mut ks, "lpos l c rank 4"), Reply::Nil);
    assert_eq!(
        run(&mut ks, "lpos l c count 0"),
        Reply::Array(vec![int(2), int(6), int(7)])
    );
    assert_eq!(
        run(&mut ks, "lpos l c rank -1 count 2"),
        Reply::Array(vec![int(7), int(6)])
    );
    assert_eq!(
        run(&mut ks, "lpos l c count 0 maxlen 3"),
        Reply::Array(vec![int(2)])
    );
    assert_eq!(run(&mut ks, "lpos l zz count 0"), Reply::Array(vec![]));
    assert_eq!(run(&mut ks, "lpos nol c"), Reply::Nil);
    assert_eq!(run(&mut ks, "lpos nol c count 1"), Reply::Array(vec![]));
    assert_eq!(
        run(&mut ks, "lpos l c rank 0"),
        error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
             or use negative to start from the end of the list"
        )
    );
    assert_eq!(
        run(&mut ks, "lpos l c count x"),
        error("ERR COUNT can't be negative")
    );
    assert_eq!(
        run(&mut ks, "lpos l c maxlen -1"),
        error("ERR MAXLEN can't be negative")
    );
    assert_eq!(run(&mut ks, "lpos l c count"), error("ERR syntax error"));
    // Options are validated before the key's type.
    assert_eq!(
        run(&mut ks, "lpos s c rank 0"),
        error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
             or use negative to start from the end of the list"
        )
    );
    assert_eq!(run(&mut ks, "lpos s c"), error(WRONGTYPE));
}

#[test]
fn lmove_and_rpoplpush() {
    let mut ks = with_list("a b c");
    assert_eq!(run(&mut ks, "lmove l d left right"), bulk("a"));
    assert_eq!(run(&mut ks, "rpoplpush l d"), bulk("c"));
    assert_eq!(run(&mut ks, "lrange d 0 -1"), array(&["c", "a"]));
    assert_eq!(run(&mut ks, "lmove d d left right"), bulk("c"));
    assert_eq!(run(&mut ks, "lrange d 0 -1"), array(&["a", "c"]));
    assert_eq!(run(&mut ks, "lmove l d right left"), bulk("b"));
    assert!(!ks.contains(&Bytes::from_static(b"l"), 0));
    assert_eq!(run(&mut ks, "lmove nol d left left"), Reply::Nil);
    assert_eq!(run(&mut ks, "lmove nol s left left"), Reply::Nil);
    assert_eq!(run(&mut ks, "lmove d s left left"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "lrange d 0 -1"), array(&["b", "a", "c"]));
    assert_eq!(run(&mut ks, "lmove d x up left"), error("ERR syntax error"));
    let mut one = with_list("x");
    assert_eq!(run(&mut one, "rpoplpush l l"), bulk("x"));
    assert_eq!(run(&mut one, "lrange l 0 -1"), array(&["x"]));
}

#[test]
fn binary_and_empty_elements() {
    let mut ks = Keyspace::new();
    let argv = |parts: &[&[u8]]| -> Vec<Bytes> {
        parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
    };
    assert_eq!(
        ks.execute_write(&argv(&[b"rpush", b"k", b"\x00\xff", b""]), 0, 0),
        int(2)
    );
    assert_eq!(ks.execute_write(&argv(&[b"lpos", b"k", b""]), 0, 0), int(1));
    assert_eq!(
        ks.execute_write(&argv(&[b"lpop", b"k"]), 0, 0),
        Reply::Bulk(Bytes::from_static(b"\x00\xff"))
    );
}
