//! The one place where Meridian errors become gRPC statuses.

use meridian_region::RegionError;
use meridian_types::outcome::{MAYBE_APPLIED, NOT_APPLIED, WRITE_OUTCOME};
use meridian_types::Reply;

use crate::spec::ClusterSpec;
use tonic::{Code, Status};

/// Like [`region_status`], and a refused write on a secondary also lists the primary cluster's
/// endpoints so the caller knows where to go.
pub(crate) fn region_status_for(e: RegionError, clusters: &[ClusterSpec]) -> Status {
    if let RegionError::ReadOnly { primary, .. } = &e {
        let endpoints: Vec<String> = clusters
            .iter()
            .filter(|c| &c.name == primary)
            .flat_map(|c| c.nodes.iter().map(|(_, n)| n.grpc_addr.clone()))
            .collect();
        return Status::failed_precondition(format!(
            "{e} (gRPC endpoints of {primary}: {})",
            endpoints.join(", ")
        ));
    }
    region_status(e)
}

pub(crate) fn region_status(e: RegionError) -> Status {
    let code = match &e {
        RegionError::NoLeader { .. }
        | RegionError::NotLeader { .. }
        | RegionError::Unreachable { .. } => Code::Unavailable,
        RegionError::OutcomeUnknown { .. } => Code::Unavailable,
        RegionError::Timeout { .. } => Code::DeadlineExceeded,
        RegionError::ReadOnly { .. } => Code::FailedPrecondition,
        RegionError::NoLease { .. } | RegionError::Draining { .. } => Code::Unavailable,
        RegionError::LeaseExpired { .. } => Code::Unavailable,
        RegionError::Fatal { .. } => Code::Internal,
    };
    let mut status = Status::new(code, e.to_string());
    let outcome = if e.certainly_not_applied() {
        NOT_APPLIED
    } else {
        MAYBE_APPLIED
    };
    status.metadata_mut().insert(
        WRITE_OUTCOME,
        tonic::metadata::MetadataValue::from_static(outcome),
    );
    status
}

/// The code a Redis error reply maps to.
pub(crate) fn reply_error_code(text: &str) -> Code {
    if text.starts_with("WRONGTYPE") || text.starts_with("READONLY") {
        Code::FailedPrecondition
    } else if text.starts_with("ERR no such key") {
        Code::NotFound
    } else {
        Code::InvalidArgument
    }
}

/// Turns an error reply into a status; passes other replies through.
pub(crate) fn reply_ok(reply: Reply) -> Result<Reply, Status> {
    match reply {
        Reply::Error(text) => Err(Status::new(reply_error_code(&text), text)),
        other => Ok(other),
    }
}

pub(crate) fn unexpected(what: &str, reply: &Reply) -> Status {
    Status::internal(format!("unexpected reply to {what}: {reply:?}"))
}
