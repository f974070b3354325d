//! Redis 7.0 listpacks (`listpack.c`): the blob inside DUMP payloads of small hashes, small
//! sorted sets and every list node. Writing follows `lpAppend` byte for byte (strings that are
//! canonical integers are stored as integers); reading validates the whole blob.

use bytes::Bytes;

use super::Corrupt;
use crate::args::parse_i64;

const HEADER: usize = 6;
const EOF: u8 = 0xff;
/// Element count stored when the real one does not fit in 16 bits.
const COUNT_UNKNOWN: usize = 65535;

/// A listpack being built by appending, as `lpNew` + `lpAppend` build one.
pub(crate) struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer {
            buf: vec![0; HEADER],
            count: 0,
        }
    }

    /// `lpBytes` of the listpack once finished (header and terminator included).
    pub(crate) fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends a string, stored as an integer when it is a canonical one (`lpStringToInt64`).
    pub(crate) fn push(&mut self, ele: &[u8]) {
        match parse_i64(ele) {
            Some(v) => self.push_int(v),
            None => self.push_str(ele),
        }
    }

    pub(crate) fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1 << 13) + v } else { v };
            b.extend_from_slice(&[((u >> 8) as u8) | 0xc0, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            b.push(0xf1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            b.push(0xf2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            b.push(0xf3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xf4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.end_entry(start);
    }

    fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf
                .extend_from_slice(&[0xe0 | (len >> 8) as u8, len as u8]);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.end_entry(start);
    }

    fn end_entry(&mut self, start: usize) {
        let len = self.buf.len() - start;
        self.buf.extend_from_slice(&backlen(len));
        self.count += 1;
    }

    /// The finished blob: header (total bytes, element count) and terminator.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        let count = self.count.min(COUNT_UNKNOWN) as u16;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// `lpEncodeBacklen`: the entry length, 7 bits a byte, most significant first.
fn backlen(l: usize) -> Vec<u8> {
    let l = l as u64;
    let groups = match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    (0..groups)
        .map(|i| {
            let shift = 7 * (groups - 1 - i);
            let bits = ((l >> shift) & 127) as u8;
            if i == 0 {
                ((l >> shift) & 0xff) as u8
            } else {
                bits | 128
            }
        })
        .collect()
}

/// Every element of a listpack blob, integers as decimal strings. Checks the header, each
/// entry's bounds and back-length, the terminator and the element count.
pub(crate) fn decode(blob: &[u8]) -> Result<Vec<Bytes>, Corrupt> {
    let total = read_u32(blob, 0)? as usize;
    let count = usize::from(u16::from_le_bytes([byte(blob, 4)?, byte(blob, 5)?]));
    if total != blob.len() || total < HEADER + 1 {
        return Err(Corrupt("listpack size"));
    }
    let mut out = Vec::new();
    let mut at = HEADER;
    loop {
        let first = byte(blob, at)?;
        if first == EOF {
            break;
        }
        let (ele, len) = entry(blob, at)?;
        let back = backlen(len);
        if blob.get(at + len..at + len + back.len()) != Some(&back[..]) {
            return Err(Corrupt("listpack back-length"));
        }
        out.push(ele);
        at += len + back.len();
    }
    if at != blob.len() - 1 || (count != COUNT_UNKNOWN && count != out.len()) {
        return Err(Corrupt("listpack end or count"));
    }
    Ok(out)
}

/// The element at `at` and the length of its encoding and data (back-length excluded).
fn entry(blob: &[u8], at: usize) -> Result<(Bytes, usize), Corrupt> {
    let b = byte(blob, at)?;
    let int = |v: i64, len: usize| Ok((Bytes::from(v.to_string()), len));
    let le = |n: usize| -> Result<u64, Corrupt> {
        let s = slice(blob, at + 1, n)?;
        Ok(s.iter()
            .rev()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    };
    match b {
        0x00..=0x7f => int(i64::from(b), 1),
        0x80..=0xbf => string(blob, at + 1, usize::from(b & 0x3f), 1),
        0xc0..=0xdf => {
            let u = (i64::from(b & 0x1f) << 8) | i64::from(byte(blob, at + 1)?);
            int(if u >= 1 << 12 { u - (1 << 13) } else { u }, 2)
        }
        0xe0..=0xef => {
            let len = (usize::from(b & 0x0f) << 8) | usize::from(byte(blob, at + 1)?);
            string(blob, at + 2, len, 2)
        }
        0xf0 => string(blob, at + 5, le(4)? as usize, 5),
        0xf1 => int(i64::from(le(2)? as u16 as i16), 3),
        0xf2 => int((((le(3)? as u32) << 8) as i32 >> 8).into(), 4),
        0xf3 => int(i64::from(le(4)? as u32 as i32), 5),
        0xf4 => int(le(8)? as i64, 9),
        _ => Err(Corrupt("listpack encoding")),
    }
}

fn string(blob: &[u8], from: usize, len: usize, head: usize) -> Result<(Bytes, usize), Corrupt> {
    let s = slice(blob, from, len)?;
    Ok((Bytes::copy_from_slice(s), head + len))
}

pub(super) fn byte(blob: &[u8], at: usize) -> Result<u8, Corrupt> {
    blob.get(at).copied().ok_or(Corrupt("truncated blob"))
}

pub(super) fn slice(blob: &[u8], from: usize, len: usize) -> Result<&[u8], Corrupt> {
    from.checked_add(len)
        .and_then(|end| blob.get(from..end))
        .ok_or(Corrupt("truncated blob"))
}

pub(super) fn read_u32(blob: &[u8], at: usize) -> Result<u32, Corrupt> {
    let s = slice(blob, at, 4)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
