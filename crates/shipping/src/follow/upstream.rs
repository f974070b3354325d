//! One session's subscription to a node of the primary: reading what it sends, and gathering
//! shipped ops that already arrived into one proposal.

use std::time::Duration;

use futures::{FutureExt, StreamExt};
use meridian_proto::internal::ShipFrame;
use meridian_types::{BacklogOp, HistoryMark, NodeId, Seq};
use tokio::sync::mpsc;
use tonic::Streaming;

use super::SessionResult;
use crate::error::ShipError;
use crate::wire::{unframe, Down};

/// A subscription open to one node of the primary cluster.
pub(super) struct Upstream {
    pub(super) source: String,
    pub(super) node: NodeId,
    pub(super) up: mpsc::Sender<ShipFrame>,
    pub(super) down: Streaming<ShipFrame>,
}

/// Shipped ops gathered into one proposal, with the newest history and head seq that came
/// with them.
pub(super) struct Batch {
    pub(super) ops: Vec<BacklogOp>,
    pub(super) history: Vec<HistoryMark>,
    pub(super) head_seq: Seq,
}

impl Upstream {
    /// The next message from the primary, or why none came within `idle`.
    pub(super) async fn next(&mut self, idle: Duration) -> Result<Down, ShipError> {
        match tokio::time::timeout(idle, self.down.next()).await {
            Err(_) => Err(ShipError::Silent {
                node: self.node,
                cluster: self.source.clone(),
            }),
            Ok(None) => Err(ShipError::StreamEnded {
                node: self.node,
                cluster: self.source.clone(),
            }),
            Ok(Some(Err(status))) => Err(ShipError::Refused {
                node: self.node,
                cluster: self.source.clone(),
                status,
            }),
            Ok(Some(Ok(f))) => unframe::<Down>(&f).map_err(ShipError::Decode),
        }
    }

    /// Adds to `batch` the ops and heartbeats that already arrived (without waiting), until
    /// the added ops reach `max_bytes`. A sync message among them ends the session. An error
    /// or the end of the stream stops the gathering and is dropped here; the next read finds
    /// what the stream does after it.
    pub(super) fn coalesce(&mut self, batch: &mut Batch, max_bytes: u64) -> SessionResult {
        let mut bytes = 0u64;
        while bytes < max_bytes {
            let Some(Some(Ok(f))) = self.down.next().now_or_never() else {
                break;
            };
            match unframe::<Down>(&f).map_err(ShipError::Decode)? {
                Down::Ops {
                    ops,
                    history,
                    head_seq,
                    ..
                } => {
                    bytes += ops
                        .iter()
                        .map(|o| o.argv.iter().map(|a| a.len() as u64).sum::<u64>())
                        .sum::<u64>();
                    batch.ops.extend(ops);
                    batch.history = history;
                    batch.head_seq = head_seq;
                }
                Down::Heartbeat { head_seq, .. } => {
                    batch.head_seq = batch.head_seq.max(head_seq);
                }
                _ => return Err(ShipError::SyncAmidOps),
            }
        }
        Ok(())
    }
}
