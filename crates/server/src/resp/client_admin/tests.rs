//! Parsing and formatting, with the replies redis-server 7.0.15 gives.

use bytes::Bytes;
use meridian_types::Reply;

use super::kill::{parse_kill, ClientType, KillFilter};
use super::misc::parse_unblock;
use super::monitor::{hidden, monitor_line};
use super::pause::{parse_pause, PauseKind};
use super::shutdown::{parse_shutdown, ShutdownOpts};
use super::Unblock;

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

fn err(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

#[test]
fn kill_old_form_names_one_address_and_may_kill_the_caller() {
    let f = parse_kill(&argv(&["client", "kill", "127.0.0.1:5"])).unwrap();
    assert!(f.old_form);
    assert!(!f.skipme);
    assert_eq!(f.addr.as_deref(), Some("127.0.0.1:5"));
}

#[test]
fn kill_filters_parse_with_skipme_on_by_default() {
    let f = parse_kill(&argv(&[
        "client",
        "KILL",
        "id",
        "7",
        "TYPE",
        "normal",
        "user",
        "default",
        "laddr",
        "1.2.3.4:5",
    ]))
    .unwrap();
    assert_eq!(
        f,
        KillFilter {
            laddr: Some("1.2.3.4:5".into()),
            kind: Some(ClientType::Normal),
            id: Some(7),
            user: Some("default".into()),
            skipme: true,
            ..KillFilter::default()
        }
    );
    let f = parse_kill(&argv(&[
        "client", "kill", "skipme", "NO", "type", "replica",
    ]))
    .unwrap();
    assert!(!f.skipme);
    assert_eq!(f.kind, Some(ClientType::Replica));
}

#[test]
fn kill_errors_are_redis_texts() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["client", "kill", "id", "0"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["client", "kill", "id", "x"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["client", "kill", "type", "bogus"],
            "ERR Unknown client type 'bogus'",
        ),
        (&["client", "kill", "skipme", "maybe"], "ERR syntax error"),
        (&["client", "kill", "nosuch", "1"], "ERR syntax error"),
        (&["client", "kill", "id", "1", "type"], "ERR syntax error"),
    ];
    for (args, text) in cases {
        assert_eq!(parse_kill(&argv(args)).unwrap_err(), err(text), "{args:?}");
    }
}

#[test]
fn pause_parses_mode_before_timeout() {
    assert_eq!(
        parse_pause(&argv(&["client", "pause", "100"])).unwrap(),
        (PauseKind::All, 100)
    );
    assert_eq!(
        parse_pause(&argv(&["client", "pause", "5", "WRITE"])).unwrap(),
        (PauseKind::Write, 5)
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["client", "pause", "x", "read"],
            "ERR CLIENT PAUSE mode must be WRITE or ALL",
        ),
        (
            &["client", "pause", "x"],
            "ERR timeout is not an integer or out of range",
        ),
        (&["client", "pause", "-1"], "ERR timeout is negative"),
        (
            &["client", "pause", "1", "all", "x"],
            "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
        ),
    ];
    for (args, text) in cases {
        assert_eq!(parse_pause(&argv(args)).unwrap_err(), err(text), "{args:?}");
    }
}

#[test]
fn unblock_checks_the_reason_before_the_id() {
    assert_eq!(
        parse_unblock(&argv(&["client", "unblock", "3"])).unwrap(),
        (3, Unblock::Timeout)
    );
    assert_eq!(
        parse_unblock(&argv(&["client", "unblock", "3", "ERROR"])).unwrap(),
        (3, Unblock::Error)
    );
    assert_eq!(
        parse_unblock(&argv(&["client", "unblock", "x", "nope"])).unwrap_err(),
        err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    assert_eq!(
        parse_unblock(&argv(&["client", "unblock", "x"])).unwrap_err(),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn shutdown_refuses_illegal_combinations() {
    assert_eq!(
        parse_shutdown(&argv(&["shutdown", "NOSAVE", "now"])).unwrap(),
        ShutdownOpts {
            nosave: true,
            now: true,
            ..ShutdownOpts::default()
        }
    );
    for args in [
        &["shutdown", "save", "nosave"][..],
        &["shutdown", "abort", "now"],
        &["shutdown", "later"],
    ] {
        assert_eq!(
            parse_shutdown(&argv(args)).unwrap_err(),
            err("ERR syntax error")
        );
    }
    assert!(parse_shutdown(&argv(&["shutdown", "abort"])).unwrap().abort);
}

#[test]
fn monitor_lines_quote_like_sdscatrepr_and_redact_secrets() {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
    let line = monitor_line(
        at,
        3,
        "127.0.0.1:9",
        &argv(&["set", "k", "a\"b\\\n\r\t\u{7}\u{8}\u{1}"]),
    );
    assert_eq!(
        &line[..],
        b"+1700000000.123456 [3 127.0.0.1:9] \"set\" \"k\" \"a\\\"b\\\\\\n\\r\\t\\a\\b\\x01\"\r\n"
    );
    let auth = monitor_line(at, 0, "a:1", &argv(&["auth", "u", "p"]));
    assert!(auth.ends_with(b"\"auth\" \"(redacted)\" \"(redacted)\"\r\n"));
    let hello = monitor_line(at, 0, "a:1", &argv(&["hello", "3", "AUTH", "u", "p"]));
    assert!(hello.ends_with(b"\"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"));
    let high = monitor_line(at, 0, "a:1", &argv(&["get", "\u{e9}"]));
    assert!(high.ends_with(b"\"\\xc3\\xa9\"\r\n"));
}

#[test]
fn admin_commands_are_hidden_from_monitors() {
    assert!(hidden(&argv(&["CONFIG", "SET", "x", "y"])));
    assert!(hidden(&argv(&["client", "KILL", "1.2.3.4:5"])));
    assert!(hidden(&argv(&["shutdown"])));
    assert!(!hidden(&argv(&["client", "setname", "x"])));
    assert!(!hidden(&argv(&["config", "help"])));
    assert!(!hidden(&argv(&["set", "k", "v"])));
}
