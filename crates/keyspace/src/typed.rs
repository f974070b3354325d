//! The one accessor pattern every type family uses: look a key up as a given type (missing key
//! => `Ok(None)`, another type => WRONGTYPE), mutably, or created empty when missing.
//!
//! Mutable access counts as a modification of the key (WATCH sees it), except through the
//! `_unmarked` accessors, for commands that may change nothing (SADD of members already there,
//! SREM of absent ones, …): those call `Keyspace::mark_modified` once they did change the key,
//! as Redis calls `signalModifiedKey` only then. A WRONGTYPE answer never counts.

use std::collections::VecDeque;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use meridian_types::Reply;

use crate::cmd_stream::Stream;
use crate::db::Keyspace;
use crate::errors::wrongtype;
use crate::small_bytes::SmallBytes;
use crate::value::Value;
use crate::zset::ZSet;

pub(crate) type Hash = IndexMap<Bytes, Bytes>;
pub(crate) type List = VecDeque<Bytes>;
pub(crate) type Set = IndexSet<Bytes>;

/// A Rust type one [`Value`] variant holds.
pub(crate) trait Typed {
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    /// An empty value of this type, for a key that a write creates.
    fn empty() -> Value;
}

macro_rules! typed {
    ($t:ty, $variant:ident) => {
        impl Typed for $t {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }

            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }

            fn empty() -> Value {
                Value::$variant(Default::default())
            }
        }
    };
}

typed!(SmallBytes, Str);
typed!(Hash, Hash);
typed!(List, List);
typed!(Set, Set);
typed!(ZSet, ZSet);
typed!(Stream, Stream);

impl Keyspace {
    /// The `T` under `key`: `Ok(None)` if the key is missing, WRONGTYPE if it holds another type.
    pub(crate) fn lookup<T: Typed>(&self, key: &Bytes, now_ms: u64) -> Result<Option<&T>, Reply> {
        match self.get_value(key, now_ms) {
            None => Ok(None),
            Some(v) => T::of(v).map(Some).ok_or_else(wrongtype),
        }
    }

    /// Mutable access to the `T` under `key`, a modification of the key; see
    /// [`Keyspace::lookup`]. A caller that may empty a collection must call
    /// [`Keyspace::remove_if_empty`] afterwards.
    pub(crate) fn lookup_mut<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
    ) -> Result<Option<&mut T>, Reply> {
        self.typed_mut(key, now_ms, true)
    }

    /// As [`Keyspace::lookup_mut`], but not a modification until the caller calls
    /// [`Keyspace::mark_modified`].
    pub(crate) fn lookup_mut_unmarked<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
    ) -> Result<Option<&mut T>, Reply> {
        self.typed_mut(key, now_ms, false)
    }

    /// The `T` under `key`, created empty if the key is missing. Call only once every argument
    /// is validated and the caller is sure to add an element (Redis never keeps an empty
    /// collection).
    pub(crate) fn lookup_or_create<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
    ) -> Result<&mut T, Reply> {
        self.create_if_missing::<T>(key, now_ms)?;
        self.lookup_mut::<T>(key, now_ms)?.ok_or_else(wrongtype)
    }

    /// As [`Keyspace::lookup_or_create`], but only the creation is a modification; a caller
    /// that changes an existing value calls [`Keyspace::mark_modified`].
    pub(crate) fn lookup_or_create_unmarked<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
    ) -> Result<&mut T, Reply> {
        self.create_if_missing::<T>(key, now_ms)?;
        self.lookup_mut_unmarked::<T>(key, now_ms)?
            .ok_or_else(wrongtype)
    }

    fn create_if_missing<T: Typed>(&mut self, key: &Bytes, now_ms: u64) -> Result<(), Reply> {
        if self.lookup::<T>(key, now_ms)?.is_none() {
            self.insert(key.clone(), T::empty());
        }
        Ok(())
    }

    fn typed_mut<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
        modifies: bool,
    ) -> Result<Option<&mut T>, Reply> {
        let is_t = |v: &Value| T::of(v).is_some();
        match self.entry_for_write(key, now_ms, |v| modifies && is_t(v)) {
            None => Ok(None),
            Some(e) => T::of_mut(&mut e.value).map(Some).ok_or_else(wrongtype),
        }
    }
}
