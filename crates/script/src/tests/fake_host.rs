//! A host with a tiny keyspace (SET, GET, INCR), a command answering a given reply, and the
//! errors Redis's script layer gives.

use std::collections::HashMap;

use bytes::Bytes;
use meridian_types::Reply;

use crate::{LogLevel, ScriptEngine, ScriptHost};

#[derive(Default)]
pub(crate) struct FakeHost {
    pub data: HashMap<Bytes, Bytes>,
    pub logs: Vec<(LogLevel, Vec<u8>)>,
    pub calls: Vec<Vec<Bytes>>,
    /// What `REPLY` answers.
    pub canned: Option<Reply>,
}

impl ScriptHost for FakeHost {
    fn call(&mut self, argv: Vec<Bytes>, _resp: u8) -> Reply {
        self.calls.push(argv.clone());
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        match (name.as_str(), argv.len()) {
            ("set", 3) => {
                self.data.insert(argv[1].clone(), argv[2].clone());
                Reply::ok()
            }
            ("get", 2) => self
                .data
                .get(&argv[1])
                .cloned()
                .map_or(Reply::Nil, Reply::Bulk),
            ("incr", 2) => {
                let v = self
                    .data
                    .get(&argv[1])
                    .map_or(0, |b| String::from_utf8_lossy(b).parse::<i64>().unwrap())
                    + 1;
                self.data
                    .insert(argv[1].clone(), Bytes::from(v.to_string()));
                Reply::Integer(v)
            }
            ("reply", _) => self.canned.clone().unwrap(),
            ("set" | "get" | "incr", _) => {
                Reply::error("ERR Wrong number of args calling Redis command from script")
            }
            _ => Reply::error("ERR Unknown Redis command called from script"),
        }
    }

    fn log(&mut self, level: LogLevel, message: &[u8]) {
        self.logs.push((level, message.to_vec()));
    }
}

pub(crate) fn eval(body: &str) -> Reply {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    e.eval(&mut h, body.as_bytes(), &[], &[]).unwrap()
}

pub(crate) fn eval_err(body: &str) -> String {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    e.eval(&mut h, body.as_bytes(), &[], &[])
        .unwrap_err()
        .to_string()
}
