//! LCS, replies from redis-server 7.0.15 (RESP2 shows the IDX map as a flat array).

use meridian_types::Reply;

use super::{run, NOT_INT};
use crate::ctx::ReadCtx;
use crate::db::Keyspace;
use crate::test_util::{argv, bulk, error, int, ok, put_list, SYNTAX};

const NOT_STRINGS: &str = "ERR The specified keys must contain string values";

fn lcs(ks: &mut Keyspace, line: &str) -> Reply {
    let cmd: Vec<&str> = line.split(' ').collect();
    run(ks, &cmd)
}

/// One IDX match: ranges in the first and second string, and the length if asked for.
fn m(a: (i64, i64), b: (i64, i64), len: Option<i64>) -> Reply {
    let range = |(x, y)| Reply::Array(vec![int(x), int(y)]);
    let mut out = vec![range(a), range(b)];
    out.extend(len.map(int));
    Reply::Array(out)
}

fn idx(matches: Vec<Reply>, len: i64) -> Reply {
    Reply::Map(vec![
        (bulk("matches"), Reply::Array(matches)),
        (bulk("len"), int(len)),
    ])
}

fn setup() -> Keyspace {
    let mut ks = Keyspace::new();
    let mset = ["MSET", "key1", "ohmytext", "key2", "mynewtext", "e", ""];
    assert_eq!(run(&mut ks, &mset), ok());
    put_list(&mut ks, "l");
    ks
}

#[test]
fn string_len_and_idx() {
    let mut ks = setup();
    let both = || vec![m((4, 7), (5, 8), Some(4)), m((2, 3), (0, 1), Some(2))];
    assert_eq!(lcs(&mut ks, "LCS key1 key2"), bulk("mytext"));
    assert_eq!(lcs(&mut ks, "LCS key1 key2 LEN"), int(6));
    assert_eq!(lcs(&mut ks, "lcs key1 key2 len len"), int(6));
    let plain = vec![m((4, 7), (5, 8), None), m((2, 3), (0, 1), None)];
    assert_eq!(lcs(&mut ks, "LCS key1 key2 IDX"), idx(plain, 6));
    assert_eq!(
        lcs(&mut ks, "LCS key1 key2 IDX WITHMATCHLEN"),
        idx(both(), 6)
    );
    assert_eq!(
        lcs(&mut ks, "LCS key1 key2 IDX MINMATCHLEN -5 WITHMATCHLEN"),
        idx(both(), 6)
    );
    assert_eq!(
        lcs(&mut ks, "LCS key1 key2 idx minmatchlen 4 withmatchlen"),
        idx(vec![m((4, 7), (5, 8), Some(4))], 6)
    );
    assert_eq!(
        lcs(&mut ks, "LCS key1 key1 IDX WITHMATCHLEN"),
        idx(vec![m((0, 7), (0, 7), Some(8))], 8)
    );
}

#[test]
fn runs_are_reported_last_first_with_redis_tie_breaks() {
    let mut ks = Keyspace::new();
    let mset = ["MSET", "x1", "AGGTABQWERTYXYZ", "x2", "GXTXAYBQWEXYZRTY"];
    assert_eq!(run(&mut ks, &mset), ok());
    assert_eq!(lcs(&mut ks, "LCS x1 x2"), bulk("GTABQWEXYZ"));
    let want = vec![
        m((12, 14), (10, 12), Some(3)),
        m((5, 8), (6, 9), Some(4)),
        m((4, 4), (4, 4), Some(1)),
        m((3, 3), (2, 2), Some(1)),
        m((2, 2), (0, 0), Some(1)),
    ];
    assert_eq!(lcs(&mut ks, "LCS x1 x2 IDX WITHMATCHLEN"), idx(want, 10));
    let want = vec![m((12, 14), (10, 12), None), m((5, 8), (6, 9), None)];
    assert_eq!(lcs(&mut ks, "LCS x1 x2 IDX MINMATCHLEN 2"), idx(want, 10));

    let mset = ["MSET", "r1", "aaaaabbbbbaaaaa", "r2", "bbbaaabbbbbaaa"];
    assert_eq!(run(&mut ks, &mset), ok());
    let want = vec![m((12, 14), (11, 13), Some(3)), m((2, 9), (3, 10), Some(8))];
    assert_eq!(lcs(&mut ks, "LCS r1 r2 IDX WITHMATCHLEN"), idx(want, 11));
    assert_eq!(lcs(&mut ks, "LCS r2 r1"), bulk("aaabbbbbaaa"));
}

#[test]
fn missing_and_empty_strings() {
    let mut ks = setup();
    assert_eq!(lcs(&mut ks, "LCS key1 nokey"), bulk(""));
    assert_eq!(lcs(&mut ks, "LCS key1 nokey LEN"), int(0));
    assert_eq!(lcs(&mut ks, "LCS key1 nokey IDX"), idx(vec![], 0));
    assert_eq!(lcs(&mut ks, "LCS no1 no2 IDX WITHMATCHLEN"), idx(vec![], 0));
    assert_eq!(lcs(&mut ks, "LCS e key1 IDX"), idx(vec![], 0));
    assert_eq!(lcs(&mut ks, "LCS key1 e"), bulk(""));
}

#[test]
fn errors() {
    let mut ks = setup();
    let both = error("ERR If you want both the length and indexes, please just use IDX.");
    assert_eq!(lcs(&mut ks, "LCS key1 key2 LEN IDX"), both);
    assert_eq!(lcs(&mut ks, "LCS key1 key2 IDX LEN"), both);
    assert_eq!(lcs(&mut ks, "LCS key1 key2 MINMATCHLEN"), error(SYNTAX));
    assert_eq!(lcs(&mut ks, "LCS key1 key2 MINMATCHLEN x"), error(NOT_INT));
    assert_eq!(lcs(&mut ks, "LCS key1 key2 foo"), error(SYNTAX));
    // The keys' types are checked before the options.
    assert_eq!(lcs(&mut ks, "LCS key1 l"), error(NOT_STRINGS));
    assert_eq!(lcs(&mut ks, "LCS l key1 foo"), error(NOT_STRINGS));
}

#[test]
fn the_table_may_not_exceed_proto_max_bulk_len() {
    let ks = setup();
    let mut ctx = ReadCtx::new(&ks, 0, 0);
    let cmd = argv(&["LCS", "key1", "key2", "LEN"]);
    // ohmytext x mynewtext: 9 x 10 cells of 4 bytes.
    ctx.limits.max_string_len = 360;
    assert_eq!(super::super::lcs::lcs(&ctx, &cmd), Ok(int(6)));
    ctx.limits.max_string_len = 359;
    assert_eq!(
        super::super::lcs::lcs(&ctx, &cmd),
        Err(error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        ))
    );
}
