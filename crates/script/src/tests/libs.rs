//! bit, cjson, cmsgpack and struct against redis-server 7.0.15's answers.

use meridian_types::Reply;

use super::eval;

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

#[test]
fn bit_library() {
    assert_eq!(eval("return bit.tobit(0xffffffff)"), Reply::Integer(-1));
    assert_eq!(eval("return bit.tohex(65535)"), bulk("0000ffff"));
    assert_eq!(eval("return bit.tohex(-1, -4)"), bulk("FFFF"));
    assert_eq!(eval("return bit.band(0xff, 0x0f, 0x3)"), Reply::Integer(3));
    assert_eq!(eval("return bit.bxor(5, 3)"), Reply::Integer(6));
    assert_eq!(
        eval("return bit.lshift(1, 31)"),
        Reply::Integer(-2147483648)
    );
    assert_eq!(eval("return bit.rshift(-1, 28)"), Reply::Integer(15));
    assert_eq!(eval("return bit.arshift(-256, 4)"), Reply::Integer(-16));
    assert_eq!(
        eval("return bit.rol(0x12345678, 12)"),
        Reply::Integer(1164411171)
    );
    assert_eq!(
        eval("return bit.bswap(0x12345678)"),
        Reply::Integer(2018915346)
    );
    assert_eq!(eval("return bit.bnot(0)"), Reply::Integer(-1));
}

#[test]
fn cjson_encode() {
    assert_eq!(
        eval("return cjson.encode({1,2,3,'a'})"),
        bulk("[1,2,3,\"a\"]")
    );
    assert_eq!(eval("return cjson.encode({a=1})"), bulk("{\"a\":1}"));
    assert_eq!(eval("return cjson.encode({})"), bulk("{}"));
    assert_eq!(eval("return cjson.encode(1/3)"), bulk("0.33333333333333"));
    assert_eq!(eval("return cjson.encode(1e20)"), bulk("1e+20"));
    assert_eq!(
        eval("return cjson.encode('a/b\"\\n\\1')"),
        bulk("\"a\\/b\\\"\\n\\u0001\"")
    );
    assert_eq!(
        eval("return cjson.encode({[1]=1,[3]=3})"),
        bulk("[1,null,3]")
    );
    assert_eq!(
        eval("return cjson.encode({1,2,[4]=4})"),
        bulk("[1,2,null,4]")
    );
    assert_eq!(eval("return cjson.encode(cjson.null)"), bulk("null"));
    assert_eq!(
        eval("return cjson.encode({true,false})"),
        bulk("[true,false]")
    );
}

#[test]
fn cjson_errors() {
    let cases = [
        (
            "return cjson.encode({[1]=1,[30]=3})",
            "Cannot serialise table: excessively sparse array",
        ),
        (
            "return cjson.encode(function() end)",
            "Cannot serialise function: type not supported",
        ),
        (
            "return cjson.encode(0/0)",
            "Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.encode({[true]=1})",
            "Cannot serialise boolean: table key must be a number or string",
        ),
        (
            "return cjson.decode('[1,')",
            "Expected value but found T_END at character 4",
        ),
        (
            "return cjson.decode('nul')",
            "Expected value but found invalid token at character 1",
        ),
        (
            "return cjson.decode('{1:2}')",
            "Expected object key string but found T_NUMBER at character 2",
        ),
        (
            "return cjson.decode('[1] x')",
            "Expected the end but found invalid token at character 5",
        ),
    ];
    for (body, msg) in cases {
        let want = format!(
            "ERR user_script:1: {msg} script: {}, on @user_script:1.",
            crate::sha1_hex(body.as_bytes())
        );
        assert_eq!(super::eval_err(body), want, "{body}");
    }
}

#[test]
fn cjson_decode() {
    assert_eq!(
        eval("return cjson.decode('[1,2,{\"a\":\"b\"}]')[3].a"),
        bulk("b")
    );
    assert_eq!(
        eval("return cjson.decode('{\"a\":null}').a == cjson.null"),
        Reply::Integer(1)
    );
    assert_eq!(eval("return cjson.decode('\"\\\\u00e9\"')"), bulk("é"));
    assert_eq!(eval("return cjson.decode('1.5e3')"), Reply::Integer(1500));
}

fn bytes(b: &[u8]) -> Reply {
    Reply::bulk(b.to_vec())
}

#[test]
fn struct_library() {
    assert_eq!(eval("return struct.pack('>I2', 258)"), bytes(b"\x01\x02"));
    let roundtrip = "return {struct.unpack('<i4', struct.pack('<i4', -2))}";
    assert_eq!(
        eval(roundtrip),
        Reply::Array(vec![Reply::Integer(-2), Reply::Integer(5)])
    );
    assert_eq!(
        eval("return struct.pack('bhi', 1, 2, 3)"),
        bytes(b"\x01\x02\x00\x03\x00\x00\x00")
    );
    assert_eq!(
        eval("return struct.pack('!bhi', 1, 2, 3)"),
        bytes(b"\x01\x00\x02\x00\x03\x00\x00\x00")
    );
    assert_eq!(eval("return struct.size('!bhid')"), Reply::Integer(16));
    let c0 = "return {struct.unpack('bc0', struct.pack('b', 3) .. 'abc')}";
    assert_eq!(eval(c0), Reply::Array(vec![bulk("abc"), Reply::Integer(5)]));
    assert_eq!(
        eval("return {struct.unpack('s', 'hi\\0x')}"),
        Reply::Array(vec![bulk("hi"), Reply::Integer(4)])
    );
    assert_eq!(
        eval("return struct.pack('d', 1.5)"),
        bytes(b"\x00\x00\x00\x00\x00\x00\xf8?")
    );
    assert_eq!(eval("return struct.pack('>l', -1)"), bytes(&[0xff; 8]));
    let f = "return {struct.unpack('f', struct.pack('f', 0.5))}";
    assert_eq!(
        eval(f),
        Reply::Array(vec![Reply::Integer(0), Reply::Integer(5)])
    );
}

