//! The `Shipping` gRPC service every node mounts: primary nodes serve subscriptions; every
//! node answers `Status` with its view of replication.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use meridian_proto::internal::shipping_client::ShippingClient;
use meridian_proto::internal::shipping_server::Shipping;
use meridian_proto::internal::ShipFrame;
use meridian_region::RegionGroup;
use meridian_transport::ChannelPool;
use meridian_types::{Node, NodeId};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{debug, info, Instrument};

use crate::options::ShipOptions;
use crate::source::{Source, Stop};
use crate::status::{LinkStatus, NodeReplication, ReplicaTracker, ReplicaView};
use crate::wire::{frame, unframe, Subscribe, Up};

/// Serves shipping for one node.
#[derive(Clone)]
pub struct ShippingService {
    group: Arc<RegionGroup>,
    opts: ShipOptions,
    tracker: Arc<ReplicaTracker>,
    link: Arc<LinkStatus>,
    sessions: Arc<AtomicU64>,
}

impl ShippingService {
    pub fn new(
        group: Arc<RegionGroup>,
        opts: ShipOptions,
        tracker: Arc<ReplicaTracker>,
        link: Arc<LinkStatus>,
    ) -> ShippingService {
        ShippingService {
            group,
            opts,
            tracker,
            link,
            sessions: Arc::new(AtomicU64::new(0)),
        }
    }

    /// This node's replication view.
    pub fn node_view(&self) -> NodeReplication {
        NodeReplication {
            node: self.group.node_id(),
            replicas: self.tracker.replicas(),
            link: self.link.view(),
        }
    }

    /// A leader refuses a subscription that may go to a follower, while one is caught up.
    fn prefer_follower(&self, allow_leader: bool) -> Result<(), Status> {
        if allow_leader || !self.group.is_leader() {
            return Ok(());
        }
        let m = self.group.raft().metrics().borrow().clone();
        let applied = m.last_applied.map_or(0, |l| l.index);
        let caught_up: Vec<NodeId> = m
            .replication
            .iter()
            .flatten()
            .filter(|(id, matched)| {
                **id != self.group.node_id()
                    && matched.is_some_and(|l| l.index + FOLLOWER_SLACK >= applied)
            })
            .map(|(id, _)| *id)
            .collect();
        if caught_up.is_empty() {
            return Ok(());
        }
        Err(Status::unavailable(format!(
            "node {} leads cluster {}; subscribe to a follower ({caught_up:?})",
            self.group.node_id(),
            self.group.cluster()
        )))
    }
}

impl ShippingService {
    /// Whether this node serves `sub`: it must ask for this cluster, which must be the primary
    /// of its datastore, and (unless it allows a leader) find no caught-up follower here.
    fn admit(&self, sub: &Subscribe) -> Result<(), Status> {
        if sub.source != self.group.cluster() {
            return Err(Status::invalid_argument(format!(
                "node {} is in cluster {}, not {}",
                self.group.node_id(),
                self.group.cluster(),
                sub.source
            )));
        }
        // A draining primary keeps serving: its replacement catches up from it.
        match self.group.role() {
            role if role.primary_of() == Some(sub.datastore.as_str()) => {}
            role => {
                return Err(Status::failed_precondition(format!(
                    "cluster {} is not the primary of {} (its role is {})",
                    self.group.cluster(),
                    sub.datastore,
                    role.name()
                )))
            }
        }
        self.prefer_follower(sub.allow_leader)
    }

