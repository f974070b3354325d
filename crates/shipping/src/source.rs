//! The serving side of one subscription: decide between continuing and a full sync, then send
//! committed ops from the backlog as they are applied, with heartbeats when idle.
//!
//! Everything it sends was applied on this node, so it is committed in the primary cluster.
//! It reads at its own pace: a slow subscriber only makes this task wait on its channel, never
//! the primary's writers; if the subscriber falls out of the backlog it gets a full sync.

use std::sync::Arc;

use bytes::Bytes;
use meridian_keyspace::encode_chunk;
use meridian_region::RegionGroup;
use meridian_types::{on_history, Seq, ShipPosition};
use tokio::sync::mpsc;
use tonic::Status;
use tracing::info;

use crate::options::ShipOptions;
use crate::wire::{frame, Down};

pub(crate) type Out = mpsc::Sender<Result<meridian_proto::internal::ShipFrame, Status>>;

/// The stream's end: the subscriber went away, or the source cannot serve it any longer.
pub(crate) enum Stop {
    Gone,
    Refused(Status),
}

impl From<Status> for Stop {
    fn from(s: Status) -> Self {
        Stop::Refused(s)
    }
}

pub(crate) struct Source {
    pub(crate) group: Arc<RegionGroup>,
    pub(crate) opts: ShipOptions,
    pub(crate) datastore: String,
    pub(crate) out: Out,
    /// Called when a full sync starts and ends (the tracker shows it).
    pub(crate) on_sync: Box<dyn Fn(bool) + Send + Sync>,
}

impl Source {
    /// Serves until the subscriber goes away or this cluster stops being the primary.
    pub(crate) async fn run(self, position: Option<ShipPosition>) -> Stop {
        match self.serve(position).await {
            Ok(never) => match never {},
            Err(stop) => {
                if let Stop::Refused(s) = &stop {
                    let _ = self.out.send(Err(s.clone())).await;
                }
                stop
            }
        }
    }

    async fn serve(
        &self,
        position: Option<ShipPosition>,
    ) -> Result<std::convert::Infallible, Stop> {
        let sm = self.group.sm();
        let mut next = match position.filter(|p| self.can_continue(*p)) {
            Some(p) => p.seq + 1,
            None => self.full_sync().await? + 1,
        };
        let mut seq_rx = sm.subscribe_seq();
        let mut heartbeat = tokio::time::interval(self.opts.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.check_role()?;
            let ops = sm
                .backlog_range(next, self.opts.batch_bytes)
                .map_err(|e| Status::internal(format!("reading the replication backlog: {e}")))?;
            match ops.first() {
                None => {
                    tokio::select! {
                        changed = seq_rx.changed() => {
                            if changed.is_err() {
                                return Err(Status::unavailable("the source node is stopping").into());
                            }
                        }
                        _ = heartbeat.tick() => {
                            let head_seq = sm.seq();
                            let history = sm.history();
                            self.send(&Down::Heartbeat { head_seq, history }).await?;
                        }
                        _ = self.out.closed() => return Err(Stop::Gone),
                    }
                }
                Some(first) if first.seq != next => {
                    info!(
                        next,
                        oldest = first.seq,
                        "subscriber fell out of the replication backlog; full sync"
                    );
                    next = self.full_sync().await? + 1;
                }
                Some(first) => {
                    let age_ms = sm
                        .applied_at(first.seq)
                        .map_or(0, |t| t.elapsed().as_millis() as u64);
                    next = ops.last().map_or(next, |op| op.seq + 1);
                    let msg = Down::Ops {
                        head_seq: sm.seq(),
                        history: sm.history(),
                        age_ms,
                        ops,
                    };
                    self.send(&msg).await?;
                    heartbeat.reset();
                }
            }
        }
    }

    /// The subscriber's position is on this cluster's history and its next op is still in the
    /// backlog (or it is already at the head).
    fn can_continue(&self, p: ShipPosition) -> bool {
        let sm = self.group.sm();
        let head = sm.seq();
        if !on_history(&sm.history(), head, p) {
            return false;
        }
        if p.seq == head {
            return true;
        }
        matches!(sm.backlog_first_seq(), Ok(Some(first)) if first <= p.seq + 1)
    }

    fn check_role(&self) -> Result<(), Stop> {
        match self.group.role() {
            role if role.primary_of() == Some(self.datastore.as_str()) => Ok(()),
            role => Err(Status::failed_precondition(format!(
                "cluster {} is no longer the primary of {} (its role is {})",
                self.group.cluster(),
                self.datastore,
                role.name()
            ))
            .into()),
        }
    }

    async fn send(&self, msg: &Down) -> Result<(), Stop> {
        let f = frame(msg)?;
        self.out.send(Ok(f)).await.map_err(|_| Stop::Gone)
    }

    /// Sends a consistent image of the keyspace and the ACL users, and returns its seq.
    async fn full_sync(&self) -> Result<Seq, Stop> {
        self.check_role()?;
        (self.on_sync)(true);
        let sm = self.group.sm().clone();
        let (seq, history, dbs, users) = tokio::task::spawn_blocking(move || sm.sync_image())
            .await
            .map_err(|e| Status::internal(format!("taking the sync image: {e}")))?;
        info!(seq, keys = dbs.len(), "full sync: sending the image");
        self.send(&Down::SyncBegin {
            seq,
            history,
            keys: dbs.len() as u64,
        })
        .await?;
        self.send_chunks(dbs).await?;
        let users = bincode::serialize(&users)
            .map_err(|e| Status::internal(format!("encoding the sync users: {e}")))?;
        self.send(&Down::SyncUsers(Bytes::from(users))).await?;
        self.send(&Down::SyncEnd).await?;
        (self.on_sync)(false);
        Ok(seq)
    }

    /// Sends the records of `dbs` in chunks of about `sync_chunk_bytes` (on a blocking
    /// thread: encoding walks every key).
    async fn send_chunks(&self, dbs: meridian_keyspace::Databases) -> Result<(), Stop> {
        let out = self.out.clone();
        let chunk_bytes = self.opts.sync_chunk_bytes;
        let sent = tokio::task::spawn_blocking(move || -> Result<(), Stop> {
            let mut part = Vec::new();
            let mut size = 0u64;
            let flush = |part: &mut Vec<_>| -> Result<(), Stop> {
                let chunk = encode_chunk(part)
                    .map_err(|e| Status::internal(format!("encoding a sync chunk: {e}")))?;
                part.clear();
                let f = frame(&Down::SyncChunk(Bytes::from(chunk)))?;
                out.blocking_send(Ok(f)).map_err(|_| Stop::Gone)
            };
            for (db, key, entry) in dbs.into_raw_entries() {
                size += key.len() as u64 + bincode_size(&entry);
                part.push((db, key, entry));
                if size >= chunk_bytes {
                    flush(&mut part)?;
                    size = 0;
                }
            }
            if !part.is_empty() {
                flush(&mut part)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| Status::internal(format!("sending the sync image: {e}")))?;
        sent
    }
}

fn bincode_size(entry: &meridian_keyspace::Entry) -> u64 {
    bincode::serialized_size(entry).unwrap_or(64)
}
