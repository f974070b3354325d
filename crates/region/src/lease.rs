//! The primary's write lease (DESIGN.md §5, "The lease rule, precisely").
//!
//! While its cluster is the primary of a global datastore, the cluster's leader keeps a lease
//! for the current epoch, renewed through the coordination group (a [`LeaseSource`]). The lease
//! counts from the moment the leader *asked* (`t0`, its own monotonic clock), so it always ends
//! no later than the coordination group believes. Writes are checked against it before they
//! are proposed and again before they are acknowledged.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meridian_types::{ClusterRole, Epoch, Seq};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::RegionGroup;

/// What asking for a lease returned.
pub type LeaseFuture<'a> = Pin<Box<dyn Future<Output = Result<Duration, String>> + Send + 'a>>;

/// Grants leases: in production the coordination group (after its own quorum round), in tests
/// anything that can be cut off.
pub trait LeaseSource: Send + Sync + 'static {
    /// Asks for a lease of `datastore` for `cluster` at `epoch`, reporting the cluster's
    /// applied seq `head_seq`; returns its length.
    fn grant<'a>(
        &'a self,
        datastore: &'a str,
        cluster: &'a str,
        epoch: Epoch,
        head_seq: Seq,
    ) -> LeaseFuture<'a>;
}

/// The lease this node holds, if any.
#[derive(Debug, Default)]
pub(crate) struct LeaseState {
    held: Mutex<Option<(Epoch, Instant)>>,
}

impl LeaseState {
    /// True while a lease for `epoch` runs at `now` (the node's monotonic clock).
    pub(crate) fn valid(&self, epoch: Epoch, now: Instant) -> bool {
        matches!(*self.held.lock().unwrap_or_else(|e| e.into_inner()),
            Some((e, until)) if e == epoch && now < until)
    }

    fn set(&self, epoch: Epoch, until: Instant) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some((epoch, until));
    }

    pub(crate) fn clear(&self) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Renews the lease every third of its length while this node leads a primary cluster.
pub(crate) async fn keep(
    group: Arc<RegionGroup>,
    source: Arc<dyn LeaseSource>,
    cancel: CancellationToken,
) {
    let mut every = Duration::from_millis(200);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let ClusterRole::Primary {
            datastore, epoch, ..
        } = group.role()
        else {
            group.lease().clear();
            continue;
        };
        if !group.is_leader() {
            group.lease().clear();
            continue;
        }
        let t0 = group.clock().now();
        let head_seq = group.sm().seq();
        match source
            .grant(&datastore, group.cluster(), epoch, head_seq)
            .await
        {
            Ok(length) => {
                group.lease().set(epoch, t0 + length);
                every = (length / 3).max(Duration::from_millis(50));
                debug!(cluster = group.cluster(), epoch, ?length, "lease renewed");
            }
            Err(reason) => {
                every = Duration::from_millis(200);
                warn!(cluster = group.cluster(), epoch, %reason, "lease renewal refused or failed");
            }
        }
    }
}
