//! Why a step of the coordination leader's work on the clusters failed: a reconciler step,
//! a failover step, the automatic failover check, or a rejoin attempt. Every such step is
//! retried on the next tick, so the error is logged (and, for a failover that cannot fence
//! the old primary in time, becomes the abort reason) and nothing matches on it.
//!
//! `Display` keeps the texts these steps have always logged and recorded in abort reasons;
//! the errors underneath stay reachable through `source()` (or, for the transparent
//! variants, are the error itself).

use meridian_coord::CoordError;
use meridian_region::RegionError;
use meridian_types::NodeId;
use tonic::Status;

/// Why a reconcile, failover or rejoin step failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReconcileError {
    /// The datastore names a cluster the control plane has not registered.
    #[error("cluster {cluster} is not registered")]
    UnknownCluster { cluster: String },
    /// The coordination group could not say when a lease ran out (this voter may not lead).
    #[error(transparent)]
    Leases(CoordError),
    /// Recording a step or a request in the coordination log failed.
    #[error(transparent)]
    Record(CoordError),
    /// A role entry could not be encoded for `RegionForward.SetRole`.
    #[error(transparent)]
    EncodeRole(bincode::Error),
    /// The cluster has no nodes to ask.
    #[error("cannot set the role of cluster {cluster}: cluster {cluster} has no nodes")]
    NoNodes { cluster: String },
    /// No channel could be made to the last node tried.
    #[error("cannot set the role of cluster {cluster}: {source}")]
    NodeChannel {
        cluster: String,
        #[source]
        source: tonic::transport::Error,
    },
    /// The last node tried refused the call or did not answer.
    #[error("cannot set the role of cluster {cluster}: node {node}: {}", .status.message())]
    NodeRefused {
        cluster: String,
        node: NodeId,
        #[source]
        status: Status,
    },
    /// The cluster's leader refused the role entry.
    #[error("cannot set the role of cluster {cluster}: {source}")]
    RoleRefused {
        cluster: String,
        #[source]
        source: RegionError,
    },
    /// The last node's reply could not be decoded.
    #[error("cannot set the role of cluster {cluster}: {source}")]
    BadReply {
        cluster: String,
        #[source]
        source: bincode::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_the_logged_texts() {
        let none = ReconcileError::NoNodes {
            cluster: "use1".into(),
        };
        assert_eq!(
            none.to_string(),
            "cannot set the role of cluster use1: cluster use1 has no nodes"
        );
        let refused = ReconcileError::NodeRefused {
            cluster: "use1".into(),
            node: 3,
            status: Status::unavailable("connection refused"),
        };
        assert_eq!(
            refused.to_string(),
            "cannot set the role of cluster use1: node 3: connection refused"
        );
        assert!(std::error::Error::source(&refused).is_some());
        let record = ReconcileError::Record(CoordError::NoLeader);
        assert_eq!(record.to_string(), CoordError::NoLeader.to_string());
    }
}
