//! The part of a group's Raft state that must survive a crash besides the log: the vote and
//! the purge point, in one small file replaced atomically (`fsutil::write_atomically`).
//!
//! Layout: magic `MRDNRAFT` ‖ version u8 ‖ bincode of [`HardState`] ‖ crc32 (LE) of all before.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use meridian_types::NodeId;
use openraft::{LogId, Vote};
use serde::{Deserialize, Serialize};

use crate::codec::{decode, encode};
use crate::error::StorageError;
use crate::fsutil::write_atomically;

const MAGIC: &[u8; 8] = b"MRDNRAFT";
const VERSION: u8 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HardState {
    pub(crate) vote: Option<Vote<NodeId>>,
    pub(crate) last_purged: Option<LogId<NodeId>>,
}

/// Blocking API: run it off the async runtime.
pub(crate) struct HardStateFile {
    path: PathBuf,
    /// The state on disk; held while a change is written, so changes never interleave.
    current: Mutex<HardState>,
}

impl HardStateFile {
    /// Reads `path`; a missing file is the empty state of a new group.
    pub(crate) fn open(path: &Path) -> Result<HardStateFile, StorageError> {
        let current = match std::fs::read(path) {
            Ok(bytes) => parse(path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HardState::default(),
            Err(source) => return Err(StorageError::file("read", path)(source)),
        };
        Ok(HardStateFile {
            path: path.to_path_buf(),
            current: Mutex::new(current),
        })
    }

    pub(crate) fn get(&self) -> HardState {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Applies `change` and makes the result durable before returning.
    pub(crate) fn update(&self, change: impl FnOnce(&mut HardState)) -> Result<(), StorageError> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = current.clone();
        change(&mut next);
        let mut bytes = MAGIC.to_vec();
        bytes.push(VERSION);
        bytes.extend(encode("encode Raft hard state", &next)?);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        write_atomically(&self.path, &bytes).map_err(StorageError::file("write", &self.path))?;
        *current = next;
        Ok(())
    }
}

fn parse(path: &Path, bytes: &[u8]) -> Result<HardState, StorageError> {
    let damaged = |reason: &str| StorageError::LogDamaged {
        path: path.to_path_buf(),
        offset: 0,
        reason: reason.to_string(),
    };
    if bytes.len() < MAGIC.len() + 1 + 4 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(damaged("not a Raft state file"));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(damaged("checksum mismatch"));
    }
    if body[MAGIC.len()] != VERSION {
        return Err(damaged("unsupported format version"));
    }
    decode("decode Raft hard state", &body[MAGIC.len() + 1..])
}

#[cfg(test)]
mod tests {
    use openraft::CommittedLeaderId;

    use super::*;

    #[test]
    fn state_survives_reopen_and_damage_is_refused() -> Result<(), StorageError> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("state");
        let file = HardStateFile::open(&path)?;
        assert_eq!(file.get(), HardState::default());
        file.update(|s| s.vote = Some(Vote::new(3, 2)))?;
        file.update(|s| s.last_purged = Some(LogId::new(CommittedLeaderId::new(3, 2), 40)))?;
        let reopened = HardStateFile::open(&path)?.get();
        assert_eq!(reopened.vote, Some(Vote::new(3, 2)));
        assert_eq!(reopened.last_purged.map(|l| l.index), Some(40));

        let mut bytes = std::fs::read(&path)?;
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&path, &bytes)?;
        let err = HardStateFile::open(&path).err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("checksum")),
            "{err:?}"
        );
        std::fs::write(&path, b"junk")?;
        let err = HardStateFile::open(&path).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("not a Raft state file")),
            "{err:?}"
        );
        Ok(())
    }
}
