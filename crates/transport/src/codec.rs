use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("cannot {action} a {what}: {source}")]
pub struct CodecError {
    action: &'static str,
    what: &'static str,
    #[source]
    source: bincode::Error,
}

/// Encodes a Raft message payload.
pub fn encode<T: Serialize>(what: &'static str, v: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serialize(v).map_err(|source| CodecError {
        action: "encode",
        what,
        source,
    })
}

/// Decodes a Raft message payload.
pub fn decode<T: DeserializeOwned>(what: &'static str, b: &[u8]) -> Result<T, CodecError> {
    bincode::deserialize(b).map_err(|source| CodecError {
        action: "decode",
        what,
        source,
    })
}
