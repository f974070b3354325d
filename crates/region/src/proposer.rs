//! Gathers concurrent client writes into one Raft entry.
//!
//! openraft appends, flushes and replicates every client_write as its own entry; under load
//! that is one fsync and one replication round per client. The proposer queues writes while up
//! to `MAX_IN_FLIGHT` entries are being committed and proposes everything queued as the next
//! entry, so the batch grows with the load and a lone write still goes out at once. Right after
//! an entry is answered it waits a moment for the writers it answered (`crate::regroup`), so
//! that writers in a loop share one entry.
//! Entries are submitted in arrival order (`client_write_ff` from this one task), so writes are
//! ordered as they arrived.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use meridian_types::{
    Node, NodeId, RegionRaft, RegionRequest, RegionTypeConfig, WriteBatch, WriteResult,
};
use openraft::error::ClientWriteError;
use openraft::raft::ClientWriteResponse;
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::leader_time::LeaderTime;
use crate::regroup::{Answered, Caller, Queued, Regrouper, Round};
use tokio_util::sync::CancellationToken;

use crate::{ErrorCause, RegionError};

/// Entries being committed at once.
const MAX_IN_FLIGHT: usize = 1;
/// Client batches per entry at most.
const MAX_BATCHES: usize = 1024;
/// Approximate payload bytes per entry at most (a single larger write still goes alone).
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

type Done = oneshot::Sender<Result<WriteResult, RegionError>>;

pub(crate) struct Proposal {
    pub(crate) caller: Caller,
    pub(crate) db: u32,
    pub(crate) commands: Vec<Vec<Bytes>>,
    pub(crate) watched: Vec<meridian_types::WatchedKey>,
    pub(crate) done: Done,
}

fn size_of(commands: &[Vec<Bytes>]) -> usize {
    commands.iter().flatten().map(|a| a.len() + 8).sum()
}

pub(crate) async fn run(
    raft: RegionRaft,
    cluster: String,
    time: LeaderTime,
    mut rx: mpsc::UnboundedReceiver<Proposal>,
    cancel: CancellationToken,
) {
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let last_entry = Arc::new(Mutex::new(None));
    let mut regrouper = Regrouper::default();
    let mut carry: Option<Proposal> = None;
    loop {
        let first = match carry.take() {
            Some(p) => p,
            None => tokio::select! {
                _ = cancel.cancelled() => return,
                p = rx.recv() => match p { Some(p) => p, None => return },
            },
        };
        let permit = tokio::select! {
            _ = cancel.cancelled() => return,
            p = in_flight.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
        };
        let answered = last_entry.lock().unwrap_or_else(|e| e.into_inner()).take();
        let mut gathered = Gathered::new(first);
        carry = regrouper
            .fill(&mut gathered, &mut rx, answered.as_ref())
            .await;
        let callers = gathered.proposals.iter().map(|p| p.caller.task).collect();
        let (batches, waiters) = gathered.into_entry(time.now_ms());
        let outcome = raft.client_write_ff(RegionRequest::Write(batches)).await;
        let (cluster, last_entry) = (cluster.clone(), last_entry.clone());
        tokio::spawn(async move {
            let result = match outcome {
                Ok(rx) => rx.await.map_err(|_| RegionError::OutcomeUnknown {
                    cluster: cluster.clone(),
                }),
                Err(fatal) => {
                    let reason = ErrorCause::new(fatal);
                    return fail_all(waiters, RegionError::Fatal { cluster, reason });
                }
            };
            *last_entry.lock().unwrap_or_else(|e| e.into_inner()) = Some(Answered {
                at: tokio::time::Instant::now(),
                callers,
            });
            drop(permit);
            deliver(cluster, waiters, result);
        });
    }
}

/// The proposals going into the next entry.
struct Gathered {
    proposals: Vec<Proposal>,
    bytes: usize,
}

impl Gathered {
    fn new(first: Proposal) -> Gathered {
        Gathered {
            bytes: size_of(&first.commands),
            proposals: vec![first],
        }
    }

    fn into_entry(self, now_ms: u64) -> (Vec<WriteBatch>, Vec<Done>) {
        self.proposals
            .into_iter()
            .map(|p| {
                let batch = WriteBatch {
                    db: p.db,
                    commands: p.commands,
                    now_ms,
                    seed: rand::random(),
                    watched: p.watched,
                };
                (batch, p.done)
            })
            .unzip()
    }
}

type Outcome = Result<
    Result<ClientWriteResponse<RegionTypeConfig>, ClientWriteError<NodeId, Node>>,
    RegionError,
>;

impl Queued for Proposal {
    fn caller(&self) -> Caller {
        self.caller
    }
}

impl Round for Gathered {
    type Item = Proposal;

    fn items(&self) -> &[Proposal] {
        &self.proposals
    }

    fn add(&mut self, p: Proposal) -> Option<Proposal> {
        let size = size_of(&p.commands);
        if self.proposals.len() >= MAX_BATCHES || self.bytes + size > MAX_ENTRY_BYTES {
            return Some(p);
        }
        self.bytes += size;
        self.proposals.push(p);
        None
    }
}

/// Hands each waiter its batch's result.
fn deliver(cluster: String, waiters: Vec<Done>, result: Outcome) {
    match result {
        Ok(Ok(resp)) => {
            let mut results = resp.data.results.into_iter();
            for w in waiters {
                let r = results.next().ok_or_else(|| RegionError::Fatal {
                    cluster: cluster.clone(),
                    reason: ErrorCause::msg("an applied entry returned fewer results than batches"),
                });
                let _ = w.send(r);
            }
        }
        Ok(Err(ClientWriteError::ForwardToLeader(_))) | Err(_) => {
            fail_all(waiters, RegionError::OutcomeUnknown { cluster });
        }
        Ok(Err(e)) => fail_all(
            waiters,
            RegionError::Fatal {
                cluster,
                reason: ErrorCause::new(e),
            },
        ),
    }
}

fn fail_all(waiters: Vec<Done>, e: RegionError) {
    for w in waiters {
        let _ = w.send(Err(e.clone()));
    }
}