    /// Starts serving `sub`: a task that streams to the subscriber and one that reads its
    /// acknowledgements from `up`, both in a `ship_serve` span naming this node and cluster
    /// and the subscriber. Returns the stream to answer with.
    fn serve(
        &self,
        sub: Subscribe,
        mut up: Streaming<ShipFrame>,
    ) -> ReceiverStream<Result<ShipFrame, Status>> {
        let session = self.sessions.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!(
            "ship_serve",
            node = self.group.node_id(),
            cluster = self.group.cluster(),
            subscriber = %sub.subscriber,
            session,
        );
        span.in_scope(|| info!(position = ?sub.position, "serving a shipping subscription"));
        self.tracker.start(
            session,
            ReplicaView {
                cluster: sub.subscriber.clone(),
                datastore: sub.datastore.clone(),
                node: sub.node,
                resp_addr: sub.resp_addr.clone(),
                applied_seq: sub.position.map_or(0, |p| p.seq),
                lag_ms: 0,
                last_ack_ms_ago: 0,
                syncing: false,
            },
        );
        let (tx, rx) = mpsc::channel(8);
        let tracker = self.tracker.clone();
        let cluster = sub.subscriber;
        let on_sync = {
            let tracker = tracker.clone();
            let cluster = cluster.clone();
            Box::new(move |syncing: bool| {
                tracker.update(&cluster, session, |v| v.syncing = syncing);
            })
        };
        let source = Source {
            group: self.group.clone(),
            opts: self.opts.clone(),
            datastore: sub.datastore,
            out: tx,
            on_sync,
        };
        let acks_tracker = tracker.clone();
        let acks_cluster = cluster.clone();
        let acks = tokio::spawn(
            async move {
                while let Some(Ok(f)) = up.next().await {
                    if let Ok(Up::Ack(a)) = unframe::<Up>(&f) {
                        acks_tracker.update(&acks_cluster, session, |v| {
                            v.applied_seq = a.applied_seq;
                            v.lag_ms = a.lag_ms;
                        });
                    }
                }
            }
            .instrument(span.clone()),
        );
        let position = sub.position;
        tokio::spawn(
            async move {
                let stop = source.run(position).await;
                acks.abort();
                tracker.end(&cluster, session);
                if let Stop::Refused(s) = stop {
                    debug!(error = %s.message(), "shipping stream ended");
                }
            }
            .instrument(span),
        );
        ReceiverStream::new(rx)
    }
}

/// How many log entries a follower may trail the leader and still be preferred as a source.
const FOLLOWER_SLACK: u64 = 1_000;

#[tonic::async_trait]
impl Shipping for ShippingService {
    type SubscribeStream = ReceiverStream<Result<ShipFrame, Status>>;

    async fn subscribe(
        &self,
        request: Request<Streaming<ShipFrame>>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let mut up = request.into_inner();
        let first = up
            .next()
            .await
            .ok_or_else(|| Status::invalid_argument("a subscription starts with Subscribe"))??;
        let Up::Subscribe(sub) = unframe::<Up>(&first)? else {
            return Err(Status::invalid_argument(
                "a subscription starts with Subscribe",
            ));
        };
        self.admit(&sub)?;
        Ok(Response::new(self.serve(sub, up)))
    }

    async fn status(&self, _request: Request<ShipFrame>) -> Result<Response<ShipFrame>, Status> {
        Ok(Response::new(frame(&self.node_view())?))
    }
}

/// Every node's replication view in `nodes` (this node's own from `local`), skipping nodes
/// that do not answer within `timeout`.
pub async fn gather_replication(
    local: &ShippingService,
    pool: &ChannelPool,
    nodes: &[(NodeId, Node)],
    timeout: Duration,
) -> Vec<NodeReplication> {
    let me = local.group.node_id();
    let mut out = vec![local.node_view()];
    let calls = nodes.iter().filter(|(id, _)| *id != me).map(|(id, node)| {
        let pool = pool.clone();
        let addr = node.grpc_addr.clone();
        let id = *id;
        async move {
            let channel = pool.channel(&addr).ok()?;
            let mut req = Request::new(ShipFrame::default());
            req.set_timeout(timeout);
            let reply = tokio::time::timeout(timeout, ShippingClient::new(channel).status(req))
                .await
                .ok()?
                .ok()?;
            let view: NodeReplication = unframe(reply.get_ref()).ok()?;
            (view.node == id).then_some(view)
        }
    });
    out.extend(futures::future::join_all(calls).await.into_iter().flatten());
    out
}
