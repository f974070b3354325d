//! The primary's write lease (DESIGN.md §5, "The lease rule, precisely"), and its hand-off to
//! a new regional leader.
//!
//! While its cluster is the primary of a global datastore, the cluster's leader keeps a lease
//! for the current epoch, renewed through the coordination group (a [`LeaseSource`]). The lease
//! counts from the moment the leader *asked* (`t0`, its own monotonic clock), so it always ends
//! no later than the coordination group believes. Writes are checked against it before they
//! are proposed and again before they are acknowledged.
//!
//! # Hand-off: followers inherit the lease
//!
//! A new regional leader would otherwise hold no lease until the coordination group grants
//! one, which takes a coordination election when the old leader also led that group. So
//! every renewal also hands the lease to the followers (`lease_share`):
//!
//! 1. Before taking `t0`, the leader probes its followers in parallel (waiting at most a
//!    heartbeat interval, never for stragglers); follower `i` notes its own monotonic time
//!    `s_i` under a probe id and answers.
//! 2. Only answers that arrived before `t0` count. On a grant of length `D` for epoch `E`, the
//!    leader tells each of those followers "probe `P_i` → lease `(E, D)`"; the follower
//!    inherits `(E, s_i + D)`, keeping only the lease of its newest probe.
//! 3. A node that becomes leader adopts its inherited lease if the cluster's role is primary
//!    of that same epoch and it still runs, and asks for a fresh lease at once; then renews as
//!    before. Writes, expiry and linearizable reads check [`LeaseState::valid`] exactly as
//!    before: adopting only sets it.
//!
//! # Why an inherited lease is safe
//!
//! The coordination group promotes another cluster only `D × (1 + ε) + margin` after the
//! promoter saw the newest lease record, which is after every grant ever acknowledged was
//! stamped (`meridian-coord`'s `grants_seen.rs`). The leader's own lease is safe because `t0`
//! precedes the stamp. The inherited one is safe for the same reason:
//!
//! - **`s_i` precedes `t0`, hence the stamp.** The follower notes `s_i` before its answer
//!   leaves; the leader takes `t0` after that answer arrived (answers arriving later are
//!   dropped, never confirmed); the grant is stamped after the request sent after `t0`
//!   arrived. Each step is cause and effect, so the order holds in real time whatever the
//!   clocks say. One renewal pairs the answers it collected with the grant it asked for
//!   afterwards; a refused or failed grant confirms nothing.
//! - **Drift is covered by `ε`.** The follower counts `D` on its own monotonic clock from a
//!   moment before the stamp; `ε` bounds the rate difference between any two nodes' clocks
//!   (`coord.clock_drift_bound`), so `D` on the follower's clock ends before `D × (1 + ε)`
//!   on the coordination leader's clock from the stamp. A clock that jumps forward only ends
//!   the lease sooner.
//! - **A stale confirm never extends a lease.** The lease always ends at `s_i + D` for the
//!   `s_i` of the probe named, however late the confirm comes. A confirm for a probe no newer
//!   than the one already inherited is ignored, so a repeated confirm with a larger `D` does
//!   nothing. Probe ids are made by the answering process (a random incarnation and a
//!   counter), so a confirm meant for another node, or sent before a restart, names nothing.
//!   Inherited leases live in memory only: a restarted node inherits nothing.
//! - **The lease is per epoch.** Epochs are never reused (not across datastores), a
//!   confirm carries the grant's epoch, and a lease is adopted only when the role's epoch is
//!   that epoch, so a lease of an epoch whose cluster was replaced never authorises writes
//!   in another. A role change already in the log but not yet applied by the new leader is
//!   harmless: writes proposed after it are refused when applied (`Draining`, `Secondary`).
//!
//! Inside the cluster nothing changes: the lease keeps clusters apart, Raft keeps the
//! cluster's nodes in one history.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meridian_types::{ClusterRole, Epoch, Node, NodeId, Seq};
use openraft::RaftMetrics;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::lease_share::{confirm_followers, probe_followers};
use crate::RegionGroup;

/// How soon the lease loop looks again when it has no lease to renew or a renewal failed.
const RETRY: Duration = Duration::from_millis(200);

/// What asking for a lease returned.
pub type LeaseFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Duration, LeaseRefused>> + Send + 'a>>;

