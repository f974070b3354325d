//! The keyspace's snapshot format: a version byte, the key count, then `(key, entry)` records in
//! bincode. Streamed, so a snapshot never needs a second copy of the keyspace in memory.

use std::io::{Read, Write};

use bytes::Bytes;

use crate::db::Keyspace;
use crate::value::Entry;

const FORMAT_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("snapshot record is corrupt: {0}")]
    Corrupt(#[from] bincode::Error),
    #[error("snapshot format version {0} is not supported (this build reads {FORMAT_VERSION})")]
    Version(u8),
}

impl Keyspace {
    /// Writes every key (expired ones included: they are still part of the replicated state).
    pub fn write_snapshot(&self, mut w: impl Write) -> Result<(), SnapshotError> {
        w.write_all(&[FORMAT_VERSION])?;
        bincode::serialize_into(&mut w, &(self.len() as u64))?;
        for (k, e) in self.raw_entries() {
            bincode::serialize_into(&mut w, &(k, e))?;
        }
        w.flush()?;
        Ok(())
    }

    /// Reads a keyspace written by [`Keyspace::write_snapshot`].
    pub fn read_snapshot(mut r: impl Read) -> Result<Keyspace, SnapshotError> {
        let mut version = [0u8; 1];
        r.read_exact(&mut version)?;
        if version[0] != FORMAT_VERSION {
            return Err(SnapshotError::Version(version[0]));
        }
        let count: u64 = bincode::deserialize_from(&mut r)?;
        let mut ks = Keyspace::new();
        for _ in 0..count {
            let (k, e): (Bytes, Entry) = bincode::deserialize_from(&mut r)?;
            ks.insert_entry(k, e);
        }
        Ok(ks)
    }
}
