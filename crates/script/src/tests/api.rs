//! The redis.* API, conversions, sandbox and errors, against redis-server 7.0.15's replies.

use bytes::Bytes;
use meridian_types::Reply;

use super::{eval, FakeHost};
use crate::{sha1_hex, LogLevel, ScriptEngine, ScriptError};

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

fn err_at(msg: &str, body: &str) -> String {
    format!(
        "{msg} script: {}, on @user_script:1.",
        sha1_hex(body.as_bytes())
    )
}

#[test]
fn lua_values_become_replies() {
    assert_eq!(
        eval("return {1,2,3,'ciao',{1,2}}"),
        Reply::Array(vec![
            Reply::Integer(1),
            Reply::Integer(2),
            Reply::Integer(3),
            bulk("ciao"),
            Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)])
        ])
    );
    assert_eq!(
        eval("return {1,nil,3}"),
        Reply::Array(vec![Reply::Integer(1)])
    );
    assert_eq!(eval("return 3.99"), Reply::Integer(3));
    assert_eq!(eval("return -3.99"), Reply::Integer(-3));
    assert_eq!(eval("return true"), Reply::Integer(1));
    assert_eq!(eval("return false"), Reply::Nil);
    assert_eq!(eval("return nil"), Reply::Nil);
    assert_eq!(eval("return {err='bad'}"), Reply::error("bad"));
    assert_eq!(
        eval("return redis.error_reply('MY err')"),
        Reply::error("MY err")
    );
    assert_eq!(
        eval("return redis.error_reply('-MY2 err')"),
        Reply::error("MY2 err")
    );
    assert_eq!(
        eval("return redis.status_reply('FINE')"),
        Reply::Status("FINE".into())
    );
    assert_eq!(eval("return tostring(nil)"), bulk("nil"));
}

#[test]
fn resp3_values_become_replies() {
    assert_eq!(eval("redis.setresp(3); return true"), Reply::Boolean(true));
    assert_eq!(
        eval("redis.setresp(3); return false"),
        Reply::Boolean(false)
    );
    assert_eq!(eval("return {double=3.5}"), Reply::Double(3.5));
    assert_eq!(
        eval("return {map={a=1}}"),
        Reply::Map(vec![(bulk("a"), Reply::Integer(1))])
    );
    assert_eq!(eval("return {set={a=true}}"), Reply::Set(vec![bulk("a")]));
    assert_eq!(eval("return {big_number='123'}"), bulk("123"));
    assert_eq!(
        eval("return {verbatim_string={format='txt', string='hi'}}"),
        bulk("hi")
    );
}

fn with_reply(reply: Reply, body: &str) -> Reply {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost {
        canned: Some(reply),
        ..FakeHost::default()
    };
    e.eval(&mut h, body.as_bytes(), &[], &[]).unwrap()
}

#[test]
fn replies_become_lua_values_in_resp2() {
    let map = Reply::Map(vec![(bulk("f"), Reply::Integer(1))]);
    assert_eq!(
        with_reply(map.clone(), "return redis.call('reply')"),
        Reply::Array(vec![bulk("f"), Reply::Integer(1)])
    );
    assert_eq!(
        with_reply(Reply::Nil, "return type(redis.call('reply'))"),
        bulk("boolean")
    );
    assert_eq!(
        with_reply(Reply::Double(1.0 / 3.0), "return redis.call('reply')"),
        bulk("0.33333333333333331")
    );
    assert_eq!(
        with_reply(Reply::Boolean(true), "return redis.call('reply')"),
        Reply::Integer(1)
    );
    assert_eq!(
        with_reply(Reply::ok(), "return redis.call('reply').ok"),
        bulk("OK")
    );
    assert_eq!(
        with_reply(Reply::Integer(7), "return redis.call('reply') + 1"),
        Reply::Integer(8)
    );
}

#[test]
fn replies_become_lua_values_in_resp3() {
    let map = Reply::Map(vec![(bulk("f"), Reply::Integer(1))]);
    assert_eq!(
        with_reply(map, "redis.setresp(3); return redis.call('reply').map.f"),
        Reply::Integer(1)
    );
    let set = Reply::Set(vec![bulk("m")]);
    assert_eq!(
        with_reply(set.clone(), "redis.setresp(3); return redis.call('reply')"),
        set
    );
    assert_eq!(
        with_reply(
            Reply::Nil,
            "redis.setresp(3); return type(redis.call('reply'))"
        ),
        bulk("nil")
    );
    assert_eq!(
        with_reply(
            Reply::Double(2.5),
            "redis.setresp(3); return redis.call('reply').double * 2"
        ),
        Reply::Integer(5)
    );
    assert_eq!(
        with_reply(
            Reply::Double(2.5),
            "redis.setresp(3); return redis.call('reply')"
        ),
        Reply::Double(2.5)
    );
    assert_eq!(
        with_reply(
            Reply::Boolean(false),
            "redis.setresp(3); return redis.call('reply')"
        ),
        Reply::Boolean(false)
    );
}

