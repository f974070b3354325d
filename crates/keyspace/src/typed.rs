//! The one accessor pattern every type family uses: look a key up as a given type (missing key
//! => `Ok(None)`, another type => WRONGTYPE), mutably, or created empty when missing.

use std::collections::VecDeque;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use meridian_types::Reply;

use crate::args::wrongtype;
use crate::db::Keyspace;
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

impl Keyspace {
    /// The `T` under `key`: `Ok(None)` if the key is missing, WRONGTYPE if it holds another type.
    pub(crate) fn lookup<T: Typed>(&self, key: &Bytes, now_ms: u64) -> Result<Option<&T>, Reply> {
        match self.get_value(key, now_ms) {
            None => Ok(None),
            Some(v) => T::of(v).map(Some).ok_or_else(wrongtype),
        }
    }

    /// Mutable access to the `T` under `key`; see [`Keyspace::lookup`]. A caller that may empty
    /// a collection must call [`Keyspace::remove_if_empty`] afterwards.
    pub(crate) fn lookup_mut<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
    ) -> Result<Option<&mut T>, Reply> {
        match self.get_value_mut(key, now_ms) {
            None => Ok(None),
            Some(v) => T::of_mut(v).map(Some).ok_or_else(wrongtype),
        }
    }

    /// The `T` under `key`, created empty if the key is missing. Call only once every argument
    /// is validated and the caller is sure to add an element (Redis never keeps an empty
    /// collection).
    pub(crate) fn lookup_or_create<T: Typed>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
    ) -> Result<&mut T, Reply> {
        if self.lookup::<T>(key, now_ms)?.is_none() {
            self.insert(key.clone(), T::empty());
        }
        self.lookup_mut::<T>(key, now_ms)?.ok_or_else(wrongtype)
    }
}
