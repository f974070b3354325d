//! Keyspace events checked against what redis-server 7.0.15 publishes: `events_tests/cases.txt`
//! was run against a real server by `events_tests/capture.py` (`notify-keyspace-events EAnm`,
//! active expiry off), which wrote every `__keyevent@<db>__:<event>` message after each
//! command to `events_tests/captured.txt`. Each case is replayed here through
//! `Databases::execute_write_with_events` and must fire the same events in the same order.

use bytes::Bytes;

use crate::events::{EventClass, KeyEvent, NotifyFlags};
use crate::Databases;

const CAPTURED: &str = include_str!("events_tests/captured.txt");

/// The leader's clock for the replay (the capture ran in 2026; absolute TTLs in the cases are
/// either long past or far ahead).
const START_MS: u64 = 1_780_000_000_000;

/// A case's command line: arguments split on spaces; a `"…"` argument is unescaped as the
/// capture script's Python `escape_decode` does (`\xNN`, `\n`, `\\`, `\"`).
fn parse_argv(line: &str) -> Vec<Bytes> {
    line.split(' ')
        .map(
            |tok| match tok.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(quoted) => Bytes::from(unescape(quoted)),
                None => Bytes::copy_from_slice(tok.as_bytes()),
            },
        )
        .collect()
}

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'x')) => {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 4;
            }
            (b'\\', Some(b'n')) => {
                out.push(b'\n');
                i += 2;
            }
            (b'\\', Some(c)) => {
                out.push(*c);
                i += 2;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn show(e: &KeyEvent) -> String {
    format!("{} {} {}", e.event, e.db, String::from_utf8_lossy(&e.key))
}

/// One command of a case: the clock advance before it, its line, the events Redis fired.
struct Step {
    advance_ms: u64,
    line: String,
    expected: Vec<String>,
}

fn cases() -> Vec<(String, Vec<Step>)> {
    let mut cases: Vec<(String, Vec<Step>)> = Vec::new();
    for line in CAPTURED.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push((name.to_string(), Vec::new()));
            continue;
        }
        let steps = &mut cases.last_mut().expect("a case header first").1;
        if let Some(event) = line.strip_prefix("< ") {
            steps.last_mut().unwrap().expected.push(event.to_string());
        } else if let Some(cmd) = line.strip_prefix("> ") {
            steps.push(Step {
                advance_ms: 0,
                line: cmd.to_string(),
                expected: Vec::new(),
            });
        } else if let Some(rest) = line.strip_prefix("@+") {
            let (ms, cmd) = rest.split_once(' ').unwrap();
            steps.push(Step {
                advance_ms: ms.parse().unwrap(),
                line: cmd.to_string(),
                expected: Vec::new(),
            });
        }
    }
    cases
}

