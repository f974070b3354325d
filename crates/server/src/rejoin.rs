//! Repoints a primary deposed by a forced failover (DESIGN §7 "Rejoin"). It was unreachable
//! when the failover ran, so the control plane marks it `rejoin_pending`; the coordination
//! leader keeps trying to record `Secondary{epoch, source: new primary}` in its regional log
//! (no wipe) and, once that worked, records `MemberRejoined`. From then on the cluster follows
//! the new primary: where its history diverged it gets a full sync and counts, saves and
//! reports the writes it gives up (storage `discarded`, `ReportDiscarded`).
//!
//! Attempts run in their own tasks, one per member at a time, so an unreachable cluster never
//! holds up the reconciler's other work.

use std::collections::HashMap;
use std::time::Duration;

use meridian_coord::{ControlPlane, CoordHandle};
use meridian_transport::ChannelPool;
use meridian_types::{ClusterInfo, ClusterRole, Datastore};
use tokio::task::JoinHandle;
use tracing::{debug, info, info_span, Instrument};

use crate::reconcile_error::ReconcileError;
use crate::reconciler::set_role;

/// Pause between attempts to reach one deposed primary.
const RETRY: Duration = Duration::from_secs(1);

/// The attempt running for each `(datastore, cluster)`.
#[derive(Default)]
pub(crate) struct Rejoins {
    running: HashMap<(String, String), JoinHandle<()>>,
}

impl Rejoins {
    /// Starts an attempt for every member of `ds` waiting to rejoin that has none running.
    pub(crate) fn start(
        &mut self,
        ds: &Datastore,
        state: &ControlPlane,
        handle: &CoordHandle,
        pool: &ChannelPool,
    ) {
        let clusters = &state.clusters;
        self.running.retain(|_, t| !t.is_finished());
        for m in ds.members.iter().filter(|m| m.rejoin_pending) {
            let key = (ds.id.clone(), m.cluster.clone());
            let Some(cluster) = clusters.get(&m.cluster).cloned() else {
                continue;
            };
            if self.running.contains_key(&key) {
                continue;
            }
            let role = ClusterRole::Secondary {
                datastore: ds.id.clone(),
                epoch: ds.epoch,
                source: ds.primary.clone(),
            };
            let attempt = rejoin(
                (role, state.applied_index),
                cluster,
                handle.clone(),
                pool.clone(),
            );
            // Inside the reconciler's span, which names this node.
            let span = info_span!("rejoin", datastore = %ds.id, member = %m.cluster);
            self.running
                .insert(key, tokio::spawn(attempt.instrument(span)));
        }
    }

    /// Stops every attempt (this voter stopped leading).
    pub(crate) fn clear(&mut self) {
        for (_, t) in self.running.drain() {
            t.abort();
        }
    }
}

impl Drop for Rejoins {
    fn drop(&mut self) {
        self.clear();
    }
}

/// One attempt to record the secondary `role` (with its coordination token) in `cluster`.
async fn rejoin(
    (role, token): (ClusterRole, u64),
    cluster: ClusterInfo,
    handle: CoordHandle,
    pool: ChannelPool,
) {
    let ClusterRole::Secondary {
        datastore: id,
        epoch,
        source: primary,
    } = role.clone()
    else {
        return;
    };
    let result = match set_role(&pool, &cluster, role, (false, token)).await {
        Ok(_) => handle
            .member_rejoined(&id, &cluster.name, epoch)
            .await
            .map_err(ReconcileError::Record),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            info!(%primary, epoch, "the deposed primary rejoined as a secondary")
        }
        Err(e) => {
            debug!(error = %e, "the deposed primary cannot be repointed yet");
            tokio::time::sleep(RETRY).await;
        }
    }
}
