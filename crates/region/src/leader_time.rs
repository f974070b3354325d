//! The times a leader stamps on log entries (`now_ms` of writes and of active expiry).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use meridian_storage::SmHandle;
use meridian_types::Clock;

/// The node's wall clock, never behind the newest applied op's time nor the last time this
/// node stamped. A wall clock that steps back, or a new leader whose clock is behind its
/// predecessor's, would otherwise make TTLs and expiry move backwards across entries.
#[derive(Clone)]
pub(crate) struct LeaderTime {
    clock: Clock,
    sm: SmHandle,
    last: Arc<AtomicU64>,
}

impl LeaderTime {
    pub(crate) fn new(clock: Clock, sm: SmHandle) -> LeaderTime {
        LeaderTime {
            clock,
            sm,
            last: Arc::default(),
        }
    }

    /// Unix ms for the next entry: at least every time stamped or applied before.
    pub(crate) fn now_ms(&self) -> u64 {
        let t = self.clock.unix_ms().max(self.sm.last_op_ms());
        self.last.fetch_max(t, Ordering::Relaxed).max(t)
    }
}
