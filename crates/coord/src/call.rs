//! What travels between a caller and the coordination leader (`CoordForward.Call`, bincode).

use meridian_types::{CoordOutcome, CoordRequest, Epoch, Seq};
use serde::{Deserialize, Serialize};

use crate::ControlPlane;

/// One control-plane call, run by the coordination leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum CoordCall {
    /// Propose an entry (anything but `GrantLease`, which the leader must stamp itself).
    Write(CoordRequest),
    /// Grant a lease after a quorum round (DESIGN §5, the lease rule).
    GrantLease {
        datastore: String,
        cluster: String,
        epoch: Epoch,
        length_ms: u64,
        head_seq: Seq,
    },
    /// The whole control plane, linearizably.
    Read,
}

impl CoordCall {
    /// Whether running the call twice is the same as running it once, so an ambiguous failure
    /// may be retried: reads, lease grants (a later stamp is only more conservative), seq
    /// reports (the newest wins) and the reconciler's transitions (done twice is a no-op).
    pub(crate) fn is_idempotent(&self) -> bool {
        match self {
            CoordCall::Read | CoordCall::GrantLease { .. } => true,
            CoordCall::Write(req) => matches!(
                req,
                CoordRequest::RegisterClusters { .. }
                    | CoordRequest::ReportAppliedSeq { .. }
                    | CoordRequest::MemberReady { .. }
                    | CoordRequest::FailoverStep { .. }
                    | CoordRequest::Failover { .. }
                    | CoordRequest::MemberRemoved { .. }
                    | CoordRequest::MemberRejoined { .. }
                    | CoordRequest::ReportDiscarded { .. }
            ),
        }
    }
}

/// The answer to a [`CoordCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum CoordReply {
    Outcome(CoordOutcome),
    State(ControlPlane),
}
