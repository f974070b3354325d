//! Why a shipping session on a secondary's leader ended. Every variant ends the session only:
//! the next one resumes from the committed position (see `follow.rs`), so none of them says
//! whether a write happened; the apply rules make a repeat harmless either way.
//!
//! `Display` is what `LinkView::last_error` shows and the shipper logs, so each variant keeps
//! the text the link has always reported; wrapped errors stay reachable through `source()`
//! (or, for the transparent ones, are the error itself).

use std::time::Duration;

use meridian_region::RegionError;
use meridian_types::{NodeId, Seq};
use tonic::Status;

/// Why a shipping session ended.
#[derive(Debug, thiserror::Error)]
pub enum ShipError {
    /// The read index that starts a session failed (this node may no longer lead).
    #[error(transparent)]
    ReadIndex(RegionError),
    /// This cluster's Raft group refused to take a shipped batch or sync step.
    #[error(transparent)]
    Propose(RegionError),
    /// A proposal was taken but did not apply.
    #[error(transparent)]
    Proposal(RegionError),
    /// The role names a primary cluster the deployment does not list.
    #[error("the primary cluster {cluster} is not in the deployment")]
    UnknownSource { cluster: String },
    /// The primary cluster is listed with no nodes.
    #[error("the primary cluster {cluster} has no nodes")]
    NoSourceNodes { cluster: String },
    /// No channel could be made to the chosen node of the primary.
    #[error(transparent)]
    Channel(#[from] tonic::transport::Error),
    /// A message for the primary could not be encoded.
    #[error("{}", .0.message())]
    Encode(#[source] Status),
    /// A message from the primary could not be decoded.
    #[error("{}", .0.message())]
    Decode(#[source] Status),
    /// The subscription could not be queued (its stream was already gone).
    #[error("subscription channel closed")]
    SubscriptionClosed,
    /// The primary's node refused the subscription, or ended the stream with an error.
    #[error("node {node} of {cluster}: {}", .status.message())]
    Refused {
        node: NodeId,
        cluster: String,
        #[source]
        status: Status,
    },
    /// Nothing arrived from the primary's node within the idle timeout.
    #[error("node {node} of {cluster} went silent")]
    Silent { node: NodeId, cluster: String },
    /// The primary's node closed the stream.
    #[error("node {node} of {cluster} ended the stream")]
    StreamEnded { node: NodeId, cluster: String },
    /// A full-sync message arrived among the ops of one batch.
    #[error("a sync message arrived in the middle of ops")]
    SyncAmidOps,
    /// A sync chunk arrived with no full sync begun.
    #[error("a sync chunk arrived outside a sync")]
    ChunkOutsideSync,
    /// A sync end arrived with no full sync begun.
    #[error("a sync end arrived outside a sync")]
    EndOutsideSync,
    /// A full sync's ACL users arrived with no full sync begun.
    #[error("sync users arrived outside a sync")]
    UsersOutsideSync,
    /// Shipped ops applied only up to `applied`, short of `expected`.
    #[error("shipped ops stopped applying at seq {applied} (expected {expected}): a gap")]
    Gap { applied: Seq, expected: Seq },
    /// The full sync to `seq` did not leave this cluster at `seq` with a position.
    #[error("the full sync to seq {seq} did not take (seq {applied})")]
    SyncDidNotTake { seq: Seq, applied: Seq },
    /// An acknowledgement could not be queued (the subscription stream is gone).
    #[error("the subscription stream closed")]
    StreamClosed,
    /// The session's proposals did not all complete within `limit` after it ended.
    #[error("proposals still in flight after {limit:?}")]
    Undrained { limit: Duration },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_the_link_texts() {
        let refused = ShipError::Refused {
            node: 2,
            cluster: "use1".into(),
            status: Status::unavailable("node 2 leads cluster use1"),
        };
        assert_eq!(
            refused.to_string(),
            "node 2 of use1: node 2 leads cluster use1"
        );
        assert!(std::error::Error::source(&refused).is_some());
        let decode = ShipError::Decode(Status::invalid_argument("malformed shipping message: x"));
        assert_eq!(decode.to_string(), "malformed shipping message: x");
        let gap = ShipError::Gap {
            applied: 7,
            expected: 9,
        };
        assert_eq!(
            gap.to_string(),
            "shipped ops stopped applying at seq 7 (expected 9): a gap"
        );
        let region = ShipError::Proposal(RegionError::NoLeader {
            cluster: "euw1".into(),
        });
        assert_eq!(
            region.to_string(),
            RegionError::NoLeader {
                cluster: "euw1".into()
            }
            .to_string()
        );
    }
}
