use meridian_types::{ErrorCause, NodeId};

/// Why a regional operation failed. Each variant says whether the write may have happened.
#[derive(Debug, Clone, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RegionError {
    /// No leader is known (an election is running or a majority is down). Nothing was written.
    #[error("cluster {cluster} has no leader right now (election in progress or majority down); nothing was written")]
    NoLeader { cluster: String },
    /// The node asked is not the leader; nothing was written.
    #[error("node {node} is not the leader of cluster {cluster}")]
    NotLeader {
        cluster: String,
        node: NodeId,
        leader: Option<NodeId>,
    },
    /// The write was handed to Raft but leadership changed before it committed.
    #[error("leadership of cluster {cluster} changed while the write was in flight; it may or may not have been applied")]
    OutcomeUnknown { cluster: String },
    /// A wait (read index, min_seq) ran past its deadline.
    #[error("{what} did not happen within {waited_ms} ms")]
    Timeout { what: String, waited_ms: u64 },
    /// Talking to another node failed.
    #[error("cannot reach node {node} ({addr}): {reason}")]
    Unreachable {
        node: NodeId,
        addr: String,
        #[source]
        reason: ErrorCause,
    },
    /// The primary's leader holds no valid lease for the current epoch (it may be cut off from
    /// the coordination group, or a failover may be under way). Nothing was written.
    #[error("cluster {cluster} is the primary of {datastore} but holds no valid write lease for epoch {epoch} (cut off from the coordination group, or a failover is under way); nothing was written")]
    NoLease {
        cluster: String,
        datastore: String,
        epoch: u64,
    },
    /// A planned failover is draining this primary: nothing was written; the write goes to the
    /// new primary once the failover completes.
    #[error("cluster {cluster} is the primary of {datastore} being drained by a failover; nothing was written, try again on the new primary shortly")]
    Draining { cluster: String, datastore: String },
    /// The write committed, but the lease ran out before it could be acknowledged.
    #[error("the write lease of cluster {cluster} ran out before the write was acknowledged; it may or may not be kept after a failover")]
    LeaseExpired { cluster: String },
    /// This cluster is a secondary of a global datastore: it refuses client writes.
    #[error("cluster {cluster} is a secondary of global datastore {datastore}; send writes to its primary cluster {primary}")]
    ReadOnly {
        cluster: String,
        datastore: String,
        primary: String,
    },
    /// The group is shutting down or its storage failed.
    #[error("cluster {cluster} is unavailable on this node: {reason}")]
    Fatal {
        cluster: String,
        #[source]
        reason: ErrorCause,
    },
}

impl RegionError {
    /// True when the operation certainly changed nothing: [`RegionError::nothing_written`],
    /// or a primary without a lease (refused before proposing). Clients may retry these.
    pub fn certainly_not_applied(&self) -> bool {
        self.nothing_written()
            || matches!(
                self,
                RegionError::NoLease { .. } | RegionError::Draining { .. }
            )
    }

    /// True when the request failed only because no node of this group leads it, or another
    /// does: worth sending again once the leader changes (nothing was written). A refusal by
    /// the leader itself, such as `ReadOnly`, is its answer and is not retried.
    pub fn awaits_leader(&self) -> bool {
        matches!(
            self,
            RegionError::NoLeader { .. } | RegionError::NotLeader { .. }
        )
    }

    /// True when the write certainly did not happen, so retrying it is safe.
    pub fn nothing_written(&self) -> bool {
        matches!(
            self,
            RegionError::NoLeader { .. }
                | RegionError::NotLeader { .. }
                | RegionError::ReadOnly { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn a_cause_shows_its_error_and_keeps_its_source_across_the_wire_as_text() {
        let io = std::io::Error::other("disk on fire");
        let fatal = RegionError::Fatal {
            cluster: "use1".into(),
            reason: ErrorCause::context("opening storage", io),
        };
        let text = "cluster use1 is unavailable on this node: opening storage: disk on fire";
        assert_eq!(fatal.to_string(), text);
        let source = fatal.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("opening storage: disk on fire"));
        let inner = fatal.source().and_then(Error::source);
        assert!(inner.is_some_and(|e| e.downcast_ref::<std::io::Error>().is_some()));

        let bytes = meridian_transport::encode("test", &fatal).expect("encode");
        let back: RegionError = meridian_transport::decode("test", &bytes).expect("decode");
        assert_eq!(back.to_string(), text);
        // The same bytes as the `String` the cause replaced.
        let cause = ErrorCause::context("x", std::io::Error::other("y"));
        assert_eq!(
            meridian_transport::encode("test", &cause).expect("encode"),
            meridian_transport::encode("test", &"x: y".to_string()).expect("encode")
        );
    }
}
