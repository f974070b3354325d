use std::collections::VecDeque;
use std::fmt;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};

use crate::cmd_stream::Stream;
use crate::small_bytes::SmallBytes;
use crate::zset::ZSet;

/// A Redis value. Collections keep insertion order (as Redis's small encodings do), which also
/// makes their iteration order identical on every replica, including one rebuilt from a
/// snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Str(SmallBytes),
    Hash(Box<IndexMap<Bytes, Bytes>>),
    List(Box<VecDeque<Bytes>>),
    Set(Box<IndexSet<Bytes>>),
    ZSet(Box<ZSet>),
    /// Added last, so snapshots written before streams existed still decode.
    Stream(Box<Stream>),
}

impl Value {
    /// The name `TYPE` answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// True for a collection with no elements (which Redis never keeps; a stream is kept empty).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Hash(h) => h.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            Value::Stream(_) => false,
        }
    }

    /// Rough heap footprint in bytes, for INFO memory and limits.
    pub fn approx_size(&self) -> usize {
        const PER_ELEMENT: usize = 48;
        match self {
            Value::Str(b) => b.len(),
            Value::Hash(h) => h.iter().map(|(k, v)| k.len() + v.len() + PER_ELEMENT).sum(),
            Value::List(l) => l.iter().map(|e| e.len() + PER_ELEMENT).sum(),
            Value::Set(s) => s.iter().map(|e| e.len() + PER_ELEMENT).sum(),
            Value::ZSet(z) => z.iter().map(|(m, _)| m.len() + 2 * PER_ELEMENT).sum(),
            Value::Stream(s) => s.approx_size(),
        }
    }
}

/// A key's value, its optional TTL (absolute Unix milliseconds) and, for WATCH, its version.
///
/// Every key has one, so its size counts: value and one 64-bit word make 32 bytes. The word
/// holds the TTL when the key has one (TTLs come from `i64` arguments, so they stay below
/// 2^63); otherwise its top bit is set and the other 63 bits are the entry's version. A key with
/// a TTL keeps its version in the keyspace's TTL index instead (see `Keyspace`), so only keys
/// with a TTL pay for the version, not every key.
///
/// Serialised as `{ value, expire_at_ms: Option<u64> }` (full-sync chunks); the version is
/// bookkeeping of the keyspace that holds the entry, so it is neither serialised here nor
/// compared by `==`.
#[derive(Clone)]
pub struct Entry {
    pub value: Value,
    meta: u64,
}

/// Set in `Entry::meta` of a key without TTL; the other bits are then the entry's version.
const NO_TTL: u64 = 1 << 63;

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            meta: NO_TTL,
        }
    }

    pub fn expire_at_ms(&self) -> Option<u64> {
        (self.meta & NO_TTL == 0).then_some(self.meta)
    }

    /// Sets or clears the TTL. Clearing it leaves version 0 in the entry, and setting one
    /// drops the version the entry held: the keyspace stamps the version after.
    pub(crate) fn set_expire_at_ms(&mut self, at_ms: Option<u64>) {
        // A TTL at or past 2^63 ms (only a hand-made snapshot could hold one) ends at
        // 2^63 - 1 ms, some 292 million years from now.
        self.meta = at_ms.map_or(NO_TTL, |t| t.min(NO_TTL - 1));
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.meta & NO_TTL == 0 && self.meta <= now_ms
    }

    /// The version held in the entry itself: `None` for a key with a TTL (its version is in the
    /// keyspace's TTL index).
    pub(crate) fn inline_version(&self) -> Option<u64> {
        (self.meta & NO_TTL != 0).then_some(self.meta & !NO_TTL)
    }

    /// Stores `version` in the entry; does nothing for a key with a TTL (whose version the
    /// keyspace keeps in its TTL index).
    pub(crate) fn set_inline_version(&mut self, version: u64) {
        if self.meta & NO_TTL != 0 {
            self.meta = NO_TTL | (version & !NO_TTL);
        }
    }
}

impl PartialEq for Entry {
    /// Same value and TTL (versions are the holding keyspace's bookkeeping).
    fn eq(&self, other: &Entry) -> bool {
        self.value == other.value && self.expire_at_ms() == other.expire_at_ms()
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("value", &self.value)
            .field("expire_at_ms", &self.expire_at_ms())
            .field("inline_version", &self.inline_version())
            .finish()
    }
}

/// [`Entry`] as it is serialised.
#[derive(Serialize)]
#[serde(rename = "Entry")]
struct EntryOut<'a> {
    value: &'a Value,
    expire_at_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename = "Entry")]
struct EntryIn {
    value: Value,
    expire_at_ms: Option<u64>,
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EntryOut {
            value: &self.value,
            expire_at_ms: self.expire_at_ms(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        let EntryIn {
            value,
            expire_at_ms,
        } = EntryIn::deserialize(d)?;
        let mut e = Entry::new(value);
        e.set_expire_at_ms(expire_at_ms);
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape `Entry` had when snapshots version 3 were first written.
    #[derive(Serialize)]
    struct Derived {
        value: Value,
        expire_at_ms: Option<u64>,
    }

    #[test]
    fn an_entry_serialises_as_value_and_optional_ttl() {
        let value = Value::Str(SmallBytes::new(b"v"));
        for ttl in [None, Some(0), Some(1_700_000_000_000)] {
            let mut e = Entry::new(value.clone());
            e.set_expire_at_ms(ttl);
            assert_eq!(e.expire_at_ms(), ttl);
            let ours = bincode::serialize(&e).expect("encode");
            let derived = Derived {
                value: value.clone(),
                expire_at_ms: ttl,
            };
            assert_eq!(ours, bincode::serialize(&derived).expect("encode"));
            assert_eq!(bincode::deserialize::<Entry>(&ours).expect("decode"), e);
        }
        assert!(Entry::new(value.clone()).expire_at_ms().is_none());
        assert!(!Entry::new(value).is_expired(u64::MAX - 1));
    }

    #[test]
    fn the_ttl_word_holds_the_version_of_a_key_without_ttl() {
        let mut e = Entry::new(Value::Str(SmallBytes::new(b"v")));
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        assert_eq!(e.inline_version(), Some(0));
        e.set_inline_version(41);
        assert_eq!((e.inline_version(), e.expire_at_ms()), (Some(41), None));
        assert!(!e.is_expired(u64::MAX));

        // phase: a TTL replaces the version; setting a version then changes nothing
        e.set_expire_at_ms(Some(500));
        assert_eq!((e.inline_version(), e.expire_at_ms()), (None, Some(500)));
        e.set_inline_version(42);
        assert_eq!(e.expire_at_ms(), Some(500));
        assert!(e.is_expired(500) && !e.is_expired(499));

        // phase: the largest TTL stays a TTL; clearing it leaves version 0
        e.set_expire_at_ms(Some(u64::MAX));
        assert_eq!(e.expire_at_ms(), Some(NO_TTL - 1));
        e.set_expire_at_ms(None);
        assert_eq!((e.inline_version(), e.expire_at_ms()), (Some(0), None));

        // phase: versions are not part of an entry's equality or serialised form
        let mut other = e.clone();
        other.set_inline_version(7);
        assert_eq!(other, e);
        assert_eq!(
            bincode::serialize(&other).expect("encode"),
            bincode::serialize(&e).expect("encode")
        );
    }
}
