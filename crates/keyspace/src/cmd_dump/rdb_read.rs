//! RESTORE's side: the object of a DUMP payload back into a [`Value`], for every type Redis
//! 7.0 loads except streams and modules. Every length is checked against the bytes present
//! before anything is allocated or read; a value Redis would refuse (empty, duplicate members,
//! NaN scores) is refused too.

use std::collections::VecDeque;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};

use super::{intset, listpack, lzf, rdb_type as t, ziplist, Corrupt};
use crate::args::parse_f64;
use crate::small_bytes::SmallBytes;
use crate::value::Value;
use crate::zset::ZSet;

/// A cursor over the payload (footer excluded).
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

/// A length as `rdbLoadLenByRef` reads it: a count, or one of the special string encodings.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, at: 0 }
    }

    pub(super) fn take(&mut self, n: u64) -> Result<&'a [u8], Corrupt> {
        let n = usize::try_from(n).map_err(|_| Corrupt("length"))?;
        let s = listpack::slice(self.buf, self.at, n)?;
        self.at += n;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, Corrupt> {
        Ok(self.take(1)?[0])
    }

    fn len_or_encoding(&mut self) -> Result<Len, Corrupt> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => Len::Plain(u64::from(b & 0x3f)),
            1 => Len::Plain((u64::from(b & 0x3f) << 8) | u64::from(self.byte()?)),
            3 => Len::Encoded(b & 0x3f),
            _ if b == 0x80 => Len::Plain(u64::from(be_u32(self.take(4)?))),
            _ if b == 0x81 => {
                let s = self.take(8)?;
                Len::Plain(s.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
            }
            _ => return Err(Corrupt("length encoding")),
        })
    }

    /// A count of elements, capped by the bytes left (each element takes at least one byte),
    /// so a hostile count cannot make us reserve memory.
    pub(super) fn count(&mut self) -> Result<usize, Corrupt> {
        match self.len_or_encoding()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| Corrupt("count"))?;
                if n > self.buf.len() - self.at {
                    return Err(Corrupt("count larger than payload"));
                }
                Ok(n)
            }
            Len::Encoded(_) => Err(Corrupt("encoded count")),
        }
    }

    /// A plain `rdbLoadLen` value (streams' ids and counters).
    pub(super) fn len(&mut self) -> Result<u64, Corrupt> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(Corrupt("encoded length")),
        }
    }

    /// `rdbGenericLoadStringObject`: verbatim, integer-encoded or LZF-compressed.
    pub(crate) fn string(&mut self) -> Result<Vec<u8>, Corrupt> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(self.take(n)?.to_vec()),
            Len::Encoded(0) => Ok(i64::from(self.byte()? as i8).to_string().into_bytes()),
            Len::Encoded(1) => {
                let s = self.take(2)?;
                Ok(i16::from_le_bytes([s[0], s[1]]).to_string().into_bytes())
            }
            Len::Encoded(2) => {
                let s = self.take(4)?;
                let v = i32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                Ok(v.to_string().into_bytes())
            }
            Len::Encoded(3) => {
                let (Len::Plain(clen), Len::Plain(len)) =
                    (self.len_or_encoding()?, self.len_or_encoding()?)
                else {
                    return Err(Corrupt("lzf lengths"));
                };
                let len = usize::try_from(len).map_err(|_| Corrupt("lzf length"))?;
                lzf::decompress(self.take(clen)?, len).ok_or(Corrupt("lzf data"))
            }
            Len::Encoded(_) => Err(Corrupt("string encoding")),
        }
    }

    fn bytes(&mut self) -> Result<Bytes, Corrupt> {
        self.string().map(Bytes::from)
    }

    /// `rdbLoadDoubleValue` (RDB_TYPE_ZSET): a length byte then the number as text; 253, 254
    /// and 255 stand for NaN, +inf and -inf.
    fn text_double(&mut self) -> Result<f64, Corrupt> {
        match self.byte()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Err(Corrupt("NaN score")),
            n => {
                let text = self.take(u64::from(n))?;
                parse_f64(text).ok_or(Corrupt("score text"))
            }
        }
    }

    fn binary_double(&mut self) -> Result<f64, Corrupt> {
        let s = self.take(8)?;
        let v = f64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]);
        if v.is_nan() {
            return Err(Corrupt("NaN score"));
        }
        Ok(v)
    }
}

fn be_u32(s: &[u8]) -> u32 {
    s.iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x))
}

