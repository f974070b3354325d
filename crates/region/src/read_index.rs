//! Coalesces linearizable reads on the leader: every reader waiting when a round starts shares
//! that round's `ensure_linearizable` (one quorum heartbeat), and readers arriving during a
//! round wait for the next one, so each read index is taken after its reader arrived.

use meridian_types::RegionRaft;
use openraft::error::RaftError;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::RegionError;

pub(crate) type ReadIndexWaiter = oneshot::Sender<Result<u64, RegionError>>;

pub(crate) async fn run(
    raft: RegionRaft,
    cluster: String,
    node: u64,
    mut rx: mpsc::UnboundedReceiver<ReadIndexWaiter>,
    cancel: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            w = rx.recv() => match w { Some(w) => w, None => return },
        };
        // Let the connections that are ready to run queue their reads first: one quorum round
        // then serves them all, which costs the followers far less than a round each.
        tokio::task::yield_now().await;
        let mut waiters = vec![first];
        while let Ok(w) = rx.try_recv() {
            waiters.push(w);
        }
        let result = match raft.ensure_linearizable().await {
            Ok(log_id) => Ok(log_id.map(|l| l.index).unwrap_or(0)),
            Err(RaftError::APIError(_)) => Err(RegionError::NotLeader {
                cluster: cluster.clone(),
                node,
                leader: raft.metrics().borrow().current_leader,
            }),
            Err(e) => Err(RegionError::Fatal {
                cluster: cluster.clone(),
                reason: e.to_string(),
            }),
        };
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
}
