//! The control-plane state the coordination log builds: registered clusters, global
//! datastores and the limits the rules use. Applying a [`CoordRequest`] is deterministic and
//! all-or-nothing: a request that breaks a rule returns its [`ControlError`] and changes
//! nothing (every check runs before the first change).
//!
//! This file holds the state, the dispatch in [`ControlPlane::apply`] and the lookups every
//! operation shares; each kind of request is carried out in a submodule, with the checks
//! several of them use in `rules.rs`:
//!
//! - `clusters`: registering clusters and the deployment limits;
//! - `lifecycle`: create, add-secondary, disassociate, modify, delete, and the reconciler's
//!   reports that a member is ready, a member is gone, a datastore is deleted;
//! - `progress`: the applied seq and lag secondaries report;
//! - `lease`: granting the primary's lease and the rule for it;
//! - `failover`: failover requests (DESIGN §7).

use std::collections::BTreeMap;

use meridian_storage::ReplicatedState;
use meridian_types::{
    ClusterInfo, ControlError, ControlLimits, CoordOutcome, CoordRequest, CoordResponse,
    CoordTypeConfig, Datastore, Epoch,
};
use openraft::LogId;
use serde::{Deserialize, Serialize};

mod clusters;
mod failover;
mod lease;
mod lifecycle;
mod progress;

/// The whole control plane. Small: a few clusters and datastores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlPlane {
    /// Registered clusters by name.
    pub clusters: BTreeMap<String, ClusterInfo>,
    /// Global datastores by id.
    pub datastores: BTreeMap<String, Datastore>,
    /// Deployment limits the rules use.
    pub limits: ControlLimits,
    /// The newest epoch ever issued, to any datastore: epochs are never reused, not across
    /// datastores and not after a datastore is deleted and created again, so a history mark
    /// or a role from one can never be taken for one of another.
    #[serde(default)]
    pub last_epoch: Epoch,
    /// Index of the last coordination log entry applied: the fencing token of every role
    /// decision read from this state (`RegionRequest::SetRole`).
    #[serde(default)]
    pub applied_index: u64,
}

impl ControlPlane {
    /// Applies one request: the outcome, or the rule it broke (and then nothing changed).
    pub fn apply(&mut self, req: &CoordRequest) -> Result<CoordOutcome, ControlError> {
        match req {
            CoordRequest::RegisterClusters { clusters, limits } => self.register(clusters, *limits),
            CoordRequest::Create {
                id,
                description,
                primary,
                auto_failover,
            } => self.create(id, description, primary, *auto_failover),
            CoordRequest::AddSecondary { id, cluster } => self.add_secondary(id, cluster),
            CoordRequest::Disassociate { id, cluster } => self.disassociate(id, cluster),
            CoordRequest::Modify {
                id,
                description,
                auto_failover,
            } => self.modify(id, description.as_deref(), *auto_failover),
            CoordRequest::Delete { id } => self.delete(id),
            CoordRequest::Failover { id, to, force } => self.failover(id, to, *force),
            CoordRequest::FailoverStep { id, to, step } => self.failover_step(id, to, step),
            CoordRequest::ReportAppliedSeq {
                id,
                cluster,
                epoch,
                seq,
                lag_ms,
                lag_seq,
                synced,
            } => self.report_applied_seq(id, cluster, *epoch, (*seq, *lag_ms, *lag_seq, *synced)),
            CoordRequest::GrantLease(lease) => self.grant_lease(lease),
            CoordRequest::ReportDiscarded {
                id,
                cluster,
                ranges,
            } => self.report_discarded(id, cluster, ranges),
            CoordRequest::MemberRejoined { id, cluster, epoch } => {
                self.member_rejoined(id, cluster, *epoch)
            }
            CoordRequest::MemberReady { id, cluster, epoch } => {
                self.member_ready(id, cluster, *epoch)
            }
            CoordRequest::MemberRemoved { id, cluster } => self.member_removed(id, cluster),
            CoordRequest::DatastoreDeleted { id } => self.datastore_deleted(id),
        }
    }

    /// Issues a fresh epoch (one past every epoch issued before).
    fn next_epoch(&mut self) -> Epoch {
        self.last_epoch += 1;
        self.last_epoch
    }

    /// The datastore with this id.
    pub fn datastore(&self, id: &str) -> Result<&Datastore, ControlError> {
        self.datastores
            .get(id)
            .ok_or_else(|| ControlError::UnknownDatastore { id: id.to_string() })
    }

    /// Changes datastore `id` (after every check passed) and returns it as it now is.
    fn update(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut Datastore),
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self
            .datastores
            .get_mut(id)
            .ok_or_else(|| ControlError::UnknownDatastore { id: id.to_string() })?;
        change(ds);
        Ok(CoordOutcome::Datastore(ds.clone()))
    }

    fn cluster(&self, name: &str) -> Result<&ClusterInfo, ControlError> {
        self.clusters
            .get(name)
            .ok_or_else(|| ControlError::UnknownCluster {
                name: name.to_string(),
            })
    }

    /// The datastore `cluster` belongs to, if any.
    pub fn datastore_of(&self, cluster: &str) -> Option<&Datastore> {
        self.datastores
            .values()
            .find(|d| d.members.iter().any(|m| m.cluster == cluster))
    }
}

impl ReplicatedState<CoordTypeConfig> for ControlPlane {
    fn apply(&mut self, log_id: &LogId<u64>, request: &CoordRequest) -> CoordResponse {
        self.applied_index = log_id.index;
        CoordResponse {
            result: ControlPlane::apply(self, request),
        }
    }
}
