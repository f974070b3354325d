//! cjson's decoding corners and configuration functions against redis-server 7.0.15.

use meridian_types::Reply;

use super::{eval, eval_err};

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

fn lua_err(body: &str, msg: &str) {
    let want = format!(
        "ERR user_script:1: {msg} script: {}, on @user_script:1.",
        crate::sha1_hex(body.as_bytes())
    );
    assert_eq!(eval_err(body), want, "{body}");
}

#[test]
fn decode_reads_numbers_as_strtod() {
    assert_eq!(eval("return cjson.decode('0x10')"), Reply::Integer(16));
    assert_eq!(eval("return tostring(cjson.decode('nan'))"), bulk("nan"));
    assert_eq!(eval("return tostring(cjson.decode('inf'))"), bulk("inf"));
    assert_eq!(
        eval("return tostring(cjson.decode('-Infinity'))"),
        bulk("-inf")
    );
    assert_eq!(
        eval("return cjson.decode('1e400')"),
        Reply::Integer(i64::MIN)
    );
    assert_eq!(eval("return cjson.decode('01')"), Reply::Integer(1));
    assert_eq!(eval("return cjson.decode('1.')"), Reply::Integer(1));
    assert_eq!(eval("return cjson.decode(12)"), Reply::Integer(12));
    let two = Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)]);
    assert_eq!(eval("return cjson.decode('  [1 , 2]  ')"), two);
}

#[test]
fn decode_errors() {
    let cases = [
        (
            "return cjson.decode('[1,]')",
            "Expected value but found T_ARR_END at character 4",
        ),
        (
            "return cjson.decode('{\"a\":1,}')",
            "Expected object key string but found T_OBJ_END at character 8",
        ),
        (
            "return cjson.decode('\"\\\\x\"')",
            "Expected value but found invalid escape code at character 2",
        ),
        (
            "return cjson.decode('\"\\\\ud800\"')",
            "Expected value but found invalid unicode escape code at character 2",
        ),
        (
            "return cjson.decode('\"ab')",
            "Expected value but found unexpected end of string at character 4",
        ),
        (
            "return cjson.decode('')",
            "Expected value but found T_END at character 1",
        ),
        (
            "return cjson.decode('tru')",
            "Expected value but found invalid token at character 1",
        ),
        (
            "return cjson.decode('-')",
            "Expected value but found invalid number at character 1",
        ),
        (
            "return cjson.decode('.5')",
            "Expected value but found invalid token at character 1",
        ),
        (
            "return cjson.decode()",
            "bad argument #1 to 'decode' (expected 1 argument)",
        ),
        (
            "return cjson.encode()",
            "bad argument #1 to 'encode' (expected 1 argument)",
        ),
        (
            "return cjson.encode(1,2)",
            "bad argument #1 to 'encode' (expected 1 argument)",
        ),
    ];
    for (body, msg) in cases {
        lua_err(body, msg);
    }
}

#[test]
fn encode_corners() {
    assert_eq!(eval("return cjson.encode({[1.5]=1})"), bulk("{\"1.5\":1}"));
    assert_eq!(
        eval("return cjson.encode({a={b={}}})"),
        bulk("{\"a\":{\"b\":{}}}")
    );
    assert_eq!(eval("return cjson.encode(-0.0)"), bulk("-0"));
    assert_eq!(
        eval("return cjson.encode(123456789012345)"),
        bulk("1.2345678901234e+14")
    );
    let raw = eval("return cjson.encode(string.char(200, 127, 0))");
    assert_eq!(raw, Reply::bulk(b"\"\xc8\\u007f\\u0000\"".to_vec()));
    assert_eq!(
        eval("return {cjson._NAME, cjson._VERSION}"),
        Reply::Array(vec![bulk("cjson"), bulk("2.1.0")])
    );
    let count = "local n = 0 for k in pairs(cjson) do n = n + 1 end return n";
    assert_eq!(eval(count), Reply::Integer(13));
}

#[test]
fn configuration_functions() {
    let ints = |v: &[i64]| Reply::Array(v.iter().map(|&i| Reply::Integer(i)).collect());
    let sparse = Reply::Array(vec![Reply::Nil, Reply::Integer(2), Reply::Integer(10)]);
    assert_eq!(eval("return {cjson.encode_sparse_array()}"), sparse);
    assert_eq!(
        eval("return {cjson.encode_sparse_array(true, 3, 5)}"),
        ints(&[1, 3, 5])
    );
    let convert = "cjson.encode_sparse_array(true) return cjson.encode({[1]=1,[30]=3})";
    let got = eval(convert);
    assert!(
        got == bulk("{\"1\":1,\"30\":3}") || got == bulk("{\"30\":3,\"1\":1}"),
        "{got:?}"
    );
    assert_eq!(eval("return cjson.encode_max_depth(2)"), Reply::Integer(2));
    lua_err(
        "cjson.encode_max_depth(2) return cjson.encode({{{1}}})",
        "Cannot serialise, excessive nesting (3)",
    );
    assert_eq!(
        eval("cjson.encode_number_precision(3) return cjson.encode(1/3)"),
        bulk("0.333")
    );
    assert_eq!(
        eval("return cjson.encode_invalid_numbers('null')"),
        bulk("null")
    );
    let inv = "cjson.encode_invalid_numbers(true) return cjson.encode({1/0, 0/0, -1/0})";
    assert_eq!(eval(inv), bulk("[inf,nan,-inf]"));
    assert_eq!(
        eval("cjson.encode_invalid_numbers('null') return cjson.encode({1/0})"),
        bulk("[null]")
    );
    lua_err(
        "return cjson.encode_max_depth(0)",
        "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)",
    );
    lua_err(
        "return cjson.encode_max_depth(1, 2)",
        "bad argument #2 to 'encode_max_depth' (found too many arguments)",
    );
    lua_err(
        "return cjson.encode_invalid_numbers('x')",
        "bad argument #1 to 'encode_invalid_numbers' (invalid option 'x')",
    );
    lua_err(
        "return cjson.encode_sparse_array(1)",
        "bad argument #1 to 'encode_sparse_array' (invalid option '1')",
    );
    lua_err(
        "cjson.decode_max_depth(2) return cjson.decode('[[[1]]]')",
        "Found too many nested data structures (3) at character 3",
    );
    assert_eq!(
        eval("return cjson.decode_invalid_numbers(false)"),
        Reply::Nil
    );
    lua_err(
        "cjson.decode_invalid_numbers(false) return cjson.decode('0x10')",
        "Expected value but found invalid number at character 1",
    );
    assert_eq!(eval("return cjson.encode_keep_buffer()"), Reply::Integer(1));
    assert_eq!(eval("return cjson.new().encode({1})"), bulk("[1]"));
}

#[test]
fn configuration_is_reset_between_runs() {
    let mut e = crate::ScriptEngine::new(None).unwrap();
    let mut h = super::FakeHost::default();
    e.eval(&mut h, b"cjson.encode_number_precision(3)", &[], &[])
        .unwrap();
    let r = e
        .eval(&mut h, b"return cjson.encode(1/3)", &[], &[])
        .unwrap();
    assert_eq!(r, bulk("0.33333333333333"));
}
