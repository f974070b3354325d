//! The read path: a read barrier makes this node's state fresh enough for the requested
//! consistency (through the read index, here or on the leader), then waits for `min_seq`.

use meridian_types::{ClusterRole, Consistency};
use tokio::sync::oneshot;

use super::RegionGroup;
use crate::forward::forward_read_index;
use crate::read_index::ReadIndexWaiter;
use crate::regroup::Caller;
use crate::{ErrorCause, RegionError};

impl RegionGroup {
    /// Makes this node's state fresh enough for `consistency`, then waits for `min_seq`.
    pub async fn read_barrier(
        &self,
        consistency: Consistency,
        min_seq: u64,
    ) -> Result<(), RegionError> {
        let deadline = tokio::time::Instant::now() + self.opts.request_timeout;
        match consistency {
            Consistency::Local => {}
            Consistency::Linearizable | Consistency::Regional => {
                let leased = consistency == Consistency::Linearizable;
                self.on_leader(
                    || async { self.read_index_for(leased).await.map(|_| ()) },
                    |id, node| async move {
                        let index = forward_read_index(self, id, &node, leased).await?;
                        self.wait_applied(index, deadline).await
                    },
                )
                .await?
            }
        }
        if min_seq > 0 {
            self.wait_seq(min_seq, deadline).await?;
        }
        Ok(())
    }

    /// [`RegionGroup::read_index_as_leader`]; with `leased`, for a linearizable read: on a
    /// primary the leader must hold a valid write lease before and after the round, so a
    /// primary cut off from the coordination group (perhaps already replaced by a failover)
    /// never answers a "linearizable" read from a stale state.
    pub async fn read_index_for(&self, leased: bool) -> Result<u64, RegionError> {
        if !leased {
            return self.read_index_as_leader().await;
        }
        self.lease_gate()?;
        let index = self.read_index_as_leader().await?;
        self.lease_gate()?;
        Ok(index)
    }

    /// Refuses when this node leads a primary without a valid lease (`NoLease`); secondaries
    /// and standalone clusters pass.
    fn lease_gate(&self) -> Result<(), RegionError> {
        // Checked on every linearizable read: look at the role in place, and build the
        // error (which copies names) only when refusing.
        let now = self.clock().now();
        let passes = self.sm.with_role(|role| match role {
            ClusterRole::Primary { epoch, .. } => self.lease.valid(*epoch, now),
            ClusterRole::Draining { .. } => false,
            ClusterRole::Standalone | ClusterRole::Secondary { .. } => true,
        });
        if passes {
            return Ok(());
        }
        match self.write_permission() {
            Err(e @ (RegionError::NoLease { .. } | RegionError::Draining { .. })) => Err(e),
            _ => Ok(()),
        }
    }

    /// Confirms leadership with a quorum and waits until everything committed before is
    /// applied; returns the read index.
    pub async fn read_index_as_leader(&self) -> Result<u64, RegionError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        let (tx, rx) = oneshot::channel();
        let stopped = || RegionError::Fatal {
            cluster: self.cluster.clone(),
            reason: ErrorCause::msg("the group is shutting down"),
        };
        let waiter = ReadIndexWaiter {
            caller: Caller::current(),
            done: tx,
        };
        self.read_indexes.send(waiter).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    async fn wait_applied(
        &self,
        index: u64,
        deadline: tokio::time::Instant,
    ) -> Result<(), RegionError> {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        self.raft
            .wait(Some(left))
            .applied_index_at_least(Some(index), "read index")
            .await
            .map(|_| ())
            .map_err(|_| RegionError::Timeout {
                what: format!("applying log index {index} on node {}", self.node_id),
                waited_ms: self.opts.request_timeout.as_millis() as u64,
            })
    }

    async fn wait_seq(
        &self,
        min_seq: u64,
        deadline: tokio::time::Instant,
    ) -> Result<(), RegionError> {
        let mut rx = self.sm.subscribe_seq();
        let reached = async {
            loop {
                if *rx.borrow_and_update() >= min_seq {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return false;
                }
            }
        };
        match tokio::time::timeout_at(deadline, reached).await {
            Ok(true) => Ok(()),
            _ => Err(RegionError::Timeout {
                what: format!(
                    "cluster {} reaching seq {min_seq} (applied: {})",
                    self.cluster,
                    self.sm.seq()
                ),
                waited_ms: self.opts.request_timeout.as_millis() as u64,
            }),
        }
    }
}
