//! [`SmallBytes`]: the byte strings the keyspace stores (keys, string values), in 24 bytes
//! with no heap allocation up to [`INLINE_MAX`] bytes, and one shared heap buffer beyond.
//!
//! A `Bytes` costs 32 bytes in place plus, once cloned, a separate 24-byte header and its own
//! buffer: about 130 heap bytes for a 16-byte key with a 16-byte value, against Redis's ~90
//! for the whole key. Most keys and many values are short, so they live inline here.
//!
//! Serialised exactly as `Bytes` is (serde bytes), so snapshots and full-sync chunks keep
//! their format.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest byte string kept inline: what fits beside the length byte and the enum tag in 24
/// bytes, the size of the heap variant.
pub const INLINE_MAX: usize = 22;

/// An immutable byte string; clones of a long one share its buffer.
#[derive(Clone)]
pub struct SmallBytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    Heap(Arc<[u8]>),
}

impl SmallBytes {
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            SmallBytes(Repr::Inline {
                len: b.len() as u8,
                buf,
            })
        } else {
            SmallBytes(Repr::Heap(Arc::from(b)))
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(b) => b,
        }
    }

    /// The same bytes as a `Bytes` for a reply: a short string is copied, a long one shared.
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Inline { .. } => Bytes::copy_from_slice(self.as_slice()),
            Repr::Heap(b) => Bytes::from_owner(b.clone()),
        }
    }
}

impl Default for SmallBytes {
    fn default() -> SmallBytes {
        SmallBytes::new(&[])
    }
}

impl std::ops::Deref for SmallBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SmallBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> SmallBytes {
        SmallBytes::new(b)
    }
}

impl From<&Bytes> for SmallBytes {
    fn from(b: &Bytes) -> SmallBytes {
        SmallBytes::new(b)
    }
}

impl From<Vec<u8>> for SmallBytes {
    fn from(v: Vec<u8>) -> SmallBytes {
        if v.len() <= INLINE_MAX {
            SmallBytes::new(&v)
        } else {
            SmallBytes(Repr::Heap(Arc::from(v)))
        }
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &SmallBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &SmallBytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &SmallBytes) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::hash::Hash for SmallBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_slice()), f)
    }
}

impl Serialize for SmallBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.as_slice())
    }
}

impl<'de> Deserialize<'de> for SmallBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SmallBytes, D::Error> {
        // Through `Bytes`, which accepts every form serde offers bytes in.
        Bytes::deserialize(d).map(|b| SmallBytes::new(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_as_small_as_a_fat_pointer_plus_a_word() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
    }

    #[test]
    fn short_and_long_strings_keep_their_bytes_and_order() {
        let short = SmallBytes::new(b"key:000000000001");
        let edge = SmallBytes::from(vec![7u8; INLINE_MAX]);
        let long = SmallBytes::from(vec![9u8; INLINE_MAX + 1]);
        assert!(matches!(short.0, Repr::Inline { .. }));
        assert!(matches!(edge.0, Repr::Inline { .. }));
        assert!(matches!(long.0, Repr::Heap(_)));
        assert_eq!(&short[..], b"key:000000000001");
        assert_eq!(edge.len(), INLINE_MAX);
        assert_eq!(long.to_bytes(), Bytes::from(vec![9u8; INLINE_MAX + 1]));
        assert!(SmallBytes::new(b"a") < SmallBytes::new(b"ab"));
        assert!(SmallBytes::new(&[9u8; 30]) > SmallBytes::new(&[9u8; 3]));
        assert_eq!(SmallBytes::new(&[1u8; 40]), SmallBytes::from(vec![1u8; 40]));
        assert_eq!(SmallBytes::default().len(), 0);
    }

    #[test]
    fn serialises_exactly_as_bytes_does() {
        for len in [0, 5, INLINE_MAX, INLINE_MAX + 1, 300] {
            let raw: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let ours = bincode::serialize(&SmallBytes::new(&raw)).expect("encode");
            let theirs = bincode::serialize(&Bytes::from(raw.clone())).expect("encode");
            assert_eq!(ours, theirs, "len {len}");
            let back: SmallBytes = bincode::deserialize(&theirs).expect("decode");
            assert_eq!(&back[..], &raw[..]);
        }
    }
}
