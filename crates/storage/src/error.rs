use meridian_types::NodeId;
use openraft::{StorageError as RaftStorageError, StorageIOError};

/// What went wrong in the storage layer, and where.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("sled failed to {op}: {source}")]
    Sled {
        op: &'static str,
        #[source]
        source: sled::Error,
    },
    #[error("could not open the sled database at {path}: {source} (a held lock means another process uses this data directory)")]
    Open {
        path: std::path::PathBuf,
        #[source]
        source: sled::Error,
    },
    #[error("could not {op} (bincode): {source}")]
    Codec {
        op: &'static str,
        #[source]
        source: bincode::Error,
    },
    #[error("key in tree {tree} is not a big-endian u64 ({len} bytes)")]
    BadKey { tree: String, len: usize },
    #[error("keyspace snapshot: {0}")]
    Keyspace(#[from] meridian_keyspace::SnapshotError),
    #[error("snapshot I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("snapshot format version {0} is not supported (this build reads {1})")]
    SnapshotVersion(u8, u8),
    #[error("snapshot {id} is corrupt: {reason}")]
    SnapshotCorrupt { id: String, reason: String },
    #[error("could not {op} {path}: {source}")]
    File {
        op: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Raft log file {path} is damaged at byte {offset}: {reason}; the node will not start on a log it cannot trust (restore the data directory, or remove it and let the node rejoin from its peers)")]
    LogDamaged {
        path: std::path::PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("Raft log append refused: {0}")]
    LogOrder(String),
    #[error("{path} was written by an older Meridian that kept the Raft log in sled; this build keeps it in {new_dir}. Start the node on an empty data directory (it rejoins from its peers)")]
    OldLayout {
        path: std::path::PathBuf,
        new_dir: std::path::PathBuf,
    },
    #[error(
        "{path} holds a regional log in data format {found}; this build reads format {expected}: \
         start it on an empty data directory (its data ships back from the primary, or restore it \
         with the build that wrote it)"
    )]
    DataFormat {
        path: std::path::PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("background storage task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("invalid storage options: {0}")]
    Options(String),
}

impl StorageError {
    pub(crate) fn sled(op: &'static str) -> impl FnOnce(sled::Error) -> StorageError {
        move |source| StorageError::Sled { op, source }
    }

    pub(crate) fn codec(op: &'static str) -> impl FnOnce(bincode::Error) -> StorageError {
        move |source| StorageError::Codec { op, source }
    }

    /// Maps an I/O error to [`StorageError::File`], naming what was done to which file.
    pub(crate) fn file<'a>(
        op: &'static str,
        path: &'a std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> StorageError + 'a {
        move |source| StorageError::File {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// openraft's storage error, for the trait impls.
pub(crate) type RaftError = RaftStorageError<NodeId>;

/// Converters from our error to openraft's, naming what openraft was doing.
// openraft's error type is large, and its traits return it by value: nothing to box here.
#[allow(clippy::result_large_err)]
pub(crate) trait IntoRaft<T> {
    fn read_logs(self) -> Result<T, RaftError>;
    fn write_logs(self) -> Result<T, RaftError>;
    fn write_vote(self) -> Result<T, RaftError>;
    fn write_sm(self) -> Result<T, RaftError>;
    fn read_snapshot(self) -> Result<T, RaftError>;
    fn write_snapshot(self) -> Result<T, RaftError>;
}

#[allow(clippy::result_large_err)]
impl<T> IntoRaft<T> for Result<T, StorageError> {
    fn read_logs(self) -> Result<T, RaftError> {
        self.map_err(|e| StorageIOError::read_logs(&e).into())
    }
    fn write_logs(self) -> Result<T, RaftError> {
        self.map_err(|e| StorageIOError::write_logs(&e).into())
    }
    fn write_vote(self) -> Result<T, RaftError> {
        self.map_err(|e| StorageIOError::write_vote(&e).into())
    }
    fn write_sm(self) -> Result<T, RaftError> {
        self.map_err(|e| StorageIOError::write_state_machine(&e).into())
    }
    fn read_snapshot(self) -> Result<T, RaftError> {
        self.map_err(|e| StorageIOError::read_snapshot(None, &e).into())
    }
    fn write_snapshot(self) -> Result<T, RaftError> {
        self.map_err(|e| StorageIOError::write_snapshot(None, &e).into())
    }
}
