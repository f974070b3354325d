//! Carries the control plane's decisions to the clusters. Runs on every coordination voter and
//! acts only while that voter leads the coordination group.
//!
//! For each member in a transitional status it records the member's role in the member
//! cluster's own regional log (through `RegionForward.SetRole` on any of its nodes, which
//! forwards to the cluster's leader), then tells the control plane the step is done. Every step
//! is idempotent, so a step interrupted by a leader change is simply done again.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use meridian_coord::{ControlPlane, CoordGroup, CoordHandle};
use meridian_proto::internal::region_forward_client::RegionForwardClient;
use meridian_proto::internal::RaftMessage;
use meridian_region::RegionError;
use meridian_transport::ChannelPool;
use meridian_types::{
    ClusterInfo, ClusterRole, Datastore, DatastoreStatus, Epoch, GroupId, MemberStatus, Role,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::reconcile_error::ReconcileError;

pub(crate) async fn run(
    coord: Arc<CoordGroup>,
    handle: CoordHandle,
    pool: ChannelPool,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    // Secondaries whose role this voter already recorded while it leads, so waiting for their
    // full sync does not append a (no-op) role entry to their log every tick.
    let mut joined: HashSet<(String, String, Epoch)> = HashSet::new();
    let mut deadlines = crate::failover::Deadlines::default();
    let mut rejoins = crate::rejoin::Rejoins::default();
    let catch_up = coord.options().failover_catch_up;
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        if !coord.is_leader() {
            joined.clear();
            deadlines.clear();
            rejoins.clear();
            continue;
        }
        let Ok(state) = handle.state().await else {
            continue;
        };
        for ds in state.datastores.values() {
            if let Err(e) = reconcile(ds, &state, &handle, &pool, &mut joined).await {
                debug!(datastore = %ds.id, error = %e, "reconcile step failed; retrying");
            }
            let driver = crate::failover::Driver {
                coord: &coord,
                handle: &handle,
                pool: &pool,
                catch_up,
                token: state.applied_index,
            };
            if let Err(e) = crate::failover::auto(ds, &driver).await {
                debug!(datastore = %ds.id, error = %e, "automatic failover check failed; retrying");
            }
            let failover = crate::failover::drive(ds, &state.clusters, &driver, &mut deadlines);
            if let Err(e) = failover.await {
                debug!(datastore = %ds.id, error = %e, "failover step failed; retrying");
            }
            rejoins.start(ds, &state, &handle, &pool);
        }
    }
}

