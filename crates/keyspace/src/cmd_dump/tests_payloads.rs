//! DUMP and RESTORE against payloads captured from redis-server 7.0.15 (`captured.txt`): our
//! DUMP of the same value gives the same bytes, and every payload Redis made or loads restores
//! to the value it holds.

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::{argv, ok};

const CAPTURED: &str = include_str!("captured.txt");

struct Case {
    name: &'static str,
    payload: Vec<u8>,
    /// Redis's DUMP after restoring `payload` (None: the payload itself).
    redumped: Option<Vec<u8>>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn cases() -> Vec<Case> {
    CAPTURED
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            Case {
                name: parts[0],
                payload: unhex(parts[1]),
                redumped: (parts[2] != "=").then(|| unhex(parts[2])),
            }
        })
        .collect()
}

fn strs(v: Vec<String>) -> Vec<Bytes> {
    v.into_iter().map(Bytes::from).collect()
}

/// The command that made key `name` in the capture script (Redis values, same order).
fn setup(name: &str) -> Vec<Bytes> {
    let cmd = |words: &[&str]| argv(words);
    let x70 = "x".repeat(70);
    let y64 = "y".repeat(64);
    let many = |head: &[&str], n: usize, f: &dyn Fn(usize) -> Vec<String>| {
        let mut v: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        v.extend((0..n).flat_map(f));
        strs(v)
    };
    match name {
        "s_int8" => cmd(&["set", name, "123"]),
        "s_int16" => cmd(&["set", name, "-1234"]),
        "s_int32" => cmd(&["set", name, "100000"]),
        "s_int64" => cmd(&["set", name, "12345678901"]),
        "s_str" => cmd(&["set", name, "hello"]),
        "s_lzf" => cmd(&["set", name, &"a".repeat(50)]),
        "s_nolzf" => cmd(&["set", name, "abcdefghijklmnopqrstuvwxyz"]),
        "s_empty" => cmd(&["set", name, ""]),
        "s_text" => cmd(&[
            "set",
            name,
            "the quick brown fox jumps over the lazy dog, the quick brown fox again",
        ]),
        "l_small" => cmd(&[
            "rpush",
            name,
            "a",
            "b",
            "c",
            "1",
            "2",
            "300",
            "-5",
            "100000",
            "-100000",
            "5000000000",
            &x70,
        ]),
        "l_big" => many(&["rpush", name], 1000, &|i| vec![format!("element-{i}")]),
        "l_fat" => many(&["rpush", name], 7, &|i| {
            vec![(i + 1).to_string().repeat(3000)]
        }),
        "set_int16" => cmd(&["sadd", name, "3", "1", "2", "-5"]),
        "set_int32" => cmd(&["sadd", name, "3", "100000", "-7"]),
        "set_int64" => cmd(&["sadd", name, "5", "10000000000"]),
        "set_one" => cmd(&["sadd", name, "hello"]),
        "h_small" => cmd(&[
            "hset", name, "f1", "v1", "f2", "2", "num", "-300", "long", &y64,
        ]),
        "h_bigval" => cmd(&["hset", name, "f", &"z".repeat(100)]),
        "z_small" => cmd(&[
            "zadd", name, "1", "a", "2.5", "b", "-3", "c", "inf", "d", "0.1", "e", "1e20", "f",
            "5", "12",
        ]),
        "z_bigmember" => cmd(&["zadd", name, "1.5", &"m".repeat(100)]),
        "z_skiplist" => many(&["zadd", name], 200, &|i| {
            vec![(i as f64 * 0.5).to_string(), format!("mem{i}")]
        }),
        "h_128" => many(&["hset", name], 128, &|i| {
            vec![format!("field{i}"), format!("value{i}")]
        }),
        other => panic!("no setup for {other}"),
    }
}

fn dump(ks: &mut Keyspace, key: &str) -> Reply {
    ks.execute_write(&argv(&["dump", key]), 0, 0)
}

fn restore(ks: &mut Keyspace, key: &str, payload: &[u8]) -> Reply {
    let cmd = vec![
        Bytes::from_static(b"restore"),
        Bytes::copy_from_slice(key.as_bytes()),
        Bytes::from_static(b"0"),
        Bytes::copy_from_slice(payload),
    ];
    ks.execute_write(&cmd, 0, 0)
}

#[test]
fn dump_of_the_same_value_matches_redis_byte_for_byte() {
    for case in cases().iter().filter(|c| c.redumped.is_none()) {
        let mut ks = Keyspace::new();
        let made = ks.execute_write(&setup(case.name), 0, 0);
        assert!(!made.is_error(), "{}: {made:?}", case.name);
        assert_eq!(
            dump(&mut ks, case.name),
            Reply::Bulk(Bytes::from(case.payload.clone())),
            "{}",
            case.name
        );
    }
}

#[test]
fn payloads_redis_made_restore_to_the_value_redis_held() {
    for case in cases().iter().filter(|c| c.redumped.is_none()) {
        let mut made = Keyspace::new();
        made.execute_write(&setup(case.name), 0, 0);
        let mut restored = Keyspace::new();
        assert_eq!(restore(&mut restored, case.name, &case.payload), ok());
        let key = Bytes::copy_from_slice(case.name.as_bytes());
        assert_eq!(
            restored.get_value(&key, 0),
            made.get_value(&key, 0),
            "{}",
            case.name
        );
    }
}

/// Older encodings (built by hand, accepted by redis-server): restored here, then dumped, they
/// give what redis-server dumps after restoring them. Redis keeps a restored list's node
/// boundaries and plain nodes; Meridian repacks lists, so those two compare by content.
#[test]
fn legacy_encodings_restore_and_dump_as_redis_does() {
    const REPACKED: &[(&str, &[&str])] = &[
        ("list_quicklist", &["a", "b", "7", "c"]),
        ("list_plain_node", &["plain element"]),
    ];
    for case in cases().iter().filter(|c| c.redumped.is_some()) {
        let mut ks = Keyspace::new();
        assert_eq!(
            restore(&mut ks, case.name, &case.payload),
            ok(),
            "{}",
            case.name
        );
        if let Some((_, items)) = REPACKED.iter().find(|(n, _)| *n == case.name) {
            let range = ks.execute_write(&argv(&["lrange", case.name, "0", "-1"]), 0, 0);
            assert_eq!(range, crate::test_util::array(items), "{}", case.name);
            continue;
        }
        let expected = case.redumped.clone().unwrap_or_default();
        assert_eq!(
            dump(&mut ks, case.name),
            Reply::Bulk(Bytes::from(expected)),
            "{}",
            case.name
        );
    }
}
