//! The group's current snapshot, persisted as one file in the group's snapshot directory
//! (`<data_dir>/raft/<group>/snapshot/current.snap`).
//!
//! Layout of [`CURRENT_FILE`], integers little-endian:
//!
//! ```text
//! MAGIC (8) ‖ FORMAT_VERSION (1) ‖ header_len: u32 ‖ bincode Header { meta, len } ‖ data (len)
//!   ‖ crc32 of everything before it: u32
//! ```
//!
//! A save streams the file to `current.snap.tmp`, syncs it, renames it over `current.snap` and
//! syncs the directory, so a crash at any point leaves either the old or the new snapshot
//! current; a temp file a crash left behind is removed on open. Every write is made durable
//! with `fsync` (see [`crate::fsutil`]), never with `sync_file_range`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use meridian_types::{Node, NodeId};
use openraft::{LogId, SnapshotMeta};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::codec::{decode, encode};
use crate::error::StorageError;
use crate::fsutil::{
    create_dir_durable, remove_temp_files, sync_dir, sync_file_if_exists, TEMP_SUFFIX,
};

/// Metadata and bytes of a stored snapshot.
pub(crate) type StoredSnapshot = (SnapshotMeta<NodeId, Node>, Vec<u8>);

/// Name of the current snapshot's file in the store's directory.
const CURRENT_FILE: &str = "current.snap";
/// First bytes of every snapshot file.
const MAGIC: &[u8; 8] = b"MRDNSNAP";
/// The format this build writes and reads.
const FORMAT_VERSION: u8 = 1;
/// Magic, version byte and header length.
const PREFIX_LEN: u64 = 8 + 1 + 4;
/// The trailing crc32.
const CRC_LEN: u64 = 4;
/// Id reported for a corrupt file whose header does not decode.
const UNKNOWN_ID: &str = "unknown";
/// Buffer for the small writes of a save (prefix, header, crc); the data bypasses it.
const WRITE_BUFFER: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    meta: SnapshotMeta<NodeId, Node>,
    /// Bytes of data after the header.
    len: u64,
}

/// Whether a save may replace a snapshot that covers more of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveMode {
    /// A locally built snapshot: kept only if it is not older than the current one (a build
    /// runs concurrently with installs and may finish after a newer snapshot arrived).
    IfNotOlder,
    /// An installed snapshot replaces whatever was there.
    Replace,
}

/// Blocking API; callers run it on `spawn_blocking`.
pub(crate) struct SnapshotStore {
    dir: PathBuf,
    /// `dir/current.snap`.
    current: PathBuf,
    /// `dir/current.snap.tmp`, the file a save writes before renaming it over `current`.
    temp: PathBuf,
    /// Serialises saves, so two never write the temp file at once and the `IfNotOlder` check
    /// and the rename that follows it are one step.
    save_lock: Mutex<()>,
    /// The last log id of the snapshot known to be durable (saved, or loaded from disk): the
    /// log may durably purge entries only up to it (see `LogStore::purge`).
    durable: watch::Sender<Option<LogId<NodeId>>>,
}

fn corrupt(id: &str, reason: String) -> StorageError {
    StorageError::SnapshotCorrupt {
        id: id.to_string(),
        reason,
    }
}

/// A snapshot file whose prefix and header were read and checked, positioned at its data.
struct Opened {
    file: File,
    header: Header,
    /// crc32 state over the prefix and the header.
    crc: crc32fast::Hasher,
}

/// `read_exact`, with a file that ends early reported as corrupt (it may have been shortened
/// after its length was read).
fn read_exact_or_short(
    file: &mut File,
    buf: &mut [u8],
    path: &Path,
    id: &str,
    what: &str,
) -> Result<(), StorageError> {
    file.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            corrupt(id, format!("file ends inside the {what}"))
        } else {
            StorageError::file("read", path)(e)
        }
    })
}

