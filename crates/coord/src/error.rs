use std::error::Error;

use meridian_types::{ControlError, ErrorCause, NodeId};
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
    Fatal {
        #[source]
        reason: ErrorCause,
    },
}

impl CoordError {
    /// True when the request certainly did not happen, so retrying it elsewhere is safe.
    pub fn nothing_written(&self) -> bool {
        matches!(self, CoordError::NoLeader | CoordError::NotLeader { .. })
    }

    /// [`CoordError::Fatal`] because of `error`.
    pub(crate) fn fatal(error: impl Error + Send + Sync + 'static) -> CoordError {
        CoordError::Fatal {
            reason: ErrorCause::new(error),
        }
    }

    /// [`CoordError::Fatal`] because of `error`, met while doing `what`.
    pub(crate) fn fatal_in(
        what: &'static str,
        error: impl Error + Send + Sync + 'static,
    ) -> CoordError {
        CoordError::Fatal {
            reason: ErrorCause::context(what, error),
        }
    }

    /// [`CoordError::Fatal`] for what went wrong when no other error says it.
    pub(crate) fn fatal_msg(text: impl Into<String>) -> CoordError {
        CoordError::Fatal {
            reason: ErrorCause::msg(text),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fatal_error_keeps_its_text_and_its_source() {
        let fatal = CoordError::fatal_in(
            "opening coordination storage",
            std::io::Error::other("disk on fire"),
        );
        let text = "the coordination group is unavailable on this node: opening coordination storage: disk on fire";
        assert_eq!(fatal.to_string(), text);
        let inner = fatal.source().and_then(Error::source);
        assert!(inner.is_some_and(|e| e.downcast_ref::<std::io::Error>().is_some()));
        let bytes = meridian_transport::encode("test", &fatal).expect("encode");
        let back: CoordError = meridian_transport::decode("test", &bytes).expect("decode");
        assert_eq!(back.to_string(), text);
    }
}
