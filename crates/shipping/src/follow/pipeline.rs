//! One session's proposals on their way through this cluster's log, oldest first, with what
//! each must show once it completes.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use meridian_region::RegionError;
use meridian_types::{RegionResponse, Seq};

use super::SessionResult;
use crate::error::ShipError;

/// Proposals of one session being committed at once (shipped batches or sync chunks); the
/// secondary's log takes them in order, so a later one never applies before an earlier one.
pub(super) const MAX_IN_FLIGHT: usize = 4;

/// A proposal's outcome once it completes, with what it must show.
pub(super) type Outcome =
    Pin<Box<dyn Future<Output = (Check, Result<RegionResponse, RegionError>)> + Send>>;

/// What a completed proposal must show.
pub(super) enum Check {
    /// Nothing beyond having applied (sync begin, chunks and users).
    Applied,
    /// Shipped ops up to `last` applied, with the primary at `head`.
    Ship { last: Seq, head: Seq },
    /// The full sync to `seq` took.
    SyncEnd { seq: Seq },
}

/// A session's proposals in flight, oldest first, and the full sync being received.
pub(super) struct Pipeline {
    pub(super) sync: Option<(u64, Seq)>,
    pub(super) in_flight: VecDeque<Outcome>,
}

impl Pipeline {
    /// The outcome of the oldest proposal once it completes; pending while none is in
    /// flight. The proposal leaves the queue only once it has completed, so a caller that
    /// stops waiting (a `select!` taking another branch) loses nothing.
    pub(super) async fn next_completed(&mut self) -> (Check, Result<RegionResponse, RegionError>) {
        let Some(oldest) = self.in_flight.front_mut() else {
            return std::future::pending().await;
        };
        let done = oldest.await;
        self.in_flight.pop_front();
        done
    }

    /// Waits until every proposal still in flight has completed (applied or failed), at most
    /// `limit`. A session that ended with proposals in flight would otherwise let the next
    /// session read its position before they apply, and they could then land after the next
    /// session's own proposals (from another source, after a failover).
    pub(super) async fn drain(&mut self, limit: Duration) -> SessionResult {
        let all = async {
            while let Some(outcome) = self.in_flight.pop_front() {
                let _ = outcome.await;
            }
        };
        tokio::time::timeout(limit, all)
            .await
            .map_err(|_| ShipError::Undrained { limit })
    }
}
