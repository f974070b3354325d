//! HyperLogLog tests. Every expected reply and every value's bytes were taken from
//! redis-server 7.0.15 (values in `redis_values.txt`, captured with GET).

use bytes::Bytes;
use meridian_types::Reply;

use rand::{Rng, SeedableRng};

use super::repr::{self, HDR_SIZE, REGISTERS};
use super::selftest;

mod estimates;
use crate::db::Keyspace;
use crate::test_util::{argv, bulk, error, int, ok, put_list, words, WRONGTYPE};

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";
/// `PFADD h` on a missing key: sparse, one XZERO of 16384 registers, cache marked invalid.
const EMPTY: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff";

fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 0, 7)
}

fn run_argv(ks: &mut Keyspace, parts: &[&[u8]]) -> Reply {
    let v: Vec<Bytes> = parts.iter().map(|p| Bytes::copy_from_slice(p)).collect();
    ks.execute_write(&v, 0, 7)
}

/// `PFADD key <prefix><from> .. <prefix><to - 1>` in one command.
fn pfadd_range(ks: &mut Keyspace, key: &str, prefix: &str, from: usize, to: usize) -> Reply {
    let mut v = argv(&["pfadd", key]);
    v.extend((from..to).map(|i| Bytes::from(format!("{prefix}{i}"))));
    ks.execute_write(&v, 0, 7)
}

fn get(ks: &mut Keyspace, key: &str) -> Vec<u8> {
    match run(ks, &format!("get {key}")) {
        Reply::Bulk(b) => b.to_vec(),
        other => panic!("GET {key}: {other:?}"),
    }
}

fn set(ks: &mut Keyspace, key: &str, value: &[u8]) {
    assert_eq!(run_argv(ks, &[b"set", key.as_bytes(), value]), ok());
}

