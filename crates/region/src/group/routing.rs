//! Routing to the leader: a request runs here when this node leads the group and is
//! forwarded to the leader otherwise; an attempt that provably wrote nothing is retried after
//! a leader change, until the request timeout.

use std::future::Future;
use std::time::Duration;

use meridian_types::{Node, NodeId};
use openraft::ServerState;

use super::RegionGroup;
use crate::RegionError;

impl RegionGroup {
    /// Runs `local` when this node leads the group and `remote` (with the leader's id and
    /// address) otherwise; while the error proves nothing happened (no leader, not the
    /// leader) it waits for a leader change and tries again, until the request timeout.
    pub(super) async fn on_leader<T, L, LF, R, RF>(
        &self,
        mut local: L,
        mut remote: R,
    ) -> Result<T, RegionError>
    where
        L: FnMut() -> LF,
        LF: Future<Output = Result<T, RegionError>>,
        R: FnMut(NodeId, Node) -> RF,
        RF: Future<Output = Result<T, RegionError>>,
    {
        let deadline = tokio::time::Instant::now() + self.opts.request_timeout;
        loop {
            let attempt = if self.is_leader() {
                local().await
            } else {
                match self.leader() {
                    Some((id, node)) if id != self.node_id => remote(id, node).await,
                    _ => Err(RegionError::NoLeader {
                        cluster: self.cluster.clone(),
                    }),
                }
            };
            match attempt {
                Err(e) if e.awaits_leader() && tokio::time::Instant::now() < deadline => {
                    self.wait_for_leader_change(deadline).await;
                }
                other => return other,
            }
        }
    }

    pub(super) fn not_leader(&self) -> RegionError {
        RegionError::NotLeader {
            cluster: self.cluster.clone(),
            node: self.node_id,
            leader: self.raft.metrics().borrow().current_leader,
        }
    }

    async fn wait_for_leader_change(&self, deadline: tokio::time::Instant) {
        let before = self.raft.metrics().borrow().current_leader;
        let mut rx = self.raft.metrics();
        let wait = async {
            loop {
                if rx.changed().await.is_err() {
                    return;
                }
                let m = rx.borrow().clone();
                if m.current_leader.is_some() && m.current_leader != before {
                    return;
                }
                if m.current_leader.is_some() && m.state == ServerState::Leader {
                    return;
                }
            }
        };
        // Also re-check periodically: the leader may be known but unreachable for a moment.
        let nap = deadline.min(tokio::time::Instant::now() + Duration::from_millis(50));
        tokio::select! {
            _ = wait => {}
            _ = tokio::time::sleep_until(nap) => {}
        }
    }
}
