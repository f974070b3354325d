//! Coalesces linearizable reads on the leader: every reader waiting when a round starts shares
//! that round's `ensure_linearizable` (one quorum heartbeat), and readers arriving during a
//! round wait for the next one, so each read index is taken after its reader arrived. Right
//! after a round is answered it waits a moment for the readers it answered
//! (`crate::regroup`), so that readers in a loop share one round.

use meridian_types::RegionRaft;
use openraft::error::RaftError;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::regroup::{Answered, Caller, Queued, Regrouper, Round};
use crate::{ErrorCause, RegionError};

/// A reader waiting for a read index.
pub(crate) struct ReadIndexWaiter {
    pub(crate) caller: Caller,
    pub(crate) done: oneshot::Sender<Result<u64, RegionError>>,
}

impl Queued for ReadIndexWaiter {
    fn caller(&self) -> Caller {
        self.caller
    }
}

/// The readers of one round (any number share it).
struct Readers(Vec<ReadIndexWaiter>);

impl Round for Readers {
    type Item = ReadIndexWaiter;

    fn items(&self) -> &[ReadIndexWaiter] {
        &self.0
    }

    fn add(&mut self, item: ReadIndexWaiter) -> Option<ReadIndexWaiter> {
        self.0.push(item);
        None
    }
}

pub(crate) async fn run(
    raft: RegionRaft,
    cluster: String,
    node: u64,
    mut rx: mpsc::UnboundedReceiver<ReadIndexWaiter>,
    cancel: CancellationToken,
) {
    let mut regrouper = Regrouper::default();
    let mut answered = None;
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            w = rx.recv() => match w { Some(w) => w, None => return },
        };
        // Let the connections that are ready to run queue their reads first: one quorum round
        // then serves them all, which costs the followers far less than a round each.
        tokio::task::yield_now().await;
        let mut readers = Readers(vec![first]);
        regrouper
            .fill(&mut readers, &mut rx, answered.take().as_ref())
            .await;
        let result = read_index(&raft, &cluster, node).await;
        answered = Some(Answered::now(&readers.0));
        for w in readers.0 {
            let _ = w.done.send(result.clone());
        }
    }
}

async fn read_index(raft: &RegionRaft, cluster: &str, node: u64) -> Result<u64, RegionError> {
    match raft.ensure_linearizable().await {
        Ok(log_id) => Ok(log_id.map(|l| l.index).unwrap_or(0)),
        Err(RaftError::APIError(_)) => Err(RegionError::NotLeader {
            cluster: cluster.to_string(),
            node,
            leader: raft.metrics().borrow().current_leader,
        }),
        Err(e) => Err(RegionError::Fatal {
            cluster: cluster.to_string(),
            reason: ErrorCause::new(e),
        }),
    }
}
