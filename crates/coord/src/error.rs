use meridian_types::{ControlError, NodeId};
use tonic::{Code, Status};

/// Why a control-plane call failed. Each variant says whether the request may have happened.
#[derive(Debug, Clone, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum CoordError {
    /// The request broke a control-plane rule; nothing changed.
    #[error(transparent)]
    Rule(#[from] ControlError),
    /// No coordination leader is known or reachable; nothing changed.
    #[error("the coordination group has no reachable leader (election in progress, or a majority of its voters down or cut off); nothing was changed")]
    NoLeader,
    /// The voter asked does not lead the group; nothing changed.
    #[error("node {node} is not the coordination leader")]
    NotLeader {
        node: NodeId,
        leader: Option<NodeId>,
    },
    /// The request reached a leader that lost leadership (or went silent) before answering.
    #[error("the coordination leader changed while the request was in flight: it may or may not have been applied; run `meridian global describe` to check")]
    OutcomeUnknown,
    /// A wait ran past its deadline.
    #[error("{what} did not happen within {waited_ms} ms")]
    Timeout { what: String, waited_ms: u64 },
    /// The coordination group is shutting down on this node or its storage failed.
    #[error("the coordination group is unavailable on this node: {reason}")]
    Fatal { reason: String },
}

impl CoordError {
    /// True when the request certainly did not happen, so retrying it elsewhere is safe.
    pub fn nothing_written(&self) -> bool {
        matches!(self, CoordError::NoLeader | CoordError::NotLeader { .. })
    }

    pub(crate) fn fatal(reason: impl std::fmt::Display) -> CoordError {
        CoordError::Fatal {
            reason: reason.to_string(),
        }
    }

    /// The gRPC status code of this error: the one place control-plane errors meet gRPC.
    pub fn code(&self) -> Code {
        use ControlError as E;
        match self {
            CoordError::Rule(rule) => match rule {
                E::UnknownDatastore { .. } | E::UnknownCluster { .. } | E::NotAMember { .. } => {
                    Code::NotFound
                }
                E::DuplicateDatastore { .. } => Code::AlreadyExists,
                E::InvalidArgument { .. } => Code::InvalidArgument,
                E::ClusterInUse { .. }
                | E::SameRegion { .. }
                | E::TooManySecondaries { .. }
                | E::ModificationInProgress { .. }
                | E::SecondariesRemain { .. }
                | E::CannotDisassociatePrimary { .. }
                | E::AlreadyPrimary { .. }
                | E::WrongMemberStatus { .. }
                | E::WrongDatastoreStatus { .. }
                | E::StaleEpoch { .. }
                | E::NotPrimary { .. }
                | E::FailoverDraining { .. }
                | E::FailoverStepOutOfOrder { .. }
                | E::PromotionTooEarly { .. }
                | E::RegionChange { .. } => Code::FailedPrecondition,
            },
            CoordError::NoLeader | CoordError::NotLeader { .. } => Code::Unavailable,
            CoordError::OutcomeUnknown => Code::Unknown,
            CoordError::Timeout { .. } => Code::DeadlineExceeded,
            CoordError::Fatal { .. } => Code::Internal,
        }
    }
}

impl From<CoordError> for Status {
    fn from(e: CoordError) -> Status {
        Status::new(e.code(), e.to_string())
    }
}