/// The value of a payload (its footer already checked and cut off): type byte, then object.
pub(crate) fn load(body: &[u8]) -> Result<Value, Corrupt> {
    let mut r = Reader::new(body);
    let kind = r.byte()?;
    match kind {
        t::STRING => Ok(Value::Str(SmallBytes::from(r.string()?))),
        t::LIST => {
            let n = nonzero(r.count()?)?;
            let items = (0..n).map(|_| r.bytes()).collect::<Result<_, _>>()?;
            Ok(list(items))
        }
        t::LIST_QUICKLIST | t::LIST_QUICKLIST_2 => load_quicklist(&mut r, kind),
        t::LIST_ZIPLIST => non_empty_list(ziplist::decode(&r.string()?)?),
        t::SET => {
            let n = nonzero(r.count()?)?;
            let members: Vec<Bytes> = (0..n).map(|_| r.bytes()).collect::<Result<_, _>>()?;
            set(members)
        }
        t::SET_INTSET => {
            let ints = intset::decode(&r.string()?)?;
            set(ints.iter().map(|v| Bytes::from(v.to_string())).collect())
        }
        t::ZSET | t::ZSET_2 => {
            let n = nonzero(r.count()?)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.bytes()?;
                let score = if kind == t::ZSET_2 {
                    r.binary_double()?
                } else {
                    r.text_double()?
                };
                pairs.push((m, score));
            }
            zset(pairs)
        }
        t::ZSET_ZIPLIST => zset_from_flat(ziplist::decode(&r.string()?)?),
        t::ZSET_LISTPACK => zset_from_flat(listpack::decode(&r.string()?)?),
        t::HASH => {
            let n = nonzero(r.count()?)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                pairs.push((r.bytes()?, r.bytes()?));
            }
            hash(pairs)
        }
        t::HASH_ZIPMAP => hash(ziplist::decode_zipmap(&r.string()?)?),
        t::HASH_ZIPLIST => hash(pairs(ziplist::decode(&r.string()?)?)?),
        t::HASH_LISTPACK => hash(pairs(listpack::decode(&r.string()?)?)?),
        t::STREAM_LISTPACKS | t::STREAM_LISTPACKS_2 => super::stream::load(&mut r, kind),
        _ => Err(Corrupt("unsupported type")),
    }
}

fn nonzero(n: usize) -> Result<usize, Corrupt> {
    if n == 0 {
        return Err(Corrupt("empty value"));
    }
    Ok(n)
}

fn list(items: Vec<Bytes>) -> Value {
    Value::List(Box::new(VecDeque::from(items)))
}

fn non_empty_list(items: Vec<Bytes>) -> Result<Value, Corrupt> {
    nonzero(items.len())?;
    Ok(list(items))
}

/// RDB_TYPE_LIST_QUICKLIST (ziplist nodes) or _2 (a container kind, then a listpack or one
/// plain element per node). Empty nodes are skipped, as Redis skips them.
fn load_quicklist(r: &mut Reader<'_>, kind: u8) -> Result<Value, Corrupt> {
    let nodes = nonzero(r.count()?)?;
    let mut items = Vec::new();
    for _ in 0..nodes {
        let container = if kind == t::LIST_QUICKLIST_2 {
            match r.len_or_encoding()? {
                Len::Plain(c @ (1 | 2)) => c,
                _ => return Err(Corrupt("quicklist container")),
            }
        } else {
            2
        };
        let data = r.string()?;
        if data.is_empty() {
            return Err(Corrupt("empty quicklist node"));
        }
        match (container, kind) {
            (1, _) => items.push(Bytes::from(data)),
            (_, t::LIST_QUICKLIST_2) => items.extend(listpack::decode(&data)?),
            _ => items.extend(ziplist::decode(&data)?),
        }
    }
    non_empty_list(items)
}

/// A set from its members; a repeated member is corrupt.
fn set(members: Vec<Bytes>) -> Result<Value, Corrupt> {
    let n = members.len();
    let s: IndexSet<Bytes> = members.into_iter().collect();
    if s.len() != n {
        return Err(Corrupt("duplicate set member"));
    }
    Ok(Value::Set(Box::new(s)))
}

/// Consecutive elements as pairs; an odd count is corrupt.
fn pairs(flat: Vec<Bytes>) -> Result<Vec<(Bytes, Bytes)>, Corrupt> {
    if !flat.len().is_multiple_of(2) {
        return Err(Corrupt("odd element count"));
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Ok(out)
}

fn hash(pairs: Vec<(Bytes, Bytes)>) -> Result<Value, Corrupt> {
    let n = nonzero(pairs.len())?;
    let h: IndexMap<Bytes, Bytes> = pairs.into_iter().collect();
    if h.len() != n {
        return Err(Corrupt("duplicate hash field"));
    }
    Ok(Value::Hash(Box::new(h)))
}

/// A sorted set from member/score elements of a ziplist or listpack (scores as numbers or
/// text, as `zzlGetScore` reads them).
fn zset_from_flat(flat: Vec<Bytes>) -> Result<Value, Corrupt> {
    let scored = pairs(flat)?
        .into_iter()
        .map(|(m, s)| match parse_f64(&s) {
            Some(v) => Ok((m, v)),
            None => Err(Corrupt("score")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    zset(scored)
}

fn zset(pairs: Vec<(Bytes, f64)>) -> Result<Value, Corrupt> {
    let n = nonzero(pairs.len())?;
    let mut z = ZSet::new();
    for (m, s) in pairs {
        z.insert(m, s);
    }
    if z.len() != n {
        return Err(Corrupt("duplicate zset member"));
    }
    Ok(Value::ZSet(Box::new(z)))
}
