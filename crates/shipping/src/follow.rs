//! The subscribing side: on the leader of a secondary cluster, follow the primary cluster and
//! propose what it ships into this cluster's own Raft log.
//!
//! Every session starts from the committed position (after a read index, so the new leader
//! has applied everything its predecessor committed). Apply rules make a repeat harmless and
//! stop at a gap, and each proposal's result is checked, so any surprise ends the session and
//! the next one resumes from wherever the log really is. A session returns only once its own
//! proposals have completed, so the next one never reads its position while they are still
//! on their way; and it follows the role read after its read index, not before.

mod pipeline;
mod upstream;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use meridian_proto::internal::shipping_client::ShippingClient;
use meridian_proto::internal::ShipFrame;
use meridian_region::{RegionError, RegionGroup};
use meridian_transport::ChannelPool;
use meridian_types::{ClusterRole, HistoryMark, Node, NodeId, RegionRequest, RegionResponse, Seq};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, Instrument};

use self::pipeline::{Check, Pipeline, MAX_IN_FLIGHT};
use self::upstream::{Batch, Upstream};
use crate::error::ShipError;
use crate::options::ShipOptions;
use crate::status::LinkStatus;
use crate::wire::{frame, Ack, Down, Subscribe, Up};

/// The nodes of every cluster a secondary may follow, by cluster name.
pub type SourceClusters = BTreeMap<String, BTreeMap<NodeId, Node>>;

/// Runs for the life of the node: whenever this node leads a secondary cluster, it follows
/// the primary; otherwise it waits. Runs in a `ship_follow` span naming the node and cluster.
pub async fn run_shipper(
    group: Arc<RegionGroup>,
    pool: ChannelPool,
    clusters: SourceClusters,
    resp_addr: String,
    opts: ShipOptions,
    link: Arc<LinkStatus>,
    cancel: CancellationToken,
) {
    let span =
        tracing::info_span!("ship_follow", node = group.node_id(), cluster = %group.cluster());
    let shipper = Shipper {
        group,
        pool,
        clusters,
        resp_addr,
        opts,
        link,
    };
    shipper.run(cancel).instrument(span).await;
}

/// What every session of a node's shipper uses.
struct Shipper {
    group: Arc<RegionGroup>,
    pool: ChannelPool,
    clusters: SourceClusters,
    resp_addr: String,
    opts: ShipOptions,
    link: Arc<LinkStatus>,
}

impl Shipper {
    async fn run(&self, cancel: CancellationToken) {
        let mut attempt: usize = 0;
        let mut backoff = Duration::from_millis(50);
        loop {
            let wait = if self.group.is_leader() && self.group.role().is_secondary() {
                let session = self.session();
                let result = tokio::select! {
                    r = session.run(attempt) => r,
                    _ = cancel.cancelled() => return,
                };
                attempt = attempt.wrapping_add(1);
                match result {
                    Ok(()) => {
                        backoff = Duration::from_millis(50);
                        Duration::from_millis(10)
                    }
                    Err(e) => {
                        self.session_ended(&e);
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                        backoff
                    }
                }
            } else {
                self.link.clear();
                Duration::from_millis(100)
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn session(&self) -> Session<'_> {
        Session {
            group: &self.group,
            pool: &self.pool,
            clusters: &self.clusters,
            resp_addr: &self.resp_addr,
            opts: &self.opts,
            link: &self.link,
        }
    }

    /// Shows why the last session ended on the link.
    fn session_ended(&self, e: &ShipError) {
        debug!(error = %e, "shipping session ended");
        self.link.with(|v, _| {
            v.up = false;
            v.syncing = false;
            v.last_error = e.to_string();
        });
    }
}

struct Session<'a> {
    group: &'a Arc<RegionGroup>,
    pool: &'a ChannelPool,
    clusters: &'a SourceClusters,
    resp_addr: &'a str,
    opts: &'a ShipOptions,
    link: &'a LinkStatus,
}

type SessionResult = Result<(), ShipError>;

/// The secondary role a session follows, as read after its read index.
struct Following {
    role: ClusterRole,
    datastore: String,
    source: String,
}

impl Session<'_> {
    /// One session; whatever ends it, it returns only once its own proposals have completed.
    async fn run(&self, attempt: usize) -> SessionResult {
        let mut pipeline = Pipeline {
            sync: None,
            in_flight: VecDeque::new(),
        };
        let result = self.follow(attempt, &mut pipeline).await;
        let drained = pipeline
            .drain(self.group.options().request_timeout * 2)
            .await;
        result.and(drained)
    }

