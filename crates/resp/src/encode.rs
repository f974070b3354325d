//! Reply encoding: [`Reply`] → RESP2/RESP3 bytes, as Redis 7.0's `addReply*` family writes them.

use bytes::{BufMut, BytesMut};
use meridian_types::Reply;

use crate::double::format_double;

/// The protocol a connection speaks; `HELLO 3` switches to RESP3, `HELLO 2` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// Appends `reply` to `out` exactly as Redis 7.0 encodes it for a client speaking `proto`.
///
/// RESP2 flattening: Map → `*2n` key, value, …; Set → `*n`; Pairs → one flat `*2n`; MapOrPairs
/// → `*n` of `*2` arrays (a `%n` map in RESP3); Double → a
/// bulk string of `%.17g`; Boolean → `:1`/`:0`; Nil → `$-1`; NilArray → `*-1`. RESP3: `%n`, `~n`,
/// an array of `*2` arrays, `,<double>`, `#t`/`#f`, `_`. HumanDouble: its text, as a bulk string
/// (RESP2) or a `,` double (RESP3). Status and error texts have `\r` and `\n`
/// replaced by spaces so a reply can never break the framing.
pub fn encode(reply: &Reply, proto: Protocol, out: &mut BytesMut) {
    let resp3 = proto == Protocol::Resp3;
    match reply {
        Reply::Status(text) => line(out, b'+', text.as_bytes()),
        Reply::Error(text) => line(out, b'-', text.as_bytes()),
        Reply::Integer(n) => header(out, b':', *n),
        Reply::Bulk(bytes) => bulk(out, bytes),
        Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
        Reply::Nil => out.put_slice(b"$-1\r\n"),
        Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
        Reply::NilArray => out.put_slice(b"*-1\r\n"),
        Reply::Array(items) => {
            header(out, b'*', len_i64(items.len()));
            items.iter().for_each(|item| encode(item, proto, out));
        }
        Reply::Set(items) => {
            header(out, if resp3 { b'~' } else { b'*' }, len_i64(items.len()));
            items.iter().for_each(|item| encode(item, proto, out));
        }
        Reply::Map(entries) | Reply::MapOrPairs(entries) if resp3 => {
            header(out, b'%', len_i64(entries.len()));
            pairs(entries, proto, out);
        }
        Reply::MapOrPairs(entries) => nested_pairs(entries, proto, out),
        Reply::Map(entries) => {
            header(out, b'*', len_i64(entries.len()).saturating_mul(2));
            pairs(entries, proto, out);
        }
        Reply::Pairs(entries) if resp3 => nested_pairs(entries, proto, out),
        Reply::Pairs(entries) => {
            header(out, b'*', len_i64(entries.len()).saturating_mul(2));
            pairs(entries, proto, out);
        }
        Reply::Double(d) if resp3 => line(out, b',', format_double(*d).as_bytes()),
        Reply::Double(d) => bulk(out, format_double(*d).as_bytes()),
        Reply::Boolean(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Reply::Boolean(b) => out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        Reply::HumanDouble(text) if resp3 => line(out, b',', text.as_bytes()),
        Reply::HumanDouble(text) => bulk(out, text.as_bytes()),
    }
}

/// Appends a verbatim text reply the way Redis 7.0 sends INFO, CLIENT INFO and CLIENT LIST:
/// RESP3 `=<len+4>\r\ntxt:<text>\r\n`, RESP2 a plain bulk string of `text`.
pub fn encode_verbatim(text: &[u8], proto: Protocol, out: &mut BytesMut) {
    match proto {
        Protocol::Resp2 => bulk(out, text),
        Protocol::Resp3 => {
            header(out, b'=', len_i64(text.len()).saturating_add(4));
            out.put_slice(b"txt:");
            out.put_slice(text);
            out.put_slice(b"\r\n");
        }
    }
}

/// `*n` of `*2` arrays.
fn nested_pairs(entries: &[(Reply, Reply)], proto: Protocol, out: &mut BytesMut) {
    header(out, b'*', len_i64(entries.len()));
    for (first, second) in entries {
        out.put_slice(b"*2\r\n");
        encode(first, proto, out);
        encode(second, proto, out);
    }
}

fn pairs(entries: &[(Reply, Reply)], proto: Protocol, out: &mut BytesMut) {
    for (first, second) in entries {
        encode(first, proto, out);
        encode(second, proto, out);
    }
}

/// `<prefix><text>\r\n` with CR/LF in `text` turned into spaces.
fn line(out: &mut BytesMut, prefix: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(prefix);
    out.extend(
        text.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.put_slice(b"\r\n");
}

/// `*<len>\r\n`: the header of an array (the same in RESP2 and RESP3).
pub fn encode_array_len(len: usize, out: &mut BytesMut) {
    header(out, b'*', len_i64(len));
}

/// A bulk string (the same in RESP2 and RESP3).
pub fn encode_bulk(bytes: &[u8], out: &mut BytesMut) {
    bulk(out, bytes);
}

fn bulk(out: &mut BytesMut, bytes: &[u8]) {
    header(out, b'$', len_i64(bytes.len()));
    out.reserve(bytes.len() + 2);
    out.put_slice(bytes);
    out.put_slice(b"\r\n");
}

/// `<prefix><n>\r\n` without allocating.
fn header(out: &mut BytesMut, prefix: u8, n: i64) {
    let mut digits = [0u8; 20];
    let mut pos = digits.len();
    let mut value = n.unsigned_abs();
    loop {
        pos -= 1;
        digits[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.reserve(24);
    out.put_u8(prefix);
    if n < 0 {
        out.put_u8(b'-');
    }
    out.put_slice(&digits[pos..]);
    out.put_slice(b"\r\n");
}

fn len_i64(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}
