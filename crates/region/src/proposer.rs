//! Gathers concurrent client writes into one Raft entry.
//!
//! openraft appends, flushes and replicates every client_write as its own entry; under load
//! that is one fsync and one replication round per client. The proposer queues writes while up
//! to `MAX_IN_FLIGHT` entries are being committed and proposes everything queued as the next
//! entry, so the batch grows with the load and a lone write still goes out at once.
//! Entries are submitted in arrival order (`client_write_ff` from this one task), so writes are
//! ordered as they arrived.

use std::sync::Arc;

use bytes::Bytes;
use meridian_types::{RegionRaft, RegionRequest, WriteBatch, WriteResult};
use openraft::error::ClientWriteError;
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::leader_time::LeaderTime;
use tokio_util::sync::CancellationToken;

use crate::RegionError;

/// Entries being committed at once.
const MAX_IN_FLIGHT: usize = 1;
/// Client batches per entry at most.
const MAX_BATCHES: usize = 1024;
/// Approximate payload bytes per entry at most (a single larger write still goes alone).
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

type Done = oneshot::Sender<Result<WriteResult, RegionError>>;

pub(crate) struct Proposal {
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
        let mut bytes = size_of(&first.commands);
        let mut gathered = vec![first];
        while gathered.len() < MAX_BATCHES {
            match rx.try_recv() {
                Ok(p) => {
                    let size = size_of(&p.commands);
                    if bytes + size > MAX_ENTRY_BYTES {
                        carry = Some(p);
                        break;
                    }
                    bytes += size;
                    gathered.push(p);
                }
                Err(_) => break,
            }
        }
        let now_ms = time.now_ms();
        let mut batches = Vec::with_capacity(gathered.len());
        let mut waiters = Vec::with_capacity(gathered.len());
        for p in gathered {
            batches.push(WriteBatch {
                db: p.db,
                commands: p.commands,
                now_ms,
                seed: rand::random(),
                watched: p.watched,
            });
            waiters.push(p.done);
        }
        let outcome = raft.client_write_ff(RegionRequest::Write(batches)).await;
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let result = match outcome {
                Ok(rx) => rx.await.map_err(|_| RegionError::OutcomeUnknown {
                    cluster: cluster.clone(),
                }),
                Err(fatal) => {
                    return fail_all(
                        waiters,
                        RegionError::Fatal {
                            cluster,
                            reason: fatal.to_string(),
                        },
                    )
                }
            };
            drop(permit);
            match result {
                Ok(Ok(resp)) => {
                    let mut results = resp.data.results.into_iter();
                    for w in waiters {
                        let r = results.next().ok_or_else(|| RegionError::Fatal {
                            cluster: cluster.clone(),
                            reason: "an applied entry returned fewer results than batches".into(),
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
                        reason: e.to_string(),
                    },
                ),
            }
        });
    }
}

fn fail_all(waiters: Vec<Done>, e: RegionError) {
    for w in waiters {
        let _ = w.send(Err(e.clone()));
    }
}
