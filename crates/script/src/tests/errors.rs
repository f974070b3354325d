//! Error replies and error values, against redis-server 7.0.15's texts.

use meridian_types::Reply;

use super::{eval, eval_err};
use crate::sha1_hex;

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

fn err_at(msg: &str, body: &str) -> String {
    format!(
        "{msg} script: {}, on @user_script:1.",
        sha1_hex(body.as_bytes())
    )
}

/// Script bodies and the error Redis 7.0.15 answers (before ` script: <sha>, on …`).
const ERROR_CASES: &[(&str, &str)] = &[
    (
        "return redis.call('nosuch')",
        "ERR Unknown Redis command called from script",
    ),
    (
        "return redis.call('incr')",
        "ERR Wrong number of args calling Redis command from script",
    ),
    ("error('boom')", "ERR user_script:1: boom"),
    ("error({err='X y'})", "X y"),
    (
        "return a",
        "ERR user_script:1: Script attempted to access nonexistent global variable 'a'",
    ),
    (
        "return x()",
        "ERR user_script:1: Script attempted to access nonexistent global variable 'x'",
    ),
    (
        "a=10",
        "ERR user_script:1: Attempt to modify a readonly table",
    ),
    (
        "redis.call = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    ),
    (
        "cjson.encode = 1",
        "ERR user_script:1: Attempt to modify a readonly table",
    ),
    (
        "local g = getmetatable(_G); g.__index = {}",
        "ERR user_script:1: Attempt to modify a readonly table",
    ),
    (
        "setmetatable(_G, {})",
        "ERR Attempt to modify a readonly table",
    ),
    (
        "loadfile('x')",
        "ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile'",
    ),
    (
        "print('x')",
        "ERR user_script:1: Script attempted to access nonexistent global variable 'print'",
    ),
    (
        "return loadstring(string.dump(function() return 1 end))()",
        "ERR user_script:1: attempt to call a nil value",
    ),
    ("return redis.sha1hex()", "ERR wrong number of arguments"),
    (
        "return redis.log()",
        "ERR redis.log() requires two arguments or more.",
    ),
    (
        "return redis.log('x','y')",
        "ERR First argument must be a number (log level).",
    ),
    ("return redis.log(99,'y')", "ERR Invalid debug level."),
    (
        "return redis.setresp(4)",
        "ERR RESP version must be 2 or 3.",
    ),
    (
        "return redis.set_repl(99)",
        "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
    ),
    (
        "return redis.call('set',{})",
        "ERR Lua redis lib command arguments must be strings or integers",
    ),
    (
        "return redis.call()",
        "ERR Please specify at least one argument for this redis lib call",
    ),
    (
        "return 'x' .. nil",
        "ERR user_script:1: attempt to concatenate a nil value",
    ),
    (
        "local t = {}; t.x.y = 1",
        "ERR user_script:1: attempt to index field 'x' (a nil value)",
    ),
    (
        "return bit.tobit('x')",
        "ERR user_script:1: bad argument #1 to 'tobit' (number expected, got string)",
    ),
];

#[test]
fn errors_are_worded_as_redis() {
    for &(body, msg) in ERROR_CASES {
        assert_eq!(eval_err(body), err_at(msg, body), "{body}");
    }
    assert_eq!(
        eval_err("return ("),
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
    );
}

#[test]
fn error_values_and_pcall_forms() {
    let cases = [
        ("error()", "ERR nil"),
        ("error(true)", "ERR true"),
        ("error(12)", "ERR user_script:1: 12"),
        ("error('x', 0)", "ERR x"),
        (
            "return redis.setresp(3, 4)",
            "ERR redis.setresp() requires one argument.",
        ),
        (
            "return math.random(0)",
            "ERR user_script:1: bad argument #1 to 'random' (interval is empty)",
        ),
    ];
    for (body, msg) in cases {
        assert_eq!(eval_err(body), err_at(msg, body), "{body}");
    }
    let wrong = Reply::error("ERR wrong number or type of arguments");
    assert_eq!(eval("return redis.error_reply(1)"), wrong);
    assert_eq!(eval("return redis.status_reply()"), wrong);
    assert_eq!(
        eval("local ok, e = pcall(error, {err='A b'}) return e"),
        bulk("A b")
    );
    assert_eq!(
        eval("local ok, e = pcall(error, {x=1}) return type(e)"),
        bulk("table")
    );
    let unknown = "ERR Unknown Redis command called from script";
    assert_eq!(
        eval("return {pcall(redis.call, 'nosuch')}"),
        Reply::Array(vec![Reply::Nil, bulk(unknown)])
    );
    let xp = "return {xpcall(function() redis.call('nosuch') end, function(e) return e.err end)}";
    assert_eq!(eval(xp), Reply::Array(vec![Reply::Nil, bulk(unknown)]));
    let first = "ERR Please specify at least one argument for this redis lib call";
    assert_eq!(eval("return redis.pcall()"), Reply::error(first));
    let args = "ERR Lua redis lib command arguments must be strings or integers";
    assert_eq!(eval("return redis.pcall('get', {})"), Reply::error(args));
    let nested = Reply::Array(vec![Reply::Integer(1), Reply::error("inner")]);
    assert_eq!(eval("return {1, {err='inner'}}"), nested);
    assert_eq!(
        eval("return coroutine.wrap(function() return 5 end)()"),
        Reply::Integer(5)
    );
    assert_eq!(eval("return unpack({1,2})"), Reply::Integer(1));
    for body in ["return math.huge", "return -math.huge", "return 0/0"] {
        assert_eq!(eval(body), Reply::Integer(i64::MIN), "{body}");
    }
}

#[test]
fn precompiled_bodies_do_not_compile() {
    let body = "\u{1b}Lua";
    let want = "ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'";
    assert_eq!(eval_err(body), want);
}
