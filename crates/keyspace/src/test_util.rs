//! Helpers shared by the command tests (`cmd_*_tests.rs`, `errors.rs`). Error texts are spelled
//! out here rather than taken from `errors`, so that the tests pin Redis's wording.

use bytes::Bytes;
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::value::Value;

pub(crate) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
pub(crate) const NOT_INT: &str = "ERR value is not an integer or out of range";
pub(crate) const SYNTAX: &str = "ERR syntax error";

/// The argument vector of a command given word by word.
pub(crate) fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

/// The argument vector of a command given as one line, words separated by single spaces.
pub(crate) fn words(cmd: &str) -> Vec<Bytes> {
    argv(&cmd.split(' ').collect::<Vec<_>>())
}

pub(crate) fn bulk(s: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

pub(crate) fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

pub(crate) fn error(s: &str) -> Reply {
    Reply::Error(s.to_string())
}

pub(crate) fn ok() -> Reply {
    Reply::ok()
}

/// An array reply of bulk strings.
pub(crate) fn array(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

/// True when `key` is live at time 0.
pub(crate) fn exists(ks: &Keyspace, key: &str) -> bool {
    ks.contains(&Bytes::copy_from_slice(key.as_bytes()), 0)
}

/// Stores a one-element list `["x"]` under `key` directly (for WRONGTYPE checks in families
/// other than the list commands).
pub(crate) fn put_list(ks: &mut Keyspace, key: &str) {
    let list = [Bytes::from_static(b"x")].into_iter().collect();
    ks.insert(
        Bytes::copy_from_slice(key.as_bytes()),
        Value::List(Box::new(list)),
    );
}