/// A value of `redis_values.txt`.
fn redis_value(name: &str) -> Vec<u8> {
    let text = include_str!("redis_values.txt");
    let hex = text
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no value {name}"));
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn pfadd_creates_the_value_redis_creates() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "pfadd h"), int(1));
    assert_eq!(get(&mut ks, "h"), EMPTY);
    assert_eq!(run(&mut ks, "pfadd h"), int(0));
    assert_eq!(run(&mut ks, "pfcount h"), int(0));
    assert_eq!(run(&mut ks, "pfadd h a b c"), int(1));
    let abc = "48594c4c01000000000000000000008060f38050b1844bfb80425a";
    assert_eq!(hex(&get(&mut ks, "h")), abc);
    assert_eq!(run(&mut ks, "pfadd h a b c"), int(0));
    assert_eq!(run(&mut ks, "pfcount h"), int(3));
    assert_eq!(run(&mut ks, "pfcount nokey"), int(0));
    assert_eq!(run(&mut ks, "pfadd h2 \"\""), int(1));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn sparse_bytes_match_redis() {
    let mut ks = Keyspace::new();
    // phase: many elements in one command
    assert_eq!(pfadd_range(&mut ks, "c", "e", 0, 200), int(1));
    assert_eq!(get(&mut ks, "c"), redis_value("c"));
    assert_eq!(run(&mut ks, "pfcount c"), int(200));
    assert_eq!(
        run(&mut ks, "pfdebug encoding c"),
        Reply::Status("sparse".into())
    );

    // phase: one element per command (splits and merges of opcodes one at a time)
    let changed: i64 = (0..300)
        .map(|i| match run(&mut ks, &format!("pfadd d i{i}")) {
            Reply::Integer(n) => n,
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(changed, 298);
    assert_eq!(get(&mut ks, "d"), redis_value("d"));
    assert_eq!(run(&mut ks, "pfcount d"), int(301));
}

#[test]
fn promotion_to_dense_follows_hll_sparse_max_bytes() {
    let counts = [
        99, 200, 300, 401, 501, 601, 702, 804, 905, 1007, 1105, 1206, 1307, 1410, 1509, 1604, 1705,
        1806, 1907, 2012, 2113, 2213, 2316, 2416, 2516, 2622, 2713, 2806, 2909, 3011,
    ];
    let mut ks = Keyspace::new();
    for (batch, count) in counts.iter().enumerate() {
        pfadd_range(&mut ks, "p", "p", batch * 100, (batch + 1) * 100);
        let encoding = if batch < 16 { "sparse" } else { "dense" };
        assert_eq!(
            run(&mut ks, "pfdebug encoding p"),
            Reply::Status(encoding.into()),
            "batch {batch}"
        );
        assert_eq!(run(&mut ks, "pfcount p"), int(*count), "batch {batch}");
    }
}

#[test]
fn dense_bytes_match_redis() {
    let mut ks = Keyspace::new();
    pfadd_range(&mut ks, "dense", "d", 0, 5000);
    assert_eq!(get(&mut ks, "dense"), redis_value("dense"));
    assert_eq!(run(&mut ks, "pfcount dense"), int(5037));
    assert_eq!(pfadd_range(&mut ks, "dense", "d", 0, 5000), int(0));
    assert_eq!(pfadd_range(&mut ks, "dense", "d", 4990, 5010), int(1));
    assert_eq!(run(&mut ks, "pfcount dense"), int(5048));
}

#[test]
fn values_written_by_redis_count_and_grow_identically() {
    let mut ks = Keyspace::new();
    for (name, count) in [("c", 200), ("d", 301), ("m1", 497), ("dense", 5037)] {
        set(&mut ks, name, &redis_value(name));
        assert_eq!(
            run(&mut ks, &format!("pfcount {name}")),
            int(count),
            "{name}"
        );
    }
    // phase: a valid cache is answered as is, by PFCOUNT of one key only
    set(&mut ks, "cached", &redis_value("dense_cached"));
    assert_eq!(run(&mut ks, "pfcount cached"), int(5037));
    let mut forged = redis_value("c");
    forged[8..16].copy_from_slice(&42u64.to_le_bytes());
    set(&mut ks, "forged", &forged);
    assert_eq!(run(&mut ks, "pfcount forged"), int(42));
    assert_eq!(run(&mut ks, "pfcount forged nokey"), int(200));

    // phase: adding to Redis's value gives Redis's bytes
    set(&mut ks, "c2", &redis_value("c"));
    pfadd_range(&mut ks, "c2", "e", 0, 200);
    assert_eq!(get(&mut ks, "c2"), redis_value("c"));
}

#[test]
fn pfmerge_and_pfcount_of_several_keys() {
    let mut ks = Keyspace::new();
    set(&mut ks, "c", &redis_value("c"));
    set(&mut ks, "d", &redis_value("d"));
    set(&mut ks, "dense", &redis_value("dense"));
    assert_eq!(run(&mut ks, "pfcount c d"), int(497));
    assert_eq!(run(&mut ks, "pfcount c d dense nokey"), int(5545));
    // phase: sparse sources give a sparse result with Redis's bytes
    assert_eq!(run(&mut ks, "pfmerge m1 c d"), ok());
    assert_eq!(get(&mut ks, "m1"), redis_value("m1"));
    assert_eq!(run(&mut ks, "pfcount m1"), int(497));
    // phase: a dense source makes the destination dense
    assert_eq!(run(&mut ks, "pfmerge m2 c dense"), ok());
    assert_eq!(
        run(&mut ks, "pfdebug encoding m2"),
        Reply::Status("dense".into())
    );
    assert_eq!(run(&mut ks, "pfcount m2"), int(5258));
    // phase: the destination is a source too
    assert_eq!(run(&mut ks, "pfmerge c d"), ok());
    assert_eq!(get(&mut ks, "c"), redis_value("m1"));
    // phase: no existing source still creates the destination
    assert_eq!(run(&mut ks, "pfmerge x"), ok());
    assert_eq!(run(&mut ks, "pfmerge y nokey1 nokey2"), ok());
    assert_eq!(
        (get(&mut ks, "x"), get(&mut ks, "y")),
        (EMPTY.into(), EMPTY.into())
    );
}

#[test]
fn wrong_types_and_invalid_strings_are_refused() {
    let mut ks = Keyspace::new();
    put_list(&mut ks, "l");
    for cmd in [
        "pfadd l a",
        "pfcount l",
        "pfmerge l",
        "pfmerge z l",
        "pfcount nokey l",
    ] {
        assert_eq!(run(&mut ks, cmd), error(WRONGTYPE), "{cmd}");
    }
    assert_eq!(run(&mut ks, "set s hello"), ok());
    for cmd in [
        "pfadd s a",
        "pfcount s",
        "pfcount nokey s",
        "pfmerge z s",
        "pfdebug getreg s",
    ] {
        assert_eq!(run(&mut ks, cmd), error(NOT_HLL), "{cmd}");
    }
    assert_eq!(run(&mut ks, "exists z"), int(0));
    // phase: broken magic, unknown encoding, dense of the wrong length
    for (at, byte) in [(0, "0123"), (4, "x"), (4, "\x00")] {
        run(&mut ks, "del t");
        run(&mut ks, "pfadd t a b c");
        run_argv(
            &mut ks,
            &[
                b"setrange",
                b"t",
                at.to_string().as_bytes(),
                byte.as_bytes(),
            ],
        );
        assert_eq!(run(&mut ks, "pfcount t"), error(NOT_HLL), "{at} {byte:?}");
    }
}

#[test]
fn corrupt_sparse_values_are_detected() {
    let mut ks = Keyspace::new();
    run(&mut ks, "pfadd t a b c");
    run(&mut ks, "append t hello");
    for cmd in [
        "pfcount t",
        "pfcount t nokey",
        "pfmerge z t",
        "pfdebug getreg t",
    ] {
        assert_eq!(run(&mut ks, cmd), error(INVALID), "{cmd}");
    }
    assert_eq!(run(&mut ks, "pfdebug todense t"), error(INVALID));
    assert_eq!(run(&mut ks, "exists z"), int(0));
    // The garbage lies past the registers PFADD walks to: Redis adds there (and so do we).
    assert_eq!(run(&mut ks, "pfadd t zzz"), int(1));
    assert_eq!(
        run(&mut ks, "pfdebug decode t"),
        bulk("Z:8436 v:1,1 Z:2669 v:3,1 Z:1604 v:2,1 Z:3068 v:1,1 Z:603 Z:10342 Z:11373 Z:12033")
    );
}

#[test]
fn an_opcode_running_past_the_last_register_is_corrupt_everywhere() {
    // 16384 zero registers, then VAL(1,1): the installed Redis (with the CVE-2025-32023 fix)
    // refuses it when counting, merging and converting; PFADD only walks to register 8436.
    let mut past = EMPTY.to_vec();
    past.push(0x80);
    let mut ks = Keyspace::new();
    set(&mut ks, "t", &past);
    for cmd in [
        "pfcount t",
        "pfcount t nokey",
        "pfmerge m t",
        "pfdebug todense t",
    ] {
        assert_eq!(run(&mut ks, cmd), error(INVALID), "{cmd}");
    }
    assert_eq!(run(&mut ks, "pfadd t a"), int(1));
    assert_eq!(hex(&get(&mut ks, "t")[HDR_SIZE..]), "71a6844e5780");
}

/// The first element `x<i>` whose register is (or is not) below 8000.
fn element(below_8000: bool) -> String {
    (0..)
        .map(|i| format!("x{i}"))
        .find(|e| (repr::pattern(e.as_bytes()).0 < 8000) == below_8000)
        .unwrap_or_default()
}

#[test]
fn a_pfadd_that_meets_corrupt_data_changes_nothing() {
    // A sparse value covering registers 0..8000 only (one XZERO of 8000).
    let mut short = EMPTY[..HDR_SIZE].to_vec();
    short.extend_from_slice(&[0x5f, 0x3f]);
    let mut ks = Keyspace::new();
    set(&mut ks, "t", &short);
    let (low, high) = (element(true), element(false));
    assert_eq!((low.as_str(), high.as_str()), ("x0", "x1"));
    assert_eq!(
        run(&mut ks, &format!("pfadd t {low} {high}")),
        error(INVALID)
    );
    // Redis keeps the register set for x0 (the value ends 50 db b4 4e 62, as after PFADD t x0);
    // Meridian changes nothing, as for every write that answers an error.
    assert_eq!(get(&mut ks, "t"), short);
    assert_eq!(run(&mut ks, &format!("pfadd t {low}")), int(1));
    assert_eq!(hex(&get(&mut ks, "t")[HDR_SIZE..]), "50dbb44e62");
}

#[test]
fn pfdebug_subcommands() {
    let mut ks = Keyspace::new();
    run(&mut ks, "pfadd h a b c");
    run(&mut ks, "rpush l x");
    let decoded = "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603";
    assert_eq!(run(&mut ks, "pfdebug decode h"), bulk(decoded));
    assert_eq!(
        run(&mut ks, "PFDEBUG ENCODING h"),
        Reply::Status("sparse".into())
    );
    assert_eq!(run(&mut ks, "pfdebug todense h"), int(1));
    assert_eq!(run(&mut ks, "pfdebug todense h"), int(0));
    assert_eq!(
        run(&mut ks, "pfdebug encoding h"),
        Reply::Status("dense".into())
    );
    assert_eq!(
        run(&mut ks, "pfdebug decode h"),
        error("ERR HLL encoding is not sparse")
    );
    let header = b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";
    assert_eq!(&get(&mut ks, "h")[..HDR_SIZE], header);
    let Reply::Array(regs) = run(&mut ks, "pfdebug getreg h") else {
        panic!("getreg");
    };
    let set: Vec<(usize, Reply)> = regs
        .into_iter()
        .enumerate()
        .filter(|(_, r)| *r != int(0))
        .collect();
    assert_eq!(set, vec![(8436, int(1)), (12711, int(2)), (15780, int(1))]);
    // phase: GETREG turns a sparse value dense
    run(&mut ks, "pfadd g a");
    let Reply::Array(regs) = run(&mut ks, "pfdebug getreg g") else {
        panic!("getreg");
    };
    assert_eq!(regs.len(), REGISTERS);
    assert_eq!(
        run(&mut ks, "pfdebug encoding g"),
        Reply::Status("dense".into())
    );
    // phase: errors
    let no_key = error("ERR The specified key does not exist");
    assert_eq!(run(&mut ks, "pfdebug getreg nokey"), no_key);
    assert_eq!(run(&mut ks, "pfdebug foo nokey"), no_key);
    assert_eq!(
        run(&mut ks, "pfdebug foo h"),
        error("ERR Unknown PFDEBUG subcommand 'foo'")
    );
    assert_eq!(run(&mut ks, "pfdebug getreg l"), error(WRONGTYPE));
    assert_eq!(
        run_argv(&mut ks, &[b"pfdebug", b"x\r\ny", b"h"]),
        error("ERR Unknown PFDEBUG subcommand 'x  y'")
    );
    // The subcommand is read as a C string, up to its first NUL.
    assert_eq!(
        run_argv(&mut ks, &[b"pfdebug", b"encoding\x00zz", b"h"]),
        Reply::Status("dense".into())
    );
    assert_eq!(
        run_argv(&mut ks, &[b"pfdebug", b"foo\x00bar", b"h"]),
        error("ERR Unknown PFDEBUG subcommand 'foo'")
    );
    assert_eq!(
        run(&mut ks, "pfdebug encoding"),
        error("ERR wrong number of arguments for 'pfdebug' command")
    );
}

#[test]
fn pfcount_is_a_read_that_leaves_the_cache_alone() {
    let mut ks = Keyspace::new();
    run(&mut ks, "pfadd h a b c");
    let before = get(&mut ks, "h");
    assert_eq!(ks.execute_read(&words("pfcount h"), 0, 1), int(3));
    // Redis would now hold the count 3 in the cache, valid; we keep the invalid cache.
    assert_eq!(get(&mut ks, "h"), before);
    assert_eq!(before[HDR_SIZE - 1], 0x80);
}

#[test]
fn pfadd_and_pfmerge_keep_the_ttl() {
    let mut ks = Keyspace::new();
    run(&mut ks, "pfadd h a");
    run(&mut ks, "expire h 100");
    run(&mut ks, "pfadd h b c");
    assert_eq!(run(&mut ks, "ttl h"), int(100));
    run(&mut ks, "pfmerge h");
    assert_eq!(run(&mut ks, "ttl h"), int(100));
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "ten million additions, 12 s unoptimised: run with --release or --ignored"
)]
fn pfselftest_passes() {
    assert_eq!(run(&mut Keyspace::new(), "pfselftest"), ok());
}

#[test]
fn pfselftest_checks_pass_at_a_smaller_scale() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    assert_eq!(selftest::registers_roundtrip(&mut rng, 5), Ok(()));
    assert_eq!(selftest::approximation(rng.random(), 100_000), Ok(()));
}
