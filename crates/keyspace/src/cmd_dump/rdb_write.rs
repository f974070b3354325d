//! DUMP payloads as Redis 7.0's `createDumpPayload` writes them: the RDB type byte, the object
//! as `rdbSaveObject` serialises it, RDB version 10 and the CRC64 of all that, little endian.

use super::encoding::{hash_is_listpack, intset_members, string_int, zset_is_listpack};
use super::{crc64::crc64, intset, listpack, lzf, rdb_type as t, RDB_VERSION};
use crate::args::fmt_g17;
use crate::typed::{Hash, List, Set};
use crate::value::Value;
use crate::zset::ZSet;

/// `list-max-listpack-size -2`: a list node holds at most 8 KB.
const NODE_MAX_BYTES: usize = 8192;
/// `SIZE_ESTIMATE_OVERHEAD` in quicklist.c, added to an element when checking the limit.
const NODE_ENTRY_OVERHEAD: usize = 8;
/// `QUICKLIST_NODE_CONTAINER_PACKED`: the node is a listpack.
const CONTAINER_PACKED: u64 = 2;

/// The DUMP payload of `value`.
pub(crate) fn payload(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::Str(s) => {
            out.push(t::STRING);
            save_string_value(&mut out, s);
        }
        Value::List(l) => save_list(&mut out, l),
        Value::Set(s) => save_set(&mut out, s),
        Value::Hash(h) => save_hash(&mut out, h),
        Value::ZSet(z) => save_zset(&mut out, z),
        Value::Stream(s) => super::stream::save(&mut out, s),
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// `rdbSaveLen`: 6, 14, 32 or 64 bits, the top two bits of the first byte saying which.
pub(super) fn save_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// `rdbEncodeInteger`: the 8, 16 or 32-bit special encodings, or false if `v` needs more.
fn save_small_int(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.push(0xc0);
        out.extend_from_slice(&b.to_le_bytes());
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xc1);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xc2);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// `rdbSaveRawString` with `rdbcompression yes`: an integer encoding for short canonical
/// integers, LZF for strings over 20 bytes when it saves at least 4 bytes, else verbatim.
pub(crate) fn save_raw_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = string_int(s) {
            if save_small_int(out, v) {
                return;
            }
        }
    }
    if s.len() > 20 {
        if let Some(compressed) = lzf::compress(s, s.len() - 4) {
            out.push(0xc3);
            save_len(out, compressed.len() as u64);
            save_len(out, s.len() as u64);
            out.extend_from_slice(&compressed);
            return;
        }
    }
    save_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A string value: Redis saves an int-encoded string through `rdbSaveLongLongAsStringObject`,
/// which gives the same bytes as `rdbSaveRawString` (a 64-bit integer is at most 20 bytes,
/// too short for LZF).
fn save_string_value(out: &mut Vec<u8>, s: &[u8]) {
    save_raw_string(out, s);
}

/// RDB_TYPE_LIST_QUICKLIST_2, nodes filled as RPUSH fills them (`_quicklistNodeAllowInsert`).
fn save_list(out: &mut Vec<u8>, list: &List) {
    out.push(t::LIST_QUICKLIST_2);
    let mut nodes: Vec<Vec<u8>> = Vec::new();
    let mut node = listpack::Writer::new();
    for ele in list.iter() {
        if !node.is_empty() && node.bytes() + ele.len() + NODE_ENTRY_OVERHEAD > NODE_MAX_BYTES {
            nodes.push(std::mem::replace(&mut node, listpack::Writer::new()).finish());
        }
        node.push(ele);
    }
    if !node.is_empty() {
        nodes.push(node.finish());
    }
    save_len(out, nodes.len() as u64);
    for n in nodes {
        save_len(out, CONTAINER_PACKED);
        save_raw_string(out, &n);
    }
}

/// RDB_TYPE_SET_INTSET for a small all-integer set, else RDB_TYPE_SET in member order.
fn save_set(out: &mut Vec<u8>, set: &Set) {
    if let Some(ints) = intset_members(set) {
        out.push(t::SET_INTSET);
        save_raw_string(out, &intset::encode(&ints));
        return;
    }
    out.push(t::SET);
    save_len(out, set.len() as u64);
    for m in set.iter() {
        save_raw_string(out, m);
    }
}

/// RDB_TYPE_HASH_LISTPACK (fields in insertion order, as Redis appends them) or RDB_TYPE_HASH.
fn save_hash(out: &mut Vec<u8>, hash: &Hash) {
    if hash_is_listpack(hash) {
        out.push(t::HASH_LISTPACK);
        let mut lp = listpack::Writer::new();
        for (f, v) in hash.iter() {
            lp.push(f);
            lp.push(v);
        }
        save_raw_string(out, &lp.finish());
        return;
    }
    out.push(t::HASH);
    save_len(out, hash.len() as u64);
    for (f, v) in hash.iter() {
        save_raw_string(out, f);
        save_raw_string(out, v);
    }
}

/// RDB_TYPE_ZSET_LISTPACK (ascending, scores as `zzlInsertAt` stores them) or RDB_TYPE_ZSET_2
/// (descending, as Redis walks its skiplist from the tail, binary doubles).
fn save_zset(out: &mut Vec<u8>, zset: &ZSet) {
    if zset_is_listpack(zset) {
        out.push(t::ZSET_LISTPACK);
        let mut lp = listpack::Writer::new();
        for (m, score) in zset.iter() {
            lp.push(m);
            match score_as_int(score) {
                Some(v) => lp.push_int(v),
                None => lp.push(fmt_g17(score).as_bytes()),
            }
        }
        save_raw_string(out, &lp.finish());
        return;
    }
    out.push(t::ZSET_2);
    save_len(out, zset.len() as u64);
    for (m, score) in zset.iter().rev() {
        save_raw_string(out, m);
        out.extend_from_slice(&score.to_le_bytes());
    }
}

/// `double2ll`: the score as an integer when it is one and lies within ±LLONG_MAX/2.
fn score_as_int(score: f64) -> Option<i64> {
    const HALF: f64 = (i64::MAX / 2) as f64;
    if !(-HALF..=HALF).contains(&score) {
        return None;
    }
    let v = score as i64;
    (v as f64 == score).then_some(v)
}
