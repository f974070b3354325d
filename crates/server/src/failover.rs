//! Carries out planned failovers on the coordination leader (DESIGN §7): each step acts on the
//! clusters, then records itself in the coordination log (`FailoverStep`), so a leader change
//! resumes from the last recorded phase and a repeated step is harmless.
//!
//! - requested: append the fence (`Draining`) to the old primary's log; its reply is the
//!   final seq F, after which the old primary takes no client write and expires nothing.
//! - draining: ask the target's own leader for its applied seq; at exactly F it has caught
//!   up; past the catch-up deadline (or past F, which cannot happen) the failover aborts.
//! - caught-up: promote (the epoch is bumped in the coordination log first).
//! - promoted: record `Primary{epoch + 1, base_seq: F}` in the target's log.
//! - repointing: record `Secondary{epoch + 1, source: target}` in every other member, without
//!   a wipe: each resumes shipping from its own position, on the target's history.
//! - aborting: lift the drain (the old primary is `Primary` of its epoch again).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use meridian_coord::CoordHandle;
use meridian_proto::v1::clusters_client::ClustersClient;
use meridian_proto::v1::NodeStatusRequest;
use meridian_transport::ChannelPool;
use meridian_types::{
    ClusterInfo, ClusterRole, Datastore, FailoverInProgress, FailoverPhase, FailoverStep, Member,
    MemberStatus, Seq,
};
use tokio::time::Instant;
use tracing::info;

use crate::reconciler::set_role;

/// When this leader first saw each datastore's failover under way (for the catch-up deadline,
/// which covers fencing too; a new leader starts the count again).
#[derive(Default)]
pub(crate) struct Deadlines {
    draining_since: HashMap<String, Instant>,
}

impl Deadlines {
    pub(crate) fn clear(&mut self) {
        self.draining_since.clear();
    }
}

/// One step of `ds`'s failover, if one is under way.
pub(crate) async fn drive(
    ds: &Datastore,
    clusters: &BTreeMap<String, ClusterInfo>,
    handle: &CoordHandle,
    pool: &ChannelPool,
    catch_up: Duration,
    deadlines: &mut Deadlines,
) -> Result<(), String> {
    let Some(f) = ds.failover.as_ref().filter(|f| f.under_way()) else {
        deadlines.draining_since.remove(&ds.id);
        return Ok(());
    };
    let cluster = |name: &str| {
        clusters
            .get(name)
            .ok_or_else(|| format!("cluster {name} is not registered"))
    };
    let since = *deadlines
        .draining_since
        .entry(ds.id.clone())
        .or_insert_with(Instant::now);
    let step = match &f.phase {
        FailoverPhase::Requested => {
            let fence = ClusterRole::Draining {
                datastore: ds.id.clone(),
                epoch: ds.epoch,
            };
            match set_role(pool, cluster(&f.from)?, fence, false).await {
                Ok(final_seq) => {
                    info!(datastore = %ds.id, from = %f.from, final_seq, "failover: the primary is fenced");
                    FailoverStep::Drained { final_seq }
                }
                Err(e) if since.elapsed() > catch_up => FailoverStep::Abort {
                    reason: format!("{} could not be fenced within {catch_up:?}: {e}", f.from),
                },
                Err(e) => return Err(e),
            }
        }
        FailoverPhase::Draining => {
            match caught_up(f, pool, cluster(&f.to)?, since, catch_up).await {
                Some(step) => step,
                None => return Ok(()),
            }
        }
        FailoverPhase::CaughtUp => FailoverStep::Promote,
        FailoverPhase::Promoted => {
            let role = ClusterRole::Primary {
                datastore: ds.id.clone(),
                epoch: f.new_epoch.unwrap_or(ds.epoch),
                base_seq: f.final_seq.unwrap_or(0),
            };
            set_role(pool, cluster(&f.to)?, role, false).await?;
            info!(datastore = %ds.id, to = %f.to, epoch = ds.epoch, "failover: the target is primary");
            FailoverStep::TargetPrimary
        }
        FailoverPhase::Repointing => {
            // Members joining or leaving are the reconciler's: it records their roles with
            // the datastore's current epoch and primary.
            let settled = |m: &&Member| m.cluster != f.to && m.status == MemberStatus::Associated;
            for m in ds.members.iter().filter(settled) {
                let role = ClusterRole::Secondary {
                    datastore: ds.id.clone(),
                    epoch: ds.epoch,
                    source: f.to.clone(),
                };
                set_role(pool, cluster(&m.cluster)?, role, false).await?;
            }
            info!(datastore = %ds.id, to = %f.to, "failover: every member follows the new primary");
            FailoverStep::Repointed
        }
        FailoverPhase::Aborting { reason } => {
            let role = ClusterRole::Primary {
                datastore: ds.id.clone(),
                epoch: ds.epoch,
                base_seq: 0,
            };
            set_role(pool, cluster(&f.from)?, role, false).await?;
            info!(datastore = %ds.id, from = %f.from, %reason, "failover aborted: the drain is lifted");
            FailoverStep::DrainLifted
        }
        FailoverPhase::Done | FailoverPhase::Aborted { .. } => return Ok(()),
    };
    handle
        .failover_step(&ds.id, &f.to, step)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `CaughtUp` once the target's leader applied exactly the final seq, `Abort` past the
/// deadline, `None` while waiting.
async fn caught_up(
    f: &FailoverInProgress,
    pool: &ChannelPool,
    target: &ClusterInfo,
    since: Instant,
    catch_up: Duration,
) -> Option<FailoverStep> {
    let final_seq = f.final_seq.unwrap_or(0);
    match leader_applied_seq(pool, target).await {
        Some(seq) if seq == final_seq => Some(FailoverStep::CaughtUp),
        Some(seq) if seq > final_seq => Some(FailoverStep::Abort {
            reason: format!(
                "{} applied seq {seq}, past the old primary's final seq {final_seq}",
                f.to
            ),
        }),
        seq if since.elapsed() > catch_up => Some(FailoverStep::Abort {
            reason: format!(
                "{} did not reach seq {final_seq} within {catch_up:?} (last seen: {seq:?})",
                f.to
            ),
        }),
        _ => None,
    }
}

/// The applied seq of `cluster`'s leader, asked of the cluster's nodes themselves.
async fn leader_applied_seq(pool: &ChannelPool, cluster: &ClusterInfo) -> Option<Seq> {
    for node in cluster.nodes.values() {
        let Ok(channel) = pool.channel(&node.grpc_addr) else {
            continue;
        };
        let mut req = tonic::Request::new(NodeStatusRequest {});
        req.set_timeout(Duration::from_secs(1));
        if let Ok(r) = ClustersClient::new(channel).node_status(req).await {
            let s = r.into_inner();
            if s.state == "leader" {
                return Some(s.applied_seq);
            }
        }
    }
    None
}
