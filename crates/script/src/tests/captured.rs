//! Replays scripts captured from redis-server 7.0.15 (`captures_a.rs`, `captures_b.rs`) and
//! compares the RESP2 bytes, with a host that knows PING and ECHO like the server did.

use bytes::Bytes;
use meridian_types::Reply;

use crate::{LogLevel, ScriptEngine, ScriptHost};

struct PingEcho;

impl ScriptHost for PingEcho {
    fn call(&mut self, argv: Vec<Bytes>, _resp: u8) -> Reply {
        match (&argv[0].to_ascii_lowercase()[..], argv.len()) {
            (b"ping", 1) => Reply::Status("PONG".into()),
            (b"echo", 2) => Reply::Bulk(argv[1].clone()),
            (b"ping" | b"echo", _) => {
                Reply::error("ERR Wrong number of args calling Redis command from script")
            }
            _ => Reply::error("ERR Unknown Redis command called from script"),
        }
    }

    fn log(&mut self, _: LogLevel, _: &[u8]) {}
}

/// The RESP2 bytes redis-server writes for a reply.
fn resp2(r: &Reply, out: &mut Vec<u8>) {
    let bulk = |out: &mut Vec<u8>, b: &[u8]| {
        out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
        out.extend_from_slice(b);
        out.extend_from_slice(b"\r\n");
    };
    match r {
        Reply::Status(s) => out.extend_from_slice(format!("+{s}\r\n").as_bytes()),
        Reply::Error(s) => out.extend_from_slice(format!("-{s}\r\n").as_bytes()),
        Reply::Integer(i) => out.extend_from_slice(format!(":{i}\r\n").as_bytes()),
        Reply::Bulk(b) => bulk(out, b),
        Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
        Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
        Reply::Array(v) | Reply::Set(v) => {
            out.extend_from_slice(format!("*{}\r\n", v.len()).as_bytes());
            v.iter().for_each(|x| resp2(x, out));
        }
        Reply::Map(p) | Reply::Pairs(p) | Reply::MapOrPairs(p) => {
            out.extend_from_slice(format!("*{}\r\n", p.len() * 2).as_bytes());
            for (k, v) in p {
                resp2(k, out);
                resp2(v, out);
            }
        }
        Reply::Double(d) => bulk(out, crate::fmt::fmt_g(*d, 17).as_bytes()),
        Reply::Boolean(b) => out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        Reply::HumanDouble(s) => bulk(out, s.as_bytes()),
    }
}

fn replay(captures: &[(&str, &[u8])]) {
    for (script, want) in captures {
        let mut engine = ScriptEngine::new(Some(100_000_000)).unwrap();
        let reply = engine
            .eval(&mut PingEcho, script.as_bytes(), &[], &[])
            .unwrap_or_else(|e| e.to_reply());
        let mut got = Vec::new();
        resp2(&reply, &mut got);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "script: {script}"
        );
        assert_eq!(&got, want, "script: {script}");
    }
}

#[test]
fn replies_match_redis_captures_a() {
    replay(super::captures_a::CAPTURES);
}

#[test]
fn replies_match_redis_captures_b() {
    replay(super::captures_b::CAPTURES);
}