    /// Subscribes to the primary and handles what it sends, one message at a time, until this
    /// node stops leading or the role changes (`Ok`) or anything else goes wrong.
    async fn follow(&self, attempt: usize, run: &mut Pipeline) -> SessionResult {
        let Some(role) = self.settled_role().await? else {
            return Ok(());
        };
        let mut upstream = self.connect(attempt, &role).await?;
        loop {
            let room = run.in_flight.len() < MAX_IN_FLIGHT;
            let msg = tokio::select! {
                // Proposals complete in log order; each is checked and acknowledged.
                (check, done) = run.next_completed() => {
                    self.completed(check, done, &upstream.up).await?;
                    continue;
                }
                msg = upstream.next(self.opts.idle_timeout), if room => msg?,
            };
            let received = Instant::now();
            self.link.heard();
            if !self.group.is_leader() || self.group.role() != role.role {
                return Ok(());
            }
            self.handle(run, &mut upstream, msg, received).await?;
        }
    }

    /// The secondary role to follow, read after a read index (so this leader has applied
    /// everything committed before, and a role change committed meanwhile is seen); `None`
    /// when this cluster is no secondary.
    async fn settled_role(&self) -> Result<Option<Following>, ShipError> {
        if !self.group.role().is_secondary() {
            return Ok(None);
        }
        // Apply everything committed before reading the role and the position.
        self.group
            .read_index_as_leader()
            .await
            .map_err(ShipError::ReadIndex)?;
        let role = self.group.role();
        let ClusterRole::Secondary {
            datastore, source, ..
        } = role.clone()
        else {
            return Ok(None);
        };
        Ok(Some(Following {
            role,
            datastore,
            source,
        }))
    }

    /// Subscribes to one node of the primary from this cluster's position, rotating through
    /// the primary's nodes with `attempt`; the leader serves only after a full round.
    async fn connect(&self, attempt: usize, following: &Following) -> Result<Upstream, ShipError> {
        let Following {
            datastore, source, ..
        } = following;
        let nodes: Vec<(NodeId, Node)> = self
            .clusters
            .get(source)
            .ok_or_else(|| ShipError::UnknownSource {
                cluster: source.clone(),
            })?
            .iter()
            .map(|(id, n)| (*id, n.clone()))
            .collect();
        if nodes.is_empty() {
            return Err(ShipError::NoSourceNodes {
                cluster: source.clone(),
            });
        }
        let (source_node, node) = nodes[attempt % nodes.len()].clone();
        let allow_leader = (attempt / nodes.len()) % 2 == 1;
        let position = self.group.sm().position();
        let channel = self.pool.channel(&node.grpc_addr)?;
        let mut client = ShippingClient::new(channel)
            .max_decoding_message_size(self.opts.max_message_bytes)
            .max_encoding_message_size(self.opts.max_message_bytes);
        let (up, up_rx) = mpsc::channel(16);
        let subscribe = Up::Subscribe(Subscribe {
            datastore: datastore.clone(),
            source: source.clone(),
            subscriber: self.group.cluster().to_string(),
            node: self.group.node_id(),
            resp_addr: self.resp_addr.to_string(),
            position,
            allow_leader,
        });
        up.send(frame(&subscribe).map_err(ShipError::Encode)?)
            .await
            .map_err(|_| ShipError::SubscriptionClosed)?;
        let down = client
            .subscribe(ReceiverStream::new(up_rx))
            .await
            .map_err(|status| ShipError::Refused {
                node: source_node,
                cluster: source.clone(),
                status,
            })?
            .into_inner();
        self.link.with(|v, _| {
            v.datastore = datastore.clone();
            v.source = source.clone();
            v.source_node = Some(source_node);
            v.source_resp_addr = node.resp_addr.clone();
            v.up = true;
            v.last_error.clear();
            v.applied_seq = self.group.sm().seq();
        });
        self.link.heard();
        info!(%source, source_node, ?position, "following the primary");
        Ok(Upstream {
            source: source.clone(),
            node: source_node,
            up,
            down,
        })
    }

