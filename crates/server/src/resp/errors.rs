//! `RegionError` → RESP error text, in this one place.
//!
//! Redis clients retry `TRYAGAIN` (redis-py and the Rust `redis` crate know it from Redis
//! Cluster), so every failure that certainly changed nothing uses it; a write whose fate is
//! unknown says so in an `ERR`, never pretending it failed or succeeded.

use meridian_region::RegionError;
use meridian_types::Reply;

/// The reply for a failed write (or the write half of an EXEC).
pub(crate) fn write_error(err: &RegionError) -> Reply {
    match err {
        RegionError::NoLeader { .. }
        | RegionError::NotLeader { .. }
        | RegionError::NoLease { .. }
        | RegionError::Draining { .. } => tryagain(err),
        // Exactly what a Redis replica answers, so clients recognise it.
        RegionError::ReadOnly { .. } => Reply::error(meridian_types::READONLY_ERROR),
        RegionError::LeaseExpired { .. } => Reply::Error(format!("ERR {err}")),
        RegionError::OutcomeUnknown { cluster } => Reply::Error(format!(
            "ERR leadership of cluster {cluster} changed while the write was in flight; it may or may not have been applied"
        )),
        RegionError::Timeout { .. } | RegionError::Unreachable { .. } => Reply::Error(format!(
            "ERR {err}; the write may or may not have been applied"
        )),
        RegionError::Fatal { .. } => Reply::Error(format!("ERR {err}")),
    }
}

/// The reply for a failed read barrier (reads never change anything, so all but a fatal
/// error are worth retrying).
pub(crate) fn read_error(err: &RegionError) -> Reply {
    match err {
        RegionError::Fatal { .. } => Reply::Error(format!("ERR {err}")),
        _ => tryagain(err),
    }
}

fn tryagain(err: &RegionError) -> Reply {
    Reply::Error(format!("TRYAGAIN {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_written_is_tryagain_and_unknown_outcome_says_so() {
        let no_leader = RegionError::NoLeader {
            cluster: "c1".into(),
        };
        let Reply::Error(text) = write_error(&no_leader) else {
            panic!("not an error")
        };
        assert!(text.starts_with("TRYAGAIN "), "{text}");
        let unknown = RegionError::OutcomeUnknown {
            cluster: "c1".into(),
        };
        let Reply::Error(text) = write_error(&unknown) else {
            panic!("not an error")
        };
        assert!(
            text.starts_with("ERR ") && text.contains("may or may not"),
            "{text}"
        );
        let timeout = RegionError::Timeout {
            what: "x".into(),
            waited_ms: 5,
        };
        let Reply::Error(text) = read_error(&timeout) else {
            panic!("not an error")
        };
        assert!(text.starts_with("TRYAGAIN "), "{text}");
    }
}
