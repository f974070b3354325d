use serde::{Deserialize, Serialize};

use crate::{Epoch, Seq};

/// A cluster's role, decided by the coordination group and recorded as an entry of the
/// cluster's own regional log, so every node of the cluster agrees on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterRole {
    /// In no global datastore: a read/write store of its own.
    #[default]
    Standalone,
    /// Takes the writes of `datastore` for `epoch` (while its leader holds the epoch's lease).
    /// `base_seq` is the seq the cluster had when it became primary.
    Primary {
        datastore: String,
        epoch: Epoch,
        base_seq: Seq,
    },
    /// Follows the primary cluster `source` of `datastore` in `epoch`; refuses client writes.
    Secondary {
        datastore: String,
        epoch: Epoch,
        source: String,
    },
}

impl ClusterRole {
    /// True when client writes are refused.
    pub fn is_secondary(&self) -> bool {
        matches!(self, ClusterRole::Secondary { .. })
    }

    /// `standalone`, `primary` or `secondary`.
    pub fn name(&self) -> &'static str {
        match self {
            ClusterRole::Standalone => "standalone",
            ClusterRole::Primary { .. } => "primary",
            ClusterRole::Secondary { .. } => "secondary",
        }
    }
}

/// The error text Redis replicas answer writes with, byte for byte.
pub const READONLY_ERROR: &str = "READONLY You can't write against a read only replica.";
