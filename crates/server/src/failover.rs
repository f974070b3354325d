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
//!
//! A forced failover (the old primary is unreachable) skips the fence: once this leader's
//! promotion wait has passed (the old primary's last lease certainly ran out; the coordination
//! group enforces it again when the step is proposed), it asks the target, or every associated
//! secondary when none was named, for its applied seq live and promotes the one furthest
//! ahead (`ForcedPromote`). The target's role entry fixes the seq it starts from (the loss
//! range begins after it). Repointing leaves out the old primary: the reconciler repoints it
//! whenever it answers again (`rejoin_pending`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use meridian_coord::{CoordGroup, CoordHandle};
use meridian_proto::v1::clusters_client::ClustersClient;
use meridian_proto::v1::NodeStatusRequest;
use meridian_transport::ChannelPool;
use meridian_types::{
    AutoFailover, ClusterInfo, ClusterRole, Datastore, DatastoreStatus, FailoverInProgress,
    FailoverPhase, FailoverStep, Member, MemberStatus, Seq,
};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::reconcile_error::ReconcileError;
use crate::reconciler::set_role;

/// When this leader first saw each datastore's failover under way (for the catch-up deadline,
/// which covers fencing too; a new leader starts the count again).
#[derive(Default)]
pub(crate) struct Deadlines {
    since: HashMap<String, Instant>,
}

impl Deadlines {
    pub(crate) fn clear(&mut self) {
        self.since.clear();
    }
}

/// What one failover step needs: the datastore, the clusters, how to reach them.
struct Step<'a> {
    ds: &'a Datastore,
    f: &'a FailoverInProgress,
    clusters: &'a BTreeMap<String, ClusterInfo>,
    pool: &'a ChannelPool,
    token: u64,
}

impl Step<'_> {
    fn cluster(&self, name: &str) -> Result<&ClusterInfo, ReconcileError> {
        self.clusters
            .get(name)
            .ok_or_else(|| ReconcileError::UnknownCluster {
                cluster: name.to_string(),
            })
    }

    /// Records `role` in `cluster`'s regional log; returns the seq after it.
    async fn set_role(&self, cluster: &str, role: ClusterRole) -> Result<Seq, ReconcileError> {
        set_role(self.pool, self.cluster(cluster)?, role, (false, self.token)).await
    }

    /// Appends the fence to the old primary's log: its reply is the final seq.
    async fn fence(
        &self,
        since: Instant,
        catch_up: Duration,
    ) -> Result<FailoverStep, ReconcileError> {
        let (ds, f) = (self.ds, self.f);
        let fence = ClusterRole::Draining {
            datastore: ds.id.clone(),
            epoch: ds.epoch,
        };
        match self.set_role(&f.from, fence).await {
            Ok(final_seq) => {
                info!(datastore = %ds.id, from = %f.from, final_seq, "failover: the primary is fenced");
                Ok(FailoverStep::Drained { final_seq })
            }
            Err(e) if since.elapsed() > catch_up => Ok(FailoverStep::Abort {
                reason: format!("{} could not be fenced within {catch_up:?}: {e}", f.from),
            }),
            Err(e) => Err(e),
        }
    }

    /// Makes the target the primary of the new epoch; its reply is the seq it starts from
    /// (the final seq of a planned failover).
    async fn promote_target(&self) -> Result<FailoverStep, ReconcileError> {
        let (ds, f) = (self.ds, self.f);
        let role = ClusterRole::Primary {
            datastore: ds.id.clone(),
            epoch: f.new_epoch.unwrap_or(ds.epoch),
            base_seq: f.final_seq.unwrap_or(0),
        };
        let base_seq = self.set_role(&f.to, role).await?;
        info!(datastore = %ds.id, to = %f.to, epoch = ds.epoch, base_seq, "failover: the target is primary");
        Ok(FailoverStep::TargetPrimary { base_seq })
    }

    /// Forced, once the old primary's lease certainly ran out: the target (or the associated
    /// secondary furthest ahead, asked live); `Abort` when none answers by the deadline.
    async fn choose_forced_target(
        &self,
        since: Instant,
        catch_up: Duration,
    ) -> Result<Option<FailoverStep>, ReconcileError> {
        let (ds, f) = (self.ds, self.f);
        let candidates = ds.members.iter().filter(|m| {
            m.status == MemberStatus::Associated
                && m.cluster != f.from
                && (f.to.is_empty() || m.cluster == f.to)
        });
        let mut best: Option<(Seq, &str)> = None;
        for m in candidates {
            let Some(seq) = leader_applied_seq(self.pool, self.cluster(&m.cluster)?).await else {
                continue;
            };
            if best.is_none_or(|(s, _)| seq > s) {
                best = Some((seq, &m.cluster));
            }
        }
        match best {
            Some((seq, to)) => {
                info!(datastore = %ds.id, from = %f.from, to, applied_seq = seq, "forced failover: promoting");
                Ok(Some(FailoverStep::ForcedPromote { to: to.to_string() }))
            }
            None if since.elapsed() > catch_up => Ok(Some(FailoverStep::Abort {
                reason: format!("no secondary to promote answered within {catch_up:?}"),
            })),
            None => Ok(None),
        }
    }

    /// Points every other associated member at the target, without a wipe. Members joining
    /// or leaving are the reconciler's: it records their roles with the current epoch and
    /// primary.
    async fn repoint(&self) -> Result<FailoverStep, ReconcileError> {
        let (ds, f) = (self.ds, self.f);
        let settled = |m: &&Member| {
            m.cluster != f.to && m.status == MemberStatus::Associated && !m.rejoin_pending
        };
        for m in ds.members.iter().filter(settled) {
            let role = ClusterRole::Secondary {
                datastore: ds.id.clone(),
                epoch: ds.epoch,
                source: f.to.clone(),
            };
            self.set_role(&m.cluster, role).await?;
        }
        info!(datastore = %ds.id, to = %f.to, "failover: every member follows the new primary");
        Ok(FailoverStep::Repointed)
    }

    /// Gives the old primary its role (and its writes) back.
    async fn lift_drain(&self, reason: &str) -> Result<FailoverStep, ReconcileError> {
        let (ds, f) = (self.ds, self.f);
        let role = ClusterRole::Primary {
            datastore: ds.id.clone(),
            epoch: ds.epoch,
            base_seq: 0,
        };
        self.set_role(&f.from, role).await?;
        info!(datastore = %ds.id, from = %f.from, %reason, "failover aborted: the drain is lifted");
        Ok(FailoverStep::DrainLifted)
    }
}

