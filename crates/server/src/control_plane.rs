//! The node's part in the control plane: a coordination voter runs the coordination group (and
//! the reconciler that carries its decisions to the clusters); every node reaches the group
//! through a [`CoordHandle`] and renews its cluster's write lease through it when primary.

use std::sync::Arc;
use std::time::Duration;

use meridian_coord::{CoordClient, CoordError, CoordGroup, CoordHandle};
use meridian_region::{LeaseFuture, LeaseSource, RegionGroup};
use meridian_transport::{ChannelPool, GroupRouter};
use meridian_types::{Epoch, Seq};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info_span, Instrument};

use crate::spec::NodeSpec;

/// What `start` set up; `stop` undoes it.
pub(crate) struct ControlPlane {
    pub(crate) group: Option<Arc<CoordGroup>>,
    pub(crate) handle: CoordHandle,
    reconciler: Option<(CancellationToken, JoinHandle<()>)>,
}

pub(crate) async fn start(
    spec: &NodeSpec,
    db: &meridian_storage::NodeDb,
    pool: &ChannelPool,
    router: &GroupRouter,
    region: &Arc<RegionGroup>,
) -> Result<ControlPlane, CoordError> {
    let c = &spec.coord;
    let (group, handle) = if c.voters.contains_key(&spec.node_id) {
        let g = CoordGroup::start(
            db,
            spec.node_id,
            c.voters.clone(),
            c.registration.clone(),
            c.options.clone(),
            pool.clone(),
            router.clone(),
        )
        .await?;
        (Some(g.clone()), CoordHandle::from(g))
    } else {
        let voters = c
            .voters
            .iter()
            .map(|(id, n)| (*id, n.grpc_addr.clone()))
            .collect();
        let client = CoordClient::new(voters, pool.clone(), c.options.request_timeout);
        (None, CoordHandle::from(client))
    };
    region.keep_lease(Arc::new(CoordLeases {
        handle: handle.clone(),
        length: c.options.lease,
    }));
    let reconciler = group.as_ref().map(|g| {
        let cancel = CancellationToken::new();
        let span = info_span!("reconciler", node = spec.node_id, cluster = %spec.cluster);
        let task = tokio::spawn(
            crate::reconciler::run(g.clone(), handle.clone(), pool.clone(), cancel.clone())
                .instrument(span),
        );
        (cancel, task)
    });
    Ok(ControlPlane {
        group,
        handle,
        reconciler,
    })
}

impl ControlPlane {
    pub(crate) async fn stop(self) {
        if let Some((cancel, task)) = self.reconciler {
            cancel.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        if let Some(g) = self.group {
            g.shutdown().await;
        }
    }
}

/// Leases come from the coordination group; the primary uses the length it was granted.
struct CoordLeases {
    handle: CoordHandle,
    length: Duration,
}

impl LeaseSource for CoordLeases {
    fn grant<'a>(
        &'a self,
        datastore: &'a str,
        cluster: &'a str,
        epoch: Epoch,
        head_seq: Seq,
    ) -> LeaseFuture<'a> {
        Box::pin(async move {
            self.handle
                .grant_lease(datastore, cluster, epoch, self.length, head_seq)
                .await
                .map(|lease| Duration::from_millis(lease.length_ms))
                .map_err(Into::into)
        })
    }
}
