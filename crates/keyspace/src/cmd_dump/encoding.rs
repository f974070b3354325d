//! Which internal encoding Redis 7.0 would use for a value, by its default size rules
//! (`hash-max-listpack-entries 128`, `hash-max-listpack-value 64`, the same for sorted sets,
//! `set-max-intset-entries 512`, embstr up to 44 bytes). DUMP writes the matching RDB type and
//! OBJECT ENCODING reports the name.
//!
//! Meridian keeps no encoding, so the answer depends only on the value as it is now: Redis
//! never converts a hash, set or sorted set back to its compact form when it shrinks, and keeps
//! strings made by APPEND/SETRANGE as "raw"; those histories answer differently here.

use crate::args::parse_i64;
use crate::typed::{Hash, Set};
use crate::value::Value;
use crate::zset::ZSet;

pub(crate) const LISTPACK_MAX_ENTRIES: usize = 128;
pub(crate) const LISTPACK_MAX_VALUE: usize = 64;
pub(crate) const INTSET_MAX_ENTRIES: usize = 512;
const EMBSTR_MAX: usize = 44;

/// OBJECT ENCODING's answer for `value`.
pub(crate) fn name(value: &Value) -> &'static str {
    match value {
        Value::Str(s) => string_name(s),
        Value::List(_) => "quicklist",
        Value::Set(s) if intset_members(s).is_some() => "intset",
        Value::Set(_) => "hashtable",
        Value::Hash(h) if hash_is_listpack(h) => "listpack",
        Value::Hash(_) => "hashtable",
        Value::ZSet(z) if zset_is_listpack(z) => "listpack",
        Value::ZSet(_) => "skiplist",
        Value::Stream(_) => "stream",
    }
}

fn string_name(s: &[u8]) -> &'static str {
    if string_int(s).is_some() {
        "int"
    } else if s.len() <= EMBSTR_MAX {
        "embstr"
    } else {
        "raw"
    }
}

/// The integer a string holds when Redis stores it int-encoded (`tryObjectEncoding`).
pub(crate) fn string_int(s: &[u8]) -> Option<i64> {
    parse_i64(s)
}

pub(crate) fn hash_is_listpack(h: &Hash) -> bool {
    h.len() <= LISTPACK_MAX_ENTRIES
        && h.iter()
            .all(|(f, v)| f.len() <= LISTPACK_MAX_VALUE && v.len() <= LISTPACK_MAX_VALUE)
}

pub(crate) fn zset_is_listpack(z: &ZSet) -> bool {
    z.len() <= LISTPACK_MAX_ENTRIES && z.iter().all(|(m, _)| m.len() <= LISTPACK_MAX_VALUE)
}

/// The members as integers when the set would be an intset.
pub(crate) fn intset_members(s: &Set) -> Option<Vec<i64>> {
    if s.len() > INTSET_MAX_ENTRIES {
        return None;
    }
    s.iter().map(|m| parse_i64(m)).collect()
}

/// OBJECT REFCOUNT: Redis shares the integers 0..9999 (`OBJ_SHARED_INTEGERS`) between keys
/// when no maxmemory policy needs per-key LRU data (the default), and reports them with
/// `OBJ_SHARED_REFCOUNT`; every other value has one reference.
pub(crate) fn refcount(value: &Value) -> i64 {
    const SHARED_REFCOUNT: i64 = i32::MAX as i64;
    match value {
        Value::Str(s) if string_int(s).is_some_and(|v| (0..10_000).contains(&v)) => SHARED_REFCOUNT,
        _ => 1,
    }
}