/// What the driver needs from the coordination leader it runs on.
pub(crate) struct Driver<'a> {
    pub(crate) coord: &'a CoordGroup,
    pub(crate) handle: &'a CoordHandle,
    pub(crate) pool: &'a ChannelPool,
    pub(crate) catch_up: Duration,
    /// The coordination token of the state the driver acts on (`reconciler::set_role`).
    pub(crate) token: u64,
}

/// Carries `ds`'s failover forward, if one is under way: step after step, each recorded
/// before the next starts, until it waits (for a catch-up or the lease wait) or is finished.
pub(crate) async fn drive(
    ds: &Datastore,
    clusters: &BTreeMap<String, ClusterInfo>,
    d: &Driver<'_>,
    deadlines: &mut Deadlines,
) -> Result<(), ReconcileError> {
    if !ds.failover.as_deref().is_some_and(|f| f.under_way()) {
        deadlines.since.remove(&ds.id);
        return Ok(());
    }
    let since = *deadlines
        .since
        .entry(ds.id.clone())
        .or_insert_with(Instant::now);
    let mut current = ds.clone();
    while let Some(f) = current.failover.as_deref().filter(|f| f.under_way()) {
        let Some(step) = next_step(&current, f, clusters, d, since).await? else {
            return Ok(());
        };
        let before = f.phase.clone();
        current = d
            .handle
            .failover_step(&current.id, &f.to, step)
            .await
            .map_err(ReconcileError::Record)?;
        if current.failover.as_ref().map(|f| &f.phase) == Some(&before) {
            // Nothing moved (cannot happen with the rules as they are): next tick.
            return Ok(());
        }
    }
    Ok(())
}

/// The step to record next, after carrying it out on the clusters; None while waiting.
async fn next_step(
    ds: &Datastore,
    f: &FailoverInProgress,
    clusters: &BTreeMap<String, ClusterInfo>,
    d: &Driver<'_>,
    since: Instant,
) -> Result<Option<FailoverStep>, ReconcileError> {
    let (pool, catch_up) = (d.pool, d.catch_up);
    if d.coord.options().failover_hold.holds(&f.phase.to_string()) {
        return Ok(None);
    }
    let s = Step {
        ds,
        f,
        clusters,
        pool,
        token: d.token,
    };
    let step = match &f.phase {
        FailoverPhase::Requested if f.force => {
            let allowed_at = d
                .coord
                .promotion_allowed_at(&ds.id)
                .map_err(ReconcileError::Leases)?;
            if d.coord.options().clock.now() < allowed_at {
                return Ok(None);
            }
            return s.choose_forced_target(since, catch_up).await;
        }
        FailoverPhase::Requested => s.fence(since, catch_up).await?,
        FailoverPhase::Draining => {
            return Ok(caught_up(f, pool, s.cluster(&f.to)?, since, catch_up).await);
        }
        FailoverPhase::CaughtUp => FailoverStep::Promote,
        FailoverPhase::Promoted => s.promote_target().await?,
        FailoverPhase::Repointing => s.repoint().await?,
        FailoverPhase::Aborting { reason } => s.lift_drain(reason).await?,
        FailoverPhase::Done | FailoverPhase::Aborted { .. } => return Ok(None),
    };
    Ok(Some(step))
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

/// The automatic failover policy (DESIGN §7, off by default): once the primary of `ds` has
/// held no lease for the configured time, as this leader measures it (the count restarts at
/// every coordination election, and every renewal moves it), request a forced failover to
/// the secondary furthest ahead. Nothing while a failover is under way or no associated
/// secondary exists.
pub(crate) async fn auto(ds: &Datastore, d: &Driver<'_>) -> Result<(), ReconcileError> {
    let AutoFailover::After { ms } = ds.auto_failover else {
        return Ok(());
    };
    let busy = ds.failover.as_ref().is_some_and(|f| f.under_way());
    let promotable = ds
        .secondaries()
        .any(|m| m.status == MemberStatus::Associated && !m.rejoin_pending);
    if busy || !promotable || ds.status == DatastoreStatus::Deleting {
        return Ok(());
    }
    let since = d
        .coord
        .unleased_since(&ds.id)
        .map_err(ReconcileError::Leases)?;
    let clock = &d.coord.options().clock;
    if clock.now() < since + Duration::from_millis(ms) {
        return Ok(());
    }
    warn!(datastore = %ds.id, primary = %ds.primary, after_ms = ms, "automatic failover: the primary has held no lease for the configured time");
    d.handle
        .failover(&ds.id, "", true)
        .await
        .map(|_| ())
        .map_err(ReconcileError::Record)
}