#[test]
fn every_captured_case_fires_what_redis_7_0_fired() {
    let cases = cases();
    assert!(cases.len() >= 10, "captured.txt holds the cases");
    let mut mismatches = Vec::new();
    for (name, steps) in &cases {
        let mut dbs = Databases::new();
        let (mut now, mut db) = (START_MS, 0);
        for (i, step) in steps.iter().enumerate() {
            now += step.advance_ms;
            let mut events = Vec::new();
            let argv = parse_argv(&step.line);
            let reply = dbs.execute_write_with_events(&mut db, &argv, now, i as u64, &mut events);
            let got: Vec<String> = events.iter().map(show).collect();
            if got != step.expected {
                mismatches.push(format!(
                    "[{name}] {}\n  redis:    {:?}\n  meridian: {got:?} (reply {reply:?})",
                    step.line, step.expected
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn recording_events_changes_no_reply_and_no_state() {
    for (name, steps) in &cases() {
        let (mut plain, mut recorded) = (Databases::new(), Databases::new());
        let (mut now, mut db_a, mut db_b) = (START_MS, 0, 0);
        for (i, step) in steps.iter().enumerate() {
            now += step.advance_ms;
            let argv = parse_argv(&step.line);
            let a = plain.execute_write(&mut db_a, &argv, now, i as u64);
            let b =
                recorded.execute_write_with_events(&mut db_b, &argv, now, i as u64, &mut vec![]);
            assert_eq!(a, b, "[{name}] {}", step.line);
        }
        assert!(plain == recorded, "[{name}] the same data either way");
    }
}

fn run(dbs: &mut Databases, now: u64, line: &str) -> Vec<KeyEvent> {
    let mut events = Vec::new();
    dbs.execute_write_with_events(&mut 0, &parse_argv(line), now, 0, &mut events);
    events
}

#[test]
fn events_carry_redis_classes() {
    let mut dbs = Databases::new();
    let classes = |events: Vec<KeyEvent>| -> Vec<(&'static str, EventClass)> {
        events.into_iter().map(|e| (e.event, e.class)).collect()
    };
    assert_eq!(
        classes(run(&mut dbs, 1_000, "SET s v EX 10")),
        [
            ("new", EventClass::New),
            ("set", EventClass::String),
            ("expire", EventClass::Generic)
        ]
    );
    assert_eq!(
        classes(run(&mut dbs, 1_000, "LPUSH l a")),
        [("new", EventClass::New), ("lpush", EventClass::List)]
    );
    assert_eq!(
        classes(run(&mut dbs, 1_000, "HSET h f v")),
        [("new", EventClass::New), ("hset", EventClass::Hash)]
    );
    assert_eq!(
        classes(run(&mut dbs, 1_000, "SADD s2 m")),
        [("new", EventClass::New), ("sadd", EventClass::Set)]
    );
    assert_eq!(
        classes(run(&mut dbs, 1_000, "ZADD z 1 m")),
        [("new", EventClass::New), ("zadd", EventClass::Zset)]
    );
    assert_eq!(
        classes(run(&mut dbs, 1_000, "PFADD p a")),
        [("new", EventClass::New), ("pfadd", EventClass::String)]
    );
    assert_eq!(
        classes(run(&mut dbs, 1_000, "SORT l ALPHA STORE d")),
        [("new", EventClass::New), ("sortstore", EventClass::List)]
    );
    assert_eq!(
        classes(run(&mut dbs, 20_000, "DEL s")),
        [("expired", EventClass::Expired)]
    );
}

#[test]
fn a_command_that_fails_fires_nothing() {
    let mut dbs = Databases::new();
    run(&mut dbs, 1_000, "SET s v");
    assert!(run(&mut dbs, 1_000, "LPUSH s a").is_empty());
    assert!(run(&mut dbs, 1_000, "INCR s").is_empty());
    assert!(run(&mut dbs, 1_000, "SET s v EX 0").is_empty());
    assert!(run(&mut dbs, 1_000, "NOSUCHCOMMAND s").is_empty());
}

#[test]
fn active_expiry_fires_expired_once_for_a_due_key() {
    let mut dbs = Databases::new();
    run(&mut dbs, 1_000, "SET k v PX 100");
    run(&mut dbs, 1_000, "SET live v PX 10000");
    let mut events = Vec::new();
    let key = Bytes::from_static(b"k");
    assert!(!dbs.expire_if_due_with_events(0, &key, 1_050, &mut events));
    assert!(events.is_empty());
    assert!(dbs.expire_if_due_with_events(0, &key, 1_100, &mut events));
    assert!(!dbs.expire_if_due_with_events(0, &key, 1_200, &mut events));
    let live = Bytes::from_static(b"live");
    assert!(!dbs.expire_if_due_with_events(0, &live, 1_200, &mut events));
    assert_eq!(events.iter().map(show).collect::<Vec<_>>(), ["expired 0 k"]);
    assert_eq!(events[0].class, EventClass::Expired);
}

#[test]
fn events_name_the_database_they_happened_in() {
    let mut dbs = Databases::new();
    let mut events = Vec::new();
    let mut db = 0;
    for line in ["SELECT 3", "SET k v", "MOVE k 5"] {
        dbs.execute_write_with_events(&mut db, &parse_argv(line), 1_000, 0, &mut events);
    }
    let shown: Vec<String> = events.iter().map(show).collect();
    assert_eq!(
        shown,
        [
            "new 3 k",
            "set 3 k",
            "new 5 k",
            "move_from 3 k",
            "move_to 5 k"
        ]
    );
}

#[test]
fn a_key_replaced_after_its_ttl_passed_is_reported_expired_then_new() {
    // RENAME onto an expired destination: Redis deletes it on lookup (expired), then adds.
    let mut dbs = Databases::new();
    run(&mut dbs, 1_000, "SET dst v PX 10");
    run(&mut dbs, 1_000, "SET src v");
    let shown: Vec<String> = run(&mut dbs, 2_000, "RENAME src dst")
        .iter()
        .map(show)
        .collect();
    assert_eq!(
        shown,
        [
            "expired 0 dst",
            "new 0 dst",
            "rename_from 0 src",
            "rename_to 0 dst"
        ]
    );
}

#[test]
fn flags_parse_and_print_as_redis_does() {
    let parse = |s: &str| NotifyFlags::parse(s.as_bytes()).map(NotifyFlags::to_flag_string);
    assert_eq!(parse(""), Some(String::new()));
    assert_eq!(parse("KEA"), Some("AKE".into()));
    assert_eq!(parse("g$lshzxetdKE"), Some("AKE".into()));
    assert_eq!(parse("Ex"), Some("xE".into()));
    assert_eq!(parse("AKEmn"), Some("AKEm".into()));
    assert_eq!(parse("Kgn"), Some("gnK".into()));
    assert_eq!(parse("mK$"), Some("$Km".into()));
    assert_eq!(parse("KEAq"), None);
    assert_eq!(parse("k"), None);
}

#[test]
fn flags_filter_by_class_and_channel_kind() {
    let ev = KeyEvent {
        class: EventClass::Generic,
        event: "del",
        db: 2,
        key: Bytes::from_static(b"k"),
    };
    let flags = |s: &str| NotifyFlags::parse(s.as_bytes()).unwrap();
    assert!(flags("").messages(&ev).is_empty());
    assert!(flags("KE$").messages(&ev).is_empty());
    assert!(flags("g").messages(&ev).is_empty(), "neither K nor E");
    let both: Vec<(Bytes, Bytes)> = flags("KEg").messages(&ev);
    assert_eq!(
        both,
        [
            (Bytes::from("__keyspace@2__:k"), Bytes::from("del")),
            (Bytes::from("__keyevent@2__:del"), Bytes::from("k")),
        ]
    );
    assert_eq!(flags("EA").messages(&ev).len(), 1);
    let new = KeyEvent {
        class: EventClass::New,
        event: "new",
        ..ev.clone()
    };
    assert!(flags("KEA").messages(&new).is_empty(), "A leaves out n");
    assert_eq!(flags("KEn").messages(&new).len(), 2);
    assert!(flags("A").passes(EventClass::Expired));
    assert!(!flags("A").passes(EventClass::KeyMiss));
}

#[test]
fn keys_stored_without_recording_fire_nothing_later() {
    // Phase 1: a write applied without events, and a full sync's chunk imported.
    let mut dbs = Databases::new();
    dbs.execute_write(&mut 0, &parse_argv("SET a 1"), 1_000, 0);
    let mut image = Databases::new();
    image.execute_write(&mut 2, &parse_argv("SET b 1"), 1_000, 0);
    let chunk = crate::encode_chunk(&image.into_raw_entries().collect::<Vec<_>>()).unwrap();
    assert_eq!(dbs.import_chunk(&chunk).unwrap(), 1);
    // Phase 2: the next recorded writes fire only their own events, in either kind of command.
    let shown = |events: Vec<KeyEvent>| events.iter().map(show).collect::<Vec<_>>();
    assert_eq!(
        shown(run(&mut dbs, 1_000, "SET c 1")),
        ["new 0 c", "set 0 c"]
    );
    assert_eq!(
        shown(run(&mut dbs, 1_000, "COPY c d DB 2")),
        ["new 2 d", "copy_to 2 d"]
    );
}

#[test]
fn a_blocking_pop_skips_missing_keys_and_expires_only_up_to_the_key_it_serves() {
    let mut dbs = Databases::new();
    run(&mut dbs, 1_000, "RPUSH gone x");
    run(&mut dbs, 1_000, "PEXPIRE gone 10");
    run(&mut dbs, 1_000, "RPUSH live a");
    run(&mut dbs, 1_000, "RPUSH later b");
    run(&mut dbs, 1_000, "PEXPIRE later 10");
    let shown: Vec<String> = run(&mut dbs, 2_000, "BLPOP none gone live later 0")
        .iter()
        .map(show)
        .collect();
    assert_eq!(shown, ["expired 0 gone", "lpop 0 live", "del 0 live"]);
}

#[test]
fn a_read_reports_the_keys_it_missed_for_the_serving_node() {
    let mut dbs = Databases::new();
    run(&mut dbs, 1_000, "SET s v");
    run(&mut dbs, 1_000, "SET ttl v PX 10");
    let misses = |line: &str| -> Vec<String> {
        dbs.key_misses(0, &parse_argv(line), 2_000)
            .iter()
            .map(show)
            .collect()
    };
    assert_eq!(misses("GET nx"), ["keymiss 0 nx"]);
    assert_eq!(misses("MGET s nx ttl"), ["keymiss 0 nx", "keymiss 0 ttl"]);
    assert_eq!(misses("ZUNION 2 nx s"), ["keymiss 0 nx"]);
    assert!(misses("GET s").is_empty());
    assert!(misses("GET").is_empty(), "a wrong arity reads nothing");
    assert!(misses("RANDOMKEY").is_empty());
    assert!(misses("OBJECT ENCODING nx").is_empty());
    assert_eq!(
        dbs.key_misses(0, &parse_argv("GET nx"), 2_000)[0].class,
        EventClass::KeyMiss
    );
}
