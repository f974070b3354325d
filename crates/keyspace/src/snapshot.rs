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

/// Encodes `(key, entry)` records as one full-sync chunk (read back by
/// [`Keyspace::import_chunk`]).
pub fn encode_chunk(entries: &[(Bytes, Entry)]) -> Result<Vec<u8>, SnapshotError> {
    Ok(bincode::serialize(entries)?)
}

impl Keyspace {
    /// Inserts every record of a chunk made by [`encode_chunk`]; returns how many. A corrupt
    /// chunk inserts nothing.
    pub fn import_chunk(&mut self, data: &[u8]) -> Result<usize, SnapshotError> {
        let entries: Vec<(Bytes, Entry)> = bincode::deserialize(data)?;
        let n = entries.len();
        for (k, e) in entries {
            self.insert_entry(k, e);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn chunks_carry_every_entry_with_its_ttl() {
        let mut ks = Keyspace::new();
        for i in 0..10 {
            let k = Bytes::from(format!("k{i}"));
            ks.insert(k.clone(), Value::Str(format!("v{i}").into_bytes().into()));
            if i % 2 == 0 {
                ks.set_expire(&k, Some(1_000 + i));
            }
        }
        let records: Vec<_> = ks.clone().into_raw_entries().collect();
        let mut back = Keyspace::new();
        for part in records.chunks(3) {
            let chunk = encode_chunk(part).expect("encode");
            back.import_chunk(&chunk).expect("import");
        }
        assert_eq!(back, ks);
        assert!(back.import_chunk(b"\xff\xff").is_err());
        assert_eq!(back, ks, "a corrupt chunk changes nothing");
    }
}
