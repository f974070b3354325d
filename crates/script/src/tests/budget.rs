//! The instruction budget and the kill flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use meridian_types::Reply;

use super::FakeHost;
use crate::{sha1_hex, LogLevel, ScriptEngine, ScriptError};

fn run_with_budget(limit: u64, body: &[u8]) -> (Result<Reply, ScriptError>, FakeHost) {
    let mut e = ScriptEngine::new(Some(limit)).unwrap();
    let mut h = FakeHost::default();
    let r = e.eval(&mut h, body, &[], &[]);
    (r, h)
}

#[test]
fn budget_stops_the_script_at_the_same_instruction_every_time() {
    let body = b"while true do redis.call('incr', 'n') end";
    let (first, h1) = run_with_budget(100_000, body);
    let (second, h2) = run_with_budget(100_000, body);
    let err = first.unwrap_err();
    assert!(matches!(err, ScriptError::OutOfBudget(_)), "{err:?}");
    let text = err.to_string();
    let want = "ERR Script exceeded its budget of 100000 Lua instructions script: ";
    assert!(text.starts_with(want), "{text}");
    assert!(text.ends_with(", on @user_script:1."), "{text}");
    assert_eq!(second.unwrap_err(), err);
    // Two replicas ran exactly as many commands before the stop.
    assert!(!h1.calls.is_empty());
    assert_eq!(h1.calls.len(), h2.calls.len());
}

#[test]
fn budget_cannot_be_caught() {
    let bodies: [&[u8]; 3] = [
        b"while true do pcall(function() for i=1,1e9 do end end) end",
        b"while true do xpcall(function() for i=1,1e9 do end end, function(e) return e end) end",
        b"while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
    ];
    for body in bodies {
        let (r, _) = run_with_budget(50_000, body);
        let err = r.unwrap_err();
        assert!(matches!(err, ScriptError::OutOfBudget(_)), "{err:?}");
    }
}

#[test]
fn budget_is_per_run() {
    let mut e = ScriptEngine::new(Some(20_000)).unwrap();
    let mut h = FakeHost::default();
    let body = b"for i=1,1000 do end return 1";
    for _ in 0..10 {
        assert_eq!(e.eval(&mut h, body, &[], &[]).unwrap(), Reply::Integer(1));
    }
}

/// A host whose first command sets the kill flag, as SCRIPT KILL from another connection would.
struct Killer(Arc<AtomicBool>);

impl crate::ScriptHost for Killer {
    fn call(&mut self, _argv: Vec<Bytes>, _resp: u8) -> Reply {
        self.0.store(true, Ordering::SeqCst);
        Reply::ok()
    }
    fn log(&mut self, _: LogLevel, _: &[u8]) {}
}

#[test]
fn kill_flag_stops_the_script() {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut killer = Killer(e.kill_flag());
    let body = "redis.call('ping') while true do pcall(function() while true do end end) end";
    let err = e.eval(&mut killer, body.as_bytes(), &[], &[]).unwrap_err();
    assert!(matches!(err, ScriptError::Killed(_)), "{err:?}");
    let want = format!(
        "ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.",
        sha1_hex(body.as_bytes())
    );
    assert_eq!(err.to_string(), want);
    // The flag is cleared for the next script.
    assert_eq!(
        e.eval(&mut FakeHost::default(), b"return 1", &[], &[])
            .unwrap(),
        Reply::Integer(1)
    );
}

#[test]
fn memory_limit_ends_a_greedy_script() {
    let mut e = ScriptEngine::new(None).unwrap();
    e.set_memory_limit(Some(8 << 20)).unwrap();
    let mut h = FakeHost::default();
    let body = b"local t = {} for i = 1, 1e7 do t[i] = string.rep('x', 100) .. i end return #t";
    let err = e.eval(&mut h, body, &[], &[]).unwrap_err().to_string();
    assert!(err.contains("not enough memory"), "{err}");
    e.set_memory_limit(None).unwrap();
    assert_eq!(
        e.eval(&mut h, b"return 1", &[], &[]).unwrap(),
        Reply::Integer(1)
    );
}

#[test]
fn instruction_limit_can_change() {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    let body = b"for i = 1, 100000 do end return 1";
    assert_eq!(e.eval(&mut h, body, &[], &[]).unwrap(), Reply::Integer(1));
    e.set_instruction_limit(Some(10_000));
    assert!(matches!(
        e.eval(&mut h, body, &[], &[]),
        Err(ScriptError::OutOfBudget(_))
    ));
    e.flush().unwrap();
    assert!(matches!(
        e.eval(&mut h, body, &[], &[]),
        Err(ScriptError::OutOfBudget(_))
    ));
    let mut f = crate::FunctionEngine::new(Some(10_000)).unwrap();
    let lib =
        b"#!lua name=l\nredis.register_function('spin', function() for i = 1, 100000 do end end)";
    f.load(&mut h, lib, false).unwrap();
    assert!(matches!(
        f.fcall(&mut h, "spin", &[], &[]),
        Err(ScriptError::OutOfBudget(_))
    ));
    f.set_instruction_limit(None);
    assert_eq!(f.fcall(&mut h, "spin", &[], &[]).unwrap(), Reply::Nil);
}