#[test]
fn call_and_pcall_reach_the_host() {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    let keys = [Bytes::from("k")];
    let args = [Bytes::from("v")];
    let r = e.eval(
        &mut h,
        b"redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
        &keys,
        &args,
    );
    assert_eq!(r.unwrap(), bulk("v"));
    e.eval(&mut h, b"return redis.call('set','n', 1/3)", &[], &[])
        .unwrap();
    assert_eq!(
        h.data[&Bytes::from("n")],
        Bytes::from("0.33333333333333331")
    );
    e.eval(&mut h, b"return redis.call('set','n', 1.5)", &[], &[])
        .unwrap();
    assert_eq!(h.data[&Bytes::from("n")], Bytes::from("1.5"));
    assert_eq!(
        eval("return redis.pcall('nosuch')"),
        Reply::error("ERR Unknown Redis command called from script")
    );
    assert_eq!(
        eval("local t = redis.pcall('nosuch'); return t.err"),
        bulk("ERR Unknown Redis command called from script")
    );
    assert_eq!(
        eval("return {pcall(function() redis.call('nosuch') end)}"),
        Reply::Array(vec![
            Reply::Nil,
            bulk("ERR Unknown Redis command called from script")
        ])
    );
}

#[test]
fn constants_and_helpers() {
    assert_eq!(
        eval("return redis.REDIS_VERSION_NUM"),
        Reply::Integer(458767)
    );
    assert_eq!(eval("return redis.REDIS_VERSION"), bulk("7.0.15"));
    let consts = "return {redis.LOG_DEBUG,redis.LOG_VERBOSE,redis.LOG_NOTICE,redis.LOG_WARNING,redis.REPL_NONE,redis.REPL_AOF,redis.REPL_SLAVE,redis.REPL_REPLICA,redis.REPL_ALL}";
    let want: Vec<Reply> = [0, 1, 2, 3, 0, 1, 2, 2, 3]
        .into_iter()
        .map(Reply::Integer)
        .collect();
    assert_eq!(eval(consts), Reply::Array(want));
    assert_eq!(eval("return redis.replicate_commands()"), Reply::Integer(1));
    assert_eq!(eval("return redis.breakpoint()"), Reply::Nil);
    assert_eq!(eval("return redis.debug('x')"), Reply::Nil);
    assert_eq!(
        eval("redis.set_repl(redis.REPL_ALL); return 1"),
        Reply::Integer(1)
    );
    assert_eq!(
        eval("return redis.sha1hex('')"),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    assert_eq!(
        eval("return redis.sha1hex('Pizza & Mandolino')"),
        bulk("74822d82031af7493c20eefa13bd07ec4fada82f")
    );
}

#[test]
fn log_reaches_the_host() {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    e.eval(
        &mut h,
        b"redis.log(redis.LOG_WARNING, 'a', 1, 'b')",
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(h.logs, vec![(LogLevel::Warning, b"a 1 b".to_vec())]);
}

#[test]
fn math_random_is_redis_lrand48_restarted_every_run() {
    // A freshly started redis-server's first script.
    let first = "return {math.random(10), math.random(1,100), math.random(1,100)}";
    let want = vec![Reply::Integer(4), Reply::Integer(85), Reply::Integer(36)];
    assert_eq!(eval(first), Reply::Array(want));
    // Redis's fourth draw (its second script) after a restart.
    let four = "math.random(); math.random(); math.random(); return tostring(math.random())";
    assert_eq!(eval(four), bulk("0.44658343468168"));
    assert_eq!(
        eval("math.randomseed(42); return math.random(1000)"),
        Reply::Integer(745)
    );
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    let a = e
        .eval(&mut h, b"return math.random(1000000)", &[], &[])
        .unwrap();
    let b = e
        .eval(&mut h, b"return math.random(1000000)", &[], &[])
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn script_cache() {
    let mut e = ScriptEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    let sha = e.load(b"return 1").unwrap();
    assert_eq!(sha, sha1_hex(b"return 1"));
    assert!(e.exists(&sha.to_uppercase()));
    assert_eq!(
        e.evalsha(&mut h, &sha, &[], &[]).unwrap(),
        Reply::Integer(1)
    );
    e.flush().unwrap();
    assert!(!e.exists(&sha));
    let err = e.evalsha(&mut h, &sha, &[], &[]).unwrap_err();
    assert_eq!(err, ScriptError::NoScript);
    assert_eq!(
        err.to_string(),
        "NOSCRIPT No matching script. Please use EVAL."
    );
}

#[test]
fn shebang_flags() {
    let mut e = ScriptEngine::new(None).unwrap();
    let sha = e
        .load(b"#!lua flags=no-writes,allow-stale\nreturn 1")
        .unwrap();
    let flags = e.script(&sha).unwrap().flags;
    assert!(flags.no_writes && flags.allow_stale && !flags.eval_compat_mode);
    let sha2 = e.load(b"return 2").unwrap();
    assert!(e.script(&sha2).unwrap().flags.eval_compat_mode);
    let cases: [(&[u8], &str); 4] = [
        (
            b"#!lua flags=bad\nreturn 1",
            "ERR Unexpected flag in script shebang: bad",
        ),
        (
            b"#!lua x=1\nreturn 1",
            "ERR Unknown lua shebang option: x=1",
        ),
        (
            b"#!python\nreturn 1",
            "ERR Unexpected engine in script shebang: #!python",
        ),
        (b"#!lua", "ERR Invalid script shebang"),
    ];
    for (body, msg) in cases {
        assert_eq!(e.load(body).unwrap_err().to_string(), msg);
    }
    let mut h = FakeHost::default();
    let r = e
        .eval(&mut h, b"#!lua\nreturn a", &[], &[])
        .unwrap_err()
        .to_string();
    assert!(r.ends_with("on @user_script:2."), "{r}");
}

#[test]
fn pairs_see_through_read_only_tables() {
    let body = "local n = 0 for k, v in pairs(bit) do n = n + 1 end return n";
    assert_eq!(eval(body), Reply::Integer(12));
    let body = "local t = {} for k in pairs(_G) do if k == 'redis' then return 1 end end return 0";
    assert_eq!(eval(body), Reply::Integer(1));
    assert_eq!(eval("return next(string, nil) ~= nil"), Reply::Integer(1));
    assert_eq!(
        eval("return rawget(_G, 'redis') == redis"),
        Reply::Integer(1)
    );
    assert_eq!(
        eval("return type(rawget(cjson, 'encode'))"),
        bulk("function")
    );
}

#[test]
fn acl_check_cmd_asks_the_host() {
    struct Acl;
    impl crate::ScriptHost for Acl {
        fn call(&mut self, _argv: Vec<Bytes>, _resp: u8) -> Reply {
            Reply::ok()
        }
        fn log(&mut self, _: LogLevel, _: &[u8]) {}
        fn acl_check_cmd(&mut self, argv: &[Bytes]) -> Option<bool> {
            match &argv[0][..] {
                b"get" => Some(true),
                b"set" => Some(false),
                _ => None,
            }
        }
    }
    let mut e = ScriptEngine::new(None).unwrap();
    let body = b"return {redis.acl_check_cmd('get', 'k'), redis.acl_check_cmd('set', 'k', 'v')}";
    let r = e.eval(&mut Acl, body, &[], &[]).unwrap();
    assert_eq!(r, Reply::Array(vec![Reply::Integer(1), Reply::Nil]));
    let body = "return redis.acl_check_cmd('nosuch')";
    let err = e
        .eval(&mut Acl, body.as_bytes(), &[], &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        err_at("ERR Invalid command passed to redis.acl_check_cmd()", body)
    );
}

#[test]
fn security_fixed_globals_are_absent() {
    for name in [
        "getfenv", "setfenv", "newproxy", "print", "dofile", "loadfile", "require", "os", "io",
        "debug",
    ] {
        let body = format!("return {name}");
        let err = super::eval_err(&body);
        let want = format!(
            "ERR user_script:1: Script attempted to access nonexistent global variable '{name}'"
        );
        assert!(err.starts_with(&want), "{err}");
    }
    let smt = "getmetatable('').__index = {} return 1";
    assert!(
        super::eval_err(smt).starts_with("ERR user_script:1: Attempt to modify a readonly table")
    );
    assert_eq!(eval("return type(getmetatable(''))"), bulk("table"));
    assert_eq!(eval("return ('x'):upper()"), bulk("X"));
}
