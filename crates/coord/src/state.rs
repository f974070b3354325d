//! The control-plane state the coordination log builds: registered clusters, global
//! datastores and the limits the rules use. Applying a [`CoordRequest`] is deterministic and
//! all-or-nothing: a request that breaks a rule returns its [`ControlError`] and changes
//! nothing (every check runs before the first change).

use std::collections::BTreeMap;

use meridian_storage::ReplicatedState;
use meridian_types::{
    AutoFailover, ClusterInfo, ControlError, ControlLimits, CoordOutcome, CoordRequest,
    CoordResponse, CoordTypeConfig, Datastore, DatastoreStatus, Lease, Member, MemberStatus, Role,
};
use openraft::LogId;
use serde::{Deserialize, Serialize};

use crate::rules;

/// The whole control plane. Small: a few clusters and datastores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlPlane {
    /// Registered clusters by name.
    pub clusters: BTreeMap<String, ClusterInfo>,
    /// Global datastores by id.
    pub datastores: BTreeMap<String, Datastore>,
    /// Deployment limits the rules use.
    pub limits: ControlLimits,
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
            CoordRequest::MemberReady { id, cluster, epoch } => {
                self.member_ready(id, cluster, *epoch)
            }
            CoordRequest::MemberRemoved { id, cluster } => self.member_removed(id, cluster),
            CoordRequest::DatastoreDeleted { id } => self.datastore_deleted(id),
        }
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

    /// Longest lease length ever recorded, in milliseconds (what a new leader must outwait).
    pub fn max_lease_ms(&self) -> u64 {
        self.datastores
            .values()
            .filter_map(|d| d.lease.as_ref().map(|l| l.length_ms))
            .max()
            .unwrap_or(0)
    }

    fn register(
        &mut self,
        clusters: &[ClusterInfo],
        limits: ControlLimits,
    ) -> Result<CoordOutcome, ControlError> {
        for c in clusters {
            rules::check_name("cluster name", &c.name)?;
            rules::check_name("region", &c.region)?;
            if let (Some(old), Some(ds)) = (self.clusters.get(&c.name), self.datastore_of(&c.name))
            {
                if old.region != c.region {
                    return Err(ControlError::RegionChange {
                        cluster: c.name.clone(),
                        registered: old.region.clone(),
                        requested: c.region.clone(),
                        datastore: ds.id.clone(),
                    });
                }
            }
        }
        for c in clusters {
            self.clusters.insert(c.name.clone(), c.clone());
        }
        self.limits = limits;
        Ok(CoordOutcome::Nothing)
    }

    fn create(
        &mut self,
        id: &str,
        description: &str,
        primary: &str,
        auto_failover: AutoFailover,
    ) -> Result<CoordOutcome, ControlError> {
        rules::check_name("global datastore id", id)?;
        if self.datastores.contains_key(id) {
            return Err(ControlError::DuplicateDatastore { id: id.to_string() });
        }
        rules::check_description(description)?;
        rules::check_auto_failover(auto_failover)?;
        let cluster = self.cluster(primary)?;
        rules::check_not_in_datastore(self, primary)?;
        let ds = Datastore {
            id: id.to_string(),
            description: description.to_string(),
            members: vec![Member {
                cluster: primary.to_string(),
                region: cluster.region.clone(),
                role: Role::Primary,
                status: MemberStatus::Associating,
                applied_seq: 0,
                lag_ms: 0,
                lag_seq: 0,
                synced: false,
            }],
            primary: primary.to_string(),
            epoch: 1,
            status: DatastoreStatus::Creating,
            auto_failover,
            failover: None,
            lease: None,
        };
        self.datastores.insert(id.to_string(), ds.clone());
        Ok(CoordOutcome::Datastore(ds))
    }

    fn add_secondary(&mut self, id: &str, cluster: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        rules::check_idle(ds)?;
        let info = self.cluster(cluster)?;
        rules::check_not_in_datastore(self, cluster)?;
        if let Some(other) = ds.members.iter().find(|m| m.region == info.region) {
            return Err(ControlError::SameRegion {
                id: id.to_string(),
                cluster: cluster.to_string(),
                region: info.region.clone(),
                other: other.cluster.clone(),
            });
        }
        let limit = self.limits.max_secondaries;
        if ds.secondaries().count() as u64 >= limit {
            return Err(ControlError::TooManySecondaries {
                id: id.to_string(),
                limit,
            });
        }
        let member = Member {
            cluster: cluster.to_string(),
            region: info.region.clone(),
            role: Role::Secondary,
            status: MemberStatus::Associating,
            applied_seq: 0,
            lag_ms: 0,
            lag_seq: 0,
            synced: false,
        };
        self.update(id, |ds| {
            ds.members.push(member);
            ds.status = DatastoreStatus::Modifying;
        })
    }

    fn disassociate(&mut self, id: &str, cluster: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let m = rules::member(ds, cluster)?;
        if m.role == Role::Primary {
            return Err(ControlError::CannotDisassociatePrimary {
                id: id.to_string(),
                cluster: cluster.to_string(),
            });
        }
        rules::check_idle(ds)?;
        self.update(id, |ds| {
            set_member_status(ds, cluster, MemberStatus::Disassociating);
            ds.status = DatastoreStatus::Modifying;
        })
    }

    fn modify(
        &mut self,
        id: &str,
        description: Option<&str>,
        auto_failover: Option<AutoFailover>,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if description.is_none() && auto_failover.is_none() {
            return Err(ControlError::InvalidArgument {
                field: "modification".into(),
                value: String::new(),
                reason: "nothing to change: give a new description and/or auto-failover policy"
                    .into(),
            });
        }
        if let Some(d) = description {
            rules::check_description(d)?;
        }
        if let Some(a) = auto_failover {
            rules::check_auto_failover(a)?;
        }
        rules::check_idle(ds)?;
        self.update(id, |ds| {
            if let Some(d) = description {
                ds.description = d.to_string();
            }
            if let Some(a) = auto_failover {
                ds.auto_failover = a;
            }
        })
    }

    fn delete(&mut self, id: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let secondaries: Vec<String> = ds.secondaries().map(|m| m.cluster.clone()).collect();
        if !secondaries.is_empty() {
            return Err(ControlError::SecondariesRemain {
                id: id.to_string(),
                secondaries,
            });
        }
        rules::check_idle(ds)?;
        self.update(id, |ds| {
            ds.status = DatastoreStatus::Deleting;
            for m in &mut ds.members {
                m.status = MemberStatus::Disassociating;
            }
        })
    }

    /// Validates a failover fully; carrying it out is not implemented yet, so a valid request
    /// is answered `NotSupported` and changes nothing.
    fn failover(&mut self, id: &str, to: &str, force: bool) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if matches!(
            ds.status,
            DatastoreStatus::Creating | DatastoreStatus::Deleting
        ) {
            return Err(ControlError::WrongDatastoreStatus {
                id: id.to_string(),
                status: ds.status.to_string(),
                needed: "only an available datastore can fail over".into(),
            });
        }
        if let Some(f) = &ds.failover {
            return Err(ControlError::ModificationInProgress {
                id: id.to_string(),
                what: format!("a failover to {:?} is under way", f.to),
            });
        }
        let m = rules::member(ds, to)?;
        if m.role == Role::Primary {
            return Err(ControlError::AlreadyPrimary {
                id: id.to_string(),
                cluster: to.to_string(),
            });
        }
        if m.status != MemberStatus::Associated {
            return Err(ControlError::WrongMemberStatus {
                id: id.to_string(),
                cluster: to.to_string(),
                status: m.status.to_string(),
                needed: "only an associated secondary can be promoted".into(),
            });
        }
        Err(ControlError::NotSupported {
            id: id.to_string(),
            what: if force {
                "a forced failover".into()
            } else {
                "a planned failover".into()
            },
            detail: format!(
                "promoting {to:?} is accepted and validated, but this build cannot carry out promotions yet"
            ),
        })
    }

    fn report_applied_seq(
        &mut self,
        id: &str,
        cluster: &str,
        epoch: u64,
        (seq, lag_ms, lag_seq, synced): (u64, u64, u64, bool),
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let m = rules::member(ds, cluster)?;
        rules::check_epoch(ds, epoch)?;
        if m.role != Role::Secondary {
            return Err(ControlError::InvalidArgument {
                field: "cluster".into(),
                value: cluster.to_string(),
                reason: format!(
                    "it is the primary of {id:?}; only secondaries report an applied seq"
                ),
            });
        }
        // Reports may arrive out of order across a secondary's leader change: keep the newest.
        if seq >= m.applied_seq {
            self.update(id, |ds| {
                if let Some(m) = ds.members.iter_mut().find(|m| m.cluster == cluster) {
                    m.applied_seq = seq;
                    m.lag_ms = lag_ms;
                    m.lag_seq = lag_seq;
                    m.synced = synced;
                }
            })?;
        }
        Ok(CoordOutcome::Nothing)
    }

    fn grant_lease(&mut self, lease: &Lease) -> Result<CoordOutcome, ControlError> {
        self.check_lease(lease)?;
        self.update(&lease.datastore, |ds| ds.lease = Some(lease.clone()))?;
        Ok(CoordOutcome::Lease(lease.clone()))
    }

    /// Whether `lease` may be granted: its cluster is the datastore's primary at its epoch and
    /// no failover is draining it. The leader checks this before its quorum round too.
    pub fn check_lease(&self, lease: &Lease) -> Result<(), ControlError> {
        let ds = self.datastore(&lease.datastore)?;
        rules::member(ds, &lease.cluster)?;
        rules::check_epoch(ds, lease.epoch)?;
        if ds.primary != lease.cluster {
            return Err(ControlError::NotPrimary {
                id: ds.id.clone(),
                cluster: lease.cluster.clone(),
                primary: ds.primary.clone(),
            });
        }
        if let Some(f) = &ds.failover {
            return Err(ControlError::FailoverDraining {
                id: ds.id.clone(),
                to: f.to.clone(),
            });
        }
        if lease.length_ms == 0 {
            return Err(ControlError::InvalidArgument {
                field: "lease length".into(),
                value: "0".into(),
                reason: "a lease must last at least 1 ms".into(),
            });
        }
        Ok(())
    }

    fn member_ready(
        &mut self,
        id: &str,
        cluster: &str,
        epoch: u64,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let m = rules::member(ds, cluster)?;
        rules::check_epoch(ds, epoch)?;
        match m.status {
            // Already done: a reconciler retrying after an unknown outcome.
            MemberStatus::Associated => return Ok(CoordOutcome::Datastore(ds.clone())),
            MemberStatus::Disassociating => {
                return Err(ControlError::WrongMemberStatus {
                    id: id.to_string(),
                    cluster: cluster.to_string(),
                    status: m.status.to_string(),
                    needed: "only an associating member can become ready".into(),
                })
            }
            MemberStatus::Associating => {}
        }
        self.update(id, |ds| {
            set_member_status(ds, cluster, MemberStatus::Associated);
            settle(ds);
        })
    }

    fn member_removed(&mut self, id: &str, cluster: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let Some(m) = ds.member(cluster) else {
            // Already removed: a reconciler retrying after an unknown outcome.
            return Ok(CoordOutcome::Datastore(ds.clone()));
        };
        if m.role == Role::Primary || m.status != MemberStatus::Disassociating {
            return Err(ControlError::WrongMemberStatus {
                id: id.to_string(),
                cluster: cluster.to_string(),
                status: format!("{} {}", m.status, m.role),
                needed: "only a disassociating secondary can be removed".into(),
            });
        }
        self.update(id, |ds| {
            ds.members.retain(|m| m.cluster != cluster);
            settle(ds);
        })
    }

    fn datastore_deleted(&mut self, id: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if ds.status != DatastoreStatus::Deleting {
            return Err(ControlError::WrongDatastoreStatus {
                id: id.to_string(),
                status: ds.status.to_string(),
                needed: "only a datastore being deleted can be removed".into(),
            });
        }
        self.datastores.remove(id);
        Ok(CoordOutcome::Deleted { id: id.to_string() })
    }
}

fn set_member_status(ds: &mut Datastore, cluster: &str, status: MemberStatus) {
    if let Some(m) = ds.members.iter_mut().find(|m| m.cluster == cluster) {
        m.status = status;
    }
}

/// Once no member is joining or leaving, a creating or modifying datastore becomes available
/// (or primary-only without secondaries).
fn settle(ds: &mut Datastore) {
    let transitional = ds
        .members
        .iter()
        .any(|m| m.status != MemberStatus::Associated);
    if matches!(
        ds.status,
        DatastoreStatus::Creating | DatastoreStatus::Modifying
    ) && !transitional
    {
        ds.status = if ds.secondaries().next().is_some() {
            DatastoreStatus::Available
        } else {
            DatastoreStatus::PrimaryOnly
        };
    }
}

impl ReplicatedState<CoordTypeConfig> for ControlPlane {
    fn apply(&mut self, _log_id: &LogId<u64>, request: &CoordRequest) -> CoordResponse {
        CoordResponse {
            result: ControlPlane::apply(self, request),
        }
    }
}