    /// Handles one message from the primary.
    async fn handle(
        &self,
        run: &mut Pipeline,
        upstream: &mut Upstream,
        msg: Down,
        received: Instant,
    ) -> SessionResult {
        match msg {
            Down::Ops {
                ops,
                history,
                head_seq,
                age_ms,
            } => {
                let batch = Batch {
                    ops,
                    history,
                    head_seq,
                };
                self.on_ops(run, upstream, batch, age_ms, received).await
            }
            Down::Heartbeat { head_seq, .. } => {
                // With proposals in flight, their completions acknowledge progress.
                if !run.in_flight.is_empty() {
                    return Ok(());
                }
                let applied = self.group.sm().seq();
                self.applied(applied, head_seq, &upstream.up).await
            }
            Down::SyncBegin { seq, history, keys } => {
                self.on_sync_begin(run, (seq, history, keys), received)
                    .await
            }
            Down::SyncChunk(entries) => {
                let (id, _) = run.sync.ok_or(ShipError::ChunkOutsideSync)?;
                let req = RegionRequest::SyncChunk { id, entries };
                self.submit(run, req, Check::Applied).await
            }
            Down::SyncUsers(users) => {
                let (id, _) = run.sync.ok_or(ShipError::UsersOutsideSync)?;
                let req = RegionRequest::SyncUsers { id, users };
                self.submit(run, req, Check::Applied).await
            }
            Down::SyncEnd => {
                let (id, seq) = run.sync.take().ok_or(ShipError::EndOutsideSync)?;
                let req = RegionRequest::SyncEnd { id };
                self.submit(run, req, Check::SyncEnd { seq }).await
            }
        }
    }

    /// Shipped ops: with whatever else already arrived, proposed as one entry.
    async fn on_ops(
        &self,
        run: &mut Pipeline,
        upstream: &mut Upstream,
        mut batch: Batch,
        age_ms: u64,
        received: Instant,
    ) -> SessionResult {
        let first = batch.ops.first().map_or(0, |o| o.seq);
        self.link.with(|v, pending| {
            if pending.is_none() || first == v.applied_seq + 1 {
                *pending = received.checked_sub(Duration::from_millis(age_ms));
            }
        });
        upstream.coalesce(&mut batch, self.opts.batch_bytes)?;
        let last = batch.ops.last().map_or(0, |o| o.seq);
        let req = RegionRequest::Ship {
            ops: batch.ops,
            history: batch.history,
        };
        let check = Check::Ship {
            last,
            head: batch.head_seq,
        };
        self.submit(run, req, check).await
    }

    /// A full sync begins: staged under a fresh id until its end arrives.
    async fn on_sync_begin(
        &self,
        run: &mut Pipeline,
        (seq, history, keys): (Seq, Vec<HistoryMark>, u64),
        received: Instant,
    ) -> SessionResult {
        let id = rand::random::<u64>();
        info!(seq, keys, "full sync: receiving");
        self.link.with(|v, pending| {
            v.syncing = true;
            v.head_seq = v.head_seq.max(seq);
            *pending = pending.or(Some(received));
        });
        let req = RegionRequest::SyncBegin { id, seq, history };
        self.submit(run, req, Check::Applied).await?;
        run.sync = Some((id, seq));
        Ok(())
    }

    /// Queues `req` in this cluster's log behind the proposals already in flight.
    async fn submit(&self, run: &mut Pipeline, req: RegionRequest, check: Check) -> SessionResult {
        let outcome = self
            .group
            .submit_as_leader(req)
            .await
            .map_err(ShipError::Propose)?;
        run.in_flight
            .push_back(Box::pin(async move { (check, outcome.await) }));
        Ok(())
    }

    /// Checks a completed proposal and acknowledges the progress it made.
    async fn completed(
        &self,
        check: Check,
        done: Result<RegionResponse, RegionError>,
        up_tx: &mpsc::Sender<ShipFrame>,
    ) -> SessionResult {
        let resp = done.map_err(ShipError::Proposal)?;
        match check {
            Check::Applied => Ok(()),
            Check::Ship { last, head } => {
                if resp.seq < last {
                    return Err(ShipError::Gap {
                        applied: resp.seq,
                        expected: last,
                    });
                }
                self.applied(resp.seq, head, up_tx).await
            }
            Check::SyncEnd { seq } => {
                if resp.seq != seq || self.group.sm().position().is_none() {
                    return Err(ShipError::SyncDidNotTake {
                        seq,
                        applied: resp.seq,
                    });
                }
                info!(seq, "full sync: done");
                self.link.with(|v, _| {
                    v.syncing = false;
                    v.full_syncs += 1;
                });
                self.applied(seq, seq, up_tx).await
            }
        }
    }

    /// Records progress and acknowledges it to the source.
    async fn applied(
        &self,
        applied: Seq,
        head: Seq,
        up: &mpsc::Sender<ShipFrame>,
    ) -> SessionResult {
        let mut lag_ms = 0;
        self.link.with(|v, pending| {
            v.applied_seq = applied;
            v.head_seq = v.head_seq.max(head);
            if applied >= v.head_seq && !v.syncing {
                *pending = None;
            }
            lag_ms = pending.map_or(0, |t| t.elapsed().as_millis() as u64);
        });
        let ack = Up::Ack(Ack {
            applied_seq: applied,
            lag_ms,
        });
        up.send(frame(&ack).map_err(ShipError::Encode)?)
            .await
            .map_err(|_| ShipError::StreamClosed)
    }
}
