//! The JSON-lines format and the pairing rules.

use serde_json::json;

use crate::testing::{append, r, read, read_state, txn, write, Builder};
use crate::{Event, History, HistoryError, Kind, Micro, Op};

fn event(kind: Kind, process: u64, op: Op) -> Event {
    Event {
        index: 0,
        process,
        kind,
        time: 5,
        op,
        node: None,
        cluster: None,
        seq: None,
        error: None,
    }
}

fn to_json(e: &Event) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_default()
}

#[test]
fn events_look_like_jepsen_ops() {
    let mut e = event(Kind::Ok, 3, write("k", 7));
    e.seq = Some(12);
    e.cluster = Some("east".into());
    assert_eq!(
        to_json(&e),
        json!({"index": 0, "process": 3, "type": "ok", "time": 5, "f": "write", "key": "k",
               "value": 7, "cluster": "east", "seq": 12})
    );
    let micros = vec![
        append("x", 1),
        r("x", &[1, 2]),
        Micro::Read {
            key: "y".into(),
            value: None,
        },
    ];
    assert_eq!(
        to_json(&event(Kind::Invoke, 1, txn(micros)))["value"],
        json!([["append", "x", 1], ["r", "x", [1, 2]], ["r", "y", null]])
    );
    let state = read_state(&[("a", Some(1)), ("b", None)]);
    let e = to_json(&event(Kind::Ok, 1, state));
    assert_eq!(
        (&e["f"], &e["value"]),
        (&json!("read_state"), &json!({"a": 1, "b": null}))
    );
    assert_eq!(
        to_json(&event(Kind::Ok, 1, read("k", None)))["value"],
        json!(null)
    );
}

#[test]
fn a_history_survives_a_round_trip() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1)).cluster("east").seq(4);
    b.ok(2, 5, 15, read("k", Some(1)))
        .info(3, 6, 20, txn(vec![append("x", 1), r("x", &[1])]))
        .ok(4, 7, 8, read_state(&[("a", None)]))
        .pending(
            5,
            9,
            Op::Incr {
                key: "c".into(),
                by: 2,
                value: None,
            },
        )
        .fail(
            6,
            9,
            12,
            Op::Cas {
                key: "k".into(),
                from: 1,
                to: 2,
            },
        );
    let history = b.build();
    let mut bytes = Vec::new();
    assert!(history.write_jsonl(&mut bytes).is_ok());
    assert_eq!(
        bytes.iter().filter(|&&c| c == b'\n').count(),
        history.events.len()
    );
    let back = History::read_jsonl(bytes.as_slice());
    assert_eq!(back.ok(), Some(history));
}

#[test]
fn reading_skips_blank_lines_and_names_the_bad_line() {
    let text = r#"{"index":0,"process":1,"type":"invoke","time":1,"f":"read","key":"k"}

{"index":1,"process":1,"type":"ok","time":2,"f":"read","key":"k","value":3}
{"index":2,"process":1,"type":"invoke","time":3,"f":"txn","value":[["append",5,12],["r",5,null]]}
{"index":3,"process":1,"type":"ok","time":4,"f":"fly"}
"#;
    let err = History::read_jsonl(text.as_bytes());
    assert!(
        matches!(err, Err(HistoryError::Parse { line: 5, .. })),
        "{err:?}"
    );
    let good: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
    let history = History::read_jsonl(good.as_bytes()).unwrap_or_default();
    assert_eq!(history.events.len(), 3);
    let micros = match &history.events[2].op {
        Op::Txn { value } => value.clone(),
        _ => Vec::new(),
    };
    assert_eq!(
        micros,
        [
            append("5", 12),
            Micro::Read {
                key: "5".into(),
                value: None
            }
        ]
    );
}

#[test]
fn malformed_micro_ops_are_refused() {
    for bad in [
        r#"["x","k",1]"#,
        r#"["append","k"]"#,
        r#"["append","k",1,2]"#,
        r#"["r","k",1]"#,
    ] {
        assert!(serde_json::from_str::<Micro>(bad).is_err(), "{bad}");
    }
}

#[test]
fn pairs_match_invocations_with_completions() {
    let mut b = Builder::new();
    b.ok(1, 0, 10, write("k", 1))
        .pending(2, 5, write("k", 2))
        .info(3, 6, 7, read("k", None));
    let history = b.build();
    let pairs = history.pairs().unwrap_or_default();
    let outcomes: Vec<_> = pairs
        .iter()
        .map(|p| (p.invoke.process, p.outcome()))
        .collect();
    assert_eq!(outcomes, [(1, Kind::Ok), (2, Kind::Info), (3, Kind::Info)]);
    assert_eq!(pairs[0].completed(), Some(10));
    assert_eq!(
        pairs[2].completed(),
        None,
        "an info op may still take effect"
    );
}

#[test]
fn pairs_refuse_histories_breaking_the_rules() {
    let history = |events: Vec<Event>| History::from(events);
    let inv = |p| event(Kind::Invoke, p, write("k", 1));
    let ok = |p| event(Kind::Ok, p, write("k", 1));
    let info = |p| event(Kind::Info, p, write("k", 1));
    let other = event(Kind::Ok, 1, write("j", 1));
    let cases = [
        (vec![ok(1)], "completion without invoke"),
        (vec![inv(1), inv(1)], "invoke while pending"),
        (vec![inv(1), info(1), inv(1)], "reuse after info"),
        (vec![inv(1), other], "another key"),
    ];
    for (events, what) in cases {
        let err = history(events).pairs().err();
        println!("{what}: {err:?}");
        assert!(err.is_some(), "{what}");
    }
}