#[test]
fn struct_errors() {
    let cases = [
        (
            "return {struct.unpack('c0', struct.pack('b', 3) .. 'abc')}",
            "format 'c0' needs a previous size",
        ),
        (
            "return struct.pack('z', 1)",
            "bad argument #1 to 'pack' (invalid format option 'z')",
        ),
        (
            "return struct.size('s')",
            "bad argument #1 to 'size' (option 's' has no fixed size)",
        ),
        (
            "return struct.unpack('i4', 'ab')",
            "bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            "return struct.pack('i4')",
            "bad argument #2 to 'pack' (number expected, got nil)",
        ),
        (
            "return struct.pack('!3i', 1)",
            "alignment 3 is not a power of 2",
        ),
        (
            "return struct.pack('c2', 'a')",
            "bad argument #3 to 'pack' (string too short)",
        ),
    ];
    for (body, msg) in cases {
        let want = format!(
            "ERR user_script:1: {msg} script: {}, on @user_script:1.",
            crate::sha1_hex(body.as_bytes())
        );
        assert_eq!(super::eval_err(body), want, "{body}");
    }
}

fn ints(v: &[i64]) -> Reply {
    Reply::Array(v.iter().map(|&i| Reply::Integer(i)).collect())
}

#[test]
fn cmsgpack_pack() {
    let all = "return cmsgpack.pack(1, -1, 200, -200, 70000, 2^40, -2^40, 0.5, 0.1, 'abc', true, false, nil)";
    let want: &[u8] = b"\x01\xff\xcc\xc8\xd1\xff8\xce\x00\x01\x11p\xcf\x00\x00\x01\x00\x00\x00\x00\x00\xd3\xff\xff\xff\x00\x00\x00\x00\x00\xca?\x00\x00\x00\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xa3abc\xc3\xc2\xc0";
    assert_eq!(eval(all), bytes(want));
    assert_eq!(
        eval("return cmsgpack.pack({1,2,3})"),
        bytes(b"\x93\x01\x02\x03")
    );
    assert_eq!(eval("return cmsgpack.pack({a=1})"), bytes(b"\x81\xa1a\x01"));
    let mut want = vec![0xd9, 40];
    want.extend_from_slice(&[b'x'; 40]);
    assert_eq!(
        eval("return cmsgpack.pack(string.rep('x', 40))"),
        bytes(&want)
    );
    let mut nested = vec![0x91; 16];
    nested.push(0xc0);
    assert_eq!(
        eval("local t = {} t[1] = t return cmsgpack.pack(t)"),
        bytes(&nested)
    );
    assert_eq!(
        eval("return cmsgpack.pack({1,nil,3})"),
        bytes(b"\x82\x01\x01\x03\x03")
    );
    assert_eq!(
        eval("return cmsgpack.pack(1/0)"),
        bytes(b"\xca\x7f\x80\x00\x00")
    );
    assert_eq!(
        eval("return cmsgpack.pack(-2^63, 2^63)"),
        bytes(b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xca_\x00\x00\x00")
    );
}

#[test]
fn cmsgpack_unpack() {
    let three = "return {cmsgpack.unpack(cmsgpack.pack(1,'a',{1,2}))}";
    assert_eq!(
        eval(three),
        Reply::Array(vec![Reply::Integer(1), bulk("a"), ints(&[1, 2])])
    );
    assert_eq!(
        eval("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}"),
        ints(&[1, 1])
    );
    assert_eq!(
        eval("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 1)}"),
        ints(&[2, 2])
    );
    assert_eq!(
        eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}"),
        ints(&[2, 1, 2])
    );
    assert_eq!(
        eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 2)}"),
        ints(&[-1, 3])
    );
    assert_eq!(
        eval("return cmsgpack.unpack(cmsgpack.pack(0.1)) == 0.1"),
        Reply::Integer(1)
    );
    let neg = "return cmsgpack.unpack(string.char(0xd3,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xfe))";
    assert_eq!(eval(neg), Reply::Integer(-2));
}

#[test]
fn cmsgpack_errors() {
    let cases = [
        (
            "return cmsgpack.unpack(string.char(0xc1))",
            "Bad data format in input.",
        ),
        (
            "return cmsgpack.unpack(string.char(0xcd, 1))",
            "Missing bytes in input.",
        ),
        (
            "return cmsgpack.pack()",
            "bad argument #0 to 'pack' (MessagePack pack needs input.)",
        ),
        (
            "return cmsgpack.unpack_one('a', 5)",
            "Start offset 5 greater than input length 1.",
        ),
        (
            "return cmsgpack.unpack_one('a', -1)",
            "Invalid request to unpack with offset of -1 and limit of 1.",
        ),
    ];
    for (body, msg) in cases {
        let want = format!(
            "ERR user_script:1: {msg} script: {}, on @user_script:1.",
            crate::sha1_hex(body.as_bytes())
        );
        assert_eq!(super::eval_err(body), want, "{body}");
    }
}
