//! The keyspace's snapshot format, in bincode after a version byte: the last version handed
//! out, the creation slots (see `versions.rs`), the key count, then `(key, entry, version)`
//! records. Streamed, so a snapshot never needs a second copy of the keyspace in memory.
//!
//! A snapshot carries the versions because they are replicated state: a node that installs one
//! must go on handing out the versions the others do. Version 1 (without them) is not read: the
//! versions it lacks cannot be rebuilt the same way on every node.
//!
//! Full-sync chunks carry `(key, entry)` only: the versions of a secondary are its own, given as
//! it applies the chunks (the same way on each of its nodes); [`Keyspace::adopt`] swaps such an
//! image in with versions later than any the secondary gave before.
//!
//! Snapshot bytes come from another node (an InstallSnapshot RPC) or from disk, so a length
//! prefix in them is a claim, not a size: every record is decoded by [`decode_prefix`] with the
//! bytes left as bincode's limit, which refuses a prefix longer than the input before anything
//! is allocated for it. Decoding therefore allocates in proportion to the input, and a corrupt
//! snapshot is an error, never an abort.

use std::io::{Read, Write};

use bincode::Options;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::db::Keyspace;
use crate::value::Entry;
use crate::versions::{Versions, CREATION_SLOTS};

const FORMAT_VERSION: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("snapshot record is corrupt: {0}")]
    Corrupt(#[from] bincode::Error),
    #[error("snapshot format version {0} is not supported (this build reads {FORMAT_VERSION})")]
    Version(u8),
    #[error("snapshot holds {0} creation slots (this build uses {CREATION_SLOTS})")]
    CreationSlots(usize),
    #[error("snapshot names database {0}, past the largest index this build accepts")]
    Database(u32),
}

impl Keyspace {
    /// Writes every key (expired ones included: they are still part of the replicated state)
    /// with its version, and the version counter and creation slots.
    pub fn write_snapshot(&self, mut w: impl Write) -> Result<(), SnapshotError> {
        w.write_all(&[FORMAT_VERSION])?;
        let versions = self.versions();
        bincode::serialize_into(&mut w, &(versions.last(), versions.created()))?;
        bincode::serialize_into(&mut w, &(self.len() as u64))?;
        for (k, e, version) in self.raw_entries() {
            bincode::serialize_into(&mut w, &(k, e, version))?;
        }
        w.flush()?;
        Ok(())
    }

    /// Reads a keyspace written by [`Keyspace::write_snapshot`], versions as they were, from
    /// the front of `data` (bytes after it are ignored).
    pub fn read_snapshot(mut data: &[u8]) -> Result<Keyspace, SnapshotError> {
        Keyspace::read_snapshot_from(&mut data)
    }

    /// As [`Keyspace::read_snapshot`], advancing `data` past the keyspace read.
    pub(crate) fn read_snapshot_from(data: &mut &[u8]) -> Result<Keyspace, SnapshotError> {
        let mut version = [0u8; 1];
        data.read_exact(&mut version)?;
        if version[0] != FORMAT_VERSION {
            return Err(SnapshotError::Version(version[0]));
        }
        let (last, created): (u64, Vec<u64>) = decode_prefix(data)?;
        let slots = created.len();
        let versions =
            Versions::from_parts(last, created).ok_or(SnapshotError::CreationSlots(slots))?;
        let mut ks = Keyspace::with_versions(versions);
        let count: u64 = decode_prefix(data)?;
        for _ in 0..count {
            let (k, e, version): (Bytes, Entry, u64) = decode_prefix(data)?;
            ks.restore(&k, e, version);
        }
        Ok(ks)
    }
}

/// Decodes one value from the front of `data` and advances `data` past it.
///
/// The format is `bincode::serialize`'s (fixed-width little-endian integers, trailing bytes
/// allowed), so the bytes are those [`bincode::serialize_into`] writes. The limit (the bytes
/// left) is what makes this safe on untrusted input: `bincode::deserialize_from` on a plain
/// reader sizes a buffer from a length prefix before reading it, so a prefix claiming 2^56
/// bytes aborted the process; with a limit, bincode refuses the prefix first.
pub(crate) fn decode_prefix<T: DeserializeOwned>(data: &mut &[u8]) -> Result<T, bincode::Error> {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(data.len() as u64)
        .deserialize_from(data)
}

/// Encodes `(db, key, entry)` records as one full-sync chunk (read back by
/// [`Databases::import_chunk`](crate::Databases::import_chunk)).
pub fn encode_chunk(entries: &[(u32, Bytes, Entry)]) -> Result<Vec<u8>, SnapshotError> {
    Ok(bincode::serialize(entries)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn decode_prefix_reads_what_bincode_writes_and_refuses_long_claims() {
        let value = (
            7u64,
            vec![1u64, 2],
            Bytes::from("key"),
            Some(-3i32),
            "s".to_string(),
        );
        let mut bytes = bincode::serialize(&value).expect("encode");
        let len = bytes.len();
        bytes.extend_from_slice(b"rest");
        let mut data = &bytes[..];
        let back: (u64, Vec<u64>, Bytes, Option<i32>, String) =
            decode_prefix(&mut data).expect("decode");
        assert_eq!(back, value);
        assert_eq!(data, b"rest", "advanced past the {len} bytes read");

        // phase: a byte string claiming more than is left is refused, not allocated
        let mut claim = (1u64 << 62).to_le_bytes().to_vec();
        claim.extend_from_slice(b"k");
        let refused = decode_prefix::<Bytes>(&mut &claim[..]).map_err(|e| *e);
        assert!(matches!(refused, Err(bincode::ErrorKind::SizeLimit)));
    }

    #[test]
    fn snapshots_read_one_after_another() {
        let mut a = crate::Databases::new();
        let argv: Vec<Bytes> = ["SET", "k", "v"].iter().map(|s| Bytes::from(*s)).collect();
        a.execute_write(&mut 2, &argv, 0, 0);
        let mut bytes = Vec::new();
        a.write_snapshot(&mut bytes).expect("write");
        crate::Databases::new()
            .write_snapshot(&mut bytes)
            .expect("write");
        let mut data = &bytes[..];
        let first = crate::Databases::read_snapshot_from(&mut data).expect("first");
        let second = crate::Databases::read_snapshot_from(&mut data).expect("second");
        assert_eq!(first.db(2), a.db(2));
        assert_eq!(second.len(), 0);
        assert!(data.is_empty());
    }

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
        let records: Vec<_> = ks
            .clone()
            .into_raw_entries()
            .map(|(k, e)| (3, k, e))
            .collect();
        let mut back = crate::Databases::new();
        for part in records.chunks(3) {
            let chunk = encode_chunk(part).expect("encode");
            back.import_chunk(&chunk).expect("import");
        }
        assert_eq!(back.db(3), &ks);
        assert!(back.db(0).is_empty());
        assert!(back.import_chunk(b"\xff\xff").is_err());
        assert_eq!(back.db(3), &ks, "a corrupt chunk changes nothing");
        let past = encode_chunk(&[(crate::MAX_DATABASES, Bytes::from("k"), records[0].2.clone())]);
        assert!(back.import_chunk(&past.expect("encode")).is_err());
        assert_eq!(
            back.db(3),
            &ks,
            "a chunk naming an impossible database changes nothing"
        );
    }
}
