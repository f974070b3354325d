//! The node's part in cross-region log shipping: the `Shipping` service it serves, the
//! shipper it runs while it leads a secondary cluster, and the reporter that tells the
//! coordination group how far that secondary is (describe, and `associating → associated`).

use std::sync::Arc;
use std::time::Duration;

use meridian_coord::CoordHandle;
use meridian_region::RegionGroup;
use meridian_shipping::{
    gather_replication, run_shipper, LinkStatus, NodeReplication, ReplicaTracker, ShippingService,
    SourceClusters,
};
use meridian_transport::ChannelPool;
use meridian_types::{ClusterRole, Node, NodeId};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info_span, Instrument};

use crate::spec::NodeSpec;

/// How often a secondary's leader reports its position to the coordination group.
const REPORT_INTERVAL: Duration = Duration::from_millis(500);

/// How long a node waits for its peers' replication views (INFO, WAIT).
const GATHER_TIMEOUT: Duration = Duration::from_millis(300);

/// The running shipper and reporter; `stop` ends them.
pub(crate) struct Replication {
    pub(crate) view: ReplicationView,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

/// What the rest of the node (RESP, metrics) reads about replication.
#[derive(Clone)]
pub(crate) struct ReplicationView {
    pub(crate) service: ShippingService,
    pool: ChannelPool,
    cluster_nodes: Vec<(NodeId, Node)>,
}

impl ReplicationView {
    /// Every node of this cluster's replication view (peers that do not answer are left out).
    pub(crate) async fn cluster_view(&self) -> Vec<NodeReplication> {
        gather_replication(
            &self.service,
            &self.pool,
            &self.cluster_nodes,
            GATHER_TIMEOUT,
        )
        .await
    }
}

impl Replication {
    pub(crate) fn start(
        spec: &NodeSpec,
        group: &Arc<RegionGroup>,
        pool: &ChannelPool,
        coord: CoordHandle,
        resp_addr: String,
    ) -> Replication {
        let tracker = Arc::new(ReplicaTracker::default());
        let link = Arc::new(LinkStatus::default());
        let mut opts = spec.shipping.clone();
        opts.max_message_bytes = spec.limits.grpc_max_message_bytes;
        let service =
            ShippingService::new(group.clone(), opts.clone(), tracker.clone(), link.clone());
        let clusters: SourceClusters = spec
            .clusters
            .iter()
            .map(|c| (c.name.clone(), c.nodes.iter().cloned().collect()))
            .collect();
        let cancel = CancellationToken::new();
        // `run_shipper` names its own span (`ship_follow`, with the node and cluster).
        let shipper = tokio::spawn(run_shipper(
            group.clone(),
            pool.clone(),
            clusters,
            resp_addr,
            opts,
            link.clone(),
            cancel.clone(),
        ));
        let span = info_span!("position_reporter", node = spec.node_id, cluster = %spec.cluster);
        let reporter = tokio::spawn(
            report(group.clone(), link.clone(), coord, cancel.clone()).instrument(span),
        );
        Replication {
            view: ReplicationView {
                service,
                pool: pool.clone(),
                cluster_nodes: spec.members().into_iter().collect(),
            },
            cancel,
            tasks: vec![shipper, reporter],
        }
    }

    pub(crate) async fn stop(self) {
        self.cancel.cancel();
        // A report or proposal in flight may wait on groups that are stopping: abort rather
        // than wait, so nothing keeps the node's storage open.
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
    }
}

/// While this node leads a secondary cluster, reports its position to the coordination group.
async fn report(
    group: Arc<RegionGroup>,
    link: Arc<LinkStatus>,
    coord: CoordHandle,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(REPORT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    // The discarded runs the coordination group has acknowledged from this leader, with the
    // epoch whose history the cluster followed then.
    let mut discarded_reported: Option<(usize, u64)> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let (
            ClusterRole::Secondary {
                datastore, epoch, ..
            },
            Some(view),
        ) = (group.role(), link.view())
        else {
            continue;
        };
        if !group.is_leader() {
            discarded_reported = None;
            continue;
        }
        // Once the cluster follows this epoch's history, its discarded runs are complete for
        // it (possibly none): a deposed primary's count is then known.
        let discarded = group.sm().discarded();
        let on_epoch = group.sm().history().iter().any(|m| m.epoch == epoch);
        let now = (discarded.len(), epoch);
        if on_epoch && discarded_reported != Some(now) {
            match coord
                .report_discarded(&datastore, group.cluster(), discarded)
                .await
            {
                Ok(()) => discarded_reported = Some(now),
                Err(e) => {
                    debug!(error = %e, "reporting discarded writes failed")
                }
            }
        }
        let seq = group.sm().seq();
        let synced = group.sm().position().is_some() && !view.syncing;
        let report = (seq, view.lag_ms, view.head_seq.saturating_sub(seq), synced);
        // An unchanged, caught-up position need not be written again every tick.
        if last == Some(report) && report.1 == 0 && report.2 == 0 {
            continue;
        }
        match coord
            .report_applied_seq(&datastore, group.cluster(), epoch, report)
            .await
        {
            Ok(()) => last = Some(report),
            Err(e) => {
                debug!(error = %e, "reporting the applied seq failed")
            }
        }
    }
}
