//! How a gRPC error tells a client whether its write may have happened.

/// Trailer key on every error status of a write: [`NOT_APPLIED`] when the write certainly did
/// not happen (retrying is safe), [`MAYBE_APPLIED`] when it may have (a retry may apply it
/// twice). The status code alone cannot say: `UNAVAILABLE` covers both "no leader" and
/// "leader lost mid-write".
pub const WRITE_OUTCOME: &str = "meridian-write-outcome";
pub const NOT_APPLIED: &str = "not-applied";
pub const MAYBE_APPLIED: &str = "maybe-applied";
