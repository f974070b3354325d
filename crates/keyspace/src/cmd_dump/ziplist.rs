//! Formats Redis no longer writes but still loads: ziplists (`ziplist.c`, the blob of
//! RDB_TYPE_LIST_ZIPLIST, ZSET_ZIPLIST, HASH_ZIPLIST and LIST_QUICKLIST nodes, Redis < 7.0)
//! and zipmaps (`zipmap.c`, RDB_TYPE_HASH_ZIPMAP, Redis < 2.6). Read only, fully validated.

use bytes::Bytes;

use super::listpack::{byte, read_u32, slice};
use super::Corrupt;

const HEADER: usize = 10;
const END: u8 = 0xff;

/// Every element of a ziplist blob, integers as decimal strings. Checks the header (size,
/// tail offset, count), every entry's bounds and previous-entry length, and the terminator.
pub(crate) fn decode(blob: &[u8]) -> Result<Vec<Bytes>, Corrupt> {
    let total = read_u32(blob, 0)? as usize;
    let tail = read_u32(blob, 4)? as usize;
    let count = usize::from(u16::from_le_bytes([byte(blob, 8)?, byte(blob, 9)?]));
    if total != blob.len() || total < HEADER + 1 {
        return Err(Corrupt("ziplist size"));
    }
    let mut out = Vec::new();
    let (mut at, mut prev_len, mut last) = (HEADER, 0usize, HEADER);
    while byte(blob, at)? != END {
        let (prevlen, head) = prevlen(blob, at)?;
        if prevlen != prev_len {
            return Err(Corrupt("ziplist prevlen"));
        }
        let (ele, len) = entry(blob, at + head)?;
        out.push(ele);
        last = at;
        prev_len = head + len;
        at += prev_len;
    }
    let tail_ok = tail == last || (out.is_empty() && tail == HEADER);
    if at != blob.len() - 1 || !tail_ok || (count != 0xffff && count != out.len()) {
        return Err(Corrupt("ziplist end, tail or count"));
    }
    Ok(out)
}

fn prevlen(blob: &[u8], at: usize) -> Result<(usize, usize), Corrupt> {
    match byte(blob, at)? {
        254 => Ok((read_u32(blob, at + 1)? as usize, 5)),
        b => Ok((usize::from(b), 1)),
    }
}

/// The element whose encoding starts at `at`, and the length of encoding and data.
fn entry(blob: &[u8], at: usize) -> Result<(Bytes, usize), Corrupt> {
    let b = byte(blob, at)?;
    let int = |n: usize| -> Result<(Bytes, usize), Corrupt> {
        let s = slice(blob, at + 1, n)?;
        let mut le = [0u8; 8];
        le[8 - n..].copy_from_slice(s);
        // Little-endian bytes moved to the top, then shifted down: sign-extended.
        let v = i64::from_le_bytes(le) >> (8 * (8 - n));
        Ok((Bytes::from(v.to_string()), 1 + n))
    };
    let string = |head: usize, len: usize| -> Result<(Bytes, usize), Corrupt> {
        let s = slice(blob, at + head, len)?;
        Ok((Bytes::copy_from_slice(s), head + len))
    };
    match b >> 6 {
        0 => return string(1, usize::from(b & 0x3f)),
        1 => {
            let len = (usize::from(b & 0x3f) << 8) | usize::from(byte(blob, at + 1)?);
            return string(2, len);
        }
        2 => {
            let s = slice(blob, at + 1, 4)?;
            return string(5, u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize);
        }
        _ => {}
    }
    match b {
        0xc0 => int(2),
        0xd0 => int(4),
        0xe0 => int(8),
        0xf0 => int(3),
        0xfe => int(1),
        0xf1..=0xfd => Ok((Bytes::from((i64::from(b & 0x0f) - 1).to_string()), 1)),
        _ => Err(Corrupt("ziplist encoding")),
    }
}

/// The field/value pairs of a zipmap blob, in order. Checks bounds, the terminator, the
/// count byte (when below 254) and that it is not empty.
pub(crate) fn decode_zipmap(blob: &[u8]) -> Result<Vec<(Bytes, Bytes)>, Corrupt> {
    if blob.len() < 2 || blob.last() != Some(&END) {
        return Err(Corrupt("zipmap size"));
    }
    let mut out = Vec::new();
    let mut at = 1;
    while byte(blob, at)? != END {
        let (flen, head) = zipmap_len(blob, at)?;
        let field = slice(blob, at + head, flen)?;
        at += head + flen;
        let (vlen, head) = zipmap_len(blob, at)?;
        let free = usize::from(byte(blob, at + head)?);
        let value = slice(blob, at + head + 1, vlen)?;
        at += head + 1 + vlen + free;
        if at >= blob.len() {
            return Err(Corrupt("zipmap entry"));
        }
        out.push((Bytes::copy_from_slice(field), Bytes::copy_from_slice(value)));
    }
    let count = blob[0];
    if at != blob.len() - 1 || out.is_empty() || (count < 254 && usize::from(count) != out.len()) {
        return Err(Corrupt("zipmap end or count"));
    }
    Ok(out)
}

fn zipmap_len(blob: &[u8], at: usize) -> Result<(usize, usize), Corrupt> {
    match byte(blob, at)? {
        b if b < 254 => Ok((usize::from(b), 1)),
        _ => Ok((read_u32(blob, at + 1)? as usize, 5)),
    }
}
