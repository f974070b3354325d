//! SORT's key patterns (Redis's `lookupKeyByPattern`): `#` is the element itself; otherwise
//! the first `*` is replaced by the element and names a string key, or, with `->field` after
//! the `*`, a field of a hash key.

use bytes::{Bytes, BytesMut};

use crate::db::Keyspace;
use crate::value::Value;
use crate::zset_args::c_str;

/// The value `pattern` names for `element`, or None when the key (or field) is missing, has
/// another type, or the pattern has no `*`. Like Redis, the pattern is searched as a C string
/// (up to a NUL) while the parts it is cut into keep their full length.
pub(super) fn lookup_by_pattern(
    db: &Keyspace,
    now: u64,
    pattern: &Bytes,
    element: &Bytes,
) -> Option<Bytes> {
    let text = c_str(pattern);
    if text == b"#" {
        return Some(element.clone());
    }
    let star = text.iter().position(|c| *c == b'*')?;
    // `->` counts only with at least one byte of field name after it.
    let arrow = text[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|a| a + 2 < text.len());
    let postfix_end = arrow.unwrap_or(pattern.len());
    let mut key = BytesMut::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    let key = key.freeze();
    match (db.get_value(&key, now)?, arrow) {
        (Value::Str(s), None) => Some(s.to_bytes()),
        (Value::Hash(h), Some(a)) => h.get(&pattern[a + 2..]).cloned(),
        _ => None,
    }
}
