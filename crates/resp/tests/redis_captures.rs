//! Encoder output compared with bytes captured from redis-server 7.0.15 (raw socket, after
//! `HELLO 2` or `HELLO 3`). Each case names the command that produced the bytes. Data set:
//! `ZADD z 1.1 a 2 b inf c -inf d 0.1 e 1e100 f -0 g …`, `HSET h f1 v1 f2 v2`, `SADD s m1`.

#![allow(clippy::approx_constant)] // 3.141 is the literal DEBUG PROTOCOL double prints

use bytes::{Bytes, BytesMut};
use meridian_resp::{encode, encode_verbatim, Protocol};
use meridian_types::Reply;

use Protocol::{Resp2, Resp3};

fn bytes_of(reply: &Reply, proto: Protocol) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(reply, proto, &mut out);
    out.to_vec()
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// A captured reply: (command, reply, RESP2 bytes, RESP3 bytes).
type Capture = (&'static str, Reply, &'static [u8], &'static [u8]);

/// Every capture.
fn captures() -> Vec<Capture> {
    [
        scalars(),
        aggregates(),
        debug_protocol(),
        strings_and_errors(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Simple replies, nils and doubles as Redis prints them (`inf`, `-0` as `0`).
fn scalars() -> Vec<Capture> {
    vec![
        (
            "PING",
            Reply::Status("PONG".into()),
            b"+PONG\r\n",
            b"+PONG\r\n",
        ),
        ("EXISTS z", Reply::Integer(1), b":1\r\n", b":1\r\n"),
        ("GET nokey", Reply::Nil, b"$-1\r\n", b"_\r\n"),
        ("ZSCORE z nope", Reply::Nil, b"$-1\r\n", b"_\r\n"),
        ("BLPOP nokey 0.01", Reply::NilArray, b"*-1\r\n", b"_\r\n"),
        (
            "ZSCORE z a",
            Reply::Double(1.1),
            b"$18\r\n1.1000000000000001\r\n",
            b",1.1000000000000001\r\n",
        ),
        (
            "ZSCORE z c",
            Reply::Double(f64::INFINITY),
            b"$3\r\ninf\r\n",
            b",inf\r\n",
        ),
        (
            "ZSCORE z d",
            Reply::Double(f64::NEG_INFINITY),
            b"$4\r\n-inf\r\n",
            b",-inf\r\n",
        ),
        (
            "ZSCORE z g (stored -0)",
            Reply::Double(0.0),
            b"$1\r\n0\r\n",
            b",0\r\n",
        ),
        (
            "ZSCORE z f",
            Reply::Double(1e100),
            b"$6\r\n1e+100\r\n",
            b",1e+100\r\n",
        ),
        (
            "ZSCORE z e",
            Reply::Double(0.1),
            b"$19\r\n0.10000000000000001\r\n",
            b",0.10000000000000001\r\n",
        ),
        (
            "ZSCORE z i (1e-5)",
            Reply::Double(1e-5),
            b"$22\r\n1.0000000000000001e-05\r\n",
            b",1.0000000000000001e-05\r\n",
        ),
    ]
}

/// Pairs, maps and sets: flat arrays in RESP2, typed aggregates in RESP3.
fn aggregates() -> Vec<Capture> {
    vec![
        (
            "ZRANGE z 0 1 WITHSCORES",
            Reply::Pairs(vec![
                (bulk("d"), Reply::Double(f64::NEG_INFINITY)),
                (bulk("g"), Reply::Double(0.0)),
            ]),
            b"*4\r\n$1\r\nd\r\n$4\r\n-inf\r\n$1\r\ng\r\n$1\r\n0\r\n",
            b"*2\r\n*2\r\n$1\r\nd\r\n,-inf\r\n*2\r\n$1\r\ng\r\n,0\r\n",
        ),
        (
            "ZRANGE nokey 0 1 WITHSCORES",
            Reply::Pairs(vec![]),
            b"*0\r\n",
            b"*0\r\n",
        ),
        ("ZPOPMIN nokey", Reply::Pairs(vec![]), b"*0\r\n", b"*0\r\n"),
        (
            "ZRANDMEMBER z 1 WITHSCORES",
            Reply::Pairs(vec![(bulk("f"), Reply::Double(1e100))]),
            b"*2\r\n$1\r\nf\r\n$6\r\n1e+100\r\n",
            b"*1\r\n*2\r\n$1\r\nf\r\n,1e+100\r\n",
        ),
        (
            "HRANDFIELD h -1 WITHVALUES",
            Reply::Pairs(vec![(bulk("f2"), bulk("v2"))]),
            b"*2\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
            b"*1\r\n*2\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
        ),
        (
            "ZMSCORE z a zz",
            Reply::Array(vec![Reply::Double(1.1), Reply::Nil]),
            b"*2\r\n$18\r\n1.1000000000000001\r\n$-1\r\n",
            b"*2\r\n,1.1000000000000001\r\n_\r\n",
        ),
        (
            "HGETALL h",
            Reply::Map(vec![(bulk("f1"), bulk("v1")), (bulk("f2"), bulk("v2"))]),
            b"*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
            b"%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
        ),
        ("HGETALL nokey", Reply::Map(vec![]), b"*0\r\n", b"%0\r\n"),
        (
            "CONFIG GET maxmemory",
            Reply::Map(vec![(bulk("maxmemory"), bulk("0"))]),
            b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
            b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
        ),
        (
            "SMEMBERS s",
            Reply::Set(vec![bulk("m1")]),
            b"*1\r\n$2\r\nm1\r\n",
            b"~1\r\n$2\r\nm1\r\n",
        ),
        ("SMEMBERS nokey", Reply::Set(vec![]), b"*0\r\n", b"~0\r\n"),
    ]
}

/// `DEBUG PROTOCOL <type>`: each RESP3 type as Redis prints it.
fn debug_protocol() -> Vec<Capture> {
    vec![
        (
            "DEBUG PROTOCOL true",
            Reply::Boolean(true),
            b":1\r\n",
            b"#t\r\n",
        ),
        (
            "DEBUG PROTOCOL false",
            Reply::Boolean(false),
            b":0\r\n",
            b"#f\r\n",
        ),
        (
            "DEBUG PROTOCOL double",
            Reply::Double(3.141), // DEBUG PROTOCOL prints this literal, not PI
            b"$5\r\n3.141\r\n",
            b",3.141\r\n",
        ),
        ("DEBUG PROTOCOL null", Reply::Nil, b"$-1\r\n", b"_\r\n"),
        (
            "DEBUG PROTOCOL map",
            Reply::Map(vec![
                (Reply::Integer(0), Reply::Boolean(false)),
                (Reply::Integer(1), Reply::Boolean(true)),
                (Reply::Integer(2), Reply::Boolean(false)),
            ]),
            b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
            b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
        ),
        (
            "DEBUG PROTOCOL set",
            Reply::Set(vec![
                Reply::Integer(0),
                Reply::Integer(1),
                Reply::Integer(2),
            ]),
            b"*3\r\n:0\r\n:1\r\n:2\r\n",
            b"~3\r\n:0\r\n:1\r\n:2\r\n",
        ),
    ]
}

/// Binary-safe bulk strings and error lines.
fn strings_and_errors() -> Vec<Capture> {
    vec![
        (
            "GET k after SET k \"\\xe2\\x82\\xac\"",
            Reply::Bulk(Bytes::from_static(b"\xe2\x82\xac")),
            b"$3\r\n\xe2\x82\xac\r\n",
            b"$3\r\n\xe2\x82\xac\r\n",
        ),
        ("ECHO \"\"", bulk(""), b"$0\r\n\r\n", b"$0\r\n\r\n"),
        (
            "GET (wrong arity)",
            Reply::Error("ERR wrong number of arguments for 'get' command".into()),
            b"-ERR wrong number of arguments for 'get' command\r\n",
            b"-ERR wrong number of arguments for 'get' command\r\n",
        ),
        (
            "*1 $4 a\\r\\nb (unknown command with CR LF in its name)",
            Reply::Error("ERR unknown command 'a\r\nb', with args beginning with: ".into()),
            b"-ERR unknown command 'a  b', with args beginning with: \r\n",
            b"-ERR unknown command 'a  b', with args beginning with: \r\n",
        ),
    ]
}

#[test]
fn replies_match_redis_7_0_bytes() {
    for (command, reply, resp2, resp3) in captures() {
        assert_eq!(
            bytes_of(&reply, Resp2),
            resp2,
            "RESP2 {command}: {:?}",
            String::from_utf8_lossy(resp2)
        );
        assert_eq!(
            bytes_of(&reply, Resp3),
            resp3,
            "RESP3 {command}: {:?}",
            String::from_utf8_lossy(resp3)
        );
    }
}

#[test]
fn verbatim_matches_debug_protocol_verbatim() {
    let text = b"This is a verbatim\nstring";
    let mut out = BytesMut::new();
    encode_verbatim(text, Resp2, &mut out);
    assert_eq!(&out[..], b"$25\r\nThis is a verbatim\nstring\r\n");
    out.clear();
    encode_verbatim(text, Resp3, &mut out);
    assert_eq!(&out[..], b"=29\r\ntxt:This is a verbatim\nstring\r\n");
}

#[test]
fn status_text_cannot_break_framing() {
    assert_eq!(
        bytes_of(&Reply::Status("a\r\nb".into()), Resp2),
        b"+a  b\r\n"
    );
    assert_eq!(
        bytes_of(&Reply::Integer(i64::MIN), Resp3),
        b":-9223372036854775808\r\n"
    );
    let nested = Reply::Array(vec![
        Reply::Array(vec![]),
        Reply::Set(vec![Reply::NilArray]),
    ]);
    assert_eq!(bytes_of(&nested, Resp2), b"*2\r\n*0\r\n*1\r\n*-1\r\n");
    assert_eq!(bytes_of(&nested, Resp3), b"*2\r\n*0\r\n~1\r\n_\r\n");
}
