//! Tree names, key encoding and value encoding shared by every store of a group.

use bincode::Options;
use meridian_types::GroupId;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::StorageError;

/// Name of one of a group's sled trees: `<group>/<kind>`.
pub(crate) fn tree_name(group: &GroupId, kind: &str) -> String {
    format!("{}/{kind}", group.as_string())
}

/// Opens `<group>/<kind>` in `db`.
pub(crate) fn open_tree(
    db: &sled::Db,
    group: &GroupId,
    kind: &str,
) -> Result<sled::Tree, StorageError> {
    db.open_tree(tree_name(group, kind))
        .map_err(StorageError::sled("open tree"))
}

/// Big-endian, so sled's byte order is numeric order.
pub(crate) fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub(crate) fn from_be(tree: &sled::Tree, key: &[u8]) -> Result<u64, StorageError> {
    let arr: [u8; 8] = key.try_into().map_err(|_| StorageError::BadKey {
        tree: String::from_utf8_lossy(&tree.name()).into_owned(),
        len: key.len(),
    })?;
    Ok(u64::from_be_bytes(arr))
}

pub(crate) fn encode<T: Serialize + ?Sized>(
    op: &'static str,
    v: &T,
) -> Result<Vec<u8>, StorageError> {
    bincode::serialize(v).map_err(StorageError::codec(op))
}

pub(crate) fn decode<T: DeserializeOwned>(op: &'static str, b: &[u8]) -> Result<T, StorageError> {
    bincode::deserialize(b).map_err(StorageError::codec(op))
}

/// Decodes one value from the front of `data` (in [`encode`]'s format) and advances `data` past
/// it. The bytes left are bincode's limit, so a length prefix longer than the input is refused
/// before anything is allocated for it (`bincode::deserialize_from` on a plain reader allocates
/// what the prefix claims: one hostile InstallSnapshot could abort a follower).
pub(crate) fn decode_prefix<T: DeserializeOwned>(
    op: &'static str,
    data: &mut &[u8],
) -> Result<T, StorageError> {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(data.len() as u64)
        .deserialize_from(data)
        .map_err(StorageError::codec(op))
}

/// Runs sled work that may block (big scans, batches) off the async runtime's workers.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, StorageError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StorageError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await?
}