impl SnapshotStore {
    /// Opens the store in `dir` (created, durably, if missing) and removes temp files a crashed
    /// save left.
    pub(crate) fn open(dir: &Path) -> Result<SnapshotStore, StorageError> {
        // Absolute, so every ancestor has a parent whose entry can be synced.
        let dir = std::path::absolute(dir).map_err(StorageError::file("resolve", dir))?;
        create_dir_durable(&dir).map_err(StorageError::file("create directory", &dir))?;
        remove_temp_files(&dir).map_err(StorageError::file("remove temp files in", &dir))?;
        let current = dir.join(CURRENT_FILE);
        // A process killed right after a save may have left the rename unsynced: make what
        // this node is about to trust durable before it purges any log on the strength of it.
        sync_dir(&dir).map_err(StorageError::file("sync directory", &dir))?;
        sync_file_if_exists(&current).map_err(StorageError::file("sync", &current))?;
        let mut temp = current.as_os_str().to_owned();
        temp.push(TEMP_SUFFIX);
        Ok(SnapshotStore {
            temp: PathBuf::from(temp),
            current,
            dir,
            save_lock: Mutex::new(()),
            durable: watch::Sender::new(None),
        })
    }

    /// Opens the current file and checks everything but the data's checksum: magic, version,
    /// header, and that the header's data length is what the file holds. Allocates at most the
    /// header's length, itself bounded by the file's size.
    fn open_current(&self) -> Result<Option<Opened>, StorageError> {
        let path = &self.current;
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StorageError::file("open", path)(e)),
        };
        let file_len = file
            .metadata()
            .map_err(StorageError::file("stat", path))?
            .len();
        let mut crc = crc32fast::Hasher::new();

        let mut magic_version = [0u8; 9];
        if file_len < magic_version.len() as u64 {
            return Err(corrupt(
                UNKNOWN_ID,
                format!("file is {file_len} bytes, too short for its magic and version"),
            ));
        }
        read_exact_or_short(&mut file, &mut magic_version, path, UNKNOWN_ID, "magic")?;
        if &magic_version[..8] != MAGIC {
            return Err(corrupt(
                UNKNOWN_ID,
                "not a snapshot file (bad magic)".into(),
            ));
        }
        if magic_version[8] != FORMAT_VERSION {
            return Err(StorageError::SnapshotVersion(
                magic_version[8],
                FORMAT_VERSION,
            ));
        }
        crc.update(&magic_version);

        if file_len < PREFIX_LEN + CRC_LEN {
            return Err(corrupt(
                UNKNOWN_ID,
                format!("file is {file_len} bytes, too short for a header length and checksum"),
            ));
        }
        let mut header_len = [0u8; 4];
        read_exact_or_short(
            &mut file,
            &mut header_len,
            path,
            UNKNOWN_ID,
            "header length",
        )?;
        crc.update(&header_len);
        let header_len = u64::from(u32::from_le_bytes(header_len));
        let room = file_len - PREFIX_LEN - CRC_LEN;
        if header_len > room {
            return Err(corrupt(
                UNKNOWN_ID,
                format!("header length {header_len} exceeds the {room} bytes the file has for it"),
            ));
        }
        // Bounded by the file's size just above.
        let header_size = usize::try_from(header_len).map_err(|_| {
            corrupt(
                UNKNOWN_ID,
                format!("header length {header_len} does not fit in memory"),
            )
        })?;
        let mut header = vec![0u8; header_size];
        read_exact_or_short(&mut file, &mut header, path, UNKNOWN_ID, "header")?;
        crc.update(&header);
        let header: Header = decode("decode snapshot header", &header)
            .map_err(|e| corrupt(UNKNOWN_ID, format!("header does not decode: {e}")))?;

        let data_len = room - header_len;
        if header.len != data_len {
            return Err(corrupt(
                &header.meta.snapshot_id,
                format!(
                    "header says {} data bytes, the file holds {data_len}",
                    header.len
                ),
            ));
        }
        Ok(Some(Opened { file, header, crc }))
    }

    /// The current snapshot's metadata and data.
    pub(crate) fn load(&self) -> Result<Option<StoredSnapshot>, StorageError> {
        let Some(Opened {
            mut file,
            header,
            mut crc,
        }) = self.open_current()?
        else {
            return Ok(None);
        };
        let path = &self.current;
        let id = header.meta.snapshot_id.as_str();
        let len = usize::try_from(header.len).map_err(|_| {
            StorageError::file("load", path)(io::Error::other(format!(
                "{} bytes do not fit in memory",
                header.len
            )))
        })?;
        // `open_current` checked `len` against the file's size.
        let mut data = Vec::with_capacity(len);
        let read = (&mut file)
            .take(header.len)
            .read_to_end(&mut data)
            .map_err(StorageError::file("read", path))?;
        if read != len {
            return Err(corrupt(id, "file ends inside the data".into()));
        }
        crc.update(&data);
        let mut stored = [0u8; 4];
        read_exact_or_short(&mut file, &mut stored, path, id, "checksum")?;
        let stored = u32::from_le_bytes(stored);
        let computed = crc.finalize();
        if stored != computed {
            return Err(corrupt(
                id,
                format!("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
            ));
        }
        self.durable.send_replace(header.meta.last_log_id);
        Ok(Some((header.meta, data)))
    }

    /// Watches the last log id of the durable current snapshot.
    pub(crate) fn durable(&self) -> watch::Receiver<Option<LogId<NodeId>>> {
        self.durable.subscribe()
    }

    /// Makes `data` the current snapshot, durably. Returns false when `mode` kept the current one
    /// (and then writes nothing).
    pub(crate) fn save(
        &self,
        meta: &SnapshotMeta<NodeId, Node>,
        data: &[u8],
        mode: SaveMode,
    ) -> Result<bool, StorageError> {
        let _serial = self
            .save_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if mode == SaveMode::IfNotOlder {
            // Only the header is read: the data's checksum is `load`'s business.
            if let Some(old) = self.open_current()? {
                if old.header.meta.last_log_id > meta.last_log_id {
                    return Ok(false);
                }
            }
        }
        let header = Header {
            meta: meta.clone(),
            len: data.len() as u64,
        };
        if let Err(e) = self.write_temp(&header, data) {
            // Best effort: a snapshot can be large, give its space back now rather than at the
            // next open. The next save truncates the file anyway.
            let _ = fs::remove_file(&self.temp);
            return Err(e);
        }
        fs::rename(&self.temp, &self.current).map_err(StorageError::file("rename", &self.temp))?;
        sync_dir(&self.dir).map_err(StorageError::file("sync directory", &self.dir))?;
        self.durable.send_replace(meta.last_log_id);
        Ok(true)
    }

    /// Streams the snapshot file to the temp path and syncs it: the streaming counterpart of
    /// [`crate::fsutil::write_atomically`]'s first half, so the data is never copied into a
    /// second buffer.
    fn write_temp(&self, header: &Header, data: &[u8]) -> Result<(), StorageError> {
        let path = &self.temp;
        let header = encode("encode snapshot header", header)?;
        let header_len = u32::try_from(header.len()).map_err(|_| {
            StorageError::file("write", path)(io::Error::other(format!(
                "snapshot header of {} bytes is too large",
                header.len()
            )))
        })?;
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(StorageError::file("create", path))?;
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut crc = crc32fast::Hasher::new();
        for part in [
            MAGIC.as_slice(),
            &[FORMAT_VERSION],
            &header_len.to_le_bytes(),
            &header,
            data,
        ] {
            crc.update(part);
            out.write_all(part)
                .map_err(StorageError::file("write", path))?;
        }
        out.write_all(&crc.finalize().to_le_bytes())
            .map_err(StorageError::file("write", path))?;
        let file = out
            .into_inner()
            .map_err(|e| StorageError::file("write", path)(e.into_error()))?;
        file.sync_all().map_err(StorageError::file("sync", path))
    }
}

#[cfg(test)]
#[path = "snapshot_store_tests.rs"]
mod tests;
