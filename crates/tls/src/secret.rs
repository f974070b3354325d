//! The cluster secret: how nodes prove who they are to each other on connections without TLS.
//! Sent as the [`HEADER`] metadata of every internal call; compared in constant time; never
//! printed (its `Debug` is redacted and errors name only the file).

use std::path::{Path, PathBuf};

/// The gRPC metadata key carrying the secret.
pub const HEADER: &str = "x-meridian-cluster-secret";

/// Shortest secret accepted, in bytes.
pub const MIN_LEN: usize = 16;

/// A loaded cluster secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterSecret(String);

impl std::fmt::Debug for ClusterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterSecret(<redacted>)")
    }
}

/// Why a secret file cannot be used. Never carries the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the cluster secret file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the cluster secret in {} must be at least {MIN_LEN} bytes of printable ASCII on its first line", path.display())]
    Weak { path: PathBuf },
    #[error("the system random number generator failed")]
    Random,
}

impl ClusterSecret {
    /// The first line of `path`.
    pub fn load(path: &Path) -> Result<ClusterSecret, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|source| SecretError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let line = text.lines().next().unwrap_or("").trim();
        ClusterSecret::new(line).ok_or_else(|| SecretError::Weak {
            path: path.to_path_buf(),
        })
    }

    /// `text` as a secret, if it is long enough and fits in a gRPC header.
    pub fn new(text: &str) -> Option<ClusterSecret> {
        let usable = text.len() >= MIN_LEN && text.bytes().all(|b| b.is_ascii_graphic());
        usable.then(|| ClusterSecret(text.to_string()))
    }

    /// A fresh random secret (64 hex digits), from the system random source rustls uses for
    /// keys.
    pub fn generate() -> Result<ClusterSecret, SecretError> {
        use std::fmt::Write;
        let mut bytes = [0u8; 32];
        crate::provider()
            .secure_random
            .fill(&mut bytes)
            .map_err(|_| SecretError::Random)?;
        let mut text = String::with_capacity(64);
        for b in bytes {
            let _ = write!(text, "{b:02x}");
        }
        Ok(ClusterSecret(text))
    }

    /// The text sent in [`HEADER`].
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `offered` is this secret, in time independent of where they differ.
    pub fn matches(&self, offered: &[u8]) -> bool {
        let mine = self.0.as_bytes();
        if mine.len() != offered.len() {
            return false;
        }
        mine.iter()
            .zip(offered)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}
