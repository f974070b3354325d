//! FUNCTION LOAD and FCALL against redis-server 7.0.15's replies.

use bytes::Bytes;
use meridian_types::Reply;

use super::FakeHost;
use crate::FunctionEngine;

const LIB1: &str = "#!lua name=lib1
redis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)
redis.register_function{function_name='f2', callback=function() return redis.call('get', 'k') end, flags={'no-writes'}, description='reads k'}";

fn load_err(e: &mut FunctionEngine, code: &str) -> String {
    e.load(&mut FakeHost::default(), code.as_bytes(), false)
        .unwrap_err()
        .to_string()
}

#[test]
fn load_and_call() {
    let mut e = FunctionEngine::new(None).unwrap();
    assert_eq!(
        e.load(&mut FakeHost::default(), LIB1.as_bytes(), false)
            .unwrap(),
        "lib1"
    );
    let mut h = FakeHost::default();
    h.data.insert(Bytes::from("k"), Bytes::from("v"));
    let r = e
        .fcall(&mut h, "f1", &[Bytes::from("k")], &[Bytes::from("a")])
        .unwrap();
    assert_eq!(r, Reply::Array(vec![Reply::bulk("k"), Reply::bulk("a")]));
    assert_eq!(e.fcall(&mut h, "f2", &[], &[]).unwrap(), Reply::bulk("v"));
    assert!(e.function_flags("f2").unwrap().no_writes);
    assert_eq!(e.function_flags("f2").unwrap().names(), ["no-writes"]);
    assert_eq!(
        e.fcall(&mut h, "nosuch", &[], &[]).unwrap_err().to_string(),
        "ERR Function not found"
    );
    let libs = e.libraries();
    assert_eq!(libs[0].name, "lib1");
    assert_eq!(libs[0].code, Bytes::from(LIB1));
    assert_eq!(libs[0].engine, "LUA");
    assert_eq!(libs[0].functions[0].description, None);
    assert_eq!(libs[0].functions[1].description.as_deref(), Some("reads k"));
    assert_eq!(
        libs[0]
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["f1", "f2"]
    );
    assert_eq!(
        load_err(
            &mut e,
            "#!lua name=lib1\nredis.register_function('f1', function() end)"
        ),
        "ERR Library 'lib1' already exists"
    );
    assert_eq!(
        load_err(
            &mut e,
            "#!lua name=lib2\nredis.register_function('f1', function() end)"
        ),
        "ERR Function f1 already exists"
    );
    assert_eq!(
        e.load(&mut FakeHost::default(), LIB1.as_bytes(), true)
            .unwrap(),
        "lib1"
    );
    e.delete("lib1").unwrap();
    assert_eq!(
        e.delete("lib1").unwrap_err().to_string(),
        "ERR Library not found"
    );
}

#[test]
fn runtime_errors_name_the_function() {
    let mut e = FunctionEngine::new(None).unwrap();
    e.load(
        &mut FakeHost::default(),
        b"#!lua name=lib3\nredis.register_function('f3', function() error('x') end)",
        false,
    )
    .unwrap();
    let err = e
        .fcall(&mut FakeHost::default(), "f3", &[], &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "ERR user_function:2: x script: f3, on @user_function:2."
    );
}

#[test]
fn load_errors() {
    let mut e = FunctionEngine::new(None).unwrap();
    let cases = [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua", "ERR Invalid library metadata"),
        ("#!lua name=a-b\nx", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ("#!py name=ab\nx", "ERR Engine 'py' not found"),
        ("#!lua name=ab foo=1\nx", "ERR Invalid metadata value given: foo=1"),
        ("#!lua name=l\nreturn 1", "ERR No functions registered"),
        ("#!lua name=l\nredis.call('ping')", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
        ("#!lua name=l\nlocal x = y", "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'y'"),
        ("#!lua name=l\nredis.register_function('a-b', function() end)", "ERR Error registering functions: ERR Function names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ("#!lua name=l\nredis.register_function('ff', function() end) redis.register_function('ff', function() end)", "ERR Error registering functions: ERR Function already exists in the library"),
        ("#!lua name=l\nredis.register_function{function_name='x'}", "ERR Error registering functions: ERR redis.register_function must get a callback argument"),
        ("#!lua name=l\nredis.register_function{function_name='x', callback=function() end, foo=1}", "ERR Error registering functions: ERR unknown argument given to redis.register_function"),
        ("#!lua name=l\nredis.register_function{function_name='x', callback=function() end, flags={'bad'}}", "ERR Error registering functions: ERR unknown flag given"),
    ];
    for (code, msg) in cases {
        assert_eq!(load_err(&mut e, code), msg, "{code}");
    }
    assert!(load_err(&mut e, "#!lua name=l\nreturn (")
        .starts_with("ERR Error compiling function: user_function:2:"));
}

#[test]
fn library_body_logs_through_the_host() {
    let mut e = FunctionEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    let code = b"#!lua name=l\nredis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION)\nredis.register_function('f', function() return string.upper('x') end)";
    e.load(&mut h, code, false).unwrap();
    assert_eq!(
        h.logs,
        vec![(crate::LogLevel::Notice, b"loading 7.0.15".to_vec())]
    );
    // The callback runs with the full globals again.
    assert_eq!(e.fcall(&mut h, "f", &[], &[]).unwrap(), Reply::bulk("X"));
    let err = e
        .load(&mut h, b"#!lua name=m\nlocal s = string.upper('x')", false)
        .unwrap_err();
    assert_eq!(err.to_string(), "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'");
    let inside = b"#!lua name=n\nredis.register_function('g', function() redis.register_function('h', function() end) end)";
    e.load(&mut h, inside, false).unwrap();
    let err = e.fcall(&mut h, "g", &[], &[]).unwrap_err().to_string();
    let want = "ERR user_function:2: attempt to call field 'register_function' (a nil value) script: g, on @user_function:2.";
    assert_eq!(err, want);
}

#[test]
fn function_names_ignore_case_library_names_do_not() {
    let mut e = FunctionEngine::new(None).unwrap();
    let mut h = FakeHost::default();
    e.load(
        &mut h,
        b"#!lua name=lib1\nredis.register_function('f1', function() return 1 end)",
        false,
    )
    .unwrap();
    assert_eq!(e.fcall(&mut h, "F1", &[], &[]).unwrap(), Reply::Integer(1));
    assert_eq!(
        e.delete("LIB1").unwrap_err().to_string(),
        "ERR Library not found"
    );
    let clash = b"#!lua name=lib2\nredis.register_function('F1', function() end)";
    let err = e.load(&mut h, clash, false).unwrap_err().to_string();
    assert_eq!(err, "ERR Function F1 already exists");
}

#[test]
fn a_library_body_has_a_budget_too() {
    let mut e = FunctionEngine::new(Some(10_000)).unwrap();
    let err = e
        .load(
            &mut FakeHost::default(),
            b"#!lua name=l\nwhile true do end",
            false,
        )
        .unwrap_err()
        .to_string();
    let want =
        "ERR Error registering functions: ERR Script exceeded its budget of 10000 Lua instructions";
    assert_eq!(err, want);
}
