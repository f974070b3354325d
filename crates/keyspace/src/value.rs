use std::collections::VecDeque;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};

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
        }
    }

    /// True for a collection with no elements (which Redis never keeps).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Hash(h) => h.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
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
        }
    }
}

/// A key's value and its optional TTL (absolute Unix milliseconds).
///
/// Every key has one, so its size counts: the TTL is a plain `u64` with [`NO_TTL`] for none
/// (an `Option<u64>` takes 16 bytes), and the rarely used list sits behind a box, so an entry
/// is 32 bytes. Serialised as `{ value, expire_at_ms: Option<u64> }`, the snapshot format.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub value: Value,
    expire_at: u64,
}

/// `Entry::expire_at` of a key without TTL. TTLs come from `i64` arguments, so none reaches it.
const NO_TTL: u64 = u64::MAX;

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            expire_at: NO_TTL,
        }
    }

    pub fn expire_at_ms(&self) -> Option<u64> {
        (self.expire_at != NO_TTL).then_some(self.expire_at)
    }

    pub(crate) fn set_expire_at_ms(&mut self, at_ms: Option<u64>) {
        // A TTL at the sentinel itself (only a hand-made snapshot could hold one) ends 1 ms
        // earlier, some 584 million years from now.
        self.expire_at = at_ms.map_or(NO_TTL, |t| t.min(NO_TTL - 1));
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at <= now_ms
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
}
