//! DUMP / RESTORE / OBJECT / TOUCH behaviour. Replies and error texts come from redis-server
//! 7.0.15; payload bytes are checked against captures in `tests_payloads.rs`.

use bytes::Bytes;
use meridian_types::Reply;
use rand::{Rng, SeedableRng};

use super::{crc64::crc64, lzf, rdb_read, rdb_write, RDB_VERSION};
use crate::db::Keyspace;
use crate::test_util::{bulk, error, exists, int, ok, words, SYNTAX};

const NOW: u64 = 1_700_000_000_000;

fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), NOW, 0)
}

fn payload_of(ks: &mut Keyspace, key: &str) -> Bytes {
    match run(ks, &format!("dump {key}")) {
        Reply::Bulk(b) => b,
        other => panic!("dump {key}: {other:?}"),
    }
}

/// RESTORE `key` `ttl` `payload` followed by `opts` (space separated, may be empty).
fn restore(ks: &mut Keyspace, key: &str, ttl: &str, payload: &[u8], opts: &str) -> Reply {
    let mut cmd = vec![
        Bytes::from_static(b"restore"),
        Bytes::copy_from_slice(key.as_bytes()),
        Bytes::copy_from_slice(ttl.as_bytes()),
        Bytes::copy_from_slice(payload),
    ];
    cmd.extend(
        opts.split_whitespace()
            .map(|w| Bytes::copy_from_slice(w.as_bytes())),
    );
    ks.execute_write(&cmd, NOW, 0)
}

