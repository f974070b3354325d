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
    /// The primary of `epoch` being replaced by a planned failover. Its fence entry (this role)
    /// fixes its final seq: from it on, client writes and active expiry are refused (clients
    /// are told to try again), while it keeps shipping to the secondaries, the target first.
    Draining { datastore: String, epoch: Epoch },
}

impl ClusterRole {
    /// True when client writes are refused.
    pub fn is_secondary(&self) -> bool {
        matches!(self, ClusterRole::Secondary { .. })
    }

    /// `standalone`, `primary`, `secondary` or `draining`.
    pub fn name(&self) -> &'static str {
        match self {
            ClusterRole::Standalone => "standalone",
            ClusterRole::Primary { .. } => "primary",
            ClusterRole::Secondary { .. } => "secondary",
            ClusterRole::Draining { .. } => "draining",
        }
    }

    /// The epoch of the datastore role (0 for a standalone cluster).
    pub fn epoch(&self) -> crate::Epoch {
        match self {
            ClusterRole::Standalone => 0,
            ClusterRole::Primary { epoch, .. }
            | ClusterRole::Secondary { epoch, .. }
            | ClusterRole::Draining { epoch, .. } => *epoch,
        }
    }

    /// The datastore a primary (draining or not) serves shipping for.
    pub fn primary_of(&self) -> Option<&str> {
        match self {
            ClusterRole::Primary { datastore, .. } | ClusterRole::Draining { datastore, .. } => {
                Some(datastore)
            }
            _ => None,
        }
    }
}

/// The error text Redis replicas answer writes with, byte for byte.
pub const READONLY_ERROR: &str = "READONLY You can't write against a read only replica.";
