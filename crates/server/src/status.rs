//! The one place where Meridian errors become gRPC statuses.

use meridian_region::RegionError;
use meridian_types::Reply;
use tonic::{Code, Status};

pub(crate) fn region_status(e: RegionError) -> Status {
    let code = match &e {
        RegionError::NoLeader { .. }
        | RegionError::NotLeader { .. }
        | RegionError::Unreachable { .. } => Code::Unavailable,
        RegionError::OutcomeUnknown { .. } => Code::Unavailable,
        RegionError::Timeout { .. } => Code::DeadlineExceeded,
        RegionError::Fatal { .. } => Code::Internal,
    };
    Status::new(code, e.to_string())
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
