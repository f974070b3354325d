use std::collections::VecDeque;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use serde::{Deserialize, Serialize};

use crate::zset::ZSet;

/// A Redis value. Collections keep insertion order (as Redis's small encodings do), which also
/// makes their iteration order identical on every replica, including one rebuilt from a
/// snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Str(Bytes),
    Hash(Box<IndexMap<Bytes, Bytes>>),
    List(VecDeque<Bytes>),
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub value: Value,
    pub(crate) expire_at_ms: Option<u64>,
}

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            expire_at_ms: None,
        }
    }

    pub fn expire_at_ms(&self) -> Option<u64> {
        self.expire_at_ms
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        matches!(self.expire_at_ms, Some(t) if t <= now_ms)
    }
}