async fn reconcile(
    ds: &Datastore,
    state: &ControlPlane,
    handle: &CoordHandle,
    pool: &ChannelPool,
    joined: &mut HashSet<(String, String, Epoch)>,
) -> Result<(), ReconcileError> {
    let (clusters, token) = (&state.clusters, state.applied_index);
    let cluster = |name: &str| {
        clusters
            .get(name)
            .ok_or_else(|| ReconcileError::UnknownCluster {
                cluster: name.to_string(),
            })
    };
    for m in &ds.members {
        match (m.role, m.status) {
            (Role::Primary, MemberStatus::Associating) => {
                let role = ClusterRole::Primary {
                    datastore: ds.id.clone(),
                    epoch: ds.epoch,
                    base_seq: 0,
                };
                set_role(pool, cluster(&m.cluster)?, role, (false, token)).await?;
                handle
                    .member_ready(&ds.id, &m.cluster, ds.epoch)
                    .await
                    .map_err(ReconcileError::Record)?;
                info!(datastore = %ds.id, cluster = %m.cluster, epoch = ds.epoch, "primary ready");
            }
            (Role::Secondary, MemberStatus::Associating) => {
                let role = ClusterRole::Secondary {
                    datastore: ds.id.clone(),
                    epoch: ds.epoch,
                    source: ds.primary.clone(),
                };
                // Joining wipes the secondary's data, as on AWS; it becomes a copy of the
                // primary through log shipping. Recording the same role again is a no-op in
                // the cluster, so this step is repeated until the copy is complete.
                let key = (ds.id.clone(), m.cluster.clone(), ds.epoch);
                if !joined.contains(&key) {
                    set_role(pool, cluster(&m.cluster)?, role, (true, token)).await?;
                    joined.insert(key);
                }
                if !m.synced {
                    debug!(datastore = %ds.id, cluster = %m.cluster, "waiting for the secondary's full sync");
                    continue;
                }
                handle
                    .member_ready(&ds.id, &m.cluster, ds.epoch)
                    .await
                    .map_err(ReconcileError::Record)?;
                joined.remove(&(ds.id.clone(), m.cluster.clone(), ds.epoch));
                info!(datastore = %ds.id, cluster = %m.cluster, "secondary associated");
            }
            // A disassociating primary means the datastore is being deleted: the `Deleting`
            // step below releases it (the control plane removes only secondaries one by one).
            (Role::Secondary, MemberStatus::Disassociating) => {
                // A disassociated secondary keeps its data and takes writes again.
                joined.remove(&(ds.id.clone(), m.cluster.clone(), ds.epoch));
                set_role(
                    pool,
                    cluster(&m.cluster)?,
                    ClusterRole::Standalone,
                    (false, token),
                )
                .await?;
                handle
                    .member_removed(&ds.id, &m.cluster)
                    .await
                    .map_err(ReconcileError::Record)?;
                info!(datastore = %ds.id, cluster = %m.cluster, "member disassociated");
            }
            _ => {}
        }
    }
    if ds.status == DatastoreStatus::Deleting {
        set_role(
            pool,
            cluster(&ds.primary)?,
            ClusterRole::Standalone,
            (false, token),
        )
        .await?;
        handle
            .datastore_deleted(&ds.id)
            .await
            .map_err(ReconcileError::Record)?;
        info!(datastore = %ds.id, "deleted; the primary is standalone again");
    }
    Ok(())
}

/// Records `role` in `cluster`'s log through whichever of its nodes answers (each forwards to
/// the cluster's leader).
///
/// `token` is the coordination log index of the state the decision was read from: the cluster
/// ignores a decision older than one it already applied (`RegionRequest::SetRole`).
pub(crate) async fn set_role(
    pool: &ChannelPool,
    cluster: &ClusterInfo,
    role: ClusterRole,
    (wipe, token): (bool, u64),
) -> Result<u64, ReconcileError> {
    let payload = bincode::serialize(&(&role, wipe, token)).map_err(ReconcileError::EncodeRole)?;
    let name = &cluster.name;
    let group = GroupId::Region(name.clone()).as_string();
    let mut last = ReconcileError::NoNodes {
        cluster: name.clone(),
    };
    for (id, node) in &cluster.nodes {
        let channel = match pool.channel(&node.grpc_addr) {
            Ok(c) => c,
            Err(source) => {
                last = ReconcileError::NodeChannel {
                    cluster: name.clone(),
                    source,
                };
                continue;
            }
        };
        let mut req = tonic::Request::new(RaftMessage {
            group: group.clone(),
            target: *id,
            payload: payload.clone().into(),
        });
        req.set_timeout(Duration::from_secs(5));
        match RegionForwardClient::new(channel).set_role(req).await {
            Ok(reply) => {
                match bincode::deserialize::<Result<u64, RegionError>>(&reply.get_ref().payload) {
                    Ok(Ok(seq)) => return Ok(seq),
                    Ok(Err(source)) => {
                        last = ReconcileError::RoleRefused {
                            cluster: name.clone(),
                            source,
                        }
                    }
                    Err(source) => {
                        last = ReconcileError::BadReply {
                            cluster: name.clone(),
                            source,
                        }
                    }
                }
            }
            Err(status) => {
                last = ReconcileError::NodeRefused {
                    cluster: name.clone(),
                    node: *id,
                    status,
                }
            }
        }
    }
    Err(last)
}