/// A payload around `body` with a correct footer.
fn framed(body: &[u8], version: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

fn sample_keyspace() -> Keyspace {
    let mut ks = Keyspace::new();
    for cmd in [
        "set str hello",
        "set num -42",
        "rpush list a 1 b 300 -70000 c",
        "sadd ints 5 -3 100000",
        "sadd words x y z",
        "hset hash f v n 12",
        "zadd zs 1 a 2.5 b -inf c",
    ] {
        assert!(!run(&mut ks, cmd).is_error(), "{cmd}");
    }
    let long: Vec<String> = (0..300)
        .map(|i| format!("f{i} {}", "v".repeat(i % 90)))
        .collect();
    run(&mut ks, &format!("hset bighash {}", long.join(" ")));
    let scores: Vec<String> = (0..200).map(|i| format!("{}.25 m{i}", i)).collect();
    run(&mut ks, &format!("zadd bigzs {}", scores.join(" ")));
    let members: Vec<String> = (0..600).map(|i| (i * 7).to_string()).collect();
    run(&mut ks, &format!("sadd bigset {}", members.join(" ")));
    ks
}

const SAMPLE_KEYS: &[&str] = &[
    "str", "num", "list", "ints", "words", "hash", "zs", "bighash", "bigzs", "bigset",
];

#[test]
fn every_type_round_trips_through_dump_and_restore() {
    let mut ks = sample_keyspace();
    for key in SAMPLE_KEYS {
        let p = payload_of(&mut ks, key);
        let copy = format!("{key}:copy");
        assert_eq!(restore(&mut ks, &copy, "0", &p, ""), ok(), "{key}");
        let (a, b) = (Bytes::from(key.to_string()), Bytes::from(copy.clone()));
        assert_eq!(ks.get_value(&a, NOW), ks.get_value(&b, NOW), "{key}");
        assert_eq!(payload_of(&mut ks, &copy), p, "{key}");
        assert_eq!(run(&mut ks, &format!("ttl {copy}")), int(-1));
    }
    assert_eq!(run(&mut ks, "dump nokey"), Reply::Nil);
}

#[test]
fn restore_checks_options_key_ttl_and_footer_in_redis_order() {
    let mut ks = sample_keyspace();
    let p = payload_of(&mut ks, "str");
    let e = |s: &str| error(s);
    let cases = [
        ("k", "0", &b"x"[..], "foo", e(SYNTAX)),
        ("k", "0", b"x", "idletime", e(SYNTAX)),
        ("k", "0", b"x", "freq 1 idletime 1", e(SYNTAX)),
        ("k", "0", b"x", "idletime 1 freq 1", e(SYNTAX)),
        (
            "k",
            "0",
            b"x",
            "idletime -1",
            e("ERR Invalid IDLETIME value, must be >= 0"),
        ),
        ("k", "0", b"x", "idletime abc", e(crate::test_util::NOT_INT)),
        (
            "k",
            "0",
            b"x",
            "freq 256",
            e("ERR Invalid FREQ value, must be >= 0 and <= 255"),
        ),
        (
            "str",
            "0",
            b"x",
            "",
            e("BUSYKEY Target key name already exists."),
        ),
        (
            "k",
            "-1",
            b"x",
            "",
            e("ERR Invalid TTL value, must be >= 0"),
        ),
        ("k", "abc", b"x", "", e(crate::test_util::NOT_INT)),
        (
            "k",
            "0",
            b"x",
            "replace",
            e("ERR DUMP payload version or checksum are wrong"),
        ),
    ];
    for (key, ttl, payload, opts, want) in cases {
        assert_eq!(
            restore(&mut ks, key, ttl, payload, opts),
            want,
            "{key} {ttl} {opts}"
        );
    }
    assert!(!exists(&ks, "k"));
    let newer = framed(&p[..p.len() - 10], RDB_VERSION + 1);
    assert_eq!(
        restore(&mut ks, "k", "0", &newer, ""),
        e("ERR DUMP payload version or checksum are wrong")
    );
    let older = framed(&p[..p.len() - 10], 9);
    assert_eq!(
        restore(&mut ks, "k", "0", &older, "idletime 10 replace"),
        ok()
    );
    assert_eq!(run(&mut ks, "get k"), bulk("hello"));
    for body in [&b"\x0f\x00"[..], b"\x07\x00", b"\x02\x00", b"\x00"] {
        let p = framed(body, RDB_VERSION);
        assert_eq!(
            restore(&mut ks, "k2", "0", &p, ""),
            e("ERR Bad data format")
        );
    }
}

#[test]
fn restore_ttls_relative_absolute_and_already_expired() {
    let mut ks = sample_keyspace();
    let p = payload_of(&mut ks, "list");
    assert_eq!(restore(&mut ks, "rel", "5000", &p, ""), ok());
    assert_eq!(run(&mut ks, "pttl rel"), int(5000));
    let at = (NOW + 9000).to_string();
    assert_eq!(restore(&mut ks, "abs", &at, &p, "absttl freq 3"), ok());
    assert_eq!(run(&mut ks, "pttl abs"), int(9000));
    // An absolute time in the past stores nothing, and REPLACE still deletes the old key.
    assert_eq!(restore(&mut ks, "gone", "1", &p, "ABSTTL"), ok());
    assert!(!exists(&ks, "gone"));
    assert_eq!(restore(&mut ks, "str", "1000", &p, "absttl replace"), ok());
    assert!(!exists(&ks, "str"));
    // A relative TTL so large that adding the clock wraps is expired too.
    let huge = i64::MAX.to_string();
    assert_eq!(restore(&mut ks, "wrap", &huge, &p, ""), ok());
    assert!(!exists(&ks, "wrap"));
    assert_eq!(restore(&mut ks, "rel", "0", &p, "replace"), ok());
    assert_eq!(run(&mut ks, "pttl rel"), int(-1));
}

#[test]
fn object_encoding_follows_redis_size_rules() {
    let mut ks = sample_keyspace();
    run(&mut ks, &format!("set emb {}", "e".repeat(44)));
    run(&mut ks, &format!("set raw {}", "r".repeat(45)));
    run(&mut ks, "set big 99999999999999999999");
    run(&mut ks, &format!("hset longval f {}", "x".repeat(65)));
    run(&mut ks, &format!("zadd longmember 1 {}", "x".repeat(65)));
    let expected = [
        ("str", "embstr"),
        ("num", "int"),
        ("emb", "embstr"),
        ("raw", "raw"),
        ("big", "embstr"),
        ("list", "quicklist"),
        ("ints", "intset"),
        ("words", "hashtable"),
        ("bigset", "hashtable"),
        ("hash", "listpack"),
        ("bighash", "hashtable"),
        ("longval", "hashtable"),
        ("zs", "listpack"),
        ("bigzs", "skiplist"),
        ("longmember", "skiplist"),
    ];
    for (key, enc) in expected {
        assert_eq!(
            run(&mut ks, &format!("object encoding {key}")),
            bulk(enc),
            "{key}"
        );
    }
    assert_eq!(run(&mut ks, "object encoding nokey"), Reply::Nil);
}

#[test]
fn object_refcount_freq_idletime_and_help() {
    let mut ks = sample_keyspace();
    run(&mut ks, "set small 9999");
    run(&mut ks, "set large 10000");
    assert_eq!(run(&mut ks, "object refcount small"), int(2_147_483_647));
    assert_eq!(run(&mut ks, "object refcount large"), int(1));
    assert_eq!(run(&mut ks, "OBJECT REFCOUNT hash"), int(1));
    assert_eq!(run(&mut ks, "object refcount nokey"), Reply::Nil);
    assert_eq!(run(&mut ks, "object idletime str"), int(0));
    assert_eq!(run(&mut ks, "object freq nokey"), Reply::Nil);
    let Reply::Error(freq) = run(&mut ks, "object freq str") else {
        panic!("object freq answers an error without an LFU policy");
    };
    assert!(freq.starts_with("ERR An LFU maxmemory policy is not selected, access frequency"));
    assert!(freq.ends_with("LRU and LFU data will take some time to adjust."));
    let Reply::Array(help) = run(&mut ks, "object help") else {
        panic!("object help is an array");
    };
    assert_eq!(help.len(), 15);
    assert_eq!(help[14], Reply::Status("    Prints this help.".into()));
    let unknown = "ERR unknown subcommand 'foo'. Try OBJECT HELP.";
    assert_eq!(run(&mut ks, "object foo str"), error(unknown));
    assert_eq!(run(&mut ks, "object foo"), error(unknown));
    let arity = |s: &str| error(&format!("ERR wrong number of arguments for '{s}' command"));
    assert_eq!(run(&mut ks, "object encoding"), arity("object|encoding"));
    assert_eq!(
        run(&mut ks, "object encoding a b"),
        arity("object|encoding")
    );
    assert_eq!(run(&mut ks, "object help x"), arity("object|help"));
    assert_eq!(run(&mut ks, "object"), arity("object"));
}

#[test]
fn touch_counts_live_keys_each_time_named() {
    let mut ks = sample_keyspace();
    assert_eq!(run(&mut ks, "touch str nokey str list"), int(3));
    run(&mut ks, "pexpire str 10");
    assert_eq!(ks.execute_write(&words("touch str"), NOW + 10, 0), int(0));
}

/// Truncated payloads and payloads with flipped bits (footer recomputed, so the loader sees
/// them) are refused or loaded, never a panic; whatever loads dumps again.
#[test]
fn corrupt_payloads_never_panic() {
    let mut ks = sample_keyspace();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20240601);
    for key in SAMPLE_KEYS {
        let p = payload_of(&mut ks, key);
        let body = &p[..p.len() - 10];
        for cut in 0..body.len().min(400) {
            let _ = rdb_read::load(&body[..cut]);
        }
        for _ in 0..150 {
            let mut b = body.to_vec();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..b.len());
                b[at] ^= 1 << rng.random_range(0..8);
            }
            let reply = restore(&mut ks, "fuzz", "0", &framed(&b, RDB_VERSION), "replace");
            assert!(
                reply == ok() || reply == error("ERR Bad data format"),
                "{reply:?}"
            );
            if let Ok(v) = rdb_read::load(&b) {
                let again = rdb_write::payload(&v);
                assert_eq!(rdb_read::load(&again[..again.len() - 10]), Ok(v));
            }
        }
    }
}

#[test]
fn lzf_round_trips_and_refuses_what_does_not_shrink() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for len in [21usize, 64, 1000, 70_000] {
        let repetitive: Vec<u8> = (0..len).map(|i| b"abcab"[i % 5]).collect();
        let c = lzf::compress(&repetitive, len - 4).expect("repetitive data compresses");
        assert_eq!(lzf::decompress(&c, len), Some(repetitive.clone()));
        assert_eq!(lzf::decompress(&c, len + 1), None);
        let noise: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        assert_eq!(lzf::compress(&noise, len - 4), None);
    }
    assert_eq!(lzf::decompress(&[0x20, 0x00], 3), None);
    assert_eq!(lzf::decompress(&[0x05, b'a'], 6), None);
}
