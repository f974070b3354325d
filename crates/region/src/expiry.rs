//! Active expiry: the leader proposes deletions of keys whose TTL has passed, so every replica
//! deletes them at the same log position; secondary regions receive them as shipped DELs.

use std::sync::Arc;

use meridian_types::RegionRequest;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::group::RegionGroup;

pub(crate) async fn run(group: Arc<RegionGroup>, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(group.options().active_expiry_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        // A secondary never expires keys by itself: the primary's deletions reach it as
        // shipped ops (its reads hide keys past their TTL meanwhile).
        if !group.is_leader() || group.role().is_secondary() || !group.active_expiry() {
            continue;
        }
        // A primary expires keys only under a valid lease: once it may have been replaced,
        // its deletions must not enter its history.
        if group.write_permission().is_err() {
            continue;
        }
        let now_ms = group.leader_now_ms();
        let keys = group
            .sm()
            .expired_keys(now_ms, group.options().active_expiry_batch);
        if keys.is_empty() {
            continue;
        }
        let n = keys.len();
        if let Err(e) = group.propose(RegionRequest::Expire { keys, now_ms }).await {
            debug!(error = %e, "active expiry proposal failed");
        } else {
            debug!(keys = n, "expired keys deleted");
        }
    }
}