/// Why a lease was not granted: the source's own error.
pub type LeaseRefused = Box<dyn std::error::Error + Send + Sync>;

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
        matches!(*self.lock(), Some((e, until)) if e == epoch && now < until)
    }

    /// When the lease for `epoch` ends, while it runs at `now`.
    pub(crate) fn until(&self, epoch: Epoch, now: Instant) -> Option<Instant> {
        match *self.lock() {
            Some((e, until)) if e == epoch && now < until => Some(until),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Epoch, Instant)>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, epoch: Epoch, until: Instant) {
        *self.lock() = Some((epoch, until));
    }

    /// Holds the lease of `epoch` until `until` unless it already holds that epoch's lease
    /// for longer (both ends are proven; the later one stands).
    fn adopt(&self, epoch: Epoch, until: Instant) {
        let mut held = self.lock();
        if !matches!(*held, Some((e, u)) if e == epoch && u >= until) {
            *held = Some((epoch, until));
        }
    }

    pub(crate) fn clear(&self) {
        *self.lock() = None;
    }
}

/// Keeps the lease while this node leads a primary cluster: adopts the inherited lease and
/// asks for a fresh one as soon as it is elected, then renews every third of the length.
pub(crate) async fn keep(
    group: Arc<RegionGroup>,
    source: Arc<dyn LeaseSource>,
    cancel: CancellationToken,
) {
    let mut metrics = group.raft().metrics();
    let mut leading = false;
    let mut every = RETRY;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = nap(&group, every, leading, &mut metrics) => {}
        }
        let now_leading = group.is_leader();
        let elected = now_leading && !leading;
        leading = now_leading;
        let ClusterRole::Primary {
            datastore, epoch, ..
        } = group.role()
        else {
            group.lease().clear();
            every = RETRY;
            continue;
        };
        if !leading {
            group.lease().clear();
            every = RETRY;
            continue;
        }
        if elected {
            adopt_inherited(&group, epoch);
        }
        every = renew(&group, source.as_ref(), &datastore, epoch).await;
    }
}

/// Sleeps `every`, returning early when this node starts or stops leading.
async fn nap(
    group: &RegionGroup,
    every: Duration,
    leading: bool,
    metrics: &mut tokio::sync::watch::Receiver<RaftMetrics<NodeId, Node>>,
) {
    let timer = tokio::time::sleep(every);
    tokio::pin!(timer);
    loop {
        tokio::select! {
            _ = &mut timer => return,
            changed = metrics.changed() => {
                if changed.is_err() {
                    // Raft stopped; the caller is about to be cancelled.
                    timer.await;
                    return;
                }
                if group.is_leader() != leading {
                    return;
                }
            }
        }
    }
}

/// A new leader takes over the lease it inherited, if it is for the role's epoch and runs.
/// The lease loop does it on election; the write path too, when a write arrives first.
pub(crate) fn adopt_inherited(group: &RegionGroup, epoch: Epoch) {
    let now = group.clock().now();
    if let Some(until) = group.inherited_lease().valid_until(epoch, now) {
        group.lease().adopt(epoch, until);
        info!(
            cluster = group.cluster(),
            epoch,
            left = ?until.saturating_duration_since(now),
            "elected leader: adopted the lease inherited from the previous leader"
        );
    }
}

/// One renewal: probe the followers (unless the lease has run out and the grant is urgent),
/// take `t0`, ask for the grant, hand it to the followers that answered. Returns the wait
/// before the next one.
async fn renew(
    group: &Arc<RegionGroup>,
    source: &dyn LeaseSource,
    datastore: &str,
    epoch: Epoch,
) -> Duration {
    let urgent = !group.lease().valid(epoch, group.clock().now());
    let wait = group.options().heartbeat_interval;
    let answered = if urgent {
        Vec::new()
    } else {
        probe_followers(group, wait).await
    };
    // Every answer counted above arrived before this instant (see the module docs).
    let t0 = group.clock().now();
    let head_seq = group.sm().seq();
    match source
        .grant(datastore, group.cluster(), epoch, head_seq)
        .await
    {
        Ok(length) => {
            group.lease().set(epoch, t0 + length);
            debug!(epoch, ?length, followers = answered.len(), "lease renewed");
            confirm_followers(group, answered, epoch, length, wait).await;
            if urgent && group.lease().valid(epoch, group.clock().now()) {
                // The followers heard of no lease from this leader yet: hand one over now.
                Duration::ZERO
            } else {
                (length / 3).max(Duration::from_millis(50))
            }
        }
        Err(reason) => {
            warn!(epoch, %reason, "lease renewal refused or failed");
            RETRY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopting_keeps_the_later_end_of_the_same_epoch() {
        let lease = LeaseState::default();
        let now = Instant::now();
        let s = Duration::from_secs(1);
        lease.adopt(3, now + s);
        assert!(lease.valid(3, now));
        assert!(!lease.valid(3, now + s), "ends at the adopted end");
        assert!(!lease.valid(4, now), "only for its epoch");
        lease.adopt(3, now + s / 2);
        assert!(
            lease.valid(3, now + s / 2),
            "an earlier end does not shorten it"
        );
        lease.adopt(4, now + s / 2);
        assert!(
            lease.valid(4, now) && !lease.valid(3, now),
            "another epoch replaces it"
        );
    }
}
